package evaluate

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"zhihui/internal/i18n"
)

// With no uncertainty at all every sample reproduces the nominal ranking:
// the fast path (complete units) and the slow path (units with missing
// values, re-weighted) must both agree with Run.
func TestMonteCarloDegenerateMatchesRun(t *testing.T) {
	fw := synthFramework(t, 12, 3)
	d := synthData(300, 12, 0.05, 3)
	mc, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 20, Seed: 1, WeightSets: 1, WeightRange: 1e-12,
		Normalisations: []string{""}, Aggregations: []string{""}, NoDrop: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range mc.Intervals {
		if iv.P5 != iv.Nominal || iv.P95 != iv.Nominal || iv.Median != iv.Nominal {
			t.Fatalf("%+v", iv)
		}
	}
	if mc.OutputMean != 0 {
		t.Fatalf("rank shift %v", mc.OutputMean)
	}
}

func TestMonteCarloGeometricMatchesRun(t *testing.T) {
	fw := synthFramework(t, 12, 3)
	d := synthData(200, 12, 0.05, 4)
	res, err := Run(fw, d, Options{Aggregation: AggGeometric})
	if err != nil {
		t.Fatal(err)
	}
	mc, err := MonteCarlo(fw, d, Options{Aggregation: AggGeometric}, MCOptions{Samples: 4, Seed: 1, WeightSets: 1, WeightRange: 1e-12,
		Normalisations: []string{""}, Aggregations: []string{AggGeometric}, NoDrop: true})
	if err != nil {
		t.Fatal(err)
	}
	rk := res.Years[0].Ranks["root"]
	for u, iv := range mc.Intervals {
		if iv.Median != rk[u] {
			t.Fatalf("unit %d: MC %d, Run %d", u, iv.Median, rk[u])
		}
	}
}

func TestMonteCarloReproducibleAndSobol(t *testing.T) {
	fw := synthFramework(t, 12, 3)
	d := synthData(500, 12, 0.02, 5)
	o := MCOptions{Samples: 300, Seed: 42, Workers: 1}
	a, err := MonteCarlo(fw, d, Options{}, o)
	if err != nil {
		t.Fatal(err)
	}
	o.Workers = 2
	b, err := MonteCarlo(fw, d, Options{}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Intervals, b.Intervals) || !reflect.DeepEqual(a.Sobol, b.Sobol) {
		t.Fatal("result depends on the number of workers")
	}
	if len(a.Sobol) != 4 {
		t.Fatalf("sobol %+v", a.Sobol)
	}
	for _, s := range a.Sobol {
		if s.FirstOrder < 0 || s.FirstOrder > 1 || math.IsNaN(s.FirstOrder) {
			t.Fatalf("%+v", s)
		}
	}
	for _, iv := range a.Intervals {
		if !(iv.P5 <= iv.Median && iv.Median <= iv.P95) || iv.P5 < 1 || iv.P95 > 500 {
			t.Fatalf("%+v", iv)
		}
	}
	// only the normalisation varies: the output is a function of it alone, S = 1
	c, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 100, Seed: 3, WeightSets: 1, NoDrop: true,
		Normalisations: []string{"", NormRank}, Aggregations: []string{AggArithmetic}})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sobol) != 1 || c.Sobol[0].Factor != "normalisation" || !near(c.Sobol[0].FirstOrder, 1, 1e-9) {
		t.Fatalf("%+v", c.Sobol)
	}
}

func TestMonteCarloDominantUnit(t *testing.T) {
	fw := mustFramework(t, smallFW)
	d := mustCSV(t, "unit,year,x1,x2,x3\nBEST,2020,10,1,100\nM,2020,5,5,50\nN,2020,4,6,40\nWORST,2020,0,10,0\n")
	mc, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 200, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if iv := mc.Intervals[0]; iv.P5 != 1 || iv.P95 != 1 {
		t.Fatalf("BEST %+v", iv)
	}
	if iv := mc.Intervals[3]; iv.P5 != 4 || iv.P95 != 4 {
		t.Fatalf("WORST %+v", iv)
	}
	_, err = MonteCarlo(fw, d, Options{}, MCOptions{Normalisations: []string{"goalpost"}})
	var e *i18n.Error
	if !errors.As(err, &e) || e.Code != "bad_option" {
		t.Fatalf("got %v", err)
	}
}

