package reporting

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"

	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/store"
)

var benchDB struct {
	once sync.Once
	db   *store.DB
}

// benchStore is a SQLite store with the demo data of one city.
func benchStore(b *testing.B) *store.DB {
	benchDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "reporting-bench")
		if err != nil {
			b.Fatal(err)
		}
		db, err := store.Open(context.Background(), store.Options{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		setup(b, db)
		if err := GenerateDemo(context.Background(), db, nil, DemoOptions{Within: "/41/4101/", Months: 2}); err != nil {
			b.Fatal(err)
		}
		benchDB.db = db
	})
	return benchDB.db
}

// BenchmarkProgress is the dashboard's target cards at the province:
// every §2.3 target read, assessed and forecast.
func BenchmarkProgress(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Progress(ctx, db, ProgressQuery{Units: []string{orgunit.Root}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProgressBaseline is the plain analytics query Progress wraps:
// the same indicators, years and unit, no assessment.
func BenchmarkProgressBaseline(b *testing.B) {
	db := benchStore(b)
	ctx := context.Background()
	var dx, pe []string
	seen := map[string]bool{}
	for _, t := range plan.Default().Targets() {
		if !seen[t.Indicator] {
			seen[t.Indicator] = true
			dx = append(dx, t.Indicator)
		}
	}
	for y := DemoFrom; y <= DemoTo; y++ {
		pe = append(pe, strconv.Itoa(y))
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := monitor.Analytics(ctx, db, monitor.Query{DX: dx, PE: pe, OU: []string{orgunit.Root}}); err != nil {
			b.Fatal(err)
		}
	}
}
