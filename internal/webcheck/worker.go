package webcheck

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/webcheck/probe"
)

var workerSeq struct {
	sync.Mutex
	n int
}

// DefaultWorkerID is host:pid:n.
func DefaultWorkerID() string {
	host, _ := os.Hostname()
	workerSeq.Lock()
	workerSeq.n++
	n := workerSeq.n
	workerSeq.Unlock()
	return fmt.Sprintf("%s:%d:%d", host, os.Getpid(), n)
}

// ProbeLoop probes every site's homepage once per Interval (the national
// census takes availability from repeated probes) and stores the results,
// spreading the probes over the interval. serve and worker probe with the
// periodic job ProbeRoundArgs instead; the loop remains for the probe
// farm benchmark (bench/probefarm).
// The site list is read again every Reload; when it changed the scheduler
// restarts, anchored to a fixed epoch so that every site keeps its phase.
type ProbeLoop struct {
	DB           *store.DB
	Interval     time.Duration // default 10 minutes
	Concurrency  int           // default 64
	Reload       time.Duration // default 1 minute
	AllowPrivate bool
	Timeout      time.Duration // per probe; default 15 s
	Log          *slog.Logger

	mu      sync.Mutex
	cur     *probe.Scheduler
	probes  int64 // of finished schedules
	maxLate time.Duration
}

// Stats reports the probes run so far and the worst delay between a
// probe's due time and its start.
func (l *ProbeLoop) Stats() (probes int64, maxLate time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	probes, late := l.probes, l.maxLate
	if l.cur != nil {
		p, ml := l.cur.Stats()
		probes += p
		late = max(late, ml)
	}
	return probes, late
}

// probeEpoch anchors every site's probe phase.
var probeEpoch = time.Unix(0, 0)

// Run probes until ctx is done. Demo sites are not probed: their URLs are
// real government sites and their data is generated.
func (l *ProbeLoop) Run(ctx context.Context) error {
	if l.Interval <= 0 {
		l.Interval = 10 * time.Minute
	}
	if l.Reload <= 0 {
		l.Reload = time.Minute
	}
	if l.Log == nil {
		l.Log = slog.Default()
	}
	release, err := l.lead(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	defer release()
	client := probeClient(l.AllowPrivate, l.Timeout)
	var (
		cur  []string
		stop = func() {}
	)
	defer func() { stop() }()
	for {
		sites, err := ListSites(ctx, l.DB, SiteFilter{})
		if err != nil && ctx.Err() == nil {
			l.Log.Warn("webcheck probes: list sites", "err", err)
		}
		ids := map[string]int64{}
		var urls []string
		for _, s := range sites {
			if !s.Demo {
				ids[s.URL] = s.ID
				urls = append(urls, s.URL)
			}
		}
		if err == nil && !slices.Equal(urls, cur) {
			stop()
			stop = func() {}
			cur = urls
			if len(urls) > 0 {
				stop = l.start(ctx, client, urls, ids)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(l.Reload):
		}
	}
}

// probeLock is the named lock that elects the one process which probes.
const probeLock = "webcheck.probe"

// lead waits until this process may run the probe loop. On PostgreSQL,
// several serve and worker processes share the database; the one holding a
// session advisory lock probes, the others wait and take over when it
// stops or dies (the server drops a dead session's locks). SQLite has one
// process.
func (l *ProbeLoop) lead(ctx context.Context) (release func(), err error) {
	if l.DB.Dialect != store.Postgres {
		return func() {}, nil
	}
	waiting := false
	for {
		release, ok, err := l.DB.TryLock(ctx, probeLock)
		if err != nil {
			return nil, err
		}
		if ok {
			if waiting {
				l.Log.Info("webcheck probes: this process takes over probing")
			}
			return release, nil
		}
		if !waiting {
			l.Log.Info("webcheck probes: another process is probing; standing by")
			waiting = true
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(l.Reload):
		}
	}
}

// start runs a scheduler over urls and returns the function that stops it
// and stores what it has.
func (l *ProbeLoop) start(ctx context.Context, client *http.Client, urls []string, ids map[string]int64) func() {
	sctx, cancel := context.WithCancel(ctx)
	sink := newProbeSink(l.DB, ids, l.Log)
	s := &probe.Scheduler{Sites: urls, Interval: l.Interval, Concurrency: l.Concurrency, Epoch: probeEpoch,
		Prober: &probe.Prober{Client: client, Timeout: l.Timeout}, Sink: sink.add}
	l.mu.Lock()
	l.cur = s
	l.mu.Unlock()
	done := make(chan struct{})
	go sink.run(sctx)
	go func() {
		defer close(done)
		s.Run(sctx)
	}()
	return func() {
		cancel()
		<-done
		p, late := s.Stats()
		l.mu.Lock()
		l.cur, l.probes, l.maxLate = nil, l.probes+p, max(l.maxLate, late)
		l.mu.Unlock()
		sink.flush(context.WithoutCancel(ctx))
	}
}
