// Package supervise is the web side of task supervision (督查督办) and the
// annual target assessment (年度目标考核): the office decomposes plan tasks
// into work items and issues them, responsible units report progress and
// ask for extensions, the office reviews, returns and closes; leaders see
// the overdue list and the assessment ranking. Handlers are written on the
// web kit; the domain is package internal/supervise.
package supervise

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"zhihui/internal/cli"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/store"
	dom "zhihui/internal/supervise"
	"zhihui/internal/web/kit"
)

//go:embed templates templates/_parts.html catalog
var files embed.FS

// Offices issue, review, return and close items and decide extensions.
var Offices = []auth.Role{auth.Office, auth.Admin}

// Responsible roles report progress and ask for extensions for their units.
var Responsible = []auth.Role{auth.Reporter, auth.Office, auth.Admin}

// MaxReport bounds the body of a progress report with its attachments.
const MaxReport = dom.MaxAttachments*dom.MaxAttachment + 1<<20

// Module is the supervision and assessment module.
func Module() module.Module {
	catalog, _ := fs.Sub(files, "catalog")
	return module.Module{
		Commands: []cli.Command{
			{Name: "assess", Summary: "annual target assessment: assess run --year Y [--group city|county|department] [--json]", Run: runAssess},
		},
		Name:    "supervise",
		Schemas: []store.Schema{dom.Schema},
		// Work items 2014–2020 played through their course, and each
		// year's assessment published and made final.
		LoadDemo:         dom.LoadDemo,
		DemoInBackground: true,
		Catalog:          catalog,
		Routes:           routes,
		Nav:              []module.Nav{{Key: "supervise", Href: "/supervise", Label: "supervise.nav", Order: 55}},
		Pages: []string{"/supervise", "/supervise?status=red", "/supervise/new", "/supervise/overdue", "/supervise/assessment",
			"/supervise/assessment?group=county", "/supervise/units/4101", "/supervise/scheme", "/supervise/review?year=2015", "/review?year=2015"},
		API: map[string]string{
			"GET /api/v1/supervision/items":                "Work items in the caller's units: ?unit=CODE&status=red|yellow|blue|green|closed&year=Y; each with its computed status and reason",
			"POST /api/v1/supervision/items":               `Issue a work item from a plan task: {"year","task","units":[…] or "fanout":"cities|counties","due":"YYYY-MM-DD" or "due_days":N,"milestones":[{"date","percent","text"}],…}; office only, units in the caller's subtree`,
			"POST /api/v1/supervision/items/{id}/progress": `Report progress {"text","percent"} for an item of the caller's units`,
			"GET /api/v1/assessment/{year}":                "The annual assessment: ?group=city|county|department; rows with unit, score, rank and per-part scores with their source (parts without figures are not assessed, never zero); &published=1 gives the latest published version (404 before publication)",
		},
		// The daily reminders (催办) on overdue and nearly due items.
		Jobs: func(r *jobs.Registry, env module.JobEnv) {
			jobs.Handle(r, func(ctx context.Context, j *jobs.Job[RemindArgs]) error {
				n, err := dom.New(env.DB).Remind(ctx)
				if err == nil && n > 0 {
					env.Log.Info("supervision reminders", "items", n)
				}
				return err
			})
			r.Every("supervise_remind", 24*time.Hour, true, func() (jobs.Args, *jobs.InsertOpts) {
				return RemindArgs{}, &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByPeriod: 24 * time.Hour}}
			})
		},
		Authz:      authzCases(),
		AuthzSetup: authzSetup,
	}
}

// RemindArgs is the daily reminder job.
type RemindArgs struct{}

