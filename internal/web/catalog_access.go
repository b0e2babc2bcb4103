package web

import (
	"html/template"
	"net/http"

	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
)

// monitorEditors may edit the shared catalogues (monitoring elements and
// indicators, reporting data sets and validation rules); the monitoring
// module's own list is webmonitor.Editors.
var monitorEditors = []auth.Role{auth.Office, auth.Admin}

// canEditCatalog reports whether the caller may change a catalogue that
// serves the whole province: office or admin at the province.
func canEditCatalog(r *http.Request) bool {
	return principal(r).Covers("/"+orgunit.Root+"/", monitorEditors...)
}

// editorOnly answers 403 unless the caller may edit the catalogue.
func (s *Server) editorOnly(w http.ResponseWriter, r *http.Request) bool {
	if canEditCatalog(r) {
		return true
	}
	s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
	return false
}

// periodTypes are the period types a catalogue entry may be reported in.
var periodTypes = []string{"monthly", "quarterly", "sixmonthly", "yearly"}

func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
