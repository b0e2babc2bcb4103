// Package survey is the estimation mathematics of a stratified simple
// random sample drawn without replacement, with a certainty stratum: sample
// allocation (proportional, Neyman, Neyman for a target coefficient of
// variation), reproducible draws, Horvitz–Thompson and ratio estimators of
// totals for the whole population and for domains, with Taylor-linearised
// variances, standard errors, coefficients of variation and 95 % normal
// confidence intervals.
//
// # Method
//
// Stratum h has N_h units in the frame; m_h of its sampled units answered.
// Non-response is handled by reweighting within strata (a weighting-class
// adjustment with the strata as classes): every respondent of h carries
// the weight w_h = N_h / m_h, as if the respondents were a simple random
// sample of the stratum. Certainty strata (every unit taken) then have
// w_h = 1 when all answered.
//
// The total of y over a domain d (a region, an industry; the whole
// population is a domain too) is estimated by
//
//	Ŷ_d = Σ_h w_h Σ_{i∈r_h} z_i,   z_i = y_i·1{i∈d},
//
// with variance (stratified SRS without replacement, finite-population
// correction f_h = m_h/N_h)
//
//	V(Ŷ_d) = Σ_h N_h² (1 − f_h) s²_{zh} / m_h,
//
// s²_{zh} the sample variance of z over the m_h respondents of h (zeros
// for respondents outside d). This is what R's survey package computes
// for svytotal on a design with strata and fpc (its with-replacement PSU
// formula times 1 − f_h, which is algebraically the same). A stratum with
// a single respondent contributes no variance (survey's
// lonely.psu = "certainty"); a stratum without respondents contributes
// nothing and is counted in [Estimate.EmptyStrata].
//
// The ratio estimator uses an auxiliary x known for every frame unit (the
// register's revenue): Ŷ_R,d = R̂_d · X_d with R̂_d = Ŷ_d / X̂_d and X_d the
// register total of x in d. Its linearised variance is
//
//	V(Ŷ_R,d) = (X_d / X̂_d)² · V(Ê_d),   e_i = (y_i − R̂_d x_i)·1{i∈d},
//
// the variance survey's predict(svyratio(...), total = X) reports.
//
// Confidence intervals are Ŷ ± 1.959964·SE (normal, as survey's confint
// with df = Inf). Estimation runs in float64; callers round totals to the
// unit they publish (see [Round]).
package survey

import (
	"math"
)

// Z975 is the 0.975 quantile of the standard normal distribution.
const Z975 = 1.959963984540054

// Stratum is one stratum of the design.
type Stratum struct {
	N         int  // units in the frame
	Certainty bool // every unit taken
}

// acc accumulates the sums of one domain within one stratum.
type acc struct {
	m                     int
	sy, syy, sx, sxx, sxy float64
}

// Estimator accumulates respondents and computes estimates. Add every
// respondent once with [Estimator.Respond], and once per domain it
// belongs to with [Estimator.Add].
//
// A domain keeps sums only for the strata it has respondents in (a
// county × industry domain meets a handful of the thousands of strata),
// and an index of 4 bytes a stratum, not 56 bytes of sums: a
// stratum where the domain has no respondent adds nothing to its total
// and nothing to its variance (z is zero on all its respondents).
type Estimator struct {
	strata  []Stratum
	m       []int // respondents per stratum
	domains map[string]*domain
}

// domain holds a domain's sums by stratum, in the order first met.
type domain struct {
	at   []int32 // stratum → index in accs + 1 (0: none yet); 4 bytes a stratum
	hs   []int
	accs []acc
}

// NewEstimator returns an estimator over strata.
func NewEstimator(strata []Stratum) *Estimator {
	return &Estimator{strata: strata, m: make([]int, len(strata)), domains: map[string]*domain{}}
}

// Respond counts one respondent of stratum h.
func (e *Estimator) Respond(h int) { e.m[h]++ }

// Respondents is the number of respondents of stratum h.
func (e *Estimator) Respondents(h int) int { return e.m[h] }

// Weight is the weight of a respondent of stratum h after the
// non-response adjustment: N_h / m_h (0 when nobody answered).
func (e *Estimator) Weight(h int) float64 {
	if e.m[h] == 0 {
		return 0
	}
	return float64(e.strata[h].N) / float64(e.m[h])
}

