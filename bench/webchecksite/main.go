// Command webchecksite serves a generated government website for the
// website inspection benchmark, knows its ground truth (every planted broken
// link, stale and empty column), measures a plain fetch baseline and
// compares an inspection result against the truth.
//
//	webchecksite serve -pages 10000 -out DIR     # writes DIR/addr.txt, urls.txt, truth.json; serves until killed
//	webchecksite baseline -urls DIR/urls.txt     # fetch every page with net/http, discard, print pages/s
//	webchecksite compare -truth DIR/truth.json -result result.json -baseline DIR/baseline.json
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: webchecksite serve|baseline|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "baseline":
		err = baseline(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "webchecksite:", err)
		os.Exit(1)
	}
}

// Truth is what the generator planted.
type Truth struct {
	Pages   int                 `json:"pages"`  // HTML pages reachable (home + columns + articles)
	Links   int                 `json:"links"`  // link occurrences on those pages
	Broken  map[string][]string `json:"broken"` // broken URL -> pages linking to it
	Stale   []string            `json:"stale"`  // stale column URLs
	Empty   []string            `json:"empty"`  // empty column URLs
	Columns []string            `json:"columns"`
}

type column struct {
	title string
	kind  string // news notice policy interaction other
	state string // ok stale empty
}

var columns = []column{
	{"工作动态", "news", "ok"}, {"政务要闻", "news", "stale"}, {"部门动态", "news", "ok"}, {"基层动态", "news", "stale"},
	{"图片新闻", "news", "ok"}, {"新闻发布", "news", "empty"}, {"县区动态", "news", "ok"},
	{"通知公告", "notice", "ok"}, {"公示公告", "notice", "stale"}, {"招标公告", "notice", "ok"},
	{"政策文件", "policy", "ok"}, {"规范性文件", "policy", "stale"}, {"政策解读", "policy", "ok"}, {"政府文件", "policy", "empty"},
	{"领导信箱", "interaction", "ok"}, {"在线咨询", "interaction", "ok"},
	{"人事信息", "other", "ok"}, {"规划计划", "other", "stale"}, {"统计信息", "other", "ok"}, {"财政资金", "other", "empty"},
}

var nonColumns = []string{"首页", "机构职能", "领导简介", "走进本市", "网站地图", "English"}

// ageDays returns an item age for a column in a state.
func ageDays(rng *rand.Rand, kind, state string) int {
	limit := map[string]int{"news": 14, "notice": 183, "policy": 183, "interaction": 92, "other": 365}[kind]
	if state == "stale" {
		return limit + 6 + rng.IntN(limit)
	}
	return rng.IntN(limit - 4)
}

func dateText(rng *rand.Rand, d time.Time, age int) string {
	switch n := rng.IntN(4); {
	case n == 0 && age < 300:
		return "[" + d.Format("01-02") + "]"
	case n == 1:
		return d.Format("2006/1/2")
	case n == 2:
		return d.Format("2006年1月2日")
	default:
		return d.Format("2006-01-02")
	}
}

type site struct {
	pages map[string][]byte // path -> body
	ctype map[string]string
	truth Truth
}

