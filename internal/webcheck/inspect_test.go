package webcheck

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"zhihui/internal/i18n"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/extract"
	"zhihui/internal/webcheck/sitegen"
)

var now = time.Date(2024, 6, 20, 10, 0, 0, 0, extract.Shanghai)

func ago(days int) string { return now.AddDate(0, 0, -days).Format("2006-01-02") }

// govSite is a small government site with planted problems; the test
// knows exactly what an inspection must find.
func govSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			fmt.Fprint(w, `<html><head><title>测试市人民政府</title></head><body>`+body+`</body></html>`)
		}
	}
	nav := `<ul><li><a href="/gzdt/">工作动态</a></li><li><a href="/ywdt/">政务要闻</a></li><li><a href="/tzgg/">通知公告</a></li>
<li><a href="/zcwj/">政策文件</a></li><li><a href="/ldxx/">领导信箱</a></li><li><a href="/bmdt/">部门动态</a></li>
<li><a href="/bsfw/">办事服务</a></li></ul>`
	mux.HandleFunc("/{$}", page(nav+`
<div><h3>通知公告</h3><a href="/tzgg/">更多&gt;&gt;</a></div>
<ul><li><a href="/a/1.html">关于开展2024年安全生产检查的通知</a><span>`+ago(1)+`</span></li>
<li><a href="/a/2.html">市政府召开常务会议</a><span>`+ago(3)+`</span></li>
<li><a href="/broken-home.html">失效的首页链接</a></li></ul>
<div class="footer">政府网站标识码：4101000001 豫ICP备05001234号 豫公网安备 41010502000123号</div>`))
	mux.HandleFunc("/gzdt/", page(nav+`<ul><li><a href="/a/1.html">新闻一</a>[`+now.AddDate(0, 0, -2).Format("01-02")+`]</li></ul>`))
	mux.HandleFunc("/ywdt/", page(nav+`<ul><li><a href="/a/2.html">要闻一</a> `+ago(30)+`</li><li><a href="/a/3.html">要闻二</a> `+ago(40)+`</li></ul>`))
	mux.HandleFunc("/tzgg/", page(nav+`<ul><li><a href="/a/1.html">通知一</a> `+ago(200)+`</li></ul>`))
	mux.HandleFunc("/zcwj/", func(w http.ResponseWriter, r *http.Request) {
		// GBK without any charset label.
		body, _ := simplifiedchinese.GBK.NewEncoder().String(`<html><body>` + nav + `<ul><li><a href="/a/3.html">政策一</a>` +
			now.AddDate(0, 0, -10).Format("2006年1月2日") + `</li></ul><a href="/broken-other.html">坏链</a></body></html>`)
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, body)
	})
	mux.HandleFunc("/ldxx/", page(nav+`<p>暂无信息</p>`))
	mux.HandleFunc("/bmdt/", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/gzdt/", http.StatusFound) })
	mux.HandleFunc("/bsfw/", page(nav+`办事指南`))
	mux.HandleFunc("/a/", page(nav+`<p>正文 中华人民共合国 成立</p><a href="/broken-other.html">坏链</a>`))
	return httptest.NewServer(mux)
}

type noAAAA struct{}

func (noAAAA) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func inspectOpts() Options {
	return Options{AllowPrivate: true, PerHostRate: -1, PerHost: 4, Timeout: 2 * time.Second, Probes: 2, ProbeInterval: time.Millisecond, Now: now}
}

