package webcheck

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/web/kit"
	dom "zhihui/internal/webcheck"
)

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

// jobs is what rounds and re-checks enqueue their crawl jobs with: the
// process's job engine, or nil when it has none.
func (h handlers) jobs() dom.Enqueuer {
	if h.k.Jobs == nil {
		return nil
	}
	return h.k.Jobs
}

// scopes are the subtrees whose sites p may see: any role counts.
func scopes(p *auth.Principal) []string { return p.Scopes(auth.Roles...) }

func canSee(p *auth.Principal, path string) bool { return p.Covers(path, auth.Roles...) }

// userErrors splits err into user errors (shown with the form) and others.
func userErrors(err error) ([]*i18n.Error, bool) {
	var el i18n.Errors
	if errors.As(err, &el) {
		return el, true
	}
	var ue *i18n.Error
	if errors.As(err, &ue) {
		return []*i18n.Error{ue}, true
	}
	return nil, false
}

// site loads the site in the path and checks the caller may see it.
func (h handlers) site(r *http.Request) (*dom.Site, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	site, err := dom.GetSite(r.Context(), h.k.DB, id)
	if err != nil {
		return nil, err
	}
	if !canSee(kit.Principal(r), site.OrgPath) {
		return nil, kit.ErrOutside
	}
	return site, nil
}

// inspection loads the inspection in the path and its site, and checks
// the caller may see the site.
func (h handlers) inspection(r *http.Request) (*dom.InspectionInfo, *dom.Result, *dom.Site, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, nil, nil, err
	}
	info, res, err := dom.GetInspection(r.Context(), h.k.DB, id)
	if err != nil {
		return nil, nil, nil, err
	}
	site, err := dom.GetSite(r.Context(), h.k.DB, info.SiteID)
	if err != nil {
		return nil, nil, nil, err
	}
	if !canSee(kit.Principal(r), site.OrgPath) {
		return nil, nil, nil, kit.ErrOutside
	}
	return info, res, site, nil
}

// ---- Overview ---------------------------------------------------------

type indexView struct {
	Rounds    []dom.Round
	Trends    []dom.TrendPoint
	Chart     map[string]any
	Sites     []dom.Site
	Pending   int
	Overdue   int
	CanManage bool
	Form      dom.RoundInput
	Errors    []*i18n.Error
	KindNames map[string]i18n.Text
}

func trendChart(lang string, ts []dom.TrendPoint) map[string]any {
	if len(ts) == 0 {
		return nil
	}
	var names []string
	var avg, pass []float64
	for _, t := range ts {
		names = append(names, t.Name)
		avg = append(avg, t.AvgScore)
		pass = append(pass, float64(int(t.PassRate()*10+0.5))/10)
	}
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"data": []string{i18n.T(lang, "webcheck.avg_score"), i18n.T(lang, "webcheck.pass_rate")}},
		"xAxis":   map[string]any{"type": "category", "data": names},
		"yAxis":   []any{map[string]any{"type": "value", "min": 0, "max": 100, "name": i18n.T(lang, "webcheck.score")}, map[string]any{"type": "value", "min": 0, "max": 100, "name": "%"}},
		"series": []any{
			map[string]any{"name": i18n.T(lang, "webcheck.avg_score"), "type": "bar", "data": avg},
			map[string]any{"name": i18n.T(lang, "webcheck.pass_rate"), "type": "line", "yAxisIndex": 1, "data": pass},
		},
	}
}

func (h handlers) index(w http.ResponseWriter, r *http.Request) error {
	return h.renderIndex(w, r, http.StatusOK, dom.RoundInput{}, nil)
}

