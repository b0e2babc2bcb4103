package project

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
	svc   *dom.Service
}

// refuse maps the domain's scope refusal to 403.
func refuse(err error) error {
	if dom.IsOutside(err) {
		return kit.ErrOutside
	}
	return err
}

func scopes(r *http.Request, roles []auth.Role) []string { return kit.Principal(r).Scopes(roles...) }

// page is one page of a list with its links, built in Go.
type page struct {
	N, Pages, Total int
	Prev, Next      string
}

func pageOf(base string, q url.Values, n, per, total int) page {
	p := page{N: n, Total: total, Pages: (total + per - 1) / per}
	link := func(k int) string {
		v := url.Values{}
		for key, x := range q {
			v[key] = x
		}
		v.Set("page", strconv.Itoa(k))
		return base + "?" + v.Encode()
	}
	if n > 1 {
		p.Prev = link(n - 1)
	}
	if n < p.Pages {
		p.Next = link(n + 1)
	}
	return p
}

// withQuery is base with the non-empty values of q.
func withQuery(base string, q url.Values) string {
	v := url.Values{}
	for k, x := range q {
		if len(x) > 0 && x[0] != "" && k != "page" && k != "flash" {
			v[k] = x
		}
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + v.Encode()
}

// filterOf reads the project list filter; a unit outside the caller's
// units is refused.
func (h handlers) filterOf(r *http.Request) (dom.Filter, error) {
	q := r.URL.Query()
	year, err := kit.FormInt(r, "year", 0)
	if err != nil {
		return dom.Filter{}, err
	}
	pg, err := kit.FormInt(r, "page", 1)
	if err != nil {
		return dom.Filter{}, err
	}
	f := dom.Filter{Scopes: scopes(r, Viewers), Unit: strings.TrimSpace(q.Get("unit")), Stage: q.Get("stage"), Status: q.Get("status"),
		Level: q.Get("level"), Category: q.Get("category"), Q: q.Get("q"), Year: year, Page: pg}
	return f, h.unitFilter(r, f.Unit)
}

// unitFilter checks the unit a list is filtered by (none: ""): it must
// exist and lie in the caller's units.
func (h handlers) unitFilter(r *http.Request, code string) error {
	if code == "" {
		return nil
	}
	u, err := orgunit.Get(r.Context(), h.k.DB, code)
	if err != nil {
		return i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", code).OnField("unit")
	}
	if !kit.Principal(r).Covers(u.Path, Viewers...) {
		return kit.ErrOutside
	}
	return nil
}

type listView struct {
	Projects   []*dom.Project
	Filter     dom.Filter
	Page       page
	ExportURL  string
	Stages     []string
	Statuses   []string
	Levels     []string
	Categories []string
	CanOwn     bool
	CanManage  bool
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) error {
	f, err := h.filterOf(r)
	if err != nil {
		return err
	}
	ps, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	p := kit.Principal(r)
	return h.k.Render(w, r, h.pages, "list", http.StatusOK, kit.View{Title: kit.T(r, "project.title"), Nav: "project", Data: listView{
		Projects: ps, Filter: f, Page: pageOf("/projects", r.URL.Query(), max(f.Page, 1), 50, total), ExportURL: withQuery("/projects/export", r.URL.Query()),
		Stages: dom.AllStages, Statuses: []string{dom.Draft, dom.Submitted, dom.Returned, dom.Rejected, dom.Completed}, Levels: dom.Levels, Categories: dom.Categories,
		CanOwn: p.Has(Owners...), CanManage: p.Has(Offices...),
	}})
}

func (h handlers) listExport(w http.ResponseWriter, r *http.Request) error {
	f, err := h.filterOf(r)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = 1, dom.MaxExport
	ps, _, err := h.svc.List(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	var header []string
	for _, k := range []string{"number", "name", "owner_code", "owner", "level", "category", "funding", "year", "estimate", "approved", "budget", "final", "stage", "status", "risk"} {
		header = append(header, kit.T(r, "project.col."+k))
	}
	rows := make([][]any, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, []any{p.Number, p.Name, p.Owner, p.OwnerName, kit.T(r, "project.level."+p.Level), kit.T(r, "project.category."+p.Category),
			p.Funding, p.Year, p.Estimate.Wan(), wanOrEmpty(p.Approved), wanOrEmpty(p.Budget), wanOrEmpty(p.Final),
			kit.T(r, "project.stage."+p.Stage), kit.T(r, "project.status."+p.Status), riskCell(p.Risk)})
	}
	return kit.XLSX(w, "projects.xlsx", header, rows)
}

func riskCell(n int) any {
	if n == 0 {
		return ""
	}
	return n
}

func wanOrEmpty(m *dom.Money) string {
	if m == nil {
		return ""
	}
	return m.Wan()
}

type formView struct {
	Form       url.Values
	Levels     []string
	Categories []string
	// Systems of the caller's units an O&M project can be linked to.
	Systems  []dom.System
	Selected map[string]bool
}

func (h handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	return h.renderNew(w, r, http.StatusOK, url.Values{"owner": {kit.Principal(r).Home()}}, nil)
}

func (h handlers) renderNew(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	ss, _, err := h.svc.Systems(r.Context(), dom.SystemFilter{Scopes: scopes(r, Owners), PerPage: 200})
	if err != nil {
		return refuse(err)
	}
	sel := map[string]bool{}
	for _, v := range form["systems"] {
		sel[v] = true
	}
	return h.k.Render(w, r, h.pages, "new", status, kit.View{Title: kit.T(r, "project.new"), Nav: "project", Errors: errs,
		Data: formView{Form: form, Levels: dom.Levels, Categories: dom.Categories, Systems: ss, Selected: sel}})
}

// newProjectOf reads a project from form values.
func newProjectOf(v url.Values) (dom.NewProject, error) {
	n := dom.NewProject{Number: v.Get("number"), Name: v.Get("name"), Owner: v.Get("owner"), Level: v.Get("level"), Category: v.Get("category"),
		Funding: v.Get("funding"), Summary: v.Get("summary"), Content: v.Get("content"), Functions: v.Get("functions")}
	for _, sid := range v["systems"] {
		id, err := strconv.ParseInt(sid, 10, 64)
		if err != nil {
			return n, i18n.Errorf("关联的信息系统不存在", "a linked information system does not exist").OnField("systems")
		}
		n.Systems = append(n.Systems, id)
	}
	if y := strings.TrimSpace(v.Get("year")); y != "" {
		year, err := strconv.Atoi(y)
		if err != nil {
			return n, i18n.Errorf("年度应为整数：%q", "the year must be a whole number: %q", y).OnField("year")
		}
		n.Year = year
	}
	m, err := dom.ParseWan(v.Get("estimate"))
	if err != nil {
		return n, fieldErr(err, "estimate")
	}
	n.Estimate = m
	return n, nil
}

// fieldErr attaches a bilingual error to field.
func fieldErr(err error, field string) error {
	if ue, ok := kit.UserError(err); ok {
		return ue.OnField(field)
	}
	return err
}

func (h handlers) create(w http.ResponseWriter, r *http.Request) error {
	n, err := newProjectOf(r.PostForm)
	if err == nil {
		var id int64
		if id, err = h.svc.Register(r.Context(), kit.Actor(r), scopes(r, Owners), n); err == nil {
			return kit.Redirect(w, r, fmt.Sprintf("/projects/%d?flash=saved", id))
		}
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderNew(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
	}
	return refuse(err)
}

// seatView is a panel seat as the page shows it: names only for the office.
type seatView struct {
	dom.Seat
	Named bool `json:"-"`
}

type reviewView struct {
	dom.Review
	Seats      []seatView `json:"seats"`
	Reproduces bool       `json:"reproduces"`
	// Mean is the panel's mean score ("" before any score), computed
	// before the seats move to Seats.
	Mean string `json:"mean,omitempty"`
	// Excluded says why each other expert of the field was not a
	// candidate; only the office sees it.
	Excluded []dom.Exclusion `json:"excluded,omitempty"`
}

type showView struct {
	P           *dom.Project
	Route       dom.Route
	RouteName   string
	StageIndex  int
	Checks      []dom.Check
	Docs        []dom.Document
	Reviews     []reviewView
	Events      []dom.Event
	Similar     []dom.Match
	Systems     []dom.System
	Ratings     []dom.Rating
	Sup         *dom.Supervision
	Thresholds  dom.Thresholds
	CanEdit     bool
	CanDecide   bool
	CanRate     bool
	CanProgress bool
	RiskLevels  []int
	DocKinds    []string
	Fields      []string
	Decisions   []string
	Form        url.Values
}

func (h handlers) show(w http.ResponseWriter, r *http.Request) error {
	return h.renderShow(w, r, http.StatusOK, nil)
}

func (h handlers) renderShow(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.showData(r, id)
	if err != nil {
		return refuse(err)
	}
	if status != http.StatusOK {
		v.Form = r.PostForm
	}
	return h.k.Render(w, r, h.pages, "project", status, kit.View{Title: v.P.Name, Nav: "project", Errors: errs, Data: v})
}

func (h handlers) showData(r *http.Request, id int64) (*showView, error) {
	ctx := r.Context()
	p, err := h.svc.Get(ctx, scopes(r, Viewers), id)
	if err != nil {
		return nil, err
	}
	pr := kit.Principal(r)
	v := &showView{P: p, CanRate: pr.Covers(p.OwnerPath, Offices...), RiskLevels: []int{1, 2, 3, 4, 5}, CanEdit: pr.Covers(p.OwnerPath, Owners...) && (p.Status == dom.Draft || p.Status == dom.Returned),
		CanDecide: pr.Covers(p.OwnerPath, Offices...) && p.Status == dom.Submitted, DocKinds: dom.DocKinds, Fields: dom.Fields, Form: url.Values{}}
	route, ok := h.svc.Routes.ByID(p.Route)
	if !ok {
		route = h.svc.Routes.For(p.Level, p.Category, p.Estimate)
	}
	v.Route, v.RouteName, v.StageIndex = route, route.Name(kit.Lang(r)), slices.Index(route.Stages, p.Stage)
	if v.Docs, err = h.svc.Documents(ctx, id); err != nil {
		return nil, err
	}
	v.Checks = dom.Checks(p, v.Docs)
	if v.Systems, err = h.svc.SystemsByID(ctx, p.Systems); err != nil {
		return nil, err
	}
	if p.Category == "om" {
		v.Checks = append(v.Checks, dom.OMCheck(p, v.Systems))
	}
	if v.Thresholds, err = h.svc.Thresholds(ctx); err != nil {
		return nil, err
	}
	if v.Sup, err = h.svc.Supervise(ctx, p, v.Thresholds); err != nil {
		return nil, err
	}
	if c := dom.ActionCheck(v.Sup, h.svc.Today()); !c.OK || v.Sup.Variance.Light == "red" {
		v.Checks = append(v.Checks, c)
	}
	v.CanProgress = pr.Covers(p.OwnerPath, Owners...)
	for _, c := range v.Checks {
		if c.Key == "budget_over" && !c.OK && route.Has(dom.Feasibility) {
			v.Decisions = append(v.Decisions, dom.Reapprove)
		}
	}
	v.Decisions = append([]string{dom.Approve, dom.Return, dom.Reject}, v.Decisions...)
	revs, err := h.svc.Reviews(ctx, id)
	if err != nil {
		return nil, err
	}
	named := pr.Covers(p.OwnerPath, Offices...)
	for _, rv := range revs {
		x := reviewView{Review: rv, Reproduces: rv.Reproduces(), Mean: rv.Mean()}
		x.Review.Seats = nil
		for _, s := range rv.Seats {
			if !named {
				s.ExpertName, s.Employer, s.ExpertID = "", "", 0
			}
			x.Seats = append(x.Seats, seatView{Seat: s, Named: named})
		}
		if !named {
			x.Review.Candidates = nil
		} else if x.Excluded, err = h.svc.Exclusions(ctx, "review", rv.ID); err != nil {
			return nil, err
		}
		v.Reviews = append(v.Reviews, x)
	}
	if v.Ratings, err = h.svc.Ratings(ctx, id); err != nil {
		return nil, err
	}
	if v.Events, err = h.svc.Timeline(ctx, scopes(r, Viewers), id); err != nil {
		return nil, err
	}
	if v.Similar, err = h.svc.SimilarTo(ctx, scopes(r, Viewers), p, 5); err != nil {
		return nil, err
	}
	return v, nil
}

// stepped answers a step's outcome: back to the project, or its page
// again with the user error.
func (h handlers) stepped(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/projects/%d?flash=saved", id))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderShow(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}

// optWan reads an optional amount in 万元.
func optWan(v url.Values, field string) (*dom.Money, error) {
	s := strings.TrimSpace(v.Get(field))
	if s == "" {
		return nil, nil
	}
	m, err := dom.ParseWan(s)
	if err != nil {
		return nil, fieldErr(err, field)
	}
	return &m, nil
}

func (h handlers) amounts(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	am, err := amountsOf(r.PostForm)
	if err == nil {
		err = h.svc.SetAmounts(r.Context(), kit.Actor(r), scopes(r, Owners), id, am)
	}
	return h.stepped(w, r, id, err)
}

func (h handlers) document(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	// The project's scope first: a refusal never depends on the file.
	if _, err := h.svc.Get(r.Context(), scopes(r, Owners), id); err != nil {
		return refuse(err)
	}
	kind, name, data, err := documentOf(r)
	if err == nil {
		_, err = h.svc.AddDocument(r.Context(), kit.Actor(r), scopes(r, Owners), id, kind, name, data)
	}
	return h.stepped(w, r, id, err)
}

func (h handlers) documentData(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	d, data, err := h.svc.DocumentData(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	_, err = w.Write(data)
	return err
}

func (h handlers) submit(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, id, h.svc.Submit(r.Context(), kit.Actor(r), scopes(r, Owners), id, r.PostFormValue("note")))
}

func (h handlers) decide(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, id, h.svc.Decide(r.Context(), kit.Actor(r), scopes(r, Offices), id, r.PostFormValue("decision"), r.PostFormValue("reason")))
}

func (h handlers) draw(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	size, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("size")))
	if err != nil {
		return h.stepped(w, r, id, i18n.Errorf("评审专家人数应为整数", "the panel size must be a whole number").OnField("size"))
	}
	_, err = h.svc.DrawPanel(r.Context(), kit.Actor(r), scopes(r, Offices), id, r.PostFormValue("field"), size, nil)
	return h.stepped(w, r, id, err)
}

