// Package webcheck is the web side of the website inspection module: its [Module]
// value for app.Modules.
//
// Its handlers still live in the web core (package web registers the
// routes of a listed module named "webcheck"); they move here one by one.
package webcheck

import (
	"context"

	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/store"
	dom "zhihui/internal/webcheck"
)

// Module is the website inspection module.
func Module() module.Module {
	return module.Module{
		Name:    "webcheck",
		Schemas: []store.Schema{dom.Schema},
		// The demo websites; their inspection rounds are a job serve
		// enqueues.
		LoadDemo: func(ctx context.Context, db *store.DB) error {
			_, err := dom.LoadDemoSites(ctx, db)
			return err
		},
		// The availability probe round (periodic) and the demo rounds.
		Jobs: func(r *jobs.Registry, env module.JobEnv) {
			dom.RegisterJobs(r, env.DB, env.Log, env.AllowPrivate, env.ProbeInterval)
		},
		Nav: []module.Nav{{Key: "webcheck", Href: "/webcheck", Label: "nav.webcheck", Order: 80}},
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
	}
}
