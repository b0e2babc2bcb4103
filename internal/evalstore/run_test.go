package evalstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestResolveRun covers how an index run picks its sources: the
// automatic choice, explicit sources, scopes, default units and the
// errors, on both stores.
func TestResolveRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		monitored(t, db)
		ctx := context.Background()
		all := parseFW(t, monitorFW) // every indicator from monitoring
		mixed := parseFW(t, mixedFW) // edu only from a dataset
		ds := evaluate.NewDataset([]string{"4101", "4102", "4103"}, []string{"cnc", "edu"}, []int{2020})
		for u, v := range map[string]float64{"4101": 5, "4102": 8, "4103": 2} {
			ds.Set(u, 2020, "edu", v)
		}
		info, err := SaveDataset(ctx, db, audit.Actor{Name: "t"}, "run-test", "", "/41/", false, ds)
		if err != nil {
			t.Fatal(err)
		}
		stored := Stored{DB: db, ID: info.ID}
		units := []string{"4101", "4102"}

		// automatic: monitoring covers every indicator in 2020
		run, err := ResolveRun(ctx, db, RunInput{Framework: all, Units: units})
		if err != nil {
			t.Fatal(err)
		}
		if run.Source != FromMonitor || !slices.Equal(run.MonitorYears, []int{2020}) || run.From["cnc"] != FromMonitor {
			t.Fatalf("automatic: source %q, years %v, from %v", run.Source, run.MonitorYears, run.From)
		}
		if v := run.Data.Value("4101", 2020, "cnc"); !near(v, 20) {
			t.Fatalf("4101 cnc = %v, want 20", v)
		}
		if err := run.Complete(all); err != nil {
			t.Fatal(err)
		}

		// automatic, but the year asked for has no monitoring figures and
		// no dataset is given: nothing to run, bilingually
		_, err = ResolveRun(ctx, db, RunInput{Framework: all, Units: units, Year: 2019})
		var ue *i18n.Error
		if !errors.Is(err, ErrNoData) || !errors.As(err, &ue) || ue.Field != "data" {
			t.Fatalf("2019 without data: %v", err)
		}

		// automatic with a partly monitored framework: only with a dataset
		// to fill the rest
		if _, err := ResolveRun(ctx, db, RunInput{Framework: mixed, Units: units}); !errors.Is(err, ErrNoData) {
			t.Fatalf("mixed without dataset: %v", err)
		}
		run, err = ResolveRun(ctx, db, RunInput{Framework: mixed, Dataset: stored, Units: units})
		if err != nil {
			t.Fatal(err)
		}
		if run.Source != FromMonitor || run.From["cnc"] != FromMonitor || run.From["edu"] != FromDataset || run.From["cap"] != FromMonitor {
			t.Fatalf("mixed with dataset: %q %v", run.Source, run.From)
		}
		if !slices.Equal(run.Data.Units, units) || run.Data.Value("4102", 2020, "edu") != 8 {
			t.Fatalf("mixed run units %v", run.Data.Units)
		}
		// without units, monitoring must cover the 18 cities to be chosen;
		// a monitoring run asked for takes the dataset's units
		if run, err = ResolveRun(ctx, db, RunInput{Framework: mixed, Dataset: stored}); err != nil || run.Source != FromDataset {
			t.Fatalf("mixed, default units: %v %+v", err, run)
		}
		run, err = ResolveRun(ctx, db, RunInput{Framework: mixed, Source: FromMonitor, Dataset: stored})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(run.Data.Units, []string{"4101", "4102", "4103"}) {
			t.Fatalf("monitoring run with a dataset: units %v, want the dataset's", run.Data.Units)
		}

		// explicit dataset: monitoring is not read
		run, err = ResolveRun(ctx, db, RunInput{Framework: mixed, Source: FromDataset, Dataset: stored})
		if err != nil {
			t.Fatal(err)
		}
		if run.Source != FromDataset || run.From != nil || run.MonitorYears != nil || run.Data.Value("4103", 2020, "edu") != 2 {
			t.Fatalf("dataset run: %+v", run)
		}
		if _, err := ResolveRun(ctx, db, RunInput{Framework: mixed, Source: FromDataset, Dataset: Stored{DB: db, ID: info.ID + 1000}}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing dataset: %v", err)
		}

		// scopes: a caller in 郑州 reads 郑州's monitoring figures only
		run, err = ResolveRun(ctx, db, RunInput{Framework: all, Source: FromMonitor, Units: units, Scopes: []string{"/41/4101/"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(run.Data.Units, []string{"4101"}) {
			t.Fatalf("scoped units %v", run.Data.Units)
		}

		// default units: the 18 city-level units
		run, err = ResolveRun(ctx, db, RunInput{Framework: all, Source: FromMonitor})
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Data.Units) != 18 || !slices.Contains(run.Data.Units, "419001") {
			t.Fatalf("default units %v", run.Data.Units)
		}

		// a monitoring run of a partly monitored framework without data
		// for the rest is incomplete, and says which indicator lacks
		run, err = ResolveRun(ctx, db, RunInput{Framework: mixed, Source: FromMonitor, Units: units})
		if err != nil {
			t.Fatal(err)
		}
		if err := run.Complete(mixed); err == nil || !strings.Contains(err.Error(), "edu") {
			t.Fatalf("incomplete run: %v", err)
		}

		// refused inputs
		plain := parseFW(t, strings.ReplaceAll(strings.ReplaceAll(monitorFW, `source: "monitor:CNC_RATE", `, ""), `source: "monitor:BB_URBAN_CAP", `, ""))
		if _, err := ResolveRun(ctx, db, RunInput{Framework: plain, Source: FromMonitor}); !errors.As(err, &ue) || ue.Field != "source" {
			t.Fatalf("monitor run of an unmonitored framework: %v", err)
		}
		if _, err := ResolveRun(ctx, db, RunInput{Framework: all, Source: "web"}); !errors.As(err, &ue) || ue.Field != "source" {
			t.Fatalf("unknown source: %v", err)
		}
	})
}

