package web

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/monitor/formula"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
)

// Data sets and validation rules serve the whole province: like the
// monitoring catalogue, only office or admin at the province edit them
// (canEditCatalog, editorOnly); reporting viewers may read the lists.

// unitKinds are the kinds of unit a data set may be assigned to, top down.
var unitKinds = []string{orgunit.Province, orgunit.Department, orgunit.City, orgunit.County, orgunit.Township, orgunit.Village}

type kindOption struct {
	Code string
	Name i18n.Text
}

func kindOptions() []kindOption {
	out := make([]kindOption, 0, len(unitKinds))
	for _, k := range unitKinds {
		out = append(out, kindOption{k, orgunit.KindNames[k]})
	}
	return out
}

// fieldErrors splits errs into messages per form field and the rest,
// which go to the page's alert list.
func fieldErrors(pg *Page, errs []*i18n.Error) map[string]string {
	m := map[string]string{}
	for _, e := range errs {
		if e.Field != "" && m[e.Field] == "" {
			m[e.Field] = e.Message(pg.Lang)
		} else {
			pg.Errors = append(pg.Errors, e)
		}
	}
	return m
}

type dataSetsView struct {
	DataSets []reporting.DataSet
	Kinds    map[string]i18n.Text
	CanEdit  bool
}

func (s *Server) dataSetsPage(w http.ResponseWriter, r *http.Request) {
	sets, err := reporting.DataSets(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "reporting", dataSetsView{DataSets: sets, Kinds: orgunit.KindNames, CanEdit: canEditCatalog(r)})
	pg.Title = i18n.T(pg.Lang, "reporting.datasets")
	s.render(w, r, "reporting/datasets", http.StatusOK, pg)
}

// elementGroup is the catalogue's elements of one period type.
type elementGroup struct {
	Type     string
	Elements []monitor.Element
}

type dataSetForm struct {
	New         bool
	D           reporting.DataSet
	DueDays     string
	Kinds       []kindOption
	PeriodTypes []string
	Groups      []elementGroup
	FieldErrors map[string]string
}

func (s *Server) renderDataSetForm(w http.ResponseWriter, r *http.Request, status int, f dataSetForm, errs []*i18n.Error) {
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Kinds, f.PeriodTypes = kindOptions(), periodTypes
	// The form's own period type first: those are the elements it may hold.
	byType := map[string][]monitor.Element{}
	for _, e := range els {
		byType[e.PeriodType] = append(byType[e.PeriodType], e)
	}
	order := append([]string{f.D.PeriodType}, periodTypes...)
	seen := map[string]bool{}
	for _, t := range order {
		if !seen[t] && len(byType[t]) > 0 {
			seen[t] = true
			f.Groups = append(f.Groups, elementGroup{t, byType[t]})
		}
	}
	pg := s.page(r, "reporting", &f)
	f.FieldErrors = fieldErrors(pg, errs)
	if f.New {
		pg.Title = i18n.T(pg.Lang, "reporting.dataset_new")
	} else {
		pg.Title = f.D.DisplayName(pg.Lang)
	}
	s.render(w, r, "reporting/dataset_form", status, pg)
}

func (s *Server) dataSetNew(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	d := reporting.DataSet{PeriodType: "yearly", DueDays: 20}
	s.renderDataSetForm(w, r, http.StatusOK, dataSetForm{New: true, D: d, DueDays: "20"}, nil)
}

func (s *Server) dataSetEdit(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	d, err := reporting.GetDataSet(r.Context(), s.db, r.PathValue("code"))
	if s.lookupFailed(w, r, err, reporting.ErrNotFound) {
		return
	}
	s.renderDataSetForm(w, r, http.StatusOK, dataSetForm{D: d, DueDays: strconv.Itoa(d.DueDays)}, nil)
}

// dataSetSave creates (POST /reporting/datasets) or updates (POST
// /reporting/datasets/{code}) a data set.
func (s *Server) dataSetSave(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	ctx := r.Context()
	f := dataSetForm{New: r.PathValue("code") == "", DueDays: strings.TrimSpace(r.PostFormValue("due_days"))}
	f.D = reporting.DataSet{
		Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		NameEn: strings.TrimSpace(r.PostFormValue("name_en")), PeriodType: r.PostFormValue("period_type"),
		OrgKinds: r.PostForm["org_kinds"], Elements: r.PostForm["elements"],
	}
	if !f.New {
		f.D.Code = r.PathValue("code")
		if _, err := reporting.GetDataSet(ctx, s.db, f.D.Code); err != nil {
			s.notFound(w, r)
			return
		}
	} else if _, err := reporting.GetDataSet(ctx, s.db, f.D.Code); err == nil {
		s.renderDataSetForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.D.Code).OnField("code")})
		return
	}
	n, err := strconv.Atoi(f.DueDays)
	if err != nil {
		s.renderDataSetForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("截止天数须为整数", "due days must be a whole number").OnField("due_days")})
		return
	}
	f.D.DueDays = n
	err = reporting.SaveDataSet(ctx, s.db, principal(r).Actor(clientIP(r)), f.D)
	var ve *monitor.ValidationError
	if errors.As(err, &ve) {
		s.renderDataSetForm(w, r, http.StatusBadRequest, f, ve.Errors)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reporting/datasets?flash=reporting_saved#ds-"+f.D.Code, http.StatusSeeOther)
}

