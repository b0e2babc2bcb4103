// Package plan holds the provincial informatization plan as data: its
// sections, goal statements, quantitative and qualitative targets, and the
// tasks assigned to departments, each pointing back to the section of the
// source text ("§2.3", "§6.4") it comes from.
//
// Plans are written in YAML (see plans/henan-2013.yaml), embedded in the
// binary and checked strictly by [Load]; [Default] returns the embedded plan.
// All types are JSON-friendly (snake_case tags) so the web layer can serve
// them as they are.
package plan

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// DateLayout is the layout of every date in a plan file (deadlines,
// milestones, the issue date).
const DateLayout = "2006-01-02"

// DefaultDeadline is the deadline of a task that names none: the end of the
// plan's horizon.
const DefaultDeadline = "2020-12-31"

// Target kinds.
const (
	Quantitative = "quantitative" // a number with a unit, compared with a measured value
	Qualitative  = "qualitative"  // a state to reach, measured through a proxy indicator
)

// Directions say which way an indicator is better.
const (
	Higher = "higher" // higher values are better
	Lower  = "lower"  // lower values are better (ranks)
)

// Plan is one plan: its header fields, and through methods its sections,
// goals, targets and tasks. A Plan is read-only after [Load]; the methods
// return fresh slices. It marshals to JSON as the whole document.
type Plan struct {
	Code     string `json:"code"`
	TitleZh  string `json:"title_zh"`
	TitleEn  string `json:"title_en"`
	IssuerZh string `json:"issuer_zh"`
	IssuerEn string `json:"issuer_en"`
	Issued   string `json:"issued"`  // YYYY-MM-DD
	Horizon  int    `json:"horizon"` // last target year

	sections []Section
	goals    []Goal
	targets  []Target
	tasks    []Task

	sectionIdx map[string]int
	targetIdx  map[string]int
	taskIdx    map[string]int
}

// document is the shape of a plan file, and of a Plan in JSON.
type document struct {
	Code     string    `yaml:"code" json:"code"`
	TitleZh  string    `yaml:"title_zh" json:"title_zh"`
	TitleEn  string    `yaml:"title_en" json:"title_en"`
	IssuerZh string    `yaml:"issuer_zh" json:"issuer_zh"`
	IssuerEn string    `yaml:"issuer_en" json:"issuer_en"`
	Issued   string    `yaml:"issued" json:"issued"`
	Horizon  int       `yaml:"horizon" json:"horizon"`
	Sections []Section `yaml:"sections" json:"sections"`
	Goals    []Goal    `yaml:"goals" json:"goals"`
	Targets  []Target  `yaml:"targets" json:"targets"`
	Tasks    []Task    `yaml:"tasks" json:"tasks"`
}

// MarshalJSON writes the plan as one object: the header fields plus
// sections, goals, targets and tasks.
func (p *Plan) MarshalJSON() ([]byte, error) {
	return json.Marshal(document{
		Code: p.Code, TitleZh: p.TitleZh, TitleEn: p.TitleEn,
		IssuerZh: p.IssuerZh, IssuerEn: p.IssuerEn, Issued: p.Issued, Horizon: p.Horizon,
		Sections: p.sections, Goals: p.goals, Targets: p.targets, Tasks: p.tasks,
	})
}

// Section is a numbered part of the source text: "§3" for 三、… and "§3.2"
// for its (二) sub-heading.
type Section struct {
	Ref     string `yaml:"ref" json:"ref"`
	TitleZh string `yaml:"title_zh" json:"title_zh"`
	TitleEn string `yaml:"title_en" json:"title_en"`
	// Parent is the enclosing section ("§3" for "§3.2"), empty at the top.
	// It is derived from Ref.
	Parent string `yaml:"-" json:"parent,omitempty"`
}

