// Package jobs is Zhihui's one engine for background work: it runs River
// (github.com/riverqueue/river) on the application's store — the
// riversqlite driver on SQLite, riverpgxv5 on PostgreSQL — with retries,
// scheduled jobs, unique jobs and periodic jobs. On PostgreSQL every
// process sharing the database runs a client; River elects one leader
// among them, and only the leader enqueues periodic jobs, so a periodic
// job runs once per period, not once per process.
//
// Features contribute work through a [Registry] (workers and periodic
// jobs); [Open] brings River's tables up to date and builds the client,
// [Engine.Start] and [Engine.Stop] run it.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"zhihui/internal/store"
)

// Args are a job's arguments; Kind names the job type and must be unique
// and stable (it is stored with every job).
type Args = river.JobArgs

// Job is a job being worked: its arguments and its row.
type Job[T Args] = river.Job[T]

// InsertOpts tune one insertion: Queue, MaxAttempts, ScheduledAt (run
// later), UniqueOpts (insert at most one such job), Priority, Tags.
type InsertOpts = river.InsertOpts

// UniqueOpts make a job unique by its arguments, period, queue or state.
type UniqueOpts = river.UniqueOpts

// Registry collects the workers and periodic jobs of every feature before
// the engine is built.
type Registry struct {
	workers  *river.Workers
	periodic []*river.PeriodicJob
	ids      []string // the periodic jobs' ids, in order
	kinds    []string
	opened   []func(e *Engine)
	err      error
}

// OnOpen adds fn to what runs when an engine is built on the registry: a
// feature that enqueues jobs from its own transactions keeps the engine
// there (see [Engine.InsertTx]).
func (r *Registry) OnOpen(fn func(e *Engine)) { r.opened = append(r.opened, fn) }

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{workers: river.NewWorkers()} }

// Kinds lists the registered job kinds in registration order.
func (r *Registry) Kinds() []string { return append([]string(nil), r.kinds...) }

// Periodic lists the ids of the registered periodic jobs ([Registry.Every])
// in registration order.
func (r *Registry) Periodic() []string { return append([]string(nil), r.ids...) }

// Handle registers fn as the worker of jobs of kind T. A returned error
// makes River retry the job with backoff until it has used its attempts
// (25 by default, InsertOpts.MaxAttempts otherwise); [Cancel] as the
// returned error stops retries at once.
func Handle[T Args](r *Registry, fn func(ctx context.Context, job *Job[T]) error) {
	var zero T
	if err := river.AddWorkerSafely(r.workers, river.WorkFunc(fn)); err != nil {
		r.err = errors.Join(r.err, err)
		return
	}
	r.kinds = append(r.kinds, zero.Kind())
}

// HandleFor is [Handle] for jobs that run at most timeout each time: the
// job's context ends then (a job that saves its progress returns and runs
// again, see [Snooze]). A job whose process died is handed to another
// process only once timeout has passed since it started (and RescueAfter
// too): jobs without a timeout are never handed over.
func HandleFor[T Args](r *Registry, timeout time.Duration, fn func(ctx context.Context, job *Job[T]) error) {
	HandleWorker(r, &timed[T]{fn: fn, timeout: timeout})
}

type timed[T Args] struct {
	river.WorkerDefaults[T]
	fn      func(ctx context.Context, job *Job[T]) error
	timeout time.Duration
}

func (w *timed[T]) Work(ctx context.Context, job *Job[T]) error { return w.fn(ctx, job) }
func (w *timed[T]) Timeout(*Job[T]) time.Duration               { return w.timeout }

// HandleWorker registers a River worker for kind T (for workers that set
// their own timeout or retry schedule).
func HandleWorker[T Args](r *Registry, w river.Worker[T]) {
	var zero T
	if err := river.AddWorkerSafely(r.workers, w); err != nil {
		r.err = errors.Join(r.err, err)
		return
	}
	r.kinds = append(r.kinds, zero.Kind())
}

// Every adds a periodic job: make builds the job every interval (and at
// start when runOnStart). id names the periodic job; it must be unique.
// Only the elected leader among the processes sharing the store enqueues
// periodic jobs.
func (r *Registry) Every(id string, interval time.Duration, runOnStart bool, make func() (Args, *InsertOpts)) {
	if interval <= 0 {
		r.err = errors.Join(r.err, fmt.Errorf("jobs: periodic job %s: interval must be positive", id))
		return
	}
	r.ids = append(r.ids, id)
	r.periodic = append(r.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return make() },
		&river.PeriodicJobOpts{ID: id, RunOnStart: runOnStart}))
}

