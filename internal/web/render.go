package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/measure"
	"zhihui/internal/neterr"
	"zhihui/internal/notify"
	"zhihui/internal/period"
	"zhihui/internal/web/kit"
)

//go:embed all:templates
var templateFS embed.FS

// pages holds one template set per page: the layout, the shared partials
// (files starting with "_") and the page itself.
type pages struct {
	sets map[string]*template.Template
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"t":        func(lang, key string, args ...any) string { return i18n.T(lang, key, args...) },
		"tx":       func(lang string, t i18n.Text) string { return t.In(lang) },
		"roleName": func(lang string, r auth.Role) string { return auth.RoleNames[r].In(lang) },
		"isEn":     func(lang string) bool { return strings.HasPrefix(lang, "en") },
		// neterr says a network error in words (package neterr).
		"neterr": func(lang, err string) string { return neterr.Words(err).In(lang) },
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
		"jsonAttr": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(period.Shanghai).Format("2006-01-02 15:04")
		},
		"num": func(v any) string {
			switch n := v.(type) {
			case int:
				return formatNumber(float64(n))
			case int64:
				return formatNumber(float64(n))
			case float64:
				return formatNumber(n)
			case *float64:
				if n == nil {
					return "—"
				}
				return formatNumber(*n)
			}
			return fmt.Sprint(v)
		},
		// qty writes a quantity with its unit, val without it, the way
		// package measure writes every quantity (thousands separators,
		// counts whole, money with two decimals, percentages with one).
		"qty": func(v any, unit string) string {
			f, ok := toFloat(v)
			if !ok {
				return "—"
			}
			return measure.With(f, unit)
		},
		"val": func(v any, unit string) string {
			f, ok := toFloat(v)
			if !ok {
				return "—"
			}
			return measure.Value(f, unit)
		},
		// share caps a forecast of a percentage quantity to 0–100.
		"share": func(v any, unit string) float64 {
			f, _ := toFloat(v)
			return measure.Share(f, unit)
		},
		"progress": measure.Progress,
		// dict builds a map for passing several values to a template.
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
		"add": func(a, b int) int { return a + b },
		// query encodes key/value pairs (empty values left out) as a query
		// string; it is a template.URL so that html/template, which would
		// percent-encode "=" and "&" in a plain string after "?", keeps them.
		"query": func(kv ...string) template.URL {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					v.Set(kv[i], kv[i+1])
				}
			}
			return template.URL(v.Encode())
		},
		"contains": strings.Contains,
		// year renders a forecast year as the calendar year in which it
		// falls (2023.06 is during 2023), without digit grouping.
		"year": func(v any) string {
			switch y := v.(type) {
			case float64:
				return strconv.Itoa(int(math.Floor(y)))
			case *float64:
				if y == nil {
					return "—"
				}
				return strconv.Itoa(int(math.Floor(*y)))
			case int:
				return strconv.Itoa(y)
			}
			return fmt.Sprint(v)
		},
		"pct": func(f float64) string { return fmt.Sprintf("%.1f%%", f) },
		// evaluation module: engine scores (NaN = missing) and bilingual labels
		"score": fmtValue,
		"etx": func(lang string, t i18n.Text) string {
			if strings.HasPrefix(lang, "en") && t.En != "" {
				return t.En
			}
			return t.Zh
		},
		"derefT": func(t *time.Time) time.Time { return *t },
		"levels": func() []int { return []int{2, 3, 4, 5} },
	}
}

// formatNumber writes a number without a unit: thousands separators, at
// most two decimals (package measure).
func formatNumber(v float64) string { return measure.Number(v, -2) }

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, !math.IsNaN(n)
	case *float64:
		if n == nil || math.IsNaN(*n) {
			return 0, false
		}
		return *n, true
	}
	return 0, false
}

// layoutFiles are the layout and the shared partials every page set
// starts from, core pages and feature pages alike.
func layoutFiles() ([]string, error) {
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	return append([]string{"templates/layout.html"}, partials...), nil
}

// parseFeature parses a feature's template files from fsys on top of
// the layout and the shared partials (kit.Core.Parse).
func (s *Server) parseFeature(fsys fs.FS, files ...string) (*template.Template, error) {
	base, err := layoutFiles()
	if err != nil {
		return nil, err
	}
	t, err := template.New("layout.html").Funcs(funcs()).ParseFS(templateFS, base...)
	if err != nil {
		return nil, err
	}
	return t.ParseFS(fsys, files...)
}

// renderFeature renders a feature page set (kit.Core.Render).
func (s *Server) renderFeature(w http.ResponseWriter, r *http.Request, set *template.Template, status int, v kit.View) {
	pg := s.page(r, v.Nav, v.Data)
	pg.Title, pg.Error, pg.Errors = v.Title, v.Error, v.Errors
	if v.Flash != "" {
		pg.Flash = v.Flash
	}
	s.renderSet(w, r, set, "feature page", status, pg)
}

