package jobs_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

type echoArgs struct {
	N int `json:"n"`
}

func (echoArgs) Kind() string { return "test_echo" }

type flakyArgs struct {
	Fails int `json:"fails"`
}

func (flakyArgs) Kind() string { return "test_flaky" }

type tickArgs struct {
	By string `json:"by"`
}

func (tickArgs) Kind() string { return "test_tick" }

// now retries at once, so that retries need no waiting.
type now struct{}

func (now) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// waitFor polls cond until it holds or the test's budget ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, cond)
}

func start(t *testing.T, db *store.DB, r *jobs.Registry, id string) *jobs.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := jobs.Open(ctx, db, r, jobs.Config{ID: id, PollInterval: 200 * time.Millisecond, RetryPolicy: now{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Stop(testwait.Context(t)); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return e
}

func state(t *testing.T, e *jobs.Engine, id int64) jobs.Info {
	t.Helper()
	i, err := e.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestEngine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var (
			mu     sync.Mutex
			worked []int
		)
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[echoArgs]) error {
			mu.Lock()
			worked = append(worked, j.Args.N)
			mu.Unlock()
			return nil
		})
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[flakyArgs]) error {
			if j.Attempt <= j.Args.Fails {
				return errors.New("failure on purpose")
			}
			return nil
		})
		e := start(t, db, r, "one")

		// a job runs
		ins, err := e.Insert(ctx, echoArgs{N: 1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "job completed", func() bool { return state(t, e, ins.ID).State == jobs.Completed })

		// a failing job is retried and keeps its errors
		fl, err := e.Insert(ctx, flakyArgs{Fails: 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "flaky job completed", func() bool { return state(t, e, fl.ID).State == jobs.Completed })
		if i := state(t, e, fl.ID); i.Attempt != 3 || len(i.Errors) != 2 || i.LastError("en") != "failure on purpose" {
			t.Errorf("flaky job: attempt %d, errors %+v", i.Attempt, i.Errors)
		}

		// out of attempts: discarded, then retried by hand
		dis, err := e.Insert(ctx, flakyArgs{Fails: 5}, &jobs.InsertOpts{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "job discarded", func() bool { return state(t, e, dis.ID).State == jobs.Discarded })
		if _, err := e.Retry(ctx, dis.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "retried job discarded again", func() bool {
			i := state(t, e, dis.ID)
			return i.State == jobs.Discarded && i.Attempt == 2
		})

		// a scheduled job waits; unique jobs are inserted once
		later := time.Now().Add(time.Hour)
		sch, err := e.Insert(ctx, echoArgs{N: 2}, &jobs.InsertOpts{ScheduledAt: later, UniqueOpts: jobs.UniqueOpts{ByArgs: true}})
		if err != nil {
			t.Fatal(err)
		}
		dup, err := e.Insert(ctx, echoArgs{N: 2}, &jobs.InsertOpts{ScheduledAt: later, UniqueOpts: jobs.UniqueOpts{ByArgs: true}})
		if err != nil {
			t.Fatal(err)
		}
		if !dup.Duplicate || dup.ID != sch.ID {
			t.Errorf("unique job inserted twice: %+v, %+v", sch, dup)
		}
		if i := state(t, e, sch.ID); i.State != jobs.Scheduled {
			t.Errorf("scheduled job is %s", i.State)
		}
		// retry runs it now
		if _, err := e.Retry(ctx, sch.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "scheduled job run by retry", func() bool { return state(t, e, sch.ID).State == jobs.Completed })

		// cancel a waiting job
		c, err := e.Insert(ctx, echoArgs{N: 3}, &jobs.InsertOpts{ScheduledAt: later})
		if err != nil {
			t.Fatal(err)
		}
		if i, err := e.Cancel(ctx, c.ID); err != nil || i.State != jobs.Cancelled {
			t.Fatalf("cancel: %v %s", err, i.State)
		}
		if _, err := e.Cancel(ctx, 987654); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cancel of a missing job: %v", err)
		}

		list, err := e.List(ctx, jobs.Filter{States: []jobs.State{jobs.Cancelled}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != c.ID || list[0].Kind != "test_echo" {
			t.Errorf("cancelled jobs: %+v", list)
		}
		all, err := e.List(ctx, jobs.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 5 || all[0].ID != c.ID {
			t.Errorf("list: %d jobs, first %+v", len(all), all)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(worked) != 2 || worked[0] != 1 || worked[1] != 2 {
			t.Errorf("worked %v", worked)
		}
	})
}

// TestEngineRestarts: an engine on a store River migrated before opens
// again (the migration is a no-op) and an insert-only engine enqueues
// for the working one.
func TestEngineRestarts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		var n atomic.Int32
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[echoArgs]) error { n.Add(1); return nil })
		e := start(t, db, r, "worker")
		ins, err := jobs.Open(ctx, db, nil, jobs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer ins.Stop(ctx)
		res, err := ins.Insert(ctx, echoArgs{N: 7}, nil)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "job worked", func() bool { return state(t, e, res.ID).State == jobs.Completed })
		if n.Load() != 1 {
			t.Errorf("worked %d times", n.Load())
		}
	})
}

