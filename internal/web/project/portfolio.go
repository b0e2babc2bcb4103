package project

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// O&M budgets (the owner units' annual requests, the office's review),
// the portfolio dashboard, publication and the public page.

func portfolioRoutes(h handlers) []kit.Route {
	return []kit.Route{
		{Pattern: "GET /projects/om", Access: kit.Roles, Roles: Viewers, Handler: h.omList},
		{Pattern: "POST /projects/om", Access: kit.Roles, Roles: Owners, Handler: h.omSubmit},
		{Pattern: "GET /projects/om/export", Access: kit.Roles, Roles: Viewers, Handler: h.omExport},
		{Pattern: "GET /projects/om/{id}", Access: kit.Roles, Roles: Viewers, Handler: h.omShow},
		{Pattern: "POST /projects/om/{id}/decide", Access: kit.Roles, Roles: Offices, Handler: h.omReview},
		{Pattern: "POST /projects/om/thresholds", Access: kit.Roles, Roles: Offices, Handler: h.omThresholds},
		{Pattern: "GET /projects/om/import", Access: kit.Roles, Roles: Owners, Handler: h.omImportForm},
		{Pattern: "GET /projects/om/import/template", Access: kit.Roles, Roles: Owners, Handler: h.omImportTemplate},
		{Pattern: "POST /projects/om/import", Access: kit.Roles, Roles: Owners, Handler: h.omImportPost, BodyLimit: MaxImportBody},
		{Pattern: "POST /projects/systems/retire", Access: kit.Roles, Roles: Owners, Handler: h.retireSystem},
		{Pattern: "GET /projects/dashboard", Access: kit.Roles, Roles: Viewers, Handler: h.dashboard},
		{Pattern: "GET /projects/dashboard/export", Access: kit.Roles, Roles: Viewers, Handler: h.dashboardExport},
		{Pattern: "GET /projects/publication", Access: kit.Roles, Roles: Offices, Handler: h.publication},
		{Pattern: "POST /projects/publication", Access: kit.Roles, Roles: Offices, Handler: h.publicationFields},
		{Pattern: "POST /projects/{id}/publish", Access: kit.Roles, Roles: Offices, Handler: h.publish},
		{Pattern: "GET /portfolio", Access: kit.Public, Handler: h.public},
		{Pattern: "GET /api/v1/public/projects", Access: kit.Public, Handler: h.apiPublic},
		{Pattern: "GET /api/v1/projects/portfolio", Access: kit.Roles, Roles: Viewers, Handler: h.apiPortfolio},
		{Pattern: "GET /api/v1/projects/om", Access: kit.Roles, Roles: Viewers, Handler: h.apiOM},
		{Pattern: "POST /api/v1/projects/om", Access: kit.Roles, Roles: Owners, Handler: h.apiOMSubmit},
		{Pattern: "POST /api/v1/projects/om/import", Access: kit.Roles, Roles: Owners, Handler: h.apiOMImport, BodyLimit: MaxImportBody},
		{Pattern: "POST /api/v1/projects/om/thresholds", Access: kit.Roles, Roles: Offices, Handler: h.apiSetOMThresholds},
		{Pattern: "POST /api/v1/projects/om/{id}/decide", Access: kit.Roles, Roles: Offices, Handler: h.apiOMDecide},
		{Pattern: "GET /api/v1/projects/publication", Access: kit.Roles, Roles: Offices, Handler: h.apiPublication},
		{Pattern: "POST /api/v1/projects/publication", Access: kit.Roles, Roles: Offices, Handler: h.apiSetPublication},
		{Pattern: "POST /api/v1/projects/{id}/publish", Access: kit.Roles, Roles: Offices, Handler: h.apiPublish},
	}
}

// ---- O&M requests ----

