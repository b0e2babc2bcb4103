package reporting

import (
	"context"
	"fmt"
	"math"
	"strconv"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/progress"
	"zhihui/internal/store"
)

// Goal is the value a target asks for in one year at one unit.
type Goal struct {
	Year    int     `json:"year"`
	Value   float64 `json:"value"`
	Display string  `json:"display"`
	// Proxy is set when the plan states the goal in words and the value is
	// the measurable reading this system uses for it (Basis says which).
	Proxy bool `json:"proxy,omitempty"`
	// Scaled is set when a provincial total was split to the unit by its
	// share of the provincial baseline.
	Scaled bool      `json:"scaled,omitempty"`
	Basis  i18n.Text `json:"basis,omitempty"`
}

// TargetProgress is one target at one unit: the measured series, the
// goal assessed, status and forecasts.
type TargetProgress struct {
	Target     plan.Target         `json:"target"`
	Unit       orgunit.Unit        `json:"unit"`
	Series     []progress.Point    `json:"series"`
	Base       *progress.Point     `json:"base,omitempty"`
	Goal       *Goal               `json:"goal,omitempty"`
	Goals      []Goal              `json:"goals,omitempty"`
	Assessment progress.Assessment `json:"assessment"`
	Forecast   map[string]float64  `json:"forecast,omitempty"` // "2015", "2020"
	MetYear    *float64            `json:"met_year,omitempty"`
	Percent    float64             `json:"percent"`
	Measure    string              `json:"measure_unit"`
	Published  bool                `json:"published"`
	Status     progress.Status     `json:"status"`
	StatusName i18n.Text           `json:"status_name"`
	// Sources names, per year, the published source of a real figure in
	// the series (the rest is entered or demo data).
	Sources map[string]string `json:"sources,omitempty"`
}

// proxies turn the plan's qualitative goals into readings of their
// indicators, from the unit's baseline value.
var proxies = map[string]func(base float64) (float64, i18n.Text){
	"INFO_LEVEL_RANK": func(b float64) (float64, i18n.Text) {
		return math.Max(1, b-3), i18n.Text{Zh: "“明显前移”按较基期前移 3 位计", En: "“moved clearly up” read as 3 places above the baseline"}
	},
	"FTTH_URBAN": func(float64) (float64, i18n.Text) {
		return 95, i18n.Text{Zh: "“基本实现”按覆盖率 95% 计", En: "“essentially achieved” read as 95% coverage"}
	},
	"BB_RURAL_VILLAGE": func(float64) (float64, i18n.Text) {
		return 95, i18n.Text{Zh: "“基本实现”按通达率 95% 计", En: "“essentially achieved” read as 95% of villages"}
	},
	"TWO_INTEGRATION_STAGE": func(b float64) (float64, i18n.Text) {
		return b + 10, i18n.Text{Zh: "“阶段性成果”按指数较基期提高 10 计", En: "“interim results” read as the index 10 points above the baseline"}
	},
	"INFO_SERVICE_SHARE": func(b float64) (float64, i18n.Text) {
		return b + 2, i18n.Text{Zh: "“显著提高”按比重较基期提高 2 个百分点计", En: "“clearly higher” read as 2 percentage points above the baseline"}
	},
	"INFO_LEVEL_NATIONAL": func(float64) (float64, i18n.Text) {
		return 100, i18n.Text{Zh: "与全国平均之比不低于 100", En: "at least 100% of the national average"}
	},
	"NG_MOBILE_COMMERCIAL": func(float64) (float64, i18n.Text) {
		return 50, i18n.Text{Zh: "“规模商用”按 4G 用户占比 50% 计", En: "“large-scale commercial use” read as a 50% 4G share"}
	},
	"IPV6_COMMERCIAL": func(float64) (float64, i18n.Text) {
		return 50, i18n.Text{Zh: "“规模商用”按 IPv6 活跃用户占比 50% 计（参照国家 IPv6 规模部署行动计划 2020 年目标）", En: "“large-scale commercial use” read as 50% active IPv6 users (the national IPv6 deployment plan's 2020 goal)"}
	},
}

