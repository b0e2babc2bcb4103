package calls

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of the corrections to a call: the office edits and
// withdraws it and undoes a recusal; an expert reads their seats and
// recuses themselves from an application. Write routes take JSON, or
// form values as the pages post them.

// apiEditCall is an edit as the API receives it: every field is optional
// and one left out keeps its value.
type apiEditCall struct {
	Title       *string         `json:"title"`
	Description *string         `json:"description"`
	Levels      *[]string       `json:"levels"`
	Categories  *[]string       `json:"categories"`
	Deadline    *string         `json:"deadline"`
	Criteria    json.RawMessage `json:"criteria"`
	Field       *string         `json:"field"`
	PanelSize   *int            `json:"panel_size"`
}

// editOf reads the edit of call c from r: JSON, or form values; what the
// request leaves out keeps the call's value.
func editOf(r *http.Request, c *dom.Call) (dom.CallEdit, error) {
	e := dom.EditOf(c)
	if kit.IsJSON(r) {
		var b apiEditCall
		if err := kit.DecodeJSON(r, &b); err != nil {
			return e, err
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&e.Title, b.Title)
		set(&e.Description, b.Description)
		set(&e.Deadline, b.Deadline)
		set(&e.Field, b.Field)
		if b.Levels != nil {
			e.Levels = *b.Levels
		}
		if b.Categories != nil {
			e.Categories = *b.Categories
		}
		if b.PanelSize != nil {
			e.PanelSize = *b.PanelSize
		}
		if len(b.Criteria) > 0 {
			crit, err := criteriaText(b.Criteria)
			if err != nil {
				return e, err
			}
			e.Criteria = crit
		}
		return e, nil
	}
	v := r.PostForm
	for name, dst := range map[string]*string{"title": &e.Title, "description": &e.Description, "deadline": &e.Deadline, "criteria": &e.Criteria, "field": &e.Field} {
		if _, ok := v[name]; ok {
			*dst = v.Get(name)
		}
	}
	if _, ok := v["levels"]; ok {
		e.Levels = v["levels"]
	}
	if _, ok := v["categories"]; ok {
		e.Categories = v["categories"]
	}
	if _, ok := v["panel_size"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get("panel_size")))
		if err != nil {
			return e, i18n.Errorf("评审专家人数应为 3 至 15 的整数", "the panel size must be a whole number from 3 to 15").OnField("panel_size")
		}
		e.PanelSize = n
	}
	return e, nil
}

func (h handlers) apiEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := h.managedCall(r)
	if err != nil {
		return err
	}
	e, err := editOf(r, c)
	if err != nil {
		return err
	}
	if err := h.svc.EditCall(r.Context(), kit.Actor(r), scopes(r, Offices), c.ID, e); err != nil {
		return refuse(err)
	}
	return h.sendCall(w, r, c.ID)
}

func (h handlers) sendCall(w http.ResponseWriter, r *http.Request, id int64) error {
	c, err := h.svc.CallFor(r.Context(), scopes(r, Viewers), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"call": c, "accepting": c.Accepting(h.svc.Today())})
}

// reasonOf reads the reason of a withdrawal, recusal or undoing.
func reasonOf(r *http.Request) (string, error) {
	if kit.IsJSON(r) {
		var b struct {
			Reason string `json:"reason"`
		}
		err := kit.DecodeJSON(r, &b)
		return b.Reason, err
	}
	return r.PostFormValue("reason"), nil
}

func (h handlers) apiWithdraw(w http.ResponseWriter, r *http.Request) error {
	c, err := h.managedCall(r)
	if err != nil {
		return err
	}
	reason, err := reasonOf(r)
	if err != nil {
		return err
	}
	if err := h.svc.WithdrawCall(r.Context(), kit.Actor(r), scopes(r, Offices), c.ID, reason); err != nil {
		return refuse(err)
	}
	return h.sendCall(w, r, c.ID)
}

