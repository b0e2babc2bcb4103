// Package notify is the web side of notifications: the inbox every
// logged-in user reaches from the header (with its unread count), the
// inbox's export, opening a message (marked read, then its link). The
// settings form lives on the account page; the domain, e-mail and the
// digest are package internal/notify.
package notify

import (
	"context"
	"embed"
	"fmt"
	"net/http"
	"net/url"

	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	dom "zhihui/internal/notify"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed all:templates
var files embed.FS

// Module is the notifications module. Its tables are a core schema
// (app.coreSchemas), since every feature sends through it.
func Module() module.Module {
	return module.Module{
		Name:   "notify",
		Routes: routes,
		Pages:  []string{"/notifications"},
		API: map[string]string{
			"GET /api/v1/notifications": "The caller's messages, unread first (at most 200), each rendered in the caller's language, and the unread count",
		},
		Jobs: func(r *jobs.Registry, env module.JobEnv) {
			if env.Mail == nil {
				return
			}
			s := &dom.Sender{DB: env.DB, Mailer: env.Mail, BaseURL: env.BaseURL, Log: env.Log, Notify: env.Notify}
			s.Register(r)
		},
		Authz:      authzCases(),
		AuthzSetup: authzSetup,
	}
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(files, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /notifications", Access: kit.User, Handler: h.inbox},
		{Pattern: "GET /notifications/export", Access: kit.User, Handler: h.export},
		{Pattern: "GET /notifications/{id}", Access: kit.User, Handler: h.open},
		{Pattern: "POST /notifications/read", Access: kit.User, Handler: h.readAll},
		{Pattern: "GET /api/v1/notifications", Access: kit.User, Handler: h.api},
		// The inbox lived under reporting before it served every module;
		// old bookmarks and e-mails still lead to it.
		{Pattern: "GET /reporting/notifications", Access: kit.Public, Handler: moved},
	}, nil
}

// moved sends the inbox's old address to its new one.
func moved(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/notifications", http.StatusMovedPermanently)
	return nil
}

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

// row is one message as the inbox shows it.
type row struct {
	dom.Notification
	Message, KindLabel, Open string
}

type inboxView struct {
	Rows   []row
	Unread int
}

func (h handlers) rows(r *http.Request) ([]row, int, error) {
	p := kit.Principal(r)
	ns, err := dom.List(r.Context(), h.k.DB, p.User.ID, dom.MaxList)
	if err != nil {
		return nil, 0, err
	}
	unread, err := dom.Unread(r.Context(), h.k.DB, p.User.ID)
	if err != nil {
		return nil, 0, err
	}
	lang := kit.Lang(r)
	labels := map[string]string{}
	for _, k := range dom.Kinds() {
		labels[k.Name] = kit.T(r, k.Label)
	}
	out := make([]row, len(ns))
	for i, n := range ns {
		l, ok := labels[n.Kind]
		if !ok {
			l = n.Kind
		}
		out[i] = row{Notification: n, Message: n.In(lang), KindLabel: l, Open: OpenURL(n.ID)}
	}
	return out, unread, nil
}

// OpenURL is the address that opens message id: it is marked read and
// the reader is sent on to its link.
func OpenURL(id int64) string { return fmt.Sprintf("/notifications/%d", id) }

func (h handlers) inbox(w http.ResponseWriter, r *http.Request) error {
	rows, unread, err := h.rows(r)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "inbox", http.StatusOK, kit.View{
		Title: kit.T(r, "notify.title"), Nav: "notifications", Data: inboxView{Rows: rows, Unread: unread},
	})
}

func (h handlers) export(w http.ResponseWriter, r *http.Request) error {
	rows, _, err := h.rows(r)
	if err != nil {
		return err
	}
	out := make([][]any, len(rows))
	for i, x := range rows {
		state := kit.T(r, "notify.unread")
		if x.ReadAt != nil {
			state = kit.T(r, "notify.read")
		}
		out[i] = []any{x.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04"), x.KindLabel, x.Message, state, x.Link}
	}
	return kit.XLSX(w, "notifications.xlsx", []string{kit.T(r, "notify.time"), kit.T(r, "notify.kind"), kit.T(r, "notify.message"), kit.T(r, "notify.state"), kit.T(r, "notify.link")}, out)
}

// open marks a message of the caller read and follows its link (the
// inbox when it has none); another user's message is not found.
func (h handlers) open(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	n, err := dom.Open(r.Context(), h.k.DB, kit.Principal(r).User.ID, id)
	if err != nil {
		return err
	}
	target := n.Link
	if target == "" {
		target = "/notifications"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (h handlers) readAll(w http.ResponseWriter, r *http.Request) error {
	if _, err := dom.MarkAllRead(r.Context(), h.k.DB, kit.Principal(r).User.ID); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/notifications?"+url.Values{"flash": {"notify_read"}}.Encode())
}

type apiMessage struct {
	dom.Notification
	Message string `json:"message"`
}

func (h handlers) api(w http.ResponseWriter, r *http.Request) error {
	rows, unread, err := h.rows(r)
	if err != nil {
		return err
	}
	out := make([]apiMessage, len(rows))
	for i, x := range rows {
		out[i] = apiMessage{Notification: x.Notification, Message: x.Message}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"unread": unread, "messages": out})
}

// authzSetup gives the fixture's inside reporter one message, so that
// opening it is a real case: its owner is sent on, everyone else is told
// it does not exist.
func authzSetup(ctx context.Context, db *store.DB, f *module.Fixture) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		_, err := dom.Send(ctx, tx, dom.Message{Kind: dom.KindNotice, Key: "notify.title", Link: "/notifications",
			To: []dom.Recipient{dom.Users(f.InUser)}})
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM notify_message WHERE user_id = $1`, f.InUser).Scan(&id); err != nil {
			return err
		}
		f.IDs["notify.message"] = id
		return nil
	})
}

func authzCases() []module.AuthzCase {
	return []module.AuthzCase{
		{Pattern: "GET /notifications", Request: module.Get("/notifications"), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
		{Pattern: "GET /notifications/export", Request: module.Get("/notifications/export"), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
		{Pattern: "GET /api/v1/notifications", Request: module.Get("/api/v1/notifications"), Want: module.LoggedIn(http.StatusOK, http.StatusUnauthorized)},
		{Pattern: "GET /reporting/notifications", Request: module.Get("/reporting/notifications"), Want: module.Always(http.StatusMovedPermanently)},
		{Pattern: "POST /notifications/read", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/notifications/read", url.Values{}
		}, Want: module.LoggedIn(http.StatusSeeOther, http.StatusUnauthorized)},
		// The message belongs to the reporter at 410102, not to any
		// caller of the matrix: nobody else may open it.
		{Pattern: "GET /notifications/{id}", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, OpenURL(f.IDs["notify.message"]), nil
		}, Want: func(role auth.Role, _ bool) int {
			if role == "" {
				return http.StatusSeeOther
			}
			return http.StatusNotFound
		}},
	}
}