func (h handlers) rate(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	n, err := ratingOf(r.PostForm)
	if err == nil {
		err = h.svc.Rate(r.Context(), kit.Actor(r), scopes(r, Offices), id, n, r.PostFormValue("comment"))
	}
	return h.stepped(w, r, id, err)
}

type importView struct {
	Header []string
	Errors []*i18n.Error
}

func (h handlers) importForm(w http.ResponseWriter, r *http.Request) error {
	return h.k.Render(w, r, h.pages, "import", http.StatusOK, kit.View{Title: kit.T(r, "project.import"), Nav: "project", Data: importView{Header: dom.ImportHeader()}})
}

func (h handlers) importTemplate(w http.ResponseWriter, r *http.Request) error {
	return kit.XLSX(w, "projects-template.xlsx", dom.ImportHeader(), [][]any{
		{"", "示例：郑州市政务服务一体化平台", "4101", "市级", "新建", "市级财政预算资金", "2015", "1200.5", "项目概要", "建设内容", "主要功能"}})
}

func (h handlers) importPost(w http.ResponseWriter, r *http.Request) error {
	var errs []*i18n.Error
	name, data, err := kit.Upload(r, "file", dom.MaxImportFile)
	if err == nil {
		_, _, errs, err = importProjects(r.Context(), h.svc, kit.Actor(r), scopes(r, Owners), name, strings.NewReader(string(data)), false)
		if err == nil && len(errs) == 0 {
			return kit.Redirect(w, r, "/projects?flash=project_imported")
		}
	}
	if ue, ok := kit.UserError(err); ok {
		errs = append(errs, ue)
	} else if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "import", http.StatusBadRequest, kit.View{Title: kit.T(r, "project.import"), Nav: "project",
		Data: importView{Header: dom.ImportHeader(), Errors: errs}})
}

