package calls

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The office edits and withdraws its calls; a periodic job closes calls
// past their deadline; an expert recuses themselves from one application.

// CloseArgs is the job that closes the calls whose deadline has passed.
type CloseArgs struct{}

// Kind names the job.
func (CloseArgs) Kind() string { return "calls_close" }

// CloseEvery is how often the job looks for calls past their deadline.
const CloseEvery = 15 * time.Minute

func registerJobs(r *jobs.Registry, env module.JobEnv) {
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[CloseArgs]) error {
		n, err := dom.New(env.DB).CloseExpired(ctx)
		if err == nil && n > 0 {
			env.Log.Info("calls closed at their deadline", "calls", n)
		}
		return err
	})
	r.Every("calls_close", CloseEvery, true, func() (jobs.Args, *jobs.InsertOpts) {
		return CloseArgs{}, &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByPeriod: CloseEvery}}
	})
}

type editView struct {
	C          *dom.Call
	Form       url.Values
	Levels     []string
	Categories []string
	Fields     []string
	Applied    int // applications so far: the levels and categories are fixed once there are any
}

// Ticked reports whether value v of the form's field name is ticked.
func (v editView) Ticked(name, val string) bool {
	for _, x := range v.Form[name] {
		if x == val {
			return true
		}
	}
	return false
}

func formOf(e dom.CallEdit) url.Values {
	return url.Values{"title": {e.Title}, "description": {e.Description}, "levels": e.Levels, "categories": e.Categories, "deadline": {e.Deadline},
		"criteria": {e.Criteria}, "field": {e.Field}, "panel_size": {strconv.Itoa(e.PanelSize)}}
}

// managedCall reads the call of the path for its office.
func (h handlers) managedCall(r *http.Request) (*dom.Call, error) {
	c, err := h.callOf(r)
	if err != nil {
		return nil, err
	}
	if !kit.Principal(r).Covers(c.OrgPath, Offices...) {
		return nil, kit.ErrOutside
	}
	return c, nil
}

func (h handlers) editForm(w http.ResponseWriter, r *http.Request) error {
	c, err := h.managedCall(r)
	if err != nil {
		return err
	}
	return h.renderEdit(w, r, c, http.StatusOK, formOf(dom.EditOf(c)), nil)
}

func (h handlers) renderEdit(w http.ResponseWriter, r *http.Request, c *dom.Call, status int, form url.Values, errs []*i18n.Error) error {
	apps, err := h.svc.Applications(r.Context(), nil, c.ID)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "edit", status, kit.View{Title: kit.T(r, "calls.edit"), Nav: "calls", Errors: errs, Data: editView{
		C: c, Form: form, Levels: dom.Levels, Categories: dom.Categories, Fields: dom.Fields, Applied: len(apps)}})
}

func (h handlers) edit(w http.ResponseWriter, r *http.Request) error {
	c, err := h.managedCall(r)
	if err != nil {
		return err
	}
	v := r.PostForm
	size, err := strconv.Atoi(strings.TrimSpace(v.Get("panel_size")))
	if err != nil {
		err = i18n.Errorf("评审专家人数应为 3 至 15 的整数", "the panel size must be a whole number from 3 to 15").OnField("panel_size")
	} else {
		err = h.svc.EditCall(r.Context(), kit.Actor(r), scopes(r, Offices), c.ID, dom.CallEdit{Title: v.Get("title"), Description: v.Get("description"),
			Levels: v["levels"], Categories: v["categories"], Deadline: v.Get("deadline"), Criteria: v.Get("criteria"), Field: v.Get("field"), PanelSize: size})
	}
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d?flash=saved", c.ID))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderEdit(w, r, c, http.StatusBadRequest, v, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) withdraw(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	err = h.svc.WithdrawCall(r.Context(), kit.Actor(r), scopes(r, Offices), id, r.PostFormValue("reason"))
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d?flash=withdrawn", id))
	}
	return h.stepped(w, r, err)
}

func (h handlers) recuse(w http.ResponseWriter, r *http.Request) error {
	// The seat's owner first: a refusal never depends on the form.
	as, x, err := h.seatApp(r)
	if err != nil {
		return err
	}
	err = h.svc.Recuse(r.Context(), kit.Actor(r), account(r), as.Seat.ID, x.ID, r.PostFormValue("reason"))
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d/seats/%d?flash=recused", as.Call.ID, as.Seat.ID))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderScore(w, r, http.StatusBadRequest, nil, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) undoRecusal(w http.ResponseWriter, r *http.Request) error {
	id, seat, app, err := recusalIDs(r)
	if err != nil {
		return err
	}
	err = h.svc.UndoRecusal(r.Context(), kit.Actor(r), scopes(r, Offices), id, seat, app, r.PostFormValue("reason"))
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d?flash=recusal_undone", id))
	}
	return h.stepped(w, r, err)
}

// recusalIDs reads the call, seat and application of a recusal's path.
func recusalIDs(r *http.Request) (id, seat, app int64, err error) {
	if id, err = kit.PathID(r, "id"); err != nil {
		return
	}
	if seat, err = kit.PathID(r, "seat"); err != nil {
		return
	}
	app, err = kit.PathID(r, "app")
	return
}
