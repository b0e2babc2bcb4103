package reporting

import (
	"errors"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/reporting"
	"zhihui/internal/web/kit"
)

// target is the (data set, unit, period) a form request names.
type target struct {
	ds   dom.DataSet
	unit orgunit.Unit
	pe   period.Period
}

// link is the address of path acting on t's form, with extra query pairs.
func (t target) link(path string, extra ...string) string {
	q := url.Values{"ds": {t.ds.Code}, "ou": {t.unit.Code}, "pe": {t.pe.ID()}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return path + "?" + q.Encode()
}

// loadTarget reads ds, ou and pe from the query or form and checks that
// the caller holds one of roles over the unit.
func (h handlers) loadTarget(r *http.Request, rs ...auth.Role) (target, error) {
	var t target
	ds, err := dom.GetDataSet(r.Context(), h.k.DB, r.FormValue("ds"))
	if err != nil {
		return t, err
	}
	code := strings.TrimSpace(r.FormValue("ou"))
	if code == "" {
		return t, i18n.Errorf("请选择填报单位", "choose the reporting unit").OnField("ou")
	}
	u, err := orgunit.Get(r.Context(), h.k.DB, code)
	if err != nil {
		return t, err
	}
	if !kit.Principal(r).Covers(u.Path, rs...) {
		return t, kit.ErrOutside
	}
	p, err := ds.CheckPeriod(r.FormValue("pe"), time.Now())
	if err != nil {
		return t, err
	}
	if !ds.Assigned(u) {
		return t, i18n.Errorf("%s 不填报“%s”", "%s does not report %s", u.Name, ds.Name)
	}
	return target{ds, u, p}, nil
}

type formView struct {
	Form       *dom.Form
	StateName  i18n.Text
	CanEdit    bool
	CanDecide  bool
	CanReopen  bool
	t          target
	FieldErrs  map[string]string
	Entries    map[string]string
	Violations []violationRow
}

// Action is the address of path acting on this form (its data set, unit
// and period in the query), built here rather than in the template.
func (v formView) Action(path string) template.URL { return template.URL(v.t.link(path)) }

// Check is the address of the inline check of element el.
func (v formView) Check(el string) template.URL {
	return template.URL("/reporting/form/check?" + url.Values{"ds": {v.t.ds.Code}, "el": {el}}.Encode())
}

func (h handlers) showForm(w http.ResponseWriter, r *http.Request, t target, status int, errs []*i18n.Error, entries map[string]string) error {
	f, err := dom.OpenForm(r.Context(), h.k.DB, t.ds, t.unit, t.pe)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	lg := kit.Lang(r)
	v := formView{
		Form: f, StateName: dom.StateNames[f.Approval.State],
		CanEdit:   f.Approval.Editable() && p.Covers(t.unit.Path, writers...),
		CanDecide: f.Approval.State == dom.Submitted && dom.Above(p, t.unit, deciders...),
		CanReopen: f.Approval.State == dom.Approved && (dom.Above(p, t.unit, auth.Approver) || p.Covers(t.unit.Path, auth.Office)),
		t:         t,
		FieldErrs: map[string]string{}, Entries: f.Values,
	}
	if v.Violations, err = h.violationRows(r, f.Violations); err != nil {
		return err
	}
	view := kit.View{Nav: "reporting", Title: t.ds.DisplayName(lg) + " · " + t.unit.DisplayName(lg) + " · " + t.pe.Label(lg)}
	for _, e := range errs {
		if e.Field != "" {
			v.FieldErrs[e.Field] = e.Message(lg)
		} else {
			view.Errors = append(view.Errors, e)
		}
	}
	if entries != nil {
		v.Entries = entries
	}
	if len(view.Errors) > 0 {
		view.Error = view.Errors[0].Message(lg)
	}
	view.Data = v
	return h.k.Render(w, r, h.pages, "form", status, view)
}

func (h handlers) form(w http.ResponseWriter, r *http.Request) error {
	t, err := h.loadTarget(r, viewers...)
	if err != nil {
		return err
	}
	return h.showForm(w, r, t, http.StatusOK, nil, nil)
}

func (h handlers) save(w http.ResponseWriter, r *http.Request) error {
	t, err := h.loadTarget(r, writers...)
	if err != nil {
		return err
	}
	entries := map[string]string{}
	for _, c := range t.ds.Elements {
		if vals, ok := r.PostForm["v_"+c]; ok && len(vals) > 0 {
			entries[c] = vals[0]
		}
	}
	err = dom.SaveForm(r.Context(), h.k.DB, kit.Actor(r), t.ds, t.unit, t.pe, entries)
	var ve i18n.Errors
	var ue *i18n.Error
	switch {
	case err == nil:
		return kit.Redirect(w, r, t.link("/reporting/form", "flash", "saved"))
	case errors.As(err, &ve):
		return h.showForm(w, r, t, http.StatusUnprocessableEntity, ve, entries)
	case errors.As(err, &ue):
		return h.showForm(w, r, t, http.StatusUnprocessableEntity, []*i18n.Error{ue}, entries)
	}
	return err
}

// check answers the form's per-field htmx check with the field's message
// (empty when the entry is fine).
func (h handlers) check(w http.ResponseWriter, r *http.Request) error {
	ds, err := dom.GetDataSet(r.Context(), h.k.DB, r.FormValue("ds"))
	if err != nil {
		return err
	}
	el := r.FormValue("el")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if ue := dom.CheckField(r.Context(), h.k.DB, ds, el, r.FormValue("v_"+el)); ue != nil {
		_, err = w.Write([]byte(`<span class="form-error" role="alert">` + html.EscapeString(ue.Message(kit.Lang(r))) + `</span>`))
		return err
	}
	_, err = w.Write([]byte(`<span class="form-ok" aria-live="polite"></span>`))
	return err
}

func (h handlers) submit(w http.ResponseWriter, r *http.Request) error {
	t, err := h.loadTarget(r, writers...)
	if err != nil {
		return err
	}
	if err := dom.Submit(r.Context(), h.k.DB, kit.Actor(r), t.ds, t.unit, t.pe); err != nil {
		return err
	}
	return kit.Redirect(w, r, t.link("/reporting/form", "flash", "submitted"))
}

func (h handlers) decide(w http.ResponseWriter, r *http.Request) error {
	t, err := h.loadTarget(r, deciders...)
	if err != nil {
		return err
	}
	if !dom.Above(kit.Principal(r), t.unit, deciders...) {
		return kit.ErrOutside
	}
	approve := r.FormValue("action") == "approve"
	if err := dom.Decide(r.Context(), h.k.DB, kit.Actor(r), t.ds, t.unit, t.pe, approve, r.FormValue("comment")); err != nil {
		return err
	}
	flash := "returned"
	if approve {
		flash = "approved"
	}
	return kit.Redirect(w, r, t.link("/reporting/form", "flash", flash))
}

func (h handlers) reopen(w http.ResponseWriter, r *http.Request) error {
	t, err := h.loadTarget(r, openers...)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	if !dom.Above(p, t.unit, auth.Approver) && !p.Covers(t.unit.Path, auth.Office) {
		return kit.ErrOutside
	}
	if err := dom.Reopen(r.Context(), h.k.DB, kit.Actor(r), t.ds, t.unit, t.pe, r.FormValue("comment")); err != nil {
		return err
	}
	return kit.Redirect(w, r, t.link("/reporting/form", "flash", "reopened"))
}