func generate(n, extra int, base, ext string) *site {
	rng := rand.New(rand.NewPCG(2013, 41))
	s := &site{pages: map[string][]byte{}, ctype: map[string]string{}, truth: Truth{Broken: map[string][]string{}}}
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	var nav strings.Builder
	nav.WriteString(`<div class="nav"><ul>`)
	for i, c := range columns {
		fmt.Fprintf(&nav, `<li><a href="/col/%d/">%s</a></li>`, i, c.title)
	}
	for i, t := range nonColumns {
		fmt.Fprintf(&nav, `<li><a href="/about/%d.html">%s</a></li>`, i, t)
	}
	nav.WriteString(`</ul></div>`)
	navLinks := len(columns) + len(nonColumns)
	footer := `<div class="footer">主办：某某市人民政府办公室 政府网站标识码：4101000001 豫ICP备05001234号-1 豫公网安备 41010502000123号</div>`
	broken := func(u, on string) { s.truth.Broken[u] = append(s.truth.Broken[u], base+on) }
	put := func(path, title, body string, enc int) {
		html := `<!DOCTYPE html><html><head>`
		if enc == 1 {
			html += `<meta http-equiv="Content-Type" content="text/html; charset=gb2312">`
		}
		html += `<title>` + title + `</title></head><body>` + nav.String() + body + footer + `</body></html>`
		if enc == 0 {
			s.pages[path] = []byte(html)
			s.ctype[path] = "text/html; charset=utf-8"
			return
		}
		b, err := simplifiedchinese.GBK.NewEncoder().String(html)
		if err != nil {
			panic(err)
		}
		s.pages[path] = []byte(b)
		s.ctype[path] = "text/html" // no charset: GBK found by meta or by sniffing
	}
	article := func() int { return rng.IntN(n) }

	// Homepage.
	var home strings.Builder
	home.WriteString(`<div class="box"><h3>通知公告</h3><a href="/col/7/">更多&gt;&gt;</a><ul>`)
	for i := range 8 {
		d := now.AddDate(0, 0, -i)
		fmt.Fprintf(&home, `<li><a href="/a/%d.html">关于做好第%d批重点项目申报工作的通知</a><span>%s</span></li>`, i, i+1, d.Format("2006-01-02"))
	}
	home.WriteString(`</ul></div><ul class="links">`)
	for i := 8; i < 40; i++ {
		fmt.Fprintf(&home, `<li><a href="/a/%d.html">市政府召开第%d次常务会议研究部署重点工作</a></li>`, i, i)
	}
	home.WriteString(`<li><a href="/gone/1.html">网上办事大厅（旧版）</a></li><li><a href="/gone/2.html">政民互动平台（旧版）</a></li>`)
	home.WriteString(`<li><a href="/private/admin.html">后台</a></li><li><a href="/r/0">跳转</a></li></ul>`)
	broken(base+"/gone/1.html", "/")
	broken(base+"/gone/2.html", "/")
	put("/", "某某市人民政府", home.String(), 0)
	s.truth.Links += navLinks + 1 + 8 + 32 + 4 // nav, 更多, notices, links, specials
	s.truth.Pages++

	// Columns.
	for i, c := range columns {
		path := fmt.Sprintf("/col/%d/", i)
		s.truth.Columns = append(s.truth.Columns, base+path)
		var b strings.Builder
		b.WriteString(`<h2>` + c.title + `</h2><ul class="list">`)
		items := 20
		switch c.state {
		case "empty":
			items = 0
			b.WriteString(`<li>暂无信息</li>`)
			s.truth.Empty = append(s.truth.Empty, base+path)
		case "stale":
			s.truth.Stale = append(s.truth.Stale, base+path)
		}
		age := ageDays(rng, c.kind, c.state)
		for j := range items {
			a := age + j*(1+j%3)
			d := now.AddDate(0, 0, -a)
			fmt.Fprintf(&b, `<li><a href="/a/%d.html">关于%s第%d期工作情况的报告</a>%s</li>`, article(), c.title, j+1, dateText(rng, d, a))
		}
		b.WriteString(`</ul>`)
		put(path, c.title, b.String(), i%3)
		s.truth.Links += navLinks + items
		s.truth.Pages++
	}
	for i := range nonColumns {
		put(fmt.Sprintf("/about/%d.html", i), nonColumns[i], `<p>简介</p>`, 0)
		s.truth.Links += navLinks
		s.truth.Pages++
	}

	// Articles.
	missing := 0
	for i := range n {
		path := fmt.Sprintf("/a/%d.html", i)
		var b strings.Builder
		d := now.AddDate(0, 0, -rng.IntN(700))
		fmt.Fprintf(&b, `<h1>第%d号文章</h1><div class="info">发布时间：%s</div><div class="content"><p>`, i, d.Format("2006-01-02"))
		b.WriteString(strings.Repeat("为深入贯彻落实省委省政府关于加快推进信息化建设的决策部署，进一步提升政府网站建设管理水平。", 4))
		b.WriteString(`</p></div><ul class="related">`)
		links := 0
		for _, t := range []int{(i + 1) % n, (2*i + 1) % n, (2*i + 2) % n} {
			fmt.Fprintf(&b, `<li><a href="/a/%d.html">关于印发第%d号实施方案的通知</a></li>`, t, t)
			links++
		}
		for range extra {
			fmt.Fprintf(&b, `<li><a href="/a/%d.html">相关报道：持续推进重点工作落实见效</a></li>`, article())
			links++
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, `<li><a href="/r/%d">旧地址</a></li>`, article())
			links++
		}
		if i%7 == 0 {
			j := rng.IntN(500)
			u := fmt.Sprintf("%s/e/%d", ext, j)
			fmt.Fprintf(&b, `<li><a href="%s">友情链接</a></li>`, u)
			links++
			if j%50 == 0 {
				broken(u, path)
			}
		}
		if i%33 == 5 {
			u := fmt.Sprintf("/missing/%d.html", missing)
			missing++
			fmt.Fprintf(&b, `<li><a href="%s">已删除的文件</a></li>`, u)
			broken(base+u, path)
			links++
		}
		if i == n/2 {
			b.WriteString(`<li><a href="/loop/a">循环跳转</a></li>`)
			broken(base+"/loop/a", path)
			links++
		}
		b.WriteString(`</ul>`)
		fmt.Fprintf(&b, `<img src="/img/%d.png" alt="图片">`, i%100)
		links++
		enc := 0
		switch i % 5 {
		case 0:
			enc = 1
		case 1:
			enc = 2
		}
		put(path, fmt.Sprintf("第%d号文章", i), b.String(), enc)
		s.truth.Links += navLinks + links
		s.truth.Pages++
	}
	// A link to /r/ on the homepage: count it as the page it leads to.
	for u := range s.truth.Broken {
		slices.Sort(s.truth.Broken[u])
		s.truth.Broken[u] = slices.Compact(s.truth.Broken[u])
	}
	return s
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/robots.txt":
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
		return
	case strings.HasPrefix(p, "/r/"):
		http.Redirect(w, r, "/a/"+strings.TrimPrefix(p, "/r/")+".html", http.StatusMovedPermanently)
		return
	case p == "/loop/a":
		http.Redirect(w, r, "/loop/b", http.StatusFound)
		return
	case p == "/loop/b":
		http.Redirect(w, r, "/loop/a", http.StatusFound)
		return
	case strings.HasPrefix(p, "/img/"):
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n"))
		return
	}
	body, ok := s.pages[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", s.ctype[p])
	w.Write(body)
}

