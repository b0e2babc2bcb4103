// Package crawl is a polite, bounded, resumable crawler for website
// inspection. It fetches the pages of one site (same host, depth and page
// limits, robots.txt, per-host concurrency and rate limits), checks every
// link it finds on them — including links to other sites, with HEAD and a
// GET fallback — and remembers on which pages each link was found.
//
// Memory stays bounded: bodies are capped and parsed in one streaming pass,
// only a page's extracted facts are handed to the caller, and visited URLs
// are deduplicated through a set of 64-bit hashes.
package crawl

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
	"golang.org/x/time/rate"

	"zhihui/internal/webcheck/extract"
)

// Config controls a crawl. Zero values take the documented defaults.
type Config struct {
	MaxPages     int           // same-site pages fetched and parsed; default 1000
	MaxDepth     int           // link distance from the seed for pages; 0 = unlimited
	MaxLinks     int           // distinct URLs tracked (pages + links); default 200000
	Workers      int           // requests in flight over all hosts; default 32
	PerHost      int           // requests in flight per host; default 2
	PerHostRate  float64       // requests per second per host; default 4; negative = unlimited
	Timeout      time.Duration // per request, body included; default 15 s
	Retries      int           // extra attempts on network errors, 429 and 5xx; default 1; negative = none
	Backoff      time.Duration // first retry delay, doubled each time; default 500 ms
	MaxBodyBytes int64         // bytes of a page body read; default 2 MiB
	MaxRedirects int           // hops followed; default 10
	RefsPerLink  int           // referring pages remembered per URL; default 10
	UserAgent    string
	AllowPrivate bool // allow loopback/private/link-local targets
	SkipExternal bool // do not check links to other sites
	IgnoreRobots bool
	RootCAs      *x509.CertPool // nil: system roots

	// SameSite decides whether u belongs to the crawled site. Default: same
	// host and port as the seed, ignoring a leading "www.".
	SameSite func(seed, u *url.URL) bool
	// OnPage is called for every fetched same-site page, concurrently from
	// several goroutines, before the page's links are queued.
	OnPage func(*Page)
	// Now is the reference time for date extraction; zero = time.Now.
	Now time.Time

	Store        StateStore    // where progress is saved; nil = not saved
	SaveInterval time.Duration // how often progress is saved; default 30 s
	// SaveExtra and LoadExtra let the caller persist its own per-crawl
	// accumulations alongside the crawl state.
	SaveExtra func() ([]byte, error)
	LoadExtra func([]byte) error

	Logger *slog.Logger
}

