package calls

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

// The expert's side: the seats of the caller's pool entry, the
// applications of each and the score sheet of one. Experts never see
// other experts' scores; applicants never see who scored.

func (h handlers) reviews(w http.ResponseWriter, r *http.Request) error {
	as, err := h.svc.CallAssignments(r.Context(), account(r))
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "reviews", http.StatusOK, kit.View{Title: kit.T(r, "calls.reviews"), Nav: "calls-reviews", Data: as})
}

// seatOf reads the caller's seat of the path; it must sit on the call.
func (h handlers) seatOf(r *http.Request) (dom.CallAssignment, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return dom.CallAssignment{}, err
	}
	sid, err := kit.PathID(r, "seat")
	if err != nil {
		return dom.CallAssignment{}, err
	}
	as, err := h.svc.CallAssignment(r.Context(), account(r), sid)
	if err != nil {
		return as, refuse(err)
	}
	if as.Call.ID != id {
		return as, fmt.Errorf("calls: seat %d of call %d: %w", sid, id, store.ErrNotFound)
	}
	return as, nil
}

func (h handlers) seat(w http.ResponseWriter, r *http.Request) error {
	as, err := h.seatOf(r)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "seat", http.StatusOK, kit.View{Title: as.Call.Title, Nav: "calls-reviews", Data: as})
}

type scoreView struct {
	As      dom.CallAssignment
	A       *dom.Application
	Mine    dom.CallScore
	Values  []string // per criterion, as typed or stored
	Opinion string
	DocURL  string
	Recused *dom.Recusal // the expert's recusal from the application, if any
}

// seatApp reads the seat and one of its applications.
func (h handlers) seatApp(r *http.Request) (dom.CallAssignment, *dom.Application, error) {
	as, err := h.seatOf(r)
	if err != nil {
		return as, nil, err
	}
	aid, err := kit.PathID(r, "app")
	if err != nil {
		return as, nil, err
	}
	for _, x := range as.Applications {
		if x.ID == aid {
			return as, x, nil
		}
	}
	return as, nil, fmt.Errorf("calls: application %d on seat %d: %w", aid, as.Seat.ID, store.ErrNotFound)
}

func (h handlers) scoreForm(w http.ResponseWriter, r *http.Request) error {
	return h.renderScore(w, r, http.StatusOK, nil, nil)
}

func (h handlers) renderScore(w http.ResponseWriter, r *http.Request, status int, typed []string, errs []*i18n.Error) error {
	as, x, err := h.seatApp(r)
	if err != nil {
		return err
	}
	v := scoreView{As: as, A: x, Mine: as.Mine[x.ID]}
	if rc, ok := as.Recused[x.ID]; ok {
		v.Recused = &rc
	}
	v.Values, v.Opinion = make([]string, len(as.Call.Criteria)), v.Mine.Opinion
	for i := range v.Values {
		if i < len(v.Mine.Scores) {
			v.Values[i] = strconv.Itoa(v.Mine.Scores[i])
		}
		if typed != nil && i < len(typed) {
			v.Values[i] = typed[i]
		}
	}
	if typed != nil {
		v.Opinion = r.PostFormValue("opinion")
	}
	if x.Document != nil {
		v.DocURL = fmt.Sprintf("/calls/%d/seats/%d/%d/document", as.Call.ID, as.Seat.ID, x.ID)
	}
	return h.k.Render(w, r, h.pages, "score", status, kit.View{Title: x.Title, Nav: "calls-reviews", Errors: errs, Data: v})
}

func (h handlers) score(w http.ResponseWriter, r *http.Request) error {
	// The seat's owner first: a refusal never depends on the form.
	as, x, err := h.seatApp(r)
	if err != nil {
		return err
	}
	typed := make([]string, len(as.Call.Criteria))
	scores := make([]int, len(as.Call.Criteria))
	for i, c := range as.Call.Criteria {
		typed[i] = strings.TrimSpace(r.PostFormValue("c" + strconv.Itoa(i)))
		if scores[i], err = strconv.Atoi(typed[i]); err != nil {
			err = i18n.Errorf("“%s”的评分应为 0 至 100 的整数", "the score of %q must be a whole number from 0 to 100", c.Name).OnField("c" + strconv.Itoa(i))
			break
		}
	}
	if err == nil {
		err = h.svc.ScoreApplication(r.Context(), kit.Actor(r), account(r), as.Seat.ID, x.ID, scores, r.PostFormValue("opinion"))
	}
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d/seats/%d?flash=saved", as.Call.ID, as.Seat.ID))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderScore(w, r, http.StatusBadRequest, typed, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) seatDocument(w http.ResponseWriter, r *http.Request) error {
	_, x, err := h.seatApp(r)
	if err != nil {
		return err
	}
	if x.Document == nil {
		return kit.ErrNotFound
	}
	// The seat gives the expert the application; the document is read
	// with the province's scope.
	d, data, err := h.svc.AppDocumentData(r.Context(), []string{"/"}, x.Document.ID)
	if err != nil {
		return err
	}
	return sendFile(w, d, data)
}

// The public side: published results only, no expert named.

func (h handlers) results(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.svc.PublishedCalls(r.Context())
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "results", http.StatusOK, kit.View{Title: kit.T(r, "calls.results"), Nav: "results", Data: cs})
}

type resultView struct {
	C       *dom.Call
	Ranking []publicRow
}

// publicRow is one line of a published ranking.
type publicRow struct {
	Rank     int    `json:"rank"`
	Title    string `json:"title"`
	Unit     string `json:"unit"`
	UnitName string `json:"unit_name"`
	Score    string `json:"score"`
	Tied     bool   `json:"tied"`
}

// published returns call id and its ranking if its results are published;
// otherwise not found.
func (h handlers) published(r *http.Request) (*resultView, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	c, err := h.svc.GetCall(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if c.Status != dom.CallPublished {
		return nil, kit.ErrNotFound
	}
	rs, err := h.svc.Ranking(r.Context(), id)
	if err != nil {
		return nil, err
	}
	v := &resultView{C: c, Ranking: []publicRow{}}
	for _, x := range rs {
		v.Ranking = append(v.Ranking, publicRow{Rank: x.Rank, Title: x.Application.Title, Unit: x.Application.Unit, UnitName: x.Application.UnitName, Score: x.Score.String(), Tied: x.Tied})
	}
	return v, nil
}

func (h handlers) result(w http.ResponseWriter, r *http.Request) error {
	v, err := h.published(r)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "result", http.StatusOK, kit.View{Title: v.C.Title, Nav: "results", Data: v})
}

type apiCall struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Title       string     `json:"title"`
	OrgName     string     `json:"org_name"`
	PublishedAt *time.Time `json:"published_at"`
}

func (h handlers) apiResults(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.svc.PublishedCalls(r.Context())
	if err != nil {
		return err
	}
	out := []apiCall{}
	for _, c := range cs {
		out = append(out, apiCall{ID: c.ID, Kind: c.Kind, Title: c.Title, OrgName: c.OrgName, PublishedAt: c.PublishedAt})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"results": out})
}

func (h handlers) apiResult(w http.ResponseWriter, r *http.Request) error {
	v, err := h.published(r)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"call": apiCall{ID: v.C.ID, Kind: v.C.Kind, Title: v.C.Title, OrgName: v.C.OrgName, PublishedAt: v.C.PublishedAt},
		"note": v.C.ResultNote, "criteria": v.C.Criteria, "panel_size": v.C.PanelSize, "ranking": v.Ranking})
}
