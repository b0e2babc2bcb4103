package publiceval

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"zhihui/internal/i18n"
	"zhihui/internal/period"
)

// The five levels of GB/T 39735 and 国办发〔2019〕51号, best first. Levels 1
// and 2 are 差评.
const (
	VerySatisfied    = 5 // 非常满意
	Satisfied        = 4 // 满意
	FairlySatisfied  = 3 // 基本满意
	Dissatisfied     = 2 // 不满意
	VeryDissatisfied = 1 // 非常不满意
)

// Levels names the levels, indexed by level.
var Levels = map[int]i18n.Text{
	VerySatisfied:    {Zh: "非常满意", En: "Very satisfied"},
	Satisfied:        {Zh: "满意", En: "Satisfied"},
	FairlySatisfied:  {Zh: "基本满意", En: "Fairly satisfied"},
	Dissatisfied:     {Zh: "不满意", En: "Dissatisfied"},
	VeryDissatisfied: {Zh: "非常不满意", En: "Very dissatisfied"},
}

// IsBad reports whether level is a 差评 (不满意 or 非常不满意).
func IsBad(level int) bool { return level == Dissatisfied || level == VeryDissatisfied }

// Tag is a reason a rater may tick; Good tags go with levels 3–5, the
// others with 差评.
type Tag struct {
	Code string
	Name i18n.Text
	Good bool
}

// Tags are the reason tags, good ones first.
var Tags = []Tag{
	{"accurate", i18n.Text{Zh: "信息准确", En: "Accurate information"}, true},
	{"findable", i18n.Text{Zh: "查找方便", En: "Easy to find"}, true},
	{"timely", i18n.Text{Zh: "更新及时", En: "Up to date"}, true},
	{"clear", i18n.Text{Zh: "表述清楚", En: "Clearly written"}, true},
	{"responsive", i18n.Text{Zh: "答复及时", En: "Quick answers"}, true},
	{"outdated", i18n.Text{Zh: "信息不更新", En: "Out of date"}, false},
	{"hard_to_find", i18n.Text{Zh: "查找困难", En: "Hard to find"}, false},
	{"broken", i18n.Text{Zh: "页面或链接打不开", En: "Broken pages or links"}, false},
	{"unclear", i18n.Text{Zh: "内容不清楚", En: "Unclear content"}, false},
	{"no_answer", i18n.Text{Zh: "咨询无人答复", En: "Questions not answered"}, false},
}

// TagsFor returns the tags offered with level.
func TagsFor(level int) []Tag {
	var out []Tag
	for _, t := range Tags {
		if t.Good != IsBad(level) {
			out = append(out, t)
		}
	}
	return out
}

// TagName returns the name of tag code in lang (the code when unknown).
func TagName(code, lang string) string {
	for _, t := range Tags {
		if t.Code == code {
			return t.Name.In(lang)
		}
	}
	return code
}

// Limits on what a rater sends.
const (
	MaxComment = 500 // runes
	MaxName    = 30  // runes
	MaxTags    = 5
	// MaxBody caps the body of a rating request (form or JSON).
	MaxBody = 16 << 10
)

// Channels a rating comes through.
const (
	ChannelWeb    = "web"    // the hosted rating page
	ChannelWidget = "widget" // the embedded widget
	ChannelAPI    = "api"    // POST /api/v1/ratings from other systems
	ChannelImport = "import" // the provincial system's exchange file
	// ChannelMobile is the hosted rating page on a phone (H5): reached by
	// scanning a target's QR code (?via=mobile) or opened in a phone's
	// browser.
	ChannelMobile = "mobile"
)

// Input is one rating as a rater sends it, before checks.
type Input struct {
	Target  string   `json:"target"`
	Level   int      `json:"level"`
	Tags    []string `json:"tags"`
	Comment string   `json:"comment"`
	Case    string   `json:"case"`
	Name    string   `json:"name"`
	Phone   string   `json:"phone"`
	// Website is the honeypot: a field people never see and robots fill.
	Website string `json:"website"`

	// Set by the server, never from the body.
	Channel   string    `json:"-"`
	IP        string    `json:"-"`
	UserAgent string    `json:"-"`
	Origin    string    `json:"-"` // the embedding page's origin (Origin, else Referer)
	At        time.Time `json:"-"` // zero: now
	Demo      bool      `json:"-"` // demo data, labelled as such
}

// ParseJSON reads a rating from a JSON body: unknown fields, trailing
// data, invalid UTF-8 and wrong types are bilingual errors.
func ParseJSON(body []byte) (Input, error) {
	var in Input
	if !utf8.Valid(body) {
		return in, i18n.Errorf("请求不是有效的 UTF-8 文本", "the request is not valid UTF-8 text")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, i18n.Errorf("请求不是有效的评价 JSON：%v", "the request is not a valid rating in JSON: %v", err)
	}
	if dec.More() {
		return Input{}, i18n.Errorf("请求在 JSON 之后还有内容", "the request has data after the JSON value")
	}
	return in, in.check()
}

