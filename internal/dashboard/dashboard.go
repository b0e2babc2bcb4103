// Package dashboard assembles what the monitoring dashboard and the public
// progress page show for a unit: the target cards, the selectable data,
// the map, ranking and trend of one element or indicator, and one target
// across the unit's regions. It reads through the monitoring and reporting
// packages' exported functions; the web handlers only parse the request
// and render.
package dashboard

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/ecstat"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/progress"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
)

// Query says which dashboard to build.
type Query struct {
	Unit   string // org unit code: the province or a city ("" is the province)
	DX     string // element or indicator code ("" picks one)
	Year   int    // year of the map and ranking (0 or a year without figures picks one)
	Target string // target shown across the regions ("" is the first card's)
	Lang   string
	// Caller sees unpublished figures for the units it holds a role over;
	// PublishedOnly limits the dashboard to published figures everywhere
	// (the public page).
	Caller        *auth.Principal
	PublishedOnly bool
	// Now bounds the years offered (zero: the current time).
	Now time.Time
}

// FirstYear is the first year the dashboard offers: the base year of the
// 2013 plan.
const FirstYear = 2012

// Card is one target on the dashboard.
type Card struct {
	reporting.TargetProgress
	Badge     string
	Spark     map[string]any
	RealNote  string
	GoalBasis string
	// Survey is the latest sample-survey estimate of the target at the
	// card's unit, shown next to the published figures (nil: none).
	Survey *SurveyFigure
}

// SurveyFigure is a sample-survey estimate with its precision.
type SurveyFigure struct {
	Unit      string
	Year      int
	Value     float64
	CVPercent float64
	HasCV     bool
}

// surveyEstimates are the targets that a sample survey estimates: the
// target's code → the elements holding the estimate and its CV in percent
// (written by the e-commerce survey for the province, cities and counties).
var surveyEstimates = map[string][2]string{
	ecstat.PlanEcomElement: {ecstat.ElementEcom, ecstat.ElementEcomCV},
}

// addSurvey sets the survey estimate of every card that has one at unit:
// the unit's own published estimate (the survey writes one per province,
// city and county, not to be added up, so it is read as stored rather
// than through analytics, whose cells of a province or city with its
// cities' and counties' estimates below hold several values).
func addSurvey(ctx context.Context, db *store.DB, cards []Card, unit string, publishedOnly bool, now time.Time) error {
	var pes []string
	for y := FirstYear; y <= now.Year(); y++ {
		pes = append(pes, strconv.Itoa(y))
	}
	for i := range cards {
		els, ok := surveyEstimates[cards[i].Target.Code]
		if !ok {
			continue
		}
		shown := true
		for _, code := range els {
			e, err := monitor.GetElement(ctx, db, code)
			if errors.Is(err, monitor.ErrNotFound) {
				shown = false
				continue
			}
			if err != nil {
				return err
			}
			shown = shown && (e.Published || !publishedOnly)
		}
		if !shown {
			continue // the survey's elements are missing, or not public
		}
		vals, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: els[:], OrgUnits: []string{unit}, Periods: pes})
		if err != nil {
			return err
		}
		got := map[string]float64{}
		for _, v := range vals {
			if x, err := strconv.ParseFloat(v.Value.Value, 64); err == nil {
				got[v.DataElement+"|"+v.Period] = x
			}
		}
		for j := len(pes) - 1; j >= 0; j-- {
			if v, ok := got[els[0]+"|"+pes[j]]; ok {
				f := &SurveyFigure{Unit: "亿元", Year: FirstYear + j, Value: v}
				f.CVPercent, f.HasCV = got[els[1]+"|"+pes[j]]
				cards[i].Survey = f
				break
			}
		}
	}
	return nil
}

// Option is one selectable element or indicator.
type Option struct {
	Code, Name, Unit string
	Published        bool
}

// RegionValue is the figure of one region on the map.
type RegionValue struct {
	Unit  orgunit.Unit
	Value float64
	Has   bool
}

