// Command probefarm measures availability probing of many websites from
// one process: it serves N local "government websites" (one listener
// each, on 127.0.0.1, with realistic response times, a few down and a few
// hanging past the 15 s timeout), registers them in a store, runs the
// production probe loop (webcheck.ProbeLoop: scheduler, probes, batched
// writes) for a while, and reports the achieved probe rate against the
// rate the interval requires, how late probes started, the gaps between
// successive probes of each site as the sites saw them, and the rows
// written. A plain baseline in the same run fetches every homepage once
// with a fixed pool of goroutines and net/http, as fast as it can.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/webcheck"
)

type farm struct {
	urls []string
	live []string // sites that answer (up or 503) rather than hang
	mu   sync.Mutex
	seen map[int][]time.Time // site -> request times (GET /)
	srvs []*http.Server
}

func newFarm(n int, down, hang float64) (*farm, error) {
	f := &farm{seen: map[int][]time.Time{}}
	page := make([]byte, 0, 48<<10)
	page = append(page, "<!DOCTYPE html><html><head><title>某某市人民政府</title></head><body>"...)
	for len(page) < 45<<10 {
		page = append(page, "<li><a href=\"/a/1.html\">关于做好重点项目申报工作的通知</a><span>2026-11-20</span></li>"...)
	}
	page = append(page, "</body></html>"...)
	rng := rand.New(rand.NewPCG(41, 2013))
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		// Response time: most sites answer in 20–300 ms, some are down
		// (503) and some hang past the probe timeout.
		delay := time.Duration(20+rng.IntN(280)) * time.Millisecond
		r := rng.Float64()
		isDown, isHung := r < down, r >= down && r < down+hang
		i := i
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			f.mu.Lock()
			f.seen[i] = append(f.seen[i], time.Now())
			f.mu.Unlock()
			switch {
			case isHung:
				select {
				case <-time.After(30 * time.Second):
				case <-req.Context().Done():
					return
				}
			case isDown:
				http.Error(w, "service unavailable", http.StatusServiceUnavailable)
				return
			default:
				time.Sleep(delay)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		}), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		f.srvs = append(f.srvs, srv)
		f.urls = append(f.urls, "http://"+ln.Addr().String()+"/")
		if !isHung {
			f.live = append(f.live, f.urls[i])
		}
	}
	return f, nil
}

func (f *farm) reset() {
	f.mu.Lock()
	f.seen = map[int][]time.Time{}
	f.mu.Unlock()
}

// baseline fetches every homepage once with workers goroutines.
func baseline(urls []string, workers int) time.Duration {
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 2}}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(urls) {
					return
				}
				resp, err := client.Get(urls[i])
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	return xs[min(len(xs)-1, int(p*float64(len(xs))))]
}

func main() {
	n := flag.Int("sites", 1000, "websites in the farm")
	interval := flag.Duration("interval", 2*time.Minute, "probe interval per site")
	duration := flag.Duration("duration", 4*time.Minute, "how long to probe")
	conc := flag.Int("concurrency", 64, "probes in flight")
	down := flag.Float64("down", 0.02, "share of sites answering 503")
	hang := flag.Float64("hang", 0.01, "share of sites hanging past the timeout")
	dsn := flag.String("db", "", "PostgreSQL DSN (default: SQLite in a temporary directory)")
	flag.Parse()
	if err := run(*n, *interval, *duration, *conc, *down, *hang, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "probefarm:", err)
		os.Exit(1)
	}
}

func run(n int, interval, duration time.Duration, conc int, down, hang float64, dsn string) error {
	ctx := context.Background()
	f, err := newFarm(n, down, hang)
	if err != nil {
		return err
	}
	opts := store.Options{DSN: dsn}
	if dsn != "" {
		// A schema of its own, dropped at the end.
		schema := fmt.Sprintf("probefarm_%d", os.Getpid())
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			return err
		}
		defer admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		u, err := url.Parse(dsn)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		opts.DSN = u.String()
	}
	if dsn == "" {
		dir, err := os.MkdirTemp("", "probefarm")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		opts.DataDir = dir
	}
	db, err := store.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, webcheck.Schema); err != nil {
		return err
	}
	if _, err := db.W.ExecContext(ctx, `DELETE FROM webcheck_site`); err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		_, err := db.Copy(ctx, tx, "webcheck_site", []string{"url", "name", "kind", "org_code", "org_path", "created_at", "updated_at"}, func(yield func([]any) error) error {
			for i, u := range f.urls {
				if err := yield([]any{u, fmt.Sprintf("网站%d", i), webcheck.KindCounty, "41", "/41/", now, now}); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}

	fmt.Printf("sites: %d (%.0f%% down, %.0f%% hanging)  interval: %s  run: %s  concurrency: %d  cores: %d  store: %s\n",
		n, down*100, hang*100, interval, duration, conc, runtimeCores(), db.Dialect)
	// Baseline: one plain sweep of the sites that answer (hanging ones
	// would only measure the timeout), after a warm-up so both pay the
	// same connection set-up.
	baseline(f.live, conc)
	sweep := baseline(f.live, conc)
	capacity := float64(len(f.live)) / sweep.Minutes()
	f.reset()

	l := &webcheck.ProbeLoop{DB: db, Interval: interval, Concurrency: conc, Reload: duration + time.Minute, AllowPrivate: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	start := time.Now()
	l.Run(rctx)
	took := time.Since(start)
	probes, maxLate := l.Stats()
	var rows int64
	db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM webcheck_probe`).Scan(&rows)

	// Gaps between successive probes of a site, as the site saw them.
	f.mu.Lock()
	var gaps []float64
	probed := 0
	for _, ts := range f.seen {
		if len(ts) > 0 {
			probed++
		}
		for i := 1; i < len(ts); i++ {
			gaps = append(gaps, ts[i].Sub(ts[i-1]).Seconds())
		}
	}
	f.mu.Unlock()
	required := float64(n) / interval.Minutes()
	achieved := float64(probes) / took.Minutes()
	// Over a run of whole intervals every site is due duration/interval
	// times (the first round is spread over the first interval).
	due := float64(n) * duration.Seconds() / interval.Seconds()
	fmt.Printf("required rate:        %.0f probes/min (%d sites every %s)\n", required, n, interval)
	fmt.Printf("achieved rate:        %.0f probes/min (%d probes in %s; %.0f due)\n", achieved, probes, took.Round(time.Second), due)
	fmt.Printf("achieved/required:    %.3f\n", achieved/required)
	fmt.Printf("sites probed:         %d of %d\n", probed, n)
	fmt.Printf("rows stored:          %d (probes cut off by the end of the run are not stored)\n", rows)
	fmt.Printf("max start lag:        %s (due time to probe start)\n", maxLate.Round(time.Millisecond))
	fmt.Printf("gap between probes:   p50 %.1f s  p99 %.1f s  max %.1f s (interval %.0f s, jitter ±%.1f s)\n",
		pct(gaps, 0.5), pct(gaps, 0.99), pct(gaps, 1), interval.Seconds(), (interval / 20).Seconds())
	fmt.Printf("baseline sweep:       %d answering homepages in %s, plain net/http, %d goroutines = %.0f probes/min\n", len(f.live), sweep.Round(time.Millisecond), conc, capacity)
	fmt.Printf("baseline/required:    %.1f (headroom of the plain fetch over the required rate)\n", capacity/required)
	if probed < n || float64(probes) < 0.95*due {
		return fmt.Errorf("fell behind: %d probes of %.0f due, %d of %d sites probed", probes, due, probed, n)
	}
	return nil
}
