package progress

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAssess(t *testing.T) {
	// Urban broadband: 4 Mb/s in 2012, target 20 Mb/s in 2015; path is +16/3 a year.
	tg := Target{BaseYear: 2012, Base: 4, Year: 2015, Value: 20}
	for _, c := range []struct {
		name   string
		series []Point
		want   Status
		share  float64
	}{
		{"on the path", []Point{{2013, 9.3333333333}}, OnTrack, 1},
		{"a bit behind", []Point{{2013, 8.5}}, Warning, 4.5 / (16.0 / 3)},
		{"far behind", []Point{{2013, 6}}, Behind, 2 / (16.0 / 3)},
		{"met early", []Point{{2013, 9}, {2014, 21}}, Met, (21 - 4) / (2 * 16.0 / 3)},
		{"no data", []Point{{2013, math.NaN()}}, NoData, 0},
	} {
		a := Assess(c.series, tg)
		if a.Status != c.want || (c.want != NoData && math.Abs(a.PathShare-c.share) > 1e-6) {
			t.Errorf("%s: %+v, want %s share %.4f", c.name, a, c.want, c.share)
		}
	}
}

func TestTrendAndMetYear(t *testing.T) {
	tg := Target{BaseYear: 2013, Base: 1000, Year: 2020, Value: 30000}
	// +3000 a year from 2013; one wrong report in 2016 must not bend the trend.
	s := []Point{{2013, 1000}, {2014, 4000}, {2015, 7000}, {2016, 99000}, {2017, 13000}, {2018, 16000}}
	a := Assess(s, tg)
	if a.Trend == nil || !near(a.Trend.Slope, 3000) {
		t.Fatalf("trend %+v", a.Trend)
	}
	// 1000 + 3000 (y − 2013) = 30000 ⇒ y = 2022.667
	if a.Trend.MetYear == nil || math.Abs(*a.Trend.MetYear-(2013+29000.0/3000)) > 1e-6 {
		t.Fatalf("met year %v", a.Trend.MetYear)
	}
	if got := a.Trend.At(2020); !near(got, 22000) {
		t.Fatalf("forecast 2020 = %v", got)
	}
	// A series moving away never meets the target.
	b := Assess([]Point{{2013, 10}, {2014, 9}, {2015, 8}}, Target{BaseYear: 2013, Base: 10, Year: 2020, Value: 50})
	if b.Trend.MetYear != nil || b.Status != Behind {
		t.Fatalf("receding series: %+v %+v", b, b.Trend)
	}
}

func TestLowerIsBetter(t *testing.T) {
	// A national rank: 20th in 2013, goal 10th by 2020.
	tg := Target{BaseYear: 2013, Base: 20, Year: 2020, Value: 10, Lower: true}
	a := Assess([]Point{{2013, 20}, {2015, 17}, {2017, 14}}, tg)
	if a.Status != OnTrack || a.Trend == nil || a.Trend.MetYear == nil || !near(*a.Trend.MetYear, 2013+10/1.5) {
		t.Fatalf("%+v %+v", a, a.Trend)
	}
	if Assess([]Point{{2019, 9}}, tg).Status != Met {
		t.Fatal("rank 9 ≤ 10 is met")
	}
}

func FuzzAssess(f *testing.F) {
	f.Add(2013.0, 5.0, 2014.0, 7.0, 2015.0, 1.0, 4.0, 20.0, false)
	f.Fuzz(func(t *testing.T, y1, v1, y2, v2, y3, v3, base, target float64, lower bool) {
		a := Assess([]Point{{y1, v1}, {y2, v2}, {y3, v3}}, Target{BaseYear: 2012, Base: base, Year: 2015, Value: target, Lower: lower})
		switch a.Status {
		case Met, OnTrack, Warning, Behind, NoData:
		default:
			t.Fatalf("status %q", a.Status)
		}
	})
}
