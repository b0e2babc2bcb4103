package extract

import (
	"net/url"
	"strings"
	"testing"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

const samplePage = `<!DOCTYPE html><html><head><title> 某某市人民政府 </title>
<link rel="stylesheet" href="/css/a.css"><link rel="alternate" href="/feed.xml">
<script src="http://cdn.example.com/x.js"></script><script>var a = "<a href='/no'>";</script>
</head><body>
<ul class="nav"><li><a href="/gzdt/">工作动态</a></li><li><a href="/tzgg/index.html#top">通知公告</a></li>
<li><a href="javascript:void(0)">菜单</a></li><li><a href="mailto:a@b.cn">信箱</a></li></ul>
<div class="box"><h3>政策文件</h3><a href="/zcwj/">更多&gt;&gt;</a></div>
<ul class="list">
<li><a href="/a/1.html">关于开展安全生产检查的通知</a><span>2024-03-01</span></li>
<li><a href="/a/2.html">市政府召开常务会议</a> [03-05]</li>
<li><a href="../a/3.html">无日期条目</a></li>
</ul>
<div class="item"><div class="t"><a href="/a/4.html">标题在一个块里</a></div><div class="d">2024年2月1日</div></div>
<img src="http://img.example.com/x.png"><iframe src="https://v.example.com/"></iframe>
<a href="HTTP://Example.COM:80">外站</a>
<div class="footer">政府网站标识码：4100000001 豫ICP备05001234号-2 豫公网安备 41010502000123号</div>
</body></html>`

func TestParse(t *testing.T) {
	t.Parallel()
	d := Parse([]byte(samplePage), mustURL(t, "https://www.example.gov.cn/sub/index.html"), Options{Now: ref})
	if d.Title != "某某市人民政府" {
		t.Errorf("Title = %q", d.Title)
	}
	byURL := map[string]Link{}
	for _, l := range d.Links {
		byURL[l.URL] = l
	}
	for _, want := range []Link{
		{URL: "https://www.example.gov.cn/gzdt/", Text: "工作动态", Tag: "a"},
		{URL: "https://www.example.gov.cn/tzgg/index.html", Text: "通知公告", Tag: "a"},
		{URL: "https://www.example.gov.cn/zcwj/", Text: "更多>>", Heading: "政策文件", Tag: "a"},
		{URL: "https://www.example.gov.cn/a/3.html", Text: "无日期条目", Tag: "a"},
		{URL: "https://www.example.gov.cn/css/a.css", Tag: "link", Resource: true},
		{URL: "http://cdn.example.com/x.js", Tag: "script", Resource: true},
		{URL: "http://img.example.com/x.png", Tag: "img", Resource: true},
		{URL: "https://v.example.com/", Tag: "iframe", Resource: true},
		{URL: "http://example.com/", Text: "外站", Tag: "a"},
	} {
		got, ok := byURL[want.URL]
		if !ok {
			t.Errorf("link %s not found", want.URL)
			continue
		}
		if got.Text != want.Text || got.Tag != want.Tag || got.Resource != want.Resource || (want.Heading != "" && got.Heading != want.Heading) {
			t.Errorf("link %s = %+v, want %+v", want.URL, got, want)
		}
	}
	for _, bad := range []string{"/no", "/feed.xml"} {
		if _, ok := byURL["https://www.example.gov.cn"+bad]; ok {
			t.Errorf("link %s should not be extracted", bad)
		}
	}
	if len(d.Links) != 12 {
		t.Errorf("got %d links: %+v", len(d.Links), d.Links)
	}
	wantItems := map[string]string{
		"https://www.example.gov.cn/a/1.html": "2024-03-01",
		"https://www.example.gov.cn/a/2.html": "2024-03-05",
		"https://www.example.gov.cn/a/4.html": "2024-02-01",
	}
	if len(d.Items) != len(wantItems) {
		t.Errorf("items = %+v", d.Items)
	}
	for _, it := range d.Items {
		if wantItems[it.URL] != it.Date.Format("2006-01-02") {
			t.Errorf("item %+v unexpected", it)
		}
	}
	m := FindMarks(d.Text)
	if m.SiteCode != "4100000001" || m.ICP != "豫ICP备05001234号-2" || m.PSB != "豫公网安备41010502000123号" {
		t.Errorf("marks = %+v", m)
	}
}

func TestParseBaseHref(t *testing.T) {
	t.Parallel()
	d := Parse([]byte(`<base href="http://other.cn/dir/"><a href="x.html">x</a>`), mustURL(t, "http://a.cn/"), Options{})
	if len(d.Links) != 1 || d.Links[0].URL != "http://other.cn/dir/x.html" {
		t.Fatalf("links = %+v", d.Links)
	}
}

func TestParseBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for range 20000 {
		b.WriteString(`<li><a href="/p?q=1">新闻</a> 2024-01-01</li>`)
	}
	d := Parse([]byte(b.String()), mustURL(t, "http://a.cn/"), Options{MaxLinks: 100, MaxItems: 10, MaxText: 1000, Now: ref})
	if len(d.Links) != 100 || len(d.Items) != 10 || len(d.Text) > 1100 {
		t.Fatalf("links %d items %d text %d", len(d.Links), len(d.Items), len(d.Text))
	}
}