// Kind names the job.
func (RemindArgs) Kind() string { return "supervise_remind" }

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(files, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages, svc: dom.New(k.DB)}
	return []kit.Route{
		{Pattern: "GET /supervise", Access: kit.User, Handler: h.list},
		{Pattern: "GET /supervise/export", Access: kit.User, Handler: h.listExport},
		{Pattern: "GET /supervise/new", Access: kit.Roles, Roles: Offices, Handler: h.newForm},
		{Pattern: "POST /supervise/items", Access: kit.Roles, Roles: Offices, Handler: h.create},
		{Pattern: "GET /supervise/items/{id}", Access: kit.User, Handler: h.item},
		{Pattern: "POST /supervise/items/{id}/progress", Access: kit.Roles, Roles: Responsible, Handler: h.progress, BodyLimit: MaxReport},
		{Pattern: "POST /supervise/items/{id}/extension", Access: kit.Roles, Roles: Responsible, Handler: h.extension},
		{Pattern: "POST /supervise/items/{id}/decision", Access: kit.Roles, Roles: Offices, Handler: h.decision},
		{Pattern: "POST /supervise/items/{id}/return", Access: kit.Roles, Roles: Offices, Handler: h.ret},
		{Pattern: "POST /supervise/items/{id}/close", Access: kit.Roles, Roles: Offices, Handler: h.close},
		{Pattern: "POST /supervise/items/{id}/urge", Access: kit.Roles, Roles: Offices, Handler: h.urge},
		{Pattern: "GET /supervise/attachments/{id}", Access: kit.User, Handler: h.attachment},
		{Pattern: "GET /supervise/overdue", Access: kit.User, Handler: h.overdue},
		{Pattern: "GET /supervise/units/{code}", Access: kit.User, Handler: h.unit},
		{Pattern: "GET /supervise/scheme", Access: kit.User, Handler: h.scheme},
		{Pattern: "GET /supervise/review", Access: kit.User, Handler: h.review},
		{Pattern: "GET /review", Access: kit.Public, Handler: h.publicReview},
		{Pattern: "POST /supervise/scheme", Access: kit.Roles, Roles: Offices, Handler: h.saveScheme, BodyLimit: dom.MaxSchemeYAML + 4096},
		{Pattern: "GET /supervise/overdue/export", Access: kit.User, Handler: h.overdueExport},
		{Pattern: "GET /supervise/assessment", Access: kit.User, Handler: h.assessment},
		{Pattern: "GET /supervise/assessment/export", Access: kit.User, Handler: h.assessmentExport},
		{Pattern: "GET /supervise/assessment/notice.pdf", Access: kit.User, Handler: h.notice},
		{Pattern: "POST /supervise/assessment/publish", Access: kit.Roles, Roles: Offices, Handler: h.publish},
		{Pattern: "POST /supervise/assessment/finalize", Access: kit.Roles, Roles: Offices, Handler: h.finalize},
		{Pattern: "POST /supervise/assessment/adjust", Access: kit.Roles, Roles: Offices, Handler: h.adjust},
		{Pattern: "POST /supervise/assessment/appeal", Access: kit.Roles, Roles: Appellants, Handler: h.appeal},
		{Pattern: "POST /supervise/appeals/{id}/decision", Access: kit.Roles, Roles: Offices, Handler: h.decideAppeal},
		{Pattern: "GET /api/v1/supervision/items", Access: kit.User, Handler: h.apiItems},
		{Pattern: "POST /api/v1/supervision/items", Access: kit.Roles, Roles: Offices, Handler: h.apiCreate},
		{Pattern: "POST /api/v1/supervision/items/{id}/progress", Access: kit.Roles, Roles: Responsible, Handler: h.apiProgress},
		{Pattern: "GET /api/v1/assessment/{year}", Access: kit.User, Handler: h.apiAssessment},
	}, nil
}