// Goal is a goal statement of the plan: the §2.3 goals for a target year,
// or the aim a section opens with. TextZh quotes the source.
type Goal struct {
	ID      string   `yaml:"id" json:"id"`
	Section string   `yaml:"section" json:"section"`
	Year    int      `yaml:"year,omitempty" json:"year,omitempty"`
	TextZh  string   `yaml:"text_zh" json:"text_zh"`
	TextEn  string   `yaml:"text_en" json:"text_en"`
	Targets []string `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// Target is something the plan promises to reach by a year. A quantitative
// target carries numbers in Unit; a qualitative one says in MeasureZh and
// MeasureEn how reaching it can be measured. Either way Indicator names the
// monitoring indicator that measures it.
type Target struct {
	Code      string        `yaml:"code" json:"code"`
	NameZh    string        `yaml:"name_zh" json:"name_zh"`
	NameEn    string        `yaml:"name_en" json:"name_en"`
	Kind      string        `yaml:"kind" json:"kind"`
	Unit      string        `yaml:"unit,omitempty" json:"unit,omitempty"`
	Direction string        `yaml:"direction" json:"direction"`
	Section   string        `yaml:"section" json:"section"`
	Indicator string        `yaml:"indicator" json:"indicator"`
	MeasureZh string        `yaml:"measure_zh,omitempty" json:"measure_zh,omitempty"`
	MeasureEn string        `yaml:"measure_en,omitempty" json:"measure_en,omitempty"`
	Values    []TargetValue `yaml:"values" json:"values"`
}

// TargetValue is what a target asks for in one year.
type TargetValue struct {
	Year int `yaml:"year" json:"year"`
	// Value is the number in the target's unit (nil for qualitative
	// targets). It is parsed from the plan file's "value" text.
	Value *float64 `yaml:"-" json:"value,omitempty"`
	// ValueText is the number as written in the plan file.
	ValueText string `yaml:"value,omitempty" json:"-"`
	// Comparison is how a measured value meets Value: ">=", ">", "=",
	// "<=" or "<" (达到/以上, 突破, 覆盖所有 …). Empty for qualitative targets.
	Comparison string `yaml:"comparison,omitempty" json:"comparison,omitempty"`
	// Display is the value as the source writes it ("3万亿元", "基本实现").
	Display string `yaml:"display" json:"display"`
	// Quote is the sentence of the source that sets this value.
	Quote string `yaml:"quote" json:"quote"`
}

// Words is the goal as the plan's sentence says it: the source's own
// wording ("80%以上", "突破8000亿元", "覆盖全省所有行政村"), with 达到 / 超过 /
// 不超过 / 低于 in front of a bare figure ("达到20Mb/s"), never a
// comparison sign.
func (v TargetValue) Words() string {
	d := strings.TrimSpace(v.Display)
	if d == "" || !startsWithDigit(d) {
		return d
	}
	for _, w := range []string{"以上", "以下", "左右"} {
		if strings.Contains(d, w) {
			return d
		}
	}
	switch v.Comparison {
	case ">=":
		return "达到" + d
	case ">":
		return "超过" + d
	case "<=":
		return "不超过" + d
	case "<":
		return "低于" + d
	}
	return d
}

func startsWithDigit(s string) bool { return s[0] >= '0' && s[0] <= '9' }

// Met reports whether a measured value meets v. It is false for
// qualitative values, which have no number.
func (v TargetValue) Met(actual float64) bool {
	if v.Value == nil || math.IsNaN(actual) {
		return false
	}
	want := *v.Value
	switch v.Comparison {
	case ">=":
		return actual >= want
	case ">":
		return actual > want
	case "=":
		return actual == want
	case "<=":
		return actual <= want
	case "<":
		return actual < want
	}
	return false
}

// Task is one piece of work the plan assigns: a sub-section of §3–§8 or a
// separate action inside one. Quote is the source text the task stands for.
type Task struct {
	ID           string      `yaml:"id" json:"id"`
	Section      string      `yaml:"section" json:"section"`
	TitleZh      string      `yaml:"title_zh" json:"title_zh"`
	TitleEn      string      `yaml:"title_en" json:"title_en"`
	Quote        string      `yaml:"quote" json:"quote"`
	Lead         string      `yaml:"lead" json:"lead"`
	Participants []string    `yaml:"participants,omitempty" json:"participants"`
	Deadline     string      `yaml:"deadline,omitempty" json:"deadline"` // YYYY-MM-DD, DefaultDeadline when omitted
	Milestones   []Milestone `yaml:"milestones,omitempty" json:"milestones,omitempty"`
	Targets      []string    `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// Due returns the task's deadline as the end of that day in Asia/Shanghai
// (UTC+8), the moment after which the task is overdue.
func (t Task) Due() time.Time {
	return endOfDay(t.Deadline)
}

// Milestone is a dated step of a task, optionally tied to the targets it
// should have reached by then.
type Milestone struct {
	Date    string   `yaml:"date" json:"date"` // YYYY-MM-DD
	TextZh  string   `yaml:"text_zh" json:"text_zh"`
	TextEn  string   `yaml:"text_en" json:"text_en"`
	Targets []string `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// Due returns the milestone date as the end of that day in Asia/Shanghai.
func (m Milestone) Due() time.Time {
	return endOfDay(m.Date)
}

// shanghai is a fixed UTC+8 zone so that the package does not depend on
// the system's time zone database.
var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

func endOfDay(s string) time.Time {
	d, err := time.ParseInLocation(DateLayout, s, shanghai)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, 1).Add(-time.Nanosecond)
}
