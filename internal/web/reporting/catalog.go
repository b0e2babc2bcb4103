package reporting

import (
	"errors"
	"html"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/monitor/formula"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/reporting"
	"zhihui/internal/web/kit"
)

// Data sets and validation rules serve the whole province: like the
// monitoring catalogue, only office or admin at the province edit them;
// reporting viewers may read the lists.

// canEditCatalog reports whether the caller may change the data sets and
// rules: office or admin at the province.
func canEditCatalog(r *http.Request) bool {
	return kit.Principal(r).Covers("/"+orgunit.Root+"/", editors...)
}

// periodTypes are the period types a data set or rule may have.
var periodTypes = []string{"monthly", "quarterly", "sixmonthly", "yearly"}

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
func fieldErrors(lg string, v *kit.View, errs []*i18n.Error) map[string]string {
	m := map[string]string{}
	for _, e := range errs {
		if e.Field != "" && m[e.Field] == "" {
			m[e.Field] = e.Message(lg)
		} else {
			v.Errors = append(v.Errors, e)
		}
	}
	return m
}

type dataSetsView struct {
	DataSets []dom.DataSet
	Kinds    map[string]i18n.Text
	CanEdit  bool
}

func (h handlers) dataSets(w http.ResponseWriter, r *http.Request) error {
	sets, err := dom.DataSets(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "datasets", http.StatusOK, kit.View{Title: kit.T(r, "reporting.datasets"), Nav: "reporting",
		Data: dataSetsView{DataSets: sets, Kinds: orgunit.KindNames, CanEdit: canEditCatalog(r)}})
}

// elementGroup is the catalogue's elements of one period type.
type elementGroup struct {
	Type     string
	Elements []monitor.Element
}

// groupElements groups els by period type, first (the form's own type
// first, then the others), each sorted by name in lg.
func groupElements(els []monitor.Element, first, lg string) []elementGroup {
	byType := map[string][]monitor.Element{}
	for _, e := range els {
		byType[e.PeriodType] = append(byType[e.PeriodType], e)
	}
	order := append([]string{first}, periodTypes...)
	seen := map[string]bool{}
	var out []elementGroup
	for _, t := range order {
		if t == "" || seen[t] || len(byType[t]) == 0 {
			continue
		}
		seen[t] = true
		g := byType[t]
		sort.SliceStable(g, func(i, j int) bool { return g[i].DisplayName(lg) < g[j].DisplayName(lg) })
		out = append(out, elementGroup{t, g})
	}
	return out
}

type dataSetForm struct {
	New         bool
	D           dom.DataSet
	DueDays     string
	Kinds       []kindOption
	PeriodTypes []string
	Groups      []elementGroup
	FieldErrors map[string]string
}

func (h handlers) renderDataSetForm(w http.ResponseWriter, r *http.Request, status int, f dataSetForm, errs []*i18n.Error) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	lg := kit.Lang(r)
	f.Kinds, f.PeriodTypes = kindOptions(), periodTypes
	f.Groups = groupElements(els, f.D.PeriodType, lg)
	v := kit.View{Nav: "reporting"}
	f.FieldErrors = fieldErrors(lg, &v, errs)
	if f.New {
		v.Title = kit.T(r, "reporting.dataset_new")
	} else {
		v.Title = f.D.DisplayName(lg)
	}
	v.Data = &f
	return h.k.Render(w, r, h.pages, "dataset_form", status, v)
}

func (h handlers) dataSetNew(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	d := dom.DataSet{PeriodType: "yearly", DueDays: 20}
	return h.renderDataSetForm(w, r, http.StatusOK, dataSetForm{New: true, D: d, DueDays: "20"}, nil)
}

func (h handlers) dataSetEdit(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	d, err := dom.GetDataSet(r.Context(), h.k.DB, r.PathValue("code"))
	if err != nil {
		return err
	}
	return h.renderDataSetForm(w, r, http.StatusOK, dataSetForm{D: d, DueDays: strconv.Itoa(d.DueDays)}, nil)
}

