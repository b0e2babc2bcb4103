package web

import (
	"net/http"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
)

type homeView struct {
	Home    orgunit.Unit
	Targets []plan.Target
	Tasks   int
	Plan    *plan.Plan
}

// home is the start page: for visitors a short public introduction, for
// users their unit, the plan's targets and where to go next.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	pl := plan.Default()
	v := homeView{Targets: pl.Targets(), Tasks: len(pl.Tasks(plan.TaskFilter{})), Plan: pl}
	if p.Authenticated() {
		if u, err := orgunit.Get(r.Context(), s.db, p.Home()); err == nil {
			v.Home = u
		}
	}
	pg := s.page(r, "home", v)
	pg.Title = i18n.T(pg.Lang, "app.name")
	s.render(w, r, "home", http.StatusOK, pg)
}

type meResponse struct {
	*auth.User
	Lang  string   `json:"lang"`
	Roles []string `json:"roles"`
}

// apiMe: GET /api/v1/me
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	u := principal(r).User
	seen := map[auth.Role]bool{}
	roles := []string{}
	for _, g := range u.Grants {
		if !seen[g.Role] {
			seen[g.Role] = true
			roles = append(roles, string(g.Role))
		}
	}
	if u.Grants == nil {
		u.Grants = []auth.Grant{}
	}
	writeJSON(w, http.StatusOK, meResponse{User: u, Lang: lang(r), Roles: roles})
}