// Cancel wraps err so that the job is cancelled instead of retried.
func Cancel(err error) error { return river.JobCancel(err) }

// Snooze makes the job run again after d without using an attempt.
func Snooze(d time.Duration) error { return river.JobSnooze(d) }

// Config tunes an engine.
type Config struct {
	// Workers is how many jobs this process works at once (default 4 on
	// PostgreSQL, 2 on SQLite). 0 with InsertOnly makes a client that only
	// enqueues and manages jobs.
	Workers int
	// InsertOnly builds a client that does not work jobs (commands that
	// only enqueue, list, retry or cancel).
	InsertOnly bool
	// ID names this process among the clients (default: River's).
	ID string
	// Log receives River's messages (default slog.Default, at warnings).
	Log *slog.Logger
	// PollInterval is how often idle workers look for jobs (default 1 s;
	// on PostgreSQL new jobs are also announced with LISTEN/NOTIFY).
	PollInterval time.Duration
	// RetryPolicy overrides River's exponential backoff (tests).
	RetryPolicy river.ClientRetryPolicy
	// Queues are queues besides the default one, with how many of their
	// jobs this process works at once; a queue left out (or 0) is not
	// worked here (heavy jobs, such as website crawls, have their own).
	Queues map[string]int
	// RescueAfter is how long a job may stay running before it counts as
	// stuck (its process died) and is handed to another process (default
	// 1 minute). It applies only to kinds registered with a timeout
	// ([HandleFor]), and never before their timeout has passed.
	RescueAfter time.Duration
	// Context, when set, derives each job's context from the one River
	// gives it: the application's services that travel in contexts (its
	// notifications, notify.WithService) reach its jobs this way.
	Context func(context.Context) context.Context
}

// Engine is a River client on the application's store.
type Engine struct {
	db   *store.DB
	c    client
	pool *pgxpool.Pool // PostgreSQL only
	// tx inserts inside the store's transactions (database/sql); on
	// SQLite it is c.
	tx *river.Client[*sql.Tx]
}

// client is what the engine uses of a River client, whatever its driver's
// transaction type.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, p *river.JobListParams) (*river.JobListResult, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobCancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	ID() string
}

// Migrate brings River's tables in db up to date (at every start; it does
// nothing when they are current).
func Migrate(ctx context.Context, db *store.DB) error {
	switch db.Dialect {
	case store.SQLite:
		m, err := rivermigrate.New(riversqlite.New(db.W), &rivermigrate.Config{Logger: quiet(nil)})
		if err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		return nil
	case store.Postgres:
		return migratePG(ctx, db)
	}
	return fmt.Errorf("jobs: unknown dialect %q", db.Dialect)
}

func migratePG(ctx context.Context, db *store.DB) error {
	// Several processes may start at once: one migrates, the others wait.
	return db.WithLock(ctx, "jobs:migrate", func() error {
		m, err := rivermigrate.New(riverdatabasesql.New(db.W), &rivermigrate.Config{Logger: quiet(nil)})
		if err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("jobs: migrate: %w", err)
		}
		return nil
	})
}

