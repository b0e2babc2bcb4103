package webcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/store"
)

// Crawl jobs. Each row of webcheck_job (one site in a round, or a
// re-check) is worked by one job of the job engine, CrawlArgs, on its own
// queue (CrawlQueue) so that crawls never hold up the light background
// work. The engine gives retries, unique jobs and the hand-over of a job
// whose process died; the row keeps what users see (queued, running,
// done, failed, attempts) and a short lease renewed by a heartbeat while
// the crawl runs, so that a process that is only slow is never doubled by
// another. A crawl saves its state as it goes (DBStateStore under the
// row's StateKey): whoever runs the job next resumes from there.

// CrawlQueue is the queue crawl jobs run on; a process works it with as
// many crawls at once as its jobs.Config.Queues gives it.
const CrawlQueue = "webcheck"

// CrawlArgs is the job that inspects the site of one webcheck_job row.
type CrawlArgs struct {
	Job int64 `json:"job"`
}

// Kind names the job.
func (CrawlArgs) Kind() string { return "webcheck_crawl" }

// CrawlSweepArgs is the periodic job that enqueues a crawl job for every
// queued or abandoned row that has none (rounds started by a process
// without a job engine; an installation upgraded from the old queue).
type CrawlSweepArgs struct{}

// Kind names the job.
func (CrawlSweepArgs) Kind() string { return "webcheck_crawl_sweep" }

// crawlOpts: one engine job per row, whatever enqueues it; a few more
// attempts than MaxAttempts so that the row's own count decides.
func crawlOpts() *jobs.InsertOpts {
	return &jobs.InsertOpts{Queue: CrawlQueue, MaxAttempts: MaxAttempts + 2, UniqueOpts: jobs.UniqueOpts{ByArgs: true}}
}

// Enqueuer enqueues a job inside a store transaction (*jobs.Engine).
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *store.Tx, args jobs.Args, opts *jobs.InsertOpts) (jobs.Inserted, error)
}

// enqueueCrawls enqueues the crawl jobs of rows ids inside tx with e
// (nil: only the rows exist; the sweep enqueues them later).
func enqueueCrawls(ctx context.Context, e Enqueuer, tx *store.Tx, ids []int64) error {
	if e == nil {
		return nil
	}
	for _, id := range ids {
		if _, err := e.InsertTx(ctx, tx, CrawlArgs{Job: id}, crawlOpts()); err != nil {
			return err
		}
	}
	return nil
}

// enqueueRound enqueues the crawl jobs of round id's rows inside tx with
// e (nil: none).
func enqueueRound(ctx context.Context, e Enqueuer, tx *store.Tx, round int64) error {
	if e == nil {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM webcheck_job WHERE round_id = $1 AND status = $2 ORDER BY id`, round, JobQueued)
	if err != nil {
		return err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return enqueueCrawls(ctx, e, tx, ids)
}

// SweepCrawls enqueues a crawl job for every queued row, and every
// running row whose lease has expired, that has none pending. It returns
// how many rows it looked at.
func SweepCrawls(ctx context.Context, db *store.DB, e Enqueuer) (int, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id FROM webcheck_job WHERE status = $1 OR (status = $2 AND lease_until < $3) ORDER BY id`,
		JobQueued, JobRunning, store.Now())
	if err != nil {
		return 0, fmt.Errorf("webcheck: sweep: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	return len(ids), db.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			if _, err := e.InsertTx(ctx, tx, CrawlArgs{Job: id}, crawlOpts()); err != nil {
				return err
			}
		}
		return nil
	})
}

// errBusy: the row is held by a live worker elsewhere.
var errBusy = errors.New("webcheck: job held by another worker")

