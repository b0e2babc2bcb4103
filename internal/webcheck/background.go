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

// RegisterJobs registers the module's background work: the probe round
// (periodic, every env.ProbeInterval when it is positive) and the demo
// rounds (enqueued by the server started with --demo).
func RegisterJobs(r *jobs.Registry, db *store.DB, log *slog.Logger, allowPrivate bool, probeEvery time.Duration) {
	if log == nil {
		log = slog.Default()
	}
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[ProbeRoundArgs]) error {
		start := time.Now()
		n, err := ProbeRound(ctx, db, ProbeOptions{AllowPrivate: allowPrivate})
		if err != nil {
			return err
		}
		log.Debug("webcheck probes", "sites", n, "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[DemoRoundsArgs]) error {
		return LoadDemoRounds(ctx, db, log)
	})
	if probeEvery > 0 {
		r.Every("webcheck_probe_round", probeEvery, true, func() (jobs.Args, *jobs.InsertOpts) {
			// one round per period even if a leader change re-enqueues
			return ProbeRoundArgs{}, &jobs.InsertOpts{MaxAttempts: 1, UniqueOpts: jobs.UniqueOpts{ByPeriod: probeEvery}}
		})
	}
}