// ParseForm reads a rating from form values (the hosted page and the
// widget without JavaScript): level is a number, tags repeat.
func ParseForm(v url.Values) (Input, error) {
	in := Input{
		Target: v.Get("target"), Tags: v["tags"], Comment: v.Get("comment"),
		Case: v.Get("case"), Name: v.Get("name"), Phone: v.Get("phone"), Website: v.Get("website"),
	}
	if s := strings.TrimSpace(v.Get("level")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return in, i18n.Errorf("请选择评价等级", "choose a level").OnField("level")
		}
		in.Level = n
	}
	for _, k := range []string{"target", "comment", "case", "name", "phone", "website", "level"} {
		if !utf8.ValidString(v.Get(k)) {
			return in, i18n.Errorf("「%s」不是有效的 UTF-8 文本", "%s is not valid UTF-8 text", k).OnField(k)
		}
	}
	return in, in.check()
}

var (
	caseRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{3,39}$`)
	mobileRE = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	fixedRE  = regexp.MustCompile(`^0[0-9]{2,3}-?[0-9]{7,8}$`)
)

// check normalises in (trimmed text, sorted unique tags) and returns the
// first problem as a bilingual error on its field.
func (in *Input) check() error {
	in.Target = strings.TrimSpace(in.Target)
	in.Comment = strings.TrimSpace(in.Comment)
	in.Case = strings.TrimSpace(in.Case)
	in.Name = strings.TrimSpace(in.Name)
	in.Phone = strings.ReplaceAll(strings.TrimSpace(in.Phone), " ", "")
	if in.Target == "" || len(in.Target) > 64 {
		return i18n.Errorf("请选择评价对象", "choose what you are rating").OnField("target")
	}
	if _, ok := Levels[in.Level]; !ok {
		return i18n.Errorf("请选择评价等级（1 至 5）", "choose a level (1 to 5)").OnField("level")
	}
	if len(in.Tags) > MaxTags {
		return i18n.Errorf("原因标签最多选 %d 个", "choose at most %d reasons", MaxTags).OnField("tags")
	}
	offered := TagsFor(in.Level)
	tags := make([]string, 0, len(in.Tags))
	for _, t := range in.Tags {
		t = strings.TrimSpace(t)
		if !slices.ContainsFunc(offered, func(x Tag) bool { return x.Code == t }) {
			return i18n.Errorf("原因「%s」不适用于「%s」", "the reason %q does not go with %q", clip(t, 40), Levels[in.Level].Zh).OnField("tags")
		}
		if !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	in.Tags = tags
	if n := utf8.RuneCountInString(in.Comment); n > MaxComment {
		return i18n.Errorf("评价内容最多 %d 字，现有 %d 字", "the comment may have at most %d characters, it has %d", MaxComment, n).OnField("comment")
	}
	if strings.IndexFunc(in.Comment, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 {
		return i18n.Errorf("评价内容含有控制字符", "the comment contains control characters").OnField("comment")
	}
	if in.Case != "" && !caseRE.MatchString(in.Case) {
		return i18n.Errorf("办件编号应为 4 至 40 位字母、数字或连字符", "the case number has 4 to 40 letters, digits or hyphens").OnField("case")
	}
	if utf8.RuneCountInString(in.Name) > MaxName || strings.IndexFunc(in.Name, unicode.IsControl) >= 0 {
		return i18n.Errorf("姓名最多 %d 字", "the name may have at most %d characters", MaxName).OnField("name")
	}
	if in.Phone != "" && !mobileRE.MatchString(in.Phone) && !fixedRE.MatchString(in.Phone) {
		return i18n.Errorf("电话号码应为 11 位手机号或带区号的固定电话", "the phone is an 11-digit mobile number or a landline with its area code").OnField("phone")
	}
	if in.Name != "" && in.Phone == "" {
		return i18n.Errorf("实名评价请同时填写电话，以便回访", "a named rating needs a phone number for the call-back").OnField("phone")
	}
	if (in.Name != "" || in.Phone != "") && in.Case == "" {
		return i18n.Errorf("实名评价请填写办件编号", "a named rating needs the case number it is about").OnField("case")
	}
	if len(in.Website) > 200 {
		in.Website = in.Website[:200]
	}
	return nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// MonthOf is the YYYYMM month of t in Asia/Shanghai.
func MonthOf(t time.Time) string { return t.In(period.Shanghai).Format("200601") }

// MaskName keeps a name's first character: 张三 → 张*.
func MaskName(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", max(1, len(r)-1))
}

// MaskPhone keeps the first three and last four digits: 138****1234.
func MaskPhone(s string) string {
	if len(s) < 8 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-7) + s[len(s)-4:]
}