func (h handlers) renderIndex(w http.ResponseWriter, r *http.Request, status int, form dom.RoundInput, errs []*i18n.Error) error {
	ctx := r.Context()
	p := kit.Principal(r)
	sc := scopes(p)
	rounds, err := dom.ListRounds(ctx, h.k.DB)
	if err != nil {
		return err
	}
	trends, err := dom.Trends(ctx, h.k.DB, sc)
	if err != nil {
		return err
	}
	v := indexView{Rounds: rounds, Trends: trends, CanManage: p.Has(managers...), Form: form, Errors: errs, KindNames: dom.KindNames}
	v.Chart = trendChart(kit.Lang(r), trends)
	if v.Pending, err = dom.CountProblems(ctx, h.k.DB, dom.ProblemFilter{Scopes: sc, Status: "pending"}); err != nil {
		return err
	}
	if v.Overdue, err = dom.CountProblems(ctx, h.k.DB, dom.ProblemFilter{Scopes: sc, OverdueAt: time.Now()}); err != nil {
		return err
	}
	if v.CanManage {
		if v.Sites, err = dom.ListSites(ctx, h.k.DB, dom.SiteFilter{Scopes: p.Scopes(managers...)}); err != nil {
			return err
		}
	}
	return h.k.Render(w, r, h.pages, "index", status, kit.View{Title: kit.T(r, "webcheck.title"), Nav: "webcheck", Data: v})
}

// ---- Sites -------------------------------------------------------------

type sitesView struct {
	Sites     []dom.Site
	Kinds     []string
	KindNames map[string]i18n.Text
	Kind      string
	Query     string
	CanManage bool
	Form      dom.SiteInput
	Errors    []*i18n.Error
	Imported  *dom.ImportResult
	ImportCSV string
	Export    template.URL
}

func (h handlers) sites(w http.ResponseWriter, r *http.Request) error {
	return h.renderSites(w, r, http.StatusOK, sitesView{})
}

func (h handlers) renderSites(w http.ResponseWriter, r *http.Request, status int, v sitesView) error {
	p := kit.Principal(r)
	q := r.URL.Query()
	v.Kind, v.Query = q.Get("kind"), strings.TrimSpace(q.Get("q"))
	sites, err := dom.ListSites(r.Context(), h.k.DB, dom.SiteFilter{Scopes: scopes(p), Kind: v.Kind, Query: v.Query})
	if err != nil {
		return err
	}
	v.Sites, v.Kinds, v.KindNames, v.CanManage = sites, dom.Kinds, dom.KindNames, p.Has(managers...)
	v.Export = exportURL("/webcheck/sites/export", url.Values{"kind": {v.Kind}, "q": {v.Query}})
	return h.k.Render(w, r, h.pages, "sites", status, kit.View{Title: kit.T(r, "webcheck.sites"), Nav: "webcheck", Data: v})
}

func siteForm(r *http.Request) dom.SiteInput {
	return dom.SiteInput{URL: r.PostFormValue("url"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), OrgCode: strings.TrimSpace(r.PostFormValue("org_code"))}
}

// managesUnit refuses an owner unit outside the caller's managed subtree;
// unknown units are left to validation.
func (h handlers) managesUnit(r *http.Request, code string) error {
	unit, err := orgunit.Get(r.Context(), h.k.DB, code)
	if err == nil && !kit.Principal(r).Covers(unit.Path, managers...) {
		return kit.ErrOutside
	}
	return nil
}

func manages(p *auth.Principal) func(string) bool {
	return func(path string) bool { return p.Covers(path, managers...) }
}

