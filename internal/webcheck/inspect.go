package webcheck

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"zhihui/internal/i18n"
	"zhihui/internal/webcheck/axe"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/extract"
	"zhihui/internal/webcheck/probe"
)

// Options control [Inspect]. Zero values take the documented defaults.
type Options struct {
	MaxPages     int           // same-site pages crawled; default 1000
	MaxDepth     int           // 0 = unlimited
	MaxLinks     int           // distinct URLs tracked; default 200000
	Workers      int           // requests in flight; default 32
	PerHost      int           // requests in flight per host; default 2
	PerHostRate  float64       // requests/second per host; default 4; negative = unlimited
	Timeout      time.Duration // per request; default 15 s (the census rule)
	AllowPrivate bool          // allow loopback/private/link-local targets
	SkipExternal bool          // do not check links to other sites
	UserAgent    string        // the crawl's User-Agent; default zhihui-webcheck/1.0

	// Probes is the number of homepage availability probes taken during
	// this inspection (default 3, spaced ProbeInterval apart, default 2 s).
	// ProbeHistory adds earlier probes (e.g. a week of scheduled ones);
	// the veto needs at least Scheme.MinProbes probes in total.
	Probes        int
	ProbeInterval time.Duration
	ProbeHistory  []probe.Result

	Now    time.Time // reference time for freshness; zero = time.Now
	Scheme *Scheme   // nil = DefaultScheme()

	// AxeScript is the axe-core source; when set, accessibility is checked
	// on AxePages sampled pages (default 5) in Chromium at ChromePath.
	AxeScript  []byte
	AxePages   int
	ChromePath string

	RootCAs  *x509.CertPool   // nil = system roots
	Resolver Resolver         // nil = net.DefaultResolver
	Store    crawl.StateStore // crawl progress, for resuming; nil = none
	// SaveInterval is how often crawl progress is saved to Store; default 30 s.
	SaveInterval time.Duration
	// AxeLocale is an axe-core locale (e.g. axe.zh_CN.json) for the
	// accessibility messages; nil = English.
	AxeLocale []byte
	Logger    *slog.Logger
	// Progress, when set, is called about every ProgressEvery (default
	// 1 s) while the site is crawled, and once at the end.
	Progress      func(crawl.Progress)
	ProgressEvery time.Duration
}

// facts is what the inspector keeps of the pages as they stream past. It is
// saved with the crawl state so a resumed inspection loses nothing.
type facts struct {
	mu       sync.Mutex
	Home     *Home                `json:"home,omitempty"`
	Pages    map[string]pageFacts `json:"pages"`
	Columns  map[string]candidate `json:"columns"`
	Mixed    []Evidence           `json:"mixed,omitempty"`
	Severe   []Evidence           `json:"severe,omitempty"`
	Service  bool                 `json:"service"`
	Interact bool                 `json:"interact"`
}

type pageFacts struct {
	Latest  time.Time `json:"l,omitzero"`
	Items   int       `json:"n,omitempty"`
	Empty   bool      `json:"e,omitempty"` // shows a "no content" marker
	Snippet string    `json:"s,omitempty"`
	Status  int       `json:"c,omitempty"`
	Final   string    `json:"f,omitempty"`
	Text    int       `json:"t,omitempty"` // runes of visible text
}

type candidate struct {
	Title   string             `json:"t"`
	Kind    extract.ColumnKind `json:"k"`
	FoundOn string             `json:"o"`
	Pages   int                `json:"n"` // pages linking to it with a column title
	// Structural: recognised by the site's structure (a navigation link
	// to a list page, a section with a "more" link) rather than by a
	// known column word.
	Structural bool `json:"x,omitempty"`
}

const (
	maxMixed  = 500
	maxSevere = 200
)

var serviceWords = []string{"办事", "政务服务", "网上服务", "在线办理", "服务大厅"}
var interactWords = []string{"互动", "信箱", "留言", "咨询", "民意征集", "在线访谈"}