// View is an assembled dashboard.
type View struct {
	Unit    orgunit.Unit
	Parents []orgunit.Unit
	Cards   []Card
	Options []Option
	DX      string
	DXName  string
	DXUnit  string
	Year    int
	Years   []int
	Map     map[string]any
	Regions []RegionValue
	Trend   map[string]any
	Ranking map[string]any
	Target  string
	Targets []Card // progress of one target at each region
	Public  bool
	// Glance is the cards in order of risk (behind, warning, on track,
	// met, no data): the short list a phone shows before the map.
	Glance []Card
}

// Build assembles the dashboard q asks for.
func Build(ctx context.Context, db *store.DB, q Query) (*View, error) {
	lg := q.Lang
	publishedOnly := q.PublishedOnly
	code := q.Unit
	if code == "" {
		code = orgunit.Root
	}
	u, err := orgunit.Get(ctx, db, code)
	if err != nil || u.Level > 3 || u.Kind == orgunit.Department {
		return nil, i18n.Errorf("仪表盘只能查看全省、省辖市或县（市、区）", "the dashboard shows the province, a city or a county")
	}
	// Unpublished figures are shown only for units the caller is
	// responsible for (any role at the unit or above); everywhere else the
	// dashboard shows what the public sees.
	if !q.Caller.Covers(u.Path, auth.Roles...) {
		publishedOnly = true
	}
	v := &View{Unit: u, Public: publishedOnly}
	if u.Code != orgunit.Root {
		root, _ := orgunit.Get(ctx, db, orgunit.Root)
		v.Parents = []orgunit.Unit{root}
	}
	// Target cards at the unit.
	tps, err := reporting.Progress(ctx, db, reporting.ProgressQuery{Units: []string{u.Code}, PublishedOnly: publishedOnly})
	if err != nil {
		return nil, err
	}
	for _, tp := range tps {
		v.Cards = append(v.Cards, makeCard(tp, lg))
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := addSurvey(ctx, db, v.Cards, u.Code, publishedOnly, now.In(period.Shanghai)); err != nil {
		return nil, err
	}
	v.Glance = append([]Card(nil), v.Cards...)
	sort.SliceStable(v.Glance, func(i, j int) bool { return riskOrder[v.Glance[i].Status] < riskOrder[v.Glance[j].Status] })
	// Selectable data.
	els, err := monitor.Elements(ctx, db)
	if err != nil {
		return nil, err
	}
	inds, err := monitor.Indicators(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, i := range inds {
		if !publishedOnly || i.Published {
			v.Options = append(v.Options, Option{i.Code, i.DisplayName(lg), i.Unit, i.Published})
		}
	}
	for _, e := range els {
		if e.Numeric() && (!publishedOnly || e.Published) {
			v.Options = append(v.Options, Option{e.Code, e.DisplayName(lg), e.Unit, e.Published})
		}
	}
	v.DX = q.DX
	found := false
	for _, o := range v.Options {
		if o.Code == v.DX {
			found, v.DXName, v.DXUnit = true, o.Name, o.Unit
		}
	}
	// Regions: cities (济源 stands for 4190) or a city's counties.
	regions, err := mapRegions(ctx, db, u)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, x := range regions {
		codes = append(codes, x.Code)
	}
	if !found && len(v.Options) > 0 {
		// The first view shows the indicator whose regions differ most.
		if dx, year, err := pickVaried(ctx, db, v.Options, inds, codes, publishedOnly, q.Now); err != nil {
			return nil, err
		} else if dx != "" {
			v.DX = dx
			if q.Year == 0 {
				q.Year = year
			}
		}
		for _, o := range v.Options {
			if o.Code == v.DX {
				found, v.DXName, v.DXUnit = true, o.Name, o.Unit
			}
		}
	}
	if !found && len(v.Options) > 0 {
		v.DX = "BB_VILLAGE_RATE"
		for _, o := range v.Options {
			if o.Code == v.DX {
				found, v.DXName, v.DXUnit = true, o.Name, o.Unit
			}
		}
		if !found {
			v.DX, v.DXName, v.DXUnit = v.Options[0].Code, v.Options[0].Name, v.Options[0].Unit
		}
	}
	// Years: those with figures of the chosen data at the unit or its
	// regions; the one shown is the asked-for year when it has figures,
	// else the latest with figures at the regions (then at the unit).
	if err := v.pickYears(ctx, db, codes, q); err != nil {
		return nil, err
	}
	year := strconv.Itoa(v.Year)
	if len(codes) > 0 && v.DX != "" {
		res, err := monitor.Analytics(ctx, db, monitor.Query{DX: []string{v.DX}, PE: []string{year}, OU: codes, PublishedOnly: publishedOnly})
		if err != nil {
			return nil, err
		}
		var data []map[string]any
		for _, x := range regions {
			val, ok := res.Get(v.DX, year, x.Code)
			v.Regions = append(v.Regions, RegionValue{x, val, ok})
			if ok {
				data = append(data, map[string]any{"name": x.Name, "value": Round(val)})
			}
		}
		v.Map = map[string]any{"data": data, "title": v.DXName + " · " + year, "unit": v.DXUnit}
		if u.Code != orgunit.Root {
			v.Map["map"] = "henan-counties"
			v.Map["city"] = u.Code
		} else {
			v.Map["links"] = cityLinks(regions, "/dashboard?dx="+v.DX+"&year="+year+"&ou=")
		}
		if publishedOnly {
			delete(v.Map, "links")
		}
		if u.Level >= 3 {
			v.Map = nil // no township boundaries: the ranking lists them
		}
		ranked := append([]RegionValue(nil), v.Regions...)
		sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].Value > ranked[j].Value })
		var names []string
		var vals []float64
		for i := len(ranked) - 1; i >= 0; i-- {
			if ranked[i].Has {
				names = append(names, ranked[i].Unit.Name)
				vals = append(vals, Round(ranked[i].Value))
			}
		}
		v.Ranking = map[string]any{
			"grid":    map[string]any{"left": 90, "right": 24, "top": 24, "bottom": 24},
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "value", "name": v.DXUnit},
			"yAxis":   map[string]any{"type": "category", "data": names},
			"series":  []any{map[string]any{"type": "bar", "data": vals, "itemStyle": map[string]any{"color": "#0b5cad"}}},
		}
	}
	// Trend at the unit.
	if v.DX != "" {
		var pes []string
		for _, y := range v.Years {
			pes = append(pes, strconv.Itoa(y))
		}
		res, err := monitor.Analytics(ctx, db, monitor.Query{DX: []string{v.DX}, PE: pes, OU: []string{u.Code}, PublishedOnly: publishedOnly})
		if err != nil {
			return nil, err
		}
		var vals []any
		for _, p := range pes {
			if x, ok := res.Get(v.DX, p, u.Code); ok {
				vals = append(vals, Round(x))
			} else {
				vals = append(vals, nil)
			}
		}
		v.Trend = map[string]any{
			"grid":    map[string]any{"left": 56, "right": 24, "top": 32, "bottom": 32},
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "category", "data": pes},
			"yAxis":   map[string]any{"type": "value", "name": v.DXUnit, "scale": true},
			"series":  []any{map[string]any{"type": "line", "name": v.DXName, "data": vals, "connectNulls": true}},
		}
	}
	// One target across the regions.
	v.Target = q.Target
	if v.Target == "" && len(v.Cards) > 0 {
		v.Target = v.Cards[0].Target.Code
	}
	if v.Target != "" && len(codes) > 0 {
		rows, err := reporting.Progress(ctx, db, reporting.ProgressQuery{Units: codes, Targets: []string{v.Target}, PublishedOnly: publishedOnly})
		if err != nil {
			return nil, err
		}
		for _, tp := range rows {
			v.Targets = append(v.Targets, makeCard(tp, lg))
		}
	}
	return v, nil
}