func serve(args []string) error {
	fs := newFlags("serve")
	pages := fs.Int("pages", 10000, "articles to generate")
	extra := fs.Int("extra", 10, "random related-article links per article")
	out := fs.String("out", ".", "directory for addr.txt, urls.txt, truth.json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	eln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base, ext := "http://"+ln.Addr().String(), "http://"+eln.Addr().String()
	s := generate(*pages, *extra, base, ext)
	go http.Serve(eln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var j int
		if _, err := fmt.Sscanf(r.URL.Path, "/e/%d", &j); err != nil || j%50 == 0 {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "external ok")
	}))
	var urls strings.Builder
	paths := make([]string, 0, len(s.pages))
	for p := range s.pages {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		urls.WriteString(base + p + "\n")
	}
	tj, _ := json.MarshalIndent(s.truth, "", " ")
	for name, data := range map[string][]byte{"urls.txt": []byte(urls.String()), "truth.json": tj} {
		if err := os.WriteFile(filepath.Join(*out, name), data, 0o644); err != nil {
			return err
		}
	}
	// addr.txt last: its presence tells the script the server is ready.
	if err := os.WriteFile(filepath.Join(*out, "addr.txt"), []byte(base+"/\n"), 0o644); err != nil {
		return err
	}
	return http.Serve(ln, s)
}

// Baseline is a plain fetch of every page.
type Baseline struct {
	Pages       int     `json:"pages"`
	Seconds     float64 `json:"seconds"`
	PagesPerSec float64 `json:"pages_per_sec"`
	Workers     int     `json:"workers"`
}

func baseline(args []string) error {
	fs := newFlags("baseline")
	urlsFile := fs.String("urls", "urls.txt", "one URL per line")
	workers := fs.Int("workers", 32, "concurrent fetches")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*urlsFile)
	if err != nil {
		return err
	}
	urls := strings.Fields(string(b))
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *workers}, Timeout: 15 * time.Second}
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range *workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(urls) {
					return
				}
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, urls[i], nil)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	if failed.Load() > 0 {
		return fmt.Errorf("%d fetches failed", failed.Load())
	}
	return json.NewEncoder(os.Stdout).Encode(Baseline{Pages: len(urls), Seconds: el, PagesPerSec: float64(len(urls)) / el, Workers: *workers})
}