func (h handlers) siteCreate(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	in := siteForm(r)
	in.AllowPrivate = h.k.AllowPrivate
	if err := h.managesUnit(r, in.OrgCode); err != nil {
		return err
	}
	site, err := dom.CreateSite(r.Context(), h.k.DB, kit.Actor(r), in, manages(p))
	if err != nil {
		if errs, ok := userErrors(err); ok {
			return h.renderSites(w, r, http.StatusBadRequest, sitesView{Form: in, Errors: errs})
		}
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/webcheck/sites/%d?flash=saved", site.ID))
}

// siteImport imports a CSV or XLSX site list from an upload (field
// "file") or pasted CSV text (field "csv"); nothing is saved when a row is
// wrong.
func (h handlers) siteImport(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	var v sitesView
	if kit.HasUpload(r, "file") {
		name, data, err := kit.Upload(r, "file", maxImport)
		if err != nil {
			return h.importDone(w, r, dom.ImportResult{}, err, v)
		}
		res, err := dom.ImportSites(r.Context(), h.k.DB, kit.Actor(r), name, bytes.NewReader(data), manages(p), h.k.AllowPrivate)
		return h.importDone(w, r, res, err, v)
	}
	v.ImportCSV = r.PostFormValue("csv")
	res, err := dom.ImportSites(r.Context(), h.k.DB, kit.Actor(r), "pasted.csv", strings.NewReader(v.ImportCSV), manages(p), h.k.AllowPrivate)
	return h.importDone(w, r, res, err, v)
}

func (h handlers) importDone(w http.ResponseWriter, r *http.Request, res dom.ImportResult, err error, v sitesView) error {
	if err != nil {
		if errs, ok := userErrors(err); ok {
			v.Errors = errs
			return h.renderSites(w, r, http.StatusBadRequest, v)
		}
		return err
	}
	v.Imported = &res
	return h.renderSites(w, r, http.StatusOK, v)
}

type siteView struct {
	Site      *dom.Site
	History   []dom.InspectionInfo
	Chart     map[string]any
	Avail     dom.ProbeSummary
	AvailPct  float64 // probes that succeeded, percent
	Problems  []problemRow
	CanManage bool
	Kinds     []string
	KindNames map[string]i18n.Text
	Form      dom.SiteInput
	Errors    []*i18n.Error
}

func (h handlers) sitePage(w http.ResponseWriter, r *http.Request) error {
	site, err := h.site(r)
	if err != nil {
		return err
	}
	return h.renderSite(w, r, http.StatusOK, site, dom.SiteInput{URL: site.URL, Name: site.Name, Kind: site.Kind, OrgCode: site.OrgCode}, nil)
}

func (h handlers) renderSite(w http.ResponseWriter, r *http.Request, status int, site *dom.Site, form dom.SiteInput, errs []*i18n.Error) error {
	ctx := r.Context()
	p := kit.Principal(r)
	hist, err := dom.SiteInspections(ctx, h.k.DB, site.ID)
	if err != nil {
		return err
	}
	avail, err := dom.SiteAvailability(ctx, h.k.DB, site.ID, time.Now().AddDate(0, 0, -7))
	if err != nil {
		return err
	}
	probs, err := dom.ListProblems(ctx, h.k.DB, dom.ProblemFilter{SiteID: site.ID})
	if err != nil {
		return err
	}
	v := siteView{Site: site, History: hist, Avail: avail, Problems: problemRows(p, probs), CanManage: p.Covers(site.OrgPath, managers...),
		Kinds: dom.Kinds, KindNames: dom.KindNames, Form: form, Errors: errs}
	v.AvailPct = 100 - avail.Percent
	var names []string
	var scores []float64
	for _, x := range hist {
		if x.Purpose == dom.PurposeRecheck {
			continue
		}
		label := x.RoundName
		if label == "" {
			label = x.Started.In(period.Shanghai).Format("2006-01-02")
		}
		names = append(names, label)
		scores = append(scores, x.Score)
	}
	if len(scores) > 0 {
		v.Chart = map[string]any{
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "category", "data": names},
			"yAxis":   map[string]any{"type": "value", "min": 0, "max": 100},
			"series":  []any{map[string]any{"name": kit.T(r, "webcheck.score"), "type": "line", "data": scores, "label": map[string]any{"show": true}}},
		}
	}
	return h.k.Render(w, r, h.pages, "site", status, kit.View{Title: site.Name, Nav: "webcheck", Data: v})
}

func (h handlers) siteUpdate(w http.ResponseWriter, r *http.Request) error {
	site, err := h.site(r)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	if !p.Covers(site.OrgPath, managers...) {
		return kit.ErrOutside
	}
	in := siteForm(r)
	in.AllowPrivate = h.k.AllowPrivate
	if err := h.managesUnit(r, in.OrgCode); err != nil {
		return err
	}
	up, err := dom.UpdateSite(r.Context(), h.k.DB, kit.Actor(r), site.ID, in, manages(p))
	if err != nil {
		if errs, ok := userErrors(err); ok {
			return h.renderSite(w, r, http.StatusBadRequest, site, in, errs)
		}
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/webcheck/sites/%d?flash=saved", up.ID))
}

// ---- Rounds ------------------------------------------------------------

func parseIDs(vals []string) []int64 {
	var out []int64
	for _, v := range vals {
		for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			if id, err := strconv.ParseInt(f, 10, 64); err == nil {
				out = append(out, id)
			}
		}
	}
	return out
}

