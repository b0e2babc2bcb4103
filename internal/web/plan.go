package web

import (
	"net/http"

	"zhihui/internal/i18n"
	"zhihui/internal/plan"
)

type planView struct {
	Plan        *plan.Plan
	Sections    []plan.Section
	Goals       []plan.Goal
	Targets     []plan.Target
	Tasks       []plan.Task
	Departments []plan.Department
	Section     string
	Department  string
	DeptNames   map[string]plan.Department
}

func deptIndex() map[string]plan.Department {
	m := map[string]plan.Department{}
	for _, d := range plan.Departments() {
		m[d.Code] = d
	}
	return m
}

// planPage shows the plan: goals, every §2.3 target, and the tasks of
// §3–§8 filtered by section and department.
func (s *Server) planPage(w http.ResponseWriter, r *http.Request) {
	p := plan.Default()
	q := r.URL.Query()
	f := plan.TaskFilter{Section: q.Get("section"), Department: q.Get("dept")}
	v := planView{
		Plan: p, Sections: p.Sections(), Goals: p.Goals(), Targets: p.Targets(),
		Tasks: p.Tasks(f), Departments: plan.Departments(),
		Section: f.Section, Department: f.Department, DeptNames: deptIndex(),
	}
	pg := s.page(r, "plan", v)
	pg.Title = i18n.T(pg.Lang, "plan.title")
	s.render(w, r, "plan", http.StatusOK, pg)
}

type targetView struct {
	Target    plan.Target
	Section   plan.Section
	Tasks     []plan.Task
	DeptNames map[string]plan.Department
}

func (s *Server) planTarget(w http.ResponseWriter, r *http.Request) {
	p := plan.Default()
	t, ok := p.Target(r.PathValue("code"))
	if !ok {
		s.notFound(w, r)
		return
	}
	sec, _ := p.Section(t.Section)
	var tasks []plan.Task
	for _, task := range p.Tasks(plan.TaskFilter{}) {
		for _, c := range task.Targets {
			if c == t.Code {
				tasks = append(tasks, task)
			}
		}
	}
	pg := s.page(r, "plan", targetView{Target: t, Section: sec, Tasks: tasks, DeptNames: deptIndex()})
	pg.Title = t.NameZh
	if pg.Lang == "en" {
		pg.Title = t.NameEn
	}
	s.render(w, r, "plan_target", http.StatusOK, pg)
}

// apiPlan: GET /api/v1/plan[?section=§3.2][&dept=41D-GXT] — goals,
// targets and (filtered) tasks.
func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request) {
	p := plan.Default()
	q := r.URL.Query()
	f := plan.TaskFilter{Section: q.Get("section"), Department: q.Get("dept")}
	writeJSON(w, http.StatusOK, map[string]any{
		"code": p.Code, "title_zh": p.TitleZh, "title_en": p.TitleEn, "issued": p.Issued,
		"sections": p.Sections(), "goals": p.Goals(), "targets": p.Targets(),
		"tasks": nonNilTasks(p.Tasks(f)), "departments": plan.Departments(),
	})
}

func nonNilTasks(t []plan.Task) []plan.Task {
	if t == nil {
		return []plan.Task{}
	}
	return t
}
