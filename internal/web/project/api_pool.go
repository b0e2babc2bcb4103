package project

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/web/kit"
)

// tieYearsOf reads the office's window of years for ties (the expert
// pool's page and the API).
func tieYearsOf(v url.Values) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v.Get("tie_years")))
	if err != nil {
		return 0, i18n.Errorf("回避年限应为 0 至 10 的整数", "the window must be a whole number of years from 0 to 10").OnField("tie_years")
	}
	return n, nil
}

func (h handlers) apiSetTieYears(w http.ResponseWriter, r *http.Request) error {
	v, err := apiValues(r, "tie_years")
	if err != nil {
		return err
	}
	n, err := tieYearsOf(v)
	if err == nil {
		err = h.svc.SetTieYears(r.Context(), kit.Actor(r), n)
	}
	if err != nil {
		return err
	}
	if n, err = h.svc.TieYears(r.Context()); err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"tie_years": n})
}