func TestRankInto(t *testing.T) {
	score := []float64{0.5, math.NaN(), -1, 2, 0.5}
	rk := make([]int32, 5)
	n := len(score)
	rankInto(rk, score, make([]uint64, n), make([]uint64, n), make([]int32, n), make([]int32, n))
	if want := []int32{2, 5, 4, 1, 2}; !reflect.DeepEqual(rk, want) {
		t.Fatalf("got %v want %v", rk, want)
	}
}

func TestMonteCarloSampleDoesNotAllocate(t *testing.T) {
	fw := synthFramework(t, 12, 3)
	d := synthData(200, 12, 0.05, 6)
	// build the setup through a tiny run, then time a worker directly
	st := buildSetupForTest(t, fw, d)
	wk := newMCWorker(st)
	rk := make([]int32, st.nu)
	allocs := testing.AllocsPerRun(20, func() { wk.sample([4]int{0, 0, 1, 3}, rk) })
	if allocs != 0 {
		t.Fatalf("%v allocations per sample", allocs)
	}
}

// buildSetupForTest runs a 2-sample Monte Carlo with a hook that keeps the setup.
func buildSetupForTest(t *testing.T, fw *Framework, d *Dataset) *mcSetup {
	t.Helper()
	var kept *mcSetup
	mcSetupHook = func(st *mcSetup) { kept = st }
	defer func() { mcSetupHook = nil }()
	if _, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 2, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return kept
}

// rankInto against a comparison sort, with ties, negative values, zeros of
// both signs and NaN.
func TestRankIntoMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 100, 5000} {
		score := make([]float64, n)
		for i := range score {
			switch r.IntN(10) {
			case 0:
				score[i] = math.NaN()
			case 1:
				score[i] = float64(r.IntN(3)) // ties
			case 2:
				score[i] = math.Copysign(0, -1)
			case 3:
				score[i] = 1 + float64(r.IntN(1000))*1e-12 // equal in the top bits of the key
			default:
				score[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10))
			}
		}
		rk := make([]int32, n)
		rankInto(rk, score, make([]uint64, n), make([]uint64, n), make([]int32, n), make([]int32, n))
		for i, x := range score {
			want := int32(n)
			if !math.IsNaN(x) {
				want = 1
				for _, y := range score {
					if !math.IsNaN(y) && y > x {
						want++
					}
				}
			}
			if rk[i] != want {
				t.Fatalf("n=%d: rank of %v is %d, want %d", n, x, rk[i], want)
			}
		}
	}
}

// The quantiles of intervals are the nearest-rank quantiles of the sorted ranks.
func TestIntervalsQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const S, nu = 101, 3
	ranks := make([]int32, S*nu)
	for i := range ranks {
		ranks[i] = int32(1 + r.IntN(50))
	}
	out := intervals(slices.Clone(ranks), S, nu, []int32{1, 2, 3}, []string{"a", "b", "c"}, 1)
	for u := 0; u < nu; u++ {
		col := make([]int32, S)
		for s := 0; s < S; s++ {
			col[s] = ranks[s*nu+u]
		}
		slices.Sort(col)
		if got := out[u]; got.P5 != int(col[quantileIndex(S, 0.05)]) || got.Median != int(col[quantileIndex(S, 0.5)]) || got.P95 != int(col[quantileIndex(S, 0.95)]) {
			t.Fatalf("unit %d: %+v, sorted %v", u, got, col)
		}
	}
}

