// Package kit is what a feature's web package needs from the web core:
// route declarations (pattern, access rule, handler), rendering of the
// feature's own embedded templates inside the shared layout, one error
// answer, the caller's principal and language, and request parsing under
// the body caps the core enforces.
//
// A feature registers its routes by returning them from its module's
// Routes function (see package module); the core guards each route
// (login, roles, body cap, CSRF) before the handler runs, and turns the
// error a handler returns into the page or JSON answer with [Kit.Fail].
package kit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"text/template/parse"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/notify"
	"zhihui/internal/spreadsheet"
	"zhihui/internal/store"
)

// Access says who may reach a route before its handler runs. Handlers
// then check the org subtree of what is asked for.
type Access int

const (
	Public Access = iota // anyone, including anonymous visitors
	User                 // any logged-in user
	Roles                // a user holding one of Route.Roles somewhere
)

// HandlerFunc handles a request. A non-nil error is answered by the core
// (see [Kit.Fail]); a handler that has written its answer returns nil.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one route of a feature.
type Route struct {
	// Pattern is a net/http ServeMux pattern with a method:
	// "GET /supervise/tasks/{id}". API routes start with /api/.
	Pattern string
	Access  Access
	// Roles admit, for Access == Roles, a user holding one of them at any
	// unit; list auth.Admin too when administrators may come in (the gate
	// does not add it). Handlers then check the unit of what is asked for
	// with Principal(r).Covers, where admin covers every role.
	Roles   []auth.Role
	Handler HandlerFunc
	// BodyLimit caps the body of unsafe requests; 0 is the core's default
	// (2 MiB). The core parses form bodies under this cap before the
	// handler runs, so handlers read r.PostForm / r.MultipartForm.
	BodyLimit int64
	// CrossOrigin admits unsafe requests from other sites' pages (the
	// core otherwise refuses them): for public endpoints that other
	// sites embed, whose handlers check the Origin against their own
	// allow-list. Cookie sessions still need the CSRF token.
	CrossOrigin bool
}

// Core is what the web core provides to feature packages. Its fields are
// set once by the core; features use the [Kit] methods.
type Core struct {
	// Parse parses the feature templates named files in fsys together
	// with the shared layout and partials, into one set.
	Parse func(fsys fs.FS, files ...string) (*template.Template, error)
	// Render writes a page of set within the layout (or its "partial"
	// block for htmx requests).
	Render func(w http.ResponseWriter, r *http.Request, set *template.Template, status int, v View)
	// Fail answers err as a page or as JSON.
	Fail func(w http.ResponseWriter, r *http.Request, err error)
}

// Kit is handed to a module's Routes function.
type Kit struct {
	DB  *store.DB
	Log *slog.Logger
	// Demo is set when the installation runs with demo data.
	Demo bool
	// AllowPrivate lets crawlers and probes reach private addresses.
	AllowPrivate bool
	// Jobs is the process's job engine (web.Options.Jobs), for work a
	// request enqueues inside its transaction and for the job list; nil
	// when the process has none (then such work waits for its module's
	// periodic sweep).
	Jobs *jobs.Engine
	// Notify is the application's notifications (web.Options.Notify);
	// every request's context carries it too, for notify.Send. nil:
	// in-app only.
	Notify *notify.Service

	core Core
}

// New returns a kit over core. Only the web core (and tests) call it.
func New(db *store.DB, log *slog.Logger, demo, allowPrivate bool, core Core) *Kit {
	return &Kit{DB: db, Log: log, Demo: demo, AllowPrivate: allowPrivate, core: core}
}

// View is what a feature hands to [Kit.Render]: the page title (already
// translated), the navigation key that marks the current menu entry, and
// the page's own data, available to templates as .Data next to the
// layout's .Lang, .User, .Principal, .CSRF.
type View struct {
	Title string
	Nav   string
	Data  any
	// Flash names a success message shown above the page: the layout
	// shows the catalogue text "flash.<Flash>". Empty takes the request's
	// ?flash= value (redirect to "…?flash=saved" after a post).
	Flash string
	// Error is a message shown in an error box above the content (an
	// input's problem when the page is shown again).
	Error string
	// Errors are the bilingual errors of a form shown again after a
	// failed submission; the page's template lists them, for example
	// {{range .Errors}}<div class="alert alert-error" role="alert">{{.Message $.Lang}}</div>{{end}}.
	Errors []*i18n.Error
}

