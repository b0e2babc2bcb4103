package web

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
)

// Who may edit the monitoring catalogue.
var monitorEditors = []auth.Role{auth.Office, auth.Admin}

// Who may write data values.
var monitorReporters = []auth.Role{auth.Reporter, auth.Office, auth.Admin}

// canEditCatalog reports whether the caller may change the catalogue,
// which serves the whole province: office or admin at the province.
func canEditCatalog(r *http.Request) bool {
	return principal(r).Covers("/"+orgunit.Root+"/", monitorEditors...)
}

// editorOnly answers 403 unless the caller may edit the catalogue.
func (s *Server) editorOnly(w http.ResponseWriter, r *http.Request) bool {
	if canEditCatalog(r) {
		return true
	}
	s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
	return false
}

type elementsView struct {
	Elements []monitor.Element
	CanEdit  bool
}

func (s *Server) monitorElements(w http.ResponseWriter, r *http.Request) {
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "monitor", elementsView{Elements: els, CanEdit: canEditCatalog(r)})
	pg.Title = i18n.T(pg.Lang, "monitor.elements")
	s.render(w, r, "monitor/elements", http.StatusOK, pg)
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

func (s *Server) renderElementForm(w http.ResponseWriter, r *http.Request, status int, f elementForm, errs []*i18n.Error) {
	f.ValueTypes, f.Aggregations, f.PeriodTypes = monitor.ValueTypes, monitor.Aggregations, periodTypes
	pg := s.page(r, "monitor", &f)
	f.FieldErrors = map[string]string{}
	for _, e := range errs {
		if e.Field != "" && f.FieldErrors[e.Field] == "" {
			f.FieldErrors[e.Field] = e.Message(pg.Lang)
		} else {
			pg.Errors = append(pg.Errors, e)
		}
	}
	if f.New {
		pg.Title = i18n.T(pg.Lang, "monitor.element_new")
	} else {
		pg.Title = f.E.DisplayName(pg.Lang)
	}
	s.render(w, r, "monitor/element_form", status, pg)
}

func fmtBound(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func (s *Server) monitorElementNew(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	s.renderElementForm(w, r, http.StatusOK, elementForm{New: true, E: monitor.Element{ValueType: monitor.Number, Aggregation: monitor.Sum, PeriodType: "yearly"}}, nil)
}

func (s *Server) monitorElementEdit(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	e, err := monitor.GetElement(r.Context(), s.db, r.PathValue("code"))
	if s.lookupFailed(w, r, err, monitor.ErrNotFound) {
		return
	}
	s.renderElementForm(w, r, http.StatusOK, elementForm{E: e, Min: fmtBound(e.Min), Max: fmtBound(e.Max)}, nil)
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
func (s *Server) monitorElementSave(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
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
		if _, err := monitor.GetElement(r.Context(), s.db, f.E.Code); err != nil {
			s.notFound(w, r)
			return
		}
	} else if _, err := monitor.GetElement(r.Context(), s.db, f.E.Code); err == nil {
		s.renderElementForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.E.Code).OnField("code")})
		return
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
		s.renderElementForm(w, r, http.StatusBadRequest, f, errs)
		return
	}
	e, err := monitor.SaveElement(r.Context(), s.db, principal(r).Actor(clientIP(r)), f.E)
	var ve *monitor.ValidationError
	if errors.As(err, &ve) {
		s.renderElementForm(w, r, http.StatusBadRequest, f, ve.Errors)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/monitor/elements?flash=monitor_saved#"+e.Code, http.StatusSeeOther)
}

type indicatorsView struct {
	Indicators []monitor.Indicator
	CanEdit    bool
}

func (s *Server) monitorIndicators(w http.ResponseWriter, r *http.Request) {
	inds, err := monitor.Indicators(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "monitor", indicatorsView{Indicators: inds, CanEdit: canEditCatalog(r)})
	pg.Title = i18n.T(pg.Lang, "monitor.indicators")
	s.render(w, r, "monitor/indicators", http.StatusOK, pg)
}

type indicatorForm struct {
	New          bool
	I            monitor.Indicator
	Elements     []monitor.Element
	FieldErrors  map[string]string
	FormulaError string
}

func (s *Server) renderIndicatorForm(w http.ResponseWriter, r *http.Request, status int, f indicatorForm, errs []*i18n.Error) {
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Elements = els
	pg := s.page(r, "monitor", &f)
	f.FieldErrors = map[string]string{}
	for _, e := range errs {
		if e.Field != "" && f.FieldErrors[e.Field] == "" {
			f.FieldErrors[e.Field] = e.Message(pg.Lang)
		} else {
			pg.Errors = append(pg.Errors, e)
		}
	}
	f.FormulaError = f.FieldErrors["formula"]
	if f.New {
		pg.Title = i18n.T(pg.Lang, "monitor.indicator_new")
	} else {
		pg.Title = f.I.DisplayName(pg.Lang)
	}
	s.render(w, r, "monitor/indicator_form", status, pg)
}

func (s *Server) monitorIndicatorNew(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	s.renderIndicatorForm(w, r, http.StatusOK, indicatorForm{New: true, I: monitor.Indicator{Direction: monitor.Higher, Decimals: 1}}, nil)
}

func (s *Server) monitorIndicatorEdit(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	i, err := monitor.GetIndicator(r.Context(), s.db, r.PathValue("code"))
	if s.lookupFailed(w, r, err, monitor.ErrNotFound) {
		return
	}
	s.renderIndicatorForm(w, r, http.StatusOK, indicatorForm{I: i}, nil)
}

func (s *Server) monitorIndicatorSave(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
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
		if _, err := monitor.GetIndicator(r.Context(), s.db, f.I.Code); err != nil {
			s.notFound(w, r)
			return
		}
	} else if _, err := monitor.GetIndicator(r.Context(), s.db, f.I.Code); err == nil {
		s.renderIndicatorForm(w, r, http.StatusBadRequest, f, []*i18n.Error{i18n.Errorf("代码 %s 已存在", "the code %s exists already", f.I.Code).OnField("code")})
		return
	}
	i, err := monitor.SaveIndicator(r.Context(), s.db, principal(r).Actor(clientIP(r)), f.I)
	var ve *monitor.ValidationError
	if errors.As(err, &ve) {
		s.renderIndicatorForm(w, r, http.StatusBadRequest, f, ve.Errors)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/monitor/indicators?flash=monitor_saved#"+i.Code, http.StatusSeeOther)
}

// monitorFormulaCheck answers the indicator form's inline check (htmx):
// the formula's problems, or that it is fine.
func (s *Server) monitorFormulaCheck(w http.ResponseWriter, r *http.Request) {
	if !s.editorOnly(w, r) {
		return
	}
	errs := monitor.CheckFormula(r.Context(), s.db, r.PostFormValue("formula"))
	writeChecks(w, lang(r), errs, "monitor.formula_ok")
}

func htmlEscape(s string) string { return template.HTMLEscapeString(s) }
