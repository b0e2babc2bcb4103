package survey

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchData is 200,000 respondents in 1,440 strata with a city (18), a
// county (180) and an industry section (20) each.
type benchUnit struct {
	h                     int
	city, county, section string
	y, x                  float64
}

func benchData() ([]Stratum, []benchUnit) {
	rng := rand.New(rand.NewPCG(1, 2))
	strata := make([]Stratum, 1440)
	for h := range strata {
		strata[h] = Stratum{N: 1000 + rng.IntN(2000)}
	}
	units := make([]benchUnit, 200000)
	for i := range units {
		c := rng.IntN(180)
		units[i] = benchUnit{h: rng.IntN(len(strata)), city: "41" + strconv.Itoa(c/10), county: "41c" + strconv.Itoa(c),
			section: string(rune('A' + rng.IntN(20))), y: rng.Float64() * 1000, x: rng.Float64() * 5000}
	}
	return strata, units
}

// BenchmarkEstimate200k: totals, ratio estimates and their variances for
// the province, every city, county and industry section from 200,000
// respondents.
func BenchmarkEstimate200k(b *testing.B) {
	strata, units := benchData()
	b.ResetTimer()
	for range b.N {
		e := NewEstimator(strata)
		for _, u := range units {
			e.Respond(u.h)
			e.Add("41", u.h, u.y, u.x)
			e.Add(u.city, u.h, u.y, u.x)
			e.Add(u.county, u.h, u.y, u.x)
			e.Add(u.section, u.h, u.y, u.x)
		}
		for _, d := range e.Domains() {
			_ = e.Total(d)
			_ = e.Ratio(d, 1e9)
		}
	}
}

// BenchmarkPlainSum200k is the baseline: the weighted sums alone (what a
// GROUP BY of weighted values gives), for the same domains, no variance.
func BenchmarkPlainSum200k(b *testing.B) {
	strata, units := benchData()
	m := make([]int, len(strata))
	for _, u := range units {
		m[u.h]++
	}
	b.ResetTimer()
	for range b.N {
		sums := map[string]float64{}
		for _, u := range units {
			w := float64(strata[u.h].N) / float64(m[u.h])
			sums["41"] += w * u.y
			sums[u.city] += w * u.y
			sums[u.county] += w * u.y
			sums[u.section] += w * u.y
		}
	}
}
