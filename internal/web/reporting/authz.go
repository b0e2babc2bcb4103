package reporting

import (
	"net/http"
	"net/url"
	"sync/atomic"

	"zhihui/internal/auth"
	"zhihui/internal/module"
	"zhihui/internal/period"
)

// The module's rows of the authorization matrix. Callers hold their role
// at 郑州市 4101; "inside" objects lie in 4101, "outside" ones in 开封市
// 4102. The roles each row admits are written out here rather than
// taken from the route table, so that a change to who may do what shows
// in this file too.

var quarterSeq atomic.Int64

// freshQuarter is a quarter no other request used, so that workflow
// requests in the matrix do not see each other's state.
func freshQuarter() string {
	n := int(quarterSeq.Add(1))
	return period.Period{Type: period.Quarter, Year: 1950 + n/4, N: n%4 + 1}.ID()
}

func county(inside bool) string {
	if inside {
		return "410102"
	}
	return "410202"
}

func city(inside bool) string {
	if inside {
		return "4101"
	}
	return "4102"
}

func formPost(path, ds string, extra url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(_ *module.Fixture, inside bool) (string, string, url.Values) {
		q := url.Values{"ds": {ds}, "ou": {county(inside)}, "pe": {freshQuarter()}}
		return http.MethodPost, path + "?" + q.Encode(), extra
	}
}

func getScoped(target func(inside bool) string) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(_ *module.Fixture, inside bool) (string, string, url.Values) {
		return http.MethodGet, target(inside), nil
	}
}

func post(target string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(*module.Fixture, bool) (string, string, url.Values) { return http.MethodPost, target, form }
}

