package evaluate

import (
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/dashboard"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/web/kit"
)

// regionView is the regional two-integration page and the city
// informatization page.
type regionView struct {
	Framework i18n.Text
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
	// Data choice: Source is "monitor" (monitoring data, the dataset
	// filling the rest) or a stored dataset id.
	Source       string
	Datasets     []evalstore.DatasetInfo
	HasMonitor   bool  // the framework has monitoring-sourced indicators
	MonitorYears []int // years in which monitoring covers them for every unit shown
	From         []sourceRow
	Synthetic    bool      // synthetic figures went into the index
	Rank         *infoRank // the province's national rank (informatization page)
	// Verdict is the plan target at the province as the dashboard gives
	// it (informatization page).
	Verdict *dashboard.Card
}

// sourceRow says where one indicator's figures came from.
type sourceRow struct {
	ID   string
	Name i18n.Text
	Code string // monitoring code, if the indicator has one
	From string // evalstore.FromMonitor, FromDataset, FromBoth, FromNone
}

// regionRun runs a built-in framework on the data the caller chose —
// monitoring data (merged with the level's default dataset, see
// evalstore.DefaultDataset, for the indicators monitoring lacks) or a
// stored dataset — scopes it and fills
// the common parts of the view. Monitoring data are the default when they
// cover the framework's monitoring-sourced indicators for every visible
// unit in the chosen (or latest) year. A nil result with a nil error
// means there are no data yet (the page says so).
func (h handlers) regionRun(r *http.Request, framework string, v *regionView) (*evaluate.Result, map[string]orgunit.Unit, error) {
	ctx := r.Context()
	fw, err := evaluate.Builtin(framework)
	if err != nil {
		return nil, nil, err
	}
	v.Framework = fw.Name
	if v.Datasets, err = evalstore.Datasets(ctx, h.k.DB); err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	v.Source = q.Get("src")
	wantYear, _ := strconv.Atoi(q.Get("year"))
	p := kit.Principal(r)
	cities, counties, err := evalstore.Regions()
	if err != nil {
		return nil, nil, err
	}
	level := cities
	if v.Level == "county" {
		level = counties
	}
	var levelCodes []string
	for _, u := range level {
		levelCodes = append(levelCodes, u.Code)
	}
	var info evalstore.DatasetInfo
	haveInfo := false
	if id, err := strconv.ParseInt(v.Source, 10, 64); err == nil {
		if info, err = evalstore.GetDataset(ctx, h.k.DB, id); err != nil {
			if errors.Is(err, evalstore.ErrNotFound) {
				err = i18n.Errorf("没有编号为 %d 的数据集", "no dataset %d", id).OnField("src")
			}
			return nil, nil, err
		}
		haveInfo = true
	} else if v.Source != "" && v.Source != evalstore.FromMonitor {
		return nil, nil, i18n.Errorf("未知的数据来源 %q", "unknown data source %q", v.Source).OnField("src")
	} else {
		info, err = evalstore.DefaultDataset(ctx, h.k.DB, fw, levelCodes, v.Datasets)
		switch {
		case err == nil:
			haveInfo = true
		case !errors.Is(err, evalstore.ErrNotFound):
			return nil, nil, err
		}
	}
	// Monitoring figures of the level's units the caller may see, filled
	// in by the chosen (or default) dataset; or the dataset alone.
	in := evalstore.RunInput{Framework: fw, Year: wantYear, Scopes: p.Scopes(indexRoles...)}
	switch {
	case v.Source == evalstore.FromMonitor:
		in.Source = evalstore.FromMonitor
	case v.Source != "":
		in.Source = evalstore.FromDataset
	}
	if haveInfo {
		in.Dataset = evalstore.Stored{DB: h.k.DB, ID: info.ID}
	}
	in.Units = levelCodes
	run, err := evalstore.ResolveRun(ctx, h.k.DB, in)
	if errors.Is(err, evalstore.ErrNoData) {
		return nil, nil, nil // no data yet: the page says so
	}
	if err != nil {
		return nil, nil, err
	}
	v.HasMonitor = len(evalstore.MonitorCodes(fw)) > 0
	v.MonitorYears = run.MonitorYears
	if wantYear == 0 && run.Source == evalstore.FromMonitor && v.Source == "" && len(run.MonitorYears) > 0 {
		wantYear = run.MonitorYears[0]
	}
	d := run.Data
	if run.Source == evalstore.FromMonitor {
		v.Source = evalstore.FromMonitor
		if haveInfo {
			v.Dataset = info
		}
		for i := range fw.Indicators {
			in := &fw.Indicators[i]
			from := run.From[in.ID]
			if haveInfo && info.Synthetic && (from == evalstore.FromDataset || from == evalstore.FromBoth) {
				v.Synthetic = true
			}
			v.From = append(v.From, sourceRow{ID: in.ID, Name: in.Name, Code: in.MonitorCode(), From: from})
		}
	} else {
		// The index is computed over every unit of the dataset so that
		// ranks are provincial ranks; the caller sees the rows of its own
		// units.
		v.Source = strconv.FormatInt(info.ID, 10)
		v.Dataset, v.Synthetic = info, info.Synthetic
	}
	if len(d.Units) == 0 || len(d.Years) == 0 {
		return nil, nil, nil
	}
	units, err := h.unitIndex(ctx, d.Units)
	if err != nil {
		return nil, nil, err
	}
	covered := map[string]bool{}
	for _, c := range d.Units {
		u, ok := units[c]
		covered[c] = !ok || p.Covers(u.Path, indexRoles...)
		if !covered[c] {
			v.Dropped++
		}
	}
	if v.Dropped == len(d.Units) {
		return nil, nil, kit.ErrOutside
	}
	v.Years = d.Years
	res, err := evaluate.Run(fw, d, evaluate.Options{})
	if err != nil {
		return nil, nil, err
	}
	v.HasData = true
	v.Year = wantYear
	if !slices.Contains(d.Years, v.Year) {
		v.Year = d.Years[len(d.Years)-1]
	}
	v.Subs = subNodes(res)
	for _, row := range ranking(res, v.Year, units, kit.Lang(r)) {
		if covered[row.Unit] {
			v.Rows = append(v.Rows, row)
		}
	}
	v.covered = covered
	// ?unit= picks the unit of the radar chart; it must be in scope.
	v.Unit = q.Get("unit")
	if v.Unit != "" && !covered[v.Unit] {
		if u, err := orgunit.Get(ctx, h.k.DB, v.Unit); err == nil && !p.Covers(u.Path, indexRoles...) {
			return nil, nil, kit.ErrOutside
		}
		v.Unit = ""
	}
	if v.Unit == "" && len(v.Rows) > 0 {
		v.Unit = v.Rows[0].Unit
	}
	v.UnitName = unitName(units, v.Unit, kit.Lang(r))
	v.Radar = radarChart(res, v.Year, v.Unit, v.UnitName, kit.Lang(r))
	return res, units, nil
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
func (h handlers) evalRegional(w http.ResponseWriter, r *http.Request) error {
	v := regionView{Level: "city"}
	if r.URL.Query().Get("level") == "county" {
		v.Level = "county"
	}
	if _, _, err := h.regionRun(r, "two-integration-region", &v); err != nil {
		return err
	}
	title := kit.T(r, "evaluate.regional")
	if v.HasData {
		v.Map = mapSpec(v.Rows, v.Level == "county", title+" "+strconv.Itoa(v.Year), kit.T(r, "evaluate.points"))
	}
	return h.k.Render(w, r, h.pages, "regional", http.StatusOK, kit.View{Title: title, Nav: "evaluate", Data: &v})
}

// infoRankTarget is the plan target the informatization page reports on:
// the §2.3 goal that the province moves up the national ranking.
const infoRankTarget = "INFO_LEVEL_RANK"

// evalInformatization: GET /evaluate/informatization?year=&unit= — the
// city informatization development index year by year.
func (h handlers) evalInformatization(w http.ResponseWriter, r *http.Request) error {
	v := regionView{Level: "city"}
	if t, ok := plan.Default().Target(infoRankTarget); ok {
		v.Target = &t
		v.Rank = h.provinceRank(r, t.Indicator)
		verdict, err := dashboard.Verdict(r.Context(), h.k.DB, t.Code, "", kit.Principal(r), kit.Lang(r))
		if err != nil {
			return err
		}
		v.Verdict = verdict
	}
	res, units, err := h.regionRun(r, "city-informatization", &v)
	if err != nil {
		return err
	}
	title := kit.T(r, "evaluate.informatization")
	if v.HasData {
		v.Trend = trendChart(res, units, v.covered, kit.Lang(r))
		v.Map = mapSpec(v.Rows, false, title+" "+strconv.Itoa(v.Year), kit.T(r, "evaluate.points"))
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
	return h.k.Render(w, r, h.pages, "informatization", http.StatusOK, kit.View{Title: title, Nav: "evaluate", Data: &v})
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

// infoRank is the province's national rank on the informatization
// development index, read from monitoring, against the plan's base year.
type infoRank struct {
	Code   string
	Years  []rankYear // oldest first
	Base   *rankYear  // the plan's base year, when monitoring has it
	Latest *rankYear
	Moved  int // Base.Rank − Latest.Rank: positive = moved up
}

type rankYear struct {
	Year int
	Rank int
}

// rankBaseYear is the base year of the 2013 plan's rank goal.
const rankBaseYear = 2012

// provinceRank reads the yearly national rank of the province (41) from
// monitoring. The figure is provincial; a caller whose scope does not
// include the province sees it only when it is published, as the
// monitoring API would show it. nil when monitoring has no figure.
func (h handlers) provinceRank(r *http.Request, code string) *infoRank {
	var pe []string
	for y := rankBaseYear; y <= time.Now().In(period.Shanghai).Year(); y++ {
		pe = append(pe, strconv.Itoa(y))
	}
	q := monitor.Query{DX: []string{code}, PE: pe, OU: []string{"41"}, Scopes: kit.Principal(r).Scopes(indexRoles...)}
	res, err := monitor.Analytics(r.Context(), h.k.DB, q)
	if errors.Is(err, monitor.ErrForbidden) {
		q.Scopes, q.PublishedOnly = nil, true
		res, err = monitor.Analytics(r.Context(), h.k.DB, q)
	}
	if err != nil {
		if !errors.Is(err, monitor.ErrForbidden) {
			h.k.Log.Warn("evaluate: province rank from monitoring", "code", code, "err", err)
		}
		return nil
	}
	out := &infoRank{Code: code}
	for _, row := range res.Rows {
		y, err := strconv.Atoi(row.PE)
		if err != nil || row.OU != "41" {
			continue
		}
		out.Years = append(out.Years, rankYear{Year: y, Rank: int(math.Round(row.Value))})
	}
	if len(out.Years) == 0 {
		return nil
	}
	slices.SortFunc(out.Years, func(a, b rankYear) int { return a.Year - b.Year })
	out.Latest = &out.Years[len(out.Years)-1]
	if out.Years[0].Year == rankBaseYear {
		out.Base = &out.Years[0]
		out.Moved = out.Base.Rank - out.Latest.Rank
	}
	return out
}
