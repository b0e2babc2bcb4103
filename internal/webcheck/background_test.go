package webcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

// TestProbeRoundJob: the periodic probe round runs on the job engine,
// probes every registered site once per round, and leaves demo sites
// alone.
func TestProbeRoundJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
		defer up.Close()
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) }))
		defer down.Close()
		a := mustSite(t, db, up.URL, "在线", KindCity, "4101")
		b := mustSite(t, db, down.URL, "故障", KindCity, "4102")
		if _, err := LoadDemoSites(ctx, db); err != nil {
			t.Fatal(err)
		}
		r := jobs.NewRegistry()
		RegisterJobs(r, db, quietLog, JobOptions{AllowPrivate: true, ProbeInterval: time.Second})
		e, err := jobs.Open(ctx, db, r, jobs.Config{PollInterval: 200 * time.Millisecond, Log: quietLog})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer e.Stop(ctx)
		testwait.Until(t, "two probe rounds", func() bool {
			pa, err := Probes(ctx, db, a.ID, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			return len(pa) >= 2
		})
		pa, _ := Probes(ctx, db, a.ID, time.Time{})
		pb, _ := Probes(ctx, db, b.ID, time.Time{})
		if len(pb) < 2 || !pa[0].OK || pb[0].OK || pb[0].Status != 503 {
			t.Fatalf("probes: up %d %+v, down %d %+v", len(pa), pa, len(pb), pb)
		}
		var demo int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM webcheck_probe p JOIN webcheck_site s ON s.id = p.site_id WHERE s.demo`).Scan(&demo); err != nil {
			t.Fatal(err)
		}
		if demo != 0 {
			t.Fatalf("%d probes of demo sites", demo)
		}
		list, err := e.List(ctx, jobs.Filter{Kinds: []string{ProbeRoundArgs{}.Kind()}, States: []jobs.State{jobs.Completed}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) < 1 { // the newest may not be marked completed yet
			t.Fatalf("%d completed probe rounds, %d probes per site", len(list), len(pa))
		}
	})
}
