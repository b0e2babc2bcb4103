package web

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
)

// regionView is the regional two-integration page and the city
// informatization page.
type regionView struct {
	Framework evaluate.Text
	Dataset   evalstore.DatasetInfo
	HasData   bool
	Level     string // city or county
	Year      int
	Years     []int
	Subs      []evaluate.NodeInfo
	Rows      []rankRow
	Map       map[string]any
	Radar     map[string]any
	Trend     map[string]any
	Unit      string
	UnitName  string
	Target    *plan.Target
	Dropped   int
	PrevYear  int
	RankMove  map[string]int // unit → rank change against the previous year (positive = up)
	covered   map[string]bool
}

// regionRun loads a demo-named dataset, scopes it, runs the framework and
// fills the common parts of the view. ok false means a response was sent.
func (s *Server) regionRun(w http.ResponseWriter, r *http.Request, framework, dataset string, v *regionView) (*evaluate.Result, map[string]orgunit.Unit, bool) {
	fw, err := evaluate.Builtin(framework)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	v.Framework = fw.Name
	info, err := evalstore.DatasetByName(r.Context(), s.db, dataset)
	if errors.Is(err, evalstore.ErrNotFound) {
		return nil, nil, true // no data yet: the page says so
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	v.Dataset = info
	// The index is computed over every unit of the dataset so that ranks
	// are provincial ranks; the caller sees the rows of its own units.
	d, err := s.loadDataset(r.Context(), info.ID)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	units, err := s.unitIndex(r.Context(), d.Units)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	p := principal(r)
	covered := map[string]bool{}
	for _, c := range d.Units {
		u, ok := units[c]
		covered[c] = !ok || p.Covers(u.Path, indexRoles...)
		if !covered[c] {
			v.Dropped++
		}
	}
	if v.Dropped == len(d.Units) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return nil, nil, false
	}
	v.Years = d.Years
	res, err := evaluate.Run(fw, d, evaluate.Options{})
	if err != nil {
		s.fail(w, r, evalstore.UserError(err))
		return nil, nil, false
	}
	v.HasData = true
	v.Year, _ = strconv.Atoi(r.URL.Query().Get("year"))
	if !slices.Contains(d.Years, v.Year) {
		v.Year = d.Years[len(d.Years)-1]
	}
	v.Subs = subNodes(res)
	for _, row := range ranking(res, v.Year, units, lang(r)) {
		if covered[row.Unit] {
			v.Rows = append(v.Rows, row)
		}
	}
	v.covered = covered
	// ?unit= picks the unit of the radar chart; it must be in scope.
	v.Unit = r.URL.Query().Get("unit")
	if v.Unit != "" && !covered[v.Unit] {
		if u, err := orgunit.Get(r.Context(), s.db, v.Unit); err == nil && !p.Covers(u.Path, indexRoles...) {
			s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
			return nil, nil, false
		}
		v.Unit = ""
	}
	if v.Unit == "" && len(v.Rows) > 0 {
		v.Unit = v.Rows[0].Unit
	}
	v.UnitName = unitName(units, v.Unit, lang(r))
	v.Radar = radarChart(res, v.Year, v.Unit, v.UnitName, lang(r))
	return res, units, true
}

func tr(lang, zh, en string) string {
	if strings.HasPrefix(lang, "en") {
		return en
	}
	return zh
}

// radarChart compares one unit's sub-index scores with the mean of the
// units shown.
func radarChart(res *evaluate.Result, year int, unit, name, lang string) map[string]any {
	yr := yearResult(res, year)
	u := slices.Index(res.Units, unit)
	if yr == nil || u < 0 {
		return nil
	}
	var ind []any
	var mine, mean []any
	for _, n := range subNodes(res) {
		ind = append(ind, map[string]any{"name": tr(lang, n.Name.Zh, n.Name.En), "max": 100})
		sc := yr.Scores[n.ID]
		mine = append(mine, round1(float64(sc[u])))
		s, c := 0.0, 0
		for _, x := range sc {
			if !x.IsMissing() {
				s += float64(x)
				c++
			}
		}
		mean = append(mean, round1(s/float64(max(c, 1))))
	}
	avg := tr(lang, "全省平均", "Provincial mean")
	return map[string]any{
		"title":   map[string]any{"text": name + " · " + strconv.Itoa(year), "left": "center", "textStyle": map[string]any{"fontSize": 14}},
		"tooltip": map[string]any{},
		"legend":  map[string]any{"bottom": 0, "data": []string{name, avg}},
		"radar":   map[string]any{"indicator": ind, "radius": "62%"},
		"series": []any{map[string]any{"type": "radar", "data": []any{
			map[string]any{"name": name, "value": mine, "areaStyle": map[string]any{"opacity": 0.2}},
			map[string]any{"name": avg, "value": mean, "lineStyle": map[string]any{"type": "dashed"}},
		}}},
	}
}

func round1(x float64) any {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return math.Round(x*10) / 10
}

