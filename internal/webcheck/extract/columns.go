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
