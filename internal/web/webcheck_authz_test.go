package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/webcheck"
)

func init() {
	prev := authzCases
	authzCases = func() []authzCase { return append(prev(), webcheckCases()...) }
	fixtureSetups = append(fixtureSetups, webcheckFixture)
}

// wcResult is an inspection result with a veto (stale homepage) and a
// broken homepage link: it raises four problems.
func wcResult(u string) *webcheck.Result {
	now := time.Now().UTC()
	r := &webcheck.Result{URL: u, Started: now.Add(-time.Minute), Finished: now, Pages: 12}
	r.Metrics = map[string]webcheck.Metric{
		"broken_links_home": {Value: 1, Known: true, Evidence: []webcheck.Evidence{{URL: u + "gone.html", Status: 404, Time: now, FoundOn: []string{u}}}},
		"home_stale":        {Value: 1, Known: true, Evidence: []webcheck.Evidence{{URL: u, Snippet: "最新：2020-01-01"}}},
	}
	r.Verdict, r.Score = webcheck.DefaultScheme().Evaluate(r.Metrics)
	return r
}

// webcheckFixture makes, per caller, a site owned by 郑州市 (inside the
// callers' 4101 grants) and one owned by 开封市 (outside), a round over
// both with a result each, and per site open problems (to fix) and fixed
// problems (to check), one of each for the page and for the API routes.
func webcheckFixture(t *testing.T, e *testEnv, f *authzFixture) {
	ctx := context.Background()
	actor := audit.Actor{Name: "test"}
	var ids []int64
	for _, side := range []struct{ key, org string }{{"in", "4101"}, {"out", "4102"}} {
		u := fmt.Sprintf("http://%s.%s.gov.cn/", uniq("site"), side.key)
		site, err := webcheck.CreateSite(ctx, e.db, actor, webcheck.SiteInput{URL: u, Name: "测试网站" + side.key, Kind: webcheck.KindCity, OrgCode: side.org}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.ids[side.key+"Site"] = site.ID
		ids = append(ids, site.ID)
	}
	rd, err := webcheck.CreateRound(ctx, e.db, actor, webcheck.RoundInput{Name: uniq("round"), SiteIDs: ids}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.ids["round"] = rd.ID
	for _, side := range []string{"in", "out"} {
		site, _ := webcheck.GetSite(ctx, e.db, f.ids[side+"Site"])
		insp, err := webcheck.RecordRoundResult(ctx, e.db, actor, rd.ID, site.ID, wcResult(site.URL))
		if err != nil {
			t.Fatal(err)
		}
		f.ids[side+"Inspection"] = insp
		ps, err := webcheck.ListProblems(ctx, e.db, webcheck.ProblemFilter{InspectionID: insp})
		if err != nil || len(ps) != 4 {
			t.Fatalf("fixture problems %d %v", len(ps), err)
		}
		// Separate problems for the page and the API routes.
		f.ids[side+"Open"], f.ids[side+"ApiOpen"] = ps[0].ID, ps[2].ID
		f.ids[side+"Fixed"], f.ids[side+"ApiFixed"] = ps[1].ID, ps[3].ID
		for _, id := range []int64{ps[1].ID, ps[3].ID} {
			if _, err := webcheck.UpdateProblem(ctx, e.db, actor, id, webcheck.ActionFix, "已整改"); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// wcGet requests a path with the inside or outside object's id.
func wcGet(format, key string) func(*authzFixture, bool) (string, string, url.Values) {
	return func(f *authzFixture, inside bool) (string, string, url.Values) {
		return http.MethodGet, fmt.Sprintf(format, f.ids[side(inside)+key]), nil
	}
}

func wcPost(format, key string, form func(f *authzFixture, inside bool) url.Values) func(*authzFixture, bool) (string, string, url.Values) {
	return func(f *authzFixture, inside bool) (string, string, url.Values) {
		target := format
		if key != "" {
			target = fmt.Sprintf(format, f.ids[side(inside)+key])
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
			return forbid
		}
		return ok
	}
}

// adminOrRolesScoped: only the given roles (admin always), inside only.
func adminOrRolesScoped(allowed []auth.Role, ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case r != auth.Admin && !slices.Contains(allowed, r):
			return forbid
		case !inside:
			return forbid
		}
		return ok
	}
}

// rolesOnly: only the given roles; outside objects are a user error
// (status bad) rather than a refusal (site imports report the rows).
func rolesOnly(allowed []auth.Role, ok, bad, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case r != auth.Admin && !slices.Contains(allowed, r):
			return forbid
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

func webcheckCases() []authzCase {
	managers := []auth.Role{auth.Office, auth.Evaluator}
	owners := []auth.Role{auth.Reporter, auth.Approver, auth.Office}
	checkers := []auth.Role{auth.Evaluator, auth.Office}
	created := http.StatusCreated
	return []authzCase{
		{"GET /webcheck", get("/webcheck"), loggedIn(ok, redirect)},
		{"GET /webcheck/sites", get("/webcheck/sites?kind=city"), loggedIn(ok, redirect)},
		{"POST /webcheck/sites", wcPost("/webcheck/sites", "", func(_ *authzFixture, inside bool) url.Values { return newSiteForm(inside) }),
			adminOrRolesScoped(managers, redirect, unauth)},
		{"POST /webcheck/sites/import", wcPost("/webcheck/sites/import", "", func(_ *authzFixture, inside bool) url.Values {
			v := newSiteForm(inside)
			return url.Values{"csv": {"name,url,owner code,kind\n" + v.Get("name") + "," + v.Get("url") + "," + v.Get("org_code") + ",county\n"}}
		}), rolesOnly(managers, ok, http.StatusBadRequest, unauth)},
		{"GET /webcheck/sites/{id}", wcGet("/webcheck/sites/%d", "Site"), seeScoped(ok, redirect)},
		{"POST /webcheck/sites/{id}", wcPost("/webcheck/sites/%d", "Site", func(f *authzFixture, inside bool) url.Values {
			org := map[bool]string{true: "4101", false: "4102"}[inside]
			return url.Values{"name": {"改名" + uniq("")}, "url": {"http://" + uniq("edit") + ".gov.cn/"}, "org_code": {org}, "kind": {"city"}}
		}), adminOrRolesScoped(managers, redirect, unauth)},
		{"POST /webcheck/rounds", wcPost("/webcheck/rounds", "", func(f *authzFixture, inside bool) url.Values {
			return url.Values{"name": {uniq("批次")}, "site_ids": {fmt.Sprint(f.ids[side(inside)+"Site"])}, "deadline_days": {"20"}}
		}), adminOrRolesScoped(managers, redirect, unauth)},
		{"GET /webcheck/rounds/{id}", func(f *authzFixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, fmt.Sprintf("/webcheck/rounds/%d", f.ids["round"]), nil
		}, loggedIn(ok, redirect)},
		{"GET /webcheck/inspections/{id}", wcGet("/webcheck/inspections/%d", "Inspection"), seeScoped(ok, redirect)},
		{"GET /webcheck/inspections/{id}/pdf", wcGet("/webcheck/inspections/%d/pdf", "Inspection"), seeScoped(ok, redirect)},
		{"GET /webcheck/inspections/{id}/xlsx", wcGet("/webcheck/inspections/%d/xlsx", "Inspection"), seeScoped(ok, redirect)},
		{"GET /webcheck/problems", get("/webcheck/problems?overdue=1"), loggedIn(ok, redirect)},
		// The owner unit marks a problem fixed; evaluators and the office
		// check fixed ones. Both are scoped to the problem's owner unit.
		{"POST /webcheck/problems/{id}", wcPost("/webcheck/problems/%d", "Open", func(*authzFixture, bool) url.Values {
			return url.Values{"action": {"fix"}, "note": {"已更新首页"}}
		}), adminOrRolesScoped(owners, redirect, unauth)},
		{"POST /webcheck/problems/{id}", wcPost("/webcheck/problems/%d", "Fixed", func(*authzFixture, bool) url.Values {
			return url.Values{"action": {"close"}, "note": {"复核通过"}}
		}), adminOrRolesScoped(checkers, redirect, unauth)},

		{"GET /api/v1/webcheck/sites", get("/api/v1/webcheck/sites"), loggedIn(ok, unauth)},
		{"POST /api/v1/webcheck/sites", wcPost("/api/v1/webcheck/sites", "", func(_ *authzFixture, inside bool) url.Values { return newSiteForm(inside) }),
			adminOrRolesScoped(managers, created, unauth)},
		{"POST /api/v1/webcheck/rounds", wcPost("/api/v1/webcheck/rounds", "", func(f *authzFixture, inside bool) url.Values {
			return url.Values{"name": {uniq("批次")}, "site_ids": {fmt.Sprint(f.ids[side(inside)+"Site"])}}
		}), adminOrRolesScoped(managers, created, unauth)},
		{"GET /api/v1/webcheck/rounds/{id}/ranking", func(f *authzFixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, fmt.Sprintf("/api/v1/webcheck/rounds/%d/ranking", f.ids["round"]), nil
		}, loggedIn(ok, unauth)},
		{"GET /api/v1/webcheck/inspections/{id}", wcGet("/api/v1/webcheck/inspections/%d", "Inspection"), seeScoped(ok, unauth)},
		{"GET /api/v1/webcheck/problems", get("/api/v1/webcheck/problems?status=pending"), loggedIn(ok, unauth)},
		{"POST /api/v1/webcheck/problems/{id}", wcPost("/api/v1/webcheck/problems/%d", "ApiOpen", func(*authzFixture, bool) url.Values {
			return url.Values{"action": {"fix"}, "note": {"已修复"}}
		}), adminOrRolesScoped(owners, ok, unauth)},
		{"POST /api/v1/webcheck/problems/{id}", wcPost("/api/v1/webcheck/problems/%d", "ApiFixed", func(*authzFixture, bool) url.Values {
			return url.Values{"action": {"reopen"}, "note": {"仍存在"}}
		}), adminOrRolesScoped(checkers, ok, unauth)},
	}
}