func authzCases() []module.AuthzCase {
	const (
		ok       = http.StatusOK
		redirect = http.StatusSeeOther
		bad      = http.StatusBadRequest
		unauth   = http.StatusUnauthorized
	)
	// Who may do what, written out.
	var (
		viewing   = []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Admin}
		writing   = []auth.Role{auth.Reporter, auth.Admin}
		deciding  = []auth.Role{auth.Approver, auth.Admin}
		reopening = []auth.Role{auth.Approver, auth.Office, auth.Admin}
	)
	// Forms and rules serve the whole province: editing needs office or
	// admin AT the province, which no matrix caller (all at 4101) is.
	notHere := func(anon int) func(auth.Role, bool) int {
		return func(r auth.Role, _ bool) int {
			if r == "" {
				return anon
			}
			return http.StatusForbidden
		}
	}
	// Valid payloads, so that a missing check would show as a redirect.
	ds := url.Values{"code": {"AUTHZ_DS"}, "name": {"测试表单"}, "period_type": {"yearly"}, "org_kinds": {"county"}, "due_days": {"20"}, "elements": {"ADMIN_VILLAGES"}}
	rule := url.Values{"code": {"AUTHZ_RULE"}, "name": {"测试规则"}, "left": {"#{ADMIN_VILLAGES_BB}"}, "op": {"<="}, "right": {"#{ADMIN_VILLAGES}"},
		"importance": {"low"}, "message_zh": {"测试"}, "period_type": {"yearly"}}
	return []module.AuthzCase{
		{Pattern: "GET /reporting", Request: module.Get("/reporting"), Want: module.AnyRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/form", Request: getScoped(func(in bool) string { return "/reporting/form?ds=COUNTY_ANNUAL&pe=2019&ou=" + county(in) }),
			Want: module.ScopedRole(ok, redirect, viewing...)},
		{Pattern: "POST /reporting/form", Request: formPost("/reporting/form", "COUNTY_QUARTERLY", url.Values{"v_COUNTY_IT_INVEST": {"12.5"}}),
			Want: module.ScopedRole(redirect, unauth, writing...)},
		{Pattern: "POST /reporting/form/check", Request: post("/reporting/form/check?ds=COUNTY_ANNUAL&el=ADMIN_VILLAGES", url.Values{"v_ADMIN_VILLAGES": {"12"}}),
			Want: module.AnyRole(ok, unauth, writing...)},
		{Pattern: "POST /reporting/form/submit", Request: formPost("/reporting/form/submit", "COUNTY_QUARTERLY", url.Values{}),
			Want: module.ScopedRole(redirect, unauth, writing...)},
		// Nothing was submitted for a fresh quarter: an authorised
		// decision is a 400, an unauthorised one a 403.
		{Pattern: "POST /reporting/form/decide", Request: formPost("/reporting/form/decide", "COUNTY_QUARTERLY", url.Values{"action": {"approve"}}),
			Want: module.ScopedRole(bad, unauth, deciding...)},
		{Pattern: "POST /reporting/form/reopen", Request: formPost("/reporting/form/reopen", "COUNTY_QUARTERLY", url.Values{"comment": {"口径调整"}}),
			Want: module.ScopedRole(bad, unauth, reopening...)},
		{Pattern: "GET /reporting/queue", Request: getScoped(func(in bool) string { return "/reporting/queue?state=all&ou=" + county(in) }),
			Want: module.ScopedRole(ok, redirect, deciding...)},
		{Pattern: "GET /reporting/queue.xlsx", Request: getScoped(func(in bool) string { return "/reporting/queue.xlsx?ou=" + county(in) }),
			Want: module.ScopedRole(ok, redirect, deciding...)},
		// Nothing was submitted for a fresh quarter: inside, the queue
		// lists the report as refused with its reason; outside, 403.
		{Pattern: "POST /reporting/queue/approve", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/queue/approve", url.Values{"item": {"COUNTY_QUARTERLY|" + county(inside) + "|" + freshQuarter()}, "comment": {"同意"}}
		}, Want: module.ScopedRole(ok, unauth, deciding...)},
		{Pattern: "GET /reporting/validation", Request: getScoped(func(in bool) string { return "/reporting/validation?ou=" + city(in) }),
			Want: module.ScopedRole(ok, redirect, viewing...)},
		{Pattern: "POST /reporting/validation", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/validation", url.Values{"ou": {city(inside)}, "ds": {"COUNTY_ANNUAL"}, "from": {"2019"}, "to": {"2019"}}
		}, Want: module.ScopedRole(ok, unauth, viewing...)},
		{Pattern: "GET /reporting/outliers", Request: getScoped(func(in bool) string { return "/reporting/outliers?el=ADMIN_VILLAGES&ou=" + city(in) }),
			Want: module.ScopedRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/completeness", Request: getScoped(func(in bool) string { return "/reporting/completeness?ds=COUNTY_ANNUAL&pe=2019&ou=" + city(in) }),
			Want: module.ScopedRole(ok, redirect, viewing...)},
		{Pattern: "POST /reporting/remind", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/remind", url.Values{"ou": {city(inside)}, "ds": {"COUNTY_ANNUAL"}, "pe": {"2019"}}
		}, Want: module.ScopedRole(redirect, unauth, reopening...)},
		{Pattern: "GET /reporting/units", Request: module.Get("/reporting/units?q=" + url.QueryEscape("中原")), Want: module.AnyRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/units/{code}", Request: getScoped(func(in bool) string { return "/reporting/units/" + county(in) }),
			Want: module.ScopedRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/periods", Request: module.Get("/reporting/periods?ds=VILLAGE_MONTHLY"), Want: module.AnyRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/datasets", Request: module.Get("/reporting/datasets"), Want: module.AnyRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/datasets/new", Request: module.Get("/reporting/datasets/new"), Want: notHere(redirect)},
		{Pattern: "POST /reporting/datasets", Request: post("/reporting/datasets", ds), Want: notHere(unauth)},
		{Pattern: "GET /reporting/datasets/{code}", Request: module.Get("/reporting/datasets/COUNTY_ANNUAL"), Want: notHere(redirect)},
		{Pattern: "POST /reporting/datasets/{code}", Request: post("/reporting/datasets/COUNTY_QUARTERLY", url.Values{"name": {"改名"}, "period_type": {"quarterly"},
			"org_kinds": {"county"}, "due_days": {"10"}, "elements": {"COUNTY_IT_INVEST"}}), Want: notHere(unauth)},
		{Pattern: "GET /reporting/rules", Request: module.Get("/reporting/rules"), Want: module.AnyRole(ok, redirect, viewing...)},
		{Pattern: "GET /reporting/rules/new", Request: module.Get("/reporting/rules/new"), Want: notHere(redirect)},
		{Pattern: "POST /reporting/rules", Request: post("/reporting/rules", rule), Want: notHere(unauth)},
		{Pattern: "GET /reporting/rules/{code}", Request: module.Get("/reporting/rules/VILLAGES_BB_LE_VILLAGES"), Want: notHere(redirect)},
		{Pattern: "POST /reporting/rules/{code}", Request: post("/reporting/rules/VILLAGES_BB_LE_VILLAGES", rule), Want: notHere(unauth)},
		{Pattern: "POST /reporting/rules/check", Request: post("/reporting/rules/check?side=left", url.Values{"left": {"#{ADMIN_VILLAGES}"}}), Want: notHere(unauth)},
		{Pattern: "GET /api/v1/progress", Request: module.Get("/api/v1/progress?ou=4101"), Want: module.LoggedIn(ok, unauth)},
		{Pattern: "GET /api/v1/public/progress", Request: module.Get("/api/v1/public/progress"), Want: module.Always(ok)},
	}
}
