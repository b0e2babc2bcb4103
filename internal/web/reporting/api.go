package reporting

import (
	"net/http"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/progress"
	dom "zhihui/internal/reporting"
	"zhihui/internal/web/kit"
)

// apiProgress: GET /api/v1/progress?ou=CODE[,CODE…]; unpublished targets
// only when the caller holds a role over every unit asked for.
func (h handlers) apiProgress(w http.ResponseWriter, r *http.Request) error {
	return h.progressJSON(w, r, false)
}

// apiPublicProgress: GET /api/v1/public/progress — published targets only.
func (h handlers) apiPublicProgress(w http.ResponseWriter, r *http.Request) error {
	return h.progressJSON(w, r, true)
}

func (h handlers) progressJSON(w http.ResponseWriter, r *http.Request, published bool) error {
	var units []string
	for _, c := range strings.Split(r.FormValue("ou"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			units = append(units, c)
		}
	}
	if len(units) > 200 {
		return i18n.Errorf("单位过多（最多 200 个）", "too many units (at most 200)")
	}
	if !published {
		// As on the dashboard: unpublished figures only for units the
		// caller holds a role over; a query reaching outside them gets
		// the published targets.
		codes := units
		if len(codes) == 0 {
			codes = []string{orgunit.Root}
		}
		us, err := orgunit.GetMany(r.Context(), h.k.DB, codes)
		if err != nil {
			return err
		}
		p := kit.Principal(r)
		for _, u := range us {
			if !p.Covers(u.Path, auth.Roles...) {
				published = true
			}
		}
	}
	tps, err := dom.Progress(r.Context(), h.k.DB, dom.ProgressQuery{Units: units, PublishedOnly: published})
	if err != nil {
		return err
	}
	if tps == nil {
		tps = []dom.TargetProgress{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"progress": tps, "statuses": progress.StatusNames})
}