// canInspect refuses when a chosen site lies outside the caller's
// managed subtrees.
func (h handlers) canInspect(r *http.Request, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	sites, err := dom.ListSites(r.Context(), h.k.DB, dom.SiteFilter{IDs: ids})
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	for _, site := range sites {
		if !p.Covers(site.OrgPath, managers...) {
			return kit.ErrOutside
		}
	}
	return nil
}

func (h handlers) roundCreate(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	days, _ := strconv.Atoi(r.PostFormValue("deadline_days"))
	in := dom.RoundInput{Name: r.PostFormValue("name"), Scheme: r.PostFormValue("scheme"), SiteIDs: parseIDs(r.PostForm["site_ids"]), DeadlineDays: days}
	if err := h.canInspect(r, in.SiteIDs); err != nil {
		return err
	}
	rd, err := dom.CreateRound(r.Context(), h.k.DB, h.jobs(), kit.Actor(r), in, p.Scopes(managers...))
	if err != nil {
		if errs, ok := userErrors(err); ok {
			return h.renderIndex(w, r, http.StatusBadRequest, in, errs)
		}
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/webcheck/rounds/%d?flash=saved", rd.ID))
}

type roundView struct {
	Round       *dom.Round
	Rows        []rankView
	Export      template.URL
	Kind        string
	Kinds       []string
	KindNames   map[string]i18n.Text
	Chart       map[string]any
	ChartHeight int
}

func (h handlers) round(r *http.Request) (*dom.Round, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return dom.GetRound(r.Context(), h.k.DB, id)
}

// rankView is a ranking row as the page shows it: Outscored marks a site
// that fails on a veto while scoring above a site that passes.
type rankView struct {
	Row       dom.RankRow
	Outscored bool
}

// rankRows are the ranking rows of kind ("" = all) with what the page
// says about them.
func rankRows(rows []dom.RankRow, kind string) []rankView {
	lowestPass, anyPass := 0.0, false
	for _, row := range rows {
		if row.InspectionID != 0 && row.Pass && (!anyPass || row.Score < lowestPass) {
			lowestPass, anyPass = row.Score, true
		}
	}
	var out []rankView
	for _, row := range rows {
		if kind != "" && row.Site.Kind != kind {
			continue
		}
		out = append(out, rankView{Row: row, Outscored: anyPass && row.InspectionID != 0 && !row.Pass && len(row.Vetoes) > 0 && row.Score > lowestPass})
	}
	return out
}

func (h handlers) roundPage(w http.ResponseWriter, r *http.Request) error {
	rd, err := h.round(r)
	if err != nil {
		return err
	}
	rows, err := dom.Ranking(r.Context(), h.k.DB, rd.ID, scopes(kit.Principal(r)))
	if err != nil {
		return err
	}
	v := roundView{Round: rd, Kind: r.URL.Query().Get("kind"), Kinds: dom.Kinds, KindNames: dom.KindNames}
	v.Rows = rankRows(rows, v.Kind)
	v.Export = exportURL(fmt.Sprintf("/webcheck/rounds/%d/export", rd.ID), url.Values{"kind": {v.Kind}})
	var names []string
	var scores []float64
	for _, rv := range v.Rows {
		row := rv.Row
		if row.InspectionID != 0 {
			names = append(names, row.Site.Name)
			scores = append(scores, row.Score)
		}
	}
	if len(scores) > 0 {
		v.ChartHeight = 80 + 24*len(scores)
		v.Chart = map[string]any{
			"grid":    map[string]any{"left": 160},
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "value", "min": 0, "max": 100},
			"yAxis":   map[string]any{"type": "category", "inverse": true, "data": names},
			"series":  []any{map[string]any{"type": "bar", "data": scores, "label": map[string]any{"show": true, "position": "right"}}},
		}
	}
	return h.k.Render(w, r, h.pages, "round", http.StatusOK, kit.View{Title: rd.Name, Nav: "webcheck", Data: v})
}