func (c *Config) defaults() {
	if c.MaxPages <= 0 {
		c.MaxPages = DefaultMaxPages
	}
	if c.MaxLinks <= 0 {
		c.MaxLinks = 200000
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.PerHost <= 0 {
		c.PerHost = 2
	}
	if c.PerHostRate == 0 {
		c.PerHostRate = 4
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Second
	}
	if c.Retries == 0 {
		c.Retries = 1
	}
	if c.Retries < 0 {
		c.Retries = 0
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 2 << 20
	}
	if c.MaxRedirects <= 0 {
		c.MaxRedirects = 10
	}
	if c.RefsPerLink <= 0 {
		c.RefsPerLink = 10
	}
	if c.UserAgent == "" {
		c.UserAgent = "zhihui-webcheck/1.0 (government website inspection)"
	}
	if c.SameSite == nil {
		c.SameSite = SameHost
	}
	if c.SaveInterval <= 0 {
		c.SaveInterval = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// SameHost reports whether u has the seed's host and port, ignoring a
// leading "www." on either.
func SameHost(seed, u *url.URL) bool {
	return strings.TrimPrefix(seed.Host, "www.") == strings.TrimPrefix(u.Host, "www.")
}

// Page is one fetched same-site page as handed to Config.OnPage.
type Page struct {
	URL         string
	FinalURL    string // after redirects
	Depth       int
	Status      int
	Header      http.Header
	ContentType string
	Charset     string        // encoding the body was decoded from
	Doc         *extract.Doc  // nil when the page is not HTML or could not be fetched
	Size        int           // body bytes read
	Truncated   bool          // body was longer than MaxBodyBytes
	Elapsed     time.Duration // time to first byte plus body
	Fetched     time.Time
	Err         string
}

// LinkResult is the outcome of fetching or checking one distinct URL.
type LinkResult struct {
	URL       string    `json:"url"`
	Status    int       `json:"status,omitempty"`
	Err       string    `json:"error,omitempty"`
	Method    string    `json:"method,omitempty"`
	FinalURL  string    `json:"final_url,omitempty"`
	Redirects int       `json:"redirects,omitempty"`
	Page      bool      `json:"page,omitempty"`     // fetched as a same-site page
	External  bool      `json:"external,omitempty"` // on another site
	Depth     int       `json:"depth"`
	Skipped   string    `json:"skipped,omitempty"` // "robots", "canceled": not checked
	ElapsedMS int64     `json:"elapsed_ms,omitempty"`
	CheckedAt time.Time `json:"checked_at,omitzero"`
	FoundOn   []string  `json:"found_on,omitempty"` // up to RefsPerLink referring pages
	RefCount  int       `json:"ref_count,omitempty"`
}

// Broken reports whether the link failed: a network error, a redirect loop,
// or an HTTP status of 400 or above. Skipped links are not broken.
func (l *LinkResult) Broken() bool {
	if l.Skipped != "" {
		return false
	}
	return l.Err != "" || l.Status >= 400
}

// Result is what a crawl found.
type Result struct {
	Seed            string
	Pages           int   // same-site HTML pages fetched and parsed
	LinkOccurrences int64 // links seen on pages, duplicates included
	Dropped         int   // URLs not tracked because MaxLinks was reached
	// BudgetReached: MaxPages stopped the crawl from fetching pages it
	// knew of; NotCrawled of them were only checked as links.
	BudgetReached bool
	NotCrawled    int
	Links         []LinkResult
	Canceled      bool
	Started       time.Time
	Finished      time.Time

	byURL map[string]int
}

// Link returns the result for a normalised URL.
func (r *Result) Link(u string) (*LinkResult, bool) {
	if r.byURL == nil {
		r.byURL = make(map[string]int, len(r.Links))
		for i := range r.Links {
			r.byURL[r.Links[i].URL] = i
		}
	}
	i, ok := r.byURL[u]
	if !ok {
		return nil, false
	}
	return &r.Links[i], true
}

// Progress is how far a running crawl has got.
type Progress struct {
	Pages   int           // same-site pages fetched and parsed
	Budget  int           // pages admitted so far (fetched or waiting), at most MaxPages
	Links   int           // distinct URLs known
	Checked int           // distinct URLs done (pages and links)
	Broken  int           // of which broken
	Elapsed time.Duration // since the crawl started
}

// Rate is URLs done per second.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Checked) / p.Elapsed.Seconds()
}

// Left estimates the time to finish the URLs known now (more may be
// found); zero when nothing is done yet.
func (p Progress) Left() time.Duration {
	r := p.Rate()
	if r <= 0 || p.Links <= p.Checked {
		return 0
	}
	return time.Duration(float64(p.Links-p.Checked) / r * float64(time.Second))
}

// Progress returns a snapshot of the crawl's progress; safe to call while
// Run is running.
func (c *Crawler) Progress() Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := Progress{Pages: c.fetched, Budget: c.pages, Links: len(c.nodes), Checked: c.checked, Broken: c.broken}
	if !c.started.IsZero() {
		p.Elapsed = time.Since(c.started)
	}
	return p
}

// DefaultMaxPages is the page budget when Config.MaxPages is not set.
const DefaultMaxPages = 1000

// node is one distinct URL in the crawl graph.
type node struct {
	url      string
	depth    int32
	page     bool
	external bool
	done     bool
	refCount int32
	refs     []uint32
	res      *LinkResult
}

type host struct {
	name     string
	crawl    bool // same-site: robots.txt applies
	lim      *rate.Limiter
	queue    []uint32
	head     int
	active   int
	robots   sync.Once
	group    *robotstxt.Group
	scheme   string
	hostport string
}

// Crawler runs one crawl. Create it with [New]; Run may be called once.
type Crawler struct {
	cfg    Config
	client *http.Client
	seed   *url.URL

	mu    sync.Mutex
	nodes []node
	index map[uint64]uint32
	pages int // pages admitted (queued or fetched as HTML)
	// deferred are same-site pages found when the budget was full, in
	// the order found; they are admitted when a slot frees (a page that
	// turned out broken or not HTML gives its slot back).
	deferred []uint32
	checked  int // nodes finished
	broken   int // of which broken
	fetched  int
	occ      int64
	dropped  int
	hosts    map[string]*host
	pending  sync.WaitGroup // queued tasks
	workers  sync.WaitGroup
	sem      chan struct{}
	ctx      context.Context
	started  time.Time
	bufs     sync.Pool
}

// New returns a crawler with cfg's defaults filled in.
func New(cfg Config) *Crawler {
	cfg.defaults()
	c := &Crawler{
		cfg: cfg,
		client: NewClient(ClientOptions{
			Timeout: cfg.Timeout, AllowPrivate: cfg.AllowPrivate, MaxConns: cfg.PerHost + 2,
			RootCAs: cfg.RootCAs, UserAgent: cfg.UserAgent,
		}),
		index: make(map[uint64]uint32),
		hosts: make(map[string]*host),
		sem:   make(chan struct{}, cfg.Workers),
	}
	c.bufs.New = func() any { return new(bytes.Buffer) }
	return c
}

// Client returns the crawler's HTTP client (dial-time address guard, no
// automatic redirects), for checks that run alongside the crawl.
func (c *Crawler) Client() *http.Client { return c.client }

func hash64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Run crawls from seed until every reachable page within the limits has
// been fetched and every found link checked, or until ctx is done. On
// cancellation it returns what was found so far with Canceled set, and saves
// the state so that a later Run with the same Store resumes.
func (c *Crawler) Run(ctx context.Context, seed string) (*Result, error) {
	su, err := url.Parse(strings.TrimSpace(seed))
	if err != nil {
		return nil, fmt.Errorf("crawl: parse seed: %w", err)
	}
	norm := extract.Normalize(su)
	if norm == "" {
		return nil, fmt.Errorf("crawl: seed %q is not an absolute http(s) URL", seed)
	}
	su, _ = url.Parse(norm)
	c.seed = su
	c.ctx = ctx
	c.started = time.Now()

	resumed := false
	if c.cfg.Store != nil {
		st, err := c.cfg.Store.Load(ctx)
		switch {
		case errors.Is(err, ErrNoState):
		case err != nil:
			return nil, fmt.Errorf("crawl: load state: %w", err)
		case st.Seed == norm:
			if err := c.restore(st); err != nil {
				return nil, err
			}
			resumed = true
		}
	}
	if !resumed {
		c.mu.Lock()
		id, _, _ := c.addNode(norm, 0, true, false)
		c.pages++
		c.enqueue(id)
		c.mu.Unlock()
	}

	all := make(chan struct{})
	go func() { c.pending.Wait(); close(all) }()
	saveTick := time.NewTicker(c.cfg.SaveInterval)
	defer saveTick.Stop()
	canceled := false
loop:
	for {
		select {
		case <-all:
			break loop
		case <-ctx.Done():
			canceled = true
			break loop
		case <-saveTick.C:
			c.save(context.WithoutCancel(ctx))
		}
	}
	c.workers.Wait()
	c.client.CloseIdleConnections()
	c.save(context.WithoutCancel(ctx))
	res := c.result()
	res.Canceled = canceled
	res.Started = c.started
	res.Finished = time.Now()
	return res, nil
}

// addNode returns the id of u, creating the node when new. c.mu is held.
func (c *Crawler) addNode(u string, depth int, page, external bool) (id uint32, isNew, ok bool) {
	h := hash64(u)
	if id, ok := c.index[h]; ok {
		return id, false, true
	}
	if len(c.nodes) >= c.cfg.MaxLinks {
		c.dropped++
		return 0, false, false
	}
	id = uint32(len(c.nodes))
	c.nodes = append(c.nodes, node{url: u, depth: int32(depth), page: page, external: external})
	c.index[h] = id
	return id, true, true
}

// enqueue queues node id on its host, starting a host worker when the host
// has room. c.mu is held.
func (c *Crawler) enqueue(id uint32) {
	n := &c.nodes[id]
	u, err := url.Parse(n.url)
	if err != nil {
		n.done = true
		n.res = &LinkResult{URL: n.url, Err: "invalid URL"}
		return
	}
	key := u.Scheme + "://" + u.Host
	h := c.hosts[key]
	if h == nil {
		lim := rate.NewLimiter(rate.Inf, 1)
		if c.cfg.PerHostRate > 0 {
			lim = rate.NewLimiter(rate.Limit(c.cfg.PerHostRate), 1)
		}
		h = &host{name: u.Host, crawl: !n.external, lim: lim, scheme: u.Scheme, hostport: u.Host}
		c.hosts[key] = h
	}
	h.queue = append(h.queue, id)
	c.pending.Add(1)
	if h.active < c.cfg.PerHost {
		h.active++
		c.workers.Add(1)
		go c.hostWorker(h)
	}
}

func (c *Crawler) hostWorker(h *host) {
	defer c.workers.Done()
	for {
		c.mu.Lock()
		if c.ctx.Err() != nil || h.head == len(h.queue) {
			h.active--
			if h.head == len(h.queue) {
				h.queue, h.head = h.queue[:0], 0
			}
			c.mu.Unlock()
			return
		}
		id := h.queue[h.head]
		h.head++
		if h.head >= 1024 && h.head*2 >= len(h.queue) {
			h.queue = append(h.queue[:0], h.queue[h.head:]...)
			h.head = 0
		}
		n := c.nodes[id]
		c.mu.Unlock()

		c.process(h, id, n)
		c.pending.Done()
	}
}

func (c *Crawler) process(h *host, id uint32, n node) {
	select {
	case c.sem <- struct{}{}:
	case <-c.ctx.Done():
		return
	}
	released := false
	release := func() {
		if !released {
			released = true
			<-c.sem
		}
	}
	defer release()

	if n.page && h.crawl && !c.cfg.IgnoreRobots {
		h.robots.Do(func() { c.loadRobots(h) })
		if h.group != nil {
			u, _ := url.Parse(n.url)
			p := u.EscapedPath()
			if u.RawQuery != "" {
				p += "?" + u.RawQuery
			}
			if !h.group.Test(p) {
				c.finish(id, &LinkResult{URL: n.url, Skipped: "robots", Page: true}, nil)
				return
			}
		}
	}
	if err := h.lim.Wait(c.ctx); err != nil {
		return
	}
	if n.page {
		c.fetchPage(id, n, release)
	} else {
		c.checkLink(id, n)
	}
}

func (c *Crawler) loadRobots(h *host) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.scheme+"://"+h.hostport+"/robots.txt", nil)
	if err != nil {
		return
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	resp, err := c.client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512<<10))
	data, err := robotstxt.FromStatusAndBytes(resp.StatusCode, body)
	if err != nil {
		return
	}
	g := data.FindGroup(c.cfg.UserAgent)
	h.group = g
	if g != nil && g.CrawlDelay > 0 {
		r := rate.Every(g.CrawlDelay)
		if h.lim.Limit() > r {
			h.lim.SetLimit(r)
		}
	}
}

