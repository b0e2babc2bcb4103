package monitor

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/web/kit"
)

// queryValues parses the query string like url.ParseQuery but keeps ';'
// inside values, which DHIS2-style dimensions use and ParseQuery rejects.
func queryValues(r *http.Request) url.Values {
	out := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		out.Add(k, v)
	}
	return out
}

func splitSemi(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// analyticsQuery builds the query for the caller: logged-in users see
// their units; anyone sees published data for every unit.
func analyticsQuery(r *http.Request, dx, pe, ou []string) monitor.Query {
	q := monitor.Query{DX: dx, PE: pe, OU: ou}
	p := kit.Principal(r)
	if p.Authenticated() {
		q.Scopes = p.Scopes(auth.Roles...)
	} else {
		q.PublishedOnly, q.MaxCells = true, monitor.AnonymousMaxCells
	}
	return q
}

// runAnalytics answers q, retrying an out-of-scope query of a logged-in
// user as a public one (published data only).
func (h handlers) runAnalytics(r *http.Request, q monitor.Query) (*monitor.Result, error) {
	res, err := monitor.Analytics(r.Context(), h.k.DB, q)
	if errors.Is(err, monitor.ErrForbidden) && q.Scopes != nil {
		q.Scopes, q.PublishedOnly = nil, true
		return monitor.Analytics(r.Context(), h.k.DB, q)
	}
	return res, err
}

// apiAnalytics: GET /api/v1/analytics?dx=A;B&pe=2015;LAST_12_MONTHS&ou=41;LEVEL-3
func (h handlers) apiAnalytics(w http.ResponseWriter, r *http.Request) error {
	v := queryValues(r)
	q := analyticsQuery(r, splitSemi(v.Get("dx")), splitSemi(v.Get("pe")), splitSemi(v.Get("ou")))
	res, err := h.runAnalytics(r, q)
	if errors.Is(err, monitor.ErrForbidden) {
		return kit.ErrOutside
	}
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, res)
}

// apiDataValueSetsGet: GET /api/v1/dataValueSets?dataElement=&orgUnit=&period=[&children=true]
func (h handlers) apiDataValueSetsGet(w http.ResponseWriter, r *http.Request) error {
	v := queryValues(r)
	f := monitor.ValueFilter{
		Elements: splitList(v["dataElement"]), OrgUnits: splitList(v["orgUnit"]), Periods: splitList(v["period"]),
		Children: v.Get("children") == "true", Scopes: kit.Principal(r).Scopes(auth.Roles...),
	}
	if len(f.OrgUnits) == 0 {
		return i18n.Errorf("请指定 orgUnit", "orgUnit is required")
	}
	us, err := orgunit.GetMany(r.Context(), h.k.DB, f.OrgUnits)
	if err != nil {
		return err
	}
	for _, u := range us {
		if !kit.Principal(r).Covers(u.Path, auth.Roles...) {
			return kit.ErrOutside
		}
	}
	vals, err := monitor.DataValues(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	if vals == nil {
		vals = []monitor.StoredValue{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"dataValues": vals})
}

// splitList accepts repeated parameters and ';' or ',' lists.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

type dataValueSet struct {
	DataValues []monitor.Value `json:"dataValues"`
}

// apiDataValueSetsPost: POST /api/v1/dataValueSets[?dryRun=true] with
// {"dataValues":[{"dataElement","orgUnit","period","value","comment"}]}.
// Every value must be for a unit the caller reports for; all or nothing.
func (h handlers) apiDataValueSetsPost(w http.ResponseWriter, r *http.Request) error {
	var body dataValueSet
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<20))
	if err := dec.Decode(&body); err != nil {
		return i18n.Errorf("请求体不是有效的 JSON：%v", "the body is not valid JSON: %v", err)
	}
	if len(body.DataValues) == 0 {
		return i18n.Errorf("dataValues 为空", "dataValues is empty")
	}
	codes := map[string]bool{}
	var list []string
	for _, v := range body.DataValues {
		if !codes[v.OrgUnit] {
			codes[v.OrgUnit] = true
			list = append(list, v.OrgUnit)
		}
	}
	us, err := orgunit.GetMany(r.Context(), h.k.DB, list)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	for _, u := range us {
		if !p.Covers(u.Path, Reporters...) {
			return kit.ErrOutside
		}
	}
	dry := r.URL.Query().Get("dryRun") == "true"
	var errs []*i18n.Error
	if dry {
		errs, err = monitor.CheckValues(r.Context(), h.k.DB, body.DataValues)
	} else {
		err = monitor.SaveValues(r.Context(), h.k.DB, p.Actor(kit.ClientIP(r)), body.DataValues)
		var ve i18n.Errors
		if errors.As(err, &ve) {
			errs, err = ve, nil
		}
	}
	if err != nil {
		return err
	}
	status, state := http.StatusOK, "SUCCESS"
	if len(errs) > 0 {
		status, state = http.StatusConflict, "ERROR"
	}
	if errs == nil {
		errs = []*i18n.Error{}
	}
	return kit.JSON(w, status, map[string]any{"status": state, "dryRun": dry, "values": len(body.DataValues), "errors": errs})
}

// apiDataElements: GET /api/v1/dataElements — the catalogue's elements.
func (h handlers) apiDataElements(w http.ResponseWriter, r *http.Request) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"dataElements": els})
}

// apiIndicators: GET /api/v1/indicators — the catalogue's indicators.
func (h handlers) apiIndicators(w http.ResponseWriter, r *http.Request) error {
	inds, err := monitor.Indicators(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"indicators": inds})
}
