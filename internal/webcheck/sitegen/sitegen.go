// Package sitegen generates a government website with planted problems
// and knows its ground truth: every broken link with the pages it is found
// on, every stale and empty column. Tests, the benchmark and the demo data
// inspect it on 127.0.0.1 instead of a real site.
//
// The site has a homepage with a dated notice list, twenty columns of five
// kinds (news, notice, policy, interaction, other), about pages and n
// articles linking to one another; articles use UTF-8, labelled GB2312 and
// unlabelled GBK; there are permanent redirects, a redirect loop, a
// robots.txt exclusion and links to an external host where every 50th
// target is missing.
package sitegen

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Truth is what the generator planted.
type Truth struct {
	Pages   int                 `json:"pages"`  // HTML pages reachable (home + columns + articles)
	Links   int                 `json:"links"`  // link occurrences on those pages
	Broken  map[string][]string `json:"broken"` // broken URL -> pages linking to it
	Stale   []string            `json:"stale"`  // stale column URLs
	Empty   []string            `json:"empty"`  // empty column URLs
	Columns []string            `json:"columns"`
	// SiteCode is false when the footer lacks the government site code.
	SiteCode bool `json:"site_code"`
}

// Options describe the site to generate.
type Options struct {
	Articles int    // article pages; default 1000
	Extra    int    // random related-article links per article (default 0)
	Base     string // scheme://host:port of the site, no trailing slash
	Ext      string // scheme://host:port of the external host
	// Seed varies the site: 0 gives the reference site (fixed column
	// states, site code present); other seeds draw column states and the
	// site code at random, so that several generated sites score
	// differently.
	Seed uint64
	Name string // site owner shown in titles; default 某某市人民政府
	Now  time.Time
	// Blank adds the columns of [BlankColumns] to the navigation: list
	// pages named by no column word, holding nothing but their heading
	// and what every page repeats, and not saying that they are empty.
	// Only the site's structure shows them as columns.
	Blank bool
}

// BlankColumns are the titles of the columns added by Options.Blank.
var BlankColumns = []string{"专题专栏", "领导之窗", "政务公开", "办事服务", "互动交流"}

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

// Site is a generated site; it serves itself as an http.Handler.
type Site struct {
	Truth Truth
	pages map[string][]byte // path -> body
	ctype map[string]string
}

