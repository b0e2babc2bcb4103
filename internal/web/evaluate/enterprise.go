package evaluate

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

type enterpriseFormView struct {
	Q          *evaluate.Questionnaire
	Industries []evalstore.Industry
	Mine       []*evalstore.Assessment
	Places     []place
	Form       struct {
		Name, CreditCode, Industry, Org string
		Year                            int
		Answers                         map[string]string
	}
}

// place is a city or county an enterprise may say it is in.
type place struct{ Code, Label string }

// places lists the cities and counties within the caller's enterprise
// scopes, each county beside its city, so that nobody types a code.
func (h handlers) places(r *http.Request) ([]place, error) {
	ctx, lang := r.Context(), kit.Lang(r)
	var out []place
	seen := map[string]bool{}
	add := func(u orgunit.Unit, city string) {
		if u.Kind == orgunit.Department || u.Level < 2 || u.Level > 3 || seen[u.Code] {
			return
		}
		seen[u.Code] = true
		label := u.DisplayName(lang)
		if city != "" {
			label = city + " · " + label
		}
		out = append(out, place{Code: u.Code, Label: label})
	}
	for _, scope := range kit.Principal(r).Scopes(enterpriseRoles...) {
		codes := orgunit.PathCodes(scope)
		if len(codes) == 0 {
			continue
		}
		top, err := orgunit.Get(ctx, h.k.DB, codes[len(codes)-1])
		if err != nil {
			return nil, err
		}
		switch {
		case top.Level == 3:
			c, err := orgunit.Get(ctx, h.k.DB, top.Parent)
			if err != nil {
				return nil, err
			}
			add(top, c.DisplayName(lang))
		case top.Level <= 2:
			var cities []orgunit.Unit
			if top.Level == 2 {
				cities = []orgunit.Unit{top}
			} else if cities, err = orgunit.Descendants(ctx, h.k.DB, top.Path, 2, 0); err != nil {
				return nil, err
			}
			for _, c := range cities {
				add(c, "")
				counties, err := orgunit.Children(ctx, h.k.DB, c.Code)
				if err != nil {
					return nil, err
				}
				for _, k := range counties {
					add(k, c.DisplayName(lang))
				}
			}
		}
	}
	return out, nil
}

// evalEnterpriseForm: GET /evaluate/enterprise — the questionnaire and the
// caller's earlier submissions.
func (h handlers) evalEnterpriseForm(w http.ResponseWriter, r *http.Request) error {
	var v enterpriseFormView
	v.Form.Org = kit.Principal(r).Home()
	v.Form.Year = 2020
	return h.renderEnterpriseForm(w, r, http.StatusOK, v, nil)
}

func (h handlers) renderEnterpriseForm(w http.ResponseWriter, r *http.Request, status int, v enterpriseFormView, formErr error) error {
	p := kit.Principal(r)
	mine, err := evalstore.Assessments(r.Context(), h.k.DB, evalstore.AssessmentFilter{Scopes: p.Scopes(enterpriseRoles...), CreatedBy: p.User.Name, Limit: 50})
	if err != nil {
		return err
	}
	v.Q, v.Industries, v.Mine = evaluate.EnterpriseQuestionnaire(), evalstore.Industries, mine
	if v.Places, err = h.places(r); err != nil {
		return err
	}
	if v.Form.Answers == nil {
		v.Form.Answers = map[string]string{}
	}
	view := kit.View{Title: kit.T(r, "evaluate.enterprise"), Nav: "evaluate", Data: v}
	if ue, ok := kit.UserError(formErr); ok {
		view.Error = ue.Message(kit.Lang(r))
	} else if formErr != nil {
		return formErr
	}
	return h.k.Render(w, r, h.pages, "enterprise_form", status, view)
}

