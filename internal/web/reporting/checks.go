package reporting

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/reporting"
	"zhihui/internal/web/kit"
)

// sortUnits orders units by path.
func sortUnits(us []orgunit.Unit) {
	sort.Slice(us, func(i, j int) bool { return us[i].Path < us[j].Path })
}

// scopeUnit reads ?ou (default: the caller's home) and checks the caller
// holds one of roles over it.
func (h handlers) scopeUnit(r *http.Request, rs ...auth.Role) (orgunit.Unit, error) {
	p := kit.Principal(r)
	code := r.FormValue("ou")
	if code == "" {
		code = p.Home()
	}
	u, err := orgunit.Get(r.Context(), h.k.DB, code)
	if err != nil {
		return u, err
	}
	if !p.Covers(u.Path, rs...) {
		return u, kit.ErrOutside
	}
	return u, nil
}

// pickDataSet returns ?ds or the county annual report (or the first).
func (h handlers) pickDataSet(r *http.Request) (dom.DataSet, []dom.DataSet, error) {
	sets, err := dom.DataSets(r.Context(), h.k.DB)
	if err != nil || len(sets) == 0 {
		return dom.DataSet{}, sets, err
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
func (h handlers) pickPeriod(r *http.Request, d dom.DataSet, root orgunit.Unit) (period.Period, error) {
	if v := r.FormValue("pe"); v != "" {
		return d.CheckPeriod(v, time.Now())
	}
	as, err := dom.Approvals(r.Context(), h.k.DB, dom.ApprovalFilter{Root: root.Path, DataSet: d.Code, Limit: 1})
	if err == nil && len(as) > 0 {
		if p, err := period.Parse(as[0].Period); err == nil && p.Type == d.PType() {
			return p, nil
		}
	}
	return period.Of(d.PType(), time.Now()).Add(-1), nil
}

// periodChoices are the last n periods of d up to now, labelled in lg,
// with selected among them even when it is older.
func periodChoices(d dom.DataSet, lg string, n int, selected ...period.Period) []periodChoice {
	var out []periodChoice
	seen := map[string]bool{}
	for _, p := range d.Periods(time.Now(), n) {
		seen[p.ID()] = true
		out = append(out, periodChoice{p.ID(), p.Label(lg)})
	}
	for _, p := range selected {
		if !seen[p.ID()] && p.Type == d.PType() {
			seen[p.ID()] = true
			out = append(out, periodChoice{p.ID(), p.Label(lg)})
		}
	}
	return out
}

type validationView struct {
	DataSets   []dom.DataSet
	DataSet    dom.DataSet
	Unit       orgunit.Unit
	Picker     unitPicker
	Period     period.Period
	Periods    []periodChoice
	From, To   string
	Rules      []ruleRow
	Violations []violationRow
	Run        *dom.RunResult
}

func (h handlers) validationView(r *http.Request) (*validationView, error) {
	u, err := h.scopeUnit(r, viewers...)
	if err != nil {
		return nil, err
	}
	d, sets, err := h.pickDataSet(r)
	if err != nil {
		return nil, err
	}
	p, err := h.pickPeriod(r, d, u)
	if err != nil {
		return nil, err
	}
	v := &validationView{DataSets: sets, DataSet: d, Unit: u, Period: p, From: r.FormValue("from"), To: r.FormValue("to")}
	if v.From == "" {
		v.From = p.ID()
	}
	if v.To == "" {
		v.To = p.ID()
	}
	v.Periods = periodChoices(d, kit.Lang(r), 24, p)
	if v.Picker, err = h.picker(r, "ou", &u, viewers); err != nil {
		return nil, err
	}
	all, err := dom.Rules(r.Context(), h.k.DB)
	if err != nil {
		return nil, err
	}
	if v.Rules, err = h.ruleRows(r, all); err != nil {
		return nil, err
	}
	return v, nil
}

func (h handlers) validationPage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.validationView(r)
	if err != nil {
		return err
	}
	vs, err := dom.Violations(r.Context(), h.k.DB, dom.ViolationFilter{Root: v.Unit.Path, Limit: 500})
	if err != nil {
		return err
	}
	if v.Violations, err = h.violationRows(r, vs); err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "validation", http.StatusOK, kit.View{Title: kit.T(r, "reporting.validation"), Nav: "reporting", Data: v})
}

func (h handlers) validationRun(w http.ResponseWriter, r *http.Request) error {
	v, err := h.validationView(r)
	if err != nil {
		return err
	}
	from, err := v.DataSet.CheckPeriod(v.From, time.Now())
	if err != nil {
		return err
	}
	to, err := v.DataSet.CheckPeriod(v.To, time.Now())
	if err != nil {
		return err
	}
	pes := period.Range(from, to)
	if len(pes) == 0 || len(pes) > 60 {
		return i18n.Errorf("报告期范围须为 1–60 期", "choose 1 to 60 periods")
	}
	if v.Run, err = dom.Run(r.Context(), h.k.DB, dom.RunQuery{DataSet: v.DataSet, Root: v.Unit, Periods: pes}); err != nil {
		return err
	}
	if v.Violations, err = h.violationRows(r, v.Run.Violations); err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "validation", http.StatusOK, kit.View{Title: kit.T(r, "reporting.validation"), Nav: "reporting", Data: v})
}

