package web

import (
	"html/template"
	"net/http"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/reporting"
)

type homeView struct {
	Home    orgunit.Unit
	Targets []plan.Target
	Tasks   int
	Plan    *plan.Plan

	Reporter bool                 // holds a reporter grant: show what is due
	Due      []homeDue            // reports due and overdue at the reporter's units
	Decider  bool                 // holds an approver grant: show the queue
	Queue    int                  // reports awaiting the caller's decision
	Pending  []reporting.QueueRow // the first of them
}

// homeDue is one report a reporter owes, with the link that opens it.
type homeDue struct {
	reporting.DueReport
	StateName i18n.Text
	Link      template.URL
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
	if p.Authenticated() {
		if err := s.homeWork(r, p, &v); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg := s.page(r, "home", v)
	pg.Title = i18n.T(pg.Lang, "app.name")
	s.render(w, r, "home", http.StatusOK, pg)
}

// homeWork fills what the caller has to do: a reporter's due reports, an
// approver's queue.
func (s *Server) homeWork(r *http.Request, p *auth.Principal, v *homeView) error {
	ctx := r.Context()
	var units []orgunit.Unit
	for _, g := range p.User.Grants {
		if g.Role != auth.Reporter {
			continue
		}
		u, err := orgunit.Get(ctx, s.db, g.OrgCode)
		if err != nil {
			return err
		}
		units = append(units, u)
	}
	if len(units) > 0 {
		v.Reporter = true
		due, err := reporting.Due(ctx, s.db, units, time.Now())
		if err != nil {
			return err
		}
		for _, d := range due {
			v.Due = append(v.Due, homeDue{DueReport: d, StateName: reporting.StateNames[d.State],
				Link: template.URL(reporting.FormLink(d.DataSet.Code, d.Unit.Code, d.Period.ID()))})
		}
	}
	if p.Has(auth.Approver) {
		v.Decider = true
		page, err := reporting.Queue(ctx, s.db, p, reporting.QueueFilter{Limit: 5})
		if err != nil {
			return err
		}
		v.Queue, v.Pending = page.Total, page.Rows
	}
	return nil
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
