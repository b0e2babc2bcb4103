package evalstore

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// monitored migrates a fresh store with org units and the monitoring
// catalogue, and writes a few monitoring figures for 2020:
//
//	CNC_RATE = FIRMS_CNC / FIRMS_ABOVE_SCALE: 郑州 4101 from two districts,
//	  (30 + 10) / (50 + 150) = 20 % (the mean of the districts' rates would
//	  be 33.3 %); 开封 4102 45 / 90 = 50 %; nothing for 洛阳 4103.
//	BB_URBAN_CAP: 4101 100, 4102 50 Mb/s.
func monitored(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	// Written once per test process into a template each test copies.
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, monitor.Schema, Schema); err != nil {
			return err
		}
		if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
			return err
		}
		return monitor.InstallCatalog(ctx, db)
	}
	if !storetest.FillFromTemplate(t, db, "evalstore-monitored", build) {
		if err := build(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	vals := []monitor.Value{
		{DataElement: "FIRMS_CNC", OrgUnit: "410102", Period: "2020", Value: "30"},
		{DataElement: "FIRMS_ABOVE_SCALE", OrgUnit: "410102", Period: "2020", Value: "50"},
		{DataElement: "FIRMS_CNC", OrgUnit: "410103", Period: "2020", Value: "10"},
		{DataElement: "FIRMS_ABOVE_SCALE", OrgUnit: "410103", Period: "2020", Value: "150"},
		{DataElement: "FIRMS_CNC", OrgUnit: "4102", Period: "2020", Value: "45"},
		{DataElement: "FIRMS_ABOVE_SCALE", OrgUnit: "4102", Period: "2020", Value: "90"},
		{DataElement: "BB_URBAN_CAP", OrgUnit: "4101", Period: "2020", Value: "100"},
		{DataElement: "BB_URBAN_CAP", OrgUnit: "4102", Period: "2020", Value: "50"},
	}
	if err := monitor.SaveValues(ctx, db, audit.Actor{Name: "tester"}, vals); err != nil {
		t.Fatal(err)
	}
}

const monitorFW = `
id: mon-test
name: {zh: 测试, en: Test}
scale: 100
normalisation: {method: goalpost}
treatment: {missing: exclude, outliers: none}
nodes:
  - {id: root, name: {zh: 根, en: Root}, weighting: explicit}
indicators:
  - {id: cnc, parent: root, weight: 0.6, source: "monitor:CNC_RATE", name: {zh: 数控, en: CNC}, normalisation: {method: goalpost, min: 0, max: 100}}
  - {id: cap, parent: root, weight: 0.4, source: "monitor:BB_URBAN_CAP", name: {zh: 宽带, en: Broadband}, normalisation: {method: goalpost, min: 0, max: 200}}
`

func parseFW(t *testing.T, text string) *evaluate.Framework {
	t.Helper()
	fw, err := evaluate.ParseFramework(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return fw
}

func score(t *testing.T, res *evaluate.Result, year int, unit string) float64 {
	t.Helper()
	for _, yr := range res.Years {
		if yr.Year == year {
			return float64(yr.Scores[res.Root][slices.Index(res.Units, unit)])
		}
	}
	t.Fatalf("no year %d", year)
	return 0
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestMonitorRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		monitored(t, db)
		ctx := context.Background()
		fw := parseFW(t, monitorFW)
		if got := MonitorCodes(fw); got["cnc"] != "CNC_RATE" || got["cap"] != "BB_URBAN_CAP" || len(got) != 2 {
			t.Fatalf("codes %v", got)
		}
		m, err := LoadForFramework(ctx, fw, &Monitor{DB: db}, nil, []string{"4101", "4102", "4103"}, []int{2019, 2020})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Data.Years, []int{2020}) {
			t.Fatalf("years %v (2019 has no figures)", m.Data.Years)
		}
		if v := m.Data.Value("4101", 2020, "cnc"); !near(v, 20) {
			t.Fatalf("CNC rate of 4101 = %v, want 20 (from aggregated parts)", v)
		}
		if m.From["cnc"] != FromMonitor || m.From["cap"] != FromMonitor {
			t.Fatalf("from %v", m.From)
		}
		res, err := evaluate.Run(fw, m.Data, evaluate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// 4101: 0.6·20/100 + 0.4·100/200 = 0.32; 4102: 0.6·0.5 + 0.4·0.25 = 0.40.
		if s := score(t, res, 2020, "4101"); !near(s, 32) {
			t.Fatalf("4101 scores %v, want 32", s)
		}
		if s := score(t, res, 2020, "4102"); !near(s, 40) {
			t.Fatalf("4102 scores %v, want 40", s)
		}
		// 4103 has no monitoring figures: it is in the data, without values.
		if s := score(t, res, 2020, "4103"); !math.IsNaN(s) {
			t.Fatalf("4103 scores %v, want missing", s)
		}
	})
}

func TestMonitorScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		monitored(t, db)
		ctx := context.Background()
		mon := Monitor{DB: db, Codes: map[string]string{"cnc": "CNC_RATE"}, Scopes: []string{"/41/4101/"}}
		d, err := mon.Values(ctx, nil, []string{"4101", "4102", "410102"}, []int{2020})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Units, []string{"4101", "410102"}) {
			t.Fatalf("units %v: 4102 is outside the scope", d.Units)
		}
		if v := d.Value("410102", 2020, "cnc"); !near(v, 60) {
			t.Fatalf("410102 = %v, want 60", v)
		}
		// A caller seeing nothing gets nothing, not an error.
		d, err = Monitor{DB: db, Codes: mon.Codes, Scopes: []string{}}.Values(ctx, nil, []string{"4101"}, []int{2020})
		if err != nil || len(d.Units) != 0 {
			t.Fatalf("empty scope: %v %v", d.Units, err)
		}
		// Merged with a stored dataset, the index covers the visible units only.
		ds := evaluate.NewDataset([]string{"4101", "4102"}, []string{"cnc", "cap"}, []int{2020})
		ds.Set("4101", 2020, "cap", 100)
		ds.Set("4102", 2020, "cap", 100)
		ds.Set("4102", 2020, "cnc", 90)
		info, err := SaveDataset(ctx, db, audit.Actor{Name: "t"}, "scoped", "", "/41/", false, ds)
		if err != nil {
			t.Fatal(err)
		}
		m, err := LoadForFramework(ctx, parseFW(t, monitorFW), &Monitor{DB: db, Scopes: []string{"/41/4101/"}}, Stored{DB: db, ID: info.ID}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Data.Units, []string{"4101"}) {
			t.Fatalf("merged units %v", m.Data.Units)
		}
	})
}

// mixedFW mixes monitoring-sourced indicators with one from the dataset.
const mixedFW = `
id: mixed-test
name: {zh: 混合, en: Mixed}
scale: 100
normalisation: {method: goalpost}
treatment: {missing: exclude, outliers: none}
nodes:
  - {id: root, name: {zh: 根, en: Root}, weighting: explicit}
indicators:
  - {id: cnc, parent: root, weight: 0.5, source: "monitor:CNC_RATE", name: {zh: 数控, en: CNC}, normalisation: {method: goalpost, min: 0, max: 100}}
  - {id: cap, parent: root, weight: 0.3, source: "monitor:BB_URBAN_CAP", name: {zh: 宽带, en: Broadband}, normalisation: {method: goalpost, min: 0, max: 200}}
  - {id: edu, parent: root, weight: 0.2, name: {zh: 教育, en: Education}, normalisation: {method: goalpost, min: 0, max: 10}}
`

func TestMonitorMixedMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		monitored(t, db)
		ctx := context.Background()
		ds := evaluate.NewDataset([]string{"4101", "4102", "4103"}, []string{"cnc", "edu"}, []int{2020})
		for u, v := range map[string]float64{"4101": 99, "4102": 99, "4103": 70} {
			ds.Set(u, 2020, "cnc", v) // monitoring figures win for 4101 and 4102
		}
		for u, v := range map[string]float64{"4101": 5, "4102": 8, "4103": 2} {
			ds.Set(u, 2020, "edu", v)
		}
		info, err := SaveDataset(ctx, db, audit.Actor{Name: "t"}, "mixed", "", "/41/", false, ds)
		if err != nil {
			t.Fatal(err)
		}
		fw := parseFW(t, mixedFW)
		m, err := LoadForFramework(ctx, fw, &Monitor{DB: db}, Stored{DB: db, ID: info.ID}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"cnc": FromBoth, "cap": FromMonitor, "edu": FromDataset}
		for s, f := range want {
			if m.From[s] != f {
				t.Fatalf("%s from %q, want %q (%v)", s, m.From[s], f, m.From)
			}
		}
		for _, c := range []struct {
			unit, series string
			want         float64
		}{{"4101", "cnc", 20}, {"4102", "cnc", 50}, {"4103", "cnc", 70}, {"4101", "cap", 100}, {"4102", "edu", 8}} {
			if v := m.Data.Value(c.unit, 2020, c.series); !near(v, c.want) {
				t.Fatalf("%s %s = %v, want %v", c.unit, c.series, v, c.want)
			}
		}
		res, err := evaluate.Run(fw, m.Data, evaluate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// 4101: 0.5·0.2 + 0.3·0.5 + 0.2·0.5 = 0.35
		// 4102: 0.5·0.5 + 0.3·0.25 + 0.2·0.8 = 0.485
		// 4103: no cap → weights re-normalised: (0.5·0.7 + 0.2·0.2) / 0.7
		for u, w := range map[string]float64{"4101": 35, "4102": 48.5, "4103": (0.35 + 0.04) / 0.7 * 100} {
			if s := score(t, res, 2020, u); !near(s, w) {
				t.Fatalf("%s scores %v, want %v", u, s, w)
			}
		}
		if !Covers(m.Data, []string{"cnc"}, []string{"4101", "4102", "4103"}, 2020) {
			t.Fatal("merged data cover cnc")
		}
		mon, err := Monitor{DB: db, Codes: MonitorCodes(fw)}.Values(ctx, nil, []string{"4101", "4102", "4103"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if Covers(mon, []string{"cnc", "cap"}, []string{"4101", "4102", "4103"}, 2020) {
			t.Fatal("monitoring data have nothing for 4103")
		}
		if got := CoveredYears(mon, []string{"cnc", "cap"}, []string{"4101", "4102"}); !slices.Equal(got, []int{2020}) {
			t.Fatalf("covered years %v", got)
		}
	})
}

func TestDeleteDataset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrated(t, db)
		ctx := context.Background()
		ds := evaluate.NewDataset([]string{"4101"}, []string{"a"}, []int{2020})
		ds.Set("4101", 2020, "a", 1)
		info, err := SaveDataset(ctx, db, audit.Actor{Name: "t"}, "gone", "", "/41/4101/", false, ds)
		if err != nil {
			t.Fatal(err)
		}
		if err := DeleteDataset(ctx, db, audit.Actor{Name: "t"}, info.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := GetDataset(ctx, db, info.ID); err != ErrNotFound {
			t.Fatalf("after delete: %v", err)
		}
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM evaluate_value WHERE dataset_id = $1`, info.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 || auditCount(t, db, "evaluate_dataset") != 2 {
			t.Fatalf("values left %d, audit %d", n, auditCount(t, db, "evaluate_dataset"))
		}
		if err := DeleteDataset(ctx, db, audit.Actor{Name: "t"}, info.ID); err != ErrNotFound {
			t.Fatalf("second delete: %v", err)
		}
	})
}