// dataSetSave creates (POST /reporting/datasets) or updates (POST
// /reporting/datasets/{code}) a data set.
func (h handlers) dataSetSave(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	ctx := r.Context()
	f := dataSetForm{New: r.PathValue("code") == "", DueDays: strings.TrimSpace(r.PostFormValue("due_days"))}
	f.D = dom.DataSet{
		Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		NameEn: strings.TrimSpace(r.PostFormValue("name_en")), PeriodType: r.PostFormValue("period_type"),
		OrgKinds: r.PostForm["org_kinds"], Elements: r.PostForm["elements"],
	}
	if !f.New {
		f.D.Code = r.PathValue("code")
		if _, err := dom.GetDataSet(ctx, h.k.DB, f.D.Code); err != nil {
			return err
		}
	} else if _, err := dom.GetDataSet(ctx, h.k.DB, f.D.Code); err == nil {
		return h.renderDataSetForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.D.Code).OnField("code")})
	}
	n, err := strconv.Atoi(f.DueDays)
	if err != nil {
		return h.renderDataSetForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("截止天数须为整数", "due days must be a whole number").OnField("due_days")})
	}
	f.D.DueDays = n
	err = dom.SaveDataSet(ctx, h.k.DB, kit.Actor(r), f.D)
	var ve i18n.Errors
	if errors.As(err, &ve) {
		return h.renderDataSetForm(w, r, http.StatusBadRequest, f, ve)
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/reporting/datasets?flash=reporting_saved#ds-"+f.D.Code)
}

// ruleRow is a rule with its expression in words.
type ruleRow struct {
	dom.Rule
	Words string
}

// violationRow is a violation with its rule in words.
type violationRow struct {
	dom.Violation
	Words string
}

// elementNames returns the catalogue's element names in lg by code.
func (h handlers) elementNames(r *http.Request) (func(string) string, error) {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return nil, err
	}
	lg := kit.Lang(r)
	names := make(map[string]string, len(els))
	for _, e := range els {
		names[e.Code] = e.DisplayName(lg)
	}
	return func(code string) string { return names[code] }, nil
}

func (h handlers) ruleRows(r *http.Request, rules []dom.Rule) ([]ruleRow, error) {
	name, err := h.elementNames(r)
	if err != nil {
		return nil, err
	}
	out := make([]ruleRow, 0, len(rules))
	for _, x := range rules {
		out = append(out, ruleRow{x, x.Words(kit.Lang(r), name)})
	}
	return out, nil
}

func (h handlers) violationRows(r *http.Request, vs []dom.Violation) ([]violationRow, error) {
	name, err := h.elementNames(r)
	if err != nil {
		return nil, err
	}
	out := make([]violationRow, 0, len(vs))
	for _, v := range vs {
		row := violationRow{Violation: v}
		if v.RuleDef != nil {
			row.Words = v.RuleDef.Words(kit.Lang(r), name)
		}
		out = append(out, row)
	}
	return out, nil
}

type rulesView struct {
	Rules   []ruleRow
	CanEdit bool
}

func (h handlers) rules(w http.ResponseWriter, r *http.Request) error {
	rules, err := dom.Rules(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	rows, err := h.ruleRows(r, rules)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "rules", http.StatusOK, kit.View{Title: kit.T(r, "reporting.rules"), Nav: "reporting",
		Data: rulesView{Rules: rows, CanEdit: canEditCatalog(r)}})
}

type ruleForm struct {
	New         bool
	R           dom.Rule
	Operators   []string
	Importances []string
	PeriodTypes []string
	Elements    []monitor.Element
	FieldErrors map[string]string
}

