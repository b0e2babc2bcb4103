// Package evaluate is the web side of the evaluation module: its [Module]
// value for app.Modules.
//
// Its handlers still live in the web core (package web registers the
// routes of a listed module named "evaluate"); they move here one by one.
package evaluate

import (
	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/module"
	"zhihui/internal/store"
)

// Module is the evaluation module.
func Module() module.Module {
	return module.Module{
		Name:    "evaluate",
		Schemas: []store.Schema{evalstore.Schema},
		// The synthetic datasets and enterprise assessments take a while;
		// the server starts without waiting for them.
		LoadDemo:         evalstore.LoadDemo,
		DemoInBackground: true,
		Nav:              []module.Nav{{Key: "evaluate", Href: "/evaluate", Label: "evaluate.nav", Roles: []auth.Role{auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Enterprise}, Order: 90}},
		Pages: []string{
			"/evaluate", "/evaluate/frameworks", "/evaluate/regional", "/evaluate/informatization", "/evaluate/datasets", "/evaluate/enterprise", "/evaluate/enterprises",
		},
		API: map[string]string{
			"POST /api/v1/index/run": "Run a composite index: framework (built-in or stored id) or framework_yaml, data (CSV text, long or wide) or dataset (stored id), source (monitor: the framework's monitor-sourced indicators from monitoring aggregates, data/dataset filling the rest; the default when no data are given and monitoring covers every indicator; dataset), units (for monitoring runs), year, mc (Monte Carlo samples), seed; JSON or form body. Returns scores, ranks, contributions, sources (per indicator: monitor, dataset, both, none), and with mc rank intervals and Sobol indices. Data are restricted to the caller's units (office, leader, admin, evaluator)",
		},
	}
}