// exportURL is path with the non-empty values of q.
func exportURL(path string, q url.Values) template.URL {
	for k, vs := range q {
		if len(vs) == 0 || vs[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return template.URL(path)
	}
	return template.URL(path + "?" + q.Encode())
}

// roundExport is the ranking on screen (same kind) as a spreadsheet.
func (h handlers) roundExport(w http.ResponseWriter, r *http.Request) error {
	rd, err := h.round(r)
	if err != nil {
		return err
	}
	rows, err := dom.Ranking(r.Context(), h.k.DB, rd.ID, scopes(kit.Principal(r)))
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	header := []string{kit.T(r, "webcheck.rank"), kit.T(r, "webcheck.kind_rank"), kit.T(r, "webcheck.site_name"), kit.T(r, "webcheck.url"), kit.T(r, "webcheck.kind"),
		kit.T(r, "webcheck.owner"), kit.T(r, "webcheck.score_2019"), kit.T(r, "webcheck.verdict_2015"), kit.T(r, "webcheck.vetoes"), kit.T(r, "webcheck.deductions"),
		kit.T(r, "webcheck.broken"), kit.T(r, "webcheck.pending"), kit.T(r, "webcheck.status")}
	var out [][]any
	for _, rv := range rankRows(rows, r.URL.Query().Get("kind")) {
		row := rv.Row
		var vetoes []string
		for _, v := range row.Vetoes {
			vetoes = append(vetoes, v.In(lang))
		}
		verdict, score, rank, kindRank := "", any(""), any(""), any("")
		if row.InspectionID != 0 {
			verdict = kit.T(r, "webcheck.fail")
			if row.Pass {
				verdict = kit.T(r, "webcheck.pass")
			}
			score, rank, kindRank = row.Score, row.Rank, row.KindRank
		}
		out = append(out, []any{rank, kindRank, row.Site.Name, row.Site.URL, dom.KindNames[row.Site.Kind].In(lang), row.Site.OrgName, score, verdict,
			strings.Join(vetoes, "；"), row.Deducted, row.BrokenLinks, row.OpenProblems, kit.T(r, "webcheck.job."+row.JobStatus)})
	}
	return kit.XLSX(w, fmt.Sprintf("webcheck-round-%d.xlsx", rd.ID), header, out)
}

// ---- Inspections -------------------------------------------------------

type inspectionView struct {
	Info       *dom.InspectionInfo
	Result     *dom.Result
	Site       *dom.Site
	Problems   []problemRow
	Verdict    i18n.Text
	Vetoes     []lossView
	Deductions []lossView
	Indicators []indicatorView
}

// lossView is a lost point as the loss template shows it.
type lossView struct {
	L    dom.Loss
	Lang string
}

type indicatorView struct {
	dom.IndicatorScore
	Losses []lossView
}

func lossViews(lang string, ls []dom.Loss) []lossView {
	out := make([]lossView, len(ls))
	for i, l := range ls {
		out[i] = lossView{L: l, Lang: lang}
	}
	return out
}

func (h handlers) inspectionPage(w http.ResponseWriter, r *http.Request) error {
	info, res, site, err := h.inspection(r)
	if err != nil {
		return err
	}
	probs, err := dom.ListProblems(r.Context(), h.k.DB, dom.ProblemFilter{InspectionID: info.ID})
	if err != nil {
		return err
	}
	vt := res.Verdict.VerdictText()
	lg := kit.Lang(r)
	v := inspectionView{Info: info, Result: res, Site: site, Problems: problemRows(kit.Principal(r), probs), Verdict: i18n.Text{Zh: vt.Zh, En: vt.En},
		Vetoes: lossViews(lg, res.Verdict.Vetoes), Deductions: lossViews(lg, res.Verdict.Deductions)}
	for _, ind := range res.Score.Indicators {
		v.Indicators = append(v.Indicators, indicatorView{IndicatorScore: ind, Losses: lossViews(lg, ind.Losses)})
	}
	return h.k.Render(w, r, h.pages, "inspection", http.StatusOK, kit.View{Title: site.Name, Nav: "webcheck", Data: v})
}

func reportName(site *dom.Site, info *dom.InspectionInfo, ext string) string {
	host := site.URL
	if u, err := url.Parse(site.URL); err == nil {
		host = u.Hostname()
	}
	return fmt.Sprintf("webcheck-%s-%d.%s", host, info.ID, ext)
}

func (h handlers) pdf(w http.ResponseWriter, r *http.Request) error {
	info, res, site, err := h.inspection(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+reportName(site, info, "pdf")+`"`)
	if err := dom.WritePDF(w, res, dom.ReportInfo{SiteName: site.Name, OrgName: site.OrgName, Round: info.RoundName, Demo: info.Demo}); err != nil {
		h.k.Log.Error("webcheck pdf", "inspection", info.ID, "err", err)
	}
	return nil
}

func (h handlers) xlsx(w http.ResponseWriter, r *http.Request) error {
	info, res, site, err := h.inspection(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+reportName(site, info, "xlsx")+`"`)
	if err := dom.WriteXLSX(w, res); err != nil {
		h.k.Log.Error("webcheck xlsx", "inspection", info.ID, "err", err)
	}
	return nil
}

// ---- Problems ----------------------------------------------------------

type problemRow struct {
	dom.Problem
	Late     bool
	CanFix   bool
	CanCheck bool
}

func problemRows(p *auth.Principal, ps []dom.Problem) []problemRow {
	now := time.Now()
	out := make([]problemRow, len(ps))
	for i, pr := range ps {
		out[i] = problemRow{Problem: pr, Late: pr.Overdue(now),
			CanFix:   pr.Pending() && p.Covers(pr.OrgPath, owners...),
			CanCheck: (pr.Status == dom.ProblemFixed || pr.Status == dom.ProblemClosed) && p.Covers(pr.OrgPath, checkers...)}
	}
	return out
}

type problemsView struct {
	Problems []problemRow
	Status   string
	Overdue  bool
	RoundID  int64
	Statuses []string
	// Total counts every problem the filter matches; the page shows
	// PerPage of them from page Page of Pages.
	Total, Page, Pages int
	Prev, Next, Export template.URL
}

// perPage is how many problems a page lists.
const perPage = 50

func problemFilter(r *http.Request) dom.ProblemFilter {
	q := r.URL.Query()
	f := dom.ProblemFilter{Scopes: scopes(kit.Principal(r)), Status: q.Get("status")}
	f.RoundID, _ = strconv.ParseInt(q.Get("round"), 10, 64)
	f.SiteID, _ = strconv.ParseInt(q.Get("site"), 10, 64)
	if q.Get("overdue") != "" {
		f.OverdueAt = time.Now()
	}
	return f
}

// filterQuery is the query of the problem list filtered as f shows.
func filterQuery(r *http.Request) url.Values {
	q := r.URL.Query()
	out := url.Values{}
	for _, k := range []string{"status", "overdue", "round", "site"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out
}

func (h handlers) problems(w http.ResponseWriter, r *http.Request) error {
	f := problemFilter(r)
	total, err := dom.CountProblems(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	v := problemsView{Status: f.Status, Overdue: !f.OverdueAt.IsZero(), RoundID: f.RoundID, Total: total,
		Statuses: []string{"pending", dom.ProblemOpen, dom.ProblemReopened, dom.ProblemFixed, dom.ProblemClosed}}
	v.Pages = max(1, (total+perPage-1)/perPage)
	v.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	v.Page = min(max(v.Page, 1), v.Pages)
	f.Limit, f.Offset = perPage, (v.Page-1)*perPage
	ps, err := dom.ListProblems(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	v.Problems = problemRows(kit.Principal(r), ps)
	q := filterQuery(r)
	v.Export = exportURL("/webcheck/problems/export", q)
	if v.Page > 1 {
		pq := filterQuery(r)
		pq.Set("page", strconv.Itoa(v.Page-1))
		v.Prev = exportURL("/webcheck/problems", pq)
	}
	if v.Page < v.Pages {
		nq := filterQuery(r)
		nq.Set("page", strconv.Itoa(v.Page+1))
		v.Next = exportURL("/webcheck/problems", nq)
	}
	return h.k.Render(w, r, h.pages, "problems", http.StatusOK, kit.View{Title: kit.T(r, "webcheck.problems"), Nav: "webcheck", Data: v})
}

// maxExport bounds a list's export.
const maxExport = 20000

// problemsExport is the filtered problem list, every page of it, as a
// spreadsheet.
func (h handlers) problemsExport(w http.ResponseWriter, r *http.Request) error {
	f := problemFilter(r)
	f.Limit = maxExport
	ps, err := dom.ListProblems(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	header := []string{kit.T(r, "webcheck.problem"), kit.T(r, "webcheck.site"), kit.T(r, "webcheck.url"), kit.T(r, "webcheck.owner"), kit.T(r, "webcheck.points"),
		kit.T(r, "webcheck.deadline"), kit.T(r, "webcheck.status"), kit.T(r, "webcheck.evidence"), kit.T(r, "webcheck.fix_note"), kit.T(r, "webcheck.check_note"), kit.T(r, "webcheck.inspection_id")}
	rows := make([][]any, 0, len(ps))
	for _, p := range ps {
		title := p.TitleZh
		if strings.HasPrefix(lang, "en") {
			title = p.TitleEn
		}
		var ev []string
		for _, e := range p.Evidence {
			ev = append(ev, e.URL)
		}
		points := any(p.Points)
		if p.Scheme == dom.SchemeVeto2015 {
			points = kit.T(r, "webcheck.veto")
		}
		rows = append(rows, []any{title, p.SiteName, p.SiteURL, p.OrgName, points, p.Deadline.In(period.Shanghai).Format("2006-01-02"),
			kit.T(r, "webcheck.status."+p.Status), strings.Join(ev, "\n"), p.FixNote, p.Check(lang), p.InspectionID})
	}
	return kit.XLSX(w, "webcheck-problems.xlsx", header, rows)
}

// sitesExport is the filtered site list as a spreadsheet.
func (h handlers) sitesExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sites, err := dom.ListSites(r.Context(), h.k.DB, dom.SiteFilter{Scopes: scopes(kit.Principal(r)), Kind: q.Get("kind"), Query: strings.TrimSpace(q.Get("q"))})
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	header := []string{kit.T(r, "webcheck.site_name"), kit.T(r, "webcheck.url"), kit.T(r, "webcheck.kind"), kit.T(r, "webcheck.owner"), kit.T(r, "webcheck.owner_code")}
	rows := make([][]any, 0, len(sites))
	for _, s := range sites {
		rows = append(rows, []any{s.Name, s.URL, dom.KindNames[s.Kind].In(lang), s.OrgName, s.OrgCode})
	}
	return kit.XLSX(w, "webcheck-sites.xlsx", header, rows)
}

// problemFor loads the problem in the path and checks the caller may
// apply action to it: owners fix, evaluators and the office check.
func (h handlers) problemFor(r *http.Request, action string) (*dom.Problem, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	pr, err := dom.GetProblem(r.Context(), h.k.DB, id)
	if err != nil {
		return nil, err
	}
	p := kit.Principal(r)
	roles := checkers
	if action == dom.ActionFix {
		roles = owners
	}
	if !canSee(p, pr.OrgPath) || !p.Covers(pr.OrgPath, roles...) {
		return nil, kit.ErrOutside
	}
	return pr, nil
}

// back is where a problem form returns to: a page of this module named
// by the form, or the problem list.
func back(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/webcheck") || strings.ContainsAny(u.Path, "\\\r\n") {
		return "/webcheck/problems"
	}
	q := u.Query()
	q.Del("flash")
	if len(q) == 0 {
		return u.Path + "?flash=saved"
	}
	return u.Path + "?" + q.Encode() + "&flash=saved"
}

func (h handlers) problemUpdate(w http.ResponseWriter, r *http.Request) error {
	action := r.PostFormValue("action")
	pr, err := h.problemFor(r, action)
	if err != nil {
		return err
	}
	if _, err := dom.UpdateProblem(r.Context(), h.k.DB, h.jobs(), kit.Actor(r), pr.ID, action, r.PostFormValue("note")); err != nil {
		return err
	}
	return kit.Redirect(w, r, back(r.PostFormValue("back")))
}
