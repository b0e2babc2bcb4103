package webcheck

import (
	"context"
	"fmt"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// BenchmarkJobCycle measures the job table's overhead per inspection:
// claim a queued job, renew its lease once, and complete it with a result
// that raises four problems, on each store.
func BenchmarkJobCycle(b *testing.B) {
	for _, eng := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(eng.name, func(b *testing.B) {
			db := eng.open(b)
			setupStore(b, db)
			ctx := context.Background()
			var ids []int64
			for i := range 20 {
				ids = append(ids, mustSite(b, db, fmt.Sprintf("http://s%d.gov.cn/", i), "站点", KindCounty, "410102").ID)
			}
			r := fakeResult("http://s0.gov.cn/", 1, true)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%len(ids) == 0 {
					b.StopTimer()
					if _, err := CreateRound(ctx, db, nil, testActor, RoundInput{Name: "bench", SiteIDs: ids}, nil); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				j, err := claimNext(ctx, db, "bench", 60e9)
				if err != nil || j == nil {
					b.Fatalf("claim %v %v", j, err)
				}
				if err := Heartbeat(ctx, db, j.ID, "bench", 60e9); err != nil {
					b.Fatal(err)
				}
				if _, err := CompleteJob(ctx, db, j, "bench", r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