type systemsView struct {
	Systems   []dom.System
	Filter    dom.SystemFilter
	Page      page
	ExportURL string
	CanAdd    bool
	Form      url.Values
}

func (h handlers) systemFilter(r *http.Request) (dom.SystemFilter, error) {
	pg, err := kit.FormInt(r, "page", 1)
	if err != nil {
		return dom.SystemFilter{}, err
	}
	mlps, err := kit.FormInt(r, "mlps", 0)
	if err != nil {
		return dom.SystemFilter{}, err
	}
	return dom.SystemFilter{Scopes: scopes(r, Viewers), Q: r.URL.Query().Get("q"), MLPS: mlps, Page: pg}, nil
}

func (h handlers) systems(w http.ResponseWriter, r *http.Request) error {
	return h.renderSystems(w, r, http.StatusOK, url.Values{"owner": {kit.Principal(r).Home()}}, nil)
}

func (h handlers) renderSystems(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	f, err := h.systemFilter(r)
	if err != nil {
		return err
	}
	ss, total, err := h.svc.Systems(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	return h.k.Render(w, r, h.pages, "systems", status, kit.View{Title: kit.T(r, "project.systems"), Nav: "project", Errors: errs, Data: systemsView{
		Systems: ss, Filter: f, Page: pageOf("/projects/systems", r.URL.Query(), max(f.Page, 1), 50, total),
		ExportURL: withQuery("/projects/systems/export", r.URL.Query()), CanAdd: kit.Principal(r).Has(Owners...), Form: form}})
}

func (h handlers) systemsExport(w http.ResponseWriter, r *http.Request) error {
	f, err := h.systemFilter(r)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = 1, dom.MaxExport
	ss, _, err := h.svc.Systems(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	var header []string
	for _, k := range []string{"owner_code", "owner", "system", "description", "data_resources", "om_cost", "mlps"} {
		header = append(header, kit.T(r, "project.col."+k))
	}
	rows := make([][]any, 0, len(ss))
	for _, s := range ss {
		rows = append(rows, []any{s.Owner, s.OwnerName, s.Name, s.Description, s.DataResources, s.OMCost.Wan(), s.MLPSLevel})
	}
	return kit.XLSX(w, "information-systems.xlsx", header, rows)
}

func (h handlers) addSystem(w http.ResponseWriter, r *http.Request) error {
	v := r.PostForm
	n, err := systemOf(v)
	if err == nil {
		_, err = h.svc.AddSystem(r.Context(), kit.Actor(r), scopes(r, Owners), n)
	}
	if err == nil {
		return kit.Redirect(w, r, "/projects/systems?flash=saved")
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderSystems(w, r, http.StatusBadRequest, v, []*i18n.Error{ue})
	}
	return refuse(err)
}

type expertsView struct {
	Experts   []dom.Expert
	Filter    dom.ExpertFilter
	Page      page
	ExportURL string
	Fields    []string
	Form      url.Values
	TieYears  int
}

func (h handlers) expertFilter(r *http.Request) (dom.ExpertFilter, error) {
	pg, err := kit.FormInt(r, "page", 1)
	if err != nil {
		return dom.ExpertFilter{}, err
	}
	return dom.ExpertFilter{Field: r.URL.Query().Get("field"), Q: r.URL.Query().Get("q"), Page: pg}, nil
}

func (h handlers) experts(w http.ResponseWriter, r *http.Request) error {
	return h.renderExperts(w, r, http.StatusOK, url.Values{"available": {"on"}}, nil)
}

func (h handlers) renderExperts(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	f, err := h.expertFilter(r)
	if err != nil {
		return err
	}
	es, total, err := h.svc.Experts(r.Context(), f)
	if err != nil {
		return err
	}
	years, err := h.svc.TieYears(r.Context())
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "experts", status, kit.View{Title: kit.T(r, "project.experts"), Nav: "project", Errors: errs, Data: expertsView{
		Experts: es, Filter: f, Page: pageOf("/projects/experts", r.URL.Query(), max(f.Page, 1), 50, total),
		ExportURL: withQuery("/projects/experts/export", r.URL.Query()), Fields: dom.Fields, Form: form, TieYears: years}})
}

func (h handlers) expertsExport(w http.ResponseWriter, r *http.Request) error {
	f, err := h.expertFilter(r)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = 1, dom.MaxExport
	es, _, err := h.svc.Experts(r.Context(), f)
	if err != nil {
		return err
	}
	var header []string
	for _, k := range []string{"expert", "fields", "employer", "region", "conflicts", "account", "available"} {
		header = append(header, kit.T(r, "project.col."+k))
	}
	rows := make([][]any, 0, len(es))
	for _, e := range es {
		var fs []string
		for _, f := range e.Fields {
			fs = append(fs, kit.T(r, "project.field."+f))
		}
		avail := kit.T(r, "project.no")
		if e.Available {
			avail = kit.T(r, "project.yes")
		}
		rows = append(rows, []any{e.Name, strings.Join(fs, "、"), e.Employer, e.Region, strings.Join(e.Conflicts, "、"), e.Account, avail})
	}
	return kit.XLSX(w, "experts.xlsx", header, rows)
}

func (h handlers) addExpert(w http.ResponseWriter, r *http.Request) error {
	v := r.PostForm
	e := dom.Expert{Name: v.Get("name"), Fields: v["fields"], Employer: v.Get("employer"), EmployerCode: strings.TrimSpace(v.Get("employer_code")),
		Region: strings.TrimSpace(v.Get("region")), Account: v.Get("account"), Available: v.Get("available") == "on",
		Conflicts: strings.FieldsFunc(v.Get("conflicts"), func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == ' ' })}
	_, err := h.svc.AddExpert(r.Context(), kit.Actor(r), e)
	if err == nil {
		return kit.Redirect(w, r, "/projects/experts?flash=saved")
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderExperts(w, r, http.StatusBadRequest, v, []*i18n.Error{ue})
	}
	return err
}

