package webcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/sitegen"
)

// countingSite serves a generated site and counts requests for its pages
// (the homepage excluded: availability probes fetch it too).
type countingSite struct {
	site  *sitegen.Site
	pages map[string]bool
	hits  atomic.Int64
	srv   *httptest.Server
	ext   *httptest.Server
}

func newCountingSite(t *testing.T, articles int) *countingSite {
	t.Helper()
	c := &countingSite{pages: map[string]bool{}}
	c.ext = httptest.NewServer(sitegen.External())
	t.Cleanup(c.ext.Close)
	c.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + c.srv.Listener.Addr().String()
	c.site = sitegen.Generate(sitegen.Options{Articles: articles, Base: base, Ext: c.ext.URL})
	for _, p := range c.site.Paths() {
		if p != "/" {
			c.pages[p] = true
		}
	}
	c.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c.pages[r.URL.Path] {
			c.hits.Add(1)
		}
		c.site.ServeHTTP(w, r)
	})
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *countingSite) URL() string { return c.srv.URL + "/" }

// workerOptions crawl the local site at a bounded rate so that a worker
// can be stopped in the middle, saving progress often.
func workerOptions() Options {
	return Options{MaxPages: 5000, AllowPrivate: true, Probes: 1, SaveInterval: 100 * time.Millisecond, Workers: 8, PerHost: 4, PerHostRate: 300}
}

// savedFetched returns the pages fetched according to the job's saved
// crawl state.
func savedFetched(t *testing.T, db *store.DB, key string) int {
	t.Helper()
	st, err := DBStateStore{DB: db, Key: key}.Load(context.Background())
	if err != nil {
		return 0
	}
	return st.Fetched
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkReport compares a finished inspection with the generator's truth:
// every page counted exactly once, every planted broken link reported
// once with only pages that really link to it.
func checkReport(t *testing.T, r *Result, truth sitegen.Truth) {
	t.Helper()
	if r.Canceled {
		t.Fatal("result is marked canceled")
	}
	if r.Pages != truth.Pages {
		t.Errorf("pages %d, site has %d", r.Pages, truth.Pages)
	}
	if r.LinkOccurrences != int64(truth.Links) {
		t.Errorf("link occurrences %d, site has %d (a page counted twice or lost)", r.LinkOccurrences, truth.Links)
	}
	seen := map[string]bool{}
	for _, b := range r.BrokenLinks {
		if seen[b.URL] {
			t.Errorf("broken link %s reported twice", b.URL)
		}
		seen[b.URL] = true
		on, planted := truth.Broken[b.URL]
		if !planted {
			t.Errorf("false broken link %s", b.URL)
			continue
		}
		if len(b.FoundOn) == 0 || len(slices.Compact(slices.Sorted(slices.Values(b.FoundOn)))) != len(b.FoundOn) {
			t.Errorf("%s found on %v", b.URL, b.FoundOn)
		}
		for _, p := range b.FoundOn {
			if !slices.Contains(on, p) {
				t.Errorf("%s reported on %s, which does not link to it", b.URL, p)
			}
		}
	}
	if len(seen) != len(truth.Broken) {
		t.Errorf("%d broken links reported, %d planted", len(seen), len(truth.Broken))
	}
	status := map[string]string{}
	for _, c := range r.Columns {
		if _, dup := status[c.URL]; dup {
			t.Errorf("column %s listed twice", c.URL)
		}
		status[c.URL] = c.Status
	}
	for _, u := range truth.Stale {
		if status[u] != "stale" {
			t.Errorf("column %s is %q, want stale", u, status[u])
		}
	}
	for _, u := range truth.Empty {
		if status[u] != "empty" {
			t.Errorf("column %s is %q, want empty", u, status[u])
		}
	}
}

func roundFor(t *testing.T, db *store.DB, url string) *Job {
	t.Helper()
	s := mustSite(t, db, url, "某某市人民政府", KindCity, "4101")
	rd, err := CreateRound(context.Background(), db, testActor, RoundInput{Name: "resume", SiteIDs: []int64{s.ID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var j Job
	db.R.QueryRow(`SELECT id, round_id, site_id FROM webcheck_job WHERE round_id = $1`, rd.ID).Scan(&j.ID, &j.RoundID, &j.SiteID)
	return &j
}

func finishedReport(t *testing.T, db *store.DB, jobID int64) (*JobInfo, *Result) {
	t.Helper()
	var ji *JobInfo
	waitFor(t, "the job to finish", 90*time.Second, func() bool {
		var err error
		ji, err = GetJob(context.Background(), db, jobID)
		return err == nil && (ji.Status == JobDone || ji.Status == JobFailed)
	})
	if ji.Status != JobDone {
		t.Fatalf("job %+v", ji)
	}
	_, r, err := GetInspection(context.Background(), db, ji.InspectionID)
	if err != nil {
		t.Fatal(err)
	}
	return ji, r
}

// TestWorkerResumesAfterCancel stops a worker in the middle of a crawl
// (context canceled, as on shutdown) and lets a second worker finish it.
func TestWorkerResumesAfterCancel(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		site := newCountingSite(t, 1200)
		job := roundFor(t, db, site.URL())
		key := (&Job{ID: job.ID}).StateKey()

		ctx, cancel := context.WithCancel(context.Background())
		w1 := &Worker{DB: db, ID: "w1", Concurrency: 1, Lease: 2 * time.Second, Poll: 50 * time.Millisecond, Options: workerOptions(), Log: quietLog}
		var wg sync.WaitGroup
		wg.Go(func() { w1.Run(ctx) })
		waitFor(t, "progress to be saved", 60*time.Second, func() bool { return savedFetched(t, db, key) > site.site.Truth.Pages*2/5 })
		cancel()
		wg.Wait()
		ji, _ := GetJob(context.Background(), db, job.ID)
		if ji.Status != JobQueued || ji.ClaimedBy != "" {
			t.Fatalf("stopped worker left the job %+v", ji)
		}
		fetched := savedFetched(t, db, key)
		before := site.hits.Swap(0)

		ctx2, cancel2 := context.WithCancel(context.Background())
		defer cancel2()
		w2 := &Worker{DB: db, ID: "w2", Concurrency: 1, Lease: 2 * time.Second, Poll: 50 * time.Millisecond, Options: workerOptions(), Log: quietLog}
		go w2.Run(ctx2)
		ji, r := finishedReport(t, db, job.ID)
		after := site.hits.Load()
		t.Logf("first worker: %d page requests, %d pages saved; second worker: %d page requests (%d pages)", before, fetched, after, len(site.pages))
		if ji.Attempts != 2 || ji.ClaimedBy != "w2" {
			t.Fatalf("job %+v", ji)
		}
		if after >= int64(len(site.pages)) {
			t.Fatalf("second worker made %d page requests for %d pages: it started over", after, len(site.pages))
		}
		checkReport(t, r, site.site.Truth)
		if _, err := (DBStateStore{DB: db, Key: key}).Load(context.Background()); err != crawl.ErrNoState {
			t.Fatalf("crawl state kept after completion: %v", err)
		}
	})
}

// TestWorkerProcess is the worker run as a child process by
// TestWorkerKilled; it does nothing in a normal test run.
func TestWorkerProcess(t *testing.T) {
	dsn := os.Getenv("ZHIHUI_WEBCHECK_WORKER_DSN")
	if dsn == "" {
		t.Skip("helper process for TestWorkerKilled")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	w := &Worker{DB: db, ID: os.Getenv("ZHIHUI_WEBCHECK_WORKER_ID"), Concurrency: 1, Lease: 2 * time.Second, Poll: 50 * time.Millisecond, Options: workerOptions(), Log: quietLog}
	w.Run(ctx)
}

func startWorkerProcess(t *testing.T, dsn, id string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "ZHIHUI_WEBCHECK_WORKER_DSN="+dsn, "ZHIHUI_WEBCHECK_WORKER_ID="+id)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("worker %s output:\n%s", id, out.String())
		}
	})
	return cmd
}

