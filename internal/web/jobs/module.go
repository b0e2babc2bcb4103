// Package jobs is the web side of the job engine: the list of background
// jobs for the office and administrators (state, attempts, errors), with
// retry and cancel buttons and an XLSX export.
package jobs

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/cli"
	eng "zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed templates
var templates embed.FS

//go:embed catalog/*.json
var catalog embed.FS

// roles may see and act on the job list: jobs are the installation's
// own work, not any unit's data.
var roles = []auth.Role{auth.Office, auth.Admin}

// Module is the job list.
func Module() module.Module {
	cat, _ := fs.Sub(catalog, "catalog")
	return module.Module{
		Name:     "jobs",
		Routes:   routes,
		Commands: []cli.Command{{Name: "jobs", Summary: "background jobs: list [--state S] [--lang L] [--json] | retry ID | cancel ID", Run: runJobs}},
		Catalog:  cat,
		Nav:      []module.Nav{{Key: "jobs", Href: "/jobs", Label: "nav.jobs", Roles: roles, Order: 990}},
		Pages:    []string{"/jobs", "/jobs?state=completed"},
		Authz: []module.AuthzCase{
			{Pattern: "GET /jobs", Request: module.Get("/jobs?state=scheduled"), Want: module.AnyRole(http.StatusOK, http.StatusSeeOther, roles...)},
			{Pattern: "GET /jobs.xlsx", Request: module.Get("/jobs.xlsx"), Want: module.AnyRole(http.StatusOK, http.StatusSeeOther, roles...)},
			{Pattern: "POST /jobs/{id}/retry", Request: jobPost("retry"), Want: module.AnyRole(http.StatusSeeOther, http.StatusUnauthorized, roles...)},
			{Pattern: "POST /jobs/{id}/cancel", Request: jobPost("cancel"), Want: module.AnyRole(http.StatusSeeOther, http.StatusUnauthorized, roles...)},
		},
		AuthzSetup: func(ctx context.Context, db *store.DB, f *module.Fixture) error {
			e, err := eng.Open(ctx, db, nil, eng.Config{})
			if err != nil {
				return err
			}
			res, err := e.Insert(ctx, SampleArgs{}, &eng.InsertOpts{ScheduledAt: time.Now().Add(24 * time.Hour)})
			if err != nil {
				return err
			}
			f.IDs["job"] = res.ID
			return nil
		},
	}
}

// SampleArgs is a job no process works; the authorization matrix lists,
// retries and cancels one.
type SampleArgs struct{}

// Kind names the job.
func (SampleArgs) Kind() string { return "sample" }

func jobPost(action string) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, _ bool) (string, string, url.Values) {
		return http.MethodPost, "/jobs/" + strconv.FormatInt(f.IDs["job"], 10) + "/" + action, url.Values{}
	}
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(templates, "templates")
	if err != nil {
		return nil, err
	}
	h := &handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /jobs", Access: kit.Roles, Roles: roles, Handler: h.list},
		{Pattern: "GET /jobs.xlsx", Access: kit.Roles, Roles: roles, Handler: h.export},
		{Pattern: "POST /jobs/{id}/retry", Access: kit.Roles, Roles: roles, Handler: h.retry},
		{Pattern: "POST /jobs/{id}/cancel", Access: kit.Roles, Roles: roles, Handler: h.cancel},
	}, nil
}

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages

	mu  sync.Mutex
	eng *eng.Engine
}