// finish records a node's result and, for pages, queues the links found.
func (c *Crawler) finish(id uint32, res *LinkResult, links []outLink) {
	c.finishFrom(id, id, res, links)
}

// finishFrom is finish for a page whose links were read at another node:
// the final URL of a redirect, which is where the links really are.
func (c *Crawler) finishFrom(id, from uint32, res *LinkResult, links []outLink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := &c.nodes[id]
	if n.page && !res.Page && res.Skipped == "" {
		// admitted as a page while its link check ran: fetch it as one
		n.done, n.res = false, nil
		c.enqueue(id)
		return
	}
	n.done = true
	n.res = res
	c.checked++
	if res.Broken() {
		c.broken++
	}
	if links == nil {
		return
	}
	c.addLinks(from, int(n.depth)+1, links)
}

// outLink is a distinct URL found on a page; resource URLs (images,
// scripts, style sheets) are checked but never parsed as pages.
type outLink struct {
	url      string
	resource bool
}

// addLinks records that page `from` links to each of links (already unique)
// and queues the new ones. c.mu is held.
func (c *Crawler) addLinks(from uint32, depth int, links []outLink) {
	for _, l := range links {
		u := l.url
		pu, err := url.Parse(u)
		if err != nil {
			continue
		}
		same := c.cfg.SameSite(c.seed, pu)
		if !same && c.cfg.SkipExternal {
			continue
		}
		page := same && !l.resource
		if page && c.cfg.MaxDepth > 0 && depth > c.cfg.MaxDepth {
			page = false
		}
		overBudget := page && c.pages >= c.cfg.MaxPages
		if overBudget {
			page = false
		}
		id, isNew, ok := c.addNode(u, depth, page, !same)
		if !ok {
			continue // MaxLinks reached
		}
		n := &c.nodes[id]
		n.refCount++
		if len(n.refs) < c.cfg.RefsPerLink {
			n.refs = append(n.refs, from)
		}
		if isNew {
			if page {
				c.pages++
			}
			if overBudget {
				c.deferred = append(c.deferred, id)
			}
			c.enqueue(id)
		}
	}
}

