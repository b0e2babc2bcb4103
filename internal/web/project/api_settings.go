package project

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of the office's settings: the supervision thresholds (the
// red/amber/green lights and when a rating goes stale) and the O&M
// outlier thresholds. Each reads the page's fields (JSON or form values)
// with the page's reader and calls the same domain function, which checks
// and audits them.

// wholeNumbers reads the whole numbers named into the ints given; a field
// that is not one is named in the error (the page's forms and the API).
func wholeNumbers(v url.Values, fields []string, to ...*int) error {
	for i, name := range fields {
		n, err := strconv.Atoi(strings.TrimSpace(v.Get(name)))
		if err != nil {
			return dom.ErrWholeNumber(name)
		}
		*to[i] = n
	}
	return nil
}

// thresholdFields are the supervision thresholds' fields.
var thresholdFields = []string{"amber", "red", "stale_days"}

// thresholdsOf reads the supervision thresholds: amber and red (% of
// variance) and stale_days.
func thresholdsOf(v url.Values) (dom.Thresholds, error) {
	var th dom.Thresholds
	return th, wholeNumbers(v, thresholdFields, &th.Amber, &th.Red, &th.StaleDays)
}

// omThresholdFields are the O&M thresholds' fields.
var omThresholdFields = []string{"over_last_year", "over_catalogue", "investment_share"}

// omThresholdsOf reads the O&M outlier thresholds (%).
func omThresholdsOf(v url.Values) (dom.OMThresholds, error) {
	var th dom.OMThresholds
	return th, wholeNumbers(v, omThresholdFields, &th.OverLastYear, &th.OverCatalogue, &th.InvestmentShare)
}

func (h handlers) apiThresholds(w http.ResponseWriter, r *http.Request) error {
	th, err := h.svc.Thresholds(r.Context())
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"thresholds": th})
}

func (h handlers) apiSetThresholds(w http.ResponseWriter, r *http.Request) error {
	v, err := apiValues(r, thresholdFields...)
	if err != nil {
		return err
	}
	th, err := thresholdsOf(v)
	if err == nil {
		err = h.svc.SetThresholds(r.Context(), kit.Actor(r), th)
	}
	if err != nil {
		return err
	}
	return h.apiThresholds(w, r)
}

func (h handlers) apiSetOMThresholds(w http.ResponseWriter, r *http.Request) error {
	v, err := apiValues(r, omThresholdFields...)
	if err != nil {
		return err
	}
	th, err := omThresholdsOf(v)
	if err == nil {
		err = h.svc.SetOMThresholds(r.Context(), kit.Actor(r), th)
	}
	if err != nil {
		return err
	}
	if th, err = h.svc.OMThresholds(r.Context()); err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"thresholds": th})
}