// pickYears sets v.Years to the years from FirstYear to now that have
// figures of v.DX at the unit or its regions (all of them when none has),
// and v.Year to q.Year when it is one of them, else the latest with
// figures at the regions, else the latest with figures at the unit.
func (v *View) pickYears(ctx context.Context, db *store.DB, regions []string, q Query) error {
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	var all []string
	for y := FirstYear; y <= now.In(period.Shanghai).Year(); y++ {
		all = append(all, strconv.Itoa(y))
	}
	atUnit, atRegions := map[int]bool{}, map[int]bool{}
	if v.DX != "" {
		res, err := monitor.Analytics(ctx, db, monitor.Query{DX: []string{v.DX}, PE: all, OU: append([]string{v.Unit.Code}, regions...), PublishedOnly: v.Public})
		if err != nil {
			return err
		}
		for _, row := range res.Rows {
			y, err := strconv.Atoi(row.PE)
			if err != nil {
				continue
			}
			if row.OU == v.Unit.Code {
				atUnit[y] = true
			} else {
				atRegions[y] = true
			}
		}
	}
	for _, p := range all {
		y, _ := strconv.Atoi(p)
		if atUnit[y] || atRegions[y] {
			v.Years = append(v.Years, y)
		}
	}
	if len(v.Years) == 0 {
		for _, p := range all {
			y, _ := strconv.Atoi(p)
			v.Years = append(v.Years, y)
		}
	}
	switch {
	case slices.Contains(v.Years, q.Year):
		v.Year = q.Year
	case len(atRegions) > 0:
		v.Year = latest(atRegions)
	case len(atUnit) > 0:
		v.Year = latest(atUnit)
	default:
		v.Year = v.Years[len(v.Years)-1]
	}
	return nil
}