// giveBack returns the budget slot of page node id, which turned out not
// to be an HTML page of the site (broken, an error, another type), and
// admits deferred pages into the freed slots. c.mu is held.
func (c *Crawler) giveBack(id uint32) {
	if !c.nodes[id].page || id == 0 {
		return
	}
	c.pages--
	for c.pages < c.cfg.MaxPages && len(c.deferred) > 0 {
		d := c.deferred[0]
		c.deferred = c.deferred[1:]
		m := &c.nodes[d]
		if m.page {
			continue
		}
		m.page = true
		c.pages++
		if m.done {
			// already checked as a link: fetch it again as a page
			m.done, m.res = false, nil
			c.enqueue(d)
		}
		// not done: it is still queued (or being checked, which
		// finishFrom notices) and is fetched as a page
	}
}

func (c *Crawler) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	return req, nil
}

// errRedirectLoop marks a redirect chain that revisits a URL.
var errRedirectLoop = errors.New("redirect loop")

// do sends method to u following redirects itself, with retries. It returns
// the final response (body open unless err != nil), the final URL and the
// number of hops.
func (c *Crawler) do(ctx context.Context, method, u string) (*http.Response, string, int, error) {
	var lastErr error
	for attempt := 0; attempt <= c.cfg.Retries; attempt++ {
		if attempt > 0 {
			d := c.cfg.Backoff << (attempt - 1)
			d += time.Duration(rand.Int64N(int64(d)/2 + 1))
			if ra, ok := lastErr.(retryAfter); ok && ra.d > d {
				d = min(ra.d, 10*time.Second)
			}
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, u, 0, ctx.Err()
			case <-t.C:
			}
		}
		resp, final, hops, err := c.follow(ctx, method, u)
		if err == nil && !retryableStatus(resp.StatusCode) {
			return resp, final, hops, nil
		}
		if err != nil {
			if !retryableErr(ctx, err) || attempt == c.cfg.Retries {
				return nil, final, hops, err
			}
			lastErr = err
			continue
		}
		if attempt == c.cfg.Retries {
			return resp, final, hops, nil
		}
		lastErr = retryAfter{d: parseRetryAfter(resp.Header.Get("Retry-After"))}
		drain(resp.Body)
	}
	return nil, u, 0, lastErr
}