// Paths lists every generated page path, sorted.
func (s *Site) Paths() []string {
	out := make([]string, 0, len(s.pages))
	for p := range s.pages {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Generate builds a site.
func Generate(o Options) *Site {
	n, extra, base, ext := o.Articles, o.Extra, o.Base, o.Ext
	if n <= 0 {
		n = 1000
	}
	if o.Name == "" {
		o.Name = "某某市人民政府"
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.In(time.FixedZone("CST", 8*3600))
	seed := o.Seed
	if seed == 0 {
		seed = 41
	}
	rng := rand.New(rand.NewPCG(2013, seed))
	cols := slices.Clone(columns)
	siteCode := true
	if o.Seed != 0 {
		// Mostly healthy sites with a few problems each.
		for i := range cols {
			switch r := rng.IntN(100); {
			case r < 12:
				cols[i].state = "stale"
			case r < 17:
				cols[i].state = "empty"
			default:
				cols[i].state = "ok"
			}
		}
		siteCode = rng.IntN(5) != 0
	}
	s := &Site{pages: map[string][]byte{}, ctype: map[string]string{}, Truth: Truth{Broken: map[string][]string{}, SiteCode: siteCode}}
	var nav strings.Builder
	nav.WriteString(`<div class="nav"><ul>`)
	for i, c := range cols {
		fmt.Fprintf(&nav, `<li><a href="/col/%d/">%s</a></li>`, i, c.title)
	}
	var blank []string
	if o.Blank {
		blank = BlankColumns
	}
	for i, t := range blank {
		fmt.Fprintf(&nav, `<li><a href="/zl/%d/">%s</a></li>`, i, t)
	}
	for i, t := range nonColumns {
		fmt.Fprintf(&nav, `<li><a href="/about/%d.html">%s</a></li>`, i, t)
	}
	nav.WriteString(`</ul></div>`)
	navLinks := len(cols) + len(blank) + len(nonColumns)
	footer := `<div class="footer">主办：` + o.Name + `办公室 政府网站标识码：4101000001 豫ICP备05001234号-1 豫公网安备 41010502000123号</div>`
	if !siteCode {
		footer = `<div class="footer">主办：` + o.Name + `办公室 豫ICP备05001234号-1 豫公网安备 41010502000123号</div>`
	}
	broken := func(u, on string) { s.Truth.Broken[u] = append(s.Truth.Broken[u], base+on) }
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
		fmt.Fprintf(&home, `<li><a href="/a/%d.html">关于做好第%d批重点项目申报工作的通知</a><span>%s</span></li>`, i%n, i+1, d.Format("2006-01-02"))
	}
	home.WriteString(`</ul></div><ul class="links">`)
	for i := 8; i < 40; i++ {
		fmt.Fprintf(&home, `<li><a href="/a/%d.html">市政府召开第%d次常务会议研究部署重点工作</a></li>`, i%n, i)
	}
	home.WriteString(`<li><a href="/gone/1.html">网上办事大厅（旧版）</a></li><li><a href="/gone/2.html">政民互动平台（旧版）</a></li>`)
	home.WriteString(`<li><a href="/private/admin.html">后台</a></li><li><a href="/r/0">跳转</a></li></ul>`)
	broken(base+"/gone/1.html", "/")
	broken(base+"/gone/2.html", "/")
	put("/", o.Name, home.String(), 0)
	s.Truth.Links += navLinks + 1 + 8 + 32 + 4 // nav, 更多, notices, links, specials
	s.Truth.Pages++

	// Columns.
	for i, c := range cols {
		path := fmt.Sprintf("/col/%d/", i)
		s.Truth.Columns = append(s.Truth.Columns, base+path)
		var b strings.Builder
		b.WriteString(`<h2>` + c.title + `</h2><ul class="list">`)
		items := 20
		switch c.state {
		case "empty":
			items = 0
			b.WriteString(`<li>暂无信息</li>`)
			s.Truth.Empty = append(s.Truth.Empty, base+path)
		case "stale":
			s.Truth.Stale = append(s.Truth.Stale, base+path)
		}
		age := ageDays(rng, c.kind, c.state)
		for j := range items {
			a := age + j*(1+j%3)
			d := now.AddDate(0, 0, -a)
			fmt.Fprintf(&b, `<li><a href="/a/%d.html">关于%s第%d期工作情况的报告</a>%s</li>`, article(), c.title, j+1, dateText(rng, d, a))
		}
		b.WriteString(`</ul>`)
		put(path, c.title, b.String(), i%3)
		s.Truth.Links += navLinks + items
		s.Truth.Pages++
	}
	for i, t := range blank {
		path := fmt.Sprintf("/zl/%d/", i)
		s.Truth.Columns = append(s.Truth.Columns, base+path)
		s.Truth.Empty = append(s.Truth.Empty, base+path)
		put(path, t, `<h2>`+t+`</h2><ul class="list"></ul>`, 0)
		s.Truth.Links += navLinks
		s.Truth.Pages++
	}
	for i := range nonColumns {
		put(fmt.Sprintf("/about/%d.html", i), nonColumns[i], `<p>简介</p>`, 0)
		s.Truth.Links += navLinks
		s.Truth.Pages++
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
		if i%7 == 0 && ext != "" {
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
		s.Truth.Links += navLinks + links
		s.Truth.Pages++
	}
	for u := range s.Truth.Broken {
		slices.Sort(s.Truth.Broken[u])
		s.Truth.Broken[u] = slices.Compact(s.Truth.Broken[u])
	}
	return s
}

// ServeHTTP serves the site.
func (s *Site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

// External serves the external host: /e/N answers except for every 50th N.
func External() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var j int
		if _, err := fmt.Sscanf(r.URL.Path, "/e/%d", &j); err != nil || j%50 == 0 {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "external ok")
	})
}
