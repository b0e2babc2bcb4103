package webcheck

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
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

	mu sync.Mutex
	// fetches are the GET requests per User-Agent and page that were not
	// a redirect's next hop (the crawler follows /r/N → /a/N.html
	// itself, which requests the page once more by design).
	fetches map[string]map[string]int
	viaHop  map[string]map[string]int // the next hops, per User-Agent and page
	hops    map[string]int            // redirects answered whose next hop is still to come
}

func newCountingSite(t *testing.T, articles int) *countingSite {
	t.Helper()
	c := &countingSite{pages: map[string]bool{}, fetches: map[string]map[string]int{}, viaHop: map[string]map[string]int{}, hops: map[string]int{}}
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
			c.count(r)
		}
		if strings.HasPrefix(r.URL.Path, "/r/") {
			c.mu.Lock()
			c.hops["/a/"+strings.TrimPrefix(r.URL.Path, "/r/")+".html"]++
			c.mu.Unlock()
		}
		c.site.ServeHTTP(w, r)
	})
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *countingSite) URL() string { return c.srv.URL + "/" }

// count records a page request.
func (c *countingSite) count(r *http.Request) {
	if r.Method != http.MethodGet {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ua := r.Header.Get("User-Agent")
	m := c.fetches
	if c.hops[r.URL.Path] > 0 {
		c.hops[r.URL.Path]--
		m = c.viaHop
	}
	if m[ua] == nil {
		m[ua] = map[string]int{}
	}
	m[ua][r.URL.Path]++
}

// fetchesBy are the page fetches of the crawler with User-Agent ua, and
// the requests for pages it made following a redirect.
func (c *countingSite) fetchesBy(ua string) (direct, hops map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.fetches[ua]), maps.Clone(c.viaHop[ua])
}

// since is the fetches in now that were not yet in then: the counts that
// grew, by how much.
func since(now, then map[string]int) map[string]int {
	d := map[string]int{}
	for p, n := range now {
		if n > then[p] {
			d[p] = n - then[p]
		}
	}
	return d
}

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

