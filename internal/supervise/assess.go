package supervise

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
)

//go:embed scheme.yaml
var defaultScheme []byte

// Outcomes of an item at the end of its year.
const (
	OnTime   = "on_time"  // closed by its original deadline
	Extended = "extended" // closed by an approved, later deadline
	Late     = "late"     // closed after its deadline
	NotDone  = "not_done" // past its deadline and not closed
	Pending  = "pending"  // not closed, deadline not reached: not counted
)

// Sources a scheme part may take its figures from: "supervise" is this
// module's work items; the others are read through Service.Inputs, and a
// unit (or a whole source) without figures is "not assessed".
var Sources = map[string]bool{"supervise": true, "monitor": true, "reporting": true, "webcheck": true, "evaluate": true, "publiceval": true}

// Part is one part of a scoring scheme.
type Part struct {
	Key    string         `yaml:"key" json:"key"`
	NameZh string         `yaml:"name_zh" json:"name_zh"`
	NameEn string         `yaml:"name_en" json:"name_en"`
	Source string         `yaml:"source" json:"source"`
	Weight float64        `yaml:"weight" json:"weight"`
	Points map[string]int `yaml:"points,omitempty" json:"points,omitempty"`
}

// Scheme is the scoring scheme of the years from From on.
type Scheme struct {
	From  int    `yaml:"from" json:"from"`
	Parts []Part `yaml:"parts" json:"parts"`
}

// Schemes are the scoring schemes, each for the years from its From to
// the next one's.
type Schemes struct {
	Schemes []Scheme `yaml:"schemes" json:"schemes"`
}

// DefaultSchemes are the embedded scoring schemes.
func DefaultSchemes() *Schemes {
	s, err := ParseSchemes(defaultScheme)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseSchemes reads and checks scoring schemes in YAML.
func ParseSchemes(b []byte) (*Schemes, error) {
	var s Schemes
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, i18n.Errorf("评分方案不是有效的 YAML：%v", "the scoring scheme is not valid YAML: %v", err)
	}
	if len(s.Schemes) == 0 {
		return nil, i18n.Errorf("评分方案为空", "the scoring scheme is empty")
	}
	prev := 0
	for i, sc := range s.Schemes {
		if sc.From < 2000 || sc.From > 2100 || sc.From <= prev {
			return nil, i18n.Errorf("第 %d 个方案的起始年度 %d 无效（应递增，2000–2100）", "scheme %d starts in %d, which is not valid (increasing, 2000–2100)", i+1, sc.From)
		}
		prev = sc.From
		total := 0.0
		keys := map[string]bool{}
		for j, p := range sc.Parts {
			where := fmt.Sprintf("%d/%d", i+1, j+1)
			if p.Key == "" || keys[p.Key] {
				return nil, i18n.Errorf("方案部分 %s 的 key 为空或重复", "scheme part %s has an empty or repeated key", where)
			}
			keys[p.Key] = true
			if !Sources[p.Source] {
				return nil, i18n.Errorf("方案部分 %s 的来源 %q 未知", "scheme part %s has an unknown source %q", where, p.Source)
			}
			if !(p.Weight > 0 && p.Weight <= 100) || math.IsNaN(p.Weight) {
				return nil, i18n.Errorf("方案部分 %s 的权重应在 0 到 100 之间", "scheme part %s needs a weight above 0 and at most 100", where)
			}
			total += p.Weight
			if p.Source == "supervise" {
				for _, o := range []string{OnTime, Extended, Late, NotDone} {
					v, ok := p.Points[o]
					if !ok || v < 0 || v > 100 {
						return nil, i18n.Errorf("方案部分 %s 缺少 %s 的分值（0–100）", "scheme part %s needs points (0–100) for %s", where, o)
					}
				}
				for o := range p.Points {
					if o != OnTime && o != Extended && o != Late && o != NotDone {
						return nil, i18n.Errorf("方案部分 %s 的结果 %q 未知", "scheme part %s has an unknown outcome %q", where, o)
					}
				}
			}
		}
		if math.Abs(total-100) > 1e-9 {
			return nil, i18n.Errorf("第 %d 个方案的权重合计为 %g，应为 100", "the weights of scheme %d add up to %g, not 100", i+1, total)
		}
	}
	return &s, nil
}

// For returns the scheme of year, or false before the first one.
func (s *Schemes) For(year int) (Scheme, bool) {
	var out Scheme
	ok := false
	for _, sc := range s.Schemes {
		if sc.From <= year {
			out, ok = sc, true
		}
	}
	return out, ok
}

