package webcheck

import (
	"context"
	"errors"
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

// Worker claims crawl jobs from the database and runs them. Any number of
// workers, in any number of processes, may share a PostgreSQL store; each
// job is held under a lease that the worker renews while it crawls. A
// worker that dies stops renewing, and once the lease expires another
// worker claims the job and resumes the crawl from its saved state.
type Worker struct {
	DB          *store.DB
	ID          string        // unique per worker; default host:pid:n
	Concurrency int           // jobs at once; default 2
	Lease       time.Duration // default 2 minutes
	Poll        time.Duration // idle wait between claims; default 2 s
	// Options is the template for every inspection; Store, Scheme and
	// ProbeHistory are set per job. SaveInterval defaults to Lease/4 so
	// a re-claimer loses little work.
	Options Options
	// ProbeHistory is how far back scheduled probes count towards the
	// availability veto; default 7 days.
	ProbeHistory time.Duration
	Log          *slog.Logger

	mu      sync.Mutex
	done    int
	running int
}

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

func (w *Worker) defaults() {
	if w.ID == "" {
		w.ID = DefaultWorkerID()
	}
	if w.Concurrency <= 0 {
		w.Concurrency = 2
	}
	if w.Lease <= 0 {
		w.Lease = 2 * time.Minute
	}
	if w.Poll <= 0 {
		w.Poll = 2 * time.Second
	}
	if w.Options.SaveInterval <= 0 {
		w.Options.SaveInterval = w.Lease / 4
	}
	if w.ProbeHistory <= 0 {
		w.ProbeHistory = 7 * 24 * time.Hour
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
}

// Done returns how many jobs this worker finished.
func (w *Worker) Done() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.done
}

// Run claims and runs jobs until ctx is done. Jobs in progress at that
// point are released with their crawl state saved, so another worker
// resumes them at once.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	w.Log.Info("webcheck worker started", "worker", w.ID, "concurrency", w.Concurrency, "lease", w.Lease)
	slots := make(chan struct{}, w.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		job, err := ClaimJob(ctx, w.DB, w.ID, w.Lease)
		if err != nil || job == nil {
			<-slots
			if err != nil && ctx.Err() == nil {
				w.Log.Warn("webcheck: claim", "worker", w.ID, "err", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(w.Poll):
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			w.run(ctx, job)
		})
	}
}

// run inspects one claimed job, renewing its lease meanwhile.
func (w *Worker) run(ctx context.Context, j *Job) {
	log := w.Log.With("worker", w.ID, "job", j.ID, "site", j.SiteURL, "attempt", j.Attempts)
	log.Info("webcheck job claimed")
	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lost := make(chan struct{})
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		t := time.NewTicker(w.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-jctx.Done():
				return
			case <-t.C:
				err := Heartbeat(context.WithoutCancel(jctx), w.DB, j.ID, w.ID, w.Lease)
				if errors.Is(err, ErrLeaseLost) {
					close(lost)
					cancel()
					return
				}
				if err != nil {
					log.Warn("webcheck: heartbeat", "err", err)
				}
			}
		}
	}()
	o := w.Options
	o.Store = DBStateStore{DB: w.DB, Key: j.StateKey()}
	o.Logger = log
	var err error
	if o.Scheme, err = (&Round{Scheme: j.Scheme}).ParsedScheme(); err != nil {
		o.Scheme = DefaultScheme()
	}
	if hist, err := Probes(ctx, w.DB, j.SiteID, time.Now().Add(-w.ProbeHistory)); err == nil {
		o.ProbeHistory = hist
	}
	res, err := Inspect(jctx, j.SiteURL, o)
	cancel()
	<-hbDone
	bg := context.WithoutCancel(ctx)
	select {
	case <-lost:
		log.Warn("webcheck job lease lost; another worker has it")
		return
	default:
	}
	if err != nil {
		var ue *Error
		if errors.As(err, &ue) {
			FailJob(bg, w.DB, j.ID, w.ID, ue.Zh+" / "+ue.En)
		} else {
			log.Error("webcheck job failed", "err", err)
			FailJob(bg, w.DB, j.ID, w.ID, err.Error())
		}
		return
	}
	if res.Canceled || ctx.Err() != nil {
		if err := ReleaseJob(bg, w.DB, j.ID, w.ID); err != nil {
			log.Warn("webcheck: release", "err", err)
		}
		log.Info("webcheck job released for resumption", "pages", res.Pages)
		return
	}
	id, err := CompleteJob(bg, w.DB, j, w.ID, res)
	if err != nil {
		log.Error("webcheck job not saved", "err", err)
		return
	}
	w.mu.Lock()
	w.done++
	w.mu.Unlock()
	log.Info("webcheck job done", "inspection", id, "pages", res.Pages, "score", res.Score.Total, "pass", res.Verdict.Pass)
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
