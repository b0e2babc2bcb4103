package webcheck

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/module"
	"zhihui/internal/store"
	dom "zhihui/internal/webcheck"
)

var authzSeq atomic.Int64

// uniq is a name no other matrix request uses.
func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, authzSeq.Add(1)) }

// authzResult is an inspection result with a veto (stale homepage) and a
// broken homepage link, a broken link elsewhere and no site code: four
// defects, four problems.
func authzResult(u string) *dom.Result {
	now := time.Now().UTC()
	r := &dom.Result{URL: u, Started: now.Add(-time.Minute), Finished: now, Pages: 12}
	r.Metrics = map[string]dom.Metric{
		"broken_links_home":  {Value: 1, Known: true, Evidence: []dom.Evidence{{URL: u + "gone.html", Status: 404, Time: now, FoundOn: []string{u}}}},
		"home_stale":         {Value: 1, Known: true, Evidence: []dom.Evidence{{URL: u, Snippet: "最新：2020-01-01"}}},
		"broken_links_other": {Value: 1, Known: true, Evidence: []dom.Evidence{{URL: u + "old/gone.html", Status: 404, Time: now, FoundOn: []string{u + "old/"}}}},
		"missing_site_code":  {Value: 1, Known: true},
	}
	r.Verdict, r.Score = dom.DefaultScheme().Evaluate(r.Metrics)
	return r
}

// authzSetup makes, per caller, a site owned by 郑州市 (inside the
// callers' 4101 grants) and one owned by 开封市 (outside), a round over
// both with a result each, and per site open problems (to fix) and fixed
// problems (to check), one of each for the page and for the API routes.
func authzSetup(ctx context.Context, db *store.DB, f *module.Fixture) error {
	actor := audit.Actor{Name: "authz"}
	var ids []int64
	for _, s := range []struct{ key, org string }{{"in", "4101"}, {"out", "4102"}} {
		u := fmt.Sprintf("http://%s.%s.gov.cn/", uniq("site"), s.key)
		site, err := dom.CreateSite(ctx, db, actor, dom.SiteInput{URL: u, Name: "测试网站" + s.key, Kind: dom.KindCity, OrgCode: s.org}, nil)
		if err != nil {
			return err
		}
		f.IDs[s.key+"Site"] = site.ID
		ids = append(ids, site.ID)
	}
	rd, err := dom.CreateRound(ctx, db, nil, actor, dom.RoundInput{Name: uniq("round"), SiteIDs: ids}, nil)
	if err != nil {
		return err
	}
	f.IDs["round"] = rd.ID
	for _, s := range []string{"in", "out"} {
		site, err := dom.GetSite(ctx, db, f.IDs[s+"Site"])
		if err != nil {
			return err
		}
		insp, err := dom.RecordRoundResult(ctx, db, actor, rd.ID, site.ID, authzResult(site.URL))
		if err != nil {
			return err
		}
		f.IDs[s+"Inspection"] = insp
		ps, err := dom.ListProblems(ctx, db, dom.ProblemFilter{InspectionID: insp})
		if err != nil {
			return err
		}
		if len(ps) < 4 {
			return fmt.Errorf("webcheck authz fixture: %d problems, want 4", len(ps))
		}
		// Separate problems for the page and the API routes.
		f.IDs[s+"Open"], f.IDs[s+"ApiOpen"] = ps[0].ID, ps[2].ID
		f.IDs[s+"Fixed"], f.IDs[s+"ApiFixed"] = ps[1].ID, ps[3].ID
		for _, id := range []int64{ps[1].ID, ps[3].ID} {
			if _, err := dom.UpdateProblem(ctx, db, nil, actor, id, dom.ActionFix, "已整改"); err != nil {
				return err
			}
		}
	}
	return nil
}

// get requests a path with the inside or outside object's id.
func get(format, key string) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		return http.MethodGet, fmt.Sprintf(format, f.IDs[module.Side(inside)+key]), nil
	}
}

