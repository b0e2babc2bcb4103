package supervise

import (
	"net/http"
	"strconv"

	dom "zhihui/internal/supervise"
	"zhihui/internal/web/kit"
)

type reviewView struct {
	badges
	Year   int
	Years  []int
	Rows   []dom.ReviewRow
	Public bool
	Action string
}

// Risk is the badge class of a target status.
func (reviewView) Risk(status string) string {
	switch status {
	case "behind":
		return "badge-late"
	case "warning":
		return "badge-warn"
	case "met", "on_track":
		return "badge-ok"
	}
	return "badge-muted"
}

// Whole prints a year held as a number.
func (reviewView) Whole(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 0, 64)
}

// review is the quarterly review of the plan's targets, most at risk
// first; the public version (/review) shows published figures only and
// no work items.
func (h handlers) review(w http.ResponseWriter, r *http.Request) error {
	return h.renderReview(w, r, false)
}

func (h handlers) publicReview(w http.ResponseWriter, r *http.Request) error {
	return h.renderReview(w, r, true)
}

func (h handlers) renderReview(w http.ResponseWriter, r *http.Request, public bool) error {
	now := h.svc.Today().Year()
	year, err := kit.FormInt(r, "year", now)
	if err != nil {
		return err
	}
	if year < 2013 || year > now {
		return kit.ErrNotFound
	}
	rows, err := h.svc.Review(r.Context(), year, public)
	if err != nil {
		return err
	}
	v := reviewView{badges: badges{kit.Lang(r)}, Year: year, Rows: rows, Public: public, Action: "/supervise/review"}
	if public {
		v.Action = "/review"
	}
	for y := now; y >= 2013; y-- {
		v.Years = append(v.Years, y)
	}
	nav := "supervise"
	if public {
		nav = ""
	}
	return h.k.Render(w, r, h.pages, "review", http.StatusOK, kit.View{Title: kit.T(r, "supervise.review"), Nav: nav, Data: v})
}
