// Package monitor is the web side of the monitoring module: the catalogue
// of data elements and indicators, analytics (page and DHIS2-style API),
// data value import with a preview, export and report templates. Its
// handlers are written on the web kit and its templates are its own.
package monitor

import (
	"embed"
	"zhihui/internal/cli"

	"zhihui/internal/module"
	dom "zhihui/internal/monitor"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed all:templates
var templates embed.FS

// MaxUpload bounds an uploaded import file.
const MaxUpload = 200 << 20

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
		{Pattern: "GET /monitor", Access: kit.User, Handler: h.monitorHome},
		{Pattern: "GET /monitor/elements", Access: kit.User, Handler: h.monitorElements},
		{Pattern: "GET /monitor/elements/new", Access: kit.Roles, Roles: Editors, Handler: h.monitorElementNew},
		{Pattern: "POST /monitor/elements", Access: kit.Roles, Roles: Editors, Handler: h.monitorElementSave},
		{Pattern: "GET /monitor/elements/{code}", Access: kit.Roles, Roles: Editors, Handler: h.monitorElementEdit},
		{Pattern: "POST /monitor/elements/{code}", Access: kit.Roles, Roles: Editors, Handler: h.monitorElementSave},
		{Pattern: "GET /monitor/indicators", Access: kit.User, Handler: h.monitorIndicators},
		{Pattern: "GET /monitor/indicators/new", Access: kit.Roles, Roles: Editors, Handler: h.monitorIndicatorNew},
		{Pattern: "POST /monitor/indicators", Access: kit.Roles, Roles: Editors, Handler: h.monitorIndicatorSave},
		{Pattern: "GET /monitor/indicators/{code}", Access: kit.Roles, Roles: Editors, Handler: h.monitorIndicatorEdit},
		{Pattern: "POST /monitor/indicators/{code}", Access: kit.Roles, Roles: Editors, Handler: h.monitorIndicatorSave},
		{Pattern: "POST /monitor/formula/check", Access: kit.Roles, Roles: Editors, Handler: h.monitorFormulaCheck},
		{Pattern: "GET /monitor/import", Access: kit.Roles, Roles: Reporters, Handler: h.monitorImportPage},
		{Pattern: "POST /monitor/import", Access: kit.Roles, Roles: Reporters, Handler: h.monitorImportPreview, BodyLimit: MaxUpload},
		{Pattern: "POST /monitor/import/confirm", Access: kit.Roles, Roles: Reporters, Handler: h.monitorImportConfirm},
		{Pattern: "POST /monitor/import/mapping", Access: kit.Roles, Roles: Editors, Handler: h.monitorImportMapping},
		{Pattern: "GET /monitor/template", Access: kit.Roles, Roles: Reporters, Handler: h.monitorTemplate},
		{Pattern: "GET /monitor/export", Access: kit.User, Handler: h.monitorExportPage},
		{Pattern: "GET /monitor/export/download", Access: kit.User, Handler: h.monitorExportDownload},
		{Pattern: "GET /api/v1/analytics", Access: kit.Public, Handler: h.apiAnalytics},
		{Pattern: "GET /api/v1/dataValueSets", Access: kit.User, Handler: h.apiDataValueSetsGet},
		{Pattern: "POST /api/v1/dataValueSets", Access: kit.Roles, Roles: Reporters, Handler: h.apiDataValueSetsPost, BodyLimit: 64 << 20},
		{Pattern: "GET /api/v1/dataElements", Access: kit.User, Handler: h.apiDataElements},
		{Pattern: "GET /api/v1/indicators", Access: kit.User, Handler: h.apiIndicators},
	}, nil
}

// Module is the monitoring module.
func Module() module.Module {
	return module.Module{
		Commands: []cli.Command{
			{Name: "import", Summary: "import data values from a CSV or XLSX file (long or 统计报表 shape): FILE [--dry-run]", Run: runImport},
			{Name: "export", Summary: "export analytics (--dx --pe --ou) or raw values (--raw) to CSV or XLSX: --out FILE", Run: runExport},
		},
		Name:    "monitor",
		Schemas: []store.Schema{dom.Schema},
		// The catalogue adds only what is missing, so it runs on every
		// start and picks up elements added in new releases.
		Bootstrap: dom.InstallCatalog,
		Routes:    routes,
		Nav:       []module.Nav{{Key: "monitor", Href: "/monitor", Label: "nav.monitor", Order: 60}},
		Pages: []string{
			"/monitor", "/monitor/elements", "/monitor/indicators", "/monitor/import", "/monitor/export",
		},
		API: map[string]string{
			"GET /api/v1/analytics":      "Analytics, DHIS2 style: ?dx=CODES&pe=PERIODS&ou=SELECTORS (';'-separated; ou accepts LEVEL-n and CHILDREN, pe accepts LAST_12_MONTHS, THIS_YEAR …). Rows (dx, pe, ou, value) and metaData with names. Anonymous callers get published data only, at most 20,000 cells (data × periods × units) per query and 120 requests a minute per address (429 with Retry-After beyond)",
			"GET /api/v1/dataValueSets":  "Raw data values: ?dataElement=&orgUnit=&period=[&children=true], limited to the caller's units",
			"POST /api/v1/dataValueSets": `Write data values {"dataValues":[{"dataElement","orgUnit","period","value","comment"}]} in one transaction (empty value deletes); ?dryRun=true only validates. 409 with every error when invalid`,
			"GET /api/v1/dataElements":   "The monitoring data elements",
			"GET /api/v1/indicators":     "The monitoring indicators with their formulas",
		},
	}
}
