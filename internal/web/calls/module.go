// Package calls is the web side of the calls for pilot and demonstration
// projects and for excellent projects (试点示范、优秀工程评选, §8.2 of the
// plan): the office opens a call, units apply, the office checks
// eligibility, draws the panel and publishes the ranking, experts score
// their own assignments, and the public reads the published results. The
// domain is in package internal/project (call.go).
package calls

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"zhihui/internal/cli"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/module"
	dom "zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
	"zhihui/internal/web/project"
)

//go:embed all:templates catalog
var files embed.FS

// Roles of the module: those of the project portfolio, whose domain and
// tables calls share.
var (
	// Viewers see the calls over or under their units and their applications.
	Viewers = project.Viewers
	// Applicants (the project owners) apply for their units.
	Applicants = project.Owners
	// Offices open calls, check eligibility, draw panels and publish.
	Offices = project.Offices
	// Experts score the applications of the panels they sit on.
	Experts = project.Experts
)

// MaxApplyBody bounds an application's form with its document.
const MaxApplyBody = dom.MaxAppDocument + 1<<20

// Module is the calls module. Its tables belong to the project module
// (project.PanelSchema), which comes first in the module list.
func Module() module.Module {
	catalog, _ := fs.Sub(files, "catalog")
	return module.Module{
		Commands: []cli.Command{
			{Name: "calls", Summary: "calls for pilots and awards: list | create --kind K --title T ... | apply CALL --unit CODE --title T --body TEXT [--document FILE] | applications CALL | edit CALL ... | withdraw CALL --reason R | panel CALL | undo-recusal CALL --seat S --application A --reason R | reviews | recuse SEAT --application A --reason R | close CALL | check CALL APP --decision eligible|ineligible [--note N] | draw CALL | score SEAT --application A --scores 80,70 --opinion T | publish CALL [--note N]; --as USER acts as that user", Run: runCalls},
		},
		Name:    "calls",
		Catalog: catalog,
		Routes:  routes,
		// A finished award round and an open pilot call, after the
		// project module's demo portfolio.
		LoadDemo: dom.LoadCallDemo,
		// Calls close by themselves once their deadline has passed.
		Jobs: registerJobs,
		Nav: []module.Nav{
			{Key: "calls", Href: "/calls", Label: "calls.nav", Roles: Viewers, Order: 59},
			{Key: "calls-reviews", Href: "/calls/reviews", Label: "calls.reviews", Roles: Experts, Order: 59},
			{Key: "results", Href: "/results", Label: "calls.results_nav", Public: true, Order: 96},
		},
		Pages: []string{"/calls", "/calls/new", "/results"},
		API: map[string]string{
			"GET /api/v1/calls":                                  "Calls for pilots and awards over or under the caller's units, newest first: {calls: [{id, kind, title, description, org, org_name, levels, categories, deadline, criteria: [{name, weight}], field, panel_size, status, drawn_at, published_at, result_note, created_at}]}",
			"POST /api/v1/calls":                                 `Open a call (office of the call's unit) {"kind": "pilot"|"award", "title", "description", "org" (unit code whose subtree may apply), "levels": [], "categories": [], "deadline": "YYYY-MM-DD" (a holiday moves to the next working day), "criteria": "名称 权重" a line or [{"name","weight"}] (weights sum to 100), "field", "panel_size" (3–15)}; 201 {call}; 400 with the bilingual error and its field`,
			"GET /api/v1/calls/{id}":                             "One call the caller may see: {call, accepting}",
			"GET /api/v1/calls/{id}/applications":                "Applications to a call: every one for the office of the call's unit, otherwise those of the caller's units; {call, status, applications: [{id, unit, unit_name, unit_level, project_id, project_number, title, body, applicant, status, check_note, checked_at, level, category, document: {id, name, content_type, size}, created_at, meets_rule, rule: {zh, en}}]}; no expert is named",
			"POST /api/v1/calls/{id}/applications":               `Apply for a unit of the caller's (reporters, approvers, the office) while the call is open {"unit", "project" (id of a portfolio project of the unit, optional), "title", "body", "document": {"name", "content" (base64)} (optional, PDF/Office/image/text, at most 10 MB)}, or multipart with the file as field file; 201 {application}`,
			"POST /api/v1/calls/{id}":                            `Edit a call (office of the call's unit) until its panel is drawn; every field optional, one left out keeps its value {"title", "description", "levels": [], "categories": [], "deadline", "criteria" (text or [{"name","weight"}]), "field", "panel_size"}; the levels and categories are fixed once a unit applied; a closed call given a new deadline takes applications again; 200 {call, accepting}`,
			"POST /api/v1/calls/{id}/withdraw":                   `Withdraw a call (office of the call's unit) until its results are published {"reason"}; the applicants are told; 200 {call, accepting}`,
			"GET /api/v1/calls/{id}/panel":                       "The call's panel for its office: {call, status, drawn_at, seed, candidates, reproduces, seats: [{id, position, expert_id, expert_name, employer, scored, recused}], recusals: [{seat_id, position, application_id, reason, declared_at}], excluded: [{expert_id, expert_name, reason, detail}]}",
			"POST /api/v1/calls/{id}/recusals/{seat}/{app}/undo": `Undo an expert's recusal from an application (office of the call's unit) while the panel scores {"reason"}: the expert is told and is to score it; later draws no longer leave the expert out for it; 200 {call, recusals}`,
			"GET /api/v1/calls/reviews":                          "The caller's seats on call panels (experts): {seats: [{seat: {id, call_id, position, scored, recused}, call, open, applications: [{id, title, unit, unit_name, body, document, scored, recused}], scores, recusals}]}; no other expert is named",
			"POST /api/v1/calls/{id}/seats/{seat}/{app}/recuse":  `Recuse yourself (the seat's expert) from an application while the panel scores {"reason"}: a score you gave it is removed; later draws for the same applicant leave you out within the office's window of years; 200 {seat, recusal}`,
			"POST /api/v1/calls/{id}/close":                      "Close a call to applications before its deadline (office of the call's unit); 200 {call, accepting}; 400 with the bilingual error when the call is not open",
			"POST /api/v1/calls/{id}/draw":                       "Draw the call's panel (office of the call's unit) once it is closed and its applications are checked: a fresh seed, recorded and audited, picks the experts of the call's field with conflicts of interest left out; 200 the panel as GET /api/v1/calls/{id}/panel gives it; 400 with the bilingual error (for example too few experts)",
			"POST /api/v1/calls/{id}/applications/{app}/check":   `Record the eligibility check of an application (office of the call's unit) before the panel is drawn {"decision": "eligible"|"ineligible", "note" (required when ineligible)}; 200 {application}; 400 with the bilingual error and its field`,
			"POST /api/v1/calls/{id}/seats/{seat}/{app}/score":   `Score an application of your seat (the seat's expert) while the panel scores {"scores": [0–100 per criterion, in the call's order], "opinion"}, or the page's form fields c0, c1, … and opinion; a later score replaces an earlier one; 200 {seat, score}; no other expert is named`,
			"POST /api/v1/calls/{id}/publish":                    `Publish the call's ranking (office of the call's unit) once every seat has scored every eligible application {"note"}; the applicants are told; 200 {call, ranking: [{rank, title, unit, unit_name, score, tied}]}; no expert is named`,
			"GET /api/v1/results":                                "Published results of calls for pilots and awards: [{id, kind, title, org_name, published_at}]",
			"GET /api/v1/results/{id}":                           "One call's published ranking: rank, title, unit and score (trimmed mean of the experts' weighted scores) of each eligible application; no expert is named",
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
	h := handlers{k: k, pages: pages, svc: dom.New(k.DB)}
	return []kit.Route{
		{Pattern: "GET /calls", Access: kit.Roles, Roles: Viewers, Handler: h.list},
		{Pattern: "GET /calls/new", Access: kit.Roles, Roles: Offices, Handler: h.newForm},
		{Pattern: "POST /calls", Access: kit.Roles, Roles: Offices, Handler: h.create},
		{Pattern: "GET /calls/{id}", Access: kit.Roles, Roles: Viewers, Handler: h.show},
		{Pattern: "GET /calls/{id}/export", Access: kit.Roles, Roles: Offices, Handler: h.export},
		{Pattern: "POST /calls/{id}/apply", Access: kit.Roles, Roles: Applicants, Handler: h.apply, BodyLimit: MaxApplyBody},
		{Pattern: "POST /calls/{id}/close", Access: kit.Roles, Roles: Offices, Handler: h.close},
		{Pattern: "GET /calls/{id}/edit", Access: kit.Roles, Roles: Offices, Handler: h.editForm},
		{Pattern: "POST /calls/{id}/edit", Access: kit.Roles, Roles: Offices, Handler: h.edit},
		{Pattern: "POST /calls/{id}/withdraw", Access: kit.Roles, Roles: Offices, Handler: h.withdraw},
		{Pattern: "POST /calls/{id}/draw", Access: kit.Roles, Roles: Offices, Handler: h.draw},
		{Pattern: "POST /calls/{id}/publish", Access: kit.Roles, Roles: Offices, Handler: h.publish},
		{Pattern: "GET /calls/{id}/applications/{app}", Access: kit.Roles, Roles: Viewers, Handler: h.application},
		{Pattern: "GET /calls/{id}/applications/{app}/document", Access: kit.Roles, Roles: Viewers, Handler: h.document},
		{Pattern: "POST /calls/{id}/applications/{app}/check", Access: kit.Roles, Roles: Offices, Handler: h.check},
		{Pattern: "GET /calls/reviews", Access: kit.Roles, Roles: Experts, Handler: h.reviews},
		{Pattern: "GET /calls/{id}/seats/{seat}", Access: kit.Roles, Roles: Experts, Handler: h.seat},
		{Pattern: "GET /calls/{id}/seats/{seat}/{app}", Access: kit.Roles, Roles: Experts, Handler: h.scoreForm},
		{Pattern: "POST /calls/{id}/seats/{seat}/{app}", Access: kit.Roles, Roles: Experts, Handler: h.score},
		{Pattern: "GET /calls/{id}/seats/{seat}/{app}/document", Access: kit.Roles, Roles: Experts, Handler: h.seatDocument},
		{Pattern: "POST /calls/{id}/seats/{seat}/{app}/recuse", Access: kit.Roles, Roles: Experts, Handler: h.recuse},
		{Pattern: "POST /calls/{id}/recusals/{seat}/{app}/undo", Access: kit.Roles, Roles: Offices, Handler: h.undoRecusal},
		{Pattern: "GET /results", Access: kit.Public, Handler: h.results},
		{Pattern: "GET /results/{id}", Access: kit.Public, Handler: h.result},
		{Pattern: "GET /api/v1/calls", Access: kit.Roles, Roles: Viewers, Handler: h.apiCalls},
		{Pattern: "POST /api/v1/calls", Access: kit.Roles, Roles: Offices, Handler: h.apiCreate},
		{Pattern: "GET /api/v1/calls/{id}", Access: kit.Roles, Roles: Viewers, Handler: h.apiCall},
		{Pattern: "GET /api/v1/calls/{id}/applications", Access: kit.Roles, Roles: Viewers, Handler: h.apiApplications},
		{Pattern: "POST /api/v1/calls/{id}/applications", Access: kit.Roles, Roles: Applicants, Handler: h.apiApply, BodyLimit: MaxApplyBody*4/3 + 1<<10},
		{Pattern: "POST /api/v1/calls/{id}", Access: kit.Roles, Roles: Offices, Handler: h.apiEdit},
		{Pattern: "POST /api/v1/calls/{id}/withdraw", Access: kit.Roles, Roles: Offices, Handler: h.apiWithdraw},
		{Pattern: "GET /api/v1/calls/{id}/panel", Access: kit.Roles, Roles: Offices, Handler: h.apiPanel},
		{Pattern: "POST /api/v1/calls/{id}/recusals/{seat}/{app}/undo", Access: kit.Roles, Roles: Offices, Handler: h.apiUndoRecusal},
		{Pattern: "GET /api/v1/calls/reviews", Access: kit.Roles, Roles: Experts, Handler: h.apiReviews},
		{Pattern: "POST /api/v1/calls/{id}/seats/{seat}/{app}/recuse", Access: kit.Roles, Roles: Experts, Handler: h.apiRecuse},
		{Pattern: "POST /api/v1/calls/{id}/close", Access: kit.Roles, Roles: Offices, Handler: h.apiClose},
		{Pattern: "POST /api/v1/calls/{id}/draw", Access: kit.Roles, Roles: Offices, Handler: h.apiDraw},
		{Pattern: "POST /api/v1/calls/{id}/applications/{app}/check", Access: kit.Roles, Roles: Offices, Handler: h.apiCheck},
		{Pattern: "POST /api/v1/calls/{id}/seats/{seat}/{app}/score", Access: kit.Roles, Roles: Experts, Handler: h.apiScore},
		{Pattern: "POST /api/v1/calls/{id}/publish", Access: kit.Roles, Roles: Offices, Handler: h.apiPublish},
		{Pattern: "GET /api/v1/results", Access: kit.Public, Handler: h.apiResults},
		{Pattern: "GET /api/v1/results/{id}", Access: kit.Public, Handler: h.apiResult},
	}, nil
}

// authzSetup makes, per caller, calls of the city inside the caller's
// units (4101) and of the city outside (4102) in each state the requests
// need, with applications of a county of each city and a panel's seat.
func authzSetup(ctx context.Context, db *store.DB, f *module.Fixture) error {
	s := dom.New(db)
	a := audit.Actor{Name: "authz"}
	all := []string{"/41/"}
	// Twelve experts of a field no other fixture draws: enough for the
	// panels drawn here and those the page's and the API's draw cases draw.
	for i := 0; i < 12; i++ {
		if _, err := s.AddExpert(ctx, a, dom.Expert{Name: "评选专家" + strconv.Itoa(i), Fields: []string{"gis"}, Employer: "authz 研究院", Region: "41", Available: true}); err != nil {
			return err
		}
	}
	type sideOf struct{ name, city, county, other string }
	for _, sd := range []sideOf{{"in", "4101", "410102", "410103"}, {"out", "4102", "410202", "410203"}} {
		for _, kind := range []string{"view", "apply", "close", "check", "draw", "publish", "withdraw", "apiwithdraw", "recusal",
			"apiclose", "apicheck", "apidraw", "apipublish"} {
			id, err := s.OpenCall(ctx, a, all, dom.NewCall{Kind: dom.CallAward, Title: "authz 评选 " + kind, Description: "authz", Org: sd.city,
				Deadline: "2099-12-31", Criteria: "成效 60\n创新 40", Field: "gis", PanelSize: 3})
			if err != nil {
				return err
			}
			f.IDs["call-"+kind+"-"+sd.name] = id
			if kind == "view" || kind == "apply" || kind == "close" || kind == "withdraw" || kind == "apiwithdraw" || kind == "apiclose" {
				continue
			}
			unit := sd.county
			switch kind {
			case "publish", "apipublish":
				unit = sd.other // its panel's ties with the county must not block the draw case
			case "recusal":
				unit = sd.city // nor may this panel's
			}
			app, err := s.Apply(ctx, a, all, id, dom.NewApplication{Unit: unit, Title: "authz 申报 " + kind, Body: "authz", DocName: "a.txt", Doc: []byte("authz")})
			if err != nil {
				return err
			}
			f.IDs["app-"+kind+"-"+sd.name] = app
			if kind == "check" || kind == "apicheck" {
				continue
			}
			if err := s.CheckApplication(ctx, a, all, app, true, ""); err != nil {
				return err
			}
			if err := s.CloseCall(ctx, a, all, id); err != nil {
				return err
			}
			if kind == "draw" || kind == "apidraw" {
				continue
			}
			if err := s.DrawCallPanel(ctx, a, all, id, nil); err != nil {
				return err
			}
			seats, err := s.CallSeats(ctx, id)
			if err != nil {
				return err
			}
			if kind == "recusal" {
				// Two recusals, for the page's and the API's undoing.
				for i, via := range []string{"page", "api"} {
					if err := recuseAs(ctx, db, seats[i].ID, app); err != nil {
						return err
					}
					f.IDs["recseat-"+via+"-"+sd.name] = seats[i].ID
				}
				continue
			}
			for _, st := range seats {
				// The pool entries have no account: score as the office would record them.
				if err := scoreAs(ctx, db, st.ID, app); err != nil {
					return err
				}
			}
			if kind == "apipublish" {
				continue
			}
			f.IDs["seat-"+sd.name] = seats[0].ID
			f.IDs["seatcall-"+sd.name] = id
			f.IDs["seatapp-"+sd.name] = app
		}
	}
	return nil
}

// scoreAs stores a full score of seat for app directly: the matrix's
// experts have no accounts to score through.
func scoreAs(ctx context.Context, db *store.DB, seat, app int64) error {
	_, err := db.W.ExecContext(ctx, `INSERT INTO project_call_score (seat_id, application_id, scores, total, opinion, scored_at) VALUES ($1,$2,'80,80',8000,'authz',$3)`,
		seat, app, store.Now())
	return err
}

// recuseAs stores a recusal of seat from app directly, as scoreAs a score.
func recuseAs(ctx context.Context, db *store.DB, seat, app int64) error {
	_, err := db.W.ExecContext(ctx, `INSERT INTO project_call_recusal (seat_id, application_id, reason, declared_at) VALUES ($1,$2,'authz 回避',$3)`,
		seat, app, store.Now())
	return err
}

// recusalReq is a request on the recusal of the fixture's seat via
// ("page" or "api") from its application.
func recusalReq(via string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		sd := module.Side(inside)
		target := "/calls/" + strconv.FormatInt(f.IDs["call-recusal-"+sd], 10) + "/recusals/" + strconv.FormatInt(f.IDs["recseat-"+via+"-"+sd], 10) + "/" +
			strconv.FormatInt(f.IDs["app-recusal-"+sd], 10) + "/undo"
		if via == "api" {
			target = "/api/v1" + target
		}
		return http.MethodPost, target, form
	}
}

func callReq(method, kind, suffix string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		return method, "/calls/" + strconv.FormatInt(f.IDs["call-"+kind+"-"+module.Side(inside)], 10) + suffix, form
	}
}

