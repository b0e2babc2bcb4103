package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/webcheck"
)

// Who does what in the website evaluation programme.
var (
	// wcManagers register sites and start rounds: the office running the
	// programme and the third-party evaluator (admins always may).
	wcManagers = []auth.Role{auth.Admin, auth.Office, auth.Evaluator}
	// wcOwners act for a site's owner unit: they mark problems fixed.
	wcOwners = []auth.Role{auth.Reporter, auth.Approver, auth.Office}
	// wcCheckers confirm or reopen fixed problems.
	wcCheckers = []auth.Role{auth.Evaluator, auth.Office}
)

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

// wcScopes are the subtrees whose sites p may see: any role counts.
func wcScopes(p *auth.Principal) []string { return p.Scopes(auth.Roles...) }

func canSee(p *auth.Principal, path string) bool { return p.Covers(path, auth.Roles...) }

// wcErrors splits err into user errors (shown with the form) and others.
func wcErrors(err error) ([]*i18n.Error, bool) {
	var el webcheck.ErrorList
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
func (s *Server) wcSite(w http.ResponseWriter, r *http.Request) (*webcheck.Site, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, false
	}
	site, err := webcheck.GetSite(r.Context(), s.db, id)
	if s.lookupFailed(w, r, err, webcheck.ErrNotFound) {
		return nil, false
	}
	if !canSee(principal(r), site.OrgPath) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return nil, false
	}
	return site, true
}

// wcInspection loads the inspection in the path, its site, and checks the
// caller may see the site.
func (s *Server) wcInspection(w http.ResponseWriter, r *http.Request) (*webcheck.InspectionInfo, *webcheck.Result, *webcheck.Site, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, nil, nil, false
	}
	info, res, err := webcheck.GetInspection(r.Context(), s.db, id)
	if s.lookupFailed(w, r, err, webcheck.ErrNotFound) {
		return nil, nil, nil, false
	}
	site, err := webcheck.GetSite(r.Context(), s.db, info.SiteID)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, nil, false
	}
	if !canSee(principal(r), site.OrgPath) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return nil, nil, nil, false
	}
	return info, res, site, true
}

// ---- Overview ---------------------------------------------------------

type wcIndexView struct {
	Rounds    []webcheck.Round
	Trends    []webcheck.TrendPoint
	Chart     map[string]any
	Sites     []webcheck.Site
	Pending   int
	Overdue   int
	CanManage bool
	Form      webcheck.RoundInput
	Errors    []*i18n.Error
	KindNames map[string]i18n.Text
}

