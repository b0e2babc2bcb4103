package ecstat

import (
	"fmt"
	"net/http"
	"net/url"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/module"
	"zhihui/internal/web/kit"
)

// The rotation page: which enterprises a draw kept from the previous
// sample, which it rotated in and which out.

type rotationRow struct {
	dom.Selected
	StratumText string
}

type rotationView struct {
	Survey            *dom.Survey
	Design            *dom.Design
	Diff              *dom.RotationDiff
	In, Out           []rotationRow
	InTotal, OutTotal int
	ExportURL         string
}

func (h handlers) rotation(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	d, err := dom.GetDesign(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	diff, err := dom.Rotation(r.Context(), h.k.DB, s, scopes(r, Viewers...))
	if err != nil {
		return err
	}
	v := rotationView{Survey: s, Design: d, Diff: diff, InTotal: len(diff.In), OutTotal: len(diff.Out),
		ExportURL: fmt.Sprintf("/ecstat/surveys/%d/rotation/export", s.ID)}
	for i, x := range diff.In {
		if i >= maxShown {
			break
		}
		v.In = append(v.In, rotationRow{x, stratumText(r, x.Stratum)})
	}
	for i, x := range diff.Out {
		if i >= maxShown {
			break
		}
		v.Out = append(v.Out, rotationRow{x, stratumText(r, x.Stratum)})
	}
	return h.render(w, r, "rotation", http.StatusOK, kit.T(r, "ecstat.rot.title")+" · "+s.Name, v, nil)
}

func (h handlers) rotationExport(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	diff, err := dom.Rotation(r.Context(), h.k.DB, s, scopes(r, Viewers...))
	if err != nil {
		return err
	}
	head := append([]string{kit.T(r, "ecstat.rot.change")}, selectedHeader(r)...)
	var rows [][]any
	for _, part := range []struct {
		key  string
		list []dom.Selected
	}{{"in", diff.In}, {"out", diff.Out}, {"kept", diff.Kept}} {
		for _, x := range part.list {
			rows = append(rows, append([]any{kit.T(r, "ecstat.rot."+part.key)}, selectedRow(r, x)...))
		}
	}
	return kit.XLSX(w, fmt.Sprintf("rotation-%s.xlsx", s.Period()), head, rows)
}

// rotationAuthzCases are the rows of the rotation page and its export:
// viewers of the sample.
func rotationAuthzCases() []module.AuthzCase {
	const see, ok = http.StatusSeeOther, http.StatusOK
	get := func(suffix string) func(*module.Fixture, bool) (string, string, url.Values) {
		return func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey-pub") + suffix, nil
		}
	}
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/surveys/{id}/rotation", Request: get("/rotation"), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "GET /ecstat/surveys/{id}/rotation/export", Request: get("/rotation/export"), Want: module.AnyRole(ok, see, Viewers...)},
	}
}