// Add adds the values y (survey item) and x (auxiliary) of a respondent
// of stratum h to domain d.
func (e *Estimator) Add(d string, h int, y, x float64) {
	a := e.domains[d]
	if a == nil {
		a = &domain{at: make([]int32, len(e.strata))}
		e.domains[d] = a
	}
	i := a.at[h] - 1
	if i < 0 {
		i = int32(len(a.accs))
		a.at[h] = i + 1
		a.hs = append(a.hs, h)
		a.accs = append(a.accs, acc{})
	}
	c := &a.accs[i]
	c.m++
	c.sy += y
	c.syy += y * y
	c.sx += x
	c.sxx += x * x
	c.sxy += x * y
}

// Domains lists the domains added so far, in no particular order.
func (e *Estimator) Domains() []string {
	out := make([]string, 0, len(e.domains))
	for d := range e.domains {
		out = append(out, d)
	}
	return out
}

// Estimate is an estimated total with its precision.
type Estimate struct {
	Total       float64 `json:"total"`
	SE          float64 `json:"se"`
	CV          float64 `json:"cv"` // SE / total; 0 when the total is 0
	Low         float64 `json:"ci_low"`
	High        float64 `json:"ci_high"`
	Respondents int     `json:"respondents"`  // respondents in the domain
	EmptyStrata int     `json:"empty_strata"` // strata with sampled units but no respondent
}

func finish(total, v float64, resp, empty int) Estimate {
	if v < 0 { // rounding of a zero variance
		v = 0
	}
	se := math.Sqrt(v)
	est := Estimate{Total: total, SE: se, Low: total - Z975*se, High: total + Z975*se, Respondents: resp, EmptyStrata: empty}
	if total != 0 {
		est.CV = se / math.Abs(total)
	}
	return est
}

// strataTerm is N_h²(1−f_h)/m_h for stratum h, 0 when it adds no variance.
func (e *Estimator) strataTerm(h int) float64 {
	m := e.m[h]
	N := e.strata[h].N
	if m < 2 || m >= N {
		return 0
	}
	return float64(N) * float64(N) * (1 - float64(m)/float64(N)) / float64(m)
}

// variance of z over the m_h respondents of h, given the sums over the
// domain's respondents (zeros elsewhere).
func sampleVar(m int, s, ss float64) float64 {
	if m < 2 {
		return 0
	}
	v := (ss - s*s/float64(m)) / float64(m-1)
	if v < 0 {
		return 0
	}
	return v
}

// Total is the Horvitz–Thompson (expansion) estimate of the total of y
// over domain d.
func (e *Estimator) Total(d string) Estimate {
	var total, v float64
	resp := 0
	if a := e.domains[d]; a != nil {
		for i, h := range a.hs {
			c := a.accs[i]
			resp += c.m
			total += e.Weight(h) * c.sy
			v += e.strataTerm(h) * sampleVar(e.m[h], c.sy, c.syy)
		}
	}
	return finish(total, v, resp, e.emptyStrata())
}

// emptyStrata counts the strata without respondents.
func (e *Estimator) emptyStrata() int {
	n := 0
	for _, m := range e.m {
		if m == 0 {
			n++
		}
	}
	return n
}

// TotalX is the Horvitz–Thompson estimate of the auxiliary's total over d.
func (e *Estimator) TotalX(d string) float64 {
	var t float64
	if a := e.domains[d]; a != nil {
		for i, h := range a.hs {
			t += e.Weight(h) * a.accs[i].sx
		}
	}
	return t
}

// Ratio is the ratio estimate of the total of y over domain d, given X,
// the known total of the auxiliary over d. When no respondent of d has a
// positive auxiliary, it falls back to [Estimator.Total].
func (e *Estimator) Ratio(d string, X float64) Estimate {
	xhat := e.TotalX(d)
	if xhat <= 0 || X <= 0 {
		return e.Total(d)
	}
	ht := e.Total(d)
	R := ht.Total / xhat
	var v float64
	if a := e.domains[d]; a != nil {
		for i, h := range a.hs {
			c := a.accs[i]
			se := c.sy - R*c.sx
			sse := c.syy - 2*R*c.sxy + R*R*c.sxx
			v += e.strataTerm(h) * sampleVar(e.m[h], se, sse)
		}
	}
	g := X / xhat
	return finish(R*X, g*g*v, ht.Respondents, ht.EmptyStrata)
}

// Round rounds v to the given number of decimals (half away from zero),
// the rounding used when an estimate is published or shown.
func Round(v float64, decimals int) float64 {
	p := math.Pow(10, float64(decimals))
	return math.Round(v*p) / p
}