// account is the caller's user name, which links it to its pool entry.
func account(r *http.Request) string {
	if p := kit.Principal(r); p.Authenticated() {
		return p.User.Name
	}
	return ""
}

func (h handlers) reviews(w http.ResponseWriter, r *http.Request) error {
	as, err := h.svc.Assignments(r.Context(), account(r))
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "reviews", http.StatusOK, kit.View{Title: kit.T(r, "project.reviews"), Nav: "project-reviews", Data: as})
}

func (h handlers) seat(w http.ResponseWriter, r *http.Request) error {
	return h.renderSeat(w, r, http.StatusOK, nil)
}

func (h handlers) renderSeat(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	as, err := h.svc.Assignment(r.Context(), account(r), id)
	if err != nil {
		return refuse(err)
	}
	return h.k.Render(w, r, h.pages, "seat", status, kit.View{Title: as.Project.Name, Nav: "project-reviews", Errors: errs, Data: as})
}

func (h handlers) score(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	// The seat's owner first: a refusal never depends on the form.
	if _, err := h.svc.Assignment(r.Context(), account(r), id); err != nil {
		return refuse(err)
	}
	sc, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("score")))
	if err != nil {
		err = i18n.Errorf("评分应为 0 至 100 的整数", "the score must be a whole number from 0 to 100").OnField("score")
	} else {
		err = h.svc.Score(r.Context(), kit.Actor(r), account(r), id, sc, r.PostFormValue("opinion"))
	}
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/projects/reviews/%d?flash=saved", id))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderSeat(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) apiList(w http.ResponseWriter, r *http.Request) error {
	f, err := h.filterOf(r)
	if err != nil {
		return err
	}
	ps, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	if ps == nil {
		ps = []*dom.Project{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"projects": ps, "total": total, "page": max(f.Page, 1)})
}