func TestInspectGovSite(t *testing.T) {
	t.Parallel()
	srv := govSite(t)
	defer srv.Close()
	res, err := Inspect(context.Background(), srv.URL, inspectOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages < 10 {
		t.Errorf("pages = %d", res.Pages)
	}
	broken := map[string]BrokenLink{}
	for _, b := range res.BrokenLinks {
		broken[strings.TrimPrefix(b.URL, srv.URL)] = b
	}
	if len(broken) != 2 || !broken["/broken-home.html"].OnHomepage || broken["/broken-other.html"].OnHomepage {
		t.Fatalf("broken links %+v", res.BrokenLinks)
	}
	if b := broken["/broken-other.html"]; b.FoundCount < 4 || len(b.FoundOn) == 0 || b.Status != 404 {
		t.Errorf("broken-other %+v", b)
	}
	status := map[string]Column{}
	for _, c := range res.Columns {
		status[strings.TrimPrefix(c.URL, srv.URL)] = c
	}
	// 办事服务 is no known column word: it is found from the navigation
	// (a short text leading to a list-shaped URL) and is blank.
	want := map[string]string{"/gzdt/": "ok", "/ywdt/": "stale", "/tzgg/": "stale", "/zcwj/": "ok", "/ldxx/": "empty", "/bmdt/": "ok", "/bsfw/": "empty"}
	for u, st := range want {
		if status[u].Status != st {
			t.Errorf("column %s = %+v, want %s", u, status[u], st)
		}
	}
	if len(status) != len(want) {
		t.Errorf("columns %+v", res.Columns)
	}
	if c := status["/ywdt/"]; c.Kind != extract.ColumnNews || c.AgeDays != 30 || c.LimitDays != 14 {
		t.Errorf("ywdt %+v", c)
	}
	if c := status["/tzgg/"]; c.Kind != extract.ColumnNotice || c.Title != "通知公告" {
		t.Errorf("tzgg %+v", c)
	}
	if res.Home.Marks.SiteCode != "4101000001" || res.Home.Marks.ICP == "" || res.Home.Marks.PSB == "" {
		t.Errorf("marks %+v", res.Home.Marks)
	}
	if res.Home.Latest.Format("2006-01-02") != ago(1) {
		t.Errorf("home latest %v", res.Home.Latest)
	}
	if len(res.SevereErrors) == 0 || !strings.Contains(res.SevereErrors[0].Snippet, "中华人民共合国") {
		t.Errorf("severe errors %+v", res.SevereErrors)
	}
	m := res.Metrics
	for name, v := range map[string]float64{
		"broken_links_home": 1, "broken_links_other": 1, "home_stale": 0, "stale_news": 1, "stale_notice": 1,
		"stale_key_columns": 2, "empty_columns": 2, "stale_interaction": 0, "no_https": 1, "missing_site_code": 0,
		"missing_service_entry": 0, "missing_interaction_entry": 0, "missing_security_headers": 3, "ipv6_no_aaaa": 1,
	} {
		if !m[name].Known || m[name].Value != v {
			t.Errorf("metric %s = %+v, want %g", name, m[name], v)
		}
	}
	if m["availability_failure_pct"].Known {
		t.Error("availability assessed with 2 probes")
	}
	if m["a11y_critical"].Known {
		t.Error("accessibility known without running it")
	}
	// Severe error vetoes the site; deductions: 1 + 0.1.
	if res.Verdict.Pass || len(res.Verdict.Vetoes) != 1 || res.Verdict.Vetoes[0].Rule != "severe_errors" {
		t.Errorf("verdict %+v", res.Verdict)
	}
	if res.Verdict.Deducted != 1.1 {
		t.Errorf("deducted %g", res.Verdict.Deducted)
	}
	for _, ind := range res.Score.Indicators {
		for _, l := range ind.Losses {
			if len(l.Evidence) == 0 || l.Points <= 0 {
				t.Errorf("loss without evidence: %s %+v", ind.ID, l)
			}
		}
	}
	var buf bytes.Buffer
	if err := WriteXLSX(&buf, res); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("失效链接 Broken links")
	if err != nil || len(rows) != 3 || !strings.HasSuffix(rows[1][0], "/broken-home.html") {
		t.Fatalf("broken sheet %v %v", rows, err)
	}
	rows, _ = x.GetRows("概要 Summary")
	found := false
	for _, r := range rows {
		if len(r) > 1 && strings.HasPrefix(r[0], "2015普查结论") && strings.HasPrefix(r[1], "不合格") {
			found = true
		}
	}
	if !found {
		t.Errorf("summary sheet lacks the verdict: %v", rows)
	}
}

func TestInspectRefusesLoopbackByDefault(t *testing.T) {
	t.Parallel()
	srv := govSite(t)
	defer srv.Close()
	o := inspectOpts()
	o.AllowPrivate = false
	res, err := Inspect(context.Background(), srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pages != 0 || res.Home.Err == "" || res.Metrics["home_unreachable"].Value != 1 {
		t.Fatalf("pages %d home %+v", res.Pages, res.Home)
	}
}

func TestInspectBadURL(t *testing.T) {
	t.Parallel()
	_, err := Inspect(context.Background(), "ftp://x.cn/", inspectOpts())
	var e *i18n.Error
	if err == nil || !errorsAs(err, &e) || e.Zh == "" || e.En == "" {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckTLS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	ok := checkTLS(context.Background(), host, port, true, pool, time.Now())
	if !ok.Available || !ok.Valid || ok.NotAfter.IsZero() || ok.DaysLeft <= 0 {
		t.Errorf("trusted: %+v", ok)
	}
	bad := checkTLS(context.Background(), host, port, true, nil, time.Now())
	if !bad.Available || bad.Valid || bad.Err == "" || bad.NotAfter.IsZero() {
		t.Errorf("untrusted: %+v", bad)
	}
	none := checkTLS(context.Background(), "127.0.0.1", "1", true, nil, time.Now())
	if none.Available {
		t.Errorf("closed port: %+v", none)
	}

	o := inspectOpts()
	o.RootCAs = pool
	res, err := Inspect(context.Background(), srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.TLS.Valid || res.TLS.HSTS == "" || res.Metrics["no_hsts"].Value != 0 || res.Metrics["tls_invalid"].Value != 0 {
		t.Errorf("inspect over TLS: %+v %+v", res.TLS, res.Metrics["no_hsts"])
	}
}

func TestMixedContent(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<img src="http://127.0.0.1:1/x.png"><script src="/ok.js"></script><a href="http://127.0.0.1:1/page">plain link is fine</a>`)
	}))
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	o := inspectOpts()
	o.RootCAs = pool
	res, err := Inspect(context.Background(), srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.MixedContent) != 1 || res.MixedContent[0].URL != "http://127.0.0.1:1/x.png" {
		t.Fatalf("mixed content %+v", res.MixedContent)
	}
}

type fakeResolver map[string][]netip.Addr

func (f fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestCheckIPv6(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if got := checkIPv6(ctx, fakeResolver{}, "gov.example", "80", true); got.Status != IPv6NoAAAA {
		t.Errorf("no AAAA: %+v", got)
	}
	if got := checkIPv6(ctx, fakeResolver{}, "10.0.0.1", "80", true); got.Status != IPv6NoAAAA {
		t.Errorf("v4 literal: %+v", got)
	}
	// A documentation-range address: with no route it is "unknown", with a
	// route it cannot be reached; never "ok".
	doc := fakeResolver{"gov.example": {netip.MustParseAddr("2001:db8::1")}}
	if got := checkIPv6(ctx, doc, "gov.example", "80", true); got.Status == IPv6OK || got.Status == IPv6NoAAAA {
		t.Errorf("doc address: %+v", got)
	}
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skip("skipped: no IPv6 loopback on this machine: " + err.Error())
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	lo := fakeResolver{"gov.example": {netip.MustParseAddr("::1")}}
	if got := checkIPv6(ctx, lo, "gov.example", port, true); got.Status != IPv6OK {
		t.Errorf("::1 allowed: %+v", got)
	}
	if got := checkIPv6(ctx, lo, "gov.example", port, false); got.Status != IPv6Unreachable || !strings.Contains(got.Reason.En, "non-public") {
		t.Errorf("::1 guarded: %+v", got)
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	srv := govSite(t)
	defer srv.Close()
	res, err := Inspect(context.Background(), srv.URL, inspectOpts())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"/broken-home.html", "[首页 homepage]", "见于 found on " + srv.URL, "不合格", "政务要闻", "stale", "4101000001"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// TestStructuralColumns: columns named by no known word are found from the
// site's structure — navigation links to list pages, sections with a
// "more" link — and reported with their status; blank ones count for the
// 空白栏目 veto, introductions and other non-list pages are not columns.
func TestStructuralColumns(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<html><head><title>测试县人民政府</title></head><body>`+body+`<div class="footer">主办：测试县人民政府办公室</div></body></html>`)
		}
	}
	nav := `<ul class="nav"><li><a href="/">首页</a></li><li><a href="/ztzl/">专题专栏</a></li><li><a href="/ldzc/index.html">领导之窗</a></li>
<li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/list.jhtml">互动交流</a></li><li><a href="/about/jgzn.html">机构职能</a></li><li><a href="/sitemap/">网站地图</a></li></ul>`
	mux.HandleFunc("/{$}", page(nav+`<div><h3>乡村振兴</h3><a href="/xczx/">更多&gt;&gt;</a></div>
<ul><li><a href="/art/1.html">县政府召开常务会议</a><span>`+ago(1)+`</span></li></ul>`))
	mux.HandleFunc("/ztzl/", page(nav))                                                                             // blank
	mux.HandleFunc("/ldzc/index.html", page(nav+`<h2>县长</h2><p>`+strings.Repeat("负责县政府全面工作，主持县政府常务会议。", 4)+`</p>`)) // content, no dates
	mux.HandleFunc("/zwgk/", page(nav+`<ul><li><a href="/art/2.html">公开一</a> `+ago(20)+`</li></ul>`))               // dated
	mux.HandleFunc("/hdjl/list.jhtml", page(nav+`<p>栏目建设中</p>`))                                                    // says it is empty
	mux.HandleFunc("/xczx/", page(nav+`<ul><li><a href="/art/3.html">振兴一</a> `+ago(400)+`</li></ul>`))              // stale (other: 365 days)
	mux.HandleFunc("/about/jgzn.html", page(nav+`<p>机构职能介绍</p>`))
	mux.HandleFunc("/sitemap/", page(nav))
	mux.HandleFunc("/art/", page(nav+`<p>正文</p>`))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	res, err := Inspect(context.Background(), srv.URL, inspectOpts())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Column{}
	for _, c := range res.Columns {
		got[strings.TrimPrefix(c.URL, srv.URL)] = c
	}
	want := map[string]string{"/ztzl/": "empty", "/ldzc/index.html": "undated", "/zwgk/": "ok", "/hdjl/list.jhtml": "empty", "/xczx/": "stale"}
	for u, st := range want {
		c, ok := got[u]
		if !ok || c.Status != st || !c.Structural {
			t.Errorf("column %s = %+v, want %s (structural)", u, c, st)
		}
	}
	if len(got) != len(want) {
		t.Errorf("found %d columns, want %d: %+v", len(got), len(want), res.Columns)
	}
	if c := got["/xczx/"]; c.Title != "乡村振兴" {
		t.Errorf("a more link's column is named by its heading: %+v", c)
	}
	if m := res.Metrics["empty_columns"]; !m.Known || m.Value != 2 {
		t.Errorf("empty_columns = %+v, want 2 (专题专栏, 互动交流)", m)
	}
}

// TestInspectBudgetReported: when the page budget keeps known pages from
// being crawled, the result, the text report and the PDF say so.
func TestInspectBudgetReported(t *testing.T) {
	t.Parallel()
	srv := govSite(t)
	defer srv.Close()
	o := inspectOpts()
	o.MaxPages = 3
	res, err := Inspect(context.Background(), srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.BudgetReached || res.PageBudget != 3 || res.PagesNotCrawled < 1 {
		t.Fatalf("budget: reached %v, budget %d, not crawled %d", res.BudgetReached, res.PageBudget, res.PagesNotCrawled)
	}
	var b strings.Builder
	WriteText(&b, res)
	if !strings.Contains(b.String(), "已达到页面上限 3") || !strings.Contains(b.String(), "page budget of 3 reached") {
		t.Fatalf("text report does not say the budget was reached:\n%s", b.String())
	}
	var xb bytes.Buffer
	if err := WriteXLSX(&xb, res); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("概要 Summary")
	budgetRow := false
	for _, row := range rows {
		budgetRow = budgetRow || (len(row) == 2 && strings.Contains(row[1], fmt.Sprintf("已达到页面上限 3：另有 %d 个已知页面未抓取", res.PagesNotCrawled)))
	}
	if !budgetRow {
		t.Fatalf("workbook summary does not say the budget was reached: %v", rows)
	}
	js, _ := json.Marshal(res)
	if !strings.Contains(string(js), `"budget_reached":true`) {
		t.Fatal("JSON lacks budget_reached")
	}
	full, err := Inspect(context.Background(), srv.URL, inspectOpts())
	if err != nil {
		t.Fatal(err)
	}
	if full.BudgetReached || full.PagesNotCrawled != 0 {
		t.Fatalf("default budget: reached %v, not crawled %d", full.BudgetReached, full.PagesNotCrawled)
	}
}

// TestInspectProgress: progress is reported while crawling and once at the
// end with every known URL done; the lines for the terminal and the
// summary say pages, links and broken links.
func TestInspectProgress(t *testing.T) {
	t.Parallel()
	srv := govSite(t)
	defer srv.Close()
	var mu sync.Mutex
	var seen []crawl.Progress
	o := inspectOpts()
	o.ProgressEvery = time.Millisecond
	o.Progress = func(p crawl.Progress) { mu.Lock(); seen = append(seen, p); mu.Unlock() }
	res, err := Inspect(context.Background(), srv.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("no progress reported")
	}
	last := seen[len(seen)-1]
	if last.Pages != res.Pages || last.Checked != last.Links || last.Links != res.UniqueLinks || last.Broken < len(res.BrokenLinks) {
		t.Fatalf("final progress %+v, result pages %d links %d broken %d", last, res.Pages, res.UniqueLinks, len(res.BrokenLinks))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i].Checked < seen[i-1].Checked {
			t.Fatalf("progress went back: %+v then %+v", seen[i-1], seen[i])
		}
	}
	if l := ProgressLine(last); !strings.Contains(l, fmt.Sprintf("页面 pages %d/", res.Pages)) || !strings.Contains(l, "失效 broken") {
		t.Fatalf("progress line %q", l)
	}
	if s := SummaryLine(res); !strings.Contains(s, fmt.Sprintf("%d 页面 pages", res.Pages)) || !strings.Contains(s, fmt.Sprintf("%d 失效 broken", len(res.BrokenLinks))) {
		t.Fatalf("summary %q", s)
	}
}

// TestBlankColumnsVeto: on a generated site whose navigation also leads to
// five blank columns named by no column word (专题专栏, 领导之窗, 政务公开,
// 办事服务, 互动交流), every one is found from the site's structure and
// reported empty, and with the site's other empty columns they reach the
// 空白栏目 veto of the 2015 census.
func TestBlankColumnsVeto(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	site := sitegen.Generate(sitegen.Options{Articles: 60, Base: base, Now: now, Blank: true})
	srv.Config.Handler = site
	srv.Start()
	defer srv.Close()
	res, err := Inspect(context.Background(), srv.URL, inspectOpts())
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, res, site.Truth)
	got := map[string]Column{}
	for _, c := range res.Columns {
		got[c.Title] = c
	}
	for _, title := range sitegen.BlankColumns {
		c, ok := got[title]
		if !ok || c.Status != "empty" || !c.Structural {
			t.Errorf("column %s = %+v, want empty (found by structure)", title, c)
		}
	}
	if len(res.Columns) != len(site.Truth.Columns) {
		t.Errorf("%d columns reported, the site has %d: %+v", len(res.Columns), len(site.Truth.Columns), res.Columns)
	}
	if m := res.Metrics["empty_columns"]; !m.Known || m.Value != float64(len(site.Truth.Empty)) {
		t.Errorf("empty_columns %+v, the site has %d", m, len(site.Truth.Empty))
	}
	vetoed := false
	for _, v := range res.Verdict.Vetoes {
		vetoed = vetoed || v.Rule == "empty_columns"
	}
	if !vetoed || res.Verdict.Pass {
		t.Errorf("the 空白栏目 veto did not fire: %+v", res.Verdict)
	}
}