type retryAfter struct{ d time.Duration }

func (r retryAfter) Error() string { return "retry after " + r.d.String() }

func parseRetryAfter(v string) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

func retryableStatus(s int) bool {
	return s == http.StatusTooManyRequests || s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout
}

func retryableErr(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, ErrBlocked) || errors.Is(err, errRedirectLoop) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "connection reset")
}

func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 8<<10)
	body.Close()
}

func (c *Crawler) follow(ctx context.Context, method, u string) (*http.Response, string, int, error) {
	seen := map[string]bool{}
	cur := u
	for hops := 0; ; hops++ {
		req, err := c.newRequest(ctx, method, cur)
		if err != nil {
			return nil, cur, hops, err
		}
		resp, err := c.client.Do(req)
		if err != nil {
			return nil, cur, hops, err
		}
		if resp.StatusCode < 300 || resp.StatusCode >= 400 || resp.StatusCode == http.StatusNotModified {
			return resp, cur, hops, nil
		}
		loc := resp.Header.Get("Location")
		drain(resp.Body)
		if loc == "" {
			return resp, cur, hops, nil
		}
		next := extract.Resolve(req.URL, loc)
		if next == "" {
			return nil, cur, hops, fmt.Errorf("redirect to unsupported location %q", loc)
		}
		seen[cur] = true
		if seen[next] {
			return nil, next, hops + 1, fmt.Errorf("%w: %s", errRedirectLoop, next)
		}
		if hops+1 > c.cfg.MaxRedirects {
			return nil, next, hops + 1, fmt.Errorf("too many redirects (%d)", hops+1)
		}
		cur = next
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "timeout"
	}
	return err.Error()
}