// evalEnterpriseSubmit: POST /evaluate/enterprise — score and store a
// self-assessment; the location must be in the caller's subtree.
func (h handlers) evalEnterpriseSubmit(w http.ResponseWriter, r *http.Request) error {
	var v enterpriseFormView
	v.Form.Name = r.PostFormValue("name")
	v.Form.CreditCode = r.PostFormValue("credit_code")
	v.Form.Industry = r.PostFormValue("industry")
	v.Form.Org = strings.TrimSpace(r.PostFormValue("org"))
	v.Form.Answers = map[string]string{}
	year, err := strconv.Atoi(r.PostFormValue("year"))
	v.Form.Year = year
	if err != nil {
		return h.renderEnterpriseForm(w, r, http.StatusBadRequest, v, i18n.Errorf("评估年度无效", "the assessment year is not valid").OnField("year"))
	}
	unit, err := orgunit.Get(r.Context(), h.k.DB, v.Form.Org)
	if err != nil {
		return h.renderEnterpriseForm(w, r, http.StatusBadRequest, v, i18n.Errorf("未知的地区代码 %q", "unknown area code %q", v.Form.Org).OnField("org"))
	}
	if err := h.covers(r, unit.Path, enterpriseRoles); err != nil {
		return err
	}
	answers := map[string]float64{}
	q := evaluate.EnterpriseQuestionnaire()
	// Every answer goes back into the form, also those after the first
	// error, so that correcting one answer is all the user has to do.
	for _, d := range q.Dimensions {
		for _, qu := range d.Questions {
			v.Form.Answers[qu.ID] = strings.TrimSpace(r.PostFormValue("q." + qu.ID))
		}
	}
	for _, d := range q.Dimensions {
		for _, qu := range d.Questions {
			raw := v.Form.Answers[qu.ID]
			if raw == "" {
				return h.renderEnterpriseForm(w, r, http.StatusBadRequest, v, i18n.Errorf("第 %[1]s 题未作答：%[2]s", "question %[1]s is not answered: %[3]s", qu.ID, qu.Name.Zh, qu.Name.En).OnField("q."+qu.ID))
			}
			x, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return h.renderEnterpriseForm(w, r, http.StatusBadRequest, v, i18n.Errorf("第 %s 题的答案 %q 不是数字", "the answer to question %s, %q, is not a number", qu.ID, raw).OnField("q."+qu.ID))
			}
			// A share outside its scale would be clipped when scored:
			// 150 % is a typing error, not a top mark.
			if sc := q.Scales[qu.Scale]; sc.Bounded && (x < sc.Min || x > sc.Max) {
				return h.renderEnterpriseForm(w, r, http.StatusBadRequest, v, i18n.Errorf("第 %[1]s 题的答案 %[2]s 超出范围 %[3]g–%[4]g%[5]s", "the answer to question %[1]s, %[2]s, is outside %[3]g–%[4]g%[5]s", qu.ID, raw, sc.Min, sc.Max, sc.Unit).OnField("q."+qu.ID))
			}
			answers[qu.ID] = x
		}
	}
	a, err := evalstore.Submit(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), unit, evalstore.Submission{
		Name: v.Form.Name, CreditCode: v.Form.CreditCode, Industry: v.Form.Industry, Year: year, Answers: answers})
	if err != nil {
		return h.renderEnterpriseForm(w, r, http.StatusBadRequest, v, err)
	}
	return kit.Redirect(w, r, "/evaluate/enterprise/"+strconv.FormatInt(a.ID, 10)+"?flash=evaluate_submitted")
}

// assessmentReaders may read an assessment in their subtree.
var assessmentReaders = []auth.Role{auth.Enterprise, auth.Office, auth.Admin, auth.Leader}

// assessment loads the assessment in the path and checks the caller
// covers its unit.
func (h handlers) assessment(r *http.Request) (*evalstore.Assessment, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := evalstore.GetAssessment(r.Context(), h.k.DB, id)
	if err != nil {
		return nil, err
	}
	if err := h.covers(r, a.OrgPath, assessmentReaders); err != nil {
		return nil, err
	}
	// Office, leaders and admins read every assessment in their subtree;
	// an enterprise reads only those it submitted itself.
	p := kit.Principal(r)
	if !p.Covers(a.OrgPath, assessmentOverseers...) && a.CreatedBy != p.User.Name {
		return nil, kit.ErrNotFound
	}
	return a, nil
}

