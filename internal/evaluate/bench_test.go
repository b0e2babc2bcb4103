package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// synthFramework builds a framework of nInd indicators split evenly over
// nSub sub-indices (explicit weights at the root, equal below), min-max
// normalisation, missing values excluded and re-weighted.
func synthFramework(tb testing.TB, nInd, nSub int) *Framework {
	tb.Helper()
	var b strings.Builder
	b.WriteString("id: synth\nname: {zh: 合成, en: synthetic}\nnormalisation: {method: minmax}\nnodes:\n  - {id: root, name: {zh: 总, en: root}, weighting: equal}\n")
	for s := 0; s < nSub; s++ {
		fmt.Fprintf(&b, "  - {id: s%d, parent: root, weighting: equal, name: {zh: 子%d, en: sub %d}}\n", s, s, s)
	}
	b.WriteString("indicators:\n")
	for i := 0; i < nInd; i++ {
		dir := "higher"
		if i%7 == 3 {
			dir = "lower"
		}
		fmt.Fprintf(&b, "  - {id: i%d, parent: s%d, direction: %s, name: {zh: 指标%d, en: ind %d}}\n", i, i%nSub, dir, i, i)
	}
	fw, err := ParseFramework(strings.NewReader(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return fw
}

// synthData makes nu units × nInd indicators for one year, log-normal-ish
// values with a share of missing values.
func synthData(nu, nInd int, missing float64, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 7))
	units := make([]string, nu)
	for u := range units {
		units[u] = fmt.Sprintf("U%05d", u)
	}
	series := make([]string, nInd)
	for i := range series {
		series[i] = fmt.Sprintf("i%d", i)
	}
	d := NewDataset(units, series, []int{2024})
	row := d.data[2024]
	for u := 0; u < nu; u++ {
		level := r.NormFloat64()
		for i := 0; i < nInd; i++ {
			if r.Float64() < missing {
				continue
			}
			row[u*nInd+i] = math.Exp(0.5*level + 0.8*r.NormFloat64())
		}
	}
	return d
}

func BenchmarkEvaluateRun(b *testing.B) {
	fw := synthFramework(b, 60, 6)
	d := synthData(20000, 60, 0.01, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(fw, d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateMonteCarlo1000(b *testing.B) {
	fw := synthFramework(b, 60, 6)
	d := synthData(20000, 60, 0.01, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 1000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluateMCSample(b *testing.B) {
	fw := synthFramework(b, 60, 6)
	d := synthData(20000, 60, 0.01, 1)
	if _, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 2, Seed: 1}); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkEvaluateMonteCarlo200(b *testing.B) {
	fw := synthFramework(b, 60, 6)
	d := synthData(20000, 60, 0.01, 1)
	for b.Loop() {
		if _, err := MonteCarlo(fw, d, Options{}, MCOptions{Samples: 200, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
