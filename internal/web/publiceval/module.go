// Package publiceval is the web side of public evaluation (公众评价 /
// 好差评): the hosted rating page and the embeddable widget for anonymous
// raters, the public API, the 差评 cases the responsible units handle,
// the office's settings and appeal reviews, statistics and rankings for
// leaders, and the public page of published statistics. The domain is
// package internal/publiceval.
package publiceval

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"zhihui/internal/cli"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed all:templates catalog static
var files embed.FS

// Handlers handle the 差评 cases of their units.
var Handlers = []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Admin}

// Offices configure the module, register targets, review appeals and
// publish statistics.
var Offices = []auth.Role{auth.Office, auth.Admin}

// Module is the public evaluation module.
func Module() module.Module {
	catalog, _ := fs.Sub(files, "catalog")
	return module.Module{
		Commands: []cli.Command{
			{Name: "ratings", Summary: "public evaluation ratings in the provincial exchange format: import FILE [--dry-run] | export --unit CODE --period YYYY|YYYYMM [--format csv|json] --out FILE; case volumes (办件量): volumes import FILE [--dry-run] [--unit CODE] | volumes export|list --unit CODE --period P [--format csv|json|xlsx] [--out FILE]; the monthly bulletin (月度通报): bulletin issue --period YYYYMM [--unit CODE] | bulletin fetch --period YYYYMM [--format pdf|xlsx|json] -o FILE", Run: runRatings},
		},
		Name:    "publiceval",
		Schemas: []store.Schema{dom.Schema},
		Catalog: catalog,
		Routes:  routes,
		Nav: []module.Nav{
			{Key: "rate", Href: "/rate", Label: "publiceval.rate_nav", Public: true, Order: 57},
			{Key: "publiceval", Href: "/publiceval", Label: "publiceval.nav", Order: 58},
		},
		Pages: []string{"/rate", "/rate/stats", "/publiceval", "/publiceval/stats", "/publiceval/settings", "/publiceval/exchange", "/publiceval/flagged", "/publiceval/volumes", "/publiceval/bulletin"},
		API: map[string]string{
			"POST /api/v1/ratings":                `Rate a target (public, no login): {"target":"site-12","level":1..5 (5 非常满意 … 1 非常不满意),"tags":[…],"comment":"…","case":"…","name":"…","phone":"…"} → 201 {"id", "case_id"}; 4xx with message_zh and message_en. Cross-origin callers must be on the allow-list (the target's own site or the office's list).`,
			"OPTIONS /api/v1/ratings":             "CORS preflight of the rating endpoint for allowed embedding sites",
			"GET /api/v1/ratings/stats":           "Statistics of the caller's units: ?unit=CODE&period=YYYYMM|YYYY → counts per level, suspicious and excluded ratings, 差评 rate, satisfaction, rectification and on-time figures, and the ratings per channel (web, widget, api, import)",
			"POST /api/v1/ratings/import":         "Import ratings in the provincial exchange format (office): a CSV or JSON body (Content-Type application/json), see docs/guide.md; ?dry_run=true checks only. 200 {rows, new, existing, cases, written}; 422 with every error located by row and column in both languages and nothing written. A rating id already here is left unchanged.",
			"GET /api/v1/ratings/export":          "Ratings of a unit's subtree in the exchange format, identities masked: ?unit=CODE&period=YYYY|YYYYMM&format=csv|json",
			"GET /api/v1/ratings/volumes":         "Case volumes (办件量) of the caller's units: ?unit=CODE&period=YYYY|YYYYMM → {unit, period, volumes: [{target, month, handled, name, org_code, rated, active_rate}]}, newest month first; ?format=csv|xlsx downloads the list in the columns an import reads (target,name,unit,month,handled, then rated and active_rate, which an import skips)",
			"POST /api/v1/ratings/volumes":        `Record case volumes of the caller's units: JSON rows ([{"target":"service-12","month":"2026-03","handled":120}, …] or {"volumes":[…]}; a listing posted back is read as it is), a CSV or XLSX body (Content-Type text/csv or application/vnd.openxmlformats-officedocument.spreadsheetml.sheet) or a file in field file of multipart/form-data; ?dryRun=true checks only. All or nothing: 200 {rows, new, changed, same, dry_run, written}; 422 {errors: [{row, column, sheet, message_zh, message_en}]} with nothing written. A target and month recorded before takes the new figure, so the same rows twice change nothing.`,
			"GET /api/v1/ratings/bulletin":        "The monthly bulletin (月度通报) of the units under a unit of the caller's: ?unit=CODE&month=YYYYMM (default last month) → {unit, unit_name, month, title, issued_at (null: not issued), totals, rates, rows: [{rank, code, name, counts, rates}], rules} in the caller's language; ?format=pdf|xlsx downloads the document the bulletin page offers",
			"POST /api/v1/ratings/bulletin/issue": "Issue a month's bulletin (office, for a unit of its subtree): ?unit=CODE&month=YYYYMM → 200 {unit, month, issued, issued_at}; the units' staff are told once; issued is false when the month was issued before",
			"GET /api/v1/ratings/cases":           "差评 cases of the caller's units (rater identity masked): ?state=open|new|contacted|handling|appeal|answered|closed|excluded",
		},
		LoadDemo:         dom.LoadDemo,
		DemoInBackground: true,
		Jobs: func(r *jobs.Registry, env module.JobEnv) {
			jobs.Handle(r, func(ctx context.Context, j *jobs.Job[AlertArgs]) error {
				a, err := dom.New(env.DB).Alerts(ctx)
				if err == nil && len(a) > 0 {
					env.Log.Info("public evaluation overdue alerts", "cases", len(a))
				}
				return err
			})
			r.Every("publiceval_alerts", time.Hour, true, func() (jobs.Args, *jobs.InsertOpts) {
				return AlertArgs{}, &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByPeriod: time.Hour}}
			})
			jobs.Handle(r, func(ctx context.Context, j *jobs.Job[BulletinArgs]) error {
				issued, err := dom.IssueLastMonth(ctx, env.DB, time.Now())
				if err == nil && issued {
					env.Log.Info("public evaluation monthly bulletin issued")
				}
				return err
			})
			// daily: last month's bulletin is issued on the first run of a
			// month, once (publiceval_bulletin remembers it)
			r.Every("publiceval_bulletin", 24*time.Hour, true, func() (jobs.Args, *jobs.InsertOpts) {
				return BulletinArgs{}, &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByPeriod: 24 * time.Hour}}
			})
		},
		Authz:      authzCases(),
		AuthzSetup: authzSetup,
	}
}

