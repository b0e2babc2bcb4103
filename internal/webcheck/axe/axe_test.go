package axe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestParseResult(t *testing.T) {
	t.Parallel()
	r, err := ParseResult([]byte(`{"url":"http://a.cn/","passes":30,"incomplete":2,"violations":[
{"id":"image-alt","impact":"critical","help":"Images must have alternate text","helpUrl":"https://dequeuniversity.com/rules/axe/4.10/image-alt","nodes":[{"target":["img"],"html":"<img src=x>"}]},
{"id":"html-has-lang","impact":"serious","help":"<html> element must have a lang attribute","helpUrl":"","nodes":[{"target":["html"],"html":"<html>"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := r.Counts()
	if r.Passes != 30 || len(r.Violations) != 2 || c["critical"] != 1 || c["serious"] != 1 || r.Violations[0].Nodes[0].Target[0] != "img" {
		t.Fatalf("parsed %+v", r)
	}
	if _, err := ParseResult([]byte("not json")); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

func TestRunRefusesWithoutBrowserOrScript(t *testing.T) {
	t.Parallel()
	if _, err := Run(context.Background(), nil, nil, Options{}); err == nil {
		t.Fatal("empty script accepted")
	}
	_, err := Run(context.Background(), []byte("1"), nil, Options{ChromePath: filepath.Join(t.TempDir(), "none")})
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("err = %v, want ErrNoBrowser", err)
	}
}

// needBrowser skips the test with -short (make test-short runs no
// browser) and when Chromium is missing, unless ZHIHUI_REQUIRE_BROWSER is
// set (then a missing browser fails).
func needBrowser(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short (make test-short)")
	}
	if _, err := os.Stat(DefaultChromePath); err != nil {
		if os.Getenv("ZHIHUI_REQUIRE_BROWSER") != "" {
			t.Fatalf("ZHIHUI_REQUIRE_BROWSER is set but there is no Chromium at %s", DefaultChromePath)
		}
		t.Skip("skipped: no Chromium at " + DefaultChromePath)
	}
}

// vendored reads a file of the vendored axe-core (the web package's
// static/vendor directory), or $ZHIHUI_AXE_SCRIPT for the script.
func vendored(t *testing.T, name string) []byte {
	t.Helper()
	p := "../../web/static/vendor/" + name
	if v := os.Getenv("ZHIHUI_AXE_SCRIPT"); v != "" && name == "axe.min.js" {
		p = v
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("vendored axe-core: %v", err)
	}
	return b
}

// TestRunInChromium runs the real axe-core, with its Chinese locale, on a
// page with known violations.
func TestRunInChromium(t *testing.T) {
	needBrowser(t)
	script := vendored(t, "axe.min.js")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html><head><title>测试</title></head><body><main><h1>标题</h1><img src="/x.png"></main></body></html>`)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), script, []string{srv.URL + "/"}, Options{Locale: vendored(t, "axe.zh_CN.json"), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != "" {
		t.Fatalf("result %+v", res)
	}
	help := map[string]string{}
	for _, v := range res[0].Violations {
		help[v.ID] = v.Help
	}
	if help["image-alt"] != "图像必须有替代文本" || help["html-has-lang"] == "" {
		t.Fatalf("violations %v; want image-alt (in Chinese) and html-has-lang", help)
	}
	if res[0].Passes == 0 {
		t.Fatal("no rule passed")
	}
	if _, err := Run(context.Background(), script, nil, Options{Locale: []byte("{not json")}); err == nil {
		t.Fatal("broken locale accepted")
	}
}

// TestRunnerWithStubEngine checks the browser plumbing (start, navigate,
// inject, await, decode) with a stand-in for axe-core that reports one
// violation per image without alt text.
func TestRunnerWithStubEngine(t *testing.T) {
	needBrowser(t)
	stub := []byte(`window.axe = {run: (doc, opts) => Promise.resolve({passes: [1, 2], incomplete: [],
  violations: Array.from(doc.querySelectorAll("img:not([alt])")).map((n, i) => ({id: "image-alt", impact: "critical",
    help: "tags " + opts.runOnly.values.join(","), helpUrl: "", nodes: [{target: ["img:nth-of-type(" + (i + 1) + ")"], html: n.outerHTML}]}))})};`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="zh-CN"><head><title>测试</title></head><body><img src="/a.png"><img src="/b.png" alt="b"><img src="/c.png"></body></html>`)
	}))
	defer srv.Close()
	res, err := Run(context.Background(), stub, []string{srv.URL + "/", "http://127.0.0.1:1/"}, Options{Tags: []string{"wcag2a"}, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("got %d results", len(res))
	}
	r := res[0]
	if r.Err != "" || r.Passes != 2 || len(r.Violations) != 2 || r.Violations[0].Help != "tags wcag2a" || r.Violations[1].Nodes[0].HTML != `<img src="/c.png">` {
		t.Fatalf("result %+v", r)
	}
	if res[1].Err == "" {
		t.Fatalf("unreachable page gave no error: %+v", res[1])
	}
}

// TestBrowserNetworkGuard: with only the inspected site's address allowed,
// the browser reaches nothing else — not a redirect to an internal server,
// not its images, frames or scripts — the page's own scripts do not run,
// and a page that ends on another address gives no result from it.
func TestBrowserNetworkGuard(t *testing.T) {
	needBrowser(t)
	var internalHits atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="en"><head><title>secret</title></head><body><img src="/internal-secret.png">internal-secret</body></html>`)
	}))
	defer internal.Close()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, internal.URL+"/internal-secret", http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="zh-CN"><head><title>站点</title><script>document.title = "ran"; fetch(%q);</script>