// riskOrder sorts targets most at risk first.
var riskOrder = map[progress.Status]int{progress.Behind: 0, progress.Warning: 1, progress.OnTrack: 2, progress.Met: 3, progress.NoData: 4}

// Verdict is one target at one unit exactly as the dashboard's card says
// it — the same figures (published only where the caller holds no role
// over the unit), baseline, goal and status. Every page that gives a
// target's verdict (the plan's target page, the informatization index
// page) takes it from here, so that they never disagree with the
// dashboard. nil when the target is unknown.
func Verdict(ctx context.Context, db *store.DB, target, unit string, caller *auth.Principal, lang string) (*Card, error) {
	if unit == "" {
		unit = orgunit.Root
	}
	u, err := orgunit.Get(ctx, db, unit)
	if err != nil {
		return nil, err
	}
	tps, err := reporting.Progress(ctx, db, reporting.ProgressQuery{Units: []string{u.Code}, Targets: []string{target}, PublishedOnly: !caller.Covers(u.Path, auth.Roles...)})
	if err != nil || len(tps) == 0 {
		return nil, err
	}
	c := makeCard(tps[0], lang)
	return &c, nil
}

// pickVaried chooses the data a dashboard opens on when none is asked
// for: among the indicators offered, the one whose regions differ most
// (coefficient of variation) in the latest year at least half of the
// regions have a figure, with that year. A figure that is the same
// everywhere (every city at 100 %) says nothing on a map. "" when no
// indicator has figures at the regions.
func pickVaried(ctx context.Context, db *store.DB, opts []Option, inds []monitor.Indicator, regions []string, publishedOnly bool, now time.Time) (string, int, error) {
	if len(regions) < 2 {
		return "", 0, nil
	}
	offered := map[string]bool{}
	for _, o := range opts {
		offered[o.Code] = true
	}
	var dx []string
	for _, i := range inds {
		if offered[i.Code] {
			dx = append(dx, i.Code)
		}
	}
	if len(dx) == 0 {
		return "", 0, nil
	}
	if now.IsZero() {
		now = time.Now()
	}
	var pes []string
	for y := FirstYear; y <= now.In(period.Shanghai).Year(); y++ {
		pes = append(pes, strconv.Itoa(y))
	}
	res, err := monitor.Analytics(ctx, db, monitor.Query{DX: dx, PE: pes, OU: regions, PublishedOnly: publishedOnly})
	if err != nil {
		return "", 0, err
	}
	type key struct {
		dx   string
		year int
	}
	vals := map[key][]float64{}
	for _, r := range res.Rows {
		y, err := strconv.Atoi(r.PE)
		if err != nil {
			continue
		}
		k := key{r.DX, y}
		vals[k] = append(vals[k], r.Value)
	}
	best, bestYear, bestCV := "", 0, 0.0
	for _, d := range dx {
		year := 0
		for k, v := range vals {
			if k.dx == d && 2*len(v) >= len(regions) && k.year > year {
				year = k.year
			}
		}
		if year == 0 {
			continue
		}
		if cv := variation(vals[key{d, year}]); cv > bestCV {
			best, bestYear, bestCV = d, year, cv
		}
	}
	return best, bestYear, nil
}

