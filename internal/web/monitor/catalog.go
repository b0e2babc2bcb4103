package monitor

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

// Editors may edit the monitoring catalogue (at the province, see
// canEditCatalog).
var Editors = []auth.Role{auth.Office, auth.Admin}

// Reporters may write data values for their units.
var Reporters = []auth.Role{auth.Reporter, auth.Office, auth.Admin}

// canEditCatalog reports whether the caller may change the catalogue,
// which serves the whole province: office or admin at the province.
func canEditCatalog(r *http.Request) bool {
	return kit.Principal(r).Covers("/"+orgunit.Root+"/", Editors...)
}

type elementsView struct {
	Elements []monitor.Element
	CanEdit  bool
}

func (h handlers) monitorElements(w http.ResponseWriter, r *http.Request) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "elements", http.StatusOK, kit.View{Title: kit.T(r, "monitor.elements"), Nav: "monitor", Data: elementsView{Elements: els, CanEdit: canEditCatalog(r)}})
}

type elementForm struct {
	New          bool
	E            monitor.Element
	Min, Max     string
	ValueTypes   []string
	Aggregations []string
	PeriodTypes  []string
	FieldErrors  map[string]string
}

var periodTypes = []string{"monthly", "quarterly", "sixmonthly", "yearly"}

func (h handlers) renderElementForm(w http.ResponseWriter, r *http.Request, status int, f elementForm, errs []*i18n.Error) error {
	f.ValueTypes, f.Aggregations, f.PeriodTypes = monitor.ValueTypes, monitor.Aggregations, periodTypes
	lg := kit.Lang(r)
	v := kit.View{Nav: "monitor", Data: &f}
	f.FieldErrors, v.Errors = fieldErrors(lg, errs)
	if f.New {
		v.Title = kit.T(r, "monitor.element_new")
	} else {
		v.Title = f.E.DisplayName(lg)
	}
	return h.k.Render(w, r, h.pages, "element_form", status, v)
}

// fieldErrors puts the first error of each form field beside the field;
// the others are listed above the form.
func fieldErrors(lg string, errs []*i18n.Error) (map[string]string, []*i18n.Error) {
	byField := map[string]string{}
	var rest []*i18n.Error
	for _, e := range errs {
		if e.Field != "" && byField[e.Field] == "" {
			byField[e.Field] = e.Message(lg)
		} else {
			rest = append(rest, e)
		}
	}
	return byField, rest
}

func fmtBound(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func (h handlers) monitorElementNew(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	return h.renderElementForm(w, r, http.StatusOK, elementForm{New: true, E: monitor.Element{ValueType: monitor.Number, Aggregation: monitor.Sum, PeriodType: "yearly"}}, nil)
}

func (h handlers) monitorElementEdit(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	e, err := monitor.GetElement(r.Context(), h.k.DB, r.PathValue("code"))
	if err != nil {
		return err
	}
	return h.renderElementForm(w, r, http.StatusOK, elementForm{E: e, Min: fmtBound(e.Min), Max: fmtBound(e.Max)}, nil)
}

func parseBound(field, v string) (*float64, *i18n.Error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	f, ok := monitor.ParseNumber(v)
	if !ok {
		return nil, i18n.Errorf("%q 不是数字", "%q is not a number", v).OnField(field)
	}
	return &f, nil
}

// monitorElementSave creates (POST /monitor/elements) or updates (POST
// /monitor/elements/{code}) a data element.
func (h handlers) monitorElementSave(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	f := elementForm{New: r.PathValue("code") == ""}
	f.E = monitor.Element{
		Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		NameEn: strings.TrimSpace(r.PostFormValue("name_en")), ValueType: r.PostFormValue("value_type"),
		Aggregation: r.PostFormValue("aggregation"), Unit: strings.TrimSpace(r.PostFormValue("unit")),
		PeriodType: r.PostFormValue("period_type"), Description: strings.TrimSpace(r.PostFormValue("description")),
		Published: r.PostFormValue("published") != "",
	}
	if !f.New {
		f.E.Code = r.PathValue("code")
		if _, err := monitor.GetElement(r.Context(), h.k.DB, f.E.Code); err != nil {
			return kit.ErrNotFound
		}
	} else if _, err := monitor.GetElement(r.Context(), h.k.DB, f.E.Code); err == nil {
		return h.renderElementForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.E.Code).OnField("code")})
	}
	f.Min, f.Max = r.PostFormValue("min"), r.PostFormValue("max")
	var errs []*i18n.Error
	var e1, e2 *i18n.Error
	f.E.Min, e1 = parseBound("min", f.Min)
	f.E.Max, e2 = parseBound("max", f.Max)
	for _, e := range []*i18n.Error{e1, e2} {
		if e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return h.renderElementForm(w, r, http.StatusBadRequest, f, errs)
	}
	e, err := monitor.SaveElement(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), f.E)
	var ve i18n.Errors
	if errors.As(err, &ve) {
		return h.renderElementForm(w, r, http.StatusBadRequest, f, ve)
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/monitor/elements?flash=monitor_saved#"+e.Code)
}