func loadPages() (*pages, error) {
	all, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	sub, _ := fs.Glob(templateFS, "templates/*/*.html")
	all = append(all, sub...)
	var partials, pageFiles []string
	for _, f := range all {
		base := path.Base(f)
		switch {
		case base == "layout.html":
		case strings.HasPrefix(base, "_"):
			partials = append(partials, f)
		default:
			pageFiles = append(pageFiles, f)
		}
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, f := range pageFiles {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		files := append([]string{"templates/layout.html"}, partials...)
		files = append(files, f)
		t, err := template.New("layout.html").Funcs(funcs()).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// Page is what every template receives.
type Page struct {
	Lang      string
	Title     string
	Nav       string
	User      *auth.User
	Principal *auth.Principal
	CSRF      string
	Path      string
	Demo      bool
	Flash     string
	Error     string
	Errors    []*i18n.Error
	Menu      []navItem
	Data      any

	// unread counts the user's unread notifications; nil for visitors.
	unread     func() int
	unreadDone bool
	unreadN    int
}

// Unread is the user's unread notification count for the top bar, read
// with one indexed query the first time the layout asks for it (never
// for htmx partials, which do not render the top bar).
func (p *Page) Unread() int {
	if p.unread == nil {
		return 0
	}
	if !p.unreadDone {
		p.unreadN, p.unreadDone = p.unread(), true
	}
	return p.unreadN
}

func (s *Server) page(r *http.Request, nav string, data any) *Page {
	p := principal(r)
	pg := &Page{
		Lang: lang(r), Nav: nav, User: p.User, Principal: p, CSRF: session(r).csrf,
		Path: r.URL.Path, Demo: s.opt.Demo, Data: data, Flash: r.URL.Query().Get("flash"), Menu: s.menu(p),
	}
	if p.Authenticated() {
		ctx, id := r.Context(), p.User.ID
		pg.unread = func() int {
			n, err := notify.Unread(ctx, s.db, id)
			if err != nil {
				s.log.Warn("unread notifications", "user", id, "err", err)
				return 0
			}
			return n
		}
	}
	return pg
}

// render writes a full page, or just its "content" block for htmx
// requests that target the main area.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, status int, pg *Page) {
	t, ok := s.pages.sets[name]
	if !ok {
		s.log.Error("unknown template", "name", name)
		http.Error(w, "template not found", http.StatusInternalServerError)
		return
	}
	s.renderSet(w, r, t, name, status, pg)
}

// renderSet executes the layout of t (or its "partial" block for htmx).
func (s *Server) renderSet(w http.ResponseWriter, r *http.Request, t *template.Template, name string, status int, pg *Page) {
	block := "layout.html"
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") != "" && r.Header.Get("HX-Boosted") != "true" {
		if t.Lookup("partial") != nil {
			block = "partial"
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, pg); err != nil {
		s.log.Error("render", "template", name, "err", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "HX-Request")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// lang is the request's language: the user's setting, then the language
// cookie, then Accept-Language.
func lang(r *http.Request) string { return kit.Lang(r) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// writeJSON writes v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// apiError is the JSON shape of every API error.
type apiError struct {
	Status  int           `json:"status"`
	Code    string        `json:"code"`
	Message string        `json:"message"`
	Zh      string        `json:"message_zh"`
	En      string        `json:"message_en"`
	Errors  []*i18n.Error `json:"errors,omitempty"`
}

// deny answers a refused request: JSON for the API, a page otherwise.
func (s *Server) deny(w http.ResponseWriter, r *http.Request, status int, key string) {
	c, _ := i18n.Catalog()
	t := c[key]
	if isAPI(r) || strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, status, apiError{Status: status, Code: key, Message: t.In(lang(r)), Zh: t.Zh, En: t.En})
		return
	}
	pg := s.page(r, "", nil)
	pg.Title = i18n.T(pg.Lang, "errors.title")
	pg.Error = t.In(pg.Lang)
	s.render(w, r, "error", status, pg)
}

// fail is the one place an error becomes an answer: a refusal
// (kit.Status, store.ErrNotFound) with its status and message, a user
// error (i18n.Error) as 400 with its message, anything else as 500 with
// the details logged, not shown.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if st, ok := kit.StatusOf(err); ok {
		s.deny(w, r, st.Code, st.Key)
		return
	}
	if ue, ok := kit.UserError(err); ok {
		if isAPI(r) || strings.Contains(r.Header.Get("Accept"), "application/json") {
			all := []*i18n.Error{ue}
			var es i18n.Errors
			if errors.As(err, &es) && len(es) > 0 {
				all = es // every problem of a form or file
			}
			writeJSON(w, http.StatusBadRequest, apiError{Status: 400, Code: "invalid", Message: ue.Message(lang(r)), Zh: ue.Message("zh-CN"), En: ue.Message("en"), Errors: all})
			return
		}
		pg := s.page(r, "", nil)
		pg.Title = i18n.T(pg.Lang, "errors.title")
		pg.Error = ue.Message(pg.Lang)
		s.render(w, r, "error", http.StatusBadRequest, pg)
		return
	}
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.deny(w, r, http.StatusInternalServerError, "errors.internal")
}

// fmtValue renders an engine score (NaN: missing) with one decimal.
func fmtValue(v evaluate.Value) string {
	if v.IsMissing() || math.IsInf(float64(v), 0) {
		return "—"
	}
	return fmt.Sprintf("%.1f", math.Round(float64(v)*10)/10+0) // +0: no "-0.0"
}