// variation is the coefficient of variation of v (0 when all are equal).
func variation(v []float64) float64 {
	if len(v) < 2 {
		return 0
	}
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / float64(len(v)))
	if sd < 1e-9 {
		return 0
	}
	return sd / math.Max(math.Abs(mean), 1e-9)
}

func latest(ys map[int]bool) int {
	best := 0
	for y := range ys {
		best = max(best, y)
	}
	return best
}

// Round rounds x to two decimals for display.
func Round(x float64) float64 {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// mapRegions lists the regions drawn for u: its cities (济源市 for the
// 省直辖 group) or, for a city, its counties.
func mapRegions(ctx context.Context, db *store.DB, u orgunit.Unit) ([]orgunit.Unit, error) {
	kids, err := orgunit.Children(ctx, db, u.Code)
	if err != nil {
		return nil, err
	}
	var out []orgunit.Unit
	for _, k := range kids {
		switch {
		case k.Kind == orgunit.Department:
		case k.Code == "4190":
			sub, err := orgunit.Children(ctx, db, k.Code)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		default:
			out = append(out, k)
		}
	}
	return out, nil
}

func cityLinks(us []orgunit.Unit, prefix string) map[string]string {
	m := map[string]string{}
	for _, u := range us {
		if u.Level == 2 {
			m[u.Name] = prefix + u.Code
		}
	}
	return m
}

func makeCard(tp reporting.TargetProgress, lg string) Card {
	c := Card{TargetProgress: tp, Badge: reporting.Badge(tp.Status)}
	var years []string
	var vals []float64
	for _, p := range tp.Series {
		years = append(years, strconv.Itoa(int(p.Year)))
		vals = append(vals, Round(p.Value))
	}
	series := []any{map[string]any{"type": "line", "data": vals, "symbol": "none", "lineStyle": map[string]any{"width": 2}, "color": "#0b5cad"}}
	if tp.Goal != nil && tp.Base != nil {
		series = append(series, map[string]any{"type": "line", "symbol": "none", "lineStyle": map[string]any{"type": "dashed", "width": 1}, "color": "#6b7785",
			"data": pathLine(years, tp.Base.Year, tp.Base.Value, float64(tp.Goal.Year), tp.Goal.Value)})
	}
	c.Spark = map[string]any{
		"grid":    map[string]any{"left": 2, "right": 2, "top": 6, "bottom": 2},
		"tooltip": map[string]any{"trigger": "axis"},
		"xAxis":   map[string]any{"type": "category", "show": false, "data": years},
		"yAxis":   map[string]any{"type": "value", "show": false, "scale": true},
		"series":  series,
	}
	if tp.Goal != nil && (tp.Goal.Proxy || tp.Goal.Scaled) {
		c.GoalBasis = tp.Goal.Basis.In(lg)
	}
	return c
}

// pathLine is the planned straight path at each year label.
func pathLine(years []string, by, bv, gy, gv float64) []float64 {
	out := make([]float64, len(years))
	for i, y := range years {
		f, _ := strconv.ParseFloat(y, 64)
		t := (f - by) / (gy - by)
		if gy == by {
			t = 1
		}
		t = max(0, min(1, t))
		out[i] = Round(bv + t*(gv-bv))
	}
	return out
}
