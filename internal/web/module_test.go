package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/module"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/web/kit"
)

// probeModule is a module that exists only in this test: one table, a
// page rendered from its own templates inside the shared layout, an API
// route, a menu entry, catalogue messages, API documentation and its
// authorization cases. It shows that a feature is added by listing its
// Module value, without touching the core.
func probeModule() module.Module {
	return module.Module{
		Name: "probe",
		Schemas: []store.Schema{{Component: "probe", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE probe_note (
	id {{ID}},
	org_path TEXT NOT NULL,
	body TEXT NOT NULL
);`}}}},
		Catalog: fstest.MapFS{"probe.json": {Data: []byte(`{
			"probe.nav": {"zh": "探针", "en": "Probe"},
			"probe.title": {"zh": "探针笔记", "en": "Probe notes"}
		}`)}},
		Nav: []module.Nav{{Key: "probe", Href: "/probe", Label: "probe.nav", Roles: []auth.Role{auth.Office}, Order: 65}},
		API: map[string]string{"POST /api/v1/probe/notes": "Add a probe note {org, body} within the caller's units (office)"},
		Routes: func(k *kit.Kit) ([]kit.Route, error) {
			pages, err := k.Pages(fstest.MapFS{
				"templates/_count.html": {Data: []byte(`{{define "count"}}<p id="count">{{.}}</p>{{end}}`)},
				"templates/notes.html":  {Data: []byte(`{{define "content"}}<h1>{{.Title}}</h1>{{template "count" .Data}}{{end}}`)},
			}, "templates")
			if err != nil {
				return nil, err
			}
			office := []auth.Role{auth.Office, auth.Admin}
			return []kit.Route{
				{Pattern: "GET /probe", Access: kit.Roles, Roles: office, Handler: func(w http.ResponseWriter, r *http.Request) error {
					var n int
					err := k.DB.R.QueryRowContext(r.Context(), `SELECT COUNT(*) FROM probe_note`).Scan(&n)
					if err != nil {
						return err
					}
					return k.Render(w, r, pages, "notes", http.StatusOK, kit.View{Title: kit.T(r, "probe.title"), Nav: "probe", Data: n})
				}},
				{Pattern: "POST /api/v1/probe/notes", Access: kit.Roles, Roles: office, BodyLimit: 1 << 10, Handler: func(w http.ResponseWriter, r *http.Request) error {
					var in struct{ Org, Body string }
					if err := kit.DecodeJSON(r, &in); err != nil {
						return err
					}
					if in.Body == "" {
						return i18n.Errorf("笔记不能为空", "the note is empty").OnField("body")
					}
					u, err := orgunit.Get(r.Context(), k.DB, in.Org)
					if err != nil {
						return err // store.ErrNotFound → 404
					}
					if !kit.Principal(r).Covers(u.Path, auth.Office) {
						return kit.ErrForbidden
					}
					if _, err := k.DB.W.ExecContext(r.Context(), k.DB.Rebind(`INSERT INTO probe_note (org_path, body) VALUES ($1, $2)`), u.Path, in.Body); err != nil {
						return err
					}
					return kit.JSON(w, http.StatusCreated, map[string]string{"org": u.Code})
				}},
			}, nil
		},
		Authz: []module.AuthzCase{
			{Pattern: "GET /probe", Request: module.Get("/probe"), Want: module.AnyRole(ok, redirect, auth.Office, auth.Admin)},
			{Pattern: "POST /api/v1/probe/notes", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
				org := "4102"
				if inside {
					org = "4101"
				}
				return http.MethodPost, "/api/v1/probe/notes", url.Values{jsonBody: {`{"org":"` + org + `","body":"笔记"}`}}
			}, Want: module.ScopedRole(http.StatusCreated, unauth, auth.Office, auth.Admin)},
		},
	}
}

// TestModuleContract registers the test-only probe module next to the
// core and checks that everything the contract promises is derived from
// the one Module value: its table, routes (with the access rule, the
// body cap and the error answers of the core), menu entry, catalogue,
// OpenAPI entry and authorization cases.
func TestModuleContract(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		probe := probeModule()
		e := newEnvWith(t, db, []module.Module{probe})

		// schema: migrated with the core's tables
		if _, err := db.W.Exec(`INSERT INTO probe_note (org_path, body) VALUES ('/41/', 'x')`); err != nil {
			t.Fatalf("probe table: %v", err)
		}
		// routes: in the table, every one with an authorization case
		if !strings.Contains(strings.Join(e.srv.Patterns(), "\n"), "GET /probe") {
			t.Fatal("GET /probe not registered")
		}
		cases, setups := moduleCases(e.srv.opt.Modules)
		var mine []string
		for _, p := range e.srv.Patterns() {
			if strings.Contains(p, "probe") {
				mine = append(mine, p)
			}
		}
		if m := uncovered(mine, cases); len(m) > 0 {
			t.Errorf("probe routes without a case: %v", m)
		}
		if m := uncovered(mine, nil); len(m) != 2 {
			t.Errorf("a module without cases should leave 2 routes uncovered, got %v", m)
		}

		// page and menu: the office sees the entry (marked current on its
		// page) and the page in the layout; a reporter does not
		_, office := e.user(t, uniq("office"), auth.Office, "4101")
		rec := e.do(t, office, http.MethodGet, "/probe", nil)
		body := rec.Body.String()
		if rec.Code != ok || !strings.Contains(body, `<h1>探针笔记</h1>`) || !strings.Contains(body, `<p id="count">1</p>`) {
			t.Fatalf("probe page %d: %s", rec.Code, body)
		}
		if !strings.Contains(body, `<a href="/probe" aria-current="page">探针</a>`) {
			t.Error("menu entry missing or not current on its page")
		}
		_, reporter := e.user(t, uniq("reporter"), auth.Reporter, "410102")
		if home := e.do(t, reporter, http.MethodGet, "/", nil).Body.String(); strings.Contains(home, `href="/probe"`) {
			t.Error("reporter sees the office's menu entry")
		}
		if home := e.do(t, office, http.MethodGet, "/", nil).Body.String(); !strings.Contains(home, `href="/probe"`) {
			t.Error("office does not see the menu entry on the home page")
		}

		// errors: one place answers them, bilingual
		for _, c := range []struct {
			body string
			code int
			want string
		}{
			{`{"org":"4101","body":""}`, http.StatusBadRequest, "the note is empty"},
			{`{"org":"4199999","body":"x"}`, http.StatusNotFound, "errors.not_found"},
			{`{"org":"4101","body":"x","extra":1}`, http.StatusBadRequest, "not valid JSON"},
			{`{"org":"4101","body":"` + strings.Repeat("长", 1000) + `"}`, http.StatusRequestEntityTooLarge, "errors.too_large"},
		} {
			rec := e.do(t, office, http.MethodPost, "/api/v1/probe/notes", url.Values{jsonBody: {c.body}})
			if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
				t.Errorf("POST %.40s: %d %s, want %d with %q", c.body, rec.Code, rec.Body, c.code, c.want)
			}
		}

		// OpenAPI: the module's summary
		rec = e.do(t, client{}, http.MethodGet, "/api/v1/openapi.json", nil)
		var doc struct {
			Paths map[string]map[string]struct{ Summary string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if got := doc.Paths["/api/v1/probe/notes"]["post"].Summary; got != probe.API["POST /api/v1/probe/notes"] {
			t.Errorf("OpenAPI summary %q", got)
		}

		// the matrix: every role, inside and outside the subtree
		runMatrix(t, e, cases, setups)
	})
}

// TestModuleCheck refuses contract violations at start.
func TestModuleCheck(t *testing.T) {
	p := probeModule()
	dup := probeModule()
	if err := module.Check([]module.Module{p, dup}); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate module: %v", err)
	}
	bad := probeModule()
	bad.Name = "other"
	bad.API = map[string]string{"GET /probe": "not an API route"}
	if err := module.Check([]module.Module{p, bad}); err == nil || !strings.Contains(err.Error(), "owned by both") || !strings.Contains(err.Error(), "not an API route") {
		t.Errorf("shared schema / bad API doc: %v", err)
	}
	broken := probeModule()
	broken.Name = "broken"
	broken.Schemas = nil
	broken.Catalog = nil
	broken.Routes = func(k *kit.Kit) ([]kit.Route, error) {
		_, err := k.Pages(fstest.MapFS{"t/x.html": {Data: []byte(`{{define "content"}}{{.Nope`)}}, "t")
		return nil, err
	}
	if _, err := New(nil, nil, Options{Modules: []module.Module{broken}}); err == nil {
		t.Error("a broken template did not fail the start")
	}
	// a page calling a partial the module does not have (as when go:embed
	// without "all:" leaves out the "_" files) fails the start too
	broken.Routes = func(k *kit.Kit) ([]kit.Route, error) {
		_, err := k.Pages(fstest.MapFS{"t/x.html": {Data: []byte(`{{define "content"}}{{if .Data}}{{template "gone" .}}{{end}}{{end}}`)}}, "t")
		return nil, err
	}
	if _, err := New(nil, nil, Options{Modules: []module.Module{broken}}); err == nil || !strings.Contains(err.Error(), `gone`) {
		t.Errorf("a call of a missing partial did not fail the start: %v", err)
	}
}
