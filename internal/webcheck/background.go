package webcheck

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/webcheck/probe"
)

// ProbeRoundArgs is the periodic job that probes every website's homepage
// once (the national census takes availability from repeated probes).
type ProbeRoundArgs struct{}

// Kind names the job.
func (ProbeRoundArgs) Kind() string { return "webcheck_probe_round" }

// DemoRoundsArgs is the job that builds the demo's inspection rounds.
type DemoRoundsArgs struct{}

// Kind names the job.
func (DemoRoundsArgs) Kind() string { return "webcheck_demo_rounds" }

// ProbeOptions tune a probe round.
type ProbeOptions struct {
	AllowPrivate bool
	Concurrency  int           // default 64
	Timeout      time.Duration // per probe; default 15 s
}

// ProbeRound probes the homepage of every website once, at most
// Concurrency at a time, and stores the results. Demo sites are not
// probed: their URLs are real government sites and their data is
// generated. It returns how many sites it probed.
func ProbeRound(ctx context.Context, db *store.DB, o ProbeOptions) (int, error) {
	sites, err := ListSites(ctx, db, SiteFilter{})
	if err != nil {
		return 0, err
	}
	n := o.Concurrency
	if n <= 0 {
		n = 64
	}
	p := &probe.Prober{Client: probeClient(o.AllowPrivate, o.Timeout), Timeout: o.Timeout}
	var (
		mu  sync.Mutex
		out []SiteProbe
		wg  sync.WaitGroup
		sem = make(chan struct{}, n)
	)
	for _, s := range sites {
		if s.Demo {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := p.Probe(ctx, s.URL)
			mu.Lock()
			out = append(out, SiteProbe{SiteID: s.ID, Result: r})
			mu.Unlock()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return len(out), SaveProbeBatch(context.WithoutCancel(ctx), db, out)
}

// JobOptions configure the module's background work in one process.
type JobOptions struct {
	// AllowPrivate lets crawls and probes reach private and loopback
	// addresses (--allow-private).
	AllowPrivate bool
	// ProbeInterval is how often every site is probed (0: never).
	ProbeInterval time.Duration
	// Lease is how long a crawl is held without a heartbeat (default 2
	// minutes): a process that dies loses its crawls after this.
	Lease time.Duration
	// ID names this process in the job rows (default host:pid:n).
	ID string
	// AxeScript and AxeLocale, when set, run the accessibility checks in
	// Chromium.
	AxeScript, AxeLocale []byte
}

// RegisterJobs registers the module's background work: crawl jobs (see
// Crawler), the probe round (periodic, every ProbeInterval when it is
// positive) and the demo rounds (enqueued by the server started with
// --demo).
func RegisterJobs(r *jobs.Registry, db *store.DB, log *slog.Logger, o JobOptions) {
	if log == nil {
		log = slog.Default()
	}
	c := &Crawler{DB: db, ID: o.ID, Lease: o.Lease, Log: log,
		Options: Options{AllowPrivate: o.AllowPrivate, AxeScript: o.AxeScript, AxeLocale: o.AxeLocale}}
	c.Register(r)
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[ProbeRoundArgs]) error {
		start := time.Now()
		n, err := ProbeRound(ctx, db, ProbeOptions{AllowPrivate: o.AllowPrivate})
		if err != nil {
			return err
		}
		log.Debug("webcheck probes", "sites", n, "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[DemoRoundsArgs]) error {
		return LoadDemoRounds(ctx, db, log)
	})
	if every := o.ProbeInterval; every > 0 {
		r.Every("webcheck_probe_round", every, true, func() (jobs.Args, *jobs.InsertOpts) {
			// one round per period even if a leader change re-enqueues
			return ProbeRoundArgs{}, &jobs.InsertOpts{MaxAttempts: 1, UniqueOpts: jobs.UniqueOpts{ByPeriod: every}}
		})
	}
}