func (c *Crawler) fetchPage(id uint32, n node, release func()) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.Timeout*time.Duration(c.cfg.Retries+1)+c.cfg.Backoff*4)
	defer cancel()
	res := &LinkResult{URL: n.url, Method: http.MethodGet, Page: true, Depth: int(n.depth), CheckedAt: start}
	page := &Page{URL: n.url, Depth: int(n.depth), Fetched: start}
	resp, final, hops, err := c.do(ctx, http.MethodGet, n.url)
	res.FinalURL, res.Redirects = final, hops
	if final == n.url {
		res.FinalURL = ""
	}
	page.FinalURL = final
	if err != nil {
		if c.ctx.Err() != nil {
			return // canceled: left undone, fetched again on resume
		}
		res.Err = errString(err)
		res.ElapsedMS = time.Since(start).Milliseconds()
		page.Err = res.Err
		release()
		c.callOnPage(page)
		c.finishNotPage(id, res)
		return
	}
	res.Status, page.Status = resp.StatusCode, resp.StatusCode
	page.Header = resp.Header
	page.ContentType = resp.Header.Get("Content-Type")

	fu, _ := url.Parse(final)
	parse := resp.StatusCode < 300 && fu != nil && c.cfg.SameSite(c.seed, fu) && final != "" && isHTML(page.ContentType)
	from := id
	if parse && final != n.url {
		// A redirect to a URL that is (or will be) fetched on its own is
		// not parsed twice.
		c.mu.Lock()
		fid, isNew, _ := c.addNode(final, int(n.depth), true, false)
		if isNew {
			from = fid
			c.nodes[fid].done = true
			c.nodes[fid].res = &LinkResult{URL: final, Status: resp.StatusCode, Method: http.MethodGet, Page: true, Depth: int(n.depth), CheckedAt: start}
		} else {
			parse = false
		}
		c.mu.Unlock()
	}
	if !parse {
		drain(resp.Body)
		res.ElapsedMS = time.Since(start).Milliseconds()
		page.Elapsed = time.Since(start)
		release()
		c.callOnPage(page)
		c.finishNotPage(id, res)
		return
	}
	buf := c.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	_, rerr := buf.ReadFrom(io.LimitReader(resp.Body, c.cfg.MaxBodyBytes+1))
	resp.Body.Close()
	release()
	page.Elapsed = time.Since(start)
	res.ElapsedMS = page.Elapsed.Milliseconds()
	if rerr != nil && buf.Len() == 0 {
		res.Err = "read body: " + errString(rerr)
		page.Err = res.Err
		c.putBuf(buf)
		c.callOnPage(page)
		c.finishNotPage(id, res)
		return
	}
	body := buf.Bytes()
	if int64(len(body)) > c.cfg.MaxBodyBytes {
		body = body[:c.cfg.MaxBodyBytes]
		page.Truncated = true
	}
	page.Size = len(body)
	if !isHTML(page.ContentType) || page.ContentType == "" {
		if ct := http.DetectContentType(body); !strings.HasPrefix(ct, "text/html") && page.ContentType == "" {
			c.putBuf(buf)
			c.callOnPage(page)
			c.finishNotPage(id, res)
			return
		}
	}
	decoded, cs := Decode(body, page.ContentType)
	page.Charset = cs
	now := c.cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	base, _ := url.Parse(final)
	page.Doc = extract.Parse(decoded, base, extract.Options{Now: now})
	c.putBuf(buf)
	c.callOnPage(page)

	links := make([]outLink, 0, len(page.Doc.Links))
	for _, l := range page.Doc.Links {
		links = append(links, outLink{url: l.URL, resource: l.Resource})
	}
	slices.SortFunc(links, func(a, b outLink) int { return strings.Compare(a.url, b.url) })
	links = slices.CompactFunc(links, func(a, b outLink) bool { return a.url == b.url })
	c.mu.Lock()
	c.occ += int64(len(page.Doc.Links))
	c.fetched++
	c.mu.Unlock()
	c.finishFrom(id, from, res, links)
}

