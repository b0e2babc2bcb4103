package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

type nopArgs struct {
	N int `json:"n"`
}

func (nopArgs) Kind() string { return "bench_nop" }

// BenchmarkJobs measures, on each store, b.N trivial jobs: the plain
// INSERT of as many rows (one statement each, the baseline), enqueueing
// them one insert at a time, and working them (from the engine's start
// until every job is completed), with the default workers (2 on SQLite,
// 4 on PostgreSQL) and with 50. Metrics are per second.
func BenchmarkJobs(b *testing.B) {
	for _, st := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		for _, workers := range []int{0, 50} {
			b.Run(fmt.Sprintf("%s/workers=%d", st.name, workers), func(b *testing.B) {
				db := st.open(b)
				ctx := context.Background()
				n := b.N
				id := "INTEGER PRIMARY KEY"
				if db.Dialect == store.Postgres {
					id = "BIGSERIAL PRIMARY KEY"
				}
				if _, err := db.W.ExecContext(ctx, "CREATE TABLE bench_plain (id "+id+", args TEXT NOT NULL, created TIMESTAMP NOT NULL)"); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				t0 := time.Now()
				for i := range n {
					if _, err := db.W.ExecContext(ctx, "INSERT INTO bench_plain (args, created) VALUES ($1, $2)", fmt.Sprintf(`{"n":%d}`, i), time.Now()); err != nil {
						b.Fatal(err)
					}
				}
				plain := time.Since(t0)

				var done = make(chan struct{})
				r := jobs.NewRegistry()
				jobs.Handle(r, func(ctx context.Context, j *jobs.Job[nopArgs]) error { return nil })
				e, err := jobs.Open(ctx, db, r, jobs.Config{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				t0 = time.Now()
				for i := range n {
					if _, err := e.Insert(ctx, nopArgs{N: i}, nil); err != nil {
						b.Fatal(err)
					}
				}
				enqueue := time.Since(t0)
				events, cancel := e.Subscribe(river.EventKindJobCompleted)
				go func() {
					for k := 0; k < n; k++ {
						<-events
					}
					close(done)
				}()
				t0 = time.Now()
				if err := e.Start(ctx); err != nil {
					b.Fatal(err)
				}
				<-done
				work := time.Since(t0)
				b.StopTimer()
				cancel()
				e.Stop(ctx)
				b.ReportMetric(float64(n)/plain.Seconds(), "plain_inserts/s")
				b.ReportMetric(float64(n)/enqueue.Seconds(), "enqueued/s")
				b.ReportMetric(float64(n)/work.Seconds(), "worked/s")
			})
		}
	}
}