type indicatorsView struct {
	Indicators []monitor.Indicator
	CanEdit    bool
}

func (h handlers) monitorIndicators(w http.ResponseWriter, r *http.Request) error {
	inds, err := monitor.Indicators(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "indicators", http.StatusOK, kit.View{Title: kit.T(r, "monitor.indicators"), Nav: "monitor", Data: indicatorsView{Indicators: inds, CanEdit: canEditCatalog(r)}})
}

type indicatorForm struct {
	New          bool
	I            monitor.Indicator
	Elements     []monitor.Element
	FieldErrors  map[string]string
	FormulaError string
}

func (h handlers) renderIndicatorForm(w http.ResponseWriter, r *http.Request, status int, f indicatorForm, errs []*i18n.Error) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	f.Elements = els
	lg := kit.Lang(r)
	v := kit.View{Nav: "monitor", Data: &f}
	f.FieldErrors, v.Errors = fieldErrors(lg, errs)
	f.FormulaError = f.FieldErrors["formula"]
	if f.New {
		v.Title = kit.T(r, "monitor.indicator_new")
	} else {
		v.Title = f.I.DisplayName(lg)
	}
	return h.k.Render(w, r, h.pages, "indicator_form", status, v)
}

func (h handlers) monitorIndicatorNew(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	return h.renderIndicatorForm(w, r, http.StatusOK, indicatorForm{New: true, I: monitor.Indicator{Direction: monitor.Higher, Decimals: 1}}, nil)
}

func (h handlers) monitorIndicatorEdit(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	i, err := monitor.GetIndicator(r.Context(), h.k.DB, r.PathValue("code"))
	if err != nil {
		return err
	}
	return h.renderIndicatorForm(w, r, http.StatusOK, indicatorForm{I: i}, nil)
}

func (h handlers) monitorIndicatorSave(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	f := indicatorForm{New: r.PathValue("code") == ""}
	dec, _ := strconv.Atoi(r.PostFormValue("decimals"))
	f.I = monitor.Indicator{
		Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		NameEn: strings.TrimSpace(r.PostFormValue("name_en")), Unit: strings.TrimSpace(r.PostFormValue("unit")),
		Direction: r.PostFormValue("direction"), Formula: strings.TrimSpace(r.PostFormValue("formula")), Decimals: dec,
		Description: strings.TrimSpace(r.PostFormValue("description")), Published: r.PostFormValue("published") != "",
	}
	if !f.New {
		f.I.Code = r.PathValue("code")
		if _, err := monitor.GetIndicator(r.Context(), h.k.DB, f.I.Code); err != nil {
			return kit.ErrNotFound
		}
	} else if _, err := monitor.GetIndicator(r.Context(), h.k.DB, f.I.Code); err == nil {
		return h.renderIndicatorForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.I.Code).OnField("code")})
	}
	i, err := monitor.SaveIndicator(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), f.I)
	var ve i18n.Errors
	if errors.As(err, &ve) {
		return h.renderIndicatorForm(w, r, http.StatusBadRequest, f, ve)
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/monitor/indicators?flash=monitor_saved#"+i.Code)
}

// monitorFormulaCheck answers the indicator form's inline check (htmx):
// the formula's problems, or that it is fine.
func (h handlers) monitorFormulaCheck(w http.ResponseWriter, r *http.Request) error {
	if !canEditCatalog(r) {
		return kit.ErrOutside
	}
	errs := monitor.CheckFormula(r.Context(), h.k.DB, r.PostFormValue("formula"))
	lg := kit.Lang(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if len(errs) == 0 {
		_, err := w.Write([]byte(`<p class="form-hint" role="status">` + template.HTMLEscapeString(i18n.T(lg, "monitor.formula_ok")) + `</p>`))
		return err
	}
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(`<p class="form-error" role="alert">` + template.HTMLEscapeString(e.Message(lg)) + `</p>`)
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