// finishNotPage records a page node that gave no HTML page of the site: it
// does not count against the page budget.
func (c *Crawler) finishNotPage(id uint32, res *LinkResult) {
	c.mu.Lock()
	c.giveBack(id)
	c.mu.Unlock()
	c.finish(id, res, []outLink{})
}

func (c *Crawler) putBuf(b *bytes.Buffer) {
	if b.Cap() <= 512<<10 {
		c.bufs.Put(b)
	}
}

func (c *Crawler) callOnPage(p *Page) {
	if c.cfg.OnPage != nil {
		c.cfg.OnPage(p)
	}
}

func isHTML(ct string) bool {
	if ct == "" {
		return true // sniffed after reading
	}
	ct = strings.ToLower(ct)
	return strings.Contains(ct, "html")
}

// checkLink checks a URL that is not crawled: HEAD first, GET when the
// server refuses or fails HEAD (many do).
func (c *Crawler) checkLink(id uint32, n node) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(c.ctx, (c.cfg.Timeout*time.Duration(c.cfg.Retries+1)+c.cfg.Backoff*4)*2)
	defer cancel()
	res := &LinkResult{URL: n.url, Method: http.MethodHead, External: n.external, Depth: int(n.depth), CheckedAt: start}
	resp, final, hops, err := c.do(ctx, http.MethodHead, n.url)
	if err == nil {
		drain(resp.Body)
	}
	if (err != nil && !errors.Is(err, errRedirectLoop) && !errors.Is(err, ErrBlocked)) || (err == nil && resp.StatusCode >= 400) {
		if c.ctx.Err() != nil {
			return
		}
		res.Method = http.MethodGet
		resp, final, hops, err = c.do(ctx, http.MethodGet, n.url)
		if err == nil {
			resp.Body.Close()
		}
	}
	if err != nil && c.ctx.Err() != nil {
		return
	}
	res.FinalURL, res.Redirects = final, hops
	if final == n.url {
		res.FinalURL = ""
	}
	if err != nil {
		res.Err = errString(err)
	} else {
		res.Status = resp.StatusCode
	}
	res.ElapsedMS = time.Since(start).Milliseconds()
	c.finish(id, res, nil)
}

// result assembles the Result. It runs after all workers have stopped.
func (c *Crawler) result() *Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &Result{Seed: c.seed.String(), Pages: c.fetched, LinkOccurrences: c.occ, Dropped: c.dropped}
	// Known pages left uncrawled: deferred and never admitted, except
	// those their link check found broken (no page to crawl).
	for _, d := range c.deferred {
		if n := &c.nodes[d]; !n.page && (n.res == nil || !n.res.Broken()) {
			r.NotCrawled++
		}
	}
	r.BudgetReached = r.NotCrawled > 0
	r.Links = make([]LinkResult, len(c.nodes))
	for i := range c.nodes {
		n := &c.nodes[i]
		var lr LinkResult
		if n.res != nil {
			lr = *n.res
		} else {
			lr = LinkResult{URL: n.url, Page: n.page, External: n.external, Depth: int(n.depth), Skipped: "canceled"}
		}
		lr.RefCount = int(n.refCount)
		lr.FoundOn = make([]string, 0, len(n.refs))
		for _, ref := range n.refs {
			lr.FoundOn = append(lr.FoundOn, c.nodes[ref].url)
		}
		r.Links[i] = lr
	}
	return r
}