// Pages is one feature's parsed templates: one set per page file.
type Pages struct {
	sets map[string]*template.Template
}

// Pages parses every "*.html" in dir of fsys: files starting with "_"
// are partials every page of the feature sees, the others are pages named
// by their base name without ".html". It fails on a template error, so a
// feature calls it when its routes are built, never at request time.
// Embed the directory with "//go:embed all:templates": without "all:",
// go:embed leaves out the files starting with "_".
func (k *Kit) Pages(fsys fs.FS, dir string) (*Pages, error) {
	files, err := fs.Glob(fsys, dir+"/*.html")
	if err != nil {
		return nil, err
	}
	var partials, pages []string
	for _, f := range files {
		base := f[strings.LastIndex(f, "/")+1:]
		if strings.HasPrefix(base, "_") {
			partials = append(partials, f)
		} else {
			pages = append(pages, f)
		}
	}
	p := &Pages{sets: map[string]*template.Template{}}
	for _, f := range pages {
		name := strings.TrimSuffix(f[strings.LastIndex(f, "/")+1:], ".html")
		set, err := k.core.Parse(fsys, append(append([]string{}, partials...), f)...)
		if err != nil {
			return nil, fmt.Errorf("kit: template %s: %w", f, err)
		}
		if missing := undefinedCalls(set); len(missing) > 0 {
			return nil, fmt.Errorf("kit: template %s calls undefined templates %s", f, strings.Join(missing, ", "))
		}
		p.sets[name] = set
	}
	return p, nil
}

// undefinedCalls lists the templates that set calls ({{template "x"}})
// but does not define, so that a missing partial fails the start rather
// than a request.
func undefinedCalls(set *template.Template) []string {
	var missing []string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			if set.Lookup(n.Name) == nil && !slices.Contains(missing, n.Name) {
				missing = append(missing, n.Name)
			}
		}
	}
	for _, t := range set.Templates() {
		if t.Tree != nil {
			walk(t.Tree.Root)
		}
	}
	return missing
}

// Render writes page name of p with status.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, p *Pages, name string, status int, v View) error {
	set, ok := p.sets[name]
	if !ok {
		return fmt.Errorf("kit: no template %q", name)
	}
	k.core.Render(w, r, set, status, v)
	return nil
}

// Fail answers err: an [*i18n.Error] as 400 with its message, a [*Status]
// with its status and catalogue message, [store.ErrNotFound] as 404, and
// anything else as 500 with the details logged, not shown. Pages get the
// error page, /api/ and JSON-accepting requests a JSON error.
func (k *Kit) Fail(w http.ResponseWriter, r *http.Request, err error) { k.core.Fail(w, r, err) }

// Handler adapts h to net/http, answering its error with [Kit.Fail].
func (k *Kit) Handler(h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			k.Fail(w, r, err)
		}
	}
}

// Status is an error answered with an HTTP status and a catalogue message.
type Status struct {
	Code int    // HTTP status
	Key  string // catalogue key of the message
}

func (e *Status) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Key) }

// Errors handlers return for the usual refusals.
var (
	ErrNotFound  = &Status{http.StatusNotFound, "errors.not_found"}
	ErrForbidden = &Status{http.StatusForbidden, "errors.forbidden"}
	ErrOutside   = &Status{http.StatusForbidden, "errors.outside_scope"} // an object outside the caller's units
	ErrBadForm   = &Status{http.StatusBadRequest, "errors.bad_form"}
)

// StatusOf returns the status and catalogue key err is answered with, and
// whether err is a refusal rather than a user error or a server error.
func StatusOf(err error) (*Status, bool) {
	var st *Status
	if errors.As(err, &st) {
		return st, true
	}
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound, true
	}
	return nil, false
}

// UserError returns the bilingual error inside err, if any.
func UserError(err error) (*i18n.Error, bool) {
	var ue *i18n.Error
	ok := errors.As(err, &ue)
	return ue, ok
}

type ctxKey int

const keyPrincipal ctxKey = iota

// WithPrincipal returns ctx carrying p; the core calls it for every
// request once it knows who is calling.
func WithPrincipal(ctx context.Context, p *auth.Principal) context.Context {
	return context.WithValue(ctx, keyPrincipal, p)
}