func post(format, key string, form func(f *module.Fixture, inside bool) url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		target := format
		if key != "" {
			target = fmt.Sprintf(format, f.IDs[module.Side(inside)+key])
		}
		return http.MethodPost, target, form(f, inside)
	}
}

// seeScoped: any role may look, inside its subtree only.
func seeScoped(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !inside:
			return http.StatusForbidden
		}
		return ok
	}
}

// rolesScoped: only the listed roles, inside only.
func rolesScoped(allowed []auth.Role, ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !slices.Contains(allowed, r), !inside:
			return http.StatusForbidden
		}
		return ok
	}
}

// rolesOnly: only the listed roles; outside objects are a user error
// (status bad) rather than a refusal (site imports report the rows).
func rolesOnly(allowed []auth.Role, ok, bad, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !slices.Contains(allowed, r):
			return http.StatusForbidden
		case !inside:
			return bad
		}
		return ok
	}
}

func newSiteForm(inside bool) url.Values {
	org := "4102"
	if inside {
		org = "410102"
	}
	return url.Values{"name": {"新网站"}, "url": {"http://" + uniq("new") + ".gov.cn/"}, "org_code": {org}, "kind": {"county"}}
}

// authzCases are the module's rows of the authorization matrix. The
// roles are written out here rather than taken from the handlers' lists,
// so that a change to who may do what shows in this table.
func authzCases() []module.AuthzCase {
	// register sites and start rounds
	mgr := []auth.Role{auth.Admin, auth.Office, auth.Evaluator}
	// mark problems fixed for the owner unit
	own := []auth.Role{auth.Admin, auth.Reporter, auth.Approver, auth.Office}
	// close, reopen and re-check fixed problems
	chk := []auth.Role{auth.Admin, auth.Evaluator, auth.Office}
	const ok, see, unauth, created = http.StatusOK, http.StatusSeeOther, http.StatusUnauthorized, http.StatusCreated
	return []module.AuthzCase{
		{Pattern: "GET /webcheck", Request: module.Get("/webcheck"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /webcheck/sites", Request: module.Get("/webcheck/sites?kind=city"), Want: module.LoggedIn(ok, see)},
		{Pattern: "POST /webcheck/sites", Request: post("/webcheck/sites", "", func(_ *module.Fixture, inside bool) url.Values { return newSiteForm(inside) }),
			Want: rolesScoped(mgr, see, unauth)},
		{Pattern: "POST /webcheck/sites/import", Request: post("/webcheck/sites/import", "", func(_ *module.Fixture, inside bool) url.Values {
			v := newSiteForm(inside)
			return url.Values{"csv": {"name,url,owner code,kind\n" + v.Get("name") + "," + v.Get("url") + "," + v.Get("org_code") + ",county\n"}}
		}), Want: rolesOnly(mgr, ok, http.StatusBadRequest, unauth)},
		{Pattern: "GET /webcheck/sites/{id}", Request: get("/webcheck/sites/%d", "Site"), Want: seeScoped(ok, see)},
		{Pattern: "POST /webcheck/sites/{id}", Request: post("/webcheck/sites/%d", "Site", func(f *module.Fixture, inside bool) url.Values {
			org := map[bool]string{true: "4101", false: "4102"}[inside]
			return url.Values{"name": {"改名" + uniq("")}, "url": {"http://" + uniq("edit") + ".gov.cn/"}, "org_code": {org}, "kind": {"city"}}
		}), Want: rolesScoped(mgr, see, unauth)},
		{Pattern: "POST /webcheck/rounds", Request: post("/webcheck/rounds", "", func(f *module.Fixture, inside bool) url.Values {
			return url.Values{"name": {uniq("批次")}, "site_ids": {fmt.Sprint(f.IDs[module.Side(inside)+"Site"])}, "deadline_days": {"20"}}
		}), Want: rolesScoped(mgr, see, unauth)},
		{Pattern: "GET /webcheck/rounds/{id}", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, fmt.Sprintf("/webcheck/rounds/%d", f.IDs["round"]), nil
		}, Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /webcheck/rounds/{id}/export", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, fmt.Sprintf("/webcheck/rounds/%d/export?kind=city", f.IDs["round"]), nil
		}, Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /webcheck/inspections/{id}", Request: get("/webcheck/inspections/%d", "Inspection"), Want: seeScoped(ok, see)},
		{Pattern: "GET /webcheck/inspections/{id}/pdf", Request: get("/webcheck/inspections/%d/pdf", "Inspection"), Want: seeScoped(ok, see)},
		{Pattern: "GET /webcheck/inspections/{id}/xlsx", Request: get("/webcheck/inspections/%d/xlsx", "Inspection"), Want: seeScoped(ok, see)},
		{Pattern: "GET /webcheck/problems", Request: module.Get("/webcheck/problems?overdue=1"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /webcheck/problems/export", Request: module.Get("/webcheck/problems/export?status=pending"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /webcheck/sites/export", Request: module.Get("/webcheck/sites/export?kind=city"), Want: module.LoggedIn(ok, see)},
		// The owner unit marks a problem fixed; evaluators and the office
		// check fixed ones. Both are scoped to the problem's owner unit.
		{Pattern: "POST /webcheck/problems/{id}", Request: post("/webcheck/problems/%d", "Open", func(*module.Fixture, bool) url.Values {
			return url.Values{"action": {"fix"}, "note": {"已更新首页"}}
		}), Want: rolesScoped(own, see, unauth)},
		{Pattern: "POST /webcheck/problems/{id}", Request: post("/webcheck/problems/%d", "Fixed", func(*module.Fixture, bool) url.Values {
			return url.Values{"action": {"close"}, "note": {"复核通过"}}
		}), Want: rolesScoped(chk, see, unauth)},

		{Pattern: "GET /api/v1/webcheck/sites", Request: module.Get("/api/v1/webcheck/sites"), Want: module.LoggedIn(ok, unauth)},
		{Pattern: "POST /api/v1/webcheck/sites", Request: post("/api/v1/webcheck/sites", "", func(_ *module.Fixture, inside bool) url.Values { return newSiteForm(inside) }),
			Want: rolesScoped(mgr, created, unauth)},
		{Pattern: "POST /api/v1/webcheck/rounds", Request: post("/api/v1/webcheck/rounds", "", func(f *module.Fixture, inside bool) url.Values {
			return url.Values{"name": {uniq("批次")}, "site_ids": {fmt.Sprint(f.IDs[module.Side(inside)+"Site"])}}
		}), Want: rolesScoped(mgr, created, unauth)},
		{Pattern: "GET /api/v1/webcheck/rounds/{id}/ranking", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, fmt.Sprintf("/api/v1/webcheck/rounds/%d/ranking", f.IDs["round"]), nil
		}, Want: module.LoggedIn(ok, unauth)},
		{Pattern: "GET /api/v1/webcheck/inspections/{id}", Request: get("/api/v1/webcheck/inspections/%d", "Inspection"), Want: seeScoped(ok, unauth)},
		{Pattern: "GET /api/v1/webcheck/problems", Request: module.Get("/api/v1/webcheck/problems?status=pending"), Want: module.LoggedIn(ok, unauth)},
		{Pattern: "POST /api/v1/webcheck/problems/{id}", Request: post("/api/v1/webcheck/problems/%d", "ApiOpen", func(*module.Fixture, bool) url.Values {
			return url.Values{"action": {"fix"}, "note": {"已修复"}}
		}), Want: rolesScoped(own, ok, unauth)},
		{Pattern: "POST /api/v1/webcheck/problems/{id}", Request: post("/api/v1/webcheck/problems/%d", "ApiFixed", func(*module.Fixture, bool) url.Values {
			return url.Values{"action": {"reopen"}, "note": {"仍存在"}}
		}), Want: rolesScoped(chk, ok, unauth)},
	}
}