// assessmentOverseers read every assessment in their subtree, not only
// their own.
var assessmentOverseers = []auth.Role{auth.Office, auth.Admin, auth.Leader}

type assessmentView struct {
	A          *evalstore.Assessment
	Place      string
	Industry   i18n.Text
	ByIndustry *evaluate.PeerBenchmark
	ByCity     *evaluate.PeerBenchmark
	DimNames   map[string]i18n.Text
	Chart      map[string]any
}

func (h handlers) assessmentView(r *http.Request) (*assessmentView, error) {
	a, err := h.assessment(r)
	if err != nil {
		return nil, err
	}
	bi, bc, err := evalstore.Benchmark(r.Context(), h.k.DB, a)
	if err != nil {
		return nil, err
	}
	v := &assessmentView{A: a, ByIndustry: bi, ByCity: bc, Industry: evalstore.IndustryName(a.Industry), DimNames: map[string]i18n.Text{}}
	if u, err := orgunit.Get(r.Context(), h.k.DB, a.OrgCode); err == nil {
		v.Place = u.Name
		if c, err := orgunit.Get(r.Context(), h.k.DB, a.City()); err == nil && c.Code != u.Code {
			v.Place = c.Name + u.Name
		}
	}
	var ind, mine, peers []any
	for _, d := range a.Result.Dimensions {
		v.DimNames[d.ID] = d.Name
		ind = append(ind, map[string]any{"name": tr(kit.Lang(r), d.Name.Zh, d.Name.En), "max": 100})
		mine = append(mine, round1(float64(d.Score)))
	}
	data := []any{map[string]any{"name": a.Name, "value": mine, "areaStyle": map[string]any{"opacity": 0.2}}}
	if bi != nil {
		for _, d := range a.Result.Dimensions {
			peers = append(peers, round1(bi.Dimensions[d.ID]))
		}
		data = append(data, map[string]any{"name": tr(kit.Lang(r), "同行业百分位", "Industry percentile"), "value": peers, "lineStyle": map[string]any{"type": "dashed"}})
	}
	v.Chart = map[string]any{"tooltip": map[string]any{}, "legend": map[string]any{"bottom": 0}, "radar": map[string]any{"indicator": ind, "radius": "62%"},
		"series": []any{map[string]any{"type": "radar", "data": data}}}
	return v, nil
}

// evalAssessment: GET /evaluate/enterprise/{id} — score, stage, strengths
// and weaknesses, peer benchmark.
func (h handlers) evalAssessment(w http.ResponseWriter, r *http.Request) error {
	v, err := h.assessmentView(r)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "assessment", http.StatusOK, kit.View{Title: kit.T(r, "evaluate.assessment") + " · " + v.A.Name, Nav: "evaluate", Data: v})
}

// evalAssessmentPDF: GET /evaluate/enterprise/{id}/report.pdf.
func (h handlers) evalAssessmentPDF(w http.ResponseWriter, r *http.Request) error {
	v, err := h.assessmentView(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := evalstore.ReportPDF(&buf, v.A, v.Place, v.ByIndustry, v.ByCity); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"assessment-%d.pdf\"; filename*=UTF-8''%s", v.A.ID, url.PathEscape(v.A.Name+"-评测报告.pdf")))
	_, err = w.Write(buf.Bytes())
	return err
}

type distributionView struct {
	Total      int
	ByCity     []distRow
	ByIndustry []distRow
	Stages     []evaluate.Stage
	Map        map[string]any
	Chart      map[string]any
	Industry   string
	Industries []evalstore.Industry
}

type distRow struct {
	evalstore.Cell
	Name   string
	Counts []int
}

// cityNames resolves city codes to names.
func (h handlers) cityNamer(r *http.Request, codes []string) func(string) string {
	units, _ := h.unitIndex(r.Context(), codes)
	return func(c string) string {
		if u, ok := units[c]; ok {
			return u.Name
		}
		return c
	}
}