// BulletinArgs is the daily job that issues last month's bulletin.
type BulletinArgs struct{}

// Kind names the job.
func (BulletinArgs) Kind() string { return "publiceval_bulletin" }

// AlertArgs is the hourly job that finds overdue 差评 cases.
type AlertArgs struct{}

// Kind names the job.
func (AlertArgs) Kind() string { return "publiceval_alerts" }

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(files, "templates")
	if err != nil {
		return nil, err
	}
	widget, err := files.ReadFile("static/widget.js")
	if err != nil {
		return nil, err
	}
	h := &handlers{k: k, pages: pages, svc: &dom.Service{DB: k.DB, GroupCommit: true}, widget: widget, limits: newLimits()}
	return []kit.Route{
		{Pattern: "GET /rate", Access: kit.Public, Handler: h.targets},
		{Pattern: "GET /rate/stats", Access: kit.Public, Handler: h.publicStats},
		{Pattern: "GET /rate/{key}", Access: kit.Public, Handler: h.form},
		{Pattern: "POST /rate/{key}", Access: kit.Public, Handler: h.rate, BodyLimit: dom.MaxBody, CrossOrigin: true},
		{Pattern: "GET /rate/{key}/thanks", Access: kit.Public, Handler: h.thanks},
		{Pattern: "GET /rate/{key}/qr.png", Access: kit.Public, Handler: h.qr},
		{Pattern: "GET /widget.js", Access: kit.Public, Handler: h.widgetJS},
		{Pattern: "POST /api/v1/ratings", Access: kit.Public, Handler: h.apiRate, BodyLimit: dom.MaxBody, CrossOrigin: true},
		{Pattern: "OPTIONS /api/v1/ratings", Access: kit.Public, Handler: h.preflight, BodyLimit: 1, CrossOrigin: true},
		{Pattern: "GET /api/v1/ratings/stats", Access: kit.User, Handler: h.apiStats},
		{Pattern: "GET /api/v1/ratings/cases", Access: kit.Roles, Roles: Handlers, Handler: h.apiCases},
		{Pattern: "GET /publiceval", Access: kit.User, Handler: h.cases},
		{Pattern: "GET /publiceval/export", Access: kit.Roles, Roles: Handlers, Handler: h.casesExport},
		{Pattern: "GET /publiceval/cases/{id}", Access: kit.Roles, Roles: Handlers, Handler: h.caseView},
		{Pattern: "POST /publiceval/cases/{id}/step", Access: kit.Roles, Roles: Handlers, Handler: h.step},
		{Pattern: "POST /publiceval/cases/{id}/appeal", Access: kit.Roles, Roles: Offices, Handler: h.appeal},
		{Pattern: "POST /publiceval/cases/{id}/identity", Access: kit.Roles, Roles: Handlers, Handler: h.identity},
		{Pattern: "GET /publiceval/stats", Access: kit.User, Handler: h.stats},
		{Pattern: "GET /publiceval/stats/export", Access: kit.User, Handler: h.statsExport},
		{Pattern: "POST /publiceval/publish", Access: kit.Roles, Roles: Offices, Handler: h.publish},
		{Pattern: "GET /publiceval/settings", Access: kit.Roles, Roles: Offices, Handler: h.settings},
		{Pattern: "POST /publiceval/settings", Access: kit.Roles, Roles: Offices, Handler: h.saveSettings},
		{Pattern: "POST /publiceval/targets", Access: kit.Roles, Roles: Offices, Handler: h.addTarget},
		{Pattern: "GET /publiceval/exchange", Access: kit.Roles, Roles: Handlers, Handler: h.exchange},
		{Pattern: "GET /publiceval/exchange/export", Access: kit.Roles, Roles: Handlers, Handler: h.exchangeExport},
		{Pattern: "POST /publiceval/exchange/preview", Access: kit.Roles, Roles: Offices, Handler: h.exchangePreview, BodyLimit: MaxExchangeFile + 1<<20},
		{Pattern: "POST /publiceval/exchange/confirm", Access: kit.Roles, Roles: Offices, Handler: h.exchangeConfirm},
		{Pattern: "POST /api/v1/ratings/import", Access: kit.Roles, Roles: Offices, Handler: h.apiImport, BodyLimit: MaxExchangeFile},
		{Pattern: "GET /api/v1/ratings/export", Access: kit.Roles, Roles: Handlers, Handler: h.exchangeExport},
		{Pattern: "GET /publiceval/bulletin", Access: kit.User, Handler: h.bulletin},
		{Pattern: "GET /publiceval/bulletin.pdf", Access: kit.User, Handler: h.bulletinPDF},
		{Pattern: "GET /publiceval/bulletin.xlsx", Access: kit.User, Handler: h.bulletinXLSX},
		{Pattern: "POST /publiceval/bulletin/issue", Access: kit.Roles, Roles: Offices, Handler: h.issueBulletin},
		{Pattern: "GET /api/v1/ratings/bulletin", Access: kit.User, Handler: h.apiBulletin},
		{Pattern: "POST /api/v1/ratings/bulletin/issue", Access: kit.Roles, Roles: Offices, Handler: h.apiIssueBulletin},
		{Pattern: "GET /rate/stats/bulletin.pdf", Access: kit.Public, Handler: h.publicBulletin},
		{Pattern: "GET /publiceval/volumes", Access: kit.Roles, Roles: Handlers, Handler: h.volumes},
		{Pattern: "POST /publiceval/volumes", Access: kit.Roles, Roles: Handlers, Handler: h.saveVolume},
		{Pattern: "POST /publiceval/volumes/import", Access: kit.Roles, Roles: Handlers, Handler: h.importVolumes, BodyLimit: dom.MaxVolumeFile + 1<<20},
		{Pattern: "GET /publiceval/volumes/export", Access: kit.Roles, Roles: Handlers, Handler: h.volumesExport},
		{Pattern: "GET /api/v1/ratings/volumes", Access: kit.Roles, Roles: Handlers, Handler: h.apiVolumes},
		{Pattern: "POST /api/v1/ratings/volumes", Access: kit.Roles, Roles: Handlers, Handler: h.apiImportVolumes, BodyLimit: dom.MaxVolumeFile + 1<<20},
		{Pattern: "GET /publiceval/flagged", Access: kit.Roles, Roles: Offices, Handler: h.flagged},
		{Pattern: "GET /publiceval/flagged/export", Access: kit.Roles, Roles: Offices, Handler: h.flaggedExport},
		{Pattern: "POST /publiceval/flagged/{id}/review", Access: kit.Roles, Roles: Offices, Handler: h.review},
	}, nil
}