// TestPeriodicOnceAcrossProcesses: two engines on one PostgreSQL schema
// (two processes sharing the database) enqueue a periodic job from one of
// them only — the elected leader — and when that one stops the other
// takes over.
func TestPeriodicOnceAcrossProcesses(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		made  = map[string]int{}
		ticks atomic.Int32
	)
	registry := func(name string) *jobs.Registry {
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[tickArgs]) error { ticks.Add(1); return nil })
		r.Every("tick", time.Second, true, func() (jobs.Args, *jobs.InsertOpts) {
			mu.Lock()
			made[name]++
			mu.Unlock()
			return tickArgs{By: name}, nil
		})
		return r
	}
	// a second store handle: its own connections, as another process has
	second, err := store.Open(ctx, store.Options{DSN: dsnOf(t, db)})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	a := startManual(t, db, registry("a"), "a")
	b := startManual(t, second, registry("b"), "b")
	defer b.Stop(ctx)
	waitFor(t, "three periodic runs", func() bool { return ticks.Load() >= 3 })
	a.Stop(ctx)
	mu.Lock()
	leader := "a"
	if made["b"] > 0 {
		leader = "b"
	}
	t.Logf("periodic jobs made by %v before the first process stopped", made)
	if made["a"] > 0 && made["b"] > 0 {
		t.Fatalf("both processes enqueued the periodic job: %v", made)
	}
	mu.Unlock()
	list, err := b.List(ctx, jobs.Filter{Kinds: []string{"test_tick"}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(list) != made["a"]+made["b"] {
		t.Errorf("%d periodic jobs stored, %v made", len(list), made)
	}
	mu.Unlock()
	if leader == "b" {
		return // the survivor was leader throughout
	}
	// a stopped and resigned: b takes over
	waitFor(t, "the other process takes over", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return made["b"] >= 2
	})
}

func startManual(t *testing.T, db *store.DB, r *jobs.Registry, id string) *jobs.Engine {
	t.Helper()
	e, err := jobs.Open(context.Background(), db, r, jobs.Config{ID: id, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// dsnOf is the DSN of db's schema.
func dsnOf(t *testing.T, db *store.DB) string {
	t.Helper()
	var schema string
	if err := db.R.QueryRow("SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	return storetest.WithSearchPath(storetest.PostgresDSN(), schema)
}

// TestPeriodic: a periodic job registered with runOnStart runs at start
// and again each period, on both stores.
func TestPeriodic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var ticks atomic.Int32
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[tickArgs]) error { ticks.Add(1); return nil })
		r.Every("tick", time.Second, true, func() (jobs.Args, *jobs.InsertOpts) { return tickArgs{By: "one"}, nil })
		start(t, db, r, "one")
		waitFor(t, "two periodic runs", func() bool { return ticks.Load() >= 2 })
	})
}

// TestInsertTx: a job enqueued inside a store transaction exists only if
// the transaction commits, and is then worked.
func TestInsertTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.W.ExecContext(ctx, "CREATE TABLE note (body TEXT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		var worked atomic.Int32
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[echoArgs]) error { worked.Add(1); return nil })
		e := start(t, db, r, "tx")
		boom := errors.New("rolled back on purpose")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO note (body) VALUES ('lost')"); err != nil {
				return err
			}
			if _, err := e.InsertTx(ctx, tx, echoArgs{N: 1}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		var id int64
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO note (body) VALUES ('kept')"); err != nil {
				return err
			}
			res, err := e.InsertTx(ctx, tx, echoArgs{N: 2}, nil)
			id = res.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "committed job worked", func() bool { return state(t, e, id).State == jobs.Completed })
		all, err := e.List(ctx, jobs.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || worked.Load() != 1 {
			t.Errorf("%d jobs stored, %d worked; want the committed one only", len(all), worked.Load())
		}
	})
}