// apiProject is a project as the API receives it; the estimate may be a
// JSON number or a string, read exactly in 万元.
type apiProject struct {
	Number    string      `json:"number"`
	Name      string      `json:"name"`
	Owner     string      `json:"owner"`
	Level     string      `json:"level"`
	Category  string      `json:"category"`
	Funding   string      `json:"funding"`
	Year      int         `json:"year"`
	Estimate  json.Number `json:"estimate"`
	Summary   string      `json:"summary"`
	Content   string      `json:"content"`
	Functions string      `json:"functions"`
	Systems   []int64     `json:"systems"`
}

func (h handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var n dom.NewProject
	var err error
	if kit.IsJSON(r) {
		var b apiProject
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
		n = dom.NewProject{Number: b.Number, Name: b.Name, Owner: b.Owner, Level: b.Level, Category: b.Category, Funding: b.Funding, Year: b.Year,
			Summary: b.Summary, Content: b.Content, Functions: b.Functions, Systems: b.Systems}
		if n.Estimate, err = dom.ParseWan(b.Estimate.String()); err != nil {
			return fieldErr(err, "estimate")
		}
	} else if n, err = newProjectOf(r.PostForm); err != nil {
		return err
	}
	id, err := h.svc.Register(r.Context(), kit.Actor(r), scopes(r, Owners), n)
	if err != nil {
		return refuse(err)
	}
	p, err := h.svc.Get(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	sim, err := h.svc.SimilarTo(r.Context(), scopes(r, Viewers), p, 5)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"project": p, "similar": sim})
}