// TestDefaultDataset picks the dataset a regional index runs on by what
// it holds — the framework's indicators, most of the level's units — not
// by a demo dataset's name; real data before synthetic, then the newest.
func TestDefaultDataset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrated(t, db)
		ctx := context.Background()
		fw := parseFW(t, mixedFW) // needs edu from a dataset
		level := []string{"4101", "4102", "4103", "4104"}
		save := func(name string, synthetic bool, units []string, series string) DatasetInfo {
			t.Helper()
			d := evaluate.NewDataset(units, []string{series}, []int{2020})
			for i, u := range units {
				d.Set(u, 2020, series, float64(i+1))
			}
			info, err := SaveDataset(ctx, db, audit.Actor{Name: "t"}, name, "", "/41/", synthetic, d)
			if err != nil {
				t.Fatal(err)
			}
			return *info
		}
		if _, err := DefaultDataset(ctx, db, fw, level, nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("no datasets: %v", err)
		}
		synth := save("合成", true, []string{"4101", "4102", "4103"}, "edu")
		save("一个市", false, []string{"4101"}, "edu")                     // too few of the level's units
		save("缺指标", false, []string{"4101", "4102", "4103"}, "cnc")     // lacks edu
		save("县", false, []string{"410102", "410103", "410104"}, "edu") // another level
		if got, err := DefaultDataset(ctx, db, fw, level, nil); err != nil || got.ID != synth.ID {
			t.Fatalf("want the synthetic dataset, got %+v (%v)", got, err)
		}
		actual := save("实际", false, []string{"4101", "4102", "4104"}, "edu")
		save("更新的合成", true, level, "edu")
		if got, err := DefaultDataset(ctx, db, fw, level, nil); err != nil || got.ID != actual.ID {
			t.Fatalf("want the real dataset, got %+v (%v)", got, err)
		}
		if _, err := DefaultDataset(ctx, db, fw, []string{"4105", "4106"}, nil); !errors.Is(err, ErrNotFound) {
			t.Fatalf("level without data: %v", err)
		}
	})
}
