// Package webcheck is the web side of the website inspection module
// (政府网站检查): sites, inspection rounds, reports, rankings and the
// rectification of problems. Handlers are written on the web kit; the
// domain is package internal/webcheck.
package webcheck

import (
	"context"
	"embed"
	"io/fs"
	"zhihui/internal/cli"

	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
	dom "zhihui/internal/webcheck"
)

//go:embed all:templates catalog
var files embed.FS

// Who does what in the website evaluation programme.
var (
	// managers register sites and start rounds: the office running the
	// programme and the third-party evaluator (admins always may).
	managers = []auth.Role{auth.Admin, auth.Office, auth.Evaluator}
	// owners act for a site's owner unit: they mark problems fixed.
	owners = []auth.Role{auth.Reporter, auth.Approver, auth.Office}
	// checkers confirm or reopen fixed problems.
	checkers = []auth.Role{auth.Evaluator, auth.Office}
)

// maxImport bounds a site list upload.
const maxImport = 20 << 20

// Module is the website inspection module.
func Module() module.Module {
	catalog, _ := fs.Sub(files, "catalog")
	return module.Module{
		Commands: []cli.Command{
			{Name: "inspect", Summary: "one-off website inspection (政府网站检查)", Run: runInspect},
		},
		Name:    "webcheck",
		Catalog: catalog,
		Schemas: []store.Schema{dom.Schema},
		// The demo websites; their inspection rounds are a job serve
		// enqueues.
		LoadDemo: func(ctx context.Context, db *store.DB) error {
			_, err := dom.LoadDemoSites(ctx, db)
			return err
		},
		// Crawl jobs (queue dom.CrawlQueue), the availability probe round
		// (periodic) and the demo rounds.
		Jobs: func(r *jobs.Registry, env module.JobEnv) {
			dom.RegisterJobs(r, env.DB, env.Log, dom.JobOptions{AllowPrivate: env.AllowPrivate, ProbeInterval: env.ProbeInterval,
				Lease: env.Crawl.Lease, AxeScript: env.Crawl.AxeScript, AxeLocale: env.Crawl.AxeLocale})
		},
		Routes: routes,
		Nav:    []module.Nav{{Key: "webcheck", Href: "/webcheck", Label: "nav.webcheck", Order: 80}},
		Pages: []string{
			"/webcheck", "/webcheck/sites", "/webcheck/problems",
		},
		API: map[string]string{
			"GET /api/v1/webcheck/sites":               "Government websites under evaluation within the caller's units; ?kind=portal|department|city|county, ?q=name or URL",
			"POST /api/v1/webcheck/sites":              "Register a website {url, name, kind, org_code} (office, evaluator, admin; owner unit within their units)",
			"POST /api/v1/webcheck/rounds":             "Start an inspection round {name, site_ids, deadline_days, scheme (YAML, optional)}: one crawl job per site (office, evaluator, admin)",
			"GET /api/v1/webcheck/rounds/{id}/ranking": "A round's ranking by 2019 score with 2015 verdicts, ranks over the whole round, rows within the caller's units",
			"GET /api/v1/webcheck/inspections/{id}":    "One inspection: summary, site and the full result with the evidence behind every lost point",
			"GET /api/v1/webcheck/problems":            "Rectification problems within the caller's units; ?status=open|reopened|fixed|closed|pending, ?overdue=1, ?round=ID, ?site=ID",
			"POST /api/v1/webcheck/problems/{id}":      "Act on a problem {action, note}: fix (owner unit), close, reopen or recheck (evaluator, office)",
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
	h := handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /webcheck", Access: kit.User, Handler: h.index},
		{Pattern: "GET /webcheck/sites", Access: kit.User, Handler: h.sites},
		{Pattern: "GET /webcheck/sites/export", Access: kit.User, Handler: h.sitesExport},
		{Pattern: "POST /webcheck/sites", Access: kit.Roles, Roles: managers, Handler: h.siteCreate},
		{Pattern: "POST /webcheck/sites/import", Access: kit.Roles, Roles: managers, Handler: h.siteImport, BodyLimit: maxImport},
		{Pattern: "GET /webcheck/sites/{id}", Access: kit.User, Handler: h.sitePage},
		{Pattern: "POST /webcheck/sites/{id}", Access: kit.Roles, Roles: managers, Handler: h.siteUpdate},
		{Pattern: "POST /webcheck/rounds", Access: kit.Roles, Roles: managers, Handler: h.roundCreate},
		{Pattern: "GET /webcheck/rounds/{id}", Access: kit.User, Handler: h.roundPage},
		{Pattern: "GET /webcheck/rounds/{id}/export", Access: kit.User, Handler: h.roundExport},
		{Pattern: "GET /webcheck/inspections/{id}", Access: kit.User, Handler: h.inspectionPage},
		{Pattern: "GET /webcheck/inspections/{id}/pdf", Access: kit.User, Handler: h.pdf},
		{Pattern: "GET /webcheck/inspections/{id}/xlsx", Access: kit.User, Handler: h.xlsx},
		{Pattern: "GET /webcheck/problems", Access: kit.User, Handler: h.problems},
		{Pattern: "GET /webcheck/problems/export", Access: kit.User, Handler: h.problemsExport},
		{Pattern: "POST /webcheck/problems/{id}", Access: kit.User, Handler: h.problemUpdate},
		{Pattern: "GET /api/v1/webcheck/sites", Access: kit.User, Handler: h.apiSites},
		{Pattern: "POST /api/v1/webcheck/sites", Access: kit.Roles, Roles: managers, Handler: h.apiSiteCreate},
		{Pattern: "POST /api/v1/webcheck/rounds", Access: kit.Roles, Roles: managers, Handler: h.apiRoundCreate},
		{Pattern: "GET /api/v1/webcheck/rounds/{id}/ranking", Access: kit.User, Handler: h.apiRanking},
		{Pattern: "GET /api/v1/webcheck/inspections/{id}", Access: kit.User, Handler: h.apiInspection},
		{Pattern: "GET /api/v1/webcheck/problems", Access: kit.User, Handler: h.apiProblems},
		{Pattern: "POST /api/v1/webcheck/problems/{id}", Access: kit.User, Handler: h.apiProblemUpdate},
	}, nil
}