// Outcome is an item's outcome on the cutoff date (YYYY-MM-DD).
func Outcome(it *Item, cutoff string) string {
	if it.Stage == Closed && it.ClosedOn != "" && it.ClosedOn <= cutoff {
		switch {
		case it.ClosedOn <= it.OriginalDue:
			return OnTime
		case it.ClosedOn <= it.Due:
			return Extended
		}
		return Late
	}
	if it.Due < cutoff {
		return NotDone
	}
	return Pending
}

// PartScore is a unit's score in one part.
type PartScore struct {
	Key      string         `json:"key"`
	NameZh   string         `json:"name_zh"`
	NameEn   string         `json:"name_en"`
	Source   string         `json:"source"`
	Weight   float64        `json:"weight"`
	Assessed bool           `json:"assessed"`
	Score    *float64       `json:"score"` // nil when not assessed
	Counts   map[string]int `json:"counts,omitempty"`
}

// Row is one unit's assessment.
type Row struct {
	Unit     string   `json:"unit"`
	UnitName string   `json:"unit_name"`
	Score    *float64 `json:"score"` // nil when no part was assessed
	Rank     int      `json:"rank"`  // 0 when not ranked
	// Adjust is the sum of the year's bonuses and penalties (加减分),
	// included in Score.
	Adjust float64     `json:"adjust,omitempty"`
	Parts  []PartScore `json:"parts"`
}

// Assessment is one year's scores of one group of units.
type Assessment struct {
	Year   int    `json:"year"`
	Group  string `json:"group"`
	Cutoff string `json:"cutoff"`
	// InputsAsOf is the date other modules' figures were read as of.
	InputsAsOf string `json:"inputs_as_of"`
	Scheme     Scheme `json:"scheme"`
	Rows       []Row  `json:"rows"`
}

// Groups are the assessed groups and the unit kind of each.
var Groups = map[string]string{"city": orgunit.City, "county": orgunit.County, "department": orgunit.Department}

// Assess scores the units of group for year under schemes: every unit of
// the group is ranked against the whole group, and the rows in scopes are
// returned, best first. Items count by their outcome on 31 December of
// the year (or today, if earlier), so a past year always scores the same.
func (s *Service) Assess(ctx context.Context, schemes *Schemes, scopes []string, year int, group string) (*Assessment, error) {
	kind, ok := Groups[group]
	if !ok {
		return nil, i18n.Errorf("考核组应为 city、county 或 department：%q", "the group must be city, county or department: %q", group).OnField("group")
	}
	sc, ok := schemes.For(year)
	if !ok {
		return nil, i18n.Errorf("%d 年没有评分方案", "there is no scoring scheme for %d", year).OnField("year")
	}
	cutoff := fmt.Sprintf("%d-12-31", year)
	if today := FormatDate(s.Today()); today < cutoff {
		cutoff = today
	}
	root, err := orgunit.Get(ctx, s.DB, orgunit.Root)
	if err != nil {
		return nil, err
	}
	units, err := orgunit.Descendants(ctx, s.DB, root.Path, orgunit.LevelOf[kind], 0)
	if err != nil {
		return nil, err
	}
	items, err := s.Items(ctx, Filter{Scopes: []string{root.Path}, Year: year, Limit: -1})
	if err != nil {
		return nil, err
	}
	byUnit := map[string][]*Item{}
	for _, it := range items {
		byUnit[it.Unit] = append(byUnit[it.Unit], it)
	}
	var members []orgunit.Unit
	for _, u := range units {
		if u.Kind == kind {
			members = append(members, u)
		}
	}
	// Other modules' figures are read as they stood on 31 March of the
	// next year (or today, if earlier): the year's last reports are due
	// in January, and after that date a year recomputes to the same.
	asOf := fmt.Sprintf("%d-03-31", year+1)
	if today := FormatDate(s.Today()); today < asOf {
		asOf = today
	}
	ext := map[string]map[string]Measure{}
	for _, p := range sc.Parts {
		in := s.Inputs[p.Source]
		if p.Source == "supervise" || in == nil || ext[p.Source] != nil {
			continue
		}
		m, err := in(ctx, s.DB, year, asOf, members)
		if err != nil {
			return nil, err
		}
		ext[p.Source] = m
	}
	var rows []Row
	for _, u := range members {
		rows = append(rows, Score(sc, u.Code, u.Name, byUnit[u.Code], cutoff, ext))
	}
	adj, err := s.Adjustments(ctx, []string{root.Path}, year, group)
	if err != nil {
		return nil, err
	}
	applyAdjustments(rows, adj)
	Rank(rows)
	out := &Assessment{Year: year, Group: group, Cutoff: cutoff, InputsAsOf: asOf, Scheme: sc, Rows: []Row{}}
	paths := map[string]string{}
	for _, u := range units {
		paths[u.Code] = u.Path
	}
	for _, r := range rows {
		if inScopes(paths[r.Unit], scopes) {
			out.Rows = append(out.Rows, r)
		}
	}
	return out, nil
}