// authzSetup creates, per caller, one item of each kind inside the
// caller's city (4101) and one outside it (4102).
func authzSetup(ctx context.Context, db *store.DB, f *module.Fixture) error {
	svc := dom.New(db)
	a := audit.Actor{Name: "authz"}
	all := []string{"/" + orgunit.Root + "/"}
	task := plan.Default().Tasks(plan.TaskFilter{})[0].ID
	due := dom.FormatDate(svc.Today().AddDate(0, 2, 0))
	for _, side := range []struct{ name, unit string }{{"in", "4101"}, {"out", "4102"}} {
		for _, kind := range []string{"item", "progress", "extension", "decision", "return", "close"} {
			ids, err := svc.Create(ctx, a, all, dom.NewItem{Year: svc.Today().Year(), TaskID: task, Units: []string{side.unit}, Due: due})
			if err != nil {
				return err
			}
			f.IDs[kind+"-"+side.name] = ids[0]
			if kind == "decision" {
				if err := svc.RequestExtension(ctx, a, all, ids[0], dom.FormatDate(svc.Today().AddDate(0, 3, 0)), "authz"); err != nil {
					return err
				}
			}
			if kind == "item" {
				if err := svc.Report(ctx, a, all, ids[0], dom.Progress{Text: "authz", Percent: 10,
					Files: []dom.Upload{{Name: "a.txt", Data: []byte("authz attachment")}}}); err != nil {
					return err
				}
				tl, err := svc.Timeline(ctx, all, ids[0])
				if err != nil {
					return err
				}
				f.IDs["attachment-"+side.name] = tl[1].Attachments[0].ID
			}
		}
	}
	// A published assessment of this year with an open appeal of each
	// side for the decision route, and last year's published with no
	// open appeal, for the appeal route to file one.
	year := svc.Today().Year()
	for _, y := range []int{year, year - 1} {
		open, err := svc.Appeals(ctx, all, y, "city")
		if err != nil {
			return err
		}
		for _, x := range open {
			if x.State == dom.AppealOpen {
				if err := svc.DecideAppeal(ctx, a, all, x.ID, false, "authz", 0); err != nil {
					return err
				}
			}
		}
		if _, err := svc.Publish(ctx, a, dom.DefaultSchemes(), y, "city", dom.DefaultAppealDays); err != nil {
			return err
		}
	}
	for _, side := range []struct{ name, unit string }{{"in", "4101"}, {"out", "4102"}} {
		id, err := svc.FileAppeal(ctx, a, all, year, "city", side.unit, "authz")
		if err != nil {
			return err
		}
		f.IDs["appeal-"+side.name] = id
	}
	return nil
}

// itemPost posts form to /supervise/items/{id}/suffix for the item kind.
func itemPost(kind, suffix string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		return http.MethodPost, "/supervise/items/" + strconv.FormatInt(f.IDs[kind+"-"+module.Side(inside)], 10) + suffix, form
	}
}

