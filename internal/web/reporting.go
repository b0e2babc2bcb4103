package web

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
)

// Who may do what in the reporting cycle.
var (
	reportViewers  = []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Admin}
	reportWriters  = []auth.Role{auth.Reporter, auth.Admin}
	reportDeciders = []auth.Role{auth.Approver, auth.Admin}
	reportOpeners  = []auth.Role{auth.Approver, auth.Office, auth.Admin}
)

func (s *Server) reportingRoutes() []route {
	return []route{
		{"GET /reporting", roles, reportViewers, s.reportingIndex},
		{"GET /reporting/form", roles, reportViewers, s.reportForm},
		{"POST /reporting/form", roles, reportWriters, s.reportSave},
		{"POST /reporting/form/check", roles, reportWriters, s.reportCheck},
		{"POST /reporting/form/submit", roles, reportWriters, s.reportSubmit},
		{"POST /reporting/form/decide", roles, reportDeciders, s.reportDecide},
		{"POST /reporting/form/reopen", roles, reportOpeners, s.reportReopen},
		{"GET /reporting/queue", roles, reportDeciders, s.reportQueue},
		{"GET /reporting/queue.xlsx", roles, reportDeciders, s.reportQueueXLSX},
		{"POST /reporting/queue/approve", roles, reportDeciders, s.reportBatchApprove},
		{"GET /reporting/validation", roles, reportViewers, s.validationPage},
		{"POST /reporting/validation", roles, reportViewers, s.validationRun},
		{"GET /reporting/outliers", roles, reportViewers, s.outliersPage},
		{"GET /reporting/completeness", roles, reportViewers, s.completenessPage},
		{"POST /reporting/remind", roles, reportOpeners, s.remind},
		{"GET /reporting/datasets", roles, reportViewers, s.dataSetsPage},
		{"GET /reporting/datasets/new", roles, monitorEditors, s.dataSetNew},
		{"POST /reporting/datasets", roles, monitorEditors, s.dataSetSave},
		{"GET /reporting/datasets/{code}", roles, monitorEditors, s.dataSetEdit},
		{"POST /reporting/datasets/{code}", roles, monitorEditors, s.dataSetSave},
		{"GET /reporting/rules", roles, reportViewers, s.rulesPage},
		{"GET /reporting/rules/new", roles, monitorEditors, s.ruleNew},
		{"POST /reporting/rules", roles, monitorEditors, s.ruleSave},
		{"GET /reporting/rules/{code}", roles, monitorEditors, s.ruleEdit},
		{"POST /reporting/rules/{code}", roles, monitorEditors, s.ruleSave},
		{"POST /reporting/rules/check", roles, monitorEditors, s.ruleCheck},
		{"GET /api/v1/progress", user, nil, s.apiProgress},
		{"GET /api/v1/public/progress", public, nil, s.apiPublicProgress},
	}
}

// reportTarget is the (data set, unit, period) a form request names.
type reportTarget struct {
	ds   reporting.DataSet
	unit orgunit.Unit
	pe   period.Period
}

// loadTarget reads ds, ou and pe from the query or form and checks that
// the caller holds one of roles over the unit (403 otherwise).
func (s *Server) loadTarget(w http.ResponseWriter, r *http.Request, rs ...auth.Role) (reportTarget, bool) {
	var t reportTarget
	ds, err := reporting.GetDataSet(r.Context(), s.db, r.FormValue("ds"))
	if err != nil {
		s.notFound(w, r)
		return t, false
	}
	u, err := orgunit.Get(r.Context(), s.db, r.FormValue("ou"))
	if err != nil {
		s.notFound(w, r)
		return t, false
	}
	if !principal(r).Covers(u.Path, rs...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return t, false
	}
	p, err := ds.CheckPeriod(r.FormValue("pe"), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return t, false
	}
	if !ds.Assigned(u) {
		s.fail(w, r, i18n.Errorf("%s 不填报“%s”", "%s does not report %s", u.Name, ds.Name))
		return t, false
	}
	return reportTarget{ds, u, p}, true
}