// Score is one unit's row under sc from its items of the year and, for
// the parts of other sources, the inputs' measures by source and unit (a
// unit without a measure is not assessed in that part).
func Score(sc Scheme, unit, name string, items []*Item, cutoff string, ext map[string]map[string]Measure) Row {
	r := Row{Unit: unit, UnitName: name}
	sum, weights := 0.0, 0.0
	for _, p := range sc.Parts {
		ps := PartScore{Key: p.Key, NameZh: p.NameZh, NameEn: p.NameEn, Source: p.Source, Weight: p.Weight}
		if p.Source == "supervise" {
			counts := map[string]int{}
			pts, n := 0, 0
			for _, it := range items {
				o := Outcome(it, cutoff)
				counts[o]++
				if o != Pending {
					pts += p.Points[o]
					n++
				}
			}
			ps.Counts = counts
			if n > 0 {
				v := round2(float64(pts) / float64(n))
				ps.Score, ps.Assessed = &v, true
				sum += v * p.Weight
				weights += p.Weight
			}
		} else if m, ok := ext[p.Source][unit]; ok {
			v := m.Score
			ps.Score, ps.Assessed, ps.Counts = &v, true, m.Counts
			sum += v * p.Weight
			weights += p.Weight
		}
		r.Parts = append(r.Parts, ps)
	}
	if weights > 0 {
		v := round2(sum / weights)
		r.Score = &v
	}
	return r
}

// Rank orders rows by score, best first (unscored last, by code), and
// gives equal scores the same rank (1, 2, 2, 4).
func Rank(rows []Row) {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Score, rows[j].Score
		switch {
		case a != nil && b != nil && *a != *b:
			return *a > *b
		case (a == nil) != (b == nil):
			return a != nil
		}
		return rows[i].Unit < rows[j].Unit
	})
	for i := range rows {
		switch {
		case rows[i].Score == nil:
			rows[i].Rank = 0
		case i > 0 && rows[i-1].Score != nil && *rows[i-1].Score == *rows[i].Score:
			rows[i].Rank = rows[i-1].Rank
		default:
			rows[i].Rank = i + 1
		}
	}
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Detail says in words what a part's score was made from, or nothing
// when the part has no counts.
func (p PartScore) Detail() i18n.Text {
	c := p.Counts
	if len(c) == 0 {
		return i18n.Text{}
	}
	switch p.Source {
	case "supervise":
		return i18n.Text{
			Zh: fmt.Sprintf("按时 %d · 延期后按时 %d · 逾期办结 %d · 未办结 %d", c[OnTime], c[Extended], c[Late], c[NotDone]),
			En: fmt.Sprintf("on time %d · on time after extension %d · late %d · not done %d", c[OnTime], c[Extended], c[Late], c[NotDone])}
	case "reporting":
		return i18n.Text{
			Zh: fmt.Sprintf("应报 %d · 已报 %d · 按时 %d", c["expected"], c["received"], c["on_time"]),
			En: fmt.Sprintf("due %d · received %d · on time %d", c["expected"], c["received"], c["on_time"])}
	case "webcheck":
		return i18n.Text{
			Zh: fmt.Sprintf("网站 %d · 合格 %d", c["sites"], c["passed"]),
			En: fmt.Sprintf("sites %d · passed %d", c["sites"], c["passed"])}
	case "publiceval":
		return i18n.Text{
			Zh: fmt.Sprintf("有效评价 %d · 满意 %d · 差评 %d · 已整改 %d", c["valid"], c["good"], c["cases"], c["rectified"]),
			En: fmt.Sprintf("valid ratings %d · satisfied %d · complaints %d · rectified %d", c["valid"], c["good"], c["cases"], c["rectified"])}
	case "monitor":
		return i18n.Text{
			Zh: fmt.Sprintf("目标 %d · 已达成 %d · 正常 %d · 预警 %d · 滞后 %d", c["targets"], c["met"], c["on_track"], c["warning"], c["behind"]),
			En: fmt.Sprintf("targets %d · met %d · on track %d · warning %d · behind %d", c["targets"], c["met"], c["on_track"], c["warning"], c["behind"])}
	}
	return i18n.Text{}
}