// apiCallReq is callReq's request to the call's API address.
func apiCallReq(method, kind, suffix string) func(*module.Fixture, bool) (string, string, url.Values) {
	page := callReq(method, kind, suffix, nil)
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		m, target, form := page(f, inside)
		return m, "/api/v1" + target, form
	}
}

func appReq(method, kind, suffix string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		sd := module.Side(inside)
		return method, "/calls/" + strconv.FormatInt(f.IDs["call-"+kind+"-"+sd], 10) + "/applications/" + strconv.FormatInt(f.IDs["app-"+kind+"-"+sd], 10) + suffix, form
	}
}

func seatReq(method string, withApp bool, tail string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		sd := module.Side(inside)
		target := "/calls/" + strconv.FormatInt(f.IDs["seatcall-"+sd], 10) + "/seats/" + strconv.FormatInt(f.IDs["seat-"+sd], 10)
		if withApp {
			target += "/" + strconv.FormatInt(f.IDs["seatapp-"+sd], 10) + tail
		}
		return method, target, form
	}
}

func authzCases() []module.AuthzCase {
	const ok, see, un = http.StatusOK, http.StatusSeeOther, http.StatusUnauthorized
	return []module.AuthzCase{
		{Pattern: "GET /calls", Request: module.Get("/calls"), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "GET /calls/new", Request: module.Get("/calls/new"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /calls", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			org := "4102"
			if inside {
				org = "4101"
			}
			return http.MethodPost, "/calls", url.Values{"kind": {"pilot"}, "title": {"authz 试点"}, "description": {"authz"}, "org": {org}, "deadline": {"2099-12-31"},
				"criteria": {"成效 50\n创新 50"}, "field": {"egov"}, "panel_size": {"3"}}
		}, Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /calls/{id}", Request: callReq(http.MethodGet, "view", "", nil), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "GET /calls/{id}/export", Request: callReq(http.MethodGet, "view", "/export", nil), Want: module.ScopedRole(ok, see, Offices...)},
		{Pattern: "POST /calls/{id}/apply", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "410202"
			if inside {
				unit = "410102"
			}
			return http.MethodPost, "/calls/" + strconv.FormatInt(f.IDs["call-apply-"+module.Side(inside)], 10) + "/apply", url.Values{"unit": {unit}, "title": {"authz 申报"}, "body": {"申报正文"}}
		}, Want: module.ScopedRole(see, un, Applicants...)},
		{Pattern: "POST /calls/{id}/close", Request: callReq(http.MethodPost, "close", "/close", nil), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /calls/{id}/edit", Request: callReq(http.MethodGet, "view", "/edit", nil), Want: module.ScopedRole(ok, see, Offices...)},
		{Pattern: "POST /calls/{id}/edit", Request: callReq(http.MethodPost, "view", "/edit", url.Values{"title": {"authz 评选 view"}, "description": {"authz"},
			"deadline": {"2099-12-31"}, "criteria": {"成效 60\n创新 40"}, "field": {"gis"}, "panel_size": {"3"}}), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /calls/{id}/withdraw", Request: callReq(http.MethodPost, "withdraw", "/withdraw", url.Values{"reason": {"authz 撤回"}}), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /calls/{id}/draw", Request: callReq(http.MethodPost, "draw", "/draw", nil), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /calls/{id}/publish", Request: callReq(http.MethodPost, "publish", "/publish", url.Values{"note": {"authz"}}), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /calls/{id}/applications/{app}", Request: appReq(http.MethodGet, "check", "", nil), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "GET /calls/{id}/applications/{app}/document", Request: appReq(http.MethodGet, "check", "/document", nil), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "POST /calls/{id}/applications/{app}/check", Request: appReq(http.MethodPost, "check", "/check", url.Values{"decision": {"eligible"}}), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /calls/reviews", Request: module.Get("/calls/reviews"), Want: module.AnyRole(ok, see, Experts...)},
		{Pattern: "GET /calls/{id}/seats/{seat}", Request: seatReq(http.MethodGet, false, "", nil), Want: module.RefusedAll(see)},
		{Pattern: "GET /calls/{id}/seats/{seat}/{app}", Request: seatReq(http.MethodGet, true, "", nil), Want: module.RefusedAll(see)},
		{Pattern: "POST /calls/{id}/seats/{seat}/{app}", Request: seatReq(http.MethodPost, true, "", url.Values{"c0": {"80"}, "c1": {"80"}, "opinion": {"好"}}), Want: module.RefusedAll(un)},
		{Pattern: "GET /calls/{id}/seats/{seat}/{app}/document", Request: seatReq(http.MethodGet, true, "/document", nil), Want: module.RefusedAll(see)},
		{Pattern: "POST /calls/{id}/seats/{seat}/{app}/recuse", Request: seatReq(http.MethodPost, true, "/recuse", url.Values{"reason": {"authz 回避"}}), Want: module.RefusedAll(un)},
		{Pattern: "POST /calls/{id}/recusals/{seat}/{app}/undo", Request: recusalReq("page", url.Values{"reason": {"authz 撤销"}}), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /results", Request: module.Get("/results"), Want: module.Always(ok)},
		// The publish case of the office and the administrator has run
		// by now for the inside call only; unpublished results are not found.
		{Pattern: "GET /results/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/results/" + strconv.FormatInt(f.IDs["call-publish-"+module.Side(inside)], 10), nil
		}, Want: func(r auth.Role, inside bool) int {
			if inside && (r == auth.Office || r == auth.Admin) {
				return ok
			}
			return http.StatusNotFound
		}},
		{Pattern: "GET /api/v1/calls", Request: module.Get("/api/v1/calls"), Want: module.AnyRole(ok, un, Viewers...)},
		{Pattern: "POST /api/v1/calls", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			org := "4102"
			if inside {
				org = "4101"
			}
			return http.MethodPost, "/api/v1/calls", url.Values{"kind": {"award"}, "title": {"authz API 评选"}, "description": {"authz"}, "org": {org}, "deadline": {"2099-12-31"},
				"criteria": {"成效 50\n创新 50"}, "field": {"egov"}, "panel_size": {"3"}}
		}, Want: module.ScopedRole(http.StatusCreated, un, Offices...)},
		{Pattern: "GET /api/v1/calls/{id}", Request: apiCallReq(http.MethodGet, "view", ""), Want: module.ScopedRole(ok, un, Viewers...)},
		{Pattern: "GET /api/v1/calls/{id}/applications", Request: apiCallReq(http.MethodGet, "check", "/applications"), Want: module.ScopedRole(ok, un, Viewers...)},
		{Pattern: "POST /api/v1/calls/{id}/applications", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "410202"
			if inside {
				unit = "410102"
			}
			return http.MethodPost, "/api/v1/calls/" + strconv.FormatInt(f.IDs["call-apply-"+module.Side(inside)], 10) + "/applications", url.Values{"unit": {unit}, "title": {"authz API 申报"}, "body": {"申报正文"}}
		}, Want: module.ScopedRole(http.StatusCreated, un, Applicants...)},
		{Pattern: "POST /api/v1/calls/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			m, target, _ := apiCallReq(http.MethodPost, "view", "")(f, inside)
			return m, target, url.Values{"description": {"authz API"}}
		}, Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/calls/{id}/withdraw", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			m, target, _ := apiCallReq(http.MethodPost, "apiwithdraw", "/withdraw")(f, inside)
			return m, target, url.Values{"reason": {"authz API 撤回"}}
		}, Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "GET /api/v1/calls/{id}/panel", Request: apiCallReq(http.MethodGet, "recusal", "/panel"), Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/calls/{id}/recusals/{seat}/{app}/undo", Request: recusalReq("api", url.Values{"reason": {"authz API 撤销"}}), Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "GET /api/v1/calls/reviews", Request: module.Get("/api/v1/calls/reviews"), Want: module.AnyRole(ok, un, Experts...)},
		{Pattern: "POST /api/v1/calls/{id}/seats/{seat}/{app}/recuse", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			m, target, form := seatReq(http.MethodPost, true, "/recuse", url.Values{"reason": {"authz 回避"}})(f, inside)
			return m, "/api/v1" + target, form
		}, Want: module.RefusedAll(un)},
		{Pattern: "POST /api/v1/calls/{id}/close", Request: apiCallReq(http.MethodPost, "apiclose", "/close"), Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/calls/{id}/draw", Request: apiCallReq(http.MethodPost, "apidraw", "/draw"), Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/calls/{id}/applications/{app}/check", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			m, target, form := appReq(http.MethodPost, "apicheck", "/check", url.Values{"decision": {"eligible"}})(f, inside)
			return m, "/api/v1" + target, form
		}, Want: module.ScopedRole(ok, un, Offices...)},
		// The matrix's experts hold no seat: every caller is refused.
		{Pattern: "POST /api/v1/calls/{id}/seats/{seat}/{app}/score", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			m, target, form := seatReq(http.MethodPost, true, "/score", url.Values{"c0": {"80"}, "c1": {"80"}, "opinion": {"好"}})(f, inside)
			return m, "/api/v1" + target, form
		}, Want: module.RefusedAll(un)},
		{Pattern: "POST /api/v1/calls/{id}/publish", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			m, target, _ := apiCallReq(http.MethodPost, "apipublish", "/publish")(f, inside)
			return m, target, url.Values{"note": {"authz API"}}
		}, Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "GET /api/v1/results", Request: module.Get("/api/v1/results"), Want: module.Always(ok)},
		{Pattern: "GET /api/v1/results/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/api/v1/results/" + strconv.FormatInt(f.IDs["call-publish-"+module.Side(inside)], 10), nil
		}, Want: func(r auth.Role, inside bool) int {
			if inside && (r == auth.Office || r == auth.Admin) {
				return ok
			}
			return http.StatusNotFound
		}},
	}
}