// Every sample path (complete units, units with missing values, a dropped
// indicator, arithmetic and geometric, a three-level tree with unequal
// weights, a framework mixing aggregations) reproduces Run's ranking when
// the weights are not perturbed.
func TestMonteCarloSamplesMatchRun(t *testing.T) {
	const yaml = `
id: deep
name: {zh: 深, en: deep}
normalisation: {method: minmax}
nodes:
  - {id: root, name: {zh: 根, en: root}}
  - {id: a, parent: root, weight: 0.5, name: {zh: 甲, en: a}}
  - {id: b, parent: root, weight: 0.3, name: {zh: 乙, en: b}}
  - {id: a1, parent: a, weight: 0.7, name: {zh: 甲一, en: a1}AGG}
  - {id: a2, parent: a, weight: 0.3, name: {zh: 甲二, en: a2}}
indicators:
  - {id: i0, parent: a1, weight: 0.6, name: {zh: 0, en: "0"}}
  - {id: i1, parent: a1, weight: 0.4, name: {zh: 1, en: "1"}}
  - {id: i2, parent: a2, weight: 1, name: {zh: 2, en: "2"}}
  - {id: i3, parent: b, weight: 0.25, name: {zh: 3, en: "3"}}
  - {id: i4, parent: b, weight: 0.75, name: {zh: 4, en: "4"}}
  - {id: i5, parent: root, weight: 0.2, name: {zh: 5, en: "5"}}
`
	for _, mixed := range []bool{false, true} {
		agg := ""
		if mixed {
			agg = ", aggregation: geometric"
		}
		fw, err := ParseFramework(strings.NewReader(strings.Replace(yaml, "AGG", agg, 1)))
		if err != nil {
			t.Fatal(err)
		}
		d := synthData(400, 6, 0.15, 9)
		var st *mcSetup
		mcSetupHook = func(s *mcSetup) { st = s }
		aggs := []string{AggArithmetic, AggGeometric}
		if mixed {
			aggs = []string{""}
		}
		_, err = MonteCarlo(fw, d, Options{}, MCOptions{Samples: 2, Seed: 1, WeightSets: 1, WeightRange: 1e-12, Normalisations: []string{""}, Aggregations: aggs})
		mcSetupHook = nil
		if err != nil {
			t.Fatal(err)
		}
		wk := newMCWorker(st)
		rk := make([]int32, st.nu)
		for a := range aggs {
			for drop := 0; drop <= 6; drop++ {
				o := Options{Aggregation: aggs[a]}
				if drop > 0 {
					o.Drop = []string{fmt.Sprintf("i%d", drop-1)}
				}
				res, err := Run(fw, d, o)
				if err != nil {
					t.Fatal(err)
				}
				want := res.Years[0].Ranks["root"]
				wk.sample([4]int{0, 0, a, drop}, rk)
				for u := range rk {
					w := int32(want[u])
					if w == 0 {
						w = int32(st.nu)
					}
					if rk[u] != w {
						t.Fatalf("mixed=%v agg=%q drop=%d unit %d: rank %d, Run %d", mixed, aggs[a], drop, u, rk[u], w)
					}
				}
			}
		}
	}
}

// quantiles counts or selects; both give the sorted nearest-rank values.
func TestQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, spread := range []int{1, 10, 4000, 100000} {
		for _, n := range []int{1, 2, 19, 20, 1000} {
			x := make([]int32, n)
			for i := range x {
				x[i] = int32(1 + r.IntN(spread))
			}
			s := slices.Clone(x)
			slices.Sort(s)
			p5, med, p95 := quantiles(x, make([]int32, countRange))
			if p5 != s[quantileIndex(n, 0.05)] || med != s[quantileIndex(n, 0.5)] || p95 != s[quantileIndex(n, 0.95)] {
				t.Fatalf("spread %d n %d: %d %d %d, sorted %v", spread, n, p5, med, p95, s)
			}
		}
	}
}
