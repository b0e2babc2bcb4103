package web

import (
	"net/http"
	"net/url"

	"zhihui/internal/auth"
)

func init() {
	prev := authzCases
	authzCases = func() []authzCase { return append(prev(), monitorCases()...) }
}

// unitCode is an org unit inside the matrix caller's subtree (郑州市 4101)
// or outside it (开封市 4102).
func unitCode(inside bool) string {
	if inside {
		return "410102"
	}
	return "410202"
}

// anyRole: the route's role gate admits one of roles; others get 403.
func anyRole(ok, anon int, rs ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		if r == "" {
			return anon
		}
		for _, x := range rs {
			if r == x {
				return ok
			}
		}
		return forbid
	}
}

// scopedRole: one of roles, and only inside the caller's subtree.
func scopedRole(ok, anon int, rs ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		got := anyRole(ok, anon, rs...)(r, inside)
		if got == ok && !inside {
			return forbid
		}
		return got
	}
}

// insideOnly: any logged-in user, inside their subtree only.
func insideOnly(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !inside:
			return forbid
		}
		return ok
	}
}

func monitorCases() []authzCase {
	// The catalogue serves the whole province: editing needs office or
	// admin AT the province, which no matrix caller (all at 4101) is.
	notHere := func(r auth.Role, _ bool) int {
		if r == "" {
			return redirect
		}
		return forbid
	}
	notHerePost := func(r auth.Role, b bool) int {
		if r == "" {
			return unauth
		}
		return notHere(r, b)
	}
	post := func(target string, form url.Values) func(*authzFixture, bool) (string, string, url.Values) {
		return func(*authzFixture, bool) (string, string, url.Values) { return http.MethodPost, target, form }
	}
	element := url.Values{"code": {"AUTHZ_EL"}, "name": {"测试"}, "value_type": {"integer"}, "aggregation": {"sum"}, "period_type": {"yearly"}}
	return []authzCase{
		{"GET /monitor", get("/monitor"), loggedIn(ok, redirect)},
		{"GET /monitor/elements", get("/monitor/elements"), loggedIn(ok, redirect)},
		{"GET /monitor/elements/new", get("/monitor/elements/new"), notHere},
		{"POST /monitor/elements", post("/monitor/elements", element), notHerePost},
		{"GET /monitor/elements/{code}", get("/monitor/elements/BB_URBAN_CAP"), notHere},
		{"POST /monitor/elements/{code}", post("/monitor/elements/BB_URBAN_CAP", element), notHerePost},
		{"GET /monitor/indicators", get("/monitor/indicators"), loggedIn(ok, redirect)},
		{"GET /monitor/indicators/new", get("/monitor/indicators/new"), notHere},
		{"POST /monitor/indicators", post("/monitor/indicators", url.Values{"code": {"AUTHZ_IND"}, "formula": {"1"}}), notHerePost},
		{"GET /monitor/indicators/{code}", get("/monitor/indicators/BB_URBAN_CAP"), notHere},
		{"POST /monitor/indicators/{code}", post("/monitor/indicators/BB_URBAN_CAP", url.Values{"formula": {"1"}}), notHerePost},
		{"POST /monitor/formula/check", post("/monitor/formula/check", url.Values{"formula": {"#{BB_URBAN_SUBS} * 2"}}), notHerePost},
		{"GET /monitor/import", get("/monitor/import"), anyRole(ok, redirect, auth.Reporter, auth.Office, auth.Admin)},
		// No file: the reporter gets a clear 400, everyone else is stopped before.
		{"POST /monitor/import", post("/monitor/import", url.Values{}), anyRole(http.StatusBadRequest, unauth, auth.Reporter, auth.Office, auth.Admin)},
		{"POST /monitor/import/confirm", post("/monitor/import/confirm", url.Values{"token": {"nope"}}), anyRole(http.StatusBadRequest, unauth, auth.Reporter, auth.Office, auth.Admin)},
		// only the office maps columns (an invalid mapping: 400 for them)
		{"POST /monitor/import/mapping", post("/monitor/import/mapping", url.Values{"template": {"short"}, "label": {"x"}, "element": {"NOPE"}}), anyRole(http.StatusBadRequest, unauth, auth.Office, auth.Admin)},
		{"GET /monitor/template", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/monitor/template?dx=BB_URBAN_CAP&pe=2015&ou=" + unitCode(inside), nil
		}, scopedRole(ok, redirect, auth.Reporter, auth.Office, auth.Admin)},
		{"GET /monitor/export", get("/monitor/export"), loggedIn(ok, redirect)},
		{"GET /monitor/export/download", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/monitor/export/download?kind=values&format=csv&dx=BB_URBAN_CAP&pe=2015&ou=" + unitCode(inside), nil
		}, insideOnly(ok, redirect)},
		// Unpublished data: logged-in users inside their subtree only;
		// nobody outside, not even as the public.
		{"GET /api/v1/analytics", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/api/v1/analytics?dx=VILLAGE_BB_SUBS&pe=2015&ou=" + unitCode(inside), nil
		}, insideOnly(ok, forbid)},
		{"GET /api/v1/dataValueSets", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/api/v1/dataValueSets?dataElement=BB_URBAN_CAP&period=2015&orgUnit=" + unitCode(inside), nil
		}, insideOnly(ok, unauth)},
		{"POST /api/v1/dataValueSets", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			body := `{"dataValues":[{"dataElement":"BB_URBAN_CAP","orgUnit":"` + unitCode(inside) + `","period":"2015","value":"30"}]}`
			return http.MethodPost, "/api/v1/dataValueSets?dryRun=true", url.Values{jsonBody: {body}}
		}, scopedRole(ok, unauth, auth.Reporter, auth.Office, auth.Admin)},
		{"GET /api/v1/dataElements", get("/api/v1/dataElements"), loggedIn(ok, unauth)},
		{"GET /api/v1/indicators", get("/api/v1/indicators"), loggedIn(ok, unauth)},
	}
}
