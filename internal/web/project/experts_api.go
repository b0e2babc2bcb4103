package project

import (
	"net/http"

	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of the expert pool's corrections: the periods an expert is
// unavailable and their ties with units, which the draws consult. The
// pool is the province's: the office (of any unit) reads and corrects
// every expert, as on the expert's page. Write routes take JSON, or form
// values as the page posts them.

func (h handlers) apiExpert(w http.ResponseWriter, r *http.Request) error {
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
	absences, ties := rec.Absences, rec.Ties
	if absences == nil {
		absences = []dom.Absence{}
	}
	if ties == nil {
		ties = []dom.Tie{}
	}
	type past struct {
		Date string `json:"date"`
		What string `json:"what"`
		Why  string `json:"reason,omitempty"`
	}
	reviews, recusals := []past{}, []past{}
	for _, x := range rec.Reviews {
		reviews = append(reviews, past{Date: x.Date, What: x.What})
	}
	for _, x := range rec.Recusals {
		recusals = append(recusals, past{Date: x.Date, What: x.What, Why: x.Reference})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"expert": e, "absences": absences, "ties": ties, "reviews": reviews, "recusals": recusals, "tie_years": years})
}

// absenceBody reads an absence's from, to and reason.
func absenceBody(r *http.Request) (from, to, reason string, err error) {
	if kit.IsJSON(r) {
		var b struct {
			From   string `json:"from"`
			To     string `json:"to"`
			Reason string `json:"reason"`
		}
		err = kit.DecodeJSON(r, &b)
		return b.From, b.To, b.Reason, err
	}
	return r.PostFormValue("from"), r.PostFormValue("to"), r.PostFormValue("reason"), nil
}

// tieBody reads a tie's kind, unit code, end date and note.
func tieBody(r *http.Request) (kind, unit, until, note string, err error) {
	if kit.IsJSON(r) {
		var b struct {
			Kind  string `json:"kind"`
			Unit  string `json:"unit"`
			Until string `json:"until"`
			Note  string `json:"note"`
		}
		err = kit.DecodeJSON(r, &b)
		return b.Kind, b.Unit, b.Until, b.Note, err
	}
	return r.PostFormValue("kind"), r.PostFormValue("unit"), r.PostFormValue("until"), r.PostFormValue("note"), nil
}

func (h handlers) apiAddAbsence(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	from, to, reason, err := absenceBody(r)
	if err != nil {
		return err
	}
	aid, err := h.svc.AddAbsence(r.Context(), kit.Actor(r), id, from, to, reason)
	if err != nil {
		return err
	}
	return h.sendAbsence(w, r, http.StatusCreated, aid)
}

func (h handlers) apiUpdateAbsence(w http.ResponseWriter, r *http.Request) error {
	id, aid, err := recordIDs(r, "aid")
	if err != nil {
		return err
	}
	from, to, reason, err := absenceBody(r)
	if err != nil {
		return err
	}
	if err := h.svc.UpdateAbsence(r.Context(), kit.Actor(r), id, aid, from, to, reason); err != nil {
		return err
	}
	return h.sendAbsence(w, r, http.StatusOK, aid)
}

func (h handlers) sendAbsence(w http.ResponseWriter, r *http.Request, status int, aid int64) error {
	ab, err := h.svc.Absence(r.Context(), aid)
	if err != nil {
		return err
	}
	return kit.JSON(w, status, map[string]any{"absence": ab})
}

func (h handlers) apiDeleteAbsence(w http.ResponseWriter, r *http.Request) error {
	id, aid, err := recordIDs(r, "aid")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteAbsence(r.Context(), kit.Actor(r), id, aid); err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"deleted": aid})
}

func (h handlers) apiAddTie(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	kind, unit, until, note, err := tieBody(r)
	if err != nil {
		return err
	}
	tid, err := h.svc.AddTie(r.Context(), kit.Actor(r), id, kind, unit, until, note)
	if err != nil {
		return err
	}
	return h.sendTie(w, r, http.StatusCreated, tid)
}

func (h handlers) apiUpdateTie(w http.ResponseWriter, r *http.Request) error {
	id, tid, err := recordIDs(r, "tid")
	if err != nil {
		return err
	}
	kind, unit, until, note, err := tieBody(r)
	if err != nil {
		return err
	}
	if err := h.svc.UpdateTie(r.Context(), kit.Actor(r), id, tid, kind, unit, until, note); err != nil {
		return err
	}
	return h.sendTie(w, r, http.StatusOK, tid)
}

func (h handlers) sendTie(w http.ResponseWriter, r *http.Request, status int, tid int64) error {
	t, err := h.svc.Tie(r.Context(), tid)
	if err != nil {
		return err
	}
	return kit.JSON(w, status, map[string]any{"tie": t})
}

func (h handlers) apiDeleteTie(w http.ResponseWriter, r *http.Request) error {
	id, tid, err := recordIDs(r, "tid")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteTie(r.Context(), kit.Actor(r), id, tid); err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"deleted": tid})
}