// ProgressQuery asks for the progress of every target at some units.
type ProgressQuery struct {
	Units    []string // org unit codes; default the province
	FromYear int      // default 2013
	ToYear   int      // default 2020
	// PublishedOnly keeps the targets whose indicator is published.
	PublishedOnly bool
	// Targets limits the targets (codes); all when empty.
	Targets []string
}

// Progress reads the targets' indicators through monitor.Analytics and
// assesses each target at each unit: status against the straight path
// from the baseline (the FromYear value, else the earliest) to the goal,
// the trend forecast for 2015 and 2020 and the year the goal is met.
func Progress(ctx context.Context, db *store.DB, q ProgressQuery) ([]TargetProgress, error) {
	if len(q.Units) == 0 {
		q.Units = []string{orgunit.Root}
	}
	if q.FromYear == 0 {
		q.FromYear = 2013
	}
	if q.ToYear == 0 {
		q.ToYear = 2020
	}
	pl := plan.Default()
	els, err := elementIndex(ctx, db)
	if err != nil {
		return nil, err
	}
	inds, err := monitor.Indicators(ctx, db)
	if err != nil {
		return nil, err
	}
	pubInd := map[string]bool{}
	known := map[string]bool{}
	for _, i := range inds {
		pubInd[i.Code] = i.Published
		known[i.Code] = true
	}
	for c, e := range els {
		pubInd[c] = e.Published
		known[c] = e.Numeric()
	}
	want := map[string]bool{}
	for _, c := range q.Targets {
		want[c] = true
	}
	var targets []plan.Target
	var dx []string
	seen := map[string]bool{}
	for _, t := range pl.Targets() {
		if len(want) > 0 && !want[t.Code] {
			continue
		}
		if !known[t.Indicator] || (q.PublishedOnly && !pubInd[t.Indicator]) {
			continue
		}
		targets = append(targets, t)
		if !seen[t.Indicator] {
			seen[t.Indicator] = true
			dx = append(dx, t.Indicator)
		}
	}
	if len(dx) == 0 {
		return nil, nil
	}
	var pe []string
	for y := q.FromYear; y <= q.ToYear; y++ {
		pe = append(pe, strconv.Itoa(y))
	}
	ous := append([]string{orgunit.Root}, q.Units...)
	res, err := monitor.Analytics(ctx, db, monitor.Query{DX: dx, PE: pe, OU: ous, PublishedOnly: q.PublishedOnly})
	if err != nil {
		return nil, err
	}
	units, err := orgunit.GetMany(ctx, db, q.Units)
	if err != nil {
		return nil, err
	}
	byCode := map[string]orgunit.Unit{}
	for _, u := range units {
		byCode[u.Code] = u
	}
	series := func(dxc, ou string) []progress.Point {
		var out []progress.Point
		for y := q.FromYear; y <= q.ToYear; y++ {
			if v, ok := res.Get(dxc, strconv.Itoa(y), ou); ok {
				out = append(out, progress.Point{Year: float64(y), Value: v})
			}
		}
		return out
	}
	var out []TargetProgress
	for _, code := range q.Units {
		u, ok := byCode[code]
		if !ok {
			return nil, i18n.Errorf("未知的组织机构 %q", "unknown org unit %q", code)
		}
		for _, t := range targets {
			tp := TargetProgress{Target: t, Unit: u, Series: series(t.Indicator, u.Code), Published: pubInd[t.Indicator], Measure: t.Unit}
			if tp.Measure == "" {
				if e, ok := els[t.Indicator]; ok {
					tp.Measure = e.Unit
				} else {
					for _, i := range inds {
						if i.Code == t.Indicator {
							tp.Measure = i.Unit
						}
					}
				}
			}
			additive := false
			if e, ok := els[t.Indicator]; ok && e.Aggregation == monitor.Sum {
				additive = true
			}
			var provBase *progress.Point
			if ps := series(t.Indicator, orgunit.Root); len(ps) > 0 {
				provBase = baseOf(ps, q.FromYear)
			}
			assess(&tp, q.FromYear, additive && u.Code != orgunit.Root, provBase)
			if _, isEl := els[t.Indicator]; isEl && len(tp.Series) > 0 {
				if tp.Sources, err = sources(ctx, db, t.Indicator, u.Code, pe); err != nil {
					return nil, err
				}
			}
			out = append(out, tp)
		}
	}
	return out, nil
}

