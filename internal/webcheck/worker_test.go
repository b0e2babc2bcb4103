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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
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

// waitFor polls cond until it holds, within the test's own deadline
// (limit is how long it is expected to take, kept for the reader).
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, cond)
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
	if err := db.R.QueryRow(`SELECT id, round_id, site_id FROM webcheck_job WHERE round_id = $1`, rd.ID).Scan(&j.ID, &j.RoundID, &j.SiteID); err != nil {
		t.Fatal(err)
	}
	return &j
}

func finishedReport(t *testing.T, db *store.DB, jobID int64, limit time.Duration) (*JobInfo, *Result) {
	t.Helper()
	var ji *JobInfo
	waitFor(t, "the job to finish", limit, func() bool {
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

// crawlEngine opens a job engine on db that works crawl jobs as worker
// id, one at a time, with a short lease; a job left running by a dead
// process is handed over after rescue.
func crawlEngine(t *testing.T, db *store.DB, id string, rescue time.Duration) *jobs.Engine {
	t.Helper()
	c := &Crawler{DB: db, ID: id, Lease: 2 * time.Second, Options: workerOptions(), Log: quietLog, Slice: rescue}
	r := jobs.NewRegistry()
	c.Register(r)
	e, err := jobs.Open(context.Background(), db, r, jobs.Config{ID: id, Workers: 1, Queues: map[string]int{CrawlQueue: 1},
		PollInterval: 100 * time.Millisecond, RescueAfter: rescue, Log: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestCrawlResumesAfterStop stops a process's job engine in the middle of
// a crawl (as on shutdown) and lets a second engine finish it from the
// saved state.
func TestCrawlResumesAfterStop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		if err := jobs.Migrate(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		site := newCountingSite(t, 1200)
		e1 := crawlEngine(t, db, "w1", 0)
		job := roundFor(t, db, site.URL()) // enqueued with e1
		key := (&Job{ID: job.ID}).StateKey()
		waitFor(t, "progress to be saved", 2*time.Minute, func() bool { return savedFetched(t, db, key) > site.site.Truth.Pages*2/5 })
		sctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		e1.Stop(sctx)
		cancel()
		ji, _ := GetJob(context.Background(), db, job.ID)
		if ji.Status != JobQueued || ji.ClaimedBy != "" {
			t.Fatalf("stopped worker left the job %+v", ji)
		}
		fetched := savedFetched(t, db, key)
		before := site.hits.Swap(0)

		e2 := crawlEngine(t, db, "w2", 0)
		defer e2.Stop(context.Background())
		ji, r := finishedReport(t, db, job.ID, 3*time.Minute)
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
		list, err := e2.List(context.Background(), jobs.Filter{Kinds: []string{CrawlArgs{}.Kind()}})
		if err != nil || len(list) != 1 {
			t.Fatalf("%d crawl jobs on the engine (%v), want the round's one", len(list), err)
		}
	})
}

// TestWorkerProcess is a process working crawl jobs, run as a child by
// TestCrawlKilled; it does nothing in a normal test run.
func TestWorkerProcess(t *testing.T) {
	dsn := os.Getenv("ZHIHUI_WEBCHECK_WORKER_DSN")
	if dsn == "" {
		t.Skip("helper process for TestCrawlKilled")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	e := crawlEngine(t, db, os.Getenv("ZHIHUI_WEBCHECK_WORKER_ID"), 15*time.Second)
	<-ctx.Done()
	e.Stop(context.Background())
}

func startWorkerProcess(t *testing.T, dsn, id string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.v", "-test.timeout=20m")
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

// TestCrawlKilled runs crawl jobs in a separate process on PostgreSQL,
// kills it with SIGKILL in the middle of a crawl (no chance to release
// anything), starts another process, and checks that the job engine hands
// the job over, the crawl resumes from the saved state and the report has
// every page exactly once.
func TestCrawlKilled(t *testing.T) {
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
	if err := jobs.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	site := newCountingSite(t, 1200)
	first := startWorkerProcess(t, dsn, "p1")
	// This process only enqueues: the round's job goes on the engine.
	ins, err := jobs.Open(context.Background(), db, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	UseJobs(db, ins)
	defer UseJobs(db, nil)
	job := roundFor(t, db, site.URL())
	key := (&Job{ID: job.ID}).StateKey()

	waitFor(t, "progress to be saved", 2*time.Minute, func() bool { return savedFetched(t, db, key) > site.site.Truth.Pages*2/5 })
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
	ji, r := finishedReport(t, db, job.ID, 5*time.Minute)
	after := site.hits.Load()
	t.Logf("killed worker: %d page requests, %d pages saved; second worker: %d page requests (%d pages)", before, fetched, after, len(site.pages))
	// a slow machine may cut the second crawl into slices: more claims,
	// still no page twice
	if ji.Attempts < 2 || ji.ClaimedBy != "p2" {
		t.Fatalf("job %+v", ji)
	}
	if after >= int64(len(site.pages)) {
		t.Fatalf("second worker made %d page requests for %d pages: it started over", after, len(site.pages))
	}
	checkReport(t, r, site.site.Truth)
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM webcheck_inspection WHERE job_id = $1`, job.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d inspections stored for the job", n)
	}
	list, err := ins.List(context.Background(), jobs.Filter{Kinds: []string{CrawlArgs{}.Kind()}})
	if err != nil || len(list) != 1 || list[0].Attempt < 2 {
		t.Fatalf("crawl jobs on the engine %+v (%v): want one, worked twice", list, err)
	}
}