func (f *facts) onPage(p *crawl.Page, s *Scheme, home string) {
	if p.Doc == nil && p.Depth > 0 {
		return
	}
	pf := pageFacts{Status: p.Status}
	if p.FinalURL != p.URL {
		pf.Final = p.FinalURL
	}
	if d := p.Doc; d != nil {
		for _, it := range d.Items {
			if it.Date.After(pf.Latest) {
				pf.Latest = it.Date
				pf.Snippet = it.Date.Format("2006-01-02") + " " + it.Text
			}
		}
		pf.Items = len(d.Items)
		pf.Empty = extract.HasEmptyMarker(d.Text)
		pf.Text = utf8.RuneCountInString(d.Text)
	}
	var cands map[string]candidate
	var mixed, severe []Evidence
	service, interact := false, false
	if d := p.Doc; d != nil {
		isHTTPS := strings.HasPrefix(p.FinalURL, "https://")
		// Dated list entries are articles, whatever their titles say.
		items := make(map[string]bool, len(d.Items))
		for _, it := range d.Items {
			items[it.URL] = true
		}
		for _, l := range d.Links {
			if isHTTPS && l.Resource && strings.HasPrefix(l.URL, "http://") {
				mixed = append(mixed, Evidence{URL: l.URL, Time: p.Fetched.UTC(), Snippet: "<" + l.Tag + "> " + l.URL, FoundOn: []string{p.URL}})
			}
			if l.Resource || p.Depth > 1 {
				continue
			}
			title := l.Text
			more := extract.IsMoreLink(title)
			if more {
				title = l.Heading
			}
			if p.Depth == 0 {
				for _, w := range serviceWords {
					service = service || strings.Contains(l.Text, w)
				}
				for _, w := range interactWords {
					interact = interact || strings.Contains(l.Text, w)
				}
			}
			kind := extract.ClassifyColumn(title)
			structural := false
			if kind == "" && sameHost(l.URL, home) && extract.LooksLikeColumnTitle(title) && (more || extract.ListLikeURL(l.URL)) {
				// Not a known column word, but shaped like a column:
				// a section with a "more" link, or a short navigation
				// text leading to a list page (专题专栏, 领导之窗 …).
				kind, structural = extract.ColumnOther, true
			}
			if kind == "" || l.URL == home || l.URL == p.URL || items[l.URL] {
				continue
			}
			if cands == nil {
				cands = map[string]candidate{}
			}
			if _, ok := cands[l.URL]; !ok {
				cands[l.URL] = candidate{Title: title, Kind: kind, FoundOn: p.URL, Structural: structural}
			}
		}
		for _, ph := range s.SeverePhrases {
			if i := strings.Index(d.Text, ph); i >= 0 {
				severe = append(severe, Evidence{URL: p.URL, Status: p.Status, Time: p.Fetched.UTC(), Snippet: around(d.Text, i, len(ph))})
			}
		}
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.Pages[p.URL] = pf
	if p.Depth == 0 && f.Home == nil {
		h := &Home{URL: p.URL, Status: p.Status, Err: p.Err, Charset: p.Charset, Latest: pf.Latest, Item: pf.Snippet, Items: pf.Items, Fetched: p.Fetched.UTC(), Header: map[string]string{}}
		for _, name := range append(slices.Clone(securityHeaders), "Strict-Transport-Security") {
			if v := p.Header.Get(name); v != "" {
				h.Header[name] = v
			}
		}
		if d := p.Doc; d != nil {
			h.Title = d.Title
			h.Marks = extract.FindMarks(d.Text)
			for _, l := range d.Links {
				h.Links = append(h.Links, l.URL)
			}
			slices.Sort(h.Links)
			h.Links = slices.Compact(h.Links)
		}
		f.Home = h
		f.Service, f.Interact = service, interact
	}
	for u, c := range cands {
		old, ok := f.Columns[u]
		c.Pages = old.Pages + 1
		if ok && (old.FoundOn == home || c.FoundOn != home) {
			c.Title, c.Kind, c.FoundOn, c.Structural = old.Title, old.Kind, old.FoundOn, old.Structural
		}
		f.Columns[u] = c
	}
	if len(f.Mixed) < maxMixed {
		f.Mixed = append(f.Mixed, mixed...)
	}
	if len(f.Severe) < maxSevere {
		f.Severe = append(f.Severe, severe...)
	}
}

// around returns up to 30 runes of context on each side of s[i:i+n].
func around(s string, i, n int) string {
	start, end := i, i+n
	for k := 0; k < 30 && start > 0; k++ {
		start--
		for start > 0 && s[start]&0xC0 == 0x80 {
			start--
		}
	}
	for k := 0; k < 30 && end < len(s); k++ {
		end++
		for end < len(s) && s[end]&0xC0 == 0x80 {
			end++
		}
	}
	return strings.TrimSpace(s[start:end])
}

// Inspect runs a one-off inspection of the site at rawURL: crawl and link
// check, homepage probes, HTTPS, IPv6, headers, marks, column freshness,
// optional accessibility, and both scoring schemes. It returns an [*i18n.Error]
// for an unusable URL; problems with the site itself are findings, not
// errors. When ctx is canceled it returns what was found with Canceled set.
func Inspect(ctx context.Context, rawURL string, o Options) (*Result, error) {
	if !strings.Contains(rawURL, "://") {
		rawURL = "http://" + rawURL
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || extract.Normalize(u) == "" {
		return nil, i18n.Errorf("网址无效：%s", "invalid URL: %s", rawURL).Wrap(err)
	}
	seed := extract.Normalize(u)
	u, _ = url.Parse(seed)
	scheme := o.Scheme
	if scheme == nil {
		scheme = DefaultScheme()
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Probes == 0 {
		o.Probes = 3
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 2 * time.Second
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}

	f := &facts{Pages: map[string]pageFacts{}, Columns: map[string]candidate{}}
	cfg := crawl.Config{
		MaxPages: o.MaxPages, MaxDepth: o.MaxDepth, MaxLinks: o.MaxLinks, Workers: o.Workers,
		PerHost: o.PerHost, PerHostRate: o.PerHostRate, Timeout: o.Timeout, AllowPrivate: o.AllowPrivate,
		SkipExternal: o.SkipExternal, UserAgent: o.UserAgent, RootCAs: o.RootCAs, Now: now, Store: o.Store, SaveInterval: o.SaveInterval, Logger: logger,
		OnPage: func(p *crawl.Page) { f.onPage(p, scheme, seed) },
		SaveExtra: func() ([]byte, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return json.Marshal(f)
		},
		LoadExtra: func(b []byte) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			return json.Unmarshal(b, f)
		},
	}
	c := crawl.New(cfg)
	client := c.Client()

	res := &Result{URL: seed, Started: time.Now().UTC()}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	var wg sync.WaitGroup
	var probes []probe.Result
	wg.Go(func() {
		p := &probe.Prober{Client: client, Timeout: o.Timeout}
		for i := range o.Probes {
			if i > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(o.ProbeInterval):
				}
			}
			probes = append(probes, p.Probe(ctx, seed))
		}
	})
	wg.Go(func() {
		tlsPort := "443"
		if u.Scheme == "https" {
			tlsPort = port
		}
		res.TLS = checkTLS(ctx, host, tlsPort, o.AllowPrivate, o.RootCAs, now)
		if res.TLS.Valid {
			res.TLS.HSTS = hstsOf(ctx, client, res.TLS.URL)
		}
	})
	wg.Go(func() { res.IPv6 = checkIPv6(ctx, o.Resolver, host, port, o.AllowPrivate) })

	stopProgress := func() {}
	if o.Progress != nil {
		every := o.ProgressEvery
		if every <= 0 {
			every = time.Second
		}
		done := make(chan struct{})
		var pw sync.WaitGroup
		pw.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					o.Progress(c.Progress())
				}
			}
		})
		stopProgress = func() { close(done); pw.Wait(); o.Progress(c.Progress()) }
	}
	cr, err := c.Run(ctx, seed)
	stopProgress()
	wg.Wait()
	if err != nil {
		return nil, err
	}
	res.Canceled = cr.Canceled
	res.Pages = cr.Pages
	res.PageBudget, res.BudgetReached, res.PagesNotCrawled = o.MaxPages, cr.BudgetReached, cr.NotCrawled
	if res.PageBudget <= 0 {
		res.PageBudget = crawl.DefaultMaxPages
	}
	res.LinkOccurrences = cr.LinkOccurrences
	res.UniqueLinks = len(cr.Links)
	res.DroppedLinks = cr.Dropped
	res.Availability = availability(append(slices.Clone(o.ProbeHistory), probes...), scheme.MinProbes)

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Home != nil {
		res.Home = *f.Home
	} else {
		res.Home = Home{URL: seed}
	}
	if l, ok := cr.Link(seed); ok && l.Broken() {
		res.Home.Err, res.Home.Status = l.Err, l.Status
	}
	res.Headers = checkHeaders(res.Home.Header)
	res.MixedContent = f.Mixed
	res.SevereErrors = f.Severe
	res.BrokenLinks = brokenLinks(cr, res.Home.Links)
	res.Columns = columns(f, cr, scheme, now, seed)

	if len(o.AxeScript) > 0 && !res.Canceled {
		urls := []string{seed}
		for _, col := range res.Columns {
			if len(urls) >= max(o.AxePages, 5) {
				break
			}
			if col.Status != "unreachable" && col.Status != "unknown" {
				urls = append(urls, col.URL)
			}
		}
		if !o.AllowPrivate {
			urls = publicOnly(ctx, o.Resolver, urls)
		}
		ar, err := axe.Run(ctx, o.AxeScript, urls, axe.Options{ChromePath: o.ChromePath, AllowPrivate: o.AllowPrivate, Locale: o.AxeLocale})
		if err != nil {
			res.AccessibilityErr = err.Error()
		}
		res.Accessibility = ar
	}

	res.Metrics = metrics(res, f, scheme, now)
	res.Verdict, res.Score = scheme.Evaluate(res.Metrics)
	res.Finished = time.Now().UTC()
	return res, nil
}