<script src="%s/x.js"></script><link rel="stylesheet" href="%s/x.css"></head>
<body><img src="%s/a.png"><iframe title="f" src="%s/"></iframe></body></html>`, internal.URL+"/fetch", internal.URL, internal.URL, internal.URL, internal.URL)
	}))
	defer site.Close()
	su, _ := url.Parse(site.URL)
	siteAddr := netip.MustParseAddrPort(su.Host)
	// The stand-in engine reports the page's title and body as a node, so
	// whatever the page held would show in the result.
	stub := []byte(`window.axe = {run: () => Promise.resolve({passes: [], incomplete: [],
  violations: [{id: "probe", impact: "minor", help: document.title, helpUrl: "", nodes: [{target: ["body"], html: document.documentElement.outerHTML}]}]})};`)
	res, err := Run(context.Background(), stub, []string{site.URL + "/", site.URL + "/moved"},
		Options{Allow: func(ap netip.AddrPort) bool { return ap == siteAddr }})
	if err != nil {
		t.Fatal(err)
	}
	if n := internalHits.Load(); n != 0 {
		t.Fatalf("the internal server was reached %d times", n)
	}
	if len(res) != 2 {
		t.Fatalf("%d results", len(res))
	}
	home := res[0]
	if home.Err != "" || len(home.Violations) != 1 {
		t.Fatalf("home: %+v", home)
	}
	if home.Violations[0].Help != "站点" {
		t.Fatalf("the page's own script ran (title %q)", home.Violations[0].Help)
	}
	iu, _ := url.Parse(internal.URL)
	if !strings.Contains(strings.Join(home.Blocked, " "), iu.Host) {
		t.Fatalf("blocked %v, want %s", home.Blocked, iu.Host)
	}
	moved := res[1]
	if moved.Err == "" || len(moved.Violations) != 0 {
		t.Fatalf("a page that ended elsewhere gave a result: %+v", moved)
	}
	for _, r := range res {
		for _, v := range r.Violations {
			for _, n := range v.Nodes {
				if strings.Contains(n.HTML, "internal-secret") {
					t.Fatalf("internal content in the result: %s", n.HTML)
				}
			}
		}
	}

	// The default rule (no Allow, no AllowPrivate) refuses loopback.
	res, err = Run(context.Background(), stub, []string{site.URL + "/"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err == "" {
		t.Fatalf("a loopback page was checked without AllowPrivate: %+v", res[0])
	}
}

func TestSameAddress(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, f string
		want bool
	}{
		{"http://a.gov.cn/", "http://a.gov.cn/index.html", true},
		{"http://a.gov.cn/", "https://a.gov.cn/", true},
		{"http://A.gov.cn:80/", "http://a.gov.cn/x", true},
		{"http://a.gov.cn/", "http://b.gov.cn/", false},
		{"http://a.gov.cn/", "http://a.gov.cn:8080/", false},
		{"https://a.gov.cn/", "http://a.gov.cn/", false},
		{"http://a.gov.cn/", "chrome-error://chromewebdata/", false},
	} {
		if got := sameAddress(c.a, c.f); got != c.want {
			t.Errorf("sameAddress(%q, %q) = %v", c.a, c.f, got)
		}
	}
}

// TestPageHandlersDoNotRun: the page's inline event handlers stay dead
// while axe-core runs, even for events that fire after loading (a CSS
// animation ending after the page has loaded).
func TestPageHandlersDoNotRun(t *testing.T) {
	needBrowser(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><html lang="zh-CN"><head><title>站点</title><style>@keyframes k {from {opacity: 0} to {opacity: 1}} .a {animation: k 0.5s}</style></head>
<body><div class="a" onanimationend="document.title = 'ran: animation'">动画</div>
<a href="#" onfocus="document.title = 'ran: focus'" autofocus>链接</a></body></html>`)
	}))
	defer srv.Close()
	// The stand-in engine waits past the end of the animation,
	// then reports the title.
	stub := []byte(`window.axe = {run: () => new Promise(ok => setTimeout(() => ok({passes: [], incomplete: [],
  violations: [{id: "probe", impact: "minor", help: document.title, helpUrl: "", nodes: []}]}), 1500))};`)
	res, err := Run(context.Background(), stub, []string{srv.URL + "/"}, Options{AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Err != "" || len(res[0].Violations) != 1 {
		t.Fatalf("result %+v", res)
	}
	if h := res[0].Violations[0].Help; h != "站点" {
		t.Fatalf("a page handler ran: title %q", h)
	}
}