type rulesView struct {
	Rules   []reporting.Rule
	CanEdit bool
}

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	rules, err := reporting.Rules(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "reporting", rulesView{Rules: rules, CanEdit: canEditCatalog(r)})
	pg.Title = i18n.T(pg.Lang, "reporting.rules")
	s.render(w, r, "reporting/rules", http.StatusOK, pg)
}

type ruleForm struct {
	New         bool
	R           reporting.Rule
	Operators   []string
	Importances []string
	PeriodTypes []string
	Elements    []monitor.Element
	FieldErrors map[string]string
}

func (s *Server) renderRuleForm(w http.ResponseWriter, r *http.Request, status int, f ruleForm, errs []*i18n.Error) {
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Elements, f.Operators, f.PeriodTypes = els, reporting.Operators, periodTypes
	f.Importances = []string{reporting.High, reporting.Medium, reporting.Low}
	pg := s.page(r, "reporting", &f)
	f.FieldErrors = fieldErrors(pg, errs)
	if f.New {
		pg.Title = i18n.T(pg.Lang, "reporting.rule_new")
	} else {
		pg.Title = f.R.DisplayName(pg.Lang)
	}
	s.render(w, r, "reporting/rule_form", status, pg)
}

func (s *Server) ruleNew(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	s.renderRuleForm(w, r, http.StatusOK, ruleForm{New: true, R: reporting.Rule{Op: "<=", Importance: reporting.Medium, PeriodType: "yearly"}}, nil)
}

func (s *Server) ruleEdit(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	rule, err := reporting.GetRule(r.Context(), s.db, r.PathValue("code"))
	if s.lookupFailed(w, r, err, reporting.ErrNotFound) {
		return
	}
	s.renderRuleForm(w, r, http.StatusOK, ruleForm{R: rule}, nil)
}

// ruleSave creates (POST /reporting/rules) or updates (POST
// /reporting/rules/{code}) a validation rule.
func (s *Server) ruleSave(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	ctx := r.Context()
	f := ruleForm{New: r.PathValue("code") == ""}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f.R = reporting.Rule{
		Code: v("code"), Name: v("name"), NameEn: v("name_en"), Left: v("left"), Op: v("op"), Right: v("right"),
		Importance: v("importance"), MessageZh: v("message_zh"), MessageEn: v("message_en"), PeriodType: v("period_type"),
	}
	if !f.New {
		f.R.Code = r.PathValue("code")
		if _, err := reporting.GetRule(ctx, s.db, f.R.Code); err != nil {
			s.notFound(w, r)
			return
		}
	} else if _, err := reporting.GetRule(ctx, s.db, f.R.Code); err == nil {
		s.renderRuleForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.R.Code).OnField("code")})
		return
	}
	err := reporting.SaveRule(ctx, s.db, principal(r).Actor(clientIP(r)), f.R)
	var ve *monitor.ValidationError
	if errors.As(err, &ve) {
		s.renderRuleForm(w, r, http.StatusBadRequest, f, ve.Errors)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/reporting/rules?flash=reporting_saved#rule-"+f.R.Code, http.StatusSeeOther)
}

// ruleCheck answers the rule form's inline check (htmx) of one side,
// ?side=left or right: the expression must parse, name known elements,
// and those must be reported at the rule's period type when the form
// sends one.
func (s *Server) ruleCheck(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	side := r.URL.Query().Get("side")
	if side != "left" && side != "right" {
		s.fail(w, r, i18n.Errorf("side 须为 left 或 right", "side must be left or right"))
		return
	}
	src := r.PostFormValue(side)
	errs := monitor.CheckFormula(r.Context(), s.db, src)
	if pt, err := period.ParseType(r.PostFormValue("period_type")); len(errs) == 0 && err == nil {
		ex, _ := formula.Parse(src)
		codes := ex.Codes()
		sort.Strings(codes)
		for _, c := range codes {
			if e, err := monitor.GetElement(r.Context(), s.db, c); err == nil && e.PType() != pt {
				errs = append(errs, &i18n.Error{Text: i18n.Text{
					Zh: "数据元 " + c + " 按" + e.PType().Zh() + "报送，与规则的周期类型不符",
					En: "data element " + c + " is reported " + e.PeriodType + ", not at the rule's period type"}})
			}
		}
	}
	writeChecks(w, lang(r), errs, "reporting.expr_ok")
}

// writeChecks answers an inline check: the problems, or okKey's text.
func writeChecks(w http.ResponseWriter, l string, errs []*i18n.Error, okKey string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if len(errs) == 0 {
		w.Write([]byte(`<p class="form-hint" role="status">` + htmlEscape(i18n.T(l, okKey)) + `</p>`))
		return
	}
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(`<p class="form-error" role="alert">` + htmlEscape(e.Message(l)) + `</p>`)
	}
	w.Write([]byte(b.String()))
}