func TestClassifyColumn(t *testing.T) {
	t.Parallel()
	tests := map[string]ColumnKind{
		"工作动态": ColumnNews,
		"政务要闻": ColumnNews,
		"通知公告": ColumnNotice,
		"政策文件": ColumnPolicy,
		"政策解读": ColumnPolicy,
		"领导信箱": ColumnInteraction,
		"人事信息": ColumnOther,
		"首页":   "",
		"关于开展安全生产检查的通知":     "",
		"市政府召开常务会议研究部署工作动态": "",
	}
	for in, want := range tests {
		if got := ClassifyColumn(in); got != want {
			t.Errorf("ClassifyColumn(%q) = %q, want %q", in, got, want)
		}
	}
	for _, s := range []string{"更多", "更多>>", "MORE", "更多 »", ">>"} {
		if !IsMoreLink(s) {
			t.Errorf("IsMoreLink(%q) = false", s)
		}
	}
	if IsMoreLink("通知公告") {
		t.Error("IsMoreLink(通知公告) = true")
	}
}

func TestFindMarksMissing(t *testing.T) {
	t.Parallel()
	if m := FindMarks("版权所有 标识码 12345 ICP备 公网安备"); m != (Marks{}) {
		t.Fatalf("marks = %+v", m)
	}
}

// FuzzParse checks that Parse never panics and keeps its promises for any
// input: only absolute http(s) URLs without fragments, bounded output.
func FuzzParse(f *testing.F) {
	f.Add([]byte(samplePage))
	f.Add([]byte(`<a href="//x.cn/a#b">x</a><base href="ftp://x"><img src=" http://a b/">`))
	f.Add([]byte(`<li><a href=/x>t</a><div>2024年1月5日</div><a href="%zz">`))
	base, _ := url.Parse("http://h.cn/a/b.html")
	f.Fuzz(func(t *testing.T, body []byte) {
		d := Parse(body, base, Options{MaxLinks: 50, MaxItems: 20, MaxText: 4096, Now: ref})
		if len(d.Links) > 50 || len(d.Items) > 20 || len(d.Text) > 4096+2 {
			t.Fatalf("bounds exceeded: %d links %d items %d text", len(d.Links), len(d.Items), len(d.Text))
		}
		for _, l := range d.Links {
			u, err := url.Parse(l.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
				t.Fatalf("bad link %q", l.URL)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<html><head><title>第1号文章</title></head><body><div class="nav"><ul>`)
	for i := range 26 {
		sb.WriteString(`<li><a href="/col/` + string(rune('a'+i)) + `/">工作动态</a></li>`)
	}
	sb.WriteString(`</ul></div><div class="content"><p>` + strings.Repeat("为深入贯彻落实省委省政府关于加快推进信息化建设的决策部署。", 8) + `</p></div><ul>`)
	for i := range 14 {
		sb.WriteString(`<li><a href="/a/` + string(rune('0'+i%10)) + `.html">关于印发实施方案的通知</a><span>2024-01-0` + string(rune('1'+i%9)) + `</span></li>`)
	}
	sb.WriteString(`</ul><div class="footer">政府网站标识码：4101000001 豫ICP备05001234号</div></body></html>`)
	body := []byte(sb.String())
	base := mustURL(b, "http://www.example.gov.cn/a/1.html")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		Parse(body, base, Options{Now: ref})
	}
}

// FuzzResolve checks that the fast path for root-relative hrefs gives
// exactly what full net/url resolution gives.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"/a/b.html", "/a?x=1&y=2#f", "/./a", "/a/../b", "/a b", "/%41", "/a.b/c", "/~u/", "/a#"} {
		f.Add(s)
	}
	base, _ := url.Parse("http://Www.Example.gov.cn:80/dir/page.html")
	f.Fuzz(func(t *testing.T, href string) {
		href = strings.TrimSpace(href)
		if href == "" || href[0] == '#' || strings.ContainsAny(href, "\n\r\t") {
			return
		}
		if got, want := Resolve(base, href), resolveSlow(base, href); got != want {
			t.Fatalf("Resolve(%q) = %q, full resolution gives %q", href, got, want)
		}
	})
}