func (h handlers) renderRuleForm(w http.ResponseWriter, r *http.Request, status int, f ruleForm, errs []*i18n.Error) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	lg := kit.Lang(r)
	f.Elements, f.Operators, f.PeriodTypes = els, dom.Operators, periodTypes
	f.Importances = []string{dom.High, dom.Medium, dom.Low}
	v := kit.View{Nav: "reporting"}
	f.FieldErrors = fieldErrors(lg, &v, errs)
	if f.New {
		v.Title = kit.T(r, "reporting.rule_new")
	} else {
		v.Title = f.R.DisplayName(lg)
	}
	v.Data = &f
	return h.k.Render(w, r, h.pages, "rule_form", status, v)
}

func (h handlers) ruleNew(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	return h.renderRuleForm(w, r, http.StatusOK, ruleForm{New: true, R: dom.Rule{Op: "<=", Importance: dom.Medium, PeriodType: "yearly"}}, nil)
}

func (h handlers) ruleEdit(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	rule, err := dom.GetRule(r.Context(), h.k.DB, r.PathValue("code"))
	if err != nil {
		return err
	}
	return h.renderRuleForm(w, r, http.StatusOK, ruleForm{R: rule}, nil)
}

// ruleSave creates (POST /reporting/rules) or updates (POST
// /reporting/rules/{code}) a validation rule.
func (h handlers) ruleSave(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	ctx := r.Context()
	f := ruleForm{New: r.PathValue("code") == ""}
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f.R = dom.Rule{
		Code: v("code"), Name: v("name"), NameEn: v("name_en"), Left: v("left"), Op: v("op"), Right: v("right"),
		Importance: v("importance"), MessageZh: v("message_zh"), MessageEn: v("message_en"), PeriodType: v("period_type"),
	}
	if !f.New {
		f.R.Code = r.PathValue("code")
		if _, err := dom.GetRule(ctx, h.k.DB, f.R.Code); err != nil {
			return err
		}
	} else if _, err := dom.GetRule(ctx, h.k.DB, f.R.Code); err == nil {
		return h.renderRuleForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.R.Code).OnField("code")})
	}
	err := dom.SaveRule(ctx, h.k.DB, kit.Actor(r), f.R)
	var ve i18n.Errors
	if errors.As(err, &ve) {
		return h.renderRuleForm(w, r, http.StatusBadRequest, f, ve)
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/reporting/rules?flash=reporting_saved#rule-"+f.R.Code)
}

// ruleCheck answers the rule form's inline check (htmx) of one side,
// ?side=left or right: the expression must parse, name known elements,
// and those must be reported at the rule's period type when the form
// sends one.
func (h handlers) ruleCheck(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	side := r.URL.Query().Get("side")
	if side != "left" && side != "right" {
		return i18n.Errorf("side 须为 left 或 right", "side must be left or right")
	}
	src := r.PostFormValue(side)
	errs := monitor.CheckFormula(r.Context(), h.k.DB, src)
	if pt, err := period.ParseType(r.PostFormValue("period_type")); len(errs) == 0 && err == nil {
		ex, _ := formula.Parse(src)
		codes := ex.Codes()
		sort.Strings(codes)
		for _, c := range codes {
			if e, err := monitor.GetElement(r.Context(), h.k.DB, c); err == nil && e.PType() != pt {
				errs = append(errs, &i18n.Error{Text: i18n.Text{
					Zh: "数据元 " + c + " 按" + e.PType().Zh() + "报送，与规则的周期类型不符",
					En: "data element " + c + " is reported " + e.PeriodType + ", not at the rule's period type"}})
			}
		}
	}
	lg := kit.Lang(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	if len(errs) == 0 {
		b.WriteString(`<p class="form-hint" role="status">` + html.EscapeString(i18n.T(lg, "reporting.expr_ok")) + `</p>`)
	}
	for _, e := range errs {
		b.WriteString(`<p class="form-error" role="alert">` + html.EscapeString(e.Message(lg)) + `</p>`)
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