// seenInside expects ok from logged-in callers for objects in their
// subtree, 403 outside it, and anon from visitors.
func seenInside(ok, anon int) func(auth.Role, bool) int {
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

func unitOf(inside bool) string {
	if inside {
		return "4101"
	}
	return "4102"
}

// yearPost posts form with this year (plus delta) and the city group.
func yearPost(target string, delta int, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(*module.Fixture, bool) (string, string, url.Values) {
		v := url.Values{"year": {strconv.Itoa(time.Now().In(period.Shanghai).Year() + delta)}, "group": {"city"}}
		for k, x := range form {
			v[k] = x
		}
		return http.MethodPost, target, v
	}
}

// refusedAll: 401 for visitors, 403 for every role held at a city.
func refusedAll(r auth.Role, _ bool) int {
	if r == "" {
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}

// literal expects ok from the roles listed (written out here, not the
// production role lists) for objects inside the caller's subtree, 403
// otherwise, anon from visitors.
func literal(ok, anon int, roles ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		if r == "" {
			return anon
		}
		for _, x := range roles {
			if x == r && inside {
				return ok
			}
		}
		return http.StatusForbidden
	}
}

func authzCases() []module.AuthzCase {
	const see, un = http.StatusSeeOther, http.StatusUnauthorized
	ok := http.StatusOK
	return []module.AuthzCase{
		{Pattern: "GET /supervise", Request: module.Get("/supervise"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /supervise/export", Request: module.Get("/supervise/export"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /supervise/new", Request: module.Get("/supervise/new"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /supervise/items", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodPost, "/supervise/items", url.Values{"year": {"2015"}, "task": {plan.Default().Tasks(plan.TaskFilter{})[0].ID},
				"units": {unit}, "due": {"2015-12-31"}, "start": {"2015-01-05"}}
		}, Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /supervise/items/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/supervise/items/" + strconv.FormatInt(f.IDs["item-"+module.Side(inside)], 10), nil
		}, Want: seenInside(ok, see)},
		{Pattern: "GET /supervise/attachments/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/supervise/attachments/" + strconv.FormatInt(f.IDs["attachment-"+module.Side(inside)], 10), nil
		}, Want: seenInside(ok, see)},
		{Pattern: "POST /supervise/items/{id}/progress", Request: itemPost("progress", "/progress", url.Values{"text": {"进展"}, "percent": {"20"}}),
			Want: module.ScopedRole(see, un, Responsible...)},
		{Pattern: "POST /supervise/items/{id}/extension", Request: itemPost("extension", "/extension", url.Values{"due": {"2099-12-31"}, "reason": {"理由"}}),
			Want: module.ScopedRole(see, un, Responsible...)},
		{Pattern: "POST /supervise/items/{id}/decision", Request: itemPost("decision", "/decision", url.Values{"decision": {"approve"}}),
			Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /supervise/items/{id}/return", Request: itemPost("return", "/return", url.Values{"reason": {"材料不全"}}),
			Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /supervise/items/{id}/close", Request: itemPost("close", "/close", url.Values{"note": {"通过"}}),
			Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /supervise/items/{id}/urge", Request: itemPost("item", "/urge", url.Values{"note": {"请加快办理"}}),
			Want: literal(see, un, auth.Office, auth.Admin)},
		{Pattern: "GET /supervise/overdue", Request: module.Get("/supervise/overdue"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /supervise/review", Request: module.Get("/supervise/review?year=2015"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /review", Request: module.Get("/review?year=2015"), Want: module.Always(ok)},
		{Pattern: "GET /supervise/scheme", Request: module.Get("/supervise/scheme"), Want: module.LoggedIn(ok, see)},
		// Only the provincial office changes the scheme: an office at a
		// city is refused like everyone else.
		{Pattern: "POST /supervise/scheme", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/supervise/scheme", url.Values{"yaml": {dom.DefaultSchemeYAML()}}
		}, Want: refusedAll},
		{Pattern: "GET /supervise/units/{code}", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/supervise/units/" + unitOf(inside), nil
		}, Want: seenInside(ok, see)},
		{Pattern: "GET /supervise/overdue/export", Request: module.Get("/supervise/overdue/export"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /supervise/assessment", Request: module.Get("/supervise/assessment?year=2015"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /supervise/assessment/export", Request: module.Get("/supervise/assessment/export?year=2015"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /supervise/assessment/notice.pdf", Request: module.Get("/supervise/assessment/notice.pdf?year=2015"), Want: module.LoggedIn(ok, see)},
		// Publishing and the final decision are the provincial office's:
		// an office or admin at a city is refused like everyone else.
		{Pattern: "POST /supervise/assessment/publish", Request: yearPost("/supervise/assessment/publish", 0, url.Values{"appeal_days": {"10"}}),
			Want: refusedAll},
		{Pattern: "POST /supervise/assessment/finalize", Request: yearPost("/supervise/assessment/finalize", 0, nil), Want: refusedAll},
		{Pattern: "POST /supervise/assessment/adjust", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return yearPost("/supervise/assessment/adjust", 0, url.Values{"unit": {unitOf(inside)}, "points": {"1"}, "reason": {"authz"}})(f, inside)
		}, Want: literal(see, un, auth.Office, auth.Admin)},
		{Pattern: "POST /supervise/assessment/appeal", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return yearPost("/supervise/assessment/appeal", -1, url.Values{"unit": {unitOf(inside)}, "text": {"authz"}})(f, inside)
		}, Want: literal(see, un, auth.Reporter, auth.Approver)},
		{Pattern: "POST /supervise/appeals/{id}/decision", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/supervise/appeals/" + strconv.FormatInt(f.IDs["appeal-"+module.Side(inside)], 10) + "/decision",
				url.Values{"year": {strconv.Itoa(time.Now().In(period.Shanghai).Year())}, "group": {"city"}, "decision": {"reject"}, "reason": {"authz"}}
		}, Want: literal(see, un, auth.Office, auth.Admin)},
		{Pattern: "GET /api/v1/supervision/items", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodGet, "/api/v1/supervision/items?unit=" + unit, nil
		}, Want: seenInside(ok, un)},
		{Pattern: "POST /api/v1/supervision/items", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodPost, "/api/v1/supervision/items", url.Values{"year": {"2015"}, "task": {plan.Default().Tasks(plan.TaskFilter{})[0].ID},
				"units": {unit}, "due": {"2015-12-31"}, "start": {"2015-01-05"}}
		}, Want: module.ScopedRole(http.StatusCreated, un, Offices...)},
		{Pattern: "POST /api/v1/supervision/items/{id}/progress", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/supervision/items/" + strconv.FormatInt(f.IDs["progress-"+module.Side(inside)], 10) + "/progress",
				url.Values{"text": {"进展"}, "percent": {"30"}}
		}, Want: module.ScopedRole(ok, un, Responsible...)},
		{Pattern: "GET /api/v1/assessment/{year}", Request: module.Get("/api/v1/assessment/2015?group=city"), Want: module.LoggedIn(ok, un)},
	}
}