func (h handlers) apiGet(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.showData(r, id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, projectBody(v))
}

func (h handlers) apiSimilar(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := kit.FormInt(r, "limit", 10)
	if err != nil {
		return err
	}
	p, err := h.svc.Get(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	ms, err := h.svc.SimilarTo(r.Context(), scopes(r, Viewers), p, limit)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, ms)
}

func (h handlers) apiSimilarDraft(w http.ResponseWriter, r *http.Request) error {
	limit, err := kit.FormInt(r, "limit", 10)
	if err != nil {
		return err
	}
	var b struct {
		Name      string  `json:"name"`
		Summary   string  `json:"summary"`
		Content   string  `json:"content"`
		Functions string  `json:"functions"`
		Owner     string  `json:"owner"`
		Systems   []int64 `json:"systems"`
	}
	if kit.IsJSON(r) {
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
	} else {
		b.Name, b.Summary, b.Content, b.Functions = r.PostFormValue("name"), r.PostFormValue("summary"), r.PostFormValue("content"), r.PostFormValue("functions")
		b.Owner = r.PostFormValue("owner")
	}
	text := (&dom.Project{Name: b.Name, Summary: b.Summary, Content: b.Content, Functions: b.Functions}).Text()
	if len([]rune(text)) > 30000 {
		return i18n.Errorf("文本过长（最多 30000 字）", "the text is too long (30,000 characters at most)")
	}
	ms, err := h.svc.Similar(r.Context(), scopes(r, Viewers), dom.Query{Text: text, Owner: strings.TrimSpace(b.Owner), Functions: b.Functions, Systems: b.Systems}, limit)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, ms)
}