// engine is the process's job engine or, when it has none, a client
// opened once that lists and manages jobs (it works none).
func (h *handlers) engine(ctx context.Context) (*eng.Engine, error) {
	if h.k.Jobs != nil {
		return h.k.Jobs, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.eng != nil {
		return h.eng, nil
	}
	e, err := eng.Open(ctx, h.k.DB, nil, eng.Config{Log: h.k.Log})
	if err != nil {
		return nil, err
	}
	h.eng = e
	return e, nil
}

// row is one job of the list with its labels.
type row struct {
	eng.Info
	KindLabel, StateLabel string
}

// kindLabel names a job kind from the catalogue, or shows it as stored.
func kindLabel(r *http.Request, kind string) string {
	key := "jobs.kind." + kind
	if l := kit.T(r, key); l != key {
		return l
	}
	return kind
}

// listView is what the job list shows.
type listView struct {
	Jobs   []row
	States []eng.State
	State  string
	Export string
	Limit  int
}

const listLimit = 500

// filter reads ?state= (one of eng.States, empty for all).
func filter(r *http.Request) (eng.Filter, string, error) {
	s := r.URL.Query().Get("state")
	f := eng.Filter{Limit: listLimit}
	if s == "" {
		return f, s, nil
	}
	if !slices.Contains(eng.States, eng.State(s)) {
		return f, s, kit.ErrBadForm
	}
	f.States = []eng.State{eng.State(s)}
	return f, s, nil
}

func (h *handlers) list(w http.ResponseWriter, r *http.Request) error {
	f, s, err := filter(r)
	if err != nil {
		return err
	}
	e, err := h.engine(r.Context())
	if err != nil {
		return err
	}
	list, err := e.List(r.Context(), f)
	if err != nil {
		return err
	}
	export := "/jobs.xlsx"
	if s != "" {
		export += "?" + url.Values{"state": {s}}.Encode()
	}
	rows := make([]row, len(list))
	for i, j := range list {
		rows[i] = row{Info: j, KindLabel: kindLabel(r, j.Kind), StateLabel: kit.T(r, "jobs.state."+string(j.State))}
	}
	return h.k.Render(w, r, h.pages, "jobs", http.StatusOK, kit.View{Title: kit.T(r, "jobs.title"), Nav: "jobs",
		Data: listView{Jobs: rows, States: eng.States, State: s, Export: export, Limit: listLimit}})
}

func (h *handlers) export(w http.ResponseWriter, r *http.Request) error {
	f, _, err := filter(r)
	if err != nil {
		return err
	}
	f.Limit = 10000
	e, err := h.engine(r.Context())
	if err != nil {
		return err
	}
	list, err := e.List(r.Context(), f)
	if err != nil {
		return err
	}
	at := func(t *time.Time) any {
		if t == nil {
			return ""
		}
		return t.In(period.Shanghai).Format("2006-01-02 15:04:05")
	}
	header := []string{"ID", kit.T(r, "jobs.kind"), kit.T(r, "jobs.state"), kit.T(r, "jobs.attempts"), kit.T(r, "jobs.max_attempts"),
		kit.T(r, "jobs.created"), kit.T(r, "jobs.scheduled"), kit.T(r, "jobs.attempted"), kit.T(r, "jobs.finalized"), kit.T(r, "jobs.error"), kit.T(r, "jobs.args")}
	rows := make([][]any, len(list))
	for i, j := range list {
		rows[i] = []any{j.ID, kindLabel(r, j.Kind), kit.T(r, "jobs.state."+string(j.State)), j.Attempt, j.MaxAttempts,
			at(&j.Created), at(&j.Scheduled), at(j.Attempted), at(j.Finalized), j.LastError(kit.Lang(r)), j.Args}
	}
	return kit.XLSX(w, fmt.Sprintf("jobs-%s.xlsx", time.Now().In(period.Shanghai).Format("20060102-1504")), header, rows)
}

func (h *handlers) retry(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "job_retried", (*eng.Engine).Retry)
}

func (h *handlers) cancel(w http.ResponseWriter, r *http.Request) error {
	return h.act(w, r, "job_cancelled", (*eng.Engine).Cancel)
}

func (h *handlers) act(w http.ResponseWriter, r *http.Request, flash string, op func(*eng.Engine, context.Context, int64) (eng.Info, error)) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	e, err := h.engine(r.Context())
	if err != nil {
		return err
	}
	if _, err := op(e, r.Context(), id); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/jobs?"+url.Values{"flash": {flash}}.Encode())
}