// publicOnly keeps the URLs whose host resolves only to public addresses;
// the browser does not go through the crawler's dial-time guard.
func publicOnly(ctx context.Context, r Resolver, urls []string) []string {
	var out []string
	for _, s := range urls {
		u, err := url.Parse(s)
		if err != nil {
			continue
		}
		addrs, err := r.LookupNetIP(ctx, "ip", u.Hostname())
		if err != nil || len(addrs) == 0 {
			continue
		}
		ok := true
		for _, a := range addrs {
			ok = ok && crawl.IsPublic(a)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

func availability(rs []probe.Result, minProbes int) Availability {
	return Availability{Probes: rs, Summary: probe.Summary(probe.Summarize(rs)), Assessed: len(rs) >= minProbes}
}

func brokenLinks(cr *crawl.Result, homeLinks []string) []BrokenLink {
	var out []BrokenLink
	for i := range cr.Links {
		l := &cr.Links[i]
		if !l.Broken() {
			continue
		}
		_, onHome := slices.BinarySearch(homeLinks, l.URL)
		out = append(out, BrokenLink{
			URL: l.URL, Status: l.Status, Err: l.Err, OnHomepage: onHome, External: l.External,
			FoundOn: l.FoundOn, FoundCount: l.RefCount, CheckedAt: l.CheckedAt.UTC(),
		})
	}
	slices.SortFunc(out, func(a, b BrokenLink) int {
		if a.OnHomepage != b.OnHomepage {
			if a.OnHomepage {
				return -1
			}
			return 1
		}
		return strings.Compare(a.URL, b.URL)
	})
	return out
}

func columns(f *facts, cr *crawl.Result, s *Scheme, now time.Time, home string) []Column {
	out := make([]Column, 0, len(f.Columns))
	// The shortest page is about what every page repeats (navigation,
	// footer); a column page not much longer has nothing of its own.
	boiler := 0
	for _, pf := range f.Pages {
		if pf.Text > 0 && (boiler == 0 || pf.Text < boiler) {
			boiler = pf.Text
		}
	}
	for u, c := range f.Columns {
		// Columns are linked from the homepage or from the navigation of
		// several pages; a column-like title on one inner page is an
		// ordinary link ("已删除的文件").
		if c.FoundOn != home && c.Pages < 2 {
			continue
		}
		col := Column{Title: c.Title, URL: u, Kind: c.Kind, FoundOn: c.FoundOn, LimitDays: s.Freshness[string(c.Kind)], Structural: c.Structural}
		pf, ok := f.Pages[u]
		if ok && pf.Final != "" {
			if pf2, ok2 := f.Pages[pf.Final]; ok2 && pf.Items == 0 {
				pf = pf2
			}
		}
		l, checked := cr.Link(u)
		if !ok && checked && l.FinalURL != "" {
			pf, ok = f.Pages[l.FinalURL]
		}
		switch {
		case checked && l.Broken():
			col.Status = "unreachable"
			col.Snippet = strings.TrimSpace(l.Err + " " + statusText(l.Status))
		case !ok:
			col.Status = "unknown"
		case pf.Items == 0 && c.Structural && !pf.Empty && pf.Text > boiler+blankSlack:
			// A page of its own content without dated entries (a
			// guide, an introduction): reported, freshness not judged.
			col.Status = "undated"
			col.Note = i18n.Text{Zh: "有内容但无带日期的条目，未判断更新情况", En: "content without dated items; freshness not judged"}
		case pf.Items == 0:
			col.Status = "empty"
			if pf.Empty {
				col.Note = i18n.Text{Zh: "页面显示暂无信息", En: "page says it has no content"}
			} else if c.Structural {
				col.Note = i18n.Text{Zh: "栏目页除各页共有的导航外没有内容", En: "nothing on the page beyond the navigation every page has"}
			} else {
				col.Note = i18n.Text{Zh: "无带日期的条目", En: "no dated items"}
			}
		default:
			col.Latest, col.Items, col.Snippet = pf.Latest, pf.Items, pf.Snippet
			col.AgeDays = int(now.Sub(pf.Latest).Hours() / 24)
			col.Status = "ok"
			if col.AgeDays > col.LimitDays {
				col.Status = "stale"
			}
		}
		out = append(out, col)
	}
	slices.SortFunc(out, func(a, b Column) int { return strings.Compare(a.URL, b.URL) })
	return out
}

// blankSlack is how many characters a column page may have beyond what
// every page repeats and still count as blank.
const blankSlack = 30

// sameHost reports whether two absolute URLs have the same host.
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Hostname(), ub.Hostname())
}

func statusText(code int) string {
	if code == 0 {
		return ""
	}
	return http.StatusText(code)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func metrics(r *Result, f *facts, s *Scheme, now time.Time) map[string]Metric {
	m := map[string]Metric{}
	known := func(name string, v float64, ev []Evidence) { m[name] = Metric{Value: v, Known: true, Evidence: ev} }
	unknown := func(name string, note i18n.Text) { m[name] = Metric{Note: note} }

	// Availability.
	if r.Availability.Assessed {
		var ev []Evidence
		for _, p := range r.Availability.Probes {
			if !p.OK {
				ev = append(ev, Evidence{URL: p.URL, Status: p.Status, Time: p.Time, Err: p.Err})
			}
		}
		known("availability_failure_pct", r.Availability.Summary.Percent, ev)
	} else {
		unknown("availability_failure_pct", i18n.Text{Zh: "监测次数不足", En: "not enough probes"})
	}
	homeOK := r.Home.Err == "" && r.Home.Status > 0 && r.Home.Status < 400
	homeEv := []Evidence{{URL: r.Home.URL, Status: r.Home.Status, Time: r.Home.Fetched, Err: r.Home.Err}}
	known("home_unreachable", b2f(!homeOK), homeEv)

	// Links.
	var home, other []Evidence
	for _, b := range r.BrokenLinks {
		ev := Evidence{URL: b.URL, Status: b.Status, Time: b.CheckedAt, Err: b.Err, FoundOn: b.FoundOn}
		if b.OnHomepage {
			home = append(home, ev)
		} else {
			other = append(other, ev)
		}
	}
	if homeOK {
		known("broken_links_home", float64(len(home)), home)
		known("broken_links_other", float64(len(other)), other)
	} else {
		unknown("broken_links_home", i18n.Text{Zh: "首页无法访问", En: "homepage unreachable"})
		unknown("broken_links_other", i18n.Text{Zh: "首页无法访问", En: "homepage unreachable"})
	}

	// Freshness.
	if homeOK {
		limit := s.Freshness["home"]
		stale := r.Home.Latest.IsZero() || now.Sub(r.Home.Latest) > time.Duration(limit)*24*time.Hour
		ev := Evidence{URL: r.Home.URL, Status: r.Home.Status, Time: r.Home.Fetched, Note: i18n.Text{Zh: "首页无带日期的信息", En: "no dated items on the homepage"}}
		if !r.Home.Latest.IsZero() {
			ev.Note, ev.Snippet = i18n.Text{}, "最新："+r.Home.Item
		}
		known("home_stale", b2f(stale), []Evidence{ev})
	} else {
		unknown("home_stale", i18n.Text{Zh: "首页无法访问", En: "homepage unreachable"})
	}
	byKind := map[extract.ColumnKind][]Evidence{}
	var empty, staleAll, staleKey []Evidence
	for _, c := range r.Columns {
		ev := Evidence{URL: c.URL, Snippet: c.Title + "：" + c.Snippet, FoundOn: []string{c.FoundOn}}
		switch c.Status {
		case "stale":
			byKind[c.Kind] = append(byKind[c.Kind], ev)
			staleAll = append(staleAll, ev)
			if c.Kind == extract.ColumnNews || c.Kind == extract.ColumnNotice || c.Kind == extract.ColumnPolicy {
				staleKey = append(staleKey, ev)
			}
		case "empty":
			empty = append(empty, ev)
		}
	}
	for _, k := range []extract.ColumnKind{extract.ColumnNews, extract.ColumnNotice, extract.ColumnPolicy, extract.ColumnInteraction, extract.ColumnOther} {
		known("stale_"+string(k), float64(len(byKind[k])), byKind[k])
	}
	known("stale_key_columns", float64(len(staleKey)), staleKey)
	known("stale_columns", float64(len(staleAll)), staleAll)
	known("empty_columns", float64(len(empty)), empty)
	known("severe_errors", float64(len(r.SevereErrors)), r.SevereErrors)

	// HTTPS.
	tlsEv := []Evidence{{URL: r.TLS.URL, Time: r.TLS.Checked, Snippet: strings.TrimSpace(r.TLS.Err + " " + r.TLS.Subject)}}
	known("no_https", b2f(!r.TLS.Available), tlsEv)
	if r.TLS.Available {
		known("tls_invalid", b2f(!r.TLS.Valid), tlsEv)
		if !r.TLS.NotAfter.IsZero() {
			d := r.TLS.NotAfter.Format("2006-01-02")
			exp := []Evidence{{URL: r.TLS.URL, Time: r.TLS.Checked, Note: i18n.Text{Zh: "证书到期 " + d, En: "expires " + d}}}
			known("tls_expiring", b2f(r.TLS.DaysLeft <= s.CertWarnDays), exp)
		} else {
			unknown("tls_expiring", i18n.Text{Zh: "未取得证书", En: "no certificate"})
		}
	} else {
		unknown("tls_invalid", i18n.Text{Zh: "无HTTPS", En: "no HTTPS"})
		unknown("tls_expiring", i18n.Text{Zh: "无HTTPS", En: "no HTTPS"})
	}
	if r.TLS.Valid {
		known("no_hsts", b2f(r.TLS.HSTS == ""), []Evidence{{URL: r.TLS.URL, Time: r.TLS.Checked, Snippet: "Strict-Transport-Security: " + r.TLS.HSTS}})
	} else {
		unknown("no_hsts", i18n.Text{Zh: "无有效HTTPS", En: "no valid HTTPS"})
	}
	known("mixed_content", float64(len(r.MixedContent)), r.MixedContent)
	if homeOK {
		var miss []Evidence
		for _, h := range r.Headers {
			if !h.Present {
				miss = append(miss, Evidence{URL: r.Home.URL, Status: r.Home.Status, Time: r.Home.Fetched, Note: i18n.Text{Zh: "缺少 " + h.Name, En: "missing " + h.Name}})
			}
		}
		known("missing_security_headers", float64(len(miss)), miss)
		markEv := func(zh, en string) []Evidence {
			return []Evidence{{URL: r.Home.URL, Status: r.Home.Status, Time: r.Home.Fetched, Note: i18n.Text{Zh: "首页未找到" + zh, En: en}}}
		}
		known("missing_site_code", b2f(r.Home.Marks.SiteCode == ""), markEv("政府网站标识码", "no site code"))
		known("missing_icp", b2f(r.Home.Marks.ICP == ""), markEv("ICP备案编号", "no ICP number"))
		known("missing_psb", b2f(r.Home.Marks.PSB == ""), markEv("公安机关备案标识", "no public security filing"))
		known("missing_service_entry", b2f(!f.Service), markEv("办事服务入口", "no service entry"))
		known("missing_interaction_entry", b2f(!f.Interact), markEv("互动交流入口", "no interaction entry"))
	} else {
		for _, n := range []string{"missing_security_headers", "missing_site_code", "missing_icp", "missing_psb", "missing_service_entry", "missing_interaction_entry"} {
			unknown(n, i18n.Text{Zh: "首页无法访问", En: "homepage unreachable"})
		}
	}

	// IPv6.
	v6ev := []Evidence{{URL: r.URL, Time: r.Started, Snippet: strings.TrimSpace(r.IPv6.Status + " " + strings.Join(r.IPv6.Addrs, ",")), Note: r.IPv6.Reason}}
	switch r.IPv6.Status {
	case IPv6NoAAAA:
		known("ipv6_no_aaaa", 1, v6ev)
		unknown("ipv6_unreachable", i18n.Text{Zh: "无AAAA记录", En: "no AAAA record"})
	case IPv6OK, IPv6Unreachable:
		known("ipv6_no_aaaa", 0, v6ev)
		known("ipv6_unreachable", b2f(r.IPv6.Status == IPv6Unreachable), v6ev)
	default:
		known("ipv6_no_aaaa", 0, v6ev)
		if len(r.IPv6.Addrs) == 0 {
			unknown("ipv6_no_aaaa", r.IPv6.Reason)
		}
		unknown("ipv6_unreachable", r.IPv6.Reason)
	}

	// Accessibility: distinct rules violated over the sampled pages.
	ran := false
	rules := map[string]map[string]Evidence{"critical": {}, "serious": {}, "other": {}}
	for _, ar := range r.Accessibility {
		if ar.Err != "" {
			continue
		}
		ran = true
		for _, v := range ar.Violations {
			imp := v.Impact
			if imp != "critical" && imp != "serious" {
				imp = "other"
			}
			if _, seen := rules[imp][v.ID]; !seen {
				snip := v.ID + "：" + v.Help
				if len(v.Nodes) > 0 {
					snip += " " + v.Nodes[0].HTML
				}
				rules[imp][v.ID] = Evidence{URL: ar.URL, Snippet: snip}
			}
		}
	}
	for _, imp := range []string{"critical", "serious", "other"} {
		if !ran {
			unknown("a11y_"+imp, i18n.Text{Zh: "未运行无障碍检测", En: "accessibility not checked"})
			continue
		}
		var ev []Evidence
		for _, e := range rules[imp] {
			ev = append(ev, e)
		}
		slices.SortFunc(ev, func(a, b Evidence) int { return strings.Compare(a.Snippet, b.Snippet) })
		known("a11y_"+imp, float64(len(ev)), ev)
	}
	return m
}
