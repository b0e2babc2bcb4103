package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// authzCase is one route exercised by the authorization matrix. req builds
// the request for a caller; inside says whether the object the request
// touches lies in the caller's subtree (郑州市 4101) or outside it (开封市
// 4102). want returns the expected status for a role ("" = anonymous).
type authzCase struct {
	pattern string
	req     func(f *authzFixture, inside bool) (method, target string, form url.Values)
	want    func(role auth.Role, inside bool) int
}

// authzFixture holds per-caller objects the requests refer to. Feature
// tests add theirs to ids (name -> id) through fixtureSetups.
type authzFixture struct {
	inUser, outUser int64
	// obj and ids hold objects that feature setups create, by name.
	obj map[string]string
	ids map[string]int64
	// mods are the modules' fixtures, one per module so that two modules
	// naming an object alike ("decision-in") do not overwrite each other's.
	mods map[string]*module.Fixture
}

// module is f as the module contract's fixture of the module name, with
// the module's own maps.
func (f *authzFixture) module(name string) *module.Fixture {
	if f.mods == nil {
		f.mods = map[string]*module.Fixture{}
	}
	m, ok := f.mods[name]
	if !ok {
		m = &module.Fixture{InUser: f.inUser, OutUser: f.outUser, Obj: map[string]string{}, IDs: map[string]int64{}}
		f.mods[name] = m
	}
	return m
}

// moduleCases are the authorization cases the modules of a server bring
// (module.Module.Authz), and their fixture setups.
func moduleCases(mods []module.Module) ([]authzCase, []func(t *testing.T, e *testEnv, f *authzFixture)) {
	var cases []authzCase
	var setups []func(t *testing.T, e *testEnv, f *authzFixture)
	for _, m := range mods {
		for _, c := range m.Authz {
			req, name := c.Request, m.Name
			cases = append(cases, authzCase{c.Pattern, func(f *authzFixture, inside bool) (string, string, url.Values) {
				return req(f.module(name), inside)
			}, c.Want})
		}
		if m.AuthzSetup != nil {
			setup, name := m.AuthzSetup, m.Name
			setups = append(setups, func(t *testing.T, e *testEnv, f *authzFixture) {
				t.Helper()
				if err := setup(context.Background(), e.db, f.module(name)); err != nil {
					t.Fatalf("%s: authorization fixture: %v", name, err)
				}
			})
		}
	}
	return cases, setups
}

// uncovered lists the patterns without a case, sorted.
func uncovered(patterns []string, cases []authzCase) []string {
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.pattern] = true
	}
	var missing []string
	for _, p := range patterns {
		if !covered[p] {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	return missing
}

// authzSetups (and fixtureSetups) create per-caller objects for feature
// cases after the users above; feature test files append to them.
var authzSetups, fixtureSetups []func(t *testing.T, e *testEnv, f *authzFixture)

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

func get(target string) func(*authzFixture, bool) (string, string, url.Values) {
	return func(*authzFixture, bool) (string, string, url.Values) { return http.MethodGet, target, nil }
}

// Expectation helpers.
func always(code int) func(auth.Role, bool) int { return func(auth.Role, bool) int { return code } }

func loggedIn(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		if r == "" {
			return anon
		}
		return ok
	}
}

// adminScoped: only admins, and only inside their subtree.
func adminScoped(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case r != auth.Admin:
			return http.StatusForbidden
		case !inside:
			return http.StatusForbidden
		}
		return ok
	}
}

func adminOnly(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		switch {
		case r == "":
			return anon
		case r != auth.Admin:
			return http.StatusForbidden
		}
		return ok
	}
}

const (
	ok       = http.StatusOK
	redirect = http.StatusSeeOther
	unauth   = http.StatusUnauthorized
	forbid   = http.StatusForbidden
)

