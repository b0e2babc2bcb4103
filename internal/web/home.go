package web

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/progress"
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

	Office  bool          // holds an office grant: show overdue reports
	Overdue []homeOverdue // per data set, its latest past-due period with units missing
	Leader  bool          // holds a leader grant: show the region
	Region  homeRegion
	AtRisk  []reporting.TargetProgress // targets at the home unit behind or at warning, worst first
	Watch   bool                       // office or leader: the at-risk list is shown
}

// homeOverdue is one data set's latest past-due period at the office's
// unit: how many units have not submitted and which of the level below
// miss most.
type homeOverdue struct {
	DataSet  reporting.DataSet
	Period   string
	Due      time.Time
	Missing  int
	Expected int
	Worst    []homeMissing
	Link     template.URL
}

type homeMissing struct {
	Unit    orgunit.Unit
	Missing int
}

// homeRegion is where a leader goes from home: the region's dashboard and,
// for a city, county or department, its assessment page.
type homeRegion struct {
	Dashboard  template.URL
	Assessment template.URL
}

// homeDue is one report a reporter owes, with the link that opens it.
type homeDue struct {
	reporting.DueReport
	StateName i18n.Text
	Link      template.URL
}

// home is the start page: for visitors a short public introduction, for
// users their unit, the plan's targets and where to go next.
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
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
			return err
		}
	}
	pg := s.page(r, "home", v)
	pg.Title = i18n.T(pg.Lang, "app.name")
	s.render(w, r, "home", http.StatusOK, pg)
	return nil
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
	if p.Has(auth.Office) && v.Home.Code != "" {
		v.Office = true
		if err := s.homeOverdue(r, v, time.Now()); err != nil {
			return err
		}
	}
	if p.Has(auth.Leader) && v.Home.Code != "" {
		v.Leader = true
		v.Region.Dashboard = template.URL("/dashboard?" + url.Values{"ou": {v.Home.Code}}.Encode())
		switch v.Home.Kind {
		case orgunit.City, orgunit.County, orgunit.Department:
			v.Region.Assessment = template.URL("/supervise/units/" + url.PathEscape(v.Home.Code))
		}
	}
	if (v.Office || v.Leader) && v.Home.Code != "" {
		v.Watch = true
		tps, err := reporting.Progress(ctx, s.db, reporting.ProgressQuery{Units: []string{v.Home.Code}})
		if err != nil {
			return err
		}
		v.AtRisk = atRisk(tps, homeAtRiskMax)
	}
	return nil
}

// homeAtRiskMax bounds the targets listed on the home page; the plan page
// has them all.
const homeAtRiskMax = 8

// atRisk keeps the targets behind or at warning, behind first, then the
// furthest from their path, at most max.
func atRisk(tps []reporting.TargetProgress, max int) []reporting.TargetProgress {
	var out []reporting.TargetProgress
	for _, tp := range tps {
		if tp.Status == progress.Behind || tp.Status == progress.Warning {
			out = append(out, tp)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if (out[i].Status == progress.Behind) != (out[j].Status == progress.Behind) {
			return out[i].Status == progress.Behind
		}
		return out[i].Percent < out[j].Percent
	})
	if len(out) > max {
		out = out[:max]
	}
	return out
}

// homeOverdue fills, for every data set the office's unit collects, its
// latest period past its due date with the units that have not submitted.
func (s *Server) homeOverdue(r *http.Request, v *homeView, now time.Time) error {
	ctx := r.Context()
	sets, err := reporting.DataSets(ctx, s.db)
	if err != nil {
		return err
	}
	for _, d := range sets {
		var pe period.Period
		found := false
		for _, c := range d.Periods(now, 3) {
			if now.After(d.Due(c)) {
				pe, found = c, true
				break
			}
		}
		if !found {
			continue
		}
		total, rows, err := reporting.CompletenessOf(ctx, s.db, d, pe, v.Home, true)
		if err != nil {
			return err
		}
		missing := total.Expected - total.Received
		if missing <= 0 {
			continue
		}
		o := homeOverdue{DataSet: d, Period: pe.ID(), Due: d.Due(pe), Missing: missing, Expected: total.Expected,
			Link: template.URL("/reporting/completeness?" + url.Values{"ds": {d.Code}, "pe": {pe.ID()}, "ou": {v.Home.Code}}.Encode())}
		for _, c := range rows {
			if m := c.Expected - c.Received; m > 0 {
				o.Worst = append(o.Worst, homeMissing{Unit: c.Unit, Missing: m})
			}
		}
		sort.SliceStable(o.Worst, func(i, j int) bool { return o.Worst[i].Missing > o.Worst[j].Missing })
		if len(o.Worst) > 3 {
			o.Worst = o.Worst[:3]
		}
		v.Overdue = append(v.Overdue, o)
	}
	sort.SliceStable(v.Overdue, func(i, j int) bool { return v.Overdue[i].Missing > v.Overdue[j].Missing })
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
