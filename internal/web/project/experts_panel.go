package project

import (
	"fmt"
	"net/http"
	"net/url"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The expert's page: the periods the expert is unavailable, ties with
// units and earlier seats, which the draws consult.

type expertView struct {
	Expert   dom.Expert
	Record   dom.Record
	Years    int
	TieKinds []string
	Form     url.Values
}

func (h handlers) expert(w http.ResponseWriter, r *http.Request) error {
	return h.renderExpert(w, r, http.StatusOK, url.Values{}, nil)
}

func (h handlers) renderExpert(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	e, err := h.svc.Expert(r.Context(), id)
	if err != nil {
		return err
	}
	rec, err := h.svc.ExpertRecord(r.Context(), id)
	if err != nil {
		return err
	}
	years, err := h.svc.TieYears(r.Context())
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "expert", status, kit.View{Title: e.Name, Nav: "project", Errors: errs,
		Data: expertView{Expert: e, Record: rec, Years: years, TieKinds: dom.TieKinds, Form: form}})
}

// expertStep answers a step on expert id: back to the page, or the page
// again with the user error and the form as typed.
func (h handlers) expertStep(w http.ResponseWriter, r *http.Request, err error) error {
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/projects/experts/%s?flash=saved", r.PathValue("id")))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderExpert(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
	}
	return err
}

func (h handlers) addAbsence(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v := r.PostForm
	_, err = h.svc.AddAbsence(r.Context(), kit.Actor(r), id, v.Get("from"), v.Get("to"), v.Get("reason"))
	return h.expertStep(w, r, err)
}

func (h handlers) addTie(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v := r.PostForm
	_, err = h.svc.AddTie(r.Context(), kit.Actor(r), id, v.Get("kind"), v.Get("unit"), v.Get("until"), v.Get("note"))
	return h.expertStep(w, r, err)
}

func (h handlers) setTieYears(w http.ResponseWriter, r *http.Request) error {
	n, err := tieYearsOf(r.PostForm)
	if err == nil {
		err = h.svc.SetTieYears(r.Context(), kit.Actor(r), n)
	}
	if err == nil {
		return kit.Redirect(w, r, "/projects/experts?flash=saved")
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderExperts(w, r, http.StatusBadRequest, url.Values{}, []*i18n.Error{ue})
	}
	return err
}

// recordIDs reads the expert and the absence or tie (param) of the path.
func recordIDs(r *http.Request, param string) (int64, int64, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	rid, err := kit.PathID(r, param)
	return id, rid, err
}

func (h handlers) updateAbsence(w http.ResponseWriter, r *http.Request) error {
	id, aid, err := recordIDs(r, "aid")
	if err != nil {
		return err
	}
	v := r.PostForm
	return h.expertStep(w, r, h.svc.UpdateAbsence(r.Context(), kit.Actor(r), id, aid, v.Get("from"), v.Get("to"), v.Get("reason")))
}

func (h handlers) deleteAbsence(w http.ResponseWriter, r *http.Request) error {
	id, aid, err := recordIDs(r, "aid")
	if err != nil {
		return err
	}
	return h.expertStep(w, r, h.svc.DeleteAbsence(r.Context(), kit.Actor(r), id, aid))
}

func (h handlers) updateTie(w http.ResponseWriter, r *http.Request) error {
	id, tid, err := recordIDs(r, "tid")
	if err != nil {
		return err
	}
	v := r.PostForm
	return h.expertStep(w, r, h.svc.UpdateTie(r.Context(), kit.Actor(r), id, tid, v.Get("kind"), v.Get("unit"), v.Get("until"), v.Get("note")))
}

func (h handlers) deleteTie(w http.ResponseWriter, r *http.Request) error {
	id, tid, err := recordIDs(r, "tid")
	if err != nil {
		return err
	}
	return h.expertStep(w, r, h.svc.DeleteTie(r.Context(), kit.Actor(r), id, tid))
}
