package calls

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of a call's steps, around the same domain functions as the
// pages: the office closes the call, checks eligibility, draws the panel
// and publishes the ranking; an expert scores an application of their
// seat. Write routes take JSON, or form values as the pages post them.

func (h handlers) apiClose(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.CloseCall(r.Context(), kit.Actor(r), scopes(r, Offices), id); err != nil {
		return refuse(err)
	}
	return h.sendCall(w, r, id)
}

// apiDraw draws the panel with a fresh seed, which the draw records (the
// caller cannot choose it), and answers with the panel as GET
// /api/v1/calls/{id}/panel gives it to the office, the only caller who
// may draw.
func (h handlers) apiDraw(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DrawCallPanel(r.Context(), kit.Actor(r), scopes(r, Offices), id, nil); err != nil {
		return refuse(err)
	}
	return h.apiPanel(w, r)
}

func (h handlers) apiCheck(w http.ResponseWriter, r *http.Request) error {
	x, c, err := h.appOf(r)
	if err != nil {
		return err
	}
	if !kit.Principal(r).Covers(c.OrgPath, Offices...) {
		return kit.ErrOutside
	}
	var b struct {
		Decision string `json:"decision"`
		Note     string `json:"note"`
	}
	if kit.IsJSON(r) {
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
	} else {
		b.Decision, b.Note = r.PostFormValue("decision"), r.PostFormValue("note")
	}
	if b.Decision != "eligible" && b.Decision != "ineligible" {
		return i18n.Errorf("请选择是否符合申报条件（eligible 或 ineligible）", "decision must be eligible or ineligible").OnField("decision")
	}
	if err := h.svc.CheckApplication(r.Context(), kit.Actor(r), scopes(r, Offices), x.ID, b.Decision == "eligible", b.Note); err != nil {
		return refuse(err)
	}
	x, _, err = h.svc.GetApplication(r.Context(), scopes(r, Viewers), x.ID)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"application": x})
}

// scoresOf reads an expert's scores of the call's criteria, in order, and
// opinion: JSON {"scores": [..], "opinion"}, or the page's form fields
// c0, c1, … and opinion.
func scoresOf(r *http.Request, c *dom.Call) ([]int, string, error) {
	if kit.IsJSON(r) {
		var b struct {
			Scores  []int  `json:"scores"`
			Opinion string `json:"opinion"`
		}
		if err := kit.DecodeJSON(r, &b); err != nil {
			return nil, "", err
		}
		return b.Scores, b.Opinion, nil
	}
	scores := make([]int, len(c.Criteria))
	for i, cr := range c.Criteria {
		v, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("c" + strconv.Itoa(i))))
		if err != nil {
			return nil, "", i18n.Errorf("“%s”的评分应为 0 至 100 的整数", "the score of %q must be a whole number from 0 to 100", cr.Name).OnField("c" + strconv.Itoa(i))
		}
		scores[i] = v
	}
	return scores, r.PostFormValue("opinion"), nil
}

func (h handlers) apiScore(w http.ResponseWriter, r *http.Request) error {
	// The seat's owner first: a refusal never depends on the body.
	as, x, err := h.seatApp(r)
	if err != nil {
		return err
	}
	scores, opinion, err := scoresOf(r, as.Call)
	if err != nil {
		return err
	}
	if err := h.svc.ScoreApplication(r.Context(), kit.Actor(r), account(r), as.Seat.ID, x.ID, scores, opinion); err != nil {
		return refuse(err)
	}
	as, err = h.svc.CallAssignment(r.Context(), account(r), as.Seat.ID)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"seat": seatOut(as), "score": as.Mine[x.ID]})
}

func (h handlers) apiPublish(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	note := r.PostFormValue("note")
	if kit.IsJSON(r) {
		var b struct {
			Note string `json:"note"`
		}
		if err := kit.DecodeJSON(r, &b); err != nil {
			return err
		}
		note = b.Note
	}
	if err := h.svc.Publish(r.Context(), kit.Actor(r), scopes(r, Offices), id, note); err != nil {
		return refuse(err)
	}
	v, err := h.published(r)
	if err != nil {
		return fmt.Errorf("calls: published call %d: %w", id, err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"call": v.C, "ranking": v.Ranking})
}
