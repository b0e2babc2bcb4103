package project

import (
	"net/http"

	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// Process supervision: baselines and rebaselines (the office), progress
// and action plans (the owner unit), follow-up reviews and thresholds
// (the office), and the office's list of projects with their lights.

func (h handlers) baseline(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	n, err := baselineOf(r.PostForm)
	if err == nil {
		err = h.svc.SetBaseline(r.Context(), kit.Actor(r), scopes(r, Offices), id, n)
	}
	return h.stepped(w, r, id, err)
}

func (h handlers) progress(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	n, err := progressOf(r.PostForm)
	if err == nil {
		err = h.svc.ReportProgress(r.Context(), kit.Actor(r), scopes(r, Owners), id, n)
	}
	return h.stepped(w, r, id, err)
}

func (h handlers) action(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, id, h.svc.AddAction(r.Context(), kit.Actor(r), scopes(r, Owners), id, r.PostFormValue("plan"), r.PostFormValue("review_due")))
}

func (h handlers) actionReview(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, id, h.svc.ReviewAction(r.Context(), kit.Actor(r), scopes(r, Offices), id, r.PostFormValue("review")))
}

type supervisionView struct {
	Thresholds dom.Thresholds
	Rows       []dom.SupervisedRow
	Export     string
}

func (h handlers) supervision(w http.ResponseWriter, r *http.Request) error {
	return h.renderSupervision(w, r, http.StatusOK, nil)
}

func (h handlers) renderSupervision(w http.ResponseWriter, r *http.Request, status int, err error) error {
	th, e := h.svc.Thresholds(r.Context())
	if e != nil {
		return e
	}
	rows, e := h.svc.Supervised(r.Context(), scopes(r, Offices), th)
	if e != nil {
		return refuse(e)
	}
	v := kit.View{Title: kit.T(r, "project.supervision"), Nav: "project", Data: supervisionView{Thresholds: th, Rows: rows, Export: "/projects/supervision/export"}}
	if ue, ok := kit.UserError(err); ok {
		v.Errors = append(v.Errors, ue)
	}
	return h.k.Render(w, r, h.pages, "supervision", status, v)
}

func (h handlers) setThresholds(w http.ResponseWriter, r *http.Request) error {
	th, err := thresholdsOf(r.PostForm)
	if err != nil {
		return h.renderSupervision(w, r, http.StatusBadRequest, err)
	}
	if err := h.svc.SetThresholds(r.Context(), kit.Actor(r), th); err != nil {
		if _, ok := kit.UserError(err); ok {
			return h.renderSupervision(w, r, http.StatusBadRequest, err)
		}
		return err
	}
	return kit.Redirect(w, r, "/projects/supervision?flash=saved")
}

func (h handlers) supervisionExport(w http.ResponseWriter, r *http.Request) error {
	th, err := h.svc.Thresholds(r.Context())
	if err != nil {
		return err
	}
	rows, err := h.svc.Supervised(r.Context(), scopes(r, Offices), th)
	if err != nil {
		return refuse(err)
	}
	header := []string{kit.T(r, "project.col.number"), kit.T(r, "project.col.name"), kit.T(r, "project.col.owner"), kit.T(r, "project.baseline_version"),
		kit.T(r, "project.baseline_end"), kit.T(r, "project.baseline_cost"), kit.T(r, "project.cost_variance"), kit.T(r, "project.schedule_variance"),
		kit.T(r, "project.risk_now"), kit.T(r, "project.light")}
	var out [][]any
	for _, x := range rows {
		out = append(out, []any{x.Number, x.Name, x.Owner, x.Version, x.End, x.Cost.Wan(), pctOrDash(x.Variance.HasCost, x.Variance.Cost),
			pctOrDash(x.Variance.HasSchedule, x.Variance.Schedule), x.Risk, kit.T(r, "project.light."+lightKey(x.Variance.Light))})
	}
	return kit.XLSX(w, "project-supervision.xlsx", header, out)
}

func pctOrDash(ok bool, v float64) any {
	if !ok {
		return "—"
	}
	return v
}

func lightKey(l string) string {
	if l == "" {
		return "none"
	}
	return l
}
