package evaluate

import (
	"cmp"
	"math"
	"slices"
	"sort"
)

// fixedScale reports whether a normalisation uses fixed raw-unit values
// (so a data-dependent log transform of the values would break it).
func fixedScale(m string) bool {
	return m == NormGoalpost || m == NormReference || m == NormTarget || m == NormCategorical
}

// normalise maps the treated values x (one indicator, one year; already
// per-capita and log-transformed if the indicator says so) into dst.
// lower says lower raw values are better; logT says x is log10 of the raw
// value, so raw-unit parameters are log-transformed too. refVal is the value
// of the reference unit when nm.RefUnit is set.
func normalise(dst, x []float64, nm *Normalisation, lower, logT bool, refVal float64) {
	tf := func(v float64) float64 {
		if logT {
			return math.Log10(v)
		}
		return v
	}
	capped := nm.Cap == nil || *nm.Cap
	switch nm.Method {
	case NormMinMax:
		mn, mx := span(x)
		for i, v := range x {
			switch {
			case math.IsNaN(v):
				dst[i] = math.NaN()
			case mx == mn:
				dst[i] = 1 // no spread: everyone is at the frontier (COINr gives NaN; we keep the unit)
			case lower:
				dst[i] = (mx - v) / (mx - mn)
			default:
				dst[i] = (v - mn) / (mx - mn)
			}
		}
	case NormZScore:
		mean, sd := meanSD(x)
		for i, v := range x {
			switch {
			case math.IsNaN(v):
				dst[i] = math.NaN()
			case sd == 0:
				dst[i] = 0
			case lower:
				dst[i] = (mean - v) / sd
			default:
				dst[i] = (v - mean) / sd
			}
		}
	case NormGoalpost:
		lo, hi := tf(*nm.Min), tf(*nm.Max)
		for i, v := range x {
			if math.IsNaN(v) {
				dst[i] = math.NaN()
				continue
			}
			z := (v - lo) / (hi - lo)
			if lower {
				z = 1 - z
			}
			dst[i] = clamp01(z)
		}
	case NormReference, NormTarget:
		var ref float64
		switch {
		case nm.Method == NormTarget:
			ref = tf(*nm.Target)
		case nm.RefUnit != "":
			ref = refVal
		default:
			ref = tf(*nm.Reference)
		}
		for i, v := range x {
			if math.IsNaN(v) || math.IsNaN(ref) || ref == 0 {
				dst[i] = math.NaN()
				continue
			}
			var z float64
			if lower {
				if v <= 0 {
					z = 1
				} else {
					z = ref / v
				}
			} else {
				z = v / ref
			}
			if z < 0 {
				z = 0
			}
			if capped && z > 1 {
				z = 1
			}
			dst[i] = z
		}
	case NormRank:
		rankFrac(dst, x, lower)
	case NormCategorical:
		mx := 0.0
		for _, s := range nm.Scores {
			mx = math.Max(mx, s)
		}
		k := len(nm.Scores)
		for i, v := range x {
			if math.IsNaN(v) {
				dst[i] = math.NaN()
				continue
			}
			c := sort.SearchFloat64s(nm.Thresholds, v) // a value equal to a threshold belongs to the category above it
			if c < len(nm.Thresholds) && v == nm.Thresholds[c] {
				c++
			}
			if lower {
				c = k - 1 - c
			}
			dst[i] = nm.Scores[c] / mx
		}
	}
}

func clamp01(z float64) float64 {
	if z < 0 {
		return 0
	}
	if z > 1 {
		return 1
	}
	return z
}

func span(x []float64) (mn, mx float64) {
	mn, mx = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if !math.IsNaN(v) {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
	}
	return
}

func meanSD(x []float64) (mean, sd float64) {
	n := 0.0
	for _, v := range x {
		if !math.IsNaN(v) {
			mean += v
			n++
		}
	}
	if n < 2 {
		return mean / math.Max(n, 1), 0
	}
	mean /= n
	for _, v := range x {
		if !math.IsNaN(v) {
			sd += (v - mean) * (v - mean)
		}
	}
	return mean, math.Sqrt(sd / (n - 1))
}

// rankFrac writes (r−1)/(n−1) with r the ascending average rank (ties
// averaged); lower-is-better reverses it. One value maps to 1.
func rankFrac(dst, x []float64, lower bool) {
	idx := make([]int, 0, len(x))
	for i, v := range x {
		dst[i] = math.NaN()
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(x[a], x[b]) })
	n := len(idx)
	for a := 0; a < n; {
		b := a
		for b+1 < n && x[idx[b+1]] == x[idx[a]] {
			b++
		}
		r := float64(a+b)/2 + 1
		for c := a; c <= b; c++ {
			z := 1.0
			if n > 1 {
				z = (r - 1) / float64(n-1)
			}
			if lower {
				z = 1 - z
			}
			dst[idx[c]] = z
		}
		a = b + 1
	}
}
