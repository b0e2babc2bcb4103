package evaluate

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"zhihui/internal/i18n"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func ptr(v float64) *float64 { return &v }

func mustFramework(t *testing.T, y string) *Framework {
	t.Helper()
	fw, err := ParseFramework(strings.NewReader(y))
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

func mustCSV(t *testing.T, s string) *Dataset {
	t.Helper()
	d, err := ReadCSV(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNormalise(t *testing.T) {
	f := false
	nan := math.NaN()
	cases := []struct {
		name  string
		x     []float64
		nm    Normalisation
		lower bool
		logT  bool
		want  []float64
	}{
		{"minmax", []float64{1, 2, 3, nan}, Normalisation{Method: NormMinMax}, false, false, []float64{0, 0.5, 1, nan}},
		{"minmax lower", []float64{1, 2, 3}, Normalisation{Method: NormMinMax}, true, false, []float64{1, 0.5, 0}},
		{"zscore", []float64{1, 2, 3}, Normalisation{Method: NormZScore}, false, false, []float64{-1, 0, 1}},
		{"zscore lower", []float64{1, 2, 3}, Normalisation{Method: NormZScore}, true, false, []float64{1, 0, -1}},
		{"goalpost", []float64{-5, 5, 15}, Normalisation{Method: NormGoalpost, Min: ptr(0), Max: ptr(10)}, false, false, []float64{0, 0.5, 1}},
		{"goalpost lower", []float64{2.5}, Normalisation{Method: NormGoalpost, Min: ptr(0), Max: ptr(10)}, true, false, []float64{0.75}},
		{"reference capped", []float64{30, 90}, Normalisation{Method: NormReference, Reference: ptr(60)}, false, false, []float64{0.5, 1}},
		{"reference uncapped", []float64{90}, Normalisation{Method: NormReference, Reference: ptr(60), Cap: &f}, false, false, []float64{1.5}},
		{"reference lower", []float64{4}, Normalisation{Method: NormReference, Reference: ptr(2)}, true, false, []float64{0.5}},
		{"reference log", []float64{3}, Normalisation{Method: NormReference, Reference: ptr(1e6)}, false, true, []float64{0.5}}, // log10(1000)/log10(1e6)
		{"rank ties", []float64{10, 20, 20, 30}, Normalisation{Method: NormRank}, false, false, []float64{0, 0.5, 0.5, 1}},
		{"categorical", []float64{5, 10, 25}, Normalisation{Method: NormCategorical, Thresholds: []float64{10, 20}, Scores: []float64{0, 1, 2}}, false, false, []float64{0, 0.5, 1}},
		{"categorical lower", []float64{5, 25}, Normalisation{Method: NormCategorical, Thresholds: []float64{10, 20}, Scores: []float64{0, 1, 2}}, true, false, []float64{1, 0}},
		{"target", []float64{25, 80}, Normalisation{Method: NormTarget, Target: ptr(50)}, false, false, []float64{0.5, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := make([]float64, len(c.x))
			normalise(got, c.x, &c.nm, c.lower, c.logT, nan)
			for i := range got {
				if math.IsNaN(c.want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(got[i]) && !near(got[i], c.want[i], 1e-12)) {
					t.Fatalf("got %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestAHP(t *testing.T) {
	// consistent matrix: weights 4:2:1, λmax = 3, CR = 0
	r, err := AHP([][]float64{{1, 2, 4}, {0.5, 1, 2}, {0.25, 0.5, 1}}, "m")
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []float64{4.0 / 7, 2.0 / 7, 1.0 / 7} {
		if !near(r.Weights[i], w, 1e-9) {
			t.Fatalf("weights %v", r.Weights)
		}
	}
	if !near(r.Lambda, 3, 1e-9) || !near(r.CR, 0, 1e-9) {
		t.Fatalf("λ %v CR %v", r.Lambda, r.CR)
	}
	r, err = AHP([][]float64{{1, 3}, {1.0 / 3, 1}}, "two")
	if err != nil || !near(r.Weights[0], 0.75, 1e-9) {
		t.Fatalf("2×2: %v %v", r, err)
	}
	// Saaty-style example, mildly inconsistent: λmax from the eigenvector, CR < 0.1
	r, err = AHP([][]float64{{1, 3, 5}, {1.0 / 3, 1, 3}, {1.0 / 5, 1.0 / 3, 1}}, "saaty")
	if err != nil {
		t.Fatal(err)
	}
	// principal eigenvector 0.6370, 0.2583, 0.1047; λmax = 3.0385; CR = 0.0193/0.58
	if !near(r.Weights[0], 0.6370, 5e-4) || !near(r.Weights[1], 0.2583, 5e-4) || !near(r.Lambda, 3.0385, 5e-4) || !near(r.CR, 0.0332, 5e-4) {
		t.Fatalf("saaty: %+v", r)
	}
	// cyclic preferences: strongly inconsistent
	_, err = AHP([][]float64{{1, 9, 1.0 / 9}, {1.0 / 9, 1, 9}, {9, 1.0 / 9, 1}}, "cyc")
	var e *i18n.Error
	if !errors.As(err, &e) || e.Code != "ahp_inconsistent" || e.Place != "cyc.ahp" || !strings.Contains(e.Zh, "cyc") {
		t.Fatalf("want inconsistency error naming the matrix, got %v", err)
	}
	for name, m := range map[string][][]float64{
		"ahp_reciprocal": {{1, 2}, {2, 1}},
		"ahp_positive":   {{1, -1}, {-1, 1}},
		"ahp_square":     {{1, 2}, {0.5}},
		"ahp_diagonal":   {{2, 1}, {1, 2}},
	} {
		if _, err := AHP(m, "x"); !errors.As(err, &e) || e.Code != name {
			t.Fatalf("%s: got %v", name, err)
		}
	}
}

func TestEntropyWeights(t *testing.T) {
	// A = 1,2,3 → p = 0, 1/3, 2/3, e = 0.5794, d = 0.4206; B = 0,0,3 → e = 0, d = 1
	w := EntropyWeights([][]float64{{1, 0}, {2, 0}, {3, 3}})
	eA := -(1.0/3*math.Log(1.0/3) + 2.0/3*math.Log(2.0/3)) / math.Log(3)
	dA := 1 - eA
	if !near(w[0], dA/(dA+1), 1e-12) || !near(w[1], 1/(dA+1), 1e-12) {
		t.Fatalf("got %v", w)
	}
	// no spread anywhere: equal weights
	w = EntropyWeights([][]float64{{1, 5}, {1, 5}})
	if w[0] != 0.5 || w[1] != 0.5 {
		t.Fatalf("got %v", w)
	}
}

func TestPCAWeights(t *testing.T) {
	// b = 2a (perfectly correlated), c uncorrelated with a: eigenvalues 2, 1, 0;
	// only the first is > 1, its squared loadings are 1, 1, 0 → weights ½, ½, 0.
	a := []float64{1, 2, 3, 4, 5, 6}
	c := []float64{1, -1, -1, -1, -1, 1}
	var x [][]float64
	for i := range a {
		x = append(x, []float64{a[i], 2 * a[i], c[i]})
	}
	w, err := PCAWeights(x, "n", []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if !near(w[0], 0.5, 1e-9) || !near(w[1], 0.5, 1e-9) || !near(w[2], 0, 1e-9) {
		t.Fatalf("got %v", w)
	}
	x[0][2], x[1][2], x[2][2], x[3][2], x[4][2], x[5][2] = 7, 7, 7, 7, 7, 7
	_, err = PCAWeights(x, "n", []string{"a", "b", "c"})
	var e *i18n.Error
	if !errors.As(err, &e) || e.Code != "pca_singular" || !strings.Contains(e.En, "c") {
		t.Fatalf("want singular error naming c, got %v", err)
	}
}

func TestSkewKurt(t *testing.T) {
	// reference values: Excel SKEW/KURT documentation examples
	x := []float64{3, 4, 5, 2, 3, 4, 5, 6, 4, 7}
	if !near(Skewness(x), 0.359543, 1e-6) || !near(Kurtosis(x), -0.151799637, 1e-6) {
		t.Fatalf("skew %v kurt %v", Skewness(x), Kurtosis(x))
	}
	if !near(Kurtosis([]float64{1, 2, 3, 4, 5}), -1.2, 1e-12) || Skewness([]float64{1, 2, 3, 4, 5}) != 0 {
		t.Fatal("1..5")
	}
}

func TestOutliers(t *testing.T) {
	x := make([]float64, 30)
	units := make([]string, 30)
	for i := range x {
		x[i] = float64(i%10) + 1
		units[i] = string(rune('a' + i%26))
	}
	x[29], units[29] = 500, "big"
	if !IsOutlying(Skewness(x), Kurtosis(x)) {
		t.Fatal("setup: should be outlying")
	}
	w := append([]float64(nil), x...)
	rep := treatOutliers(w, OutlierWinsorise, 5, true, units)
	if rep.Action != "winsorised" || len(rep.Winsorised) != 1 || rep.Winsorised[0] != "big" || w[29] != 10 {
		t.Fatalf("got %+v, x[29] = %v", rep, w[29])
	}
	if IsOutlying(float64(rep.SkewAfter), float64(rep.KurtAfter)) {
		t.Fatal("still outlying")
	}
	// two very large values with winsor_max 1: falls back to log
	w = append([]float64(nil), x...)
	w[28], w[29] = 400, 500
	rep = treatOutliers(w, OutlierWinsorise, 1, true, units)
	if rep.Action != "log" || w[0] != math.Log10(1-1+(500-1)/100.0) {
		t.Fatalf("got %+v", rep)
	}
	w = append([]float64(nil), x...)
	w[28] = 400
	rep = treatOutliers(w, OutlierWinsorise, 1, false, units)
	if rep.Action != "unresolved" || w[28] != 400 {
		t.Fatalf("fixed-scale normalisation must not be logged: %+v", rep)
	}
}

func TestImputeGroupMean(t *testing.T) {
	nan := math.NaN()
	x := []float64{1, nan, 3, nan, 10}
	units := []string{"a", "b", "c", "d", "e"}
	groups := map[string]string{"a": "G", "b": "G", "c": "G", "d": "H"}
	imp := imputeGroupMean(x, units, groups, 2020, "i")
	if x[1] != 2 || x[3] != 14.0/3 || len(imp) != 2 || imp[0].Method != "group_mean" || imp[1].Method != "mean" {
		t.Fatalf("x %v imp %+v", x, imp)
	}
}

const smallFW = `
id: small
name: {zh: 小, en: small}
scale: 100
normalisation: {method: minmax}
nodes:
  - {id: top, name: {zh: 总, en: top}, weighting: explicit, target: 50}
  - {id: a, parent: top, weight: 0.6, weighting: explicit, name: {zh: 甲, en: A}}
  - {id: b, parent: top, weight: 0.4, weighting: equal, name: {zh: 乙, en: B}}
indicators:
  - {id: x1, parent: a, weight: 0.5, name: {zh: x1, en: x1}}
  - {id: x2, parent: a, weight: 0.5, direction: lower, name: {zh: x2, en: x2}}
  - {id: x3, parent: b, name: {zh: x3, en: x3}, normalisation: {method: goalpost, min: 0, max: 100}}
`

func TestRunHandWorked(t *testing.T) {
	fw := mustFramework(t, smallFW)
	d := mustCSV(t, `unit,year,x1,x2,x3
P,2020,0,10,50
Q,2020,5,20,100
R,2020,10,,0
P,2021,10,10,50
Q,2021,5,20,100
R,2021,0,30,0
`)
	res, err := Run(fw, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	y := res.Years[0]
	// 2020: x1 → 0, .5, 1; x2 (lower, R missing) → 1, 0, NaN; x3 → .5, 1, 0
	// a: P (0+1)/2 = .5; Q .25; R: only x1 → 1 (re-weighted)
	// top: P .6*.5+.4*.5 = .5; Q .6*.25+.4 = .55; R .6
	wantTop := []float64{50, 55, 60}
	wantA := []float64{50, 25, 100}
	for u := range wantTop {
		if !near(float64(y.Scores["top"][u]), wantTop[u], 1e-9) || !near(float64(y.Scores["a"][u]), wantA[u], 1e-9) {
			t.Fatalf("unit %d: top %v a %v", u, y.Scores["top"][u], y.Scores["a"][u])
		}
	}
	if y.Ranks["top"][0] != 3 || y.Ranks["top"][2] != 1 {
		t.Fatalf("ranks %v", y.Ranks["top"])
	}
	// contributions add up to the score; R's x1 carries all of sub-index a
	for u := range wantTop {
		sum := 0.0
		for _, id := range []string{"x1", "x2", "x3"} {
			if c := y.Contributions[id][u]; !c.IsMissing() {
				sum += float64(c)
			}
		}
		if !near(sum, wantTop[u], 1e-9) {
			t.Fatalf("unit %d contributions sum %v", u, sum)
		}
	}
	if !near(float64(y.Contributions["x1"][2]), 60, 1e-9) {
		t.Fatalf("R x1 contribution %v", y.Contributions["x1"][2])
	}
	// 2021: P top = .6*(1+1)/2 + .4*.5 = .8 → change +30
	y2 := res.Years[1]
	if y2.ChangeFrom != 2020 || !near(float64(y2.Change["top"][0]), 30, 1e-9) {
		t.Fatalf("change %v from %d", y2.Change["top"][0], y2.ChangeFrom)
	}
	met := 0
	for _, tg := range y.Targets {
		if tg.ID == "top" && tg.Met {
			met++
		}
	}
	if met != 3 { // 50, 55, 60 all reach 50
		t.Fatalf("targets %+v", y.Targets)
	}
	us, err := res.Unit("Q", 2020)
	if err != nil || us[0].ID != "top" || !near(float64(us[0].Score), 55, 1e-9) || us[0].Rank != 2 {
		t.Fatalf("unit view %+v %v", us, err)
	}
	// drop x3: b has no indicator left, top = a only
	res, err = Run(fw, d, Options{Drop: []string{"x3"}, Years: []int{2020}})
	if err != nil || !near(float64(res.Years[0].Scores["top"][0]), 50, 1e-9) {
		t.Fatalf("drop: %v %v", err, res.Years[0].Scores["top"])
	}
}

func TestGeometricFloor(t *testing.T) {
	fw := mustFramework(t, `
id: g
name: {zh: g, en: g}
scale: 1
nodes: [{id: r, name: {zh: r, en: r}, aggregation: geometric, weighting: equal}]
indicators:
  - {id: a, parent: r, name: {zh: a, en: a}, normalisation: {method: goalpost, min: 0, max: 1}}
  - {id: b, parent: r, name: {zh: b, en: b}, normalisation: {method: goalpost, min: 0, max: 1}}
`)
	d := mustCSV(t, "unit,year,a,b\nU,2020,0,1\nV,2020,0.25,1\n")
	res, err := Run(fw, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// U: √(0.01 · 1) = 0.1 (zero floored at geo_floor); V: √0.25 = 0.5
	s := res.Years[0].Scores["r"]
	if !near(float64(s[0]), 0.1, 1e-12) || !near(float64(s[1]), 0.5, 1e-12) {
		t.Fatalf("got %v", s)
	}
	if !res.Years[0].Contributions["a"][0].IsMissing() {
		t.Fatal("contributions under a geometric node must be null")
	}
}

func TestCopeland(t *testing.T) {
	fw := mustFramework(t, `
id: c
name: {zh: c, en: c}
normalisation: {method: minmax}
nodes: [{id: r, name: {zh: r, en: r}, aggregation: copeland, weighting: equal}]
indicators:
  - {id: a, parent: r, name: {zh: a, en: a}}
  - {id: b, parent: r, name: {zh: b, en: b}}
  - {id: c, parent: r, name: {zh: c, en: c}}
`)
	// X beats Y on a,b; Y beats X on c → X wins. X vs Z: X better on a, Z on b,c → Z wins.
	// Y vs Z: Y better on a, c; Z on b → Y wins. Every unit: 1 win, 1 loss → 0 (a Condorcet cycle)
	d := mustCSV(t, "unit,year,a,b,c\nX,2001,3,3,1\nY,2001,2,1,3\nZ,2001,1,4,2\n")
	res, err := Run(fw, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Years[0].Scores["r"]
	if s[0] != 0 || s[1] != 0 || s[2] != 0 {
		t.Fatalf("cycle: %v", s)
	}
	// compensation does not matter: W is best on two of three, however slightly
	d = mustCSV(t, "unit,year,a,b,c\nW,2001,1.01,1.01,0\nV,2001,1,1,100\n")
	res, _ = Run(fw, d, Options{})
	if s := res.Years[0].Scores["r"]; s[0] != 1 || s[1] != -1 {
		t.Fatalf("got %v", s)
	}
}

func TestDataDrivenWeightsInRun(t *testing.T) {
	fw := mustFramework(t, `
id: e
name: {zh: e, en: e}
scale: 1
normalisation: {method: minmax}
nodes:
  - {id: r, name: {zh: r, en: r}, weighting: entropy}
indicators:
  - {id: a, parent: r, name: {zh: a, en: a}}
  - {id: b, parent: r, name: {zh: b, en: b}}
`)
	d := mustCSV(t, "unit,year,a,b\nU,2001,1,0\nV,2001,2,0\nW,2001,3,3\n")
	res, err := Run(fw, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// normalised a = 0, .5, 1; b = 0, 0, 1 → same entropy weights as TestEntropyWeights
	want := EntropyWeights([][]float64{{0, 0}, {0.5, 0}, {1, 1}})
	if got := res.Years[0].Weights["r"]; !near(got["a"], want[0], 1e-12) || !near(got["b"], want[1], 1e-12) {
		t.Fatalf("weights %v want %v", got, want)
	}
}

func TestFrameworkErrors(t *testing.T) {
	base := func(nodes, inds string) string {
		return "id: f\nname: {zh: f, en: f}\nnodes:\n" + nodes + "indicators:\n" + inds
	}
	ind := "  - {id: x, parent: r, weight: 0.5, name: {zh: x, en: x}}\n  - {id: y, parent: r, weight: 0.5, name: {zh: y, en: y}}\n"
	cases := []struct{ name, yaml, code, place string }{
		{"weights", base("  - {id: r, name: {zh: r, en: r}}\n", "  - {id: x, parent: r, weight: 0.5, name: {zh: x, en: x}}\n  - {id: y, parent: r, weight: 0.4, name: {zh: y, en: y}}\n"), "weights_sum", "r"},
		{"cycle", base("  - {id: r, name: {zh: r, en: r}}\n  - {id: p, parent: q, weight: 1, name: {zh: p, en: p}}\n  - {id: q, parent: p, weight: 1, name: {zh: q, en: q}}\n", ind), "cycle", ""},
		{"unknown parent", base("  - {id: r, name: {zh: r, en: r}}\n", "  - {id: x, parent: nope, weight: 1, name: {zh: x, en: x}}\n  - {id: y, parent: r, weight: 1, name: {zh: y, en: y}}\n"), "unknown_parent", "x"},
		{"two roots", base("  - {id: r, name: {zh: r, en: r}}\n  - {id: s, name: {zh: s, en: s}, weighting: equal}\n", ind+"  - {id: z, parent: s, name: {zh: z, en: z}}\n"), "two_roots", "s"},
		{"duplicate", base("  - {id: r, name: {zh: r, en: r}}\n", ind+"  - {id: x, parent: r, name: {zh: x, en: x}}\n"), "duplicate_id", "x"},
		{"ahp inconsistent", base("  - {id: r, name: {zh: r, en: r}, weighting: ahp, ahp: {order: [x, y, z], matrix: [[1, 9, 1/9], [1/9, 1, 9], [9, 1/9, 1]]}}\n", ind+"  - {id: z, parent: r, name: {zh: z, en: z}}\n"), "ahp_inconsistent", "r.ahp"},
		{"ahp unknown child", base("  - {id: r, name: {zh: r, en: r}, weighting: ahp, ahp: {order: [x, w], matrix: [[1, 2], [1/2, 1]]}}\n", ind), "unknown_child", "r.ahp.order"},
		{"budget unknown", base("  - {id: r, name: {zh: r, en: r}, weighting: budget, budget: {x: 60, q: 40}}\n", ind), "unknown_child", "r.budget"},
		{"copeland below root", base("  - {id: r, name: {zh: r, en: r}, weighting: equal}\n  - {id: s, parent: r, aggregation: copeland, weighting: equal, name: {zh: s, en: s}}\n", "  - {id: x, parent: s, name: {zh: x, en: x}}\n"), "copeland_not_root", "s"},
		{"goalposts", base("  - {id: r, name: {zh: r, en: r}, weighting: equal}\n", "  - {id: x, parent: r, name: {zh: x, en: x}, normalisation: {method: goalpost, min: 5, max: 1}}\n"), "bad_goalposts", "x"},
		{"empty node", base("  - {id: r, name: {zh: r, en: r}, weighting: equal}\n  - {id: s, parent: r, name: {zh: s, en: s}}\n", "  - {id: x, parent: r, name: {zh: x, en: x}}\n"), "empty_node", "s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseFramework(strings.NewReader(c.yaml))
			var e *i18n.Error
			if !errors.As(err, &e) || e.Code != c.code || (c.place != "" && e.Place != c.place) || e.Zh == "" || e.En == "" {
				t.Fatalf("got %v (%+v), want code %s at %s", err, e, c.code, c.place)
			}
		})
	}
}

func TestRunDataErrors(t *testing.T) {
	fw := mustFramework(t, smallFW)
	var e *i18n.Error
	_, err := Run(fw, mustCSV(t, "unit,year,x1,x2,x3\nP,2020,1,,1\nQ,2020,2,,2\n"), Options{})
	if !errors.As(err, &e) || e.Code != "all_missing" || e.Place != "x2" {
		t.Fatalf("all-missing: %v", err)
	}
	_, err = Run(fw, mustCSV(t, "unit,year,x1,x2\nP,2020,1,1\n"), Options{})
	if !errors.As(err, &e) || e.Code != "unknown_indicator" || e.Place != "x3" {
		t.Fatalf("unknown indicator: %v", err)
	}
	pca := strings.Replace(smallFW, "weighting: explicit, name: {zh: 甲", "weighting: pca, name: {zh: 甲", 1)
	fw = mustFramework(t, pca)
	_, err = Run(fw, mustCSV(t, "unit,year,x1,x2,x3\nP,2020,1,1,1\nQ,2020,2,1,2\nR,2020,3,1,3\nS,2020,4,1,3\n"), Options{})
	if !errors.As(err, &e) || e.Code != "pca_singular" || !strings.Contains(e.Zh, "x2") {
		t.Fatalf("singular: %v", err)
	}
}

func TestReadCSV(t *testing.T) {
	long := mustCSV(t, "unit,year,indicator,value,group\nA,2020,x,1.5,g1\nA,2020,y,NA,g1\nB,2021,x,\"1,000\",g2\n")
	if long.Value("A", 2020, "x") != 1.5 || !math.IsNaN(long.Value("A", 2020, "y")) || long.Value("B", 2021, "x") != 1000 || long.Groups["B"] != "g2" {
		t.Fatalf("long: %+v", long)
	}
	wide := mustCSV(t, "Unit,Year,GDP_pc,Pop\nA,2020,3,4\n")
	if wide.Value("A", 2020, "GDP_pc") != 3 || wide.Value("A", 2020, "Pop") != 4 {
		t.Fatalf("wide: %+v", wide)
	}
	for _, c := range []struct {
		csv   string
		row   int
		col   string
		place string
	}{
		{"unit,year,x\nA,20x0,1\n", 2, "year", ""},
		{"unit,year,x\nA,2020,1\nB,2020,abc\n", 3, "x", ""},
		{"unit,indicator\n", 1, "", ""},
		{"unit,year,indicator,value\nA,2020,x,1\nA,2020,x,2\n", 0, "", "A/2020/x"},
	} {
		_, err := ReadCSV(strings.NewReader(c.csv))
		var e *i18n.Error
		if !errors.As(err, &e) || e.Row != c.row || e.Col != c.col || e.Place != c.place {
			t.Fatalf("%q: got %v, want row %d column %q place %q", c.csv, err, c.row, c.col, c.place)
		}
	}
}

func TestPerCapitaAndLog(t *testing.T) {
	fw := mustFramework(t, `
id: pc
name: {zh: pc, en: pc}
scale: 1
nodes: [{id: r, name: {zh: r, en: r}, weighting: equal}]
indicators:
  - {id: bb, parent: r, denominator: pop, per: 100, name: {zh: bb, en: bb}, normalisation: {method: reference, reference: 50}}
  - {id: bw, parent: r, transform: log, name: {zh: bw, en: bw}, normalisation: {method: goalpost, min: 10, max: 10000}}
`)
	d := mustCSV(t, "unit,year,bb,pop,bw\nA,2020,25,100,100\n")
	res, err := Run(fw, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// bb: 25/100·100 = 25 → 0.5; bw: (log 100 − log 10)/(log 10⁴ − log 10) = 1/3
	z := res.Years[0].Normalised
	if !near(float64(z["bb"][0]), 0.5, 1e-12) || !near(float64(z["bw"][0]), 1.0/3, 1e-12) {
		t.Fatalf("got %v %v", z["bb"], z["bw"])
	}
}

func TestBuiltins(t *testing.T) {
	names := BuiltinNames()
	if len(names) != 3 {
		t.Fatalf("builtins %v", names)
	}
	for _, n := range names {
		fw, err := Builtin(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if len(fw.IndicatorIDs()) < 8 {
			t.Fatalf("%s: %d indicators", n, len(fw.IndicatorIDs()))
		}
	}
	if _, err := Builtin("nope"); err == nil {
		t.Fatal("unknown builtin accepted")
	}
}

// TestIDI2011Korea checks the engine against ITU's published worked example
// (Measuring the Information Society 2011, Annex Box 1.2: Korea, 2010 data):
// the published normalised values (two decimals) and access sub-index.
func TestIDI2011Korea(t *testing.T) {
	f, err := os.Open("testdata/idi2011-edition.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fw, err := ParseFramework(f)
	if err != nil {
		t.Fatal(err)
	}
	df, err := os.Open("testdata/idi2011-korea.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	d, err := ReadCSV(df)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(fw, d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	published := map[string]float64{"fixed_tel": 0.99, "mobile_cel": 0.62, "intl_bw": 0.75, "hh_computer": 0.82, "hh_internet": 0.97,
		"internet_users": 0.84, "fixed_bb": 0.61, "mobile_bb": 0.91, "adult_literacy": 0.98, "gross_secondary": 1.00, "gross_tertiary": 0.99}
	for id, want := range published {
		got := float64(res.Years[0].Normalised[id][0])
		if math.Round(got*100)/100 != want {
			t.Errorf("%s: %.4f rounds to %.2f, published %.2f", id, got, math.Round(got*100)/100, want)
		}
	}
	// ITU prints the access sub-index as 0.82, the sum of its rounded terms
	// (0.20+0.12+0.15+0.16+0.19); unrounded it is 0.829.
	if got := float64(res.Years[0].Scores["access"][0]) / 10; !near(got, 0.82, 0.01) {
		t.Errorf("access sub-index %.4f, published 0.82", got)
	}
}

// TestIDI2017Methodology checks the built-in IDI 2017 with ITU's reference
// values: at the references the IDI is 10; at half of every reference (and
// the square root of the bandwidth reference, i.e. half its log) it is 5.
func TestIDI2017Methodology(t *testing.T) {
	fw, err := Builtin("idi2017")
	if err != nil {
		t.Fatal(err)
	}
	ref := map[string]float64{"fixed_tel": 60, "mobile_cel": 120, "intl_bw": 2158212, "hh_computer": 100, "hh_internet": 100,
		"internet_users": 100, "fixed_bb": 60, "mobile_bb": 100, "mean_school": 15, "gross_secondary": 100, "gross_tertiary": 100}
	var b strings.Builder
	b.WriteString("unit,year,indicator,value\n")
	for id, v := range ref {
		half := v / 2
		if id == "intl_bw" {
			half = math.Sqrt(v)
		}
		b.WriteString("TOP,2017," + id + "," + ftoa(v) + "\n")
		b.WriteString("HALF,2017," + id + "," + ftoa(half) + "\n")
		over := v * 1.5
		b.WriteString("OVER,2017," + id + "," + ftoa(over) + "\n")
	}
	res, err := Run(fw, mustCSV(t, b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Years[0].Scores["idi"]
	if !near(float64(s[0]), 10, 1e-9) || !near(float64(s[1]), 5, 1e-9) || !near(float64(s[2]), 10, 1e-9) {
		t.Fatalf("IDI %v", s)
	}
	// weights 40/40/20
	w := res.Years[0].Weights["idi"]
	if w["access"] != 0.4 || w["use"] != 0.4 || w["skills"] != 0.2 {
		t.Fatalf("weights %v", w)
	}
}

func ftoa(v float64) string { return strings.TrimRight(strings.TrimRight(fmtG(v), "0"), ".") }
