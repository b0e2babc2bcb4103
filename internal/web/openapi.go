package web

import (
	"net/http"
	"regexp"
	"strings"
)

// coreAPIDocs describes the core's API routes for the OpenAPI document;
// modules add theirs (module.Module.API). Routes without an entry are
// still listed, with their pattern as summary.
func coreAPIDocs() map[string]string {
	return map[string]string{
		"GET /api/v1/me":              "The caller: account, language, roles and the units they are held at",
		"GET /api/v1/orgunits":        "Children of ?parent=CODE, or units matching ?q=TEXT (code prefix or name), optionally ?within=CODE",
		"GET /api/v1/orgunits/{code}": "One org unit: code, name, level, parent, path, child count, ancestors, groups",
		"GET /api/v1/audit":           "Audit log entries, newest first (admins; scoped to their units)",
		"GET /api/v1/openapi.json":    "This document",
	}
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
			"summary":   s.api[rt.pattern],
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
