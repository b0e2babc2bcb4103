package supervise

import (
	"net/http"

	"zhihui/internal/i18n"
	dom "zhihui/internal/supervise"
	"zhihui/internal/web/kit"
)

// schemesOf reads the scoring schemes in force (the office's last saved
// text, or the embedded one).
func (h handlers) schemesOf(r *http.Request) (*dom.Schemes, error) {
	sc, _, err := h.svc.CurrentSchemes(r.Context())
	return sc, err
}

type schemeView struct {
	YAML     string
	Saved    *dom.SchemeVersion
	Versions []dom.SchemeVersion
	Schemes  *dom.Schemes
	CanEdit  bool
	Errors   []*i18n.Error
}

// scheme shows the scoring schemes in force, their history and, to the
// provincial office, the form that changes them.
func (h handlers) scheme(w http.ResponseWriter, r *http.Request) error {
	return h.renderScheme(w, r, http.StatusOK, "", nil)
}

func (h handlers) renderScheme(w http.ResponseWriter, r *http.Request, status int, text string, errs []*i18n.Error) error {
	sc, saved, err := h.svc.CurrentSchemes(r.Context())
	if err != nil {
		return err
	}
	vs, err := h.svc.SchemeVersions(r.Context())
	if err != nil {
		return err
	}
	v := schemeView{Saved: saved, Versions: vs, Schemes: sc, CanEdit: kit.Principal(r).Covers(root, Offices...), Errors: errs, YAML: text}
	if v.YAML == "" {
		v.YAML = dom.DefaultSchemeYAML()
		if saved != nil {
			v.YAML = saved.YAML
		}
	}
	return h.k.Render(w, r, h.pages, "scheme", status, kit.View{Title: kit.T(r, "supervise.scheme"), Nav: "supervise", Data: v})
}

func (h handlers) saveScheme(w http.ResponseWriter, r *http.Request) error {
	if !kit.Principal(r).Covers(root, Offices...) {
		return kit.ErrForbidden
	}
	text := r.PostFormValue("yaml")
	err := h.svc.SaveSchemes(r.Context(), kit.Actor(r), text)
	if err == nil {
		return kit.Redirect(w, r, "/supervise/scheme?flash=saved")
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderScheme(w, r, http.StatusBadRequest, text, []*i18n.Error{ue})
	}
	return err
}