type outliersView struct {
	Groups   []elementGroup
	Element  string
	Unit     orgunit.Unit
	Picker   unitPicker
	Level    int
	Outliers []dom.Outlier
}

func (h handlers) outliers(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scopeUnit(r, viewers...)
	if err != nil {
		return err
	}
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	v := outliersView{Unit: u, Element: r.FormValue("el")}
	var numeric []monitor.Element
	for _, e := range els {
		if e.Numeric() {
			numeric = append(numeric, e)
		}
	}
	v.Groups = groupElements(numeric, "", kit.Lang(r))
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
	if v.Picker, err = h.picker(r, "ou", &u, viewers); err != nil {
		return err
	}
	if v.Outliers, err = dom.Outliers(r.Context(), h.k.DB, dom.OutlierQuery{Element: v.Element, Root: u, Level: v.Level}); err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "outliers", http.StatusOK, kit.View{Title: kit.T(r, "reporting.outliers"), Nav: "reporting", Data: v})
}

type completenessRow struct {
	dom.Completeness
	Link template.URL
}

type overdueRow struct {
	Unit orgunit.Unit
	Link template.URL
}

type completenessView struct {
	DataSets  []dom.DataSet
	DataSet   dom.DataSet
	Unit      orgunit.Unit
	Picker    unitPicker
	Period    period.Period
	Periods   []periodChoice
	Due       time.Time
	Total     dom.Completeness
	Rows      []completenessRow
	Overdue   []overdueRow
	OverdueN  int
	CanRemind bool
	Reminded  string
	Export    template.URL
}

func completenessLink(ds, pe, ou string, extra ...string) template.URL {
	q := url.Values{"ds": {ds}, "pe": {pe}, "ou": {ou}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return template.URL("/reporting/completeness?" + q.Encode())
}

func (h handlers) completeness(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scopeUnit(r, viewers...)
	if err != nil {
		return err
	}
	d, sets, err := h.pickDataSet(r)
	if err != nil {
		return err
	}
	p, err := h.pickPeriod(r, d, u)
	if err != nil {
		return err
	}
	lg := kit.Lang(r)
	v := completenessView{DataSets: sets, DataSet: d, Unit: u, Period: p, Due: d.Due(p), Reminded: r.FormValue("reminded"),
		CanRemind: kit.Principal(r).Covers(u.Path, openers...), Periods: periodChoices(d, lg, 12, p),
		Export: completenessLink(d.Code, p.ID(), u.Code, "format", "xlsx")}
	total, rows, err := dom.CompletenessOf(r.Context(), h.k.DB, d, p, u, true)
	if err != nil {
		return err
	}
	v.Total = total
	for _, c := range rows {
		v.Rows = append(v.Rows, completenessRow{c, completenessLink(d.Code, p.ID(), c.Unit.Code)})
	}
	overdue, n, err := dom.Overdue(r.Context(), h.k.DB, d, p, u, time.Now(), 200)
	if err != nil {
		return err
	}
	v.OverdueN = n
	for _, o := range overdue {
		v.Overdue = append(v.Overdue, overdueRow{o, template.URL(dom.FormLink(d.Code, o.Code, p.ID()))})
	}
	switch r.FormValue("format") {
	case "xlsx", "csv":
		head := []string{i18n.T(lg, "reporting.code"), i18n.T(lg, "reporting.unit"), i18n.T(lg, "reporting.expected"), i18n.T(lg, "reporting.received"),
			i18n.T(lg, "reporting.on_time"), i18n.T(lg, "reporting.rate"), i18n.T(lg, "reporting.timely_rate")}
		var out [][]any
		for _, c := range append(rows, total) {
			out = append(out, []any{c.Unit.Code, c.Unit.DisplayName(lg), c.Expected, c.Received, c.OnTime, round1(c.Rate()), round1(c.TimelyRate())})
		}
		return kit.XLSX(w, "completeness-"+d.Code+"-"+u.Code+"-"+p.ID()+".xlsx", head, out)
	}
	if v.Picker, err = h.picker(r, "ou", &u, viewers); err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "completeness", http.StatusOK, kit.View{Title: kit.T(r, "reporting.completeness"), Nav: "reporting", Data: v})
}

func round1(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 1, 64), 64)
	return v
}

func (h handlers) remind(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scopeUnit(r, openers...)
	if err != nil {
		return err
	}
	d, _, err := h.pickDataSet(r)
	if err != nil {
		return err
	}
	p, err := d.CheckPeriod(r.FormValue("pe"), time.Now())
	if err != nil {
		return err
	}
	res, err := dom.Remind(r.Context(), h.k.DB, kit.Actor(r), d, p, u, time.Now())
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, string(completenessLink(d.Code, p.ID(), u.Code, "reminded", strconv.Itoa(len(res.Users)))))
}