// mapSpec is the data-map JSON of a year's index scores.
func mapSpec(rows []rankRow, counties bool, title, unit string) map[string]any {
	var data []any
	for _, row := range rows {
		if row.Score.IsMissing() {
			continue
		}
		data = append(data, map[string]any{"name": row.MapKey, "value": round1(float64(row.Score))})
	}
	m := map[string]any{"data": data, "min": 0, "max": 100, "title": title, "unit": unit}
	if counties {
		m["map"] = "henan-counties"
	}
	return m
}

// evalRegional: GET /evaluate/regional?level=city|county&year=&unit= —
// 区域两化融合发展水平: map, ranking, radar of a unit.
func (s *Server) evalRegional(w http.ResponseWriter, r *http.Request) {
	v := regionView{Level: "city"}
	ds := evalstore.DemoTwoIntegrationCities
	if r.URL.Query().Get("level") == "county" {
		v.Level, ds = "county", evalstore.DemoTwoIntegrationCounty
	}
	if _, _, ok := s.regionRun(w, r, "two-integration-region", ds, &v); !ok {
		return
	}
	pg := s.page(r, "evaluate", &v)
	pg.Title = i18n.T(pg.Lang, "evaluate.regional")
	if v.HasData {
		v.Map = mapSpec(v.Rows, v.Level == "county", pg.Title+" "+strconv.Itoa(v.Year), i18n.T(pg.Lang, "evaluate.points"))
	}
	s.render(w, r, "evaluate/regional", http.StatusOK, pg)
}

// infoRankTarget is the plan target the informatization page reports on:
// the §2.3 goal that the province moves up the national ranking.
const infoRankTarget = "INFO_LEVEL_RANK"

// evalInformatization: GET /evaluate/informatization?year=&unit= — the
// city informatization development index year by year.
func (s *Server) evalInformatization(w http.ResponseWriter, r *http.Request) {
	v := regionView{Level: "city"}
	if t, ok := plan.Default().Target(infoRankTarget); ok {
		v.Target = &t
	}
	res, units, ok := s.regionRun(w, r, "city-informatization", evalstore.DemoInformatization, &v)
	if !ok {
		return
	}
	pg := s.page(r, "evaluate", &v)
	pg.Title = i18n.T(pg.Lang, "evaluate.informatization")
	if v.HasData {
		v.Trend = trendChart(res, units, v.covered, pg.Lang)
		v.Map = mapSpec(v.Rows, false, pg.Title+" "+strconv.Itoa(v.Year), i18n.T(pg.Lang, "evaluate.points"))
		if i := slices.Index(v.Years, v.Year); i > 0 {
			v.PrevYear = v.Years[i-1]
			prev, cur := yearResult(res, v.PrevYear), yearResult(res, v.Year)
			v.RankMove = map[string]int{}
			for u, c := range res.Units {
				a, b := prev.Ranks[res.Root][u], cur.Ranks[res.Root][u]
				if a > 0 && b > 0 {
					v.RankMove[c] = a - b
				}
			}
		}
	}
	s.render(w, r, "evaluate/informatization", http.StatusOK, pg)
}

// trendChart draws every unit's index over the years, plus the mean.
func trendChart(res *evaluate.Result, units map[string]orgunit.Unit, covered map[string]bool, lang string) map[string]any {
	var years []string
	for _, y := range res.Years {
		years = append(years, strconv.Itoa(y.Year))
	}
	var series []any
	var names []string
	meanData := make([]any, len(res.Years))
	for i, yr := range res.Years {
		s, c := 0.0, 0
		for _, x := range yr.Scores[res.Root] {
			if !x.IsMissing() {
				s += float64(x)
				c++
			}
		}
		meanData[i] = round1(s / float64(max(c, 1)))
	}
	for u, c := range res.Units {
		if !covered[c] {
			continue
		}
		var data []any
		for _, yr := range res.Years {
			data = append(data, round1(float64(yr.Scores[res.Root][u])))
		}
		name := unitName(units, c, lang)
		names = append(names, name)
		series = append(series, map[string]any{"name": name, "type": "line", "data": data, "symbolSize": 4})
	}
	avg := tr(lang, "全省平均", "Provincial mean")
	names = append(names, avg)
	series = append(series, map[string]any{"name": avg, "type": "line", "data": meanData, "lineStyle": map[string]any{"width": 4, "type": "dashed"}})
	return map[string]any{
		"title":   map[string]any{"text": tr(lang, "信息化发展指数趋势", "Informatization development index over time"), "left": "center", "textStyle": map[string]any{"fontSize": 14}},
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"type": "scroll", "bottom": 0, "data": names},
		"grid":    map[string]any{"left": 45, "right": 20, "top": 40, "bottom": 60},
		"xAxis":   map[string]any{"type": "category", "data": years},
		"yAxis":   map[string]any{"type": "value", "name": tr(lang, "指数", "Index")},
		"series":  series,
	}
}