func (h handlers) scopedAssessments(r *http.Request) ([]*evalstore.Assessment, error) {
	return evalstore.Assessments(r.Context(), h.k.DB, evalstore.AssessmentFilter{Scopes: kit.Principal(r).Scopes(officeRoles...), Industry: r.URL.Query().Get("industry")})
}

// evalDistribution: GET /evaluate/enterprises — assessments in the
// caller's units by region and industry.
func (h handlers) evalDistribution(w http.ResponseWriter, r *http.Request) error {
	as, err := h.scopedAssessments(r)
	if err != nil {
		return err
	}
	byCity, byInd := evalstore.Distribution(as)
	var codes []string
	for _, c := range byCity {
		codes = append(codes, c.Key)
	}
	name := h.cityNamer(r, codes)
	stages := evaluate.EnterpriseQuestionnaire().Stages
	v := distributionView{Stages: stages, Industry: r.URL.Query().Get("industry"), Industries: evalstore.Industries}
	row := func(c evalstore.Cell, n string) distRow {
		d := distRow{Cell: c, Name: n}
		for _, s := range stages {
			d.Counts = append(d.Counts, c.Stages[s.ID])
		}
		return d
	}
	var mapData []any
	for _, c := range byCity {
		v.ByCity = append(v.ByCity, row(c, name(c.Key)))
		v.Total += c.Count
		mapData = append(mapData, map[string]any{"name": name(c.Key), "value": round1(c.Mean)})
	}
	var indNames []string
	var series []any
	for _, c := range byInd {
		v.ByIndustry = append(v.ByIndustry, row(c, tr(kit.Lang(r), evalstore.IndustryName(c.Key).Zh, evalstore.IndustryName(c.Key).En)))
		indNames = append(indNames, tr(kit.Lang(r), evalstore.IndustryName(c.Key).Zh, evalstore.IndustryName(c.Key).En))
	}
	for i, st := range stages {
		var data []int
		for _, c := range v.ByIndustry {
			data = append(data, c.Counts[i])
		}
		series = append(series, map[string]any{"name": tr(kit.Lang(r), st.Name.Zh, st.Name.En), "type": "bar", "stack": "stage", "data": data})
	}
	lg := kit.Lang(r)
	v.Map = map[string]any{"data": mapData, "min": 0, "max": 100, "title": tr(lg, "各市企业平均得分", "Mean enterprise score by city"), "unit": tr(lg, "分", "points")}
	v.Chart = map[string]any{
		"title":   map[string]any{"text": tr(lg, "各行业企业发展阶段分布", "Enterprises by industry and stage"), "left": "center", "textStyle": map[string]any{"fontSize": 14}},
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"bottom": 0},
		"grid":    map[string]any{"left": 40, "right": 20, "top": 40, "bottom": 110},
		"xAxis":   map[string]any{"type": "category", "data": indNames, "axisLabel": map[string]any{"rotate": 30, "interval": 0}},
		"yAxis":   map[string]any{"type": "value", "name": tr(lg, "企业数", "Enterprises")},
		"series":  series,
	}
	return h.k.Render(w, r, h.pages, "distribution", http.StatusOK, kit.View{Title: kit.T(r, "evaluate.distribution"), Nav: "evaluate", Data: v})
}

// evalDistributionXLSX: GET /evaluate/enterprises.xlsx — the same as a
// workbook.
func (h handlers) evalDistributionXLSX(w http.ResponseWriter, r *http.Request) error {
	as, err := h.scopedAssessments(r)
	if err != nil {
		return err
	}
	var codes []string
	for _, a := range as {
		codes = append(codes, a.City())
	}
	var buf bytes.Buffer
	if err := evalstore.DistributionXLSX(&buf, as, h.cityNamer(r, codes)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="enterprise-assessments.xlsx"`)
	_, err = w.Write(buf.Bytes())
	return err
}
