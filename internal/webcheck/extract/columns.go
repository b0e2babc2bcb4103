package extract

import (
	"strings"
	"unicode/utf8"
)

// ColumnKind classifies a site column (栏目) by how often the national rules
// expect it to be updated.
type ColumnKind string

// Column kinds. The zero value means "not a column we judge".
const (
	ColumnNews        ColumnKind = "news"        // 新闻、动态、要闻: 2 weeks
	ColumnNotice      ColumnKind = "notice"      // 通知公告: 6 months
	ColumnPolicy      ColumnKind = "policy"      // 政策文件: 6 months
	ColumnInteraction ColumnKind = "interaction" // 领导信箱、咨询、留言: replies within 3 months
	ColumnOther       ColumnKind = "other"       // other columns that should be kept up to date
)

// columnWords maps title fragments to kinds; the first match wins, so more
// specific fragments come first.
var columnWords = []struct {
	word string
	kind ColumnKind
}{
	{"政策解读", ColumnPolicy},
	{"政策文件", ColumnPolicy},
	{"政策法规", ColumnPolicy},
	{"规范性文件", ColumnPolicy},
	{"政府文件", ColumnPolicy},
	{"文件", ColumnPolicy},
	{"通知公告", ColumnNotice},
	{"公示公告", ColumnNotice},
	{"公告", ColumnNotice},
	{"通知", ColumnNotice},
	{"公示", ColumnNotice},
	{"要闻", ColumnNews},
	{"动态", ColumnNews},
	{"新闻", ColumnNews},
	{"资讯", ColumnNews},
	{"信箱", ColumnInteraction},
	{"留言", ColumnInteraction},
	{"咨询", ColumnInteraction},
	{"征集", ColumnInteraction},
	{"人事信息", ColumnOther},
	{"规划计划", ColumnOther},
	{"统计信息", ColumnOther},
	{"财政资金", ColumnOther},
	{"工作报告", ColumnOther},
}

// MaxColumnTitle is the longest anchor text (in runes) taken as a column
// title; longer texts are article titles such as "关于……的通知".
const MaxColumnTitle = 10

// ClassifyColumn reports the kind of column that a navigation or heading
// text names, or "" when it does not name one.
func ClassifyColumn(title string) ColumnKind {
	title = strings.TrimSpace(title)
	if title == "" || utf8.RuneCountInString(title) > MaxColumnTitle {
		return ""
	}
	if strings.Contains(title, "关于") || strings.ContainsAny(title, "，。：:；！？") {
		return ""
	}
	for _, w := range columnWords {
		if strings.Contains(title, w.word) {
			return w.kind
		}
	}
	return ""
}

// IsMoreLink reports whether an anchor text is a "more" link (更多, more,
// >>) whose column title is the heading before it.
func IsMoreLink(text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	t = strings.Trim(t, " >»》+.。…")
	switch t {
	case "", "更多", "more", "查看更多", "更多内容":
		return true
	}
	return false
}

// emptyMarkers are texts a column page shows when it has no items.
var emptyMarkers = []string{"暂无信息", "暂无数据", "暂无内容", "暂无记录", "栏目建设中", "正在建设中"}

// HasEmptyMarker reports whether text says the page has no content yet.
func HasEmptyMarker(text string) bool {
	for _, m := range emptyMarkers {
		if strings.Contains(text, m) {
			return true
		}
	}
	return false
}

// navWords are navigation texts that never name a column.
var navWords = []string{"首页", "网站首页", "返回首页", "主页", "网站地图", "无障碍", "无障碍浏览", "长者模式", "适老化", "english", "繁體", "繁体", "简体",
	"登录", "注册", "联系我们", "关于我们", "设为首页", "加入收藏", "收藏本站", "上一页", "下一页", "尾页", "末页", "打印", "关闭", "返回顶部", "rss", "手机版", "移动版", "更多", "more"}

// LooksLikeColumnTitle reports whether an anchor text could name a column
// by its form alone: short, no sentence punctuation, not an article title,
// not a navigation word such as 首页 or 网站地图.
func LooksLikeColumnTitle(title string) bool {
	title = strings.TrimSpace(title)
	n := utf8.RuneCountInString(title)
	if n < 2 || n > MaxColumnTitle {
		return false
	}
	if strings.Contains(title, "关于") || strings.ContainsAny(title, "，。：:；！？!?、\"“”《》()（）") {
		return false
	}
	low := strings.ToLower(title)
	for _, w := range navWords {
		if low == w {
			return false
		}
	}
	digits := 0
	for _, r := range title {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits < 4 // "2024年第3期" is an issue, not a column
}

// ListLikeURL reports whether a URL has the shape of a column's list page
// on Chinese government sites: a directory (/zwgk/tzgg/), an index or list
// file (index.html, index_1.shtml, list.jhtml, default.htm), or a path
// through /col/, /channel/, /list/ or /lanmu/. Article URLs (/art/…,
// t20240105_123.html, content_…) are not.
func ListLikeURL(u string) bool {
	i := strings.Index(u, "://")
	if i < 0 {
		return false
	}
	path := u[i+3:]
	j := strings.IndexByte(path, '/')
	if j < 0 {
		return false
	}
	path = strings.ToLower(path[j:])
	if k := strings.IndexAny(path, "?#"); k >= 0 {
		path = path[:k]
	}
	if path == "/" || path == "" {
		return false // the homepage
	}
	for _, bad := range []string{"/art/", "art_", "/content", "detail", "/t20", "/t19", "/a/"} {
		if strings.Contains(path, bad) {
			return false
		}
	}
	if strings.HasSuffix(path, "/") {
		return true
	}
	for _, seg := range []string{"/col/", "/channel", "/list", "/lanmu", "/column"} {
		if strings.Contains(path, seg) {
			return true
		}
	}
	last := path[strings.LastIndexByte(path, '/')+1:]
	for _, p := range []string{"index", "list", "default"} {
		if strings.HasPrefix(last, p) {
			return true
		}
	}
	return false
}