// apiPanel is the panel of a call for its office: the seats with the
// experts' names, the recusals, the draw's seed, candidates and the
// reason each other expert of the field was left out.
func (h handlers) apiPanel(w http.ResponseWriter, r *http.Request) error {
	c, err := h.managedCall(r)
	if err != nil {
		return err
	}
	type seat struct {
		dom.CallSeat
		ExpertID   int64  `json:"expert_id"`
		ExpertName string `json:"expert_name"`
		Employer   string `json:"employer"`
	}
	out := map[string]any{"call": c.ID, "status": c.Status, "drawn_at": c.DrawnAt, "seats": []seat{}, "recusals": []dom.Recusal{}, "excluded": []dom.Exclusion{}}
	if c.DrawnAt == nil {
		return kit.JSON(w, http.StatusOK, out)
	}
	seats, err := h.svc.CallSeats(r.Context(), c.ID)
	if err != nil {
		return err
	}
	ss := make([]seat, 0, len(seats))
	for _, st := range seats {
		ss = append(ss, seat{CallSeat: st, ExpertID: st.ExpertID, ExpertName: st.ExpertName, Employer: st.Employer})
	}
	rec, err := h.svc.Recusals(r.Context(), c.ID)
	if err != nil {
		return err
	}
	if rec == nil {
		rec = []dom.Recusal{}
	}
	ex, err := h.svc.Exclusions(r.Context(), "call", c.ID)
	if err != nil {
		return err
	}
	out["seats"], out["recusals"], out["excluded"] = ss, rec, ex
	out["seed"], out["candidates"], out["reproduces"] = strconv.FormatUint(c.Seed, 10), c.Candidates, c.Reproduces(seats)
	return kit.JSON(w, http.StatusOK, out)
}

func (h handlers) apiUndoRecusal(w http.ResponseWriter, r *http.Request) error {
	id, seat, app, err := recusalIDs(r)
	if err != nil {
		return err
	}
	reason, err := reasonOf(r)
	if err != nil {
		return err
	}
	if err := h.svc.UndoRecusal(r.Context(), kit.Actor(r), scopes(r, Offices), id, seat, app, reason); err != nil {
		return refuse(err)
	}
	rec, err := h.svc.Recusals(r.Context(), id)
	if err != nil {
		return err
	}
	if rec == nil {
		rec = []dom.Recusal{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"call": id, "recusals": rec})
}

// APISeat is one seat of the caller as the expert reads it: the call,
// the eligible applications with the expert's own scores and recusals.
type APISeat struct {
	Seat         dom.CallSeat    `json:"seat"`
	Call         *dom.Call       `json:"call"`
	Open         bool            `json:"open"`
	Applications []APISeatApp    `json:"applications"`
	Recusals     []dom.Recusal   `json:"recusals"`
	Scores       []dom.CallScore `json:"scores"`
}

type APISeatApp struct {
	ID       int64            `json:"id"`
	Title    string           `json:"title"`
	Unit     string           `json:"unit"`
	UnitName string           `json:"unit_name"`
	Body     string           `json:"body"`
	Document *dom.AppDocument `json:"document,omitempty"`
	Scored   bool             `json:"scored"`
	Recused  bool             `json:"recused"`
}

func seatOut(as dom.CallAssignment) APISeat {
	out := APISeat{Seat: as.Seat, Call: as.Call, Open: as.Open, Applications: []APISeatApp{}, Recusals: []dom.Recusal{}, Scores: []dom.CallScore{}}
	for _, x := range as.Applications {
		_, scored := as.Mine[x.ID]
		_, recused := as.Recused[x.ID]
		out.Applications = append(out.Applications, APISeatApp{ID: x.ID, Title: x.Title, Unit: x.Unit, UnitName: x.UnitName, Body: x.Body, Document: x.Document, Scored: scored, Recused: recused})
		if sc, ok := as.Mine[x.ID]; ok {
			out.Scores = append(out.Scores, sc)
		}
		if rc, ok := as.Recused[x.ID]; ok {
			out.Recusals = append(out.Recusals, rc)
		}
	}
	return out
}

func (h handlers) apiReviews(w http.ResponseWriter, r *http.Request) error {
	as, err := h.svc.CallAssignments(r.Context(), account(r))
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"seats": SeatsOut(as)})
}

// SeatsOut is an expert's seats as GET /api/v1/calls/reviews gives them.
func SeatsOut(as []dom.CallAssignment) []APISeat {
	out := make([]APISeat, 0, len(as))
	for _, x := range as {
		out = append(out, seatOut(x))
	}
	return out
}

func (h handlers) apiRecuse(w http.ResponseWriter, r *http.Request) error {
	// The seat's owner first: a refusal never depends on the body.
	as, x, err := h.seatApp(r)
	if err != nil {
		return err
	}
	reason, err := reasonOf(r)
	if err != nil {
		return err
	}
	if err := h.svc.Recuse(r.Context(), kit.Actor(r), account(r), as.Seat.ID, x.ID, reason); err != nil {
		return refuse(err)
	}
	as, err = h.svc.CallAssignment(r.Context(), account(r), as.Seat.ID)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"seat": seatOut(as), "recusal": as.Recused[x.ID]})
}