// above reports whether the caller holds one of roles strictly above u
// (approvers approve the units below them, not their own).
func above(p *auth.Principal, u orgunit.Unit, rs ...auth.Role) bool {
	if !p.Authenticated() {
		return false
	}
	for _, g := range p.User.Grants {
		if !orgunit.InSubtree(u.Path, g.OrgPath) {
			continue
		}
		for _, r := range rs {
			if g.Role == auth.Admin || (g.Role == r && g.OrgPath != u.Path) {
				return true
			}
		}
	}
	return false
}

type reportingIndexView struct {
	DataSets      []reporting.DataSet
	Home          orgunit.Unit
	Units         []orgunit.Unit
	Pending       []approvalRow
	Notifications []notify.Notification
	Periods       map[string][]period.Period
	CanDecide     bool
}

type approvalRow struct {
	reporting.Approval
	Name string
	Link string
}

func (s *Server) reportingIndex(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principal(r)
	sets, err := reporting.DataSets(ctx, s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := reportingIndexView{DataSets: sets, Periods: map[string][]period.Period{}, CanDecide: p.Has(reportDeciders...)}
	if v.Home, err = orgunit.Get(ctx, s.db, p.Home()); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, d := range sets {
		v.Periods[d.Code] = d.Periods(time.Now(), 6)
	}
	// Units the caller can open: its grant units and their children.
	seen := map[string]bool{}
	for _, g := range p.User.Grants {
		u, err := orgunit.Get(ctx, s.db, g.OrgCode)
		if err != nil || seen[u.Code] {
			continue
		}
		seen[u.Code] = true
		v.Units = append(v.Units, u)
		kids, _ := orgunit.Children(ctx, s.db, u.Code)
		for _, k := range kids {
			if !seen[k.Code] && len(v.Units) < 400 {
				seen[k.Code] = true
				v.Units = append(v.Units, k)
			}
		}
	}
	for _, scope := range p.Scopes(reportDeciders...) {
		as, err := reporting.Approvals(ctx, s.db, reporting.ApprovalFilter{Root: scope, States: []string{reporting.Submitted}, Limit: 50})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, a := range as {
			u, _ := orgunit.Get(ctx, s.db, a.OrgUnit)
			if above(p, u, reportDeciders...) {
				v.Pending = append(v.Pending, approvalRow{a, u.Name, "/reporting/form?" + formQuery(a.DataSet, a.OrgUnit, a.Period)})
			}
		}
	}
	v.Notifications, _ = notify.List(ctx, s.db, p.User.ID, 20)
	pg := s.page(r, "reporting", v)
	pg.Title = i18n.T(pg.Lang, "reporting.title")
	s.render(w, r, "reporting/index", http.StatusOK, pg)
}

// formQuery is the encoded query string that names one form; templates
// get whole addresses from formView.Action.
func formQuery(ds, ou, pe string) string {
	return url.Values{"ds": {ds}, "ou": {ou}, "pe": {pe}}.Encode()
}

type formView struct {
	Form       *reporting.Form
	StateName  i18n.Text
	CanEdit    bool
	CanDecide  bool
	CanReopen  bool
	query      string // formQuery of the form
	FieldErrs  map[string]string
	Entries    map[string]string
	Violations []reporting.Violation
}

// Action is the address of path acting on this form (its data set, unit
// and period in the query), built here rather than in the template.
func (v formView) Action(path string) template.URL {
	return template.URL(path + "?" + v.query)
}

func (s *Server) showForm(w http.ResponseWriter, r *http.Request, t reportTarget, status int, errs []*i18n.Error, entries map[string]string) {
	ctx := r.Context()
	f, err := reporting.OpenForm(ctx, s.db, t.ds, t.unit, t.pe)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := principal(r)
	v := formView{
		Form: f, StateName: reporting.StateNames[f.Approval.State],
		CanEdit:   f.Approval.Editable() && p.Covers(t.unit.Path, reportWriters...),
		CanDecide: f.Approval.State == reporting.Submitted && above(p, t.unit, reportDeciders...),
		CanReopen: f.Approval.State == reporting.Approved && (above(p, t.unit, auth.Approver) || p.Covers(t.unit.Path, auth.Office)),
		query:     formQuery(t.ds.Code, t.unit.Code, t.pe.ID()),
		FieldErrs: map[string]string{}, Entries: f.Values, Violations: f.Violations,
	}
	pg := s.page(r, "reporting", v)
	for _, e := range errs {
		if e.Field != "" {
			v.FieldErrs[e.Field] = e.Message(pg.Lang)
		} else {
			pg.Errors = append(pg.Errors, e)
		}
	}
	if entries != nil {
		v.Entries = entries
	}
	pg.Data = v
	pg.Title = t.ds.DisplayName(pg.Lang) + " · " + t.unit.DisplayName(pg.Lang) + " · " + t.pe.Label(pg.Lang)
	if len(pg.Errors) > 0 {
		pg.Error = pg.Errors[0].Message(pg.Lang)
	}
	s.render(w, r, "reporting/form", status, pg)
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTarget(w, r, reportViewers...)
	if !ok {
		return
	}
	s.showForm(w, r, t, http.StatusOK, nil, nil)
}

func (s *Server) reportSave(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTarget(w, r, reportWriters...)
	if !ok {
		return
	}
	entries := map[string]string{}
	for _, c := range t.ds.Elements {
		if vals, ok := r.PostForm["v_"+c]; ok && len(vals) > 0 {
			entries[c] = vals[0]
		}
	}
	err := reporting.SaveForm(r.Context(), s.db, principal(r).Actor(clientIP(r)), t.ds, t.unit, t.pe, entries)
	if err != nil {
		var ve *monitor.ValidationError
		var ue *i18n.Error
		switch {
		case errors.As(err, &ve):
			s.showForm(w, r, t, http.StatusUnprocessableEntity, ve.Errors, entries)
		case errors.As(err, &ue):
			s.showForm(w, r, t, http.StatusUnprocessableEntity, []*i18n.Error{ue}, entries)
		default:
			s.fail(w, r, err)
		}
		return
	}
	http.Redirect(w, r, "/reporting/form?"+formQuery(t.ds.Code, t.unit.Code, t.pe.ID())+"&flash=saved", http.StatusSeeOther)
}

// reportCheck answers the form's per-field htmx check with the field's
// message (empty when the entry is fine).
func (s *Server) reportCheck(w http.ResponseWriter, r *http.Request) {
	ds, err := reporting.GetDataSet(r.Context(), s.db, r.FormValue("ds"))
	if err != nil {
		s.notFound(w, r)
		return
	}
	el := r.FormValue("el")
	msg := ""
	if ue := reporting.CheckField(r.Context(), s.db, ds, el, r.FormValue("v_"+el)); ue != nil {
		msg = ue.Message(lang(r))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if msg == "" {
		w.Write([]byte(`<span class="form-ok" aria-live="polite"></span>`))
		return
	}
	w.Write([]byte(`<span class="form-error" role="alert">` + templateEscape(msg) + `</span>`))
}

func (s *Server) reportSubmit(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTarget(w, r, reportWriters...)
	if !ok {
		return
	}
	if err := reporting.Submit(r.Context(), s.db, principal(r).Actor(clientIP(r)), t.ds, t.unit, t.pe); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reporting/form?"+formQuery(t.ds.Code, t.unit.Code, t.pe.ID())+"&flash=submitted", http.StatusSeeOther)
}

func (s *Server) reportDecide(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTarget(w, r, reportDeciders...)
	if !ok {
		return
	}
	if !above(principal(r), t.unit, reportDeciders...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	approve := r.FormValue("action") == "approve"
	if err := reporting.Decide(r.Context(), s.db, principal(r).Actor(clientIP(r)), t.ds, t.unit, t.pe, approve, r.FormValue("comment")); err != nil {
		s.fail(w, r, err)
		return
	}
	flash := "returned"
	if approve {
		flash = "approved"
	}
	http.Redirect(w, r, "/reporting/form?"+formQuery(t.ds.Code, t.unit.Code, t.pe.ID())+"&flash="+flash, http.StatusSeeOther)
}

func (s *Server) reportReopen(w http.ResponseWriter, r *http.Request) {
	t, ok := s.loadTarget(w, r, reportOpeners...)
	if !ok {
		return
	}
	p := principal(r)
	if !above(p, t.unit, auth.Approver) && !p.Covers(t.unit.Path, auth.Office) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	if err := reporting.Reopen(r.Context(), s.db, p.Actor(clientIP(r)), t.ds, t.unit, t.pe, r.FormValue("comment")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reporting/form?"+formQuery(t.ds.Code, t.unit.Code, t.pe.ID())+"&flash=reopened", http.StatusSeeOther)
}

// scopeUnit reads ?ou (default: the caller's home) and checks the caller
// holds one of roles over it.
func (s *Server) scopeUnit(w http.ResponseWriter, r *http.Request, rs ...auth.Role) (orgunit.Unit, bool) {
	p := principal(r)
	code := r.FormValue("ou")
	if code == "" {
		code = p.Home()
	}
	u, err := orgunit.Get(r.Context(), s.db, code)
	if err != nil {
		s.notFound(w, r)
		return u, false
	}
	if !p.Covers(u.Path, rs...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return u, false
	}
	return u, true
}

// pickDataSet returns ?ds or the first data set.
func (s *Server) pickDataSet(r *http.Request) (reporting.DataSet, []reporting.DataSet, error) {
	sets, err := reporting.DataSets(r.Context(), s.db)
	if err != nil || len(sets) == 0 {
		return reporting.DataSet{}, sets, err
	}
	want := r.FormValue("ds")
	for _, d := range sets {
		if d.Code == want {
			return d, sets, nil
		}
	}
	for _, d := range sets {
		if d.Code == "COUNTY_ANNUAL" {
			return d, sets, nil
		}
	}
	return sets[0], sets, nil
}

// pickPeriod reads ?pe for d; default the latest period with reports, or
// the previous period.
func (s *Server) pickPeriod(r *http.Request, d reporting.DataSet, root orgunit.Unit) (period.Period, error) {
	if v := r.FormValue("pe"); v != "" {
		return d.CheckPeriod(v, time.Now())
	}
	as, err := reporting.Approvals(r.Context(), s.db, reporting.ApprovalFilter{Root: root.Path, DataSet: d.Code, Limit: 1})
	if err == nil && len(as) > 0 {
		if p, err := period.Parse(as[0].Period); err == nil {
			return p, nil
		}
	}
	return period.Of(d.PType(), time.Now()).Add(-1), nil
}

type validationView struct {
	DataSets   []reporting.DataSet
	DataSet    reporting.DataSet
	Unit       orgunit.Unit
	Period     period.Period
	From, To   string
	Rules      []reporting.Rule
	Violations []reporting.Violation
	Run        *reporting.RunResult
}

func (s *Server) validationView(w http.ResponseWriter, r *http.Request) (*validationView, bool) {
	u, ok := s.scopeUnit(w, r, reportViewers...)
	if !ok {
		return nil, false
	}
	d, sets, err := s.pickDataSet(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	p, err := s.pickPeriod(r, d, u)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	v := &validationView{DataSets: sets, DataSet: d, Unit: u, Period: p, From: r.FormValue("from"), To: r.FormValue("to")}
	if v.From == "" {
		v.From = p.ID()
	}
	if v.To == "" {
		v.To = p.ID()
	}
	all, err := reporting.Rules(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	v.Rules = all
	return v, true
}

func (s *Server) validationPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.validationView(w, r)
	if !ok {
		return
	}
	var err error
	if v.Violations, err = reporting.Violations(r.Context(), s.db, reporting.ViolationFilter{Root: v.Unit.Path, Limit: 500}); err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "reporting", v)
	pg.Title = i18n.T(pg.Lang, "reporting.validation")
	s.render(w, r, "reporting/validation", http.StatusOK, pg)
}

func (s *Server) validationRun(w http.ResponseWriter, r *http.Request) {
	v, ok := s.validationView(w, r)
	if !ok {
		return
	}
	from, err := v.DataSet.CheckPeriod(v.From, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := v.DataSet.CheckPeriod(v.To, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pes := period.Range(from, to)
	if len(pes) == 0 || len(pes) > 60 {
		s.fail(w, r, i18n.Errorf("报告期范围须为 1–60 期", "choose 1 to 60 periods"))
		return
	}
	v.Run, err = reporting.Run(r.Context(), s.db, reporting.RunQuery{DataSet: v.DataSet, Root: v.Unit, Periods: pes})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Violations = v.Run.Violations
	pg := s.page(r, "reporting", v)
	pg.Title = i18n.T(pg.Lang, "reporting.validation")
	s.render(w, r, "reporting/validation", http.StatusOK, pg)
}

type outliersView struct {
	Elements []monitor.Element
	Element  string
	Unit     orgunit.Unit
	Level    int
	Outliers []reporting.Outlier
}

func (s *Server) outliersPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.scopeUnit(w, r, reportViewers...)
	if !ok {
		return
	}
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := outliersView{Unit: u, Element: r.FormValue("el")}
	for _, e := range els {
		if e.Numeric() {
			v.Elements = append(v.Elements, e)
		}
	}
	if v.Element == "" {
		v.Element = "ADMIN_VILLAGES_INFO"
	}
	v.Level, _ = strconv.Atoi(r.FormValue("level"))
	if v.Level <= u.Level || v.Level > 5 {
		v.Level = u.Level + 1
		if u.Level < 3 {
			v.Level = 3
		}
	}
	if v.Outliers, err = reporting.Outliers(r.Context(), s.db, reporting.OutlierQuery{Element: v.Element, Root: u, Level: v.Level}); err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "reporting", v)
	pg.Title = i18n.T(pg.Lang, "reporting.outliers")
	s.render(w, r, "reporting/outliers", http.StatusOK, pg)
}

type completenessView struct {
	DataSets  []reporting.DataSet
	DataSet   reporting.DataSet
	Unit      orgunit.Unit
	Period    period.Period
	Periods   []period.Period
	Due       time.Time
	Total     reporting.Completeness
	Rows      []reporting.Completeness
	Overdue   []orgunit.Unit
	OverdueN  int
	CanRemind bool
	Reminded  string
}

func (s *Server) completenessPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.scopeUnit(w, r, reportViewers...)
	if !ok {
		return
	}
	d, sets, err := s.pickDataSet(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.pickPeriod(r, d, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := completenessView{DataSets: sets, DataSet: d, Unit: u, Period: p, Due: d.Due(p), Reminded: r.FormValue("reminded"),
		CanRemind: principal(r).Covers(u.Path, reportOpeners...)}
	for k := 0; k < 12; k++ {
		v.Periods = append(v.Periods, p.Add(-k))
	}
	if v.Total, v.Rows, err = reporting.CompletenessOf(r.Context(), s.db, d, p, u, true); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.Overdue, v.OverdueN, err = reporting.Overdue(r.Context(), s.db, d, p, u, time.Now(), 200); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.FormValue("format") == "csv" {
		rows := [][]string{{"code", "name", "expected", "received", "on_time", "rate", "timely_rate"}}
		for _, c := range append(v.Rows, v.Total) {
			rows = append(rows, []string{c.Unit.Code, c.Unit.Name, strconv.Itoa(c.Expected), strconv.Itoa(c.Received), strconv.Itoa(c.OnTime),
				strconv.FormatFloat(c.Rate(), 'f', 1, 64), strconv.FormatFloat(c.TimelyRate(), 'f', 1, 64)})
		}
		writeCSV(w, "completeness-"+d.Code+"-"+u.Code+"-"+p.ID()+".csv", rows)
		return
	}
	pg := s.page(r, "reporting", v)
	pg.Title = i18n.T(pg.Lang, "reporting.completeness")
	s.render(w, r, "reporting/completeness", http.StatusOK, pg)
}

func (s *Server) remind(w http.ResponseWriter, r *http.Request) {
	u, ok := s.scopeUnit(w, r, reportOpeners...)
	if !ok {
		return
	}
	d, _, err := s.pickDataSet(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := d.CheckPeriod(r.FormValue("pe"), time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := reporting.Remind(r.Context(), s.db, principal(r).Actor(clientIP(r)), d, p, u, time.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reporting/completeness?ds="+d.Code+"&ou="+u.Code+"&pe="+p.ID()+"&reminded="+strconv.Itoa(len(res.Users)), http.StatusSeeOther)
}

// sortUnits orders units by code.
func sortUnits(us []orgunit.Unit) {
	sort.Slice(us, func(i, j int) bool { return us[i].Code < us[j].Code })
}