func (h handlers) omFilter(r *http.Request) (dom.OMFilter, error) {
	q := r.URL.Query()
	year, err := kit.FormInt(r, "year", 0)
	if err != nil {
		return dom.OMFilter{}, err
	}
	pg, err := kit.FormInt(r, "page", 1)
	if err != nil {
		return dom.OMFilter{}, err
	}
	f := dom.OMFilter{Scopes: scopes(r, Viewers), Unit: strings.TrimSpace(q.Get("unit")), Year: year, Status: q.Get("status"), Flag: q.Get("flag"), Q: q.Get("q"), Page: pg}
	if f.Status != "" && !slices.Contains(dom.OMStates, f.Status) {
		return f, i18n.Errorf("未知的状态 %q", "unknown state %q", f.Status).OnField("status")
	}
	return f, h.unitFilter(r, f.Unit)
}

type omView struct {
	Requests   []*dom.OMRequest
	Totals     dom.OMTotals
	Filter     dom.OMFilter
	Page       page
	ExportURL  string
	States     []string
	FlagCodes  []string
	Systems    []dom.System
	Form       url.Values
	Thresholds dom.OMThresholds
	CanSubmit  bool
	CanReview  bool
}

func (h handlers) omList(w http.ResponseWriter, r *http.Request) error {
	return h.renderOM(w, r, http.StatusOK, nil, nil)
}

