// Package progress judges how far a measured series has come towards a
// plan target: actual against the straight path from the baseline to the
// target, a status (正常 / 预警 / 滞后 / 已达成), and a trend forecast to the
// target years with the year the target is expected to be met.
package progress

import (
	"math"
	"sort"

	"zhihui/internal/i18n"
)

// Point is one observation: Year may be fractional (2015.5 is mid-2015).
type Point struct {
	Year  float64 `json:"year"`
	Value float64 `json:"value"`
}

// Target is a value to reach by a year, from a baseline.
type Target struct {
	BaseYear float64 `json:"base_year"`
	Base     float64 `json:"base"`
	Year     float64 `json:"year"`
	Value    float64 `json:"value"`
	// Lower is true when lower values are better.
	Lower bool `json:"lower,omitempty"`
}

// Status of a target.
type Status string

const (
	Met     Status = "met"      // 已达成
	OnTrack Status = "on_track" // 正常
	Warning Status = "warning"  // 预警
	Behind  Status = "behind"   // 滞后
	NoData  Status = "no_data"  // 无数据
)

// StatusNames in Chinese and English.
var StatusNames = map[Status]i18n.Text{
	Met:     {Zh: "已达成", En: "Met"},
	OnTrack: {Zh: "正常", En: "On track"},
	Warning: {Zh: "预警", En: "Warning"},
	Behind:  {Zh: "滞后", En: "Behind"},
	NoData:  {Zh: "无数据", En: "No data"},
}

// Thresholds on the share of the planned path covered: at least OnTrackAt
// is on track, at least WarningAt is a warning, less is behind.
const (
	OnTrackAt = 0.95
	WarningAt = 0.80
)

// Assessment is the verdict on one target.
type Assessment struct {
	Status     Status  `json:"status"`
	ActualYear float64 `json:"actual_year,omitempty"`
	Actual     float64 `json:"actual"`
	// Expected is the value on the straight path at ActualYear.
	Expected float64 `json:"expected"`
	// Completion is the share of the way from baseline to target that is
	// done: (actual − base) / (target − base); 1 means met.
	Completion float64 `json:"completion"`
	// PathShare is the share of the planned path covered so far:
	// (actual − base) / (expected − base).
	PathShare float64 `json:"path_share"`
	Trend     *Trend  `json:"trend,omitempty"`
}

// Trend is a robust straight-line fit (Theil–Sen) of the series.
type Trend struct {
	Slope     float64 `json:"slope"`
	Intercept float64 `json:"intercept"`
	// MetYear is when the trend reaches the target, nil when it never
	// does (flat or moving away).
	MetYear *float64 `json:"met_year,omitempty"`
	Points  int      `json:"points"`
}

// At is the trend's value in year y.
func (t *Trend) At(y float64) float64 { return t.Intercept + t.Slope*y }

// better reports whether a is at least as good as b for target t.
func (t Target) better(a, b float64) bool {
	if t.Lower {
		return a <= b
	}
	return a >= b
}

// Assess judges series against t. The series may be unsorted and may hold
// NaNs, which are ignored; the last observation is the actual.
func Assess(series []Point, t Target) Assessment {
	pts := clean(series)
	if len(pts) == 0 {
		return Assessment{Status: NoData}
	}
	last := pts[len(pts)-1]
	a := Assessment{ActualYear: last.Year, Actual: last.Value}
	a.Expected = pathAt(t, last.Year)
	span := t.Value - t.Base
	if span != 0 {
		a.Completion = (last.Value - t.Base) / span
	} else if t.better(last.Value, t.Value) {
		a.Completion = 1
	}
	if d := a.Expected - t.Base; d != 0 {
		a.PathShare = (last.Value - t.Base) / d
	} else {
		a.PathShare = 1 // no progress was due yet
	}
	switch {
	case t.better(last.Value, t.Value):
		a.Status = Met
	case a.PathShare >= OnTrackAt:
		a.Status = OnTrack
	case a.PathShare >= WarningAt:
		a.Status = Warning
	default:
		a.Status = Behind
	}
	if len(pts) >= 2 {
		a.Trend = fit(pts, t)
	}
	return a
}

// pathAt is the straight path from baseline to target, flat outside.
func pathAt(t Target, y float64) float64 {
	if t.Year == t.BaseYear {
		return t.Value
	}
	f := (y - t.BaseYear) / (t.Year - t.BaseYear)
	f = math.Max(0, math.Min(1, f))
	return t.Base + f*(t.Value-t.Base)
}

func clean(series []Point) []Point {
	out := make([]Point, 0, len(series))
	for _, p := range series {
		if !math.IsNaN(p.Value) && !math.IsInf(p.Value, 0) && !math.IsNaN(p.Year) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// fit is the Theil–Sen estimator: the median of pairwise slopes, robust to
// a wrong or outlying report, with the median intercept.
func fit(pts []Point, t Target) *Trend {
	var slopes []float64
	for i := range pts {
		for j := i + 1; j < len(pts); j++ {
			if dx := pts[j].Year - pts[i].Year; dx != 0 {
				slopes = append(slopes, (pts[j].Value-pts[i].Value)/dx)
			}
		}
	}
	if len(slopes) == 0 {
		return nil
	}
	m := median(slopes)
	ints := make([]float64, len(pts))
	for i, p := range pts {
		ints[i] = p.Value - m*p.Year
	}
	tr := &Trend{Slope: m, Intercept: median(ints), Points: len(pts)}
	last := pts[len(pts)-1]
	if t.better(last.Value, t.Value) {
		y := last.Year
		tr.MetYear = &y
	} else if m != 0 {
		y := (t.Value - tr.Intercept) / m
		// Only a trend moving towards the target meets it, and not in the past.
		if (m > 0) != t.Lower && y >= last.Year-1e-9 {
			tr.MetYear = &y
		}
	}
	return tr
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
