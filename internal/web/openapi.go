package web

import (
	"net/http"
	"regexp"
	"strings"
)

// apiDocs describes API routes for the OpenAPI document; routes without an
// entry are still listed, with their pattern as summary.
var apiDocs = map[string]string{
	"GET /api/v1/me":              "The caller: account, language, roles and the units they are held at",
	"GET /api/v1/orgunits":        "Children of ?parent=CODE, or units matching ?q=TEXT (code prefix or name), optionally ?within=CODE",
	"GET /api/v1/orgunits/{code}": "One org unit: code, name, level, parent, path, child count, ancestors, groups",
	"GET /api/v1/plan":            "The plan: sections, goals, targets, and tasks filtered by ?section= and ?dept=",
	"POST /api/v1/index/run":      "Run a composite index: framework (built-in or stored id) or framework_yaml, data (CSV text, long or wide) or dataset (stored id), source (monitor: the framework's monitor-sourced indicators from monitoring aggregates, data/dataset filling the rest; the default when no data are given and monitoring covers every indicator; dataset), units (for monitoring runs), year, mc (Monte Carlo samples), seed; JSON or form body. Returns scores, ranks, contributions, sources (per indicator: monitor, dataset, both, none), and with mc rank intervals and Sobol indices. Data are restricted to the caller's units (office, leader, admin, evaluator)",
	"GET /api/v1/audit":           "Audit log entries, newest first (admins; scoped to their units)",
	"GET /api/v1/openapi.json":    "This document",
	"GET /api/v1/analytics":       "Analytics, DHIS2 style: ?dx=CODES&pe=PERIODS&ou=SELECTORS (';'-separated; ou accepts LEVEL-n and CHILDREN, pe accepts LAST_12_MONTHS, THIS_YEAR …). Rows (dx, pe, ou, value) and metaData with names. Anonymous callers get published data only",
	"GET /api/v1/dataValueSets":   "Raw data values: ?dataElement=&orgUnit=&period=[&children=true], limited to the caller's units",
	"POST /api/v1/dataValueSets":  `Write data values {"dataValues":[{"dataElement","orgUnit","period","value","comment"}]} in one transaction (empty value deletes); ?dryRun=true only validates. 409 with every error when invalid`,
	"GET /api/v1/dataElements":    "The monitoring data elements",
	"GET /api/v1/indicators":      "The monitoring indicators with their formulas",
	"GET /api/v1/progress":        `Progress of the plan's §2.3 targets for the province or ?ou=CODE[,CODE…] (at most 200 units): {"progress":[…],"statuses":{…}}, per target and unit the yearly series, baseline, goal, completion percent, status and trend forecast. Unpublished targets only when the caller holds a role over every unit asked for`,
	"GET /api/v1/public/progress": "The same progress, published targets only; no login needed",

	"GET /api/v1/webcheck/sites":               "Government websites under evaluation within the caller's units; ?kind=portal|department|city|county, ?q=name or URL",
	"POST /api/v1/webcheck/sites":              "Register a website {url, name, kind, org_code} (office, evaluator, admin; owner unit within their units)",
	"POST /api/v1/webcheck/rounds":             "Start an inspection round {name, site_ids, deadline_days, scheme (YAML, optional)}: one crawl job per site (office, evaluator, admin)",
	"GET /api/v1/webcheck/rounds/{id}/ranking": "A round's ranking by 2019 score with 2015 verdicts, ranks over the whole round, rows within the caller's units",
	"GET /api/v1/webcheck/inspections/{id}":    "One inspection: summary, site and the full result with the evidence behind every lost point",
	"GET /api/v1/webcheck/problems":            "Rectification problems within the caller's units; ?status=open|reopened|fixed|closed|pending, ?overdue=1, ?round=ID, ?site=ID",
	"POST /api/v1/webcheck/problems/{id}":      "Act on a problem {action, note}: fix (owner unit), close, reopen or recheck (evaluator, office)",
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)\.{0,3}\}`)

// apiOpenAPI serves an OpenAPI 3.1 document generated from the route table,
// so it cannot drift from the routes that exist.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		op := map[string]any{
			"summary":   apiDocs[rt.pattern],
			"responses": map[string]any{"200": map[string]any{"description": "OK"}, "401": map[string]any{"$ref": "#/components/responses/Unauthorized"}, "403": map[string]any{"$ref": "#/components/responses/Forbidden"}},
		}
		if op["summary"] == "" {
			op["summary"] = rt.pattern
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.access == public {
			op["security"] = []any{}
		}
		p := pathParam.ReplaceAllString(path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(method)] = op
	}
	errSchema := map[string]any{"type": "object", "properties": map[string]any{
		"status": map[string]string{"type": "integer"}, "code": map[string]string{"type": "string"},
		"message": map[string]string{"type": "string"}, "message_zh": map[string]string{"type": "string"}, "message_en": map[string]string{"type": "string"},
	}}
	writeJSON(w, http.StatusOK, map[string]any{
		"openapi":  "3.1.0",
		"info":     map[string]any{"title": "Zhihui API (智慧河南信息化推进平台)", "version": "1"},
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}},
		"components": map[string]any{
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "Token from `zhihui user token NAME`"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie},
			},
			"schemas": map[string]any{"Error": errSchema},
			"responses": map[string]any{
				"Unauthorized": map[string]any{"description": "Not logged in", "content": map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/Error"}}}},
				"Forbidden":    map[string]any{"description": "Not allowed", "content": map[string]any{"application/json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/Error"}}}},
			},
		},
	})
}