func webcheckTrendChart(lang string, ts []webcheck.TrendPoint) map[string]any {
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

func (s *Server) webcheckIndex(w http.ResponseWriter, r *http.Request) {
	s.renderWebcheckIndex(w, r, http.StatusOK, webcheck.RoundInput{}, nil)
}

func (s *Server) renderWebcheckIndex(w http.ResponseWriter, r *http.Request, status int, form webcheck.RoundInput, errs []*i18n.Error) {
	ctx := r.Context()
	p := principal(r)
	scopes := wcScopes(p)
	rounds, err := webcheck.ListRounds(ctx, s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	trends, err := webcheck.Trends(ctx, s.db, scopes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := wcIndexView{Rounds: rounds, Trends: trends, CanManage: p.Has(wcManagers...), Form: form, Errors: errs, KindNames: webcheck.KindNames}
	v.Chart = webcheckTrendChart(lang(r), trends)
	pending, err := webcheck.ListProblems(ctx, s.db, webcheck.ProblemFilter{Scopes: scopes, Status: "pending", Limit: 100000})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	v.Pending = len(pending)
	for i := range pending {
		if pending[i].Overdue(now) {
			v.Overdue++
		}
	}
	if v.CanManage {
		if v.Sites, err = webcheck.ListSites(ctx, s.db, webcheck.SiteFilter{Scopes: p.Scopes(wcManagers...)}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg := s.page(r, "webcheck", v)
	pg.Title = i18n.T(pg.Lang, "webcheck.title")
	s.render(w, r, "webcheck/index", status, pg)
}

// ---- Sites -------------------------------------------------------------

type wcSitesView struct {
	Sites     []webcheck.Site
	Kinds     []string
	KindNames map[string]i18n.Text
	Kind      string
	Query     string
	CanManage bool
	Form      webcheck.SiteInput
	Errors    []*i18n.Error
	Imported  *webcheck.ImportResult
	ImportCSV string
}

func (s *Server) webcheckSites(w http.ResponseWriter, r *http.Request) {
	s.renderWebcheckSites(w, r, http.StatusOK, wcSitesView{})
}

func (s *Server) renderWebcheckSites(w http.ResponseWriter, r *http.Request, status int, v wcSitesView) {
	p := principal(r)
	q := r.URL.Query()
	v.Kind, v.Query = q.Get("kind"), strings.TrimSpace(q.Get("q"))
	sites, err := webcheck.ListSites(r.Context(), s.db, webcheck.SiteFilter{Scopes: wcScopes(p), Kind: v.Kind, Query: v.Query})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Sites, v.Kinds, v.KindNames, v.CanManage = sites, webcheck.Kinds, webcheck.KindNames, p.Has(wcManagers...)
	pg := s.page(r, "webcheck", v)
	pg.Title = i18n.T(pg.Lang, "webcheck.sites")
	s.render(w, r, "webcheck/sites", status, pg)
}

func siteForm(r *http.Request) webcheck.SiteInput {
	return webcheck.SiteInput{URL: r.PostFormValue("url"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), OrgCode: strings.TrimSpace(r.PostFormValue("org_code"))}
}

// managesUnit checks the caller manages the owner unit named in a form:
// unknown units are left to validation, units outside the caller's
// subtree are refused.
func (s *Server) managesUnit(w http.ResponseWriter, r *http.Request, code string) bool {
	unit, err := orgunit.Get(r.Context(), s.db, code)
	if err == nil && !principal(r).Covers(unit.Path, wcManagers...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return false
	}
	return true
}

func manages(p *auth.Principal) func(string) bool {
	return func(path string) bool { return p.Covers(path, wcManagers...) }
}

func (s *Server) webcheckSiteCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in := siteForm(r)
	in.AllowPrivate = s.opt.AllowPrivate
	if !s.managesUnit(w, r, in.OrgCode) {
		return
	}
	site, err := webcheck.CreateSite(r.Context(), s.db, p.Actor(clientIP(r)), in, manages(p))
	if err != nil {
		if errs, ok := wcErrors(err); ok {
			s.renderWebcheckSites(w, r, http.StatusBadRequest, wcSitesView{Form: in, Errors: errs})
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/webcheck/sites/%d?flash=saved", site.ID), http.StatusSeeOther)
}

// webcheckImport imports a CSV or XLSX site list from an upload (field
// "file") or pasted CSV text (field "csv"); nothing is saved when a row is
// wrong.
func (s *Server) webcheckImport(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var v wcSitesView
	if err := r.ParseMultipartForm(20 << 20); err == nil {
		if f, h, err := r.FormFile("file"); err == nil {
			defer f.Close()
			res, err := webcheck.ImportSites(r.Context(), s.db, p.Actor(clientIP(r)), h.Filename, f, manages(p), s.opt.AllowPrivate)
			s.importDone(w, r, res, err, v)
			return
		}
	}
	v.ImportCSV = r.PostFormValue("csv")
	res, err := webcheck.ImportSites(r.Context(), s.db, p.Actor(clientIP(r)), "pasted.csv", strings.NewReader(v.ImportCSV), manages(p), s.opt.AllowPrivate)
	s.importDone(w, r, res, err, v)
}

func (s *Server) importDone(w http.ResponseWriter, r *http.Request, res webcheck.ImportResult, err error, v wcSitesView) {
	if err != nil {
		if errs, ok := wcErrors(err); ok {
			v.Errors = errs
			s.renderWebcheckSites(w, r, http.StatusBadRequest, v)
			return
		}
		s.fail(w, r, err)
		return
	}
	v.Imported = &res
	s.renderWebcheckSites(w, r, http.StatusOK, v)
}

type wcSiteView struct {
	Site      *webcheck.Site
	History   []webcheck.InspectionInfo
	Chart     map[string]any
	Avail     webcheck.ProbeSummary
	AvailPct  float64 // probes that succeeded, percent
	Problems  []wcProblemRow
	CanManage bool
	Kinds     []string
	KindNames map[string]i18n.Text
	Form      webcheck.SiteInput
	Errors    []*i18n.Error
}

func (s *Server) webcheckSite(w http.ResponseWriter, r *http.Request) {
	site, ok := s.wcSite(w, r)
	if !ok {
		return
	}
	s.renderWebcheckSite(w, r, http.StatusOK, site, webcheck.SiteInput{URL: site.URL, Name: site.Name, Kind: site.Kind, OrgCode: site.OrgCode}, nil)
}

func (s *Server) renderWebcheckSite(w http.ResponseWriter, r *http.Request, status int, site *webcheck.Site, form webcheck.SiteInput, errs []*i18n.Error) {
	ctx := r.Context()
	p := principal(r)
	hist, err := webcheck.SiteInspections(ctx, s.db, site.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	avail, err := webcheck.SiteAvailability(ctx, s.db, site.ID, time.Now().AddDate(0, 0, -7))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	probs, err := webcheck.ListProblems(ctx, s.db, webcheck.ProblemFilter{SiteID: site.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := wcSiteView{Site: site, History: hist, Avail: avail, Problems: problemRows(p, probs), CanManage: p.Covers(site.OrgPath, wcManagers...),
		Kinds: webcheck.Kinds, KindNames: webcheck.KindNames, Form: form, Errors: errs}
	v.AvailPct = 100 - avail.Percent
	var names []string
	var scores []float64
	for _, h := range hist {
		if h.Purpose == webcheck.PurposeRecheck {
			continue
		}
		label := h.RoundName
		if label == "" {
			label = h.Started.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
		}
		names = append(names, label)
		scores = append(scores, h.Score)
	}
	if len(scores) > 0 {
		v.Chart = map[string]any{
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "category", "data": names},
			"yAxis":   map[string]any{"type": "value", "min": 0, "max": 100},
			"series":  []any{map[string]any{"name": i18n.T(lang(r), "webcheck.score"), "type": "line", "data": scores, "label": map[string]any{"show": true}}},
		}
	}
	pg := s.page(r, "webcheck", v)
	pg.Title = site.Name
	s.render(w, r, "webcheck/site", status, pg)
}

func (s *Server) webcheckSiteUpdate(w http.ResponseWriter, r *http.Request) {
	site, ok := s.wcSite(w, r)
	if !ok {
		return
	}
	p := principal(r)
	if !p.Covers(site.OrgPath, wcManagers...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	in := siteForm(r)
	in.AllowPrivate = s.opt.AllowPrivate
	if !s.managesUnit(w, r, in.OrgCode) {
		return
	}
	up, err := webcheck.UpdateSite(r.Context(), s.db, p.Actor(clientIP(r)), site.ID, in, manages(p))
	if err != nil {
		if errs, ok := wcErrors(err); ok {
			s.renderWebcheckSite(w, r, http.StatusBadRequest, site, in, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/webcheck/sites/%d?flash=saved", up.ID), http.StatusSeeOther)
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

// canInspect checks every chosen site exists and lies in the caller's
// managed subtrees; it answers 403 otherwise.
func (s *Server) canInspect(w http.ResponseWriter, r *http.Request, ids []int64) bool {
	p := principal(r)
	if len(ids) == 0 {
		return true
	}
	sites, err := webcheck.ListSites(r.Context(), s.db, webcheck.SiteFilter{IDs: ids})
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	for _, site := range sites {
		if !p.Covers(site.OrgPath, wcManagers...) {
			s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
			return false
		}
	}
	return true
}

func (s *Server) webcheckRoundCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	r.ParseForm()
	days, _ := strconv.Atoi(r.PostFormValue("deadline_days"))
	in := webcheck.RoundInput{Name: r.PostFormValue("name"), Scheme: r.PostFormValue("scheme"), SiteIDs: parseIDs(r.PostForm["site_ids"]), DeadlineDays: days}
	if !s.canInspect(w, r, in.SiteIDs) {
		return
	}
	rd, err := webcheck.CreateRound(r.Context(), s.db, p.Actor(clientIP(r)), in, p.Scopes(wcManagers...))
	if err != nil {
		if errs, ok := wcErrors(err); ok {
			s.renderWebcheckIndex(w, r, http.StatusBadRequest, in, errs)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/webcheck/rounds/%d?flash=saved", rd.ID), http.StatusSeeOther)
}

type wcRoundView struct {
	Round       *webcheck.Round
	Rows        []webcheck.RankRow
	Kind        string
	Kinds       []string
	KindNames   map[string]i18n.Text
	Chart       map[string]any
	ChartHeight int
}

func (s *Server) wcRound(w http.ResponseWriter, r *http.Request) (*webcheck.Round, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, false
	}
	rd, err := webcheck.GetRound(r.Context(), s.db, id)
	if s.lookupFailed(w, r, err, webcheck.ErrNotFound) {
		return nil, false
	}
	return rd, true
}

func (s *Server) webcheckRound(w http.ResponseWriter, r *http.Request) {
	rd, ok := s.wcRound(w, r)
	if !ok {
		return
	}
	rows, err := webcheck.Ranking(r.Context(), s.db, rd.ID, wcScopes(principal(r)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := wcRoundView{Round: rd, Kind: r.URL.Query().Get("kind"), Kinds: webcheck.Kinds, KindNames: webcheck.KindNames}
	var names []string
	var scores []float64
	for _, row := range rows {
		if v.Kind != "" && row.Site.Kind != v.Kind {
			continue
		}
		v.Rows = append(v.Rows, row)
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
	pg := s.page(r, "webcheck", v)
	pg.Title = rd.Name
	s.render(w, r, "webcheck/round", http.StatusOK, pg)
}

// ---- Inspections -------------------------------------------------------

type wcInspectionView struct {
	Info       *webcheck.InspectionInfo
	Result     *webcheck.Result
	Site       *webcheck.Site
	Problems   []wcProblemRow
	Verdict    i18n.Text
	Vetoes     []wcLoss
	Deductions []wcLoss
	Indicators []wcIndicator
}

// wcLoss is a lost point as the loss template shows it.
type wcLoss struct {
	L    webcheck.Loss
	Lang string
}

type wcIndicator struct {
	webcheck.IndicatorScore
	Losses []wcLoss
}

func lossViews(lang string, ls []webcheck.Loss) []wcLoss {
	out := make([]wcLoss, len(ls))
	for i, l := range ls {
		out[i] = wcLoss{L: l, Lang: lang}
	}
	return out
}

func (s *Server) webcheckInspection(w http.ResponseWriter, r *http.Request) {
	info, res, site, ok := s.wcInspection(w, r)
	if !ok {
		return
	}
	probs, err := webcheck.ListProblems(r.Context(), s.db, webcheck.ProblemFilter{InspectionID: info.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vt := res.Verdict.VerdictText()
	lg := lang(r)
	v := wcInspectionView{Info: info, Result: res, Site: site, Problems: problemRows(principal(r), probs), Verdict: i18n.Text{Zh: vt.Zh, En: vt.En},
		Vetoes: lossViews(lg, res.Verdict.Vetoes), Deductions: lossViews(lg, res.Verdict.Deductions)}
	for _, ind := range res.Score.Indicators {
		v.Indicators = append(v.Indicators, wcIndicator{IndicatorScore: ind, Losses: lossViews(lg, ind.Losses)})
	}
	pg := s.page(r, "webcheck", v)
	pg.Title = site.Name
	s.render(w, r, "webcheck/inspection", http.StatusOK, pg)
}

func reportName(site *webcheck.Site, info *webcheck.InspectionInfo, ext string) string {
	host := site.URL
	if u, err := url.Parse(site.URL); err == nil {
		host = u.Hostname()
	}
	return fmt.Sprintf("webcheck-%s-%d.%s", host, info.ID, ext)
}

func (s *Server) webcheckPDF(w http.ResponseWriter, r *http.Request) {
	info, res, site, ok := s.wcInspection(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+reportName(site, info, "pdf")+`"`)
	if err := webcheck.WritePDF(w, res, webcheck.ReportInfo{SiteName: site.Name, OrgName: site.OrgName, Round: info.RoundName, Demo: info.Demo}); err != nil {
		s.log.Error("webcheck pdf", "inspection", info.ID, "err", err)
	}
}

func (s *Server) webcheckXLSX(w http.ResponseWriter, r *http.Request) {
	info, res, site, ok := s.wcInspection(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+reportName(site, info, "xlsx")+`"`)
	if err := webcheck.WriteXLSX(w, res); err != nil {
		s.log.Error("webcheck xlsx", "inspection", info.ID, "err", err)
	}
}

// ---- Problems ----------------------------------------------------------

type wcProblemRow struct {
	webcheck.Problem
	Late     bool
	CanFix   bool
	CanCheck bool
}

func problemRows(p *auth.Principal, ps []webcheck.Problem) []wcProblemRow {
	now := time.Now()
	out := make([]wcProblemRow, len(ps))
	for i, pr := range ps {
		out[i] = wcProblemRow{Problem: pr, Late: pr.Overdue(now),
			CanFix:   pr.Pending() && p.Covers(pr.OrgPath, wcOwners...),
			CanCheck: (pr.Status == webcheck.ProblemFixed || pr.Status == webcheck.ProblemClosed) && p.Covers(pr.OrgPath, wcCheckers...)}
	}
	return out
}

type wcProblemsView struct {
	Problems []wcProblemRow
	Status   string
	Overdue  bool
	RoundID  int64
	Statuses []string
}

func problemFilter(r *http.Request) webcheck.ProblemFilter {
	q := r.URL.Query()
	f := webcheck.ProblemFilter{Scopes: wcScopes(principal(r)), Status: q.Get("status")}
	f.RoundID, _ = strconv.ParseInt(q.Get("round"), 10, 64)
	f.SiteID, _ = strconv.ParseInt(q.Get("site"), 10, 64)
	if q.Get("overdue") != "" {
		f.OverdueAt = time.Now()
	}
	return f
}

func (s *Server) webcheckProblems(w http.ResponseWriter, r *http.Request) {
	f := problemFilter(r)
	ps, err := webcheck.ListProblems(r.Context(), s.db, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := wcProblemsView{Problems: problemRows(principal(r), ps), Status: f.Status, Overdue: !f.OverdueAt.IsZero(), RoundID: f.RoundID,
		Statuses: []string{"pending", webcheck.ProblemOpen, webcheck.ProblemReopened, webcheck.ProblemFixed, webcheck.ProblemClosed}}
	pg := s.page(r, "webcheck", v)
	pg.Title = i18n.T(pg.Lang, "webcheck.problems")
	s.render(w, r, "webcheck/problems", http.StatusOK, pg)
}

// problemAction checks the caller may apply action to the problem: owners
// fix, evaluators and the office check.
func (s *Server) problemAction(w http.ResponseWriter, r *http.Request) (*webcheck.Problem, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, false
	}
	pr, err := webcheck.GetProblem(r.Context(), s.db, id)
	if s.lookupFailed(w, r, err, webcheck.ErrNotFound) {
		return nil, false
	}
	return pr, true
}

func (s *Server) allowedAction(w http.ResponseWriter, r *http.Request, pr *webcheck.Problem, action string) bool {
	p := principal(r)
	roles := wcCheckers
	if action == webcheck.ActionFix {
		roles = wcOwners
	}
	if !canSee(p, pr.OrgPath) || !p.Covers(pr.OrgPath, roles...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return false
	}
	return true
}

func (s *Server) webcheckProblemUpdate(w http.ResponseWriter, r *http.Request) {
	pr, ok := s.problemAction(w, r)
	if !ok {
		return
	}
	action := r.PostFormValue("action")
	if !s.allowedAction(w, r, pr, action) {
		return
	}
	if _, err := webcheck.UpdateProblem(r.Context(), s.db, principal(r).Actor(clientIP(r)), pr.ID, action, r.PostFormValue("note")); err != nil {
		s.fail(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("back"))
	if back == "/" {
		back = "/webcheck/problems"
	}
	sep := "?"
	if strings.Contains(back, "?") {
		sep = "&"
	}
	http.Redirect(w, r, back+sep+"flash=saved", http.StatusSeeOther)
}