// claimJob takes row id for worker until now+lease: a queued row, or a
// running row whose lease has expired (its worker died). A row already
// finished returns nil; a row whose worker died MaxAttempts times is
// failed and returns nil; a row held by a live worker returns errBusy.
func claimJob(ctx context.Context, db *store.DB, id int64, worker string, lease time.Duration) (*Job, error) {
	var j *Job
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		var st string
		var attempts int
		var until sql.NullTime
		err := tx.QueryRowContext(ctx, `SELECT status, attempts, lease_until FROM webcheck_job WHERE id = $1`+forUpdate(db), id).Scan(&st, &attempts, &until)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case st == JobDone || st == JobFailed:
			return nil
		case st == JobRunning && until.Valid && until.Time.After(now):
			return errBusy
		case st == JobRunning && attempts >= MaxAttempts:
			_, err := tx.ExecContext(ctx, `UPDATE webcheck_job SET status = $1, error = $2, finished_at = $3 WHERE id = $4`,
				JobFailed, jobError(i18n.Errorf("工作进程中断 %d 次", "worker lost %d times", MaxAttempts)), now, id)
			return err
		}
		j = &Job{}
		err = tx.QueryRowContext(ctx, `UPDATE webcheck_job SET status = $1, claimed_by = $2, lease_until = $3, heartbeat_at = $4,
				attempts = attempts + 1, started_at = COALESCE(started_at, $4)
			WHERE id = $5 RETURNING id, round_id, site_id, purpose, attempts`,
			JobRunning, worker, now.Add(lease), now, id).Scan(&j.ID, &j.RoundID, &j.SiteID, &j.Purpose, &j.Attempts)
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT s.url, r.scheme, r.deadline_days FROM webcheck_site s, webcheck_round r WHERE s.id = $1 AND r.id = $2`,
			j.SiteID, j.RoundID).Scan(&j.SiteURL, &j.Scheme, &j.DeadlineDays)
	})
	if err != nil {
		if errors.Is(err, errBusy) {
			return nil, err
		}
		return nil, fmt.Errorf("webcheck: claim job %d: %w", id, err)
	}
	return j, nil
}

// The defaults of [Crawler]: a dead process's crawl is taken over after
// about two minutes.
const (
	DefaultLease = time.Minute
	DefaultSlice = 90 * time.Second
)

// Crawler works crawl jobs in one process.
type Crawler struct {
	DB *store.DB
	// ID names this process in the job rows (default host:pid:n).
	ID string
	// Lease is how long a row is held without a heartbeat (default 1
	// minute, renewed every third of it); a process that dies loses its
	// rows after this.
	Lease time.Duration
	// Options is the template for every inspection; Store, Scheme and
	// ProbeHistory are set per job. SaveInterval defaults to Lease/4 so
	// that whoever resumes loses little work.
	Options Options
	// ProbeHistory is how far back scheduled probes count towards the
	// availability veto; default 7 days.
	ProbeHistory time.Duration
	// Slice is how long one run of a crawl job lasts (default 90
	// seconds): a longer crawl saves its state, gives its row back and
	// continues in the job's next run. A job whose process died is handed
	// over once a slice (and the engine's RescueAfter) has passed, so
	// with the defaults a dead process's crawl resumes elsewhere within
	// about two minutes: the slice, River's rescuer (every 30 s) and,
	// when the row is still leased, one wait for the lease.
	Slice time.Duration
	Log   *slog.Logger
}

func (w *Crawler) defaults() {
	if w.ID == "" {
		w.ID = DefaultWorkerID()
	}
	if w.Lease <= 0 {
		w.Lease = DefaultLease
	}
	if w.Options.SaveInterval <= 0 {
		w.Options.SaveInterval = w.Lease / 4
	}
	if w.ProbeHistory <= 0 {
		w.ProbeHistory = 7 * 24 * time.Hour
	}
	if w.Slice <= 0 {
		w.Slice = DefaultSlice
	}
	if w.Log == nil {
		w.Log = slog.Default()
	}
}

// Register adds the crawl job and its sweep (every hour, and at start)
// to r; the sweep enqueues with the engine built on r.
func (w *Crawler) Register(r *jobs.Registry) {
	w.defaults()
	jobs.HandleFor(r, w.Slice, w.Work)
	var engine *jobs.Engine
	r.OnOpen(func(e *jobs.Engine) { engine = e })
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[CrawlSweepArgs]) error {
		if engine == nil {
			return nil
		}
		_, err := SweepCrawls(ctx, w.DB, engine)
		return err
	})
	r.Every("webcheck_crawl_sweep", time.Hour, true, func() (jobs.Args, *jobs.InsertOpts) {
		return CrawlSweepArgs{}, &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByPeriod: time.Hour}}
	})
}

// Work runs one crawl job: it claims the row, inspects the site while
// renewing the lease, and stores the result. A row held by a live worker
// elsewhere is tried again once its lease could have passed.
func (w *Crawler) Work(ctx context.Context, job *jobs.Job[CrawlArgs]) error {
	j, err := claimJob(ctx, w.DB, job.Args.Job, w.ID, w.Lease)
	if errors.Is(err, errBusy) {
		return jobs.Snooze(w.Lease)
	}
	if err != nil || j == nil {
		return err
	}
	return w.run(ctx, j)
}

// run inspects one claimed row, renewing its lease meanwhile.
func (w *Crawler) run(ctx context.Context, j *Job) error {
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
		return nil
	default:
	}
	if err != nil {
		if ue := (*i18n.Error)(nil); !errors.As(err, &ue) {
			log.Error("webcheck job failed", "err", err)
		}
		return FailJob(bg, w.DB, j.ID, w.ID, jobError(err))
	}
	if res.Canceled || ctx.Err() != nil {
		// shutting down, or the slice is over: the row goes back to the
		// queue with its saved state, and the job runs again (here or
		// elsewhere)
		if err := ReleaseJob(bg, w.DB, j.ID, w.ID); err != nil {
			log.Warn("webcheck: release", "err", err)
		}
		log.Info("webcheck job released for resumption", "pages", res.Pages)
		return jobs.Snooze(time.Second)
	}
	id, err := CompleteJob(bg, w.DB, j, w.ID, res)
	if errors.Is(err, ErrLeaseLost) {
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("webcheck job done", "inspection", id, "pages", res.Pages, "score", res.Score.Total, "pass", res.Verdict.Pass)
	return nil
}