func foundationCases() []authzCase {
	userPath := func(sub string) func(*authzFixture, bool) (string, string, url.Values) {
		return func(f *authzFixture, inside bool) (string, string, url.Values) {
			id := f.outUser
			if inside {
				id = f.inUser
			}
			return http.MethodGet, fmt.Sprintf("/admin/users/%d%s", id, sub), nil
		}
	}
	userPost := func(sub string, form url.Values) func(*authzFixture, bool) (string, string, url.Values) {
		return func(f *authzFixture, inside bool) (string, string, url.Values) {
			_, target, _ := userPath(sub)(f, inside)
			return http.MethodPost, target, form
		}
	}
	grantOrg := func(inside bool) string {
		if inside {
			return "410103"
		}
		return "410203"
	}
	return []authzCase{
		{"GET /healthz", get("/healthz"), always(ok)},
		{"GET /metrics", get("/metrics"), always(http.StatusNotFound)}, // off unless configured
		{"GET /{$}", get("/"), always(ok)},
		{"GET /login", get("/login"), loggedIn(redirect, ok)},
		{"POST /login", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/login", url.Values{"name": {uniq("nobody")}, "password": {"wrong-password"}}
		}, always(unauth)},
		{"POST /logout", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/logout", url.Values{}
		}, loggedIn(redirect, unauth)},
		{"POST /lang", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/lang", url.Values{"lang": {"zh-CN"}, "back": {"/plan"}}
		}, always(redirect)},
		{"GET /account", get("/account"), loggedIn(ok, redirect)},
		{"POST /account/password", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/account/password", url.Values{"old": {"not-the-password"}, "password": {"new-password-1"}, "confirm": {"new-password-1"}}
		}, loggedIn(http.StatusBadRequest, unauth)},
		{"POST /account/notifications", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/account/notifications", url.Values{"email": {""}, "mode_notify.notice": {"inapp"}}
		}, loggedIn(redirect, unauth)},
		// Every account may search; what each finds is scoped (TestSearchScoped).
		{"GET /search", get("/search?q=" + url.QueryEscape("郑州")), loggedIn(ok, redirect)},
		{"GET /orgunits", get("/orgunits?q=" + url.QueryEscape("兰考")), loggedIn(ok, redirect)},
		{"GET /orgunits/{code}", get("/orgunits/410225"), loggedIn(ok, redirect)},
		{"GET /orgunits/{code}/children", get("/orgunits/4101/children"), loggedIn(ok, redirect)},
		{"GET /admin/users", get("/admin/users"), adminOnly(ok, redirect)},
		{"GET /admin/users.xlsx", get("/admin/users.xlsx"), adminOnly(ok, redirect)},
		{"POST /admin/users", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/admin/users", url.Values{"name": {uniq("new")}, "password": {"long-password"}, "role": {"reporter"}, "org": {grantOrg(inside)}}
		}, adminScoped(redirect, unauth)},
		{"GET /admin/users/{id}", userPath(""), adminScoped(ok, redirect)},
		{"POST /admin/users/{id}/grants", func(f *authzFixture, inside bool) (string, string, url.Values) {
			return userPost("/grants", url.Values{"role": {"leader"}, "org": {grantOrg(inside)}})(f, inside)
		}, adminScoped(redirect, unauth)},
		{"POST /admin/users/{id}/grants/delete", userPost("/grants/delete", url.Values{"role": {"approver"}, "org": {"4101"}}), adminScoped(redirect, unauth)},
		{"POST /admin/users/{id}/password", userPost("/password", url.Values{"password": {"reset-password-1"}}), adminScoped(redirect, unauth)},
		{"POST /admin/users/{id}/disabled", userPost("/disabled", url.Values{"disabled": {"false"}}), adminScoped(redirect, unauth)},
		{"GET /admin/audit", get("/admin/audit"), adminOnly(ok, redirect)},
		{"GET /admin/audit.xlsx", get("/admin/audit.xlsx?action=create"), adminOnly(ok, redirect)},
		{"GET /api/v1/me", get("/api/v1/me"), loggedIn(ok, unauth)},
		{"GET /api/v1/orgunits", get("/api/v1/orgunits?parent=4101"), loggedIn(ok, unauth)},
		{"GET /api/v1/orgunits/{code}", get("/api/v1/orgunits/410102"), loggedIn(ok, unauth)},
		{"GET /api/v1/audit", get("/api/v1/audit"), adminOnly(ok, unauth)},
		{"GET /api/v1/openapi.json", get("/api/v1/openapi.json"), always(ok)},
	}
}

// authzCases is every route's case; feature files append theirs.
var authzCases = foundationCases

// TestAuthorizationMatrix walks every route × every role (and anonymous) ×
// an object inside and outside the caller's subtree, and counts the
// responses that differ from the expectation. It also fails when a route
// has no case, so new routes cannot skip the check.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel() // the two stores share nothing
		e := newEnv(t, db)
		cases, setups := allCases(e)
		if missing := uncovered(e.srv.Patterns(), cases); len(missing) > 0 {
			t.Errorf("routes without an authorization case: %s", strings.Join(missing, ", "))
		}
		runMatrix(t, e, cases, setups)
	})
}

// allCases are the package's cases and those of e's modules, with the
// fixture setups they need.
func allCases(e *testEnv) ([]authzCase, []func(t *testing.T, e *testEnv, f *authzFixture)) {
	modCases, modSetups := moduleCases(e.srv.opt.Modules)
	return append(authzCases(), modCases...), append(append(authzSetups, fixtureSetups...), modSetups...)
}

// runMatrix runs cases for every caller (anonymous and each role held at
// 4101), for an object inside and outside the caller's subtree.
func runMatrix(t *testing.T, e *testEnv, cases []authzCase, setups []func(t *testing.T, e *testEnv, f *authzFixture)) {
	t.Helper()
	callers := append([]auth.Role{""}, auth.Roles...)
	violations, checks := 0, 0
	for _, role := range callers {
		// Fresh objects per caller so one caller's writes cannot
		// change another's outcome.
		inU, _ := e.user(t, uniq("in"), auth.Reporter, "410102")
		outU, _ := e.user(t, uniq("out"), auth.Reporter, "410202")
		f := &authzFixture{inUser: inU.ID, outUser: outU.ID, obj: map[string]string{}, ids: map[string]int64{}}
		for _, setup := range setups {
			setup(t, e, f)
		}
		var caller *auth.User
		if role != "" {
			caller, _ = e.user(t, uniq(string(role)), role, "4101")
		}
		// A fresh session per request: some routes (logout, password
		// change) end sessions.
		sessions := e.sessions(t, caller, 2*len(cases))
		for i, tc := range cases {
			for j, inside := range []bool{true, false} {
				c := sessions[2*i+j]
				method, target, form := tc.req(f, inside)
				rec := e.do(t, c, method, target, form)
				checks++
				if want := tc.want(role, inside); rec.Code != want {
					violations++
					who := string(role)
					if who == "" {
						who = "anonymous"
					}
					t.Errorf("%s as %s (inside=%v): %s %s = %d, want %d", tc.pattern, who, inside, method, target, rec.Code, want)
				}
			}
		}
	}
	t.Logf("%d checks, %d violations", checks, violations)
}