func (h handlers) renderOM(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	f, err := h.omFilter(r)
	if err != nil {
		return err
	}
	rs, tot, err := h.svc.ListOM(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	th, err := h.svc.OMThresholds(r.Context())
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	v := omView{Requests: rs, Totals: tot, Filter: f, Page: pageOf("/projects/om", r.URL.Query(), max(f.Page, 1), 50, tot.Count),
		ExportURL: withQuery("/projects/om/export", r.URL.Query()), States: dom.OMStates, FlagCodes: dom.FlagCodes, Thresholds: th,
		CanSubmit: p.Has(Owners...), CanReview: p.Has(Offices...), Form: form}
	if v.CanSubmit {
		if v.Systems, _, err = h.svc.Systems(r.Context(), dom.SystemFilter{Scopes: scopes(r, Owners), PerPage: 500}); err != nil {
			return refuse(err)
		}
		if v.Form == nil {
			v.Form = url.Values{"year": {strconv.Itoa(time.Now().In(shanghai).Year() + 1)}}
		}
	}
	return h.k.Render(w, r, h.pages, "om", status, kit.View{Title: kit.T(r, "project.om"), Nav: "project", Errors: errs, Data: v})
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func (h handlers) omSubmit(w http.ResponseWriter, r *http.Request) error {
	n, err := omOf(r)
	if err == nil {
		var id int64
		if id, err = h.svc.SubmitOM(r.Context(), kit.Actor(r), scopes(r, Owners), n); err == nil {
			return kit.Redirect(w, r, fmt.Sprintf("/projects/om/%d?flash=om_submitted", id))
		}
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderOM(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) omExport(w http.ResponseWriter, r *http.Request) error {
	f, err := h.omFilter(r)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = 1, dom.MaxExport
	rs, _, err := h.svc.ListOM(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	var header []string
	for _, k := range []string{"year", "system", "owner_code", "owner", "amount", "last_actual", "catalogue_cost", "investment", "flags", "state", "approved", "reason", "basis"} {
		header = append(header, kit.T(r, "project.om.col."+k))
	}
	lang := kit.Lang(r)
	rows := make([][]any, 0, len(rs))
	for _, x := range rs {
		var flags []string
		for _, f := range x.Flags {
			flags = append(flags, f.In(lang))
		}
		rows = append(rows, []any{x.Year, x.SystemName, x.Owner, x.OwnerName, x.Amount.Wan(), wanOrEmpty(x.LastActual), x.CatalogueCost.Wan(), x.Investment.Wan(),
			strings.Join(flags, "；"), kit.T(r, "project.om.state."+x.Status), wanOrEmpty(x.Approved), x.ReviewReason, x.Basis})
	}
	return kit.XLSX(w, "om-requests.xlsx", header, rows)
}

type omShowView struct {
	R         *dom.OMRequest
	CanReview bool
	Form      url.Values
}

func (h handlers) omShow(w http.ResponseWriter, r *http.Request) error {
	return h.renderOMShow(w, r, http.StatusOK, nil)
}

func (h handlers) renderOMShow(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	x, err := h.svc.GetOM(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	p := kit.Principal(r)
	v := omShowView{R: x, CanReview: x.Status == dom.OMSubmitted && p.Covers(x.OwnerPath, Offices...), Form: r.PostForm}
	return h.k.Render(w, r, h.pages, "om_show", status, kit.View{Title: x.SystemName + " · " + strconv.Itoa(x.Year), Nav: "project", Errors: errs, Data: v})
}

func (h handlers) omReview(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := omDecisionOf(r.PostForm)
	if err == nil {
		err = h.svc.ReviewOM(r.Context(), kit.Actor(r), scopes(r, Offices), id, d.Decision, d.Approved, d.Reason)
	}
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/projects/om/%d?flash=om_reviewed", id))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderOMShow(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) omThresholds(w http.ResponseWriter, r *http.Request) error {
	th, err := omThresholdsOf(r.PostForm)
	if err != nil {
		return h.renderOM(w, r, http.StatusBadRequest, nil, []*i18n.Error{err.(*i18n.Error)})
	}
	if err := h.svc.SetOMThresholds(r.Context(), kit.Actor(r), th); err != nil {
		if ue, ok := kit.UserError(err); ok {
			return h.renderOM(w, r, http.StatusBadRequest, nil, []*i18n.Error{ue})
		}
		return err
	}
	return kit.Redirect(w, r, "/projects/om?flash=saved")
}

type omImportView struct {
	Header []string
	Errors []*i18n.Error
}

func (h handlers) omImportForm(w http.ResponseWriter, r *http.Request) error {
	return h.k.Render(w, r, h.pages, "om_import", http.StatusOK, kit.View{Title: kit.T(r, "project.om.import"), Nav: "project", Data: omImportView{Header: dom.OMImportHeader()}})
}

func (h handlers) omImportTemplate(w http.ResponseWriter, r *http.Request) error {
	return kit.XLSX(w, "om-template.xlsx", dom.OMImportHeader(), [][]any{{"2026", "4101", "示例：郑州市政务服务一体化平台（已建）", "120.5", "110", "运维服务合同"}})
}

func (h handlers) omImportPost(w http.ResponseWriter, r *http.Request) error {
	var errs []*i18n.Error
	name, data, err := kit.Upload(r, "file", dom.MaxImportFile)
	if err == nil {
		var rows []dom.OMImportRow
		rows, errs, err = h.svc.ReadOMImport(r.Context(), scopes(r, Owners), name, strings.NewReader(string(data)))
		if err == nil && len(errs) == 0 {
			if _, err = h.svc.ImportOM(r.Context(), kit.Actor(r), scopes(r, Owners), rows); err == nil {
				return kit.Redirect(w, r, "/projects/om?flash=om_imported")
			}
		}
	}
	if ue, ok := kit.UserError(err); ok {
		errs = append(errs, ue)
	} else if err != nil {
		return refuse(err)
	}
	return h.k.Render(w, r, h.pages, "om_import", http.StatusBadRequest, kit.View{Title: kit.T(r, "project.om.import"), Nav: "project",
		Data: omImportView{Header: dom.OMImportHeader(), Errors: errs}})
}

func (h handlers) retireSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("system")), 10, 64)
	if err != nil {
		return h.renderSystems(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{i18n.Errorf("请选择信息系统", "choose a system").OnField("system")})
	}
	year, err := retiredYearOf(r.PostForm)
	if err != nil {
		return h.renderSystems(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{err.(*i18n.Error)})
	}
	err = h.svc.RetireSystem(r.Context(), kit.Actor(r), scopes(r, Owners), id, year)
	if err == nil {
		return kit.Redirect(w, r, "/projects/systems?flash=saved")
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderSystems(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
	}
	return refuse(err)
}

// ---- the dashboard ----

// dashFilter reads the dashboard's filter: year, unit, level, category.
func (h handlers) dashFilter(r *http.Request) (dom.Filter, error) {
	f, err := h.filterOf(r)
	if err != nil {
		return f, err
	}
	if f.Level != "" && !slices.Contains(dom.Levels, f.Level) {
		return f, i18n.Errorf("未知的层级 %q", "unknown level %q", f.Level).OnField("level")
	}
	if f.Category != "" && !slices.Contains(dom.Categories, f.Category) {
		return f, i18n.Errorf("未知的类别 %q", "unknown category %q", f.Category).OnField("category")
	}
	f.Stage, f.Status, f.Q, f.Page = "", "", "", 0
	return f, nil
}

// tableRow is one row of a dashboard table: its label, link and bucket.
type tableRow struct {
	Label string
	Link  string
	B     dom.Bucket
}

type dashTable struct {
	ID, Title string
	Rows      []tableRow
	Export    string
}

type dashView struct {
	D        *dom.Dashboard
	Filter   dom.Filter
	Years    []int
	Levels   []string
	Cats     []string
	Tables   []dashTable
	Trend    map[string]any
	OMChart  map[string]any
	Export   func(list string) string
	WatchURL string
	OMURL    string
}

func (h handlers) dashboardData(r *http.Request) (*dom.Dashboard, dom.Filter, error) {
	f, err := h.dashFilter(r)
	if err != nil {
		return nil, f, err
	}
	th, err := h.svc.Thresholds(r.Context())
	if err != nil {
		return nil, f, err
	}
	d, err := h.svc.Portfolio(r.Context(), f, th)
	if err != nil {
		return nil, f, refuse(err)
	}
	return d, f, nil
}

// label names a bucket of grouping list in the caller's language.
func label(r *http.Request, list string, b dom.Bucket) string {
	switch list {
	case "stage":
		return kit.T(r, "project.stage."+b.Key)
	case "level":
		return kit.T(r, "project.level."+b.Key)
	case "category":
		return kit.T(r, "project.category."+b.Key)
	case "unit":
		if b.Key == "" {
			return kit.T(r, "project.dash.own_level")
		}
		return b.Name
	}
	return b.Key
}

func wanFloat(m dom.Money) float64 { return float64(m) / 10000 }

func (h handlers) dashboard(w http.ResponseWriter, r *http.Request) error {
	d, f, err := h.dashboardData(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	link := func(key, val string) string {
		v := url.Values{}
		for k, x := range q {
			if k != "page" && k != "flash" && len(x) > 0 && x[0] != "" {
				v[k] = x
			}
		}
		v.Set(key, val)
		return "/projects/dashboard?" + v.Encode()
	}
	exp := func(list string) string {
		v := url.Values{}
		for k, x := range q {
			if k != "page" && k != "flash" && len(x) > 0 && x[0] != "" {
				v[k] = x
			}
		}
		v.Set("list", list)
		return "/projects/dashboard/export?" + v.Encode()
	}
	listLink := func(key, val string) string {
		v := url.Values{}
		for _, k := range []string{"unit", "level", "category", "year"} {
			if x := q.Get(k); x != "" {
				v.Set(k, x)
			}
		}
		v.Set(key, val)
		return "/projects?" + v.Encode()
	}
	var tables []dashTable
	for _, t := range []struct {
		list string
		bs   []dom.Bucket
	}{{"stage", d.ByStage}, {"unit", d.ByUnit}, {"level", d.ByLevel}, {"category", d.ByCategory}, {"year", d.ByYear}} {
		dt := dashTable{ID: "by-" + t.list, Title: kit.T(r, "project.dash.by_"+t.list), Export: exp(t.list)}
		for _, b := range t.bs {
			row := tableRow{Label: label(r, t.list, b), B: b}
			switch t.list {
			case "unit":
				if b.Key != "" {
					row.Link = link("unit", b.Key)
				}
			case "stage":
				row.Link = listLink("stage", b.Key)
			default:
				row.Link = link(t.list, b.Key)
			}
			dt.Rows = append(dt.Rows, row)
		}
		tables = append(tables, dt)
	}
	var years []string
	var counts, ests []any
	for _, b := range d.ByYear {
		years = append(years, b.Key)
		counts = append(counts, b.Count)
		ests = append(ests, wanFloat(b.Estimate))
	}
	v := dashView{D: d, Filter: f, Levels: dom.Levels, Cats: dom.Categories, Tables: tables, Export: exp, WatchURL: exp("watch"), OMURL: exp("om")}
	for y := time.Now().In(shanghai).Year() + 1; y >= 2013; y-- {
		v.Years = append(v.Years, y)
	}
	if len(years) > 0 {
		v.Trend = map[string]any{
			"grid":    map[string]any{"left": 48, "right": 56, "top": 40, "bottom": 28, "containLabel": true},
			"tooltip": map[string]any{"trigger": "axis"},
			"legend":  map[string]any{"top": 0},
			"xAxis":   map[string]any{"type": "category", "data": years},
			"yAxis": []any{map[string]any{"type": "value", "name": kit.T(r, "project.dash.count")},
				map[string]any{"type": "value", "name": kit.T(r, "project.dash.wan")}},
			"series": []any{
				map[string]any{"type": "bar", "name": kit.T(r, "project.dash.count"), "data": counts},
				map[string]any{"type": "line", "name": kit.T(r, "project.col.estimate"), "yAxisIndex": 1, "data": ests},
			},
		}
	}
	if len(d.OM) > 0 {
		var oy []string
		var asked, granted []any
		for _, y := range d.OM {
			oy = append(oy, strconv.Itoa(y.Year))
			asked = append(asked, wanFloat(y.Amount))
			granted = append(granted, wanFloat(y.Approved))
		}
		v.OMChart = map[string]any{
			"grid":    map[string]any{"left": 48, "right": 24, "top": 40, "bottom": 28, "containLabel": true},
			"tooltip": map[string]any{"trigger": "axis"},
			"legend":  map[string]any{"top": 0},
			"xAxis":   map[string]any{"type": "category", "data": oy},
			"yAxis":   map[string]any{"type": "value", "name": kit.T(r, "project.dash.wan")},
			"series": []any{
				map[string]any{"type": "bar", "name": kit.T(r, "project.om.col.amount"), "data": asked},
				map[string]any{"type": "bar", "name": kit.T(r, "project.om.col.approved"), "data": granted},
			},
		}
	}
	return h.k.Render(w, r, h.pages, "dashboard", http.StatusOK, kit.View{Title: kit.T(r, "project.dashboard"), Nav: "project", Data: v})
}

func (h handlers) dashboardExport(w http.ResponseWriter, r *http.Request) error {
	d, _, err := h.dashboardData(r)
	if err != nil {
		return err
	}
	list := r.URL.Query().Get("list")
	switch list {
	case "watch":
		header := []string{kit.T(r, "project.col.number"), kit.T(r, "project.col.name"), kit.T(r, "project.col.owner"), kit.T(r, "project.cost_variance"),
			kit.T(r, "project.schedule_variance"), kit.T(r, "project.col.risk"), kit.T(r, "project.light")}
		var rows [][]any
		for _, x := range d.Watch {
			rows = append(rows, []any{x.Number, x.Name, x.Owner, pctOrDash(x.Variance.HasCost, x.Variance.Cost), pctOrDash(x.Variance.HasSchedule, x.Variance.Schedule),
				riskCell(x.Risk), kit.T(r, "project.light."+lightKey(x.Variance.Light))})
		}
		return kit.XLSX(w, "portfolio-watch.xlsx", header, rows)
	case "om":
		header := []string{kit.T(r, "project.om.col.year"), kit.T(r, "project.dash.count"), kit.T(r, "project.om.flagged"), kit.T(r, "project.om.col.amount"), kit.T(r, "project.om.col.approved")}
		var rows [][]any
		for _, y := range d.OM {
			rows = append(rows, []any{y.Year, y.Count, y.Flagged, y.Amount.Wan(), y.Approved.Wan()})
		}
		return kit.XLSX(w, "portfolio-om.xlsx", header, rows)
	case "lights":
		header := []string{kit.T(r, "project.light"), kit.T(r, "project.dash.count")}
		rows := [][]any{{kit.T(r, "project.light.red"), d.Lights.Red}, {kit.T(r, "project.light.amber"), d.Lights.Amber},
			{kit.T(r, "project.light.green"), d.Lights.Green}, {kit.T(r, "project.light.none"), d.Lights.None}}
		return kit.XLSX(w, "portfolio-lights.xlsx", header, rows)
	}
	var bs []dom.Bucket
	switch list {
	case "stage":
		bs = d.ByStage
	case "unit":
		bs = d.ByUnit
	case "level":
		bs = d.ByLevel
	case "category":
		bs = d.ByCategory
	case "year":
		bs = d.ByYear
	default:
		return i18n.Errorf("未知的列表 %q", "unknown list %q", list).OnField("list")
	}
	header := []string{kit.T(r, "project.dash.by_"+list), kit.T(r, "project.dash.count"), kit.T(r, "project.col.estimate"), kit.T(r, "project.col.budget"), kit.T(r, "project.col.final")}
	var rows [][]any
	for _, b := range bs {
		rows = append(rows, []any{label(r, list, b), b.Count, b.Estimate.Wan(), b.Budget.Wan(), b.Final.Wan()})
	}
	rows = append(rows, []any{kit.T(r, "project.dash.total"), d.Total.Count, d.Total.Estimate.Wan(), d.Total.Budget.Wan(), d.Total.Final.Wan()})
	return kit.XLSX(w, "portfolio-"+list+".xlsx", header, rows)
}

func (h handlers) apiPortfolio(w http.ResponseWriter, r *http.Request) error {
	d, _, err := h.dashboardData(r)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, d)
}

func (h handlers) apiOM(w http.ResponseWriter, r *http.Request) error {
	f, err := h.omFilter(r)
	if err != nil {
		return err
	}
	f.PerPage = dom.MaxPerPage
	rs, tot, err := h.svc.ListOM(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	if rs == nil {
		rs = []*dom.OMRequest{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"requests": rs, "count": tot.Count, "flagged": tot.Flagged, "amount": tot.Amount, "approved": tot.Approved})
}

// apiOMRequest is an O&M request as the API receives it; amounts in 万元
// as JSON numbers or strings, read exactly.
type apiOMRequest struct {
	System     int64       `json:"system"`
	Year       int         `json:"year"`
	Amount     json.Number `json:"amount"`
	LastActual json.Number `json:"last_actual"`
	Basis      string      `json:"basis"`
}

// omOf reads an O&M request from the page's form or an API body (JSON or
// form values).
func omOf(r *http.Request) (dom.NewOM, error) {
	var n dom.NewOM
	var err error
	if kit.IsJSON(r) {
		var b apiOMRequest
		if err := kit.DecodeJSON(r, &b); err != nil {
			return n, err
		}
		n.SystemID, n.Year, n.Basis = b.System, b.Year, b.Basis
		if n.Amount, err = dom.ParseWan(b.Amount.String()); err != nil {
			return n, fieldErr(err, "amount")
		}
		if b.LastActual != "" {
			m, err := dom.ParseWan(b.LastActual.String())
			if err != nil {
				return n, fieldErr(err, "last_actual")
			}
			n.LastActual = &m
		}
		return n, nil
	}
	v := r.PostForm
	if n.SystemID, err = strconv.ParseInt(strings.TrimSpace(v.Get("system")), 10, 64); err != nil {
		return n, i18n.Errorf("请选择信息系统", "choose a system").OnField("system")
	}
	if y := strings.TrimSpace(v.Get("year")); y != "" {
		if n.Year, err = strconv.Atoi(y); err != nil {
			return n, i18n.Errorf("年度应为整数", "the year must be a whole number").OnField("year")
		}
	}
	if n.Amount, err = dom.ParseWan(v.Get("amount")); err != nil {
		return n, fieldErr(err, "amount")
	}
	if n.LastActual, err = optWan(v, "last_actual"); err != nil {
		return n, err
	}
	n.Basis = v.Get("basis")
	return n, nil
}

// apiOMSubmit stores one O&M request: 201 with the request and its flags.
func (h handlers) apiOMSubmit(w http.ResponseWriter, r *http.Request) error {
	n, err := omOf(r)
	if err != nil {
		return err
	}
	id, err := h.svc.SubmitOM(r.Context(), kit.Actor(r), scopes(r, Owners), n)
	if err != nil {
		return refuse(err)
	}
	x, err := h.svc.GetOM(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"request": x})
}

// apiOMImport imports an O&M request list, all or nothing: a CSV body
// (text/csv), an XLSX body, or multipart with the file as field file;
// ?dryRun=true checks and flags the requests without storing them. 200
// with the requests (and their flags); 400 with every error by row and
// column in both languages, nothing stored.
func (h handlers) apiOMImport(w http.ResponseWriter, r *http.Request) error {
	name, data, err := importBody(r)
	if err != nil {
		return err
	}
	dry := r.URL.Query().Get("dryRun") == "true" || r.URL.Query().Get("dryRun") == "1"
	rows, errs, err := h.svc.ReadOMImport(r.Context(), scopes(r, Owners), name, bytes.NewReader(data))
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return i18n.Errors(errs)
	}
	var out []*dom.OMRequest
	if dry {
		out, err = h.svc.PreviewOM(r.Context(), kit.Actor(r), scopes(r, Owners), rows)
	} else {
		var ids []int64
		if ids, err = h.svc.ImportOM(r.Context(), kit.Actor(r), scopes(r, Owners), rows); err == nil {
			for _, id := range ids {
				x, err := h.svc.GetOM(r.Context(), scopes(r, Viewers), id)
				if err != nil {
					return refuse(err)
				}
				out = append(out, x)
			}
		}
	}
	if err != nil {
		return refuse(err)
	}
	flagged := 0
	for _, x := range out {
		if x.Flagged() {
			flagged++
		}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"dry_run": dry, "written": !dry, "rows": len(out), "flagged": flagged, "requests": out})
}

// importBody is the file of an import request and its name: the file
// field of a multipart form, or the body itself (CSV unless its type is
// XLSX; ?name= may name it).
func importBody(r *http.Request) (string, []byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		return kit.Upload(r, "file", dom.MaxImportFile)
	}
	name := "import.csv"
	if mt == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		name = "import.xlsx"
	}
	if n := r.URL.Query().Get("name"); n != "" {
		name = n
	}
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return "", nil, &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
	}
	if err != nil {
		return "", nil, kit.ErrBadForm
	}
	if len(b) == 0 {
		return "", nil, i18n.Errorf("请上传 XLSX 或 CSV 文件", "upload an XLSX or CSV file").OnField("file")
	}
	return name, b, nil
}

