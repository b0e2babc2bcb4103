// Package reporting is the web side of the data reporting module: the
// entry forms and their workflow (save, submit, approve, return,
// re-open), the approver's queue, validation, outliers, completeness and
// reminders, the data set and rule catalogues, and the progress API. Its
// handlers are written on the web kit and its templates are its own.
package reporting

import (
	"embed"
	"io/fs"

	"zhihui/internal/auth"
	"zhihui/internal/module"
	dom "zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed all:templates catalog
var files embed.FS

// Who may do what in the reporting cycle.
var (
	viewers  = []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Admin}
	writers  = []auth.Role{auth.Reporter, auth.Admin}
	deciders = dom.Deciders
	openers  = []auth.Role{auth.Approver, auth.Office, auth.Admin}
	// editors change the data sets and rules, which serve the whole
	// province: office or admin at the province (canEditCatalog).
	editors = []auth.Role{auth.Office, auth.Admin}
)

// Module is the data reporting module.
func Module() module.Module {
	catalog, _ := fs.Sub(files, "catalog")
	return module.Module{
		Catalog:   catalog,
		Name:      "reporting",
		Schemas:   []store.Schema{dom.Schema},
		Bootstrap: dom.Install,
		Routes:    routes,
		Nav:       []module.Nav{{Key: "reporting", Href: "/reporting", Label: "nav.reporting", Roles: viewers, Order: 30}},
		Pages: []string{
			"/reporting", "/reporting/completeness", "/reporting/validation", "/reporting/outliers",
			"/reporting/datasets", "/reporting/datasets/new", "/reporting/datasets/COUNTY_ANNUAL", "/reporting/rules", "/reporting/rules/new",
			"/reporting/rules/VILLAGES_BB_LE_VILLAGES", "/reporting/queue",
		},
		API: map[string]string{
			"GET /api/v1/progress":        `Progress of the plan's §2.3 targets for the province or ?ou=CODE[,CODE…] (at most 200 units): {"progress":[…],"statuses":{…}}, per target and unit the yearly series, baseline, goal, completion percent, status and trend forecast. Unpublished targets only when the caller holds a role over every unit asked for`,
			"GET /api/v1/public/progress": "The same progress, published targets only; no login needed",
		},
		Authz: authzCases(),
	}
}

// handlers serve the module's routes.
type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(files, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages}
	role := func(pattern string, rs []auth.Role, f kit.HandlerFunc) kit.Route {
		return kit.Route{Pattern: pattern, Access: kit.Roles, Roles: rs, Handler: f}
	}
	return []kit.Route{
		role("GET /reporting", viewers, h.index),
		role("GET /reporting/form", viewers, h.form),
		role("POST /reporting/form", writers, h.save),
		role("POST /reporting/form/check", writers, h.check),
		role("POST /reporting/form/submit", writers, h.submit),
		role("POST /reporting/form/decide", deciders, h.decide),
		role("POST /reporting/form/reopen", openers, h.reopen),
		role("GET /reporting/queue", deciders, h.queue),
		role("GET /reporting/queue.xlsx", deciders, h.queueXLSX),
		role("POST /reporting/queue/approve", deciders, h.batchApprove),
		role("GET /reporting/validation", viewers, h.validationPage),
		role("POST /reporting/validation", viewers, h.validationRun),
		role("GET /reporting/outliers", viewers, h.outliers),
		role("GET /reporting/completeness", viewers, h.completeness),
		role("POST /reporting/remind", openers, h.remind),
		role("GET /reporting/datasets", viewers, h.dataSets),
		role("GET /reporting/datasets/new", editors, h.dataSetNew),
		role("POST /reporting/datasets", editors, h.dataSetSave),
		role("GET /reporting/datasets/{code}", editors, h.dataSetEdit),
		role("POST /reporting/datasets/{code}", editors, h.dataSetSave),
		role("GET /reporting/rules", viewers, h.rules),
		role("GET /reporting/rules/new", editors, h.ruleNew),
		role("POST /reporting/rules", editors, h.ruleSave),
		role("GET /reporting/rules/{code}", editors, h.ruleEdit),
		role("POST /reporting/rules/{code}", editors, h.ruleSave),
		role("POST /reporting/rules/check", editors, h.ruleCheck),
		role("GET /reporting/units", viewers, h.units),
		role("GET /reporting/units/{code}", viewers, h.units),
		role("GET /reporting/periods", viewers, h.periods),
		{Pattern: "GET /api/v1/progress", Access: kit.User, Handler: h.apiProgress},
		{Pattern: "GET /api/v1/public/progress", Access: kit.Public, Handler: h.apiPublicProgress},
	}, nil
}
