// Package evaluate is the web side of the evaluation module: composite
// index frameworks (built-in and stored, with AHP weights), datasets, index
// runs and comparisons, the regional two-integration and city
// informatization indices, and enterprise self-assessment with its PDF
// report. Its handlers are written on the web kit and its templates are
// its own.
package evaluate

import (
	"embed"
	"zhihui/internal/cli"

	"zhihui/internal/evalstore"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed all:templates
var templates embed.FS

// handlers serve the module's routes.
type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(templates, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /evaluate", Access: kit.Roles, Roles: evaluateRoles, Handler: h.evalHome},
		{Pattern: "GET /evaluate/frameworks", Access: kit.Roles, Roles: indexRoles, Handler: h.evalFrameworks},
		{Pattern: "POST /evaluate/frameworks", Access: kit.Roles, Roles: editRoles, Handler: h.evalFrameworkCreate},
		{Pattern: "GET /evaluate/frameworks/{key}", Access: kit.Roles, Roles: indexRoles, Handler: h.evalFramework},
		{Pattern: "GET /evaluate/frameworks/{key}/edit", Access: kit.Roles, Roles: editRoles, Handler: h.evalFrameworkEdit},
		{Pattern: "POST /evaluate/frameworks/{key}", Access: kit.Roles, Roles: editRoles, Handler: h.evalFrameworkSave},
		{Pattern: "POST /evaluate/frameworks/{key}/delete", Access: kit.Roles, Roles: deleteRoles, Handler: h.evalFrameworkDelete},
		{Pattern: "POST /evaluate/ahp", Access: kit.Roles, Roles: indexRoles, Handler: h.evalAHP},
		{Pattern: "GET /evaluate/run", Access: kit.Roles, Roles: indexRoles, Handler: h.evalRun},
		{Pattern: "GET /evaluate/compare", Access: kit.Roles, Roles: indexRoles, Handler: h.evalCompare},
		{Pattern: "GET /evaluate/datasets", Access: kit.Roles, Roles: indexRoles, Handler: h.evalDatasets},
		{Pattern: "POST /evaluate/datasets", Access: kit.Roles, Roles: editRoles, Handler: h.evalDatasetUpload, BodyLimit: maxUploadBytes},
		{Pattern: "GET /evaluate/datasets/{id}", Access: kit.Roles, Roles: indexRoles, Handler: h.evalDataset},
		{Pattern: "POST /evaluate/datasets/{id}/delete", Access: kit.Roles, Roles: deleteRoles, Handler: h.evalDatasetDelete},
		{Pattern: "GET /evaluate/regional", Access: kit.Roles, Roles: indexRoles, Handler: h.evalRegional},
		{Pattern: "GET /evaluate/informatization", Access: kit.Roles, Roles: indexRoles, Handler: h.evalInformatization},
		{Pattern: "GET /evaluate/enterprise", Access: kit.Roles, Roles: enterpriseRoles, Handler: h.evalEnterpriseForm},
		{Pattern: "POST /evaluate/enterprise", Access: kit.Roles, Roles: enterpriseRoles, Handler: h.evalEnterpriseSubmit},
		{Pattern: "GET /evaluate/enterprise/{id}", Access: kit.Roles, Roles: assessmentReaders, Handler: h.evalAssessment},
		{Pattern: "GET /evaluate/enterprise/{id}/report.pdf", Access: kit.Roles, Roles: assessmentReaders, Handler: h.evalAssessmentPDF},
		{Pattern: "GET /evaluate/enterprises", Access: kit.Roles, Roles: officeRoles, Handler: h.evalDistribution},
		{Pattern: "GET /evaluate/enterprises.xlsx", Access: kit.Roles, Roles: officeRoles, Handler: h.evalDistributionXLSX},
		{Pattern: "POST /api/v1/index/run", Access: kit.Roles, Roles: indexRoles, Handler: h.apiIndexRun, BodyLimit: 32 << 20},
	}, nil
}

// Module is the evaluation module.
func Module() module.Module {
	return module.Module{
		Commands: []cli.Command{
			{Name: "index", Summary: "composite index: index run FRAMEWORK.yaml|builtin:ID|stored:KEY --csv FILE.csv | --dataset ID|monitor", Run: runIndexCommand},
		},
		Name:    "evaluate",
		Schemas: []store.Schema{evalstore.Schema},
		// The synthetic datasets and enterprise assessments take a while;
		// the server starts without waiting for them.
		LoadDemo:         evalstore.LoadDemo,
		DemoInBackground: true,
		Routes:           routes,
		Nav:              []module.Nav{{Key: "evaluate", Href: "/evaluate", Label: "evaluate.nav", Roles: evaluateRoles, Order: 90}},
		Pages: []string{
			"/evaluate", "/evaluate/frameworks", "/evaluate/regional", "/evaluate/informatization", "/evaluate/datasets", "/evaluate/enterprise", "/evaluate/enterprises",
		},
		API: map[string]string{
			"POST /api/v1/index/run": "Run a composite index: framework (built-in or stored id) or framework_yaml, data (CSV text, long or wide) or dataset (stored id), source (monitor: the framework's monitor-sourced indicators from monitoring aggregates, data/dataset filling the rest; the default when no data are given and monitoring covers every indicator; dataset), units (for monitoring runs), year, mc (Monte Carlo samples), seed; JSON or form body. Returns scores, ranks, contributions, sources (per indicator: monitor, dataset, both, none), and with mc rank intervals and Sobol indices. Data are restricted to the caller's units (office, leader, admin, evaluator)",
		},
	}
}
