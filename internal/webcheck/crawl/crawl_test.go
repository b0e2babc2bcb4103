package crawl

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testSite serves a small site with every kind of trouble a crawler meets.
type testSite struct {
	srv  *httptest.Server
	ext  *httptest.Server
	hits sync.Map // path -> *atomic.Int64
}

func (s *testSite) hit(p string) int64 {
	v, _ := s.hits.LoadOrStore(p, new(atomic.Int64))
	return v.(*atomic.Int64).Add(1)
}

func (s *testSite) hitsOf(p string) int64 {
	v, ok := s.hits.Load(p)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func newTestSite(t *testing.T) *testSite {
	t.Helper()
	s := &testSite{}
	s.ext = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.WriteHeader(200)
		case "/nohead":
			if r.Method == http.MethodHead {
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			w.WriteHeader(200)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.ext.Close)
	mux := http.NewServeMux()
	html := func(w http.ResponseWriter, body string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, body)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.hit(r.URL.Path)
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		html(w, `<html><head><title>首页</title></head><body>
<a href="/a">A</a> <a href="/b">B</a> <a href="/missing">坏链</a> <a href="/loop1">循环</a>
<a href="/redirect">跳转</a> <a href="/hang">挂起</a> <a href="/huge">巨大</a> <a href="/malformed">坏HTML</a>
<a href="/gbk-meta">GBK1</a> <a href="/gbk-nometa">GBK2</a> <a href="/private/secret">私有</a>
<a href="/trickle">慢</a> <a href="/flaky">偶发</a>
<a href="`+s.ext.URL+`/ok">外链</a> <a href="`+s.ext.URL+`/gone">外链坏</a> <a href="`+s.ext.URL+`/nohead">外链2</a>
<img src="/img/missing.png"></body></html>`)
	})
	mux.HandleFunc("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
	})
	for _, p := range []string{"/a", "/b"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			s.hit(r.URL.Path)
			html(w, `<a href="/">home</a><a href="/c`+p[1:]+`">deeper</a><a href="/missing">again</a>`)
		})
	}
	mux.HandleFunc("/ca", func(w http.ResponseWriter, r *http.Request) { s.hit(r.URL.Path); html(w, `<a href="/d">d</a>`) })
	mux.HandleFunc("/cb", func(w http.ResponseWriter, r *http.Request) { s.hit(r.URL.Path); html(w, `cb`) })
	mux.HandleFunc("/d", func(w http.ResponseWriter, r *http.Request) { s.hit(r.URL.Path); html(w, `d`) })
	mux.HandleFunc("/loop1", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop1", http.StatusFound) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/a", http.StatusMovedPermanently) })
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	mux.HandleFunc("/trickle", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		if r.Method == http.MethodHead {
			return
		}
		for {
			if _, err := w.Write([]byte("<p>x</p>")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat(`<a href="/huge-child">x</a>`, 1000))
		for range 4000 { // ~100 MB if read to the end
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/malformed", func(w http.ResponseWriter, r *http.Request) {
		html(w, "<html><body><a href='/b'>b<a href=\"/a\"><div><<<>>><a href=%zz><a href=\"ja\nvascript:x\"><table><tr><td><a href=/d>")
	})
	mux.HandleFunc("/gbk-meta", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(gbk(t, `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>通知公告</title></head><body>政府网站标识码：4100000001</body></html>`))
	})
	mux.HandleFunc("/gbk-nometa", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(gbk(t, `<html><head><title>政策文件</title></head><body>豫ICP备05001234号</body></html>`))
	})
	mux.HandleFunc("/flaky", func(w http.ResponseWriter, r *http.Request) {
		if s.hit("/flaky") == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		html(w, "ok")
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func testConfig() Config {
	return Config{
		AllowPrivate: true, Timeout: 500 * time.Millisecond, Retries: 1, Backoff: 10 * time.Millisecond,
		PerHostRate: -1, PerHost: 4, MaxBodyBytes: 64 << 10,
	}
}

func TestCrawlTroubleSite(t *testing.T) {
	t.Parallel()
	s := newTestSite(t)
	var mu sync.Mutex
	pages := map[string]*Page{}
	parsed := map[string]int{}
	cfg := testConfig()
	cfg.OnPage = func(p *Page) {
		mu.Lock()
		pages[strings.TrimPrefix(p.URL, s.srv.URL)] = p
		if p.Doc != nil {
			parsed[strings.TrimPrefix(p.FinalURL, s.srv.URL)]++
		}
		mu.Unlock()
	}
	res, err := New(cfg).Run(context.Background(), s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Canceled {
		t.Fatal("crawl canceled")
	}
	local := func(p string) *LinkResult {
		l, ok := res.Link(s.srv.URL + p)
		if !ok {
			t.Fatalf("no result for %s", p)
		}
		return l
	}
	for _, p := range []string{"/missing", "/loop1", "/hang", "/img/missing.png"} {
		if l := local(p); !l.Broken() {
			t.Errorf("%s not broken: %+v", p, l)
		}
	}
	if l := local("/loop1"); !strings.Contains(l.Err, "redirect loop") {
		t.Errorf("loop error = %q", l.Err)
	}
	if l := local("/hang"); l.Err != "timeout" {
		t.Errorf("hang error = %q", l.Err)
	}
	if l := local("/missing"); l.RefCount != 3 || len(l.FoundOn) != 3 {
		t.Errorf("/missing found on %v (%d)", l.FoundOn, l.RefCount)
	}
	for _, p := range []string{"/", "/a", "/b", "/ca", "/cb", "/d", "/malformed", "/flaky", "/gbk-meta", "/gbk-nometa"} {
		if l := local(p); l.Broken() || !l.Page {
			t.Errorf("%s: %+v", p, l)
		}
	}
	if l := local("/redirect"); l.Broken() || l.FinalURL != s.srv.URL+"/a" || l.Redirects != 1 {
		t.Errorf("/redirect: %+v", l)
	}
	if l := local("/private/secret"); l.Skipped != "robots" || l.Broken() {
		t.Errorf("/private/secret: %+v", l)
	}
	if l := local("/huge"); l.Broken() || !pages["/huge"].Truncated || pages["/huge"].Size != 64<<10 {
		t.Errorf("/huge: %+v size %d", l, pages["/huge"].Size)
	}
	if l := local("/trickle"); !l.Broken() {
		// The trickling body never ends; the request timeout cuts it.
		if p := pages["/trickle"]; p == nil || p.Size > 64<<10 {
			t.Errorf("/trickle: %+v", l)
		}
	}
	if got := s.hitsOf("/flaky"); got != 2 {
		t.Errorf("/flaky fetched %d times, want 2 (one retry)", got)
	}
	for p, n := range parsed {
		if n != 1 {
			t.Errorf("%s parsed %d times", p, n)
		}
	}
	for p, title := range map[string]string{"/gbk-meta": "通知公告", "/gbk-nometa": "政策文件"} {
		pg := pages[p]
		if pg == nil || pg.Doc == nil || pg.Doc.Title != title || pg.Charset != "gb18030" {
			t.Errorf("%s decoded as %+v", p, pg)
		}
	}
	ext := func(p string) *LinkResult {
		l, ok := res.Link(s.ext.URL + p)
		if !ok {
			t.Fatalf("no result for external %s", p)
		}
		return l
	}
	if l := ext("/ok"); l.Broken() || !l.External || l.Method != http.MethodHead {
		t.Errorf("ext /ok: %+v", l)
	}
	if l := ext("/nohead"); l.Broken() || l.Method != http.MethodGet {
		t.Errorf("ext /nohead: %+v", l)
	}
	if l := ext("/gone"); !l.Broken() || l.Status != 404 {
		t.Errorf("ext /gone: %+v", l)
	}
	if s.hitsOf("/huge-child") != 1 {
		t.Errorf("/huge-child fetched %d times", s.hitsOf("/huge-child"))
	}
}

func TestCrawlRefusesPrivateTargets(t *testing.T) {
	t.Parallel()
	s := newTestSite(t)
	cfg := testConfig()
	cfg.AllowPrivate = false
	res, err := New(cfg).Run(context.Background(), s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := res.Link(s.srv.URL + "/")
	if !l.Broken() || !strings.Contains(l.Err, "non-public") {
		t.Fatalf("seed result %+v, want refused", l)
	}
	if s.hitsOf("/") != 0 {
		t.Fatal("server was contacted")
	}
}

func TestIsPublic(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true, "127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "::1": false, "fe80::1": false, "fc00::1": false,
		"100.64.0.1": false, "0.0.0.0": false, "::ffff:127.0.0.1": false, "224.0.0.1": false,
		"198.18.0.1": false, "192.0.0.8": false, "240.0.0.1": false, "255.255.255.255": false, "fec0::1": false,
		"64:ff9b::7f00:1": false, "64:ff9b::a00:1": false, "64:ff9b::808:808": true, "64:ff9b:1::1": false,
		"2002:7f00:1::1": false, "2002:c0a8:101::1": false, "2002:808:808::1": true, "::127.0.0.1": false, "::8.8.8.8": true,
		"203.0.113.9": true,
	} {
		a, err := netipParse(addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := IsPublic(a); got != want {
			t.Errorf("IsPublic(%s) = %v", addr, got)
		}
	}
}

func TestLooseIPv4(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]string{
		"2130706433": "127.0.0.1", "0x7f.1": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "127.1": "127.0.0.1",
		"10.0.0.1.": "10.0.0.1", "0xA9.0xFE.0xA9.0xFE": "169.254.169.254", "0": "0.0.0.0", "192.168.257": "192.168.1.1",
		"256.0.0.1": "invalid", "1.2.3.4.5": "invalid", "4294967296": "invalid", "0x": "0.0.0.0", "1.08": "invalid",
		"www.gov.cn": "name", "a.b.c1": "name", "1.2.3.x": "name", "example.": "name",
	} {
		a, numeric := LooseIPv4(host)
		got := "name"
		if numeric {
			got = "invalid"
			if a.IsValid() {
				got = a.String()
			}
		}
		if got != want {
			t.Errorf("LooseIPv4(%q) = %s, want %s", host, got, want)
		}
	}
}

func TestCrawlLimits(t *testing.T) {
	t.Parallel()
	s := newTestSite(t)
	cfg := testConfig()
	cfg.MaxPages = 3
	cfg.SkipExternal = true
	res, err := New(cfg).Run(context.Background(), s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages > 3 {
		t.Fatalf("fetched %d pages, limit 3", res.Pages)
	}
	// Links beyond the page limit are still checked, with HEAD.
	if l, ok := res.Link(s.srv.URL + "/missing"); !ok || !l.Broken() {
		t.Fatalf("/missing: %+v", l)
	}

	cfg = testConfig()
	cfg.MaxDepth = 1
	cfg.SkipExternal = true
	res, err = New(cfg).Run(context.Background(), s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := res.Link(s.srv.URL + "/ca"); l.Page || l.Broken() {
		t.Fatalf("/ca at depth 2 should be checked, not crawled: %+v", l)
	}
	for _, l := range res.Links {
		if l.Page && l.Depth > 1 {
			t.Errorf("%s crawled at depth %d", l.URL, l.Depth)
		}
	}
}

func TestCrawlResume(t *testing.T) {
	t.Parallel()
	s := newTestSite(t)
	store := &MemoryStore{}
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	cfg := testConfig()
	cfg.SkipExternal = true
	cfg.PerHost = 1
	cfg.Store = store
	cfg.OnPage = func(p *Page) {
		if n.Add(1) == 3 {
			cancel()
		}
	}
	extraSaved := false
	cfg.SaveExtra = func() ([]byte, error) { extraSaved = true; return []byte(`{"k":1}`), nil }
	first, err := New(cfg).Run(ctx, s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Canceled || !extraSaved {
		t.Fatalf("first run canceled=%v extra saved=%v", first.Canceled, extraSaved)
	}
	st, err := store.Load(context.Background())
	if err != nil || string(st.Extra) != `{"k":1}` {
		t.Fatalf("state %v, %v", st, err)
	}
	homeHits := s.hitsOf("/")

	cfg.OnPage = nil
	var loaded string
	cfg.LoadExtra = func(b []byte) error { loaded = string(b); return nil }
	second, err := New(cfg).Run(context.Background(), s.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if second.Canceled || loaded != `{"k":1}` {
		t.Fatalf("second run canceled=%v extra=%q", second.Canceled, loaded)
	}
	if s.hitsOf("/") != homeHits {
		t.Error("resumed crawl fetched the homepage again")
	}
	for _, p := range []string{"/a", "/b", "/ca", "/cb", "/d"} {
		if l, ok := second.Link(s.srv.URL + p); !ok || l.Skipped != "" || l.Broken() {
			t.Errorf("%s after resume: %+v", p, l)
		}
	}
	if l, _ := second.Link(s.srv.URL + "/missing"); l.RefCount != 3 {
		t.Errorf("/missing ref count after resume = %d", l.RefCount)
	}
}

func TestFileStore(t *testing.T) {
	t.Parallel()
	fs := FileStore{Path: t.TempDir() + "/state.json"}
	if _, err := fs.Load(context.Background()); !errors.Is(err, ErrNoState) {
		t.Fatalf("Load on empty = %v", err)
	}
	in := &State{Seed: "http://a.cn/", Nodes: []NodeState{{URL: "http://a.cn/", Page: true, Result: &LinkResult{URL: "http://a.cn/", Status: 200}}, {URL: "http://a.cn/x", Refs: []uint32{0}, RefCount: 1}}}
	if err := fs.Save(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	out, err := fs.Load(context.Background())
	if err != nil || out.Seed != in.Seed || len(out.Nodes) != 2 || out.Nodes[0].Result.Status != 200 || out.Nodes[1].Refs[0] != 0 {
		t.Fatalf("round trip: %+v %v", out, err)
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	text := "<title>政府信息公开</title>"
	tests := []struct {
		name, ct string
		body     []byte
		want     string
	}{
		{"utf8 header", "text/html; charset=utf-8", []byte(text), "utf-8"},
		{"utf8 sniffed", "text/html", []byte(text), "utf-8"},
		{"gbk header", "text/html; charset=GBK", gbk(t, text), "gb18030"},
		{"gb2312 meta", "text/html", append(gbk(t, `<meta charset="gb2312">`), gbk(t, text)...), "gb18030"},
		{"gbk no label", "", gbk(t, text), "gb18030"},
	}
	for _, tt := range tests {
		out, cs := Decode(tt.body, tt.ct)
		if cs != tt.want || !strings.Contains(string(out), "政府信息公开") {
			t.Errorf("%s: %s %q", tt.name, cs, out)
		}
	}
	// A multi-byte rune cut by the size cap still counts as UTF-8.
	cut := []byte(text)[:len("<title>政府信")+1]
	if _, cs := Decode(cut, ""); cs != "utf-8" {
		t.Errorf("cut UTF-8 decoded as %s", cs)
	}
}

func TestSameHost(t *testing.T) {
	t.Parallel()
	seed, _ := url.Parse("http://www.zz.gov.cn/")
	for u, want := range map[string]bool{"http://zz.gov.cn/a": true, "https://www.zz.gov.cn/": true, "http://zz.gov.cn:8080/": false, "http://ha.gov.cn/": false} {
		pu, _ := url.Parse(u)
		if SameHost(seed, pu) != want {
			t.Errorf("SameHost(%s) != %v", u, want)
		}
	}
}

// TestBudgetNotSpentOnBrokenTargets: same-site links that turn out broken
// give their page slot back, so a budget that fits the real pages crawls
// all of them and the broken links on them are found; a budget that does
// not fit says so and how many known pages were left.
func TestBudgetNotSpentOnBrokenTargets(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	html := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, "<html><body>"+body+"</body></html>")
		}
	}
	var home strings.Builder
	for i := range 8 { // sorted before /p/: queued first
		fmt.Fprintf(&home, `<a href="/gone/%d.html">gone %d</a>`, i, i)
	}
	for i := range 5 {
		fmt.Fprintf(&home, `<a href="/p/%d.html">page %d</a>`, i, i)
	}
	mux.HandleFunc("/{$}", html(home.String()))
	mux.HandleFunc("/gone/", http.NotFound)
	mux.HandleFunc("/p/", func(w http.ResponseWriter, r *http.Request) {
		html(`<a href="/gone/p`+path.Base(r.URL.Path)+`">broken on a page</a>`)(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg := testConfig()
	cfg.MaxPages = 6 // home + 5 pages
	cfg.SkipExternal = true
	res, err := New(cfg).Run(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 6 {
		t.Fatalf("fetched %d pages, want 6", res.Pages)
	}
	for i := range 5 {
		u := fmt.Sprintf("%s/gone/p%d.html", srv.URL, i)
		if l, ok := res.Link(u); !ok || !l.Broken() {
			t.Errorf("broken link on page %d not found: %+v", i, l)
		}
	}
	if res.NotCrawled != 0 {
		t.Errorf("not crawled %d, want 0", res.NotCrawled)
	}

	cfg.MaxPages = 3
	res, err = New(cfg).Run(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !res.BudgetReached || res.NotCrawled != 3 || res.Pages != 3 {
		t.Fatalf("budget 3: reached %v, not crawled %d, pages %d; want true, 3, 3", res.BudgetReached, res.NotCrawled, res.Pages)
	}
}
