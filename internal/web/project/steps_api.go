package project

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of a project's steps: submit, the office's gate decision,
// the amounts, baselines, progress, risk ratings, action plans and their
// follow-up reviews. Each reads the same fields as the project page's
// form (as JSON, or form values as the page posts them), calls the same
// domain function with the same roles and scopes, and answers the
// project as GET /api/v1/projects/{id} does.

// apiValues reads a step's body into form values: a JSON object whose
// fields are strings or numbers (read exactly, never as floats), or the
// form. A field outside allowed is refused by name.
func apiValues(r *http.Request, allowed ...string) (url.Values, error) {
	if !kit.IsJSON(r) {
		if err := r.ParseForm(); err != nil {
			return nil, i18n.Errorf("表单无法读取：%v", "the form cannot be read: %v", err)
		}
		return r.PostForm, nil
	}
	var m map[string]any
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
		}
		return nil, i18n.Errorf("请求体不是有效的 JSON 对象：%v", "the request body is not a valid JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, i18n.Errorf("请求体在 JSON 之后还有内容", "the request body has data after the JSON value")
	}
	v := url.Values{}
	for k, x := range m {
		if !slices.Contains(allowed, k) {
			return nil, i18n.Errorf("未知的字段 %q", "unknown field %q", k).OnField(k)
		}
		switch x := x.(type) {
		case nil:
		case string:
			v.Set(k, x)
		case json.Number:
			v.Set(k, x.String())
		default:
			return nil, i18n.Errorf("字段 %q 应为文字或数字", "field %q must be a string or a number", k).OnField(k)
		}
	}
	return v, nil
}

// stepDone answers a step that succeeded (err nil) with the project as
// GET /api/v1/projects/{id} gives it; a refusal outside the caller's
// units is 403, a user error 400 with the field named.
func (h handlers) stepDone(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	if err != nil {
		return refuse(err)
	}
	v, err := h.showData(r, id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, projectBody(v))
}

// projectBody is a project as the API answers it.
func projectBody(v *showView) map[string]any {
	return map[string]any{"project": v.P, "route": v.Route, "checks": v.Checks, "documents": v.Docs,
		"timeline": v.Events, "reviews": v.Reviews, "supervision": v.Sup, "ratings": v.Ratings}
}

func (h handlers) apiSubmit(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "note")
	if err != nil {
		return err
	}
	return h.stepDone(w, r, id, h.svc.Submit(r.Context(), kit.Actor(r), scopes(r, Owners), id, v.Get("note")))
}

func (h handlers) apiDecide(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "decision", "reason")
	if err != nil {
		return err
	}
	return h.stepDone(w, r, id, h.svc.Decide(r.Context(), kit.Actor(r), scopes(r, Offices), id, v.Get("decision"), v.Get("reason")))
}

func (h handlers) apiAmounts(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "estimate", "budget", "final")
	if err != nil {
		return err
	}
	am, err := amountsOf(v)
	if err == nil {
		err = h.svc.SetAmounts(r.Context(), kit.Actor(r), scopes(r, Owners), id, am)
	}
	return h.stepDone(w, r, id, err)
}

func (h handlers) apiRate(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "rating", "comment")
	if err != nil {
		return err
	}
	n, err := ratingOf(v)
	if err == nil {
		err = h.svc.Rate(r.Context(), kit.Actor(r), scopes(r, Offices), id, n, v.Get("comment"))
	}
	return h.stepDone(w, r, id, err)
}

func (h handlers) apiBaseline(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "start", "end", "cost", "milestones", "reason")
	if err != nil {
		return err
	}
	n, err := baselineOf(v)
	if err == nil {
		err = h.svc.SetBaseline(r.Context(), kit.Actor(r), scopes(r, Offices), id, n)
	}
	return h.stepDone(w, r, id, err)
}

func (h handlers) apiProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "projected_end", "actual_start", "actual_end", "progress_milestones", "projected_cost", "actual_cost")
	if err != nil {
		return err
	}
	n, err := progressOf(v)
	if err == nil {
		err = h.svc.ReportProgress(r.Context(), kit.Actor(r), scopes(r, Owners), id, n)
	}
	return h.stepDone(w, r, id, err)
}

func (h handlers) apiAction(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "plan", "review_due")
	if err != nil {
		return err
	}
	return h.stepDone(w, r, id, h.svc.AddAction(r.Context(), kit.Actor(r), scopes(r, Owners), id, v.Get("plan"), v.Get("review_due")))
}

func (h handlers) apiActionReview(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "review")
	if err != nil {
		return err
	}
	return h.stepDone(w, r, id, h.svc.ReviewAction(r.Context(), kit.Actor(r), scopes(r, Offices), id, v.Get("review")))
}

// amountsOf reads the optional estimate, budget estimate and final
// account in 万元 (the page's form and the API).
func amountsOf(v url.Values) (dom.Amounts, error) {
	var am dom.Amounts
	var err error
	if am.Estimate, err = optWan(v, "estimate"); err != nil {
		return am, err
	}
	if am.Budget, err = optWan(v, "budget"); err != nil {
		return am, err
	}
	am.Final, err = optWan(v, "final")
	return am, err
}

// ratingOf reads the risk rating 1–5.
func ratingOf(v url.Values) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v.Get("rating")))
	if err != nil {
		return 0, i18n.Errorf("风险评级应为 1（高风险）至 5（低风险）", "the risk rating must be 1 (high risk) to 5 (low risk)").OnField("rating")
	}
	return n, nil
}

// baselineOf reads a baseline: start, end, cost (万元), milestones, reason.
func baselineOf(v url.Values) (dom.NewBaseline, error) {
	cost, err := dom.ParseWan(strings.TrimSpace(v.Get("cost")))
	if err != nil {
		return dom.NewBaseline{}, fieldErr(err, "cost")
	}
	return dom.NewBaseline{Start: v.Get("start"), End: v.Get("end"), Cost: cost, Milestones: v.Get("milestones"), Reason: v.Get("reason")}, nil
}

// progressOf reads a progress report.
func progressOf(v url.Values) (dom.NewProgress, error) {
	n := dom.NewProgress{ProjectedEnd: v.Get("projected_end"), ActualStart: v.Get("actual_start"), ActualEnd: v.Get("actual_end"),
		Milestones: v.Get("progress_milestones")}
	var err error
	if n.ProjectedCost, err = optWan(v, "projected_cost"); err != nil {
		return n, err
	}
	n.ActualCost, err = optWan(v, "actual_cost")
	return n, err
}
