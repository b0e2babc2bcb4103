package evaluate

import (
	"errors"
	"math"
	"reflect"
	"testing"
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
	var e *Error
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