// roundFor starts a round of one site at url, its crawl job enqueued
// with e.
func roundFor(t *testing.T, db *store.DB, e Enqueuer, url string) *Job {
	t.Helper()
	s := mustSite(t, db, url, "某某市人民政府", KindCity, "4101")
	rd, err := CreateRound(context.Background(), db, e, testActor, RoundInput{Name: "resume", SiteIDs: []int64{s.ID}}, nil)
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

// crawlTimes are the settings that decide how soon a dead process's
// crawl is handed over: the row's lease, the length of one run of a crawl
// job (its slice) and River's RescueAfter. Zero values are the
// production defaults (1 minute, 90 s, 1 minute).
type crawlTimes struct {
	Lease, Slice, Rescue time.Duration
}

// userAgentOf is the User-Agent the crawls of worker id send, so that the
// site tells the workers' requests apart.
func userAgentOf(id string) string { return "zhihui-webcheck-test/" + id }

// crawlEngine opens a job engine on db that works crawl jobs as worker
// id, one at a time.
func crawlEngine(t *testing.T, db *store.DB, id string, ct crawlTimes) *jobs.Engine {
	t.Helper()
	o := workerOptions()
	o.UserAgent = userAgentOf(id)
	c := &Crawler{DB: db, ID: id, Lease: ct.Lease, Options: o, Log: quietLog, Slice: ct.Slice}
	r := jobs.NewRegistry()
	c.Register(r)
	e, err := jobs.Open(context.Background(), db, r, jobs.Config{ID: id, Workers: 1, Queues: map[string]int{CrawlQueue: 1},
		PollInterval: 100 * time.Millisecond, RescueAfter: ct.Rescue, Log: quietLog})
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
		e1 := crawlEngine(t, db, "w1", crawlTimes{Lease: 2 * time.Second})
		job := roundFor(t, db, e1, site.URL())
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

		e2 := crawlEngine(t, db, "w2", crawlTimes{Lease: 2 * time.Second})
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
	ct, err := parseCrawlTimes(os.Getenv("ZHIHUI_WEBCHECK_WORKER_TIMES"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	e := crawlEngine(t, db, os.Getenv("ZHIHUI_WEBCHECK_WORKER_ID"), ct)
	<-ctx.Done()
	e.Stop(context.Background())
}

// parseCrawlTimes reads "LEASE,SLICE,RESCUE" (Go durations; empty: the
// production defaults).
func parseCrawlTimes(v string) (crawlTimes, error) {
	var ct crawlTimes
	if v == "" {
		return ct, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) != 3 {
		return ct, fmt.Errorf("crawl times %q: want LEASE,SLICE,RESCUE", v)
	}
	for i, dst := range []*time.Duration{&ct.Lease, &ct.Slice, &ct.Rescue} {
		d, err := time.ParseDuration(strings.TrimSpace(parts[i]))
		if err != nil {
			return ct, fmt.Errorf("crawl times %q: %w", v, err)
		}
		*dst = d
	}
	return ct, nil
}

func (ct crawlTimes) String() string {
	return fmt.Sprintf("%s,%s,%s", ct.Lease, ct.Slice, ct.Rescue)
}

func startWorkerProcess(t *testing.T, dsn, id string, ct crawlTimes) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.v", "-test.timeout=20m")
	cmd.Env = append(os.Environ(), "ZHIHUI_WEBCHECK_WORKER_DSN="+dsn, "ZHIHUI_WEBCHECK_WORKER_ID="+id,
		"ZHIHUI_WEBCHECK_WORKER_TIMES="+ct.String())
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

// killedTimes are TestCrawlKilled's settings: short, so that the
// hand-over takes seconds; ZHIHUI_TEST_CRAWL_TIMES=LEASE,SLICE,RESCUE
// overrides them ("1m,90s,1m" measures the production defaults).
var killedTimes = crawlTimes{Lease: time.Second, Slice: 5 * time.Second, Rescue: time.Second}

// TestCrawlKilled runs crawl jobs in two separate processes on
// PostgreSQL, kills the one crawling with SIGKILL in the middle of a
// crawl (no chance to release anything), and checks that the job engine
// hands the job to the other process, that the crawl resumes from the
// saved state — no page the state holds as fetched is requested again —
// and that the report has every page exactly once. It logs how long the
// hand-over took.
func TestCrawlKilled(t *testing.T) {
	base := storetest.PostgresDSN()
	if base == "off" {
		t.Skip("PostgreSQL tests disabled by ZHIHUI_TEST_POSTGRES=off")
	}
	ct := killedTimes
	if v := os.Getenv("ZHIHUI_TEST_CRAWL_TIMES"); v != "" {
		var err error
		if ct, err = parseCrawlTimes(v); err != nil {
			t.Fatal(err)
		}
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
	first := startWorkerProcess(t, dsn, "p1", ct)
	// This process only enqueues: the round's job goes on the engine.
	ins, err := jobs.Open(context.Background(), db, nil, jobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	job := roundFor(t, db, ins, site.URL())
	key := (&Job{ID: job.ID}).StateKey()
	waitFor(t, "the first process to claim the job", time.Minute, func() bool {
		ji, err := GetJob(context.Background(), db, job.ID)
		return err == nil && ji.ClaimedBy == "p1"
	})
	// the other process is running before the first dies, as in a
	// deployment of several workers
	startWorkerProcess(t, dsn, "p2", ct)

	waitFor(t, "progress to be saved", 2*time.Minute, func() bool {
		ji, err := GetJob(context.Background(), db, job.ID)
		return err == nil && ji.Status == JobRunning && ji.ClaimedBy == "p1" && savedFetched(t, db, key) > site.site.Truth.Pages*2/5
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	// The other process may have run slices of the crawl before the kill
	// (each slice gives the row back and either process may take the
	// next, more often on a loaded machine): only its fetches after the
	// kill are the takeover's.
	preKill, preKillHops := site.fetchesBy(userAgentOf("p2"))
	first.Wait()
	ji, _ := GetJob(context.Background(), db, job.ID)
	if ji.Status != JobRunning || ji.ClaimedBy != "p1" {
		t.Fatalf("killed worker's job %+v", ji)
	}
	st, err := DBStateStore{DB: db, Key: key}.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	savedDone := map[string]bool{}
	for _, n := range st.Nodes {
		if n.Page && n.Result != nil {
			if u, err := url.Parse(n.URL); err == nil && site.pages[u.Path] {
				savedDone[u.Path] = true
			}
		}
	}

	var claimed, resumed time.Duration
	waitFor(t, "the other process to take the job over and fetch a page", 5*time.Minute, func() bool {
		if claimed == 0 {
			if ji, err := GetJob(context.Background(), db, job.ID); err == nil && ji.ClaimedBy == "p2" {
				claimed = time.Since(killed)
			}
		}
		if d, h := site.fetchesBy(userAgentOf("p2")); resumed == 0 && len(since(d, preKill))+len(since(h, preKillHops)) > 0 {
			resumed = time.Since(killed)
		}
		// On a loaded machine the crawl may have saved every page before
		// the kill: then the takeover only completes the job.
		return claimed > 0 && (resumed > 0 || len(savedDone) == len(site.pages))
	})
	ji, r := finishedReport(t, db, job.ID, 5*time.Minute)
	before, beforeHops := site.fetchesBy(userAgentOf("p1"))
	after, afterHops := site.fetchesBy(userAgentOf("p2"))
	after, afterHops = since(after, preKill), since(afterHops, preKillHops)
	for p, n := range preKill {
		before[p] += n
	}
	for p, n := range preKillHops {
		beforeHops[p] += n
	}
	var beforeTotal, afterTotal, lost, twice int
	for _, n := range before {
		beforeTotal += n
	}
	for p, n := range after {
		afterTotal += n
		if savedDone[p] {
			t.Errorf("page %s was saved as fetched before the kill and fetched %d times after it", p, n)
		}
		if before[p] > 0 {
			lost++ // fetched after the last save, or in flight, when the first process died
		}
		if n > 1 {
			twice++ // in flight when one of the second process's slices ended
		}
	}
	for p := range site.pages {
		if before[p]+after[p]+beforeHops[p]+afterHops[p] == 0 {
			t.Errorf("page %s never fetched", p)
		}
	}
	t.Logf("settings lease,slice,rescue = %s; %d pages; killed process: %d page fetches, %d pages saved as fetched; "+
		"other process: %d page fetches, %d of pages the killed one had fetched after its last save, %d pages fetched again after one of its own slices",
		ct, len(site.pages), beforeTotal, len(savedDone), afterTotal, lost, twice)
	t.Logf("takeover: the other process claimed the job %s after the SIGKILL and fetched its first page %s after it",
		claimed.Round(100*time.Millisecond), resumed.Round(100*time.Millisecond))
	// a slow machine may cut the second crawl into slices: more claims,
	// still no page twice
	if ji.Attempts < 2 || ji.ClaimedBy != "p2" {
		t.Fatalf("job %+v", ji)
	}
	if afterTotal >= len(site.pages) {
		t.Fatalf("second worker fetched %d pages of %d: it started over", afterTotal, len(site.pages))
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