// TestWorkerKilled runs the worker as a separate process on PostgreSQL,
// kills it with SIGKILL in the middle of a crawl (no chance to release the
// job), starts another worker process, and checks that the job is
// re-claimed once the lease expires, resumes from the saved state and
// yields a report with every page exactly once.
func TestWorkerKilled(t *testing.T) {
	base := storetest.PostgresDSN()
	if base == "off" {
		t.Skip("PostgreSQL tests disabled by ZHIHUI_TEST_POSTGRES=off")
	}
	dsn := storetest.WithSearchPath(base, storetest.NewSchema(t, base))
	db, err := store.Open(context.Background(), store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	setupStore(t, db)
	site := newCountingSite(t, 1200)
	job := roundFor(t, db, site.URL())
	key := (&Job{ID: job.ID}).StateKey()

	first := startWorkerProcess(t, dsn, "p1")
	waitFor(t, "progress to be saved", 60*time.Second, func() bool { return savedFetched(t, db, key) > site.site.Truth.Pages*2/5 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	ji, _ := GetJob(context.Background(), db, job.ID)
	if ji.Status != JobRunning || ji.ClaimedBy != "p1" {
		t.Fatalf("killed worker's job %+v", ji)
	}
	fetched := savedFetched(t, db, key)
	before := site.hits.Swap(0)

	startWorkerProcess(t, dsn, "p2")
	ji, r := finishedReport(t, db, job.ID)
	after := site.hits.Load()
	t.Logf("killed worker: %d page requests, %d pages saved; second worker: %d page requests (%d pages)", before, fetched, after, len(site.pages))
	if ji.Attempts != 2 || ji.ClaimedBy != "p2" {
		t.Fatalf("job %+v", ji)
	}
	if after >= int64(len(site.pages)) {
		t.Fatalf("second worker made %d page requests for %d pages: it started over", after, len(site.pages))
	}
	checkReport(t, r, site.site.Truth)
	var n int
	db.R.QueryRow(`SELECT COUNT(*) FROM webcheck_inspection WHERE job_id = $1`, job.ID).Scan(&n)
	if n != 1 {
		t.Fatalf("%d inspections stored for the job", n)
	}
}
