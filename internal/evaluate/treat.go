package evaluate

import (
	"math"
	"sort"
)

// Skewness returns the sample skewness G1 (type 2, as SAS and Excel; COINr
// uses the same) of the non-missing values; NaN if fewer than 3 values or
// no spread.
func Skewness(x []float64) float64 {
	n, m2, m3, _ := moments(x)
	if n < 3 || m2 <= 0 {
		return math.NaN()
	}
	g1 := m3 / math.Pow(m2, 1.5)
	return g1 * math.Sqrt(n*(n-1)) / (n - 2)
}

// Kurtosis returns the sample excess kurtosis G2 (type 2) of the
// non-missing values; NaN if fewer than 4 values or no spread.
func Kurtosis(x []float64) float64 {
	n, m2, _, m4 := moments(x)
	if n < 4 || m2 <= 0 {
		return math.NaN()
	}
	g2 := m4/(m2*m2) - 3
	return ((n+1)*g2 + 6) * (n - 1) / ((n - 2) * (n - 3))
}

func moments(x []float64) (n, m2, m3, m4 float64) {
	mean := 0.0
	for _, v := range x {
		if !math.IsNaN(v) {
			mean += v
			n++
		}
	}
	if n == 0 {
		return
	}
	mean /= n
	for _, v := range x {
		if !math.IsNaN(v) {
			d := v - mean
			d2 := d * d
			m2 += d2
			m3 += d2 * d
			m4 += d2 * d2
		}
	}
	return n, m2 / n, m3 / n, m4 / n
}

// IsOutlying applies COINr's rule: an indicator needs treatment when
// |skewness| > 2 and kurtosis > 3.5.
func IsOutlying(skew, kurt float64) bool {
	return math.Abs(skew) > 2 && kurt > 3.5
}

// OutlierReport says what outlier treatment did to one indicator in one year.
type OutlierReport struct {
	Indicator  string `json:"indicator"`
	Year       int    `json:"year"`
	SkewBefore Value  `json:"skew_before"`
	KurtBefore Value  `json:"kurt_before"`
	SkewAfter  Value  `json:"skew_after"`
	KurtAfter  Value  `json:"kurt_after"`
	// Action: "none" (rule not met), "winsorised", "log", "unresolved"
	// (rule still met after winsor_max points and a log transform was not
	// allowed because the normalisation uses fixed raw-unit values).
	Action     string   `json:"action"`
	Winsorised []string `json:"winsorised,omitempty"` // units whose value was capped
}

// treatOutliers applies the treatment in place on x (one indicator, one
// year) and reports. Winsorising (COINr's default): while the rule holds
// and fewer than winMax points were changed, the most extreme value on the
// side of the skew is set to the next value inward. If the rule still holds,
// the values are restored and, when allowLog, log-transformed instead:
// positive skew x' = log10(x − min + (max − min)/100), negative skew
// x' = −log10(max − x + (max − min)/100), which keeps the direction.
func treatOutliers(x []float64, method string, winMax int, allowLog bool, units []string) OutlierReport {
	rep := OutlierReport{Action: "none"}
	sk, ku := Skewness(x), Kurtosis(x)
	rep.SkewBefore, rep.KurtBefore = Value(sk), Value(ku)
	rep.SkewAfter, rep.KurtAfter = rep.SkewBefore, rep.KurtBefore
	if method == OutlierNone || !IsOutlying(sk, ku) {
		return rep
	}
	if method == OutlierWinsorise {
		orig := append([]float64(nil), x...)
		var order []int
		for i, v := range x {
			if !math.IsNaN(v) {
				order = append(order, i)
			}
		}
		sort.SliceStable(order, func(a, b int) bool { return x[order[a]] < x[order[b]] })
		lo, hi := 0, len(order)-1
		var changed []string
		for len(changed) < winMax && IsOutlying(sk, ku) && hi-lo >= 2 {
			if sk > 0 {
				// cap every point at the top run down to the next distinct value
				x[order[hi]] = x[order[hi-1]]
				changed = append(changed, units[order[hi]])
				hi--
			} else {
				x[order[lo]] = x[order[lo+1]]
				changed = append(changed, units[order[lo]])
				lo++
			}
			sk, ku = Skewness(x), Kurtosis(x)
		}
		if !IsOutlying(sk, ku) {
			rep.Action = "winsorised"
			rep.Winsorised = changed
			rep.SkewAfter, rep.KurtAfter = Value(sk), Value(ku)
			return rep
		}
		copy(x, orig)
		sk, ku = Skewness(x), Kurtosis(x)
	}
	if !allowLog {
		rep.Action = "unresolved"
		return rep
	}
	mn, mx := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if !math.IsNaN(v) {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
	}
	off := (mx - mn) / 100
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		if sk > 0 {
			x[i] = math.Log10(v - mn + off)
		} else {
			x[i] = -math.Log10(mx - v + off)
		}
	}
	rep.Action = "log"
	rep.SkewAfter, rep.KurtAfter = Value(Skewness(x)), Value(Kurtosis(x))
	return rep
}

// Imputation records one imputed value.
type Imputation struct {
	Unit      string `json:"unit"`
	Year      int    `json:"year"`
	Indicator string `json:"indicator"`
	Value     Value  `json:"value"`
	Method    string `json:"method"` // "group_mean" or "mean" (group had no data)
	Group     string `json:"group,omitempty"`
}

// imputeGroupMean fills NaN in x with the mean of the same group in x, or of
// all units if the group has no value.
func imputeGroupMean(x []float64, units []string, groups map[string]string, year int, ind string) []Imputation {
	sum := map[string]float64{}
	cnt := map[string]int{}
	all, n := 0.0, 0
	for i, v := range x {
		if math.IsNaN(v) {
			continue
		}
		g := groups[units[i]]
		sum[g] += v
		cnt[g]++
		all += v
		n++
	}
	var out []Imputation
	for i, v := range x {
		if !math.IsNaN(v) {
			continue
		}
		g := groups[units[i]]
		if g != "" && cnt[g] > 0 {
			x[i] = sum[g] / float64(cnt[g])
			out = append(out, Imputation{units[i], year, ind, Value(x[i]), "group_mean", g})
		} else if n > 0 {
			x[i] = all / float64(n)
			out = append(out, Imputation{units[i], year, ind, Value(x[i]), "mean", g})
		}
	}
	return out
}