func baseOf(ps []progress.Point, from int) *progress.Point {
	for _, p := range ps {
		if int(p.Year) == from {
			b := p
			return &b
		}
	}
	b := ps[0]
	return &b
}

// assess fills tp's goals, assessment and forecasts.
func assess(tp *TargetProgress, from int, scale bool, provBase *progress.Point) {
	t := tp.Target
	lower := t.Direction == plan.Lower
	if len(tp.Series) > 0 {
		tp.Base = baseOf(tp.Series, from)
	}
	for _, v := range t.Values {
		g := Goal{Year: v.Year, Display: v.Words()}
		switch {
		case v.Value != nil:
			g.Value = *v.Value
		case proxies[t.Code] != nil && tp.Base != nil:
			g.Value, g.Basis = proxies[t.Code](tp.Base.Value)
			g.Proxy = true
		default:
			continue
		}
		if scale && !g.Proxy {
			if tp.Base == nil || provBase == nil || provBase.Value == 0 {
				continue
			}
			g.Value = g.Value * tp.Base.Value / provBase.Value
			g.Scaled = true
			g.Basis = i18n.Text{Zh: "按基期占全省比重分解", En: "split by the unit's share of the provincial baseline"}
			g.Display = fmt.Sprintf("%.1f", g.Value)
		}
		tp.Goals = append(tp.Goals, g)
	}
	tp.Status = progress.NoData
	if len(tp.Series) == 0 || len(tp.Goals) == 0 || tp.Base == nil {
		tp.StatusName = progress.StatusNames[tp.Status]
		return
	}
	last := tp.Series[len(tp.Series)-1]
	goal := tp.Goals[len(tp.Goals)-1]
	for _, g := range tp.Goals {
		if float64(g.Year) >= last.Year {
			goal = g
			break
		}
	}
	tp.Goal = &goal
	var upto []progress.Point
	for _, p := range tp.Series {
		if p.Year <= float64(goal.Year) {
			upto = append(upto, p)
		}
	}
	target := progress.Target{BaseYear: tp.Base.Year, Base: tp.Base.Value, Year: float64(goal.Year), Value: goal.Value, Lower: lower}
	tp.Assessment = progress.Assess(upto, target)
	tp.Status = tp.Assessment.Status
	tp.StatusName = progress.StatusNames[tp.Status]
	tp.Percent = math.Max(0, math.Min(999, tp.Assessment.Completion*100))
	// Forecasts come from the whole series' trend.
	full := progress.Assess(tp.Series, target)
	if full.Trend != nil {
		tp.Forecast = map[string]float64{"2015": full.Trend.At(2015), "2020": full.Trend.At(2020)}
		tp.MetYear = full.Trend.MetYear
	}
}

// Badge is the CSS class of a status.
func Badge(s progress.Status) string {
	switch s {
	case progress.Met, progress.OnTrack:
		return "badge-ok"
	case progress.Warning:
		return "badge-warn"
	case progress.Behind:
		return "badge-late"
	}
	return "badge-muted"
}

// sources returns the comments of published figures (those that name a
// source, not demo values) of element at unit in the periods.
func sources(ctx context.Context, db *store.DB, element, unit string, pes []string) (map[string]string, error) {
	vals, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: []string{element}, OrgUnits: []string{unit}, Periods: pes})
	if err != nil {
		return nil, err
	}
	var out map[string]string
	for _, v := range vals {
		if v.Comment == "" || v.Comment == DemoComment {
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[v.Period] = v.Comment
	}
	return out, nil
}
