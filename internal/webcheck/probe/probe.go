// Package probe measures website availability: single homepage probes and
// a scheduler that keeps probing many sites at a fixed interval without
// falling behind.
package probe

import (
	"container/heap"
	"context"
	"errors"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Result is one availability probe of one URL.
type Result struct {
	URL       string    `json:"url"`
	Time      time.Time `json:"time"`
	Status    int       `json:"status,omitempty"`
	ElapsedMS int64     `json:"elapsed_ms"`
	Err       string    `json:"error,omitempty"`
	OK        bool      `json:"ok"`
}

// Prober fetches a URL once and judges it: the page must answer with a
// status below 400 within Timeout (15 s by default, as in the national
// census rules), body included up to 1 MiB.
type Prober struct {
	Client  *http.Client // must not follow redirects blindly; nil = http.DefaultClient
	Timeout time.Duration
}

// Probe fetches u once. It never returns an error; failures are in Result.
func (p *Prober) Probe(ctx context.Context, u string) Result {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	start := time.Now()
	r := Result{URL: u, Time: start.UTC()}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cur := u
	for hops := 0; ; hops++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cur, nil)
		if err != nil {
			r.Err = err.Error()
			break
		}
		req.Header.Set("User-Agent", "zhihui-webcheck/1.0 (availability probe)")
		resp, err := client.Do(req)
		if err != nil {
			r.Err = errText(ctx, err)
			break
		}
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		r.Status = resp.StatusCode
		if err != nil {
			r.Err = errText(ctx, err)
			break
		}
		loc := resp.Header.Get("Location")
		if resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" && hops < 5 {
			next, err := req.URL.Parse(loc)
			if err != nil {
				r.Err = "bad redirect: " + err.Error()
				break
			}
			cur = next.String()
			continue
		}
		r.OK = resp.StatusCode < 400
		break
	}
	r.ElapsedMS = time.Since(start).Milliseconds()
	return r
}

func errText(ctx context.Context, err error) string {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return err.Error()
}

// Summary aggregates probes of one site.
type Summary struct {
	Total    int     `json:"total"`
	Failures int     `json:"failures"`
	Percent  float64 `json:"failure_percent"`
	Days     int     `json:"days"` // distinct days (Asia/Shanghai) covered
}

// Summarize counts failures in rs.
func Summarize(rs []Result) Summary {
	var s Summary
	days := map[string]bool{}
	cst := time.FixedZone("CST", 8*3600)
	for _, r := range rs {
		s.Total++
		if !r.OK {
			s.Failures++
		}
		days[r.Time.In(cst).Format("2006-01-02")] = true
	}
	if s.Total > 0 {
		s.Percent = float64(s.Failures) * 100 / float64(s.Total)
	}
	s.Days = len(days)
	return s
}

// Scheduler probes every site once per Interval with at most Concurrency
// probes in flight. Each site gets a stable offset within the interval
// (hash of its URL plus up to Jitter of random delay) so load is spread
// evenly instead of arriving in bursts. When probes fall behind, due sites
// are taken in order of due time; a site is never probed twice at once.
type Scheduler struct {
	Sites    []string
	Interval time.Duration // default 5 minutes
	// Epoch anchors the offsets: when set, a site is due at Epoch + its
	// offset + k×Interval, so a scheduler restarted with a changed site
	// list keeps every site's phase (no site probed twice in a row or
	// starved). Zero: offsets count from Run's start.
	Epoch       time.Time
	Jitter      time.Duration // random extra delay per round; default Interval/10
	Concurrency int           // default 64
	Prober      *Prober
	// Sink receives every result, from several goroutines at once.
	Sink func(Result)

	probes  atomic.Int64
	maxLate atomic.Int64 // nanoseconds
}

// Stats reports how many probes ran and the worst delay between a probe's
// due time and its start (how far the scheduler fell behind).
func (s *Scheduler) Stats() (probes int64, maxLate time.Duration) {
	return s.probes.Load(), time.Duration(s.maxLate.Load())
}

type due struct {
	at   time.Time
	site int
}

type dueHeap []due

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(due)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// firstDue is when a site with offset off is first due after start: off
// into the interval, counted from start or, when epoch is set, from the
// last whole interval since epoch (not before start).
func firstDue(start, epoch time.Time, interval, off time.Duration) time.Time {
	if epoch.IsZero() {
		return start.Add(off)
	}
	cycle := start.Add(-(start.Sub(epoch) % interval))
	at := cycle.Add(off)
	if at.Before(start) {
		at = at.Add(interval)
	}
	return at
}

// Run probes until ctx is done, then waits for probes in flight.
func (s *Scheduler) Run(ctx context.Context) error {
	interval := s.Interval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	jitter := s.Jitter
	if jitter <= 0 {
		jitter = interval / 10
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = 64
	}
	prober := s.Prober
	if prober == nil {
		prober = &Prober{}
	}
	start := time.Now()
	h := make(dueHeap, 0, len(s.Sites))
	for i, u := range s.Sites {
		f := fnv.New64a()
		f.Write([]byte(u))
		off := time.Duration(f.Sum64() % uint64(interval))
		h = append(h, due{at: firstDue(start, s.Epoch, interval, off), site: i})
	}
	heap.Init(&h)
	sem := make(chan struct{}, conc)
	busy := make([]atomic.Bool, len(s.Sites))
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for len(h) > 0 {
		next := h[0]
		if d := time.Until(next.at); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return nil
			case <-timer.C:
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		heap.Pop(&h)
		late := time.Since(next.at)
		for {
			old := s.maxLate.Load()
			if int64(late) <= old || s.maxLate.CompareAndSwap(old, int64(late)) {
				break
			}
		}
		// The next round is scheduled from the due time, not from when the
		// probe ran, so a slow round does not drift the whole schedule.
		nextAt := next.at.Add(interval)
		if j := rand.Int64N(int64(jitter) + 1); j > 0 {
			nextAt = nextAt.Add(time.Duration(j) - jitter/2)
		}
		if min := time.Now(); nextAt.Before(min) {
			nextAt = min
		}
		site := next.site
		if !busy[site].CompareAndSwap(false, true) {
			// Still probing from the last round (a probe outlasted the
			// interval): skip this round for the site.
			<-sem
			heap.Push(&h, due{at: nextAt, site: site})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := prober.Probe(ctx, s.Sites[site])
			s.probes.Add(1)
			if s.Sink != nil && ctx.Err() == nil {
				s.Sink(r)
			}
			busy[site].Store(false)
			<-sem
		}()
		heap.Push(&h, due{at: nextAt, site: site})
	}
	return nil
}
