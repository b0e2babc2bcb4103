package reporting

import (
	"context"
	"math"
	"sort"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Outlier methods.
const (
	// ZScore flags a value far from the unit's own history: the robust
	// z-score 0.6745·(x − median)/MAD over the unit's values of the
	// element exceeds ZThreshold.
	ZScore = "zscore"
	// MinMax flags a value outside the range its peers (the same level,
	// the same period) make: below Q1 − 3·IQR or above Q3 + 3·IQR.
	MinMax = "minmax"
)

// ZThreshold is the robust z-score above which a value is an outlier
// (Iglewicz and Hoaglin's 3.5).
const ZThreshold = 3.5

// IQRFactor widens the peer range of the min–max check.
const IQRFactor = 3.0

// minHistory is the fewest values of a unit the z-score needs.
const minHistory = 5

// Outlier is one flagged value.
type Outlier struct {
	Element string  `json:"element"`
	OrgUnit string  `json:"org_unit"`
	Name    string  `json:"org_name"`
	Period  string  `json:"period"`
	Value   float64 `json:"value"`
	Method  string  `json:"method"`
	// Score is the robust z-score (zscore) or, for minmax, how many IQRs
	// the value lies beyond the nearer quartile.
	Score float64 `json:"score"`
	// Low and High are the accepted range the value fell outside.
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// OutlierQuery asks for outliers of one element among the units of one
// level under a root, over a period range.
type OutlierQuery struct {
	Element string
	Root    orgunit.Unit
	Level   int // 0: the level below Root
	From    period.Period
	To      period.Period
	Limit   int
}

// Median of v (v is reordered).
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// RobustZ returns the robust z-score of each value of xs against xs
// itself; nil when the MAD is zero (no spread to judge by) or there are
// fewer than minHistory values.
func RobustZ(xs []float64) []float64 {
	if len(xs) < minHistory {
		return nil
	}
	med := Median(append([]float64(nil), xs...))
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - med)
	}
	mad := Median(dev)
	if mad == 0 {
		return nil
	}
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = 0.6745 * (x - med) / mad
	}
	return out
}

// quartiles of v (v is reordered), by linear interpolation.
func quartiles(v []float64) (q1, q3 float64) {
	sort.Float64s(v)
	at := func(p float64) float64 {
		pos := p * float64(len(v)-1)
		i := int(pos)
		if i+1 >= len(v) {
			return v[len(v)-1]
		}
		f := pos - float64(i)
		return v[i]*(1-f) + v[i+1]*f
	}
	return at(0.25), at(0.75)
}

// Outliers finds the flagged values of q.Element. It reads raw values of
// the units at one level (the element's history per unit), which is what
// the check is about; it is bounded by monitor.MaxValues.
func Outliers(ctx context.Context, db *store.DB, q OutlierQuery) ([]Outlier, error) {
	e, err := monitor.GetElement(ctx, db, q.Element)
	if err != nil {
		return nil, i18n.Errorf("未知的数据元 %s", "unknown data element %s", q.Element)
	}
	if !e.Numeric() {
		return nil, i18n.Errorf("文本型数据元没有异常值检查", "text elements have no outlier check")
	}
	level := q.Level
	if level == 0 {
		level = q.Root.Level + 1
	}
	if level > 5 {
		level = 5
	}
	var pes []string
	if q.From.Valid() && q.To.Valid() {
		for _, p := range period.Range(q.From, q.To) {
			pes = append(pes, p.ID())
		}
	}
	vals, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: []string{e.Code}, OrgUnits: []string{q.Root.Code}, Children: true, Periods: pes})
	if err != nil {
		return nil, err
	}
	type pt struct {
		pe string
		v  float64
	}
	byUnit := map[string][]pt{}
	byPeriod := map[string][]float64{}
	for _, s := range vals {
		if unitLevel(s.OrgUnit) != level {
			continue
		}
		x, ok := monitor.ParseNumber(s.Value.Value)
		if !ok {
			continue
		}
		byUnit[s.OrgUnit] = append(byUnit[s.OrgUnit], pt{s.Period, x})
		byPeriod[s.Period] = append(byPeriod[s.Period], x)
	}
	var out []Outlier
	for ou, pts := range byUnit {
		xs := make([]float64, len(pts))
		for i, p := range pts {
			xs[i] = p.v
		}
		zs := RobustZ(xs)
		if zs == nil {
			continue
		}
		med := Median(append([]float64(nil), xs...))
		dev := make([]float64, len(xs))
		for i, x := range xs {
			dev[i] = math.Abs(x - med)
		}
		mad := Median(dev)
		w := ZThreshold * mad / 0.6745
		for i, z := range zs {
			if math.Abs(z) > ZThreshold {
				out = append(out, Outlier{Element: e.Code, OrgUnit: ou, Period: pts[i].pe, Value: pts[i].v, Method: ZScore, Score: z, Low: med - w, High: med + w})
			}
		}
	}
	fences := map[string][2]float64{}
	for pe, xs := range byPeriod {
		if len(xs) < 8 {
			continue
		}
		q1, q3 := quartiles(append([]float64(nil), xs...))
		iqr := q3 - q1
		if iqr == 0 {
			continue
		}
		fences[pe] = [2]float64{q1 - IQRFactor*iqr, q3 + IQRFactor*iqr}
	}
	for ou, pts := range byUnit {
		for _, p := range pts {
			f, ok := fences[p.pe]
			if !ok {
				continue
			}
			iqr := (f[1] - f[0]) / (1 + 2*IQRFactor)
			switch {
			case p.v > f[1]:
				out = append(out, Outlier{Element: e.Code, OrgUnit: ou, Period: p.pe, Value: p.v, Method: MinMax, Score: (p.v - (f[1] - IQRFactor*iqr)) / iqr, Low: f[0], High: f[1]})
			case p.v < f[0]:
				out = append(out, Outlier{Element: e.Code, OrgUnit: ou, Period: p.pe, Value: p.v, Method: MinMax, Score: -((f[0] + IQRFactor*iqr) - p.v) / iqr, Low: f[0], High: f[1]})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if math.Abs(out[i].Score) != math.Abs(out[j].Score) {
			return math.Abs(out[i].Score) > math.Abs(out[j].Score)
		}
		return out[i].OrgUnit+out[i].Period < out[j].OrgUnit+out[j].Period
	})
	limit := q.Limit
	if limit <= 0 {
		limit = 500
	}
	if len(out) > limit {
		out = out[:limit]
	}
	var codes []string
	for _, o := range out {
		codes = append(codes, o.OrgUnit)
	}
	us, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range us {
		names[u.Code] = u.Name
	}
	for i := range out {
		out[i].Name = names[out[i].OrgUnit]
	}
	return out, nil
}

// unitLevel is the level of a division code by its length (departments,
// "41D-…", count as level 2).
func unitLevel(code string) int {
	switch n := len(code); {
	case n == 2:
		return 1
	case n == 4 || (n > 3 && code[2] == 'D'):
		return 2
	case n == 6:
		return 3
	case n == 9:
		return 4
	case n == 12:
		return 5
	}
	return 0
}