// ---- publication ----

type publicationView struct {
	Projects  []*dom.Project
	Published map[int64]bool
	Filter    dom.Filter
	Page      page
	Fields    []string
	Chosen    map[string]bool
	Back      string
}

func (h handlers) publication(w http.ResponseWriter, r *http.Request) error {
	return h.renderPublication(w, r, http.StatusOK, nil)
}

func (h handlers) renderPublication(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	q := r.URL.Query()
	pg, err := kit.FormInt(r, "page", 1)
	if err != nil {
		return err
	}
	f := dom.Filter{Scopes: scopes(r, Offices), Q: q.Get("q"), Page: pg}
	ps, total, err := h.svc.List(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	pub, err := h.svc.PublishedIDs(r.Context(), ids)
	if err != nil {
		return err
	}
	fields, err := h.svc.PublishedFields(r.Context())
	if err != nil {
		return err
	}
	chosen := map[string]bool{}
	for _, x := range fields {
		chosen[x] = true
	}
	return h.k.Render(w, r, h.pages, "publication", status, kit.View{Title: kit.T(r, "project.publication"), Nav: "project", Errors: errs, Data: publicationView{
		Projects: ps, Published: pub, Filter: f, Page: pageOf("/projects/publication", q, max(pg, 1), 50, total), Fields: dom.PublicFields, Chosen: chosen,
		Back: withQuery("/projects/publication", q)}})
}

func (h handlers) publicationFields(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.SetPublishedFields(r.Context(), kit.Actor(r), r.PostForm["fields"]); err != nil {
		if ue, ok := kit.UserError(err); ok {
			return h.renderPublication(w, r, http.StatusBadRequest, []*i18n.Error{ue})
		}
		return err
	}
	return kit.Redirect(w, r, "/projects/publication?flash=saved")
}

func (h handlers) publish(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	on, err := publishOf(r.PostForm)
	if err != nil {
		return err
	}
	if err := h.svc.PublishProject(r.Context(), kit.Actor(r), scopes(r, Offices), id, on); err != nil {
		return refuse(err)
	}
	// Back to the page of the list the office came from (a path of ours).
	back := "/projects/publication"
	if b := r.PostFormValue("back"); strings.HasPrefix(b, "/projects/publication") && !strings.HasPrefix(b, "//") {
		back = b
	}
	if strings.Contains(back, "?") {
		return kit.Redirect(w, r, back+"&flash=saved")
	}
	return kit.Redirect(w, r, back+"?flash=saved")
}

// ---- the public page ----

type publicView struct {
	P    *dom.PublicPage
	Q    string
	Page page
}

func (h handlers) publicPage(r *http.Request) (*dom.PublicPage, error) {
	pg, err := kit.FormInt(r, "page", 1)
	if err != nil {
		return nil, err
	}
	limit, err := kit.FormInt(r, "limit", dom.PublicPerPage)
	if err != nil {
		return nil, err
	}
	th, err := h.svc.Thresholds(r.Context())
	if err != nil {
		return nil, err
	}
	return h.svc.Public(r.Context(), dom.PublicQuery{Q: r.URL.Query().Get("q"), Page: pg, Limit: limit}, th)
}

func (h handlers) public(w http.ResponseWriter, r *http.Request) error {
	p, err := h.publicPage(r)
	if err != nil {
		return err
	}
	q := url.Values{}
	if s := strings.TrimSpace(r.URL.Query().Get("q")); s != "" {
		q.Set("q", s)
	}
	pgv := pageOf("/portfolio", q, p.Page, dom.PublicPerPage, min(p.Total, dom.PublicPerPage*dom.PublicMaxPages))
	return h.k.Render(w, r, h.pages, "public", http.StatusOK, kit.View{Title: kit.T(r, "project.public"), Nav: "project-public",
		Data: publicView{P: p, Q: q.Get("q"), Page: pgv}})
}

func (h handlers) apiPublic(w http.ResponseWriter, r *http.Request) error {
	p, err := h.publicPage(r)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, p)
}