// authzSetup creates, per caller, targets of 4101 (inside) and 4102
// (outside) with a 差评 case each, per kind of step.
func authzSetup(ctx context.Context, db *store.DB, f *module.Fixture) error {
	all := func(string) bool { return true }
	a := audit.Actor{Name: "authz"}
	s := dom.New(db)
	for j, side := range []struct{ name, unit string }{{"in", "4101"}, {"out", "4102"}} {
		t, err := dom.AddTarget(ctx, db, a, dom.NewTarget{Kind: dom.KindService, Name: "authz " + side.unit, OrgCode: side.unit}, all)
		if err != nil {
			return err
		}
		f.Obj["target-"+side.name] = t.Key
		// a flagged rating (the honeypot) for the office to review
		fr, err := s.Rate(ctx, dom.Input{Target: t.Key, Level: dom.VeryDissatisfied, IP: fmt.Sprintf("10.%d.%d.%d", f.InUser%250, f.InUser/250%250, 200+j),
			UserAgent: "authz", Website: "robot"}, false)
		if err != nil {
			return err
		}
		f.IDs["flagged-"+side.name] = fr.ID
		for i, kind := range []string{"case", "step", "appeal", "identity"} {
			r, err := s.Rate(ctx, dom.Input{Target: t.Key, Level: dom.VeryDissatisfied, IP: fmt.Sprintf("10.%d.%d.%d", f.InUser%250, f.InUser/250%250, 1+i*2+j),
				UserAgent: "authz"}, false)
			if err != nil {
				return err
			}
			f.IDs[kind+"-"+side.name] = r.CaseID
			if kind == "appeal" {
				for _, st := range []dom.Step{{Kind: "contact", Text: "authz"}, {Kind: "triage", Choice: dom.TriageAppeal, Text: "authz"}} {
					if err := s.Do(ctx, a, r.CaseID, st, all); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func casePost(kind, suffix string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		return http.MethodPost, "/publiceval/cases/" + strconv.FormatInt(f.IDs[kind+"-"+module.Side(inside)], 10) + suffix, form
	}
}

func authzCases() []module.AuthzCase {
	const ok, see, un, forbidden = http.StatusOK, http.StatusSeeOther, http.StatusUnauthorized, http.StatusForbidden
	// Ratings are public: everyone may rate the targets inside and
	// outside; each caller rates from its own case number.
	rate := func(path string) func(*module.Fixture, bool) (string, string, url.Values) {
		return func(f *module.Fixture, inside bool) (string, string, url.Values) {
			key := f.Obj["target-"+module.Side(inside)]
			p := path
			if p == "" {
				p = "/rate/" + key
			}
			return http.MethodPost, p, url.Values{"target": {key}, "level": {"5"}}
		}
	}
	unitGet := func(path string) func(*module.Fixture, bool) (string, string, url.Values) {
		return func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodGet, path + "?" + url.Values{"unit": {unit}, "period": {"2026"}}.Encode(), nil
		}
	}
	scopedHandlers := func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return un
		case !slices.Contains(Handlers, r):
			return forbidden
		case !inside:
			return forbidden
		}
		return ok
	}
	return []module.AuthzCase{
		{Pattern: "GET /publiceval/flagged", Request: module.Get("/publiceval/flagged?review=all"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "GET /publiceval/flagged/export", Request: module.Get("/publiceval/flagged/export"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /publiceval/flagged/{id}/review", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/flagged/" + strconv.FormatInt(f.IDs["flagged-"+module.Side(inside)], 10) + "/review", url.Values{"decision": {"abuse"}, "reason": {"机器刷评"}}
		}, Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /publiceval/exchange", Request: module.Get("/publiceval/exchange"), Want: module.AnyRole(ok, see, Handlers...)},
		{Pattern: "GET /publiceval/exchange/export", Request: unitGet("/publiceval/exchange/export"), Want: func(r auth.Role, inside bool) int {
			if r == "" {
				return see
			}
			return scopedHandlers(r, inside)
		}},
		{Pattern: "GET /api/v1/ratings/export", Request: unitGet("/api/v1/ratings/export"), Want: scopedHandlers},
		// (a target outside the caller's units is an error of its row: see TestExchangePages)
		{Pattern: "POST /publiceval/exchange/preview", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/exchange/preview", url.Values{}
		}, Want: module.AnyRole(http.StatusBadRequest, un, Offices...)},
		{Pattern: "POST /publiceval/exchange/confirm", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/exchange/confirm", url.Values{"token": {"none"}}
		}, Want: module.AnyRole(http.StatusBadRequest, un, Offices...)},
		{Pattern: "POST /api/v1/ratings/import", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/ratings/import?dry_run=true", url.Values{"rating_id": {fmt.Sprintf("AZ-%d", f.InUser)}, "target": {f.Obj["target-"+module.Side(inside)]}}
		}, Want: module.AnyRole(http.StatusUnprocessableEntity, un, Offices...)},
		{Pattern: "GET /publiceval/bulletin", Request: unitGet("/publiceval/bulletin"), Want: func(r auth.Role, inside bool) int {
			switch {
			case r == "":
				return see
			case !inside:
				return forbidden
			}
			return ok
		}},
		{Pattern: "GET /publiceval/bulletin.pdf", Request: unitGet("/publiceval/bulletin.pdf"), Want: func(r auth.Role, inside bool) int {
			switch {
			case r == "":
				return see
			case !inside:
				return forbidden
			}
			return ok
		}},
		{Pattern: "GET /publiceval/bulletin.xlsx", Request: unitGet("/publiceval/bulletin.xlsx"), Want: func(r auth.Role, inside bool) int {
			switch {
			case r == "":
				return see
			case !inside:
				return forbidden
			}
			return ok
		}},
		{Pattern: "POST /publiceval/bulletin/issue", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodPost, "/publiceval/bulletin/issue", url.Values{"unit": {unit}, "month": {"202601"}}
		}, Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /api/v1/ratings/bulletin", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodGet, "/api/v1/ratings/bulletin?" + url.Values{"unit": {unit}, "month": {"202601"}}.Encode(), nil
		}, Want: func(r auth.Role, inside bool) int {
			switch {
			case r == "":
				return un
			case !inside:
				return forbidden
			}
			return ok
		}},
		{Pattern: "POST /api/v1/ratings/bulletin/issue", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodPost, "/api/v1/ratings/bulletin/issue", url.Values{"unit": {unit}, "month": {"202602"}}
		}, Want: module.ScopedRole(ok, un, Offices...)},
		// (only published months: none in the matrix)
		{Pattern: "GET /rate/stats/bulletin.pdf", Request: module.Get("/rate/stats/bulletin.pdf?month=190001"), Want: module.Always(http.StatusNotFound)},
		{Pattern: "GET /publiceval/volumes", Request: unitGet("/publiceval/volumes"), Want: func(r auth.Role, inside bool) int {
			if r == "" {
				return see
			}
			return scopedHandlers(r, inside)
		}},
		{Pattern: "GET /publiceval/volumes/export", Request: unitGet("/publiceval/volumes/export"), Want: func(r auth.Role, inside bool) int {
			if r == "" {
				return see
			}
			return scopedHandlers(r, inside)
		}},
		{Pattern: "POST /publiceval/volumes", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/volumes", url.Values{"target": {f.Obj["target-"+module.Side(inside)]}, "month": {"2026-01"}, "handled": {"12"}}
		}, Want: module.ScopedRole(see, un, Handlers...)},
		{Pattern: "GET /api/v1/ratings/volumes", Request: unitGet("/api/v1/ratings/volumes"), Want: scopedHandlers},
		// (one entry as form fields; in a file a target outside the
		// caller's units is an error of its row: see TestVolumeAPI)
		{Pattern: "POST /api/v1/ratings/volumes", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/ratings/volumes?dryRun=true", url.Values{"target": {f.Obj["target-"+module.Side(inside)]}, "month": {"2026-01"}, "handled": {"12"}}
		}, Want: module.ScopedRole(ok, un, Handlers...)},
		// (a row outside the caller's units is an error of that row: see TestVolumePages)
		{Pattern: "POST /publiceval/volumes/import", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/volumes/import", url.Values{}
		}, Want: module.AnyRole(http.StatusBadRequest, un, Handlers...)},
		{Pattern: "GET /rate", Request: module.Get("/rate"), Want: module.Always(ok)},
		{Pattern: "GET /rate/stats", Request: module.Get("/rate/stats"), Want: module.Always(ok)},
		{Pattern: "GET /rate/{key}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/rate/" + f.Obj["target-"+module.Side(inside)], nil
		}, Want: module.Always(ok)},
		{Pattern: "POST /rate/{key}", Request: rate(""), Want: module.Always(see)},
		{Pattern: "GET /rate/{key}/thanks", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/rate/" + f.Obj["target-"+module.Side(inside)] + "/thanks", nil
		}, Want: module.Always(ok)},
		{Pattern: "GET /rate/{key}/qr.png", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/rate/" + f.Obj["target-"+module.Side(inside)] + "/qr.png", nil
		}, Want: module.Always(ok)},
		{Pattern: "GET /widget.js", Request: module.Get("/widget.js"), Want: module.Always(ok)},
		{Pattern: "POST /api/v1/ratings", Request: rate("/api/v1/ratings"), Want: module.Always(http.StatusCreated)},
		{Pattern: "OPTIONS /api/v1/ratings", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodOptions, "/api/v1/ratings", nil
		}, Want: module.Always(http.StatusNoContent)},
		{Pattern: "GET /api/v1/ratings/stats", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodGet, "/api/v1/ratings/stats?period=2026&unit=" + unit, nil
		}, Want: func(r auth.Role, inside bool) int {
			switch {
			case r == "":
				return un
			case !inside:
				return forbidden
			}
			return ok
		}},
		{Pattern: "GET /api/v1/ratings/cases", Request: module.Get("/api/v1/ratings/cases"), Want: module.AnyRole(ok, un, Handlers...)},
		{Pattern: "GET /publiceval", Request: module.Get("/publiceval"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /publiceval/export", Request: module.Get("/publiceval/export"), Want: module.AnyRole(ok, see, Handlers...)},
		{Pattern: "GET /publiceval/cases/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/publiceval/cases/" + strconv.FormatInt(f.IDs["case-"+module.Side(inside)], 10), nil
		}, Want: module.ScopedRole(ok, see, Handlers...)},
		{Pattern: "POST /publiceval/cases/{id}/step", Request: casePost("step", "/step", url.Values{"kind": {"contact"}, "text": {"已联系"}}),
			Want: module.ScopedRole(see, un, Handlers...)},
		{Pattern: "POST /publiceval/cases/{id}/appeal", Request: casePost("appeal", "/appeal", url.Values{"choice": {"rejected"}, "text": {"不属恶意"}}),
			Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /publiceval/cases/{id}/identity", Request: casePost("identity", "/identity", nil),
			Want: module.ScopedRole(ok, un, Handlers...)},
		{Pattern: "GET /publiceval/stats", Request: module.Get("/publiceval/stats?period=2026"), Want: module.LoggedIn(ok, see)},
		{Pattern: "GET /publiceval/stats/export", Request: module.Get("/publiceval/stats/export?period=2026"), Want: module.LoggedIn(ok, see)},
		{Pattern: "POST /publiceval/publish", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/publish", url.Values{"month": {"202601"}}
		}, Want: module.AnyRole(see, un, Offices...)},
		{Pattern: "GET /publiceval/settings", Request: module.Get("/publiceval/settings"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /publiceval/settings", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/publiceval/settings", url.Values{"contact_days": {"1"}, "rectify_days": {"5"}}
		}, Want: module.AnyRole(see, un, Offices...)},
		{Pattern: "POST /publiceval/targets", Request: func(_ *module.Fixture, inside bool) (string, string, url.Values) {
			unit := "4102"
			if inside {
				unit = "4101"
			}
			return http.MethodPost, "/publiceval/targets", url.Values{"kind": {"service"}, "name": {"事项"}, "org": {unit}}
		}, Want: module.ScopedRole(see, un, Offices...)},
	}
}
