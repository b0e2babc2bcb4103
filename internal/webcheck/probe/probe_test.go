package probe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"zhihui/internal/testwait"
)

func TestProbe(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, "home")
		case "/moved":
			http.Redirect(w, r, "/", http.StatusFound)
		case "/down":
			w.WriteHeader(http.StatusBadGateway)
		case "/hang":
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	p := &Prober{Client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, Timeout: 200 * time.Millisecond}
	ctx := context.Background()
	if r := p.Probe(ctx, srv.URL+"/"); !r.OK || r.Status != 200 {
		t.Errorf("/: %+v", r)
	}
	if r := p.Probe(ctx, srv.URL+"/moved"); !r.OK || r.Status != 200 {
		t.Errorf("/moved: %+v", r)
	}
	if r := p.Probe(ctx, srv.URL+"/down"); r.OK || r.Status != 502 {
		t.Errorf("/down: %+v", r)
	}
	if r := p.Probe(ctx, srv.URL+"/hang"); r.OK || r.Err != "timeout" {
		t.Errorf("/hang: %+v", r)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	var rs []Result
	for i := range 40 {
		rs = append(rs, Result{Time: base.Add(time.Duration(i) * 4 * time.Hour), OK: i%10 != 0})
	}
	s := Summarize(rs)
	if s.Total != 40 || s.Failures != 4 || s.Percent != 10 || s.Days != 8 {
		t.Fatalf("summary %+v", s)
	}
}

// TestSchedulerManySites runs 1,000 sites through the scheduler with a
// concurrency of 16, one of them hanging, until every site has been probed
// twice: in-flight probes never exceed the bound and no site is probed
// concurrently with itself.
func TestSchedulerManySites(t *testing.T) {
	t.Parallel()
	var inflight, maxInflight atomic.Int32
	var perSite sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			m := maxInflight.Load()
			if n <= m || maxInflight.CompareAndSwap(m, n) {
				break
			}
		}
		v, _ := perSite.LoadOrStore(r.URL.Path, new(atomic.Int32))
		if v.(*atomic.Int32).Add(1) > 1 {
			t.Errorf("%s probed concurrently", r.URL.Path)
		}
		defer v.(*atomic.Int32).Add(-1)
		if r.URL.Path == "/s/7" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	const n, conc = 1000, 16
	sites := make([]string, n)
	for i := range sites {
		sites[i] = fmt.Sprintf("%s/s/%d", srv.URL, i)
	}
	ctx, cancel := context.WithCancel(testwait.Context(t))
	defer cancel()
	var mu sync.Mutex
	counts := map[string]int{}
	done := 0
	s := &Scheduler{
		Sites: sites, Interval: 400 * time.Millisecond, Jitter: 40 * time.Millisecond, Concurrency: conc,
		Prober: &Prober{Timeout: 150 * time.Millisecond},
		Sink: func(r Result) {
			mu.Lock()
			defer mu.Unlock()
			if strings.HasSuffix(r.URL, "/s/7") && r.OK {
				t.Errorf("hanging site reported OK")
			}
			counts[r.URL]++
			if counts[r.URL] == 2 {
				done++
				if done == n {
					cancel()
				}
			}
		},
	}
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if done != n {
		t.Fatalf("only %d of %d sites probed twice before the guard deadline", done, n)
	}
	if m := maxInflight.Load(); m > conc {
		t.Fatalf("%d probes in flight, limit %d", m, conc)
	}
	probes, _ := s.Stats()
	if probes < 2*n {
		t.Fatalf("Stats probes = %d", probes)
	}
}

// TestFirstDueKeepsPhase checks that with an epoch a site is due at the
// same phase of the interval whenever the scheduler starts, never before
// the start and never more than one interval after it.
func TestFirstDueKeepsPhase(t *testing.T) {
	epoch := time.Unix(0, 0)
	interval := 10 * time.Minute
	for _, off := range []time.Duration{0, time.Second, 4 * time.Minute, interval - time.Nanosecond} {
		for _, start := range []time.Time{
			time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC),
			time.Date(2026, 11, 26, 3, 4, 0, 0, time.UTC),
			time.Date(2026, 11, 26, 3, 7, 30, 123, time.UTC),
		} {
			at := firstDue(start, epoch, interval, off)
			if at.Before(start) || at.Sub(start) >= interval {
				t.Fatalf("off %s start %s: due %s", off, start, at)
			}
			if phase := at.Sub(epoch) % interval; phase != off {
				t.Fatalf("off %s start %s: phase %s", off, start, phase)
			}
		}
	}
	start := time.Date(2026, 11, 26, 3, 7, 30, 0, time.UTC)
	if at := firstDue(start, time.Time{}, interval, time.Minute); !at.Equal(start.Add(time.Minute)) {
		t.Fatalf("without epoch: %s", at)
	}
}
