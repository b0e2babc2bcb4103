package plan

import (
	"strings"
	"sync"

	"zhihui/plans"
)

var defaultPlan = sync.OnceValue(func() *Plan {
	p, err := Load(plans.FS)
	if err != nil {
		panic("plan: embedded plan is invalid: " + err.Error())
	}
	return p
})

// Default returns the plan embedded from plans/*.yaml, loaded and checked
// on first use. It panics if the embedded plan does not pass [Load], which
// the package tests rule out. Callers must not modify the result.
func Default() *Plan {
	return defaultPlan()
}

// TaskFilter selects tasks for [Plan.Tasks]. Empty fields match all.
type TaskFilter struct {
	// Section is a section ref: "§3.2" matches that sub-section, "§3"
	// every sub-section of §3.
	Section string `json:"section,omitempty"`
	// Department is a department code matched against the lead and the
	// participants.
	Department string `json:"department,omitempty"`
}

// Tasks returns the tasks that match f, in plan order, as a fresh slice.
func (p *Plan) Tasks(f TaskFilter) []Task {
	out := []Task{}
	for _, t := range p.tasks {
		if f.Section != "" && t.Section != f.Section && !strings.HasPrefix(t.Section, f.Section+".") {
			continue
		}
		if f.Department != "" && t.Lead != f.Department && !containsString(t.Participants, f.Department) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// Task returns the task with the given id.
func (p *Plan) Task(id string) (Task, bool) {
	i, ok := p.taskIdx[id]
	if !ok {
		return Task{}, false
	}
	return p.tasks[i], true
}

// Target returns the target with the given code.
func (p *Plan) Target(code string) (Target, bool) {
	i, ok := p.targetIdx[code]
	if !ok {
		return Target{}, false
	}
	return p.targets[i], true
}

// Section returns the section with the given ref ("§3.2").
func (p *Plan) Section(ref string) (Section, bool) {
	i, ok := p.sectionIdx[ref]
	if !ok {
		return Section{}, false
	}
	return p.sections[i], true
}

// Sections returns every section of the plan in document order, top-level
// sections followed by their sub-sections, as a fresh slice.
func (p *Plan) Sections() []Section {
	return append([]Section(nil), p.sections...)
}

// Goals returns the plan's goal statements in document order.
func (p *Plan) Goals() []Goal {
	return append([]Goal(nil), p.goals...)
}

// Targets returns every target in document order.
func (p *Plan) Targets() []Target {
	return append([]Target(nil), p.targets...)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