// Principal is who is calling: a user with its grants, or [auth.Anonymous].
// Scope checks use its methods: Has (a role anywhere), Covers (a role over
// an org path), Scopes (the org paths where it holds roles).
func Principal(r *http.Request) *auth.Principal {
	if p, ok := r.Context().Value(keyPrincipal).(*auth.Principal); ok {
		return p
	}
	return auth.Anonymous
}

// ClientIP is the caller's address as the server sees it.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Actor is the caller as the author of a change, for the audit log.
func Actor(r *http.Request) audit.Actor { return Principal(r).Actor(ClientIP(r)) }

// LangCookie holds a visitor's chosen language.
const LangCookie = "zhihui_lang"

// Lang is the request's language: the user's setting, then the language
// cookie, then Accept-Language.
func Lang(r *http.Request) string {
	if p := Principal(r); p.Authenticated() && p.User.Lang != "" {
		return i18n.Normalize(p.User.Lang)
	}
	if c, err := r.Cookie(LangCookie); err == nil && c.Value != "" {
		return i18n.Normalize(c.Value)
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// T is the catalogue message key in the request's language.
func T(r *http.Request, key string, args ...any) string { return i18n.T(Lang(r), key, args...) }

// IsAPI reports whether r is a JSON API request.
func IsAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// IsJSON reports whether the request body is JSON (Content-Type
// application/json); API handlers read other bodies as forms.
func IsJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}

// PathID reads the path value name as a positive integer id; anything
// else is [ErrNotFound].
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

// FormInt reads the form (or query) value name as an integer; empty is
// def, anything not a number is a bilingual error on that field.
func FormInt(r *http.Request, name string, def int) (int, error) {
	v := strings.TrimSpace(r.FormValue(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, i18n.Errorf("「%s」应为整数：%q", "%s must be a whole number: %q", name, v).OnField(name)
	}
	return n, nil
}

// DecodeJSON decodes the request body (already capped by the core) into
// v, rejecting unknown fields and trailing data with a bilingual error.
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Status{http.StatusRequestEntityTooLarge, "errors.too_large"}
		}
		return i18n.Errorf("请求体不是有效的 JSON：%v", "the request body is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return i18n.Errorf("请求体在 JSON 之后还有内容", "the request body has data after the JSON value")
	}
	return nil
}

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// XLSX writes a one-sheet spreadsheet named filename (ending in .xlsx)
// with a header row and rows, the answer to a list's export link. Text
// that spreadsheet programs would evaluate as a formula is written as text.
func XLSX(w http.ResponseWriter, filename string, header []string, rows [][]any) error {
	var b bytes.Buffer
	if err := spreadsheet.Write(&b, header, rows); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.NewReplacer(`"`, "", "\\", "", "\n", "", "\r", "").Replace(filename)+`"`)
	_, err := w.Write(b.Bytes())
	return err
}

// Redirect answers a successful form post with 303 See Other to target,
// a path built in Go (never a query string copied from input).
func Redirect(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// HasUpload reports whether the multipart form of r carries a file in
// field.
func HasUpload(r *http.Request, field string) bool {
	return r.MultipartForm != nil && len(r.MultipartForm.File[field]) > 0 && r.MultipartForm.File[field][0].Filename != ""
}

// Upload reads the one file of field in the multipart form of r (parsed
// by the core under the route's body cap), at most max bytes, with its
// name. A missing file, one over max and one that did not arrive whole
// are bilingual errors on field.
func Upload(r *http.Request, field string, max int64) (string, []byte, error) {
	if !HasUpload(r, field) {
		return "", nil, i18n.Errorf("请选择要上传的文件", "choose a file to upload").OnField(field)
	}
	fh := r.MultipartForm.File[field][0]
	if fh.Size > max {
		return "", nil, i18n.Errorf("文件 %s 超过 %d MB", "the file %s is larger than %d MB", fh.Filename, max>>20).OnField(field)
	}
	broken := i18n.Errorf("文件 %s 上传不完整，请重新上传", "the file %s did not arrive whole; upload it again", fh.Filename).OnField(field)
	f, err := fh.Open()
	if err != nil {
		return "", nil, broken
	}
	defer f.Close()
	b := make([]byte, fh.Size)
	if _, err := io.ReadFull(f, b); err != nil {
		return "", nil, broken
	}
	return fh.Filename, b, nil
}
