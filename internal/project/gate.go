package project

import (
	_ "embed"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
)

// Stages of a project, in the order of the gates (国家电子政务工程建设项目管理暂行办法,
// 国办发〔2019〕57号).
const (
	Proposal      = "proposal"       // 项目建议书
	Feasibility   = "feasibility"    // 可行性研究报告
	Design        = "design"         // 初步设计与概算
	Implement     = "implement"      // 实施
	InitialAccept = "initial_accept" // 初验
	FinalAccept   = "final_accept"   // 竣工验收
	Operate       = "operate"        // 运行
	SelfEval      = "self_eval"      // 自评价
	PostEval      = "post_eval"      // 后评价
)

// AllStages lists every stage in gate order.
var AllStages = []string{Proposal, Feasibility, Design, Implement, InitialAccept, FinalAccept, Operate, SelfEval, PostEval}

// Statuses of a project within its current stage.
const (
	Draft     = "draft"     // being prepared by the owner unit (编制中)
	Submitted = "submitted" // waiting for the office's decision (待审批)
	Returned  = "returned"  // sent back with a reason (已退回)
	Rejected  = "rejected"  // refused; the project ends (不予批准)
	Completed = "completed" // every gate of its route passed (已完成)
)

// Levels and categories.
var (
	Levels     = []string{"province", "city", "county"}
	Categories = []string{"new", "upgrade", "om"}
)

// Route is one path through the gates.
type Route struct {
	ID          string   `yaml:"id" json:"id"`
	NameZh      string   `yaml:"name_zh" json:"name_zh"`
	NameEn      string   `yaml:"name_en" json:"name_en"`
	MaxEstimate string   `yaml:"max_estimate" json:"max_estimate,omitempty"`
	Levels      []string `yaml:"levels" json:"levels,omitempty"`
	Categories  []string `yaml:"categories" json:"categories,omitempty"`
	Stages      []string `yaml:"stages" json:"stages"`
	max         Money
}

// Name is the route's name in lang.
func (r Route) Name(lang string) string {
	if len(lang) >= 2 && lang[:2] == "en" {
		return r.NameEn
	}
	return r.NameZh
}

// Matches reports whether a project of level, category and estimate
// follows r.
func (r Route) Matches(level, category string, estimate Money) bool {
	if r.MaxEstimate != "" && estimate > r.max {
		return false
	}
	if len(r.Levels) > 0 && !slices.Contains(r.Levels, level) {
		return false
	}
	if len(r.Categories) > 0 && !slices.Contains(r.Categories, category) {
		return false
	}
	return true
}

// Next is the stage after stage on r, or "" after the last.
func (r Route) Next(stage string) string {
	i := slices.Index(r.Stages, stage)
	if i < 0 || i+1 >= len(r.Stages) {
		return ""
	}
	return r.Stages[i+1]
}

// Has reports whether r passes through stage.
func (r Route) Has(stage string) bool { return slices.Contains(r.Stages, stage) }

// Routes are the configured paths, in order of precedence.
type Routes []Route

//go:embed routes.yaml
var routesYAML []byte

// DefaultRoutes are the embedded paths (routes.yaml).
var DefaultRoutes = func() Routes {
	rs, err := ParseRoutes(routesYAML)
	if err != nil {
		panic(err)
	}
	return rs
}()

// ParseRoutes reads and checks a route configuration: known stages in
// gate order, known levels and categories, a last route without
// conditions.
func ParseRoutes(b []byte) (Routes, error) {
	var doc struct {
		Routes Routes `yaml:"routes"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("project: routes: %w", err)
	}
	if len(doc.Routes) == 0 {
		return nil, fmt.Errorf("project: routes: none configured")
	}
	seen := map[string]bool{}
	for i := range doc.Routes {
		r := &doc.Routes[i]
		if r.ID == "" || seen[r.ID] {
			return nil, fmt.Errorf("project: routes: missing or repeated id %q", r.ID)
		}
		seen[r.ID] = true
		if r.MaxEstimate != "" {
			m, err := ParseWan(r.MaxEstimate)
			if err != nil {
				return nil, fmt.Errorf("project: route %s: max_estimate: %w", r.ID, err)
			}
			r.max = m
		}
		for _, l := range r.Levels {
			if !slices.Contains(Levels, l) {
				return nil, fmt.Errorf("project: route %s: unknown level %q", r.ID, l)
			}
		}
		for _, c := range r.Categories {
			if !slices.Contains(Categories, c) {
				return nil, fmt.Errorf("project: route %s: unknown category %q", r.ID, c)
			}
		}
		if len(r.Stages) == 0 {
			return nil, fmt.Errorf("project: route %s: no stages", r.ID)
		}
		last := -1
		for _, s := range r.Stages {
			i := slices.Index(AllStages, s)
			if i <= last {
				return nil, fmt.Errorf("project: route %s: stage %q unknown or out of order", r.ID, s)
			}
			last = i
		}
	}
	if l := doc.Routes[len(doc.Routes)-1]; l.MaxEstimate != "" || len(l.Levels) > 0 || len(l.Categories) > 0 {
		return nil, fmt.Errorf("project: routes: the last route %s must have no conditions", l.ID)
	}
	return doc.Routes, nil
}

// For returns the route a project of level, category and estimate follows.
func (rs Routes) For(level, category string, estimate Money) Route {
	for _, r := range rs {
		if r.Matches(level, category, estimate) {
			return r
		}
	}
	return rs[len(rs)-1]
}

// ByID returns the route id.
func (rs Routes) ByID(id string) (Route, bool) {
	for _, r := range rs {
		if r.ID == id {
			return r, true
		}
	}
	return Route{}, false
}