// Open migrates River's tables and builds an engine working the jobs of r
// (nil: an insert-only engine). Call Start to begin working.
func Open(ctx context.Context, db *store.DB, r *Registry, cfg Config) (*Engine, error) {
	if r == nil {
		r = NewRegistry()
		cfg.InsertOnly = true
	}
	if r.err != nil {
		return nil, fmt.Errorf("jobs: %w", r.err)
	}
	rc := &river.Config{
		ID:                          cfg.ID,
		Logger:                      quiet(cfg.Log),
		FetchPollInterval:           cfg.PollInterval,
		RetryPolicy:                 cfg.RetryPolicy,
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
		CancelledJobRetentionPeriod: 7 * 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
		// A crashed process's running jobs are handed to another after
		// this; jobs that run longer extend it with their own timeout.
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           -1, // jobs bound themselves; the crawl runs for long
		PollOnly:             true,
	}
	if rc.RescueStuckJobsAfter <= 0 {
		rc.RescueStuckJobsAfter = time.Minute
	}
	if !cfg.InsertOnly {
		n := cfg.Workers
		if n <= 0 {
			n = 4
			if db.Dialect == store.SQLite {
				n = 2
			}
		}
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: n}}
		for q, m := range cfg.Queues {
			if m > 0 && q != river.QueueDefault {
				rc.Queues[q] = river.QueueConfig{MaxWorkers: m}
			}
		}
		rc.Workers = r.workers
		// A user error is stored as its key, arguments and location, so
		// that the job list shows it in the reader's language.
		rc.Middleware = append(rc.Middleware, river.WorkerMiddlewareFunc(func(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
			return keep(doInner(ctx))
		}))
		if fn := cfg.Context; fn != nil {
			rc.Middleware = append(rc.Middleware, river.WorkerMiddlewareFunc(func(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
				return doInner(fn(ctx))
			}))
		}
		rc.PeriodicJobs = r.periodic
		// A process fetches only the kinds it has workers for, so that a
		// job registered by the server alone is never fetched by a worker.
		rc.FetchOnlyKnownKinds = true
	}
	e := &Engine{db: db}
	switch db.Dialect {
	case store.SQLite:
		if err := Migrate(ctx, db); err != nil {
			return nil, err
		}
		c, err := river.NewClient(riversqlite.New(db.W), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		e.c, e.tx = c, c
	case store.Postgres:
		if err := migratePG(ctx, db); err != nil {
			return nil, err
		}
		if cfg.InsertOnly {
			// managing jobs needs no connections of its own
			c, err := river.NewClient(riverdatabasesql.New(db.W), rc)
			if err != nil {
				return nil, fmt.Errorf("jobs: %w", err)
			}
			e.c, e.tx = c, c
			break
		}
		pool, err := poolOf(ctx, db)
		if err != nil {
			return nil, err
		}
		c, err := river.NewClient[pgx.Tx](riverpgxv5.New(pool), rc)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("jobs: %w", err)
		}
		e.c, e.pool = c, pool
		// inserts inside the store's transactions go through database/sql
		txc, err := river.NewClient(riverdatabasesql.New(db.W), &river.Config{Logger: rc.Logger})
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("jobs: %w", err)
		}
		e.tx = txc
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", db.Dialect)
	}
	for _, fn := range r.opened {
		fn(e)
	}
	return e, nil
}

// poolOf opens a pgx pool with the settings (server, user, search_path)
// of db's connections, so that River's tables live in the same schema.
func poolOf(ctx context.Context, db *store.DB) (*pgxpool.Pool, error) {
	conn, err := db.W.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: connect: %w", err)
	}
	defer conn.Close()
	var cc *pgx.ConnConfig
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("jobs: PostgreSQL connection is %T, not pgx", dc)
		}
		cc = sc.Conn().Config().Copy()
		return nil
	})
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("jobs: pool: %w", err)
	}
	pc.ConnConfig = cc
	pc.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("jobs: pool: %w", err)
	}
	return pool, nil
}

// quiet keeps River's informational messages out of the application log.
func quiet(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return slog.New(levelFloor{l.Handler(), slog.LevelWarn})
}

type levelFloor struct {
	slog.Handler
	min slog.Level
}

func (h levelFloor) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h levelFloor) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFloor{h.Handler.WithAttrs(a), h.min}
}
func (h levelFloor) WithGroup(n string) slog.Handler {
	return levelFloor{h.Handler.WithGroup(n), h.min}
}

// Start begins working jobs (and, when elected leader, enqueueing
// periodic jobs) until Stop or until ctx ends.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.c.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop waits for running jobs to finish, up to ctx's deadline, after
// which their contexts are cancelled; then it releases the engine's
// connections. Jobs cut short run again later (on another process if one
// is running).
func (e *Engine) Stop(ctx context.Context) error {
	err := e.c.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err = e.c.StopAndCancel(sctx)
		cancel()
	}
	if e.pool != nil {
		e.pool.Close()
		e.pool = nil
	}
	return err
}

// ID is this client's name among the processes.
func (e *Engine) ID() string { return e.c.ID() }

// Subscribe delivers events of the given kinds (completed, failed,
// cancelled …) for jobs this process works; cancel ends it.
func (e *Engine) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return e.c.Subscribe(kinds...)
}

// InsertTx enqueues a job inside tx: the job exists, and is worked, only
// if tx commits — a feature saves a change and the work it implies
// together.
func (e *Engine) InsertTx(ctx context.Context, tx *store.Tx, args Args, opts *InsertOpts) (Inserted, error) {
	res, err := e.tx.InsertTx(ctx, tx.Tx, args, opts)
	if err != nil {
		return Inserted{}, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return Inserted{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// Inserted is the outcome of an insertion.
type Inserted struct {
	ID int64
	// Duplicate is true when a unique job existed already and nothing
	// was inserted (ID is the existing job).
	Duplicate bool
}

// Insert enqueues a job.
func (e *Engine) Insert(ctx context.Context, args Args, opts *InsertOpts) (Inserted, error) {
	res, err := e.c.Insert(ctx, args, opts)
	if err != nil {
		return Inserted{}, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return Inserted{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}