// inspection is the part of `zhihui inspect --json` output compared here.
type inspection struct {
	Started         time.Time `json:"started"`
	Finished        time.Time `json:"finished"`
	Pages           int       `json:"pages"`
	LinkOccurrences int64     `json:"link_occurrences"`
	BrokenLinks     []struct {
		URL     string   `json:"url"`
		FoundOn []string `json:"found_on"`
	} `json:"broken_links"`
	Columns []struct {
		URL    string `json:"url"`
		Status string `json:"status"`
	} `json:"columns"`
}

func compare(args []string) error {
	fs := newFlags("compare")
	truthFile := fs.String("truth", "truth.json", "ground truth from serve")
	resultFile := fs.String("result", "result.json", "zhihui inspect --json output")
	baseFile := fs.String("baseline", "", "baseline JSON")
	rssKB := fs.Int64("rss-kb", 0, "peak RSS of the inspection, in KiB")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var t Truth
	var r inspection
	for file, v := range map[string]any{*truthFile: &t, *resultFile: &r} {
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	ok := true
	fail := func(format string, a ...any) {
		ok = false
		fmt.Printf("MISMATCH: "+format+"\n", a...)
	}
	reported := map[string]bool{}
	for _, b := range r.BrokenLinks {
		reported[b.URL] = true
		truthOn, planted := t.Broken[b.URL]
		if !planted {
			fail("false positive broken link %s", b.URL)
			continue
		}
		for _, on := range b.FoundOn {
			if _, yes := slices.BinarySearch(truthOn, on); !yes {
				fail("%s reported on %s, which does not link to it", b.URL, on)
			}
		}
		if len(b.FoundOn) == 0 {
			fail("%s reported without the pages it was found on", b.URL)
		}
	}
	missed := 0
	for u := range t.Broken {
		if !reported[u] {
			missed++
			fail("planted broken link not found: %s", u)
		}
	}
	status := map[string]string{}
	for _, c := range r.Columns {
		status[c.URL] = c.Status
		if !slices.Contains(t.Columns, c.URL) {
			fail("false positive column %s", c.URL)
		}
	}
	check := func(want []string, st string) int {
		found := 0
		for _, u := range want {
			if status[u] == st {
				found++
			} else {
				fail("column %s is %q, want %q", u, status[u], st)
			}
		}
		for u, s := range status {
			if s == st && !slices.Contains(want, u) {
				fail("column %s wrongly reported %s", u, st)
			}
		}
		return found
	}
	staleFound := check(t.Stale, "stale")
	emptyFound := check(t.Empty, "empty")
	if r.Pages < t.Pages {
		fail("crawled %d pages, site has %d", r.Pages, t.Pages)
	}
	secs := r.Finished.Sub(r.Started).Seconds()
	pps := float64(r.Pages) / secs
	fmt.Printf("pages crawled:        %d (site: %d)\n", r.Pages, t.Pages)
	fmt.Printf("links found:          %d (site: %d)\n", r.LinkOccurrences, t.Links)
	fmt.Printf("broken links:         %d reported, %d planted, %d missed\n", len(r.BrokenLinks), len(t.Broken), missed)
	fmt.Printf("stale columns:        %d of %d found\n", staleFound, len(t.Stale))
	fmt.Printf("empty columns:        %d of %d found\n", emptyFound, len(t.Empty))
	fmt.Printf("inspection time:      %.2f s\n", secs)
	fmt.Printf("inspection pages/s:   %.0f\n", pps)
	if *rssKB > 0 {
		fmt.Printf("peak RSS:             %.1f MB\n", float64(*rssKB)/1024)
	}
	if *baseFile != "" {
		var b Baseline
		data, err := os.ReadFile(*baseFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(data, &b); err != nil {
			return err
		}
		fmt.Printf("baseline pages/s:     %.0f (plain net/http GET + discard, %d workers, %d pages in %.2f s)\n", b.PagesPerSec, b.Workers, b.Pages, b.Seconds)
		fmt.Printf("ratio inspect/plain:  %.2f\n", pps/b.PagesPerSec)
	}
	if !ok {
		return fmt.Errorf("inspection does not match the ground truth")
	}
	fmt.Println("ground truth:         all planted problems found, no false positives")
	return nil
}
