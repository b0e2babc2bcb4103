// Package monitor is the web side of the monitoring module: its [Module]
// value for app.Modules.
//
// Its handlers still live in the web core (package web registers the
// routes of a listed module named "monitor"); they move here one by one.
package monitor

import (
	"zhihui/internal/module"
	dom "zhihui/internal/monitor"
	"zhihui/internal/store"
)

// Module is the monitoring module.
func Module() module.Module {
	return module.Module{
		Name:    "monitor",
		Schemas: []store.Schema{dom.Schema},
		// The catalogue adds only what is missing, so it runs on every
		// start and picks up elements added in new releases.
		Bootstrap: dom.InstallCatalog,
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
