// Package reporting is the web side of the data reporting module: its [Module]
// value for app.Modules.
//
// Its handlers still live in the web core (package web registers the
// routes of a listed module named "reporting"); they move here one by one.
package reporting

import (
	"zhihui/internal/auth"
	"zhihui/internal/module"
	dom "zhihui/internal/reporting"
	"zhihui/internal/store"
)

// Module is the data reporting module.
func Module() module.Module {
	return module.Module{
		Name:      "reporting",
		Schemas:   []store.Schema{dom.Schema},
		Bootstrap: dom.Install,
		Nav:       []module.Nav{{Key: "reporting", Href: "/reporting", Label: "nav.reporting", Roles: []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Admin}, Order: 30}},
		Pages: []string{
			"/reporting", "/reporting/completeness", "/reporting/validation", "/reporting/outliers",
			"/reporting/datasets", "/reporting/datasets/new", "/reporting/datasets/COUNTY_ANNUAL", "/reporting/rules", "/reporting/rules/new",
			"/reporting/rules/VILLAGES_BB_LE_VILLAGES",
		},
		API: map[string]string{
			"GET /api/v1/progress":        `Progress of the plan's §2.3 targets for the province or ?ou=CODE[,CODE…] (at most 200 units): {"progress":[…],"statuses":{…}}, per target and unit the yearly series, baseline, goal, completion percent, status and trend forecast. Unpublished targets only when the caller holds a role over every unit asked for`,
			"GET /api/v1/public/progress": "The same progress, published targets only; no login needed",
		},
	}
}
