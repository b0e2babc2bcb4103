// Package plan is the web side of the plan module: the plan's goals,
// targets and tasks as pages and as JSON. Its handlers are written on the
// web kit (package kit) and its templates are its own, rendered inside the
// shared layout.
package plan

import (
	"embed"
	"net/http"
	"net/url"

	"zhihui/internal/dashboard"
	"zhihui/internal/module"
	dom "zhihui/internal/plan"
	"zhihui/internal/web/kit"
)

//go:embed all:templates
var templates embed.FS

// Module is the plan module. The plan is embedded data (plans/*.yaml), so
// the module has no tables of its own.
func Module() module.Module {
	return module.Module{
		Name:   "plan",
		Routes: routes,
		Nav:    []module.Nav{{Key: "plan", Href: "/plan", Label: "nav.plan", Order: 50}},
		Pages:  []string{"/plan", "/plan?section=" + url.QueryEscape("§3"), "/plan/targets/" + dom.Default().Targets()[0].Code},
		API: map[string]string{
			"GET /api/v1/plan": "The plan: sections, goals, targets, and tasks filtered by ?section= and ?dept=",
		},
		Authz: []module.AuthzCase{
			{Pattern: "GET /plan", Request: module.Get("/plan?section=" + url.QueryEscape("§3")), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
			{Pattern: "GET /plan/targets/{code}", Request: module.Get("/plan/targets/" + dom.Default().Targets()[0].Code), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
			{Pattern: "GET /api/v1/plan", Request: module.Get("/api/v1/plan"), Want: module.LoggedIn(http.StatusOK, http.StatusUnauthorized)},
		},
	}
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(templates, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /plan", Access: kit.User, Handler: h.page},
		{Pattern: "GET /plan/targets/{code}", Access: kit.User, Handler: h.target},
		{Pattern: "GET /api/v1/plan", Access: kit.User, Handler: h.api},
	}, nil
}

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

// planView is what the plan page shows.
type planView struct {
	Plan        *dom.Plan
	Sections    []dom.Section
	Goals       []dom.Goal
	Targets     []dom.Target
	Tasks       []dom.Task
	Departments []dom.Department
	Section     string
	Department  string
	DeptNames   map[string]dom.Department
}

func deptIndex() map[string]dom.Department {
	m := map[string]dom.Department{}
	for _, d := range dom.Departments() {
		m[d.Code] = d
	}
	return m
}

// page shows the plan: goals, every §2.3 target, and the tasks of §3–§8
// filtered by section and department.
func (h handlers) page(w http.ResponseWriter, r *http.Request) error {
	p := dom.Default()
	q := r.URL.Query()
	f := dom.TaskFilter{Section: q.Get("section"), Department: q.Get("dept")}
	v := planView{
		Plan: p, Sections: p.Sections(), Goals: p.Goals(), Targets: p.Targets(),
		Tasks: p.Tasks(f), Departments: dom.Departments(),
		Section: f.Section, Department: f.Department, DeptNames: deptIndex(),
	}
	return h.k.Render(w, r, h.pages, "plan", http.StatusOK, kit.View{Title: kit.T(r, "plan.title"), Nav: "plan", Data: v})
}

// targetView is what a target's page shows.
type targetView struct {
	Target    dom.Target
	Section   dom.Section
	Tasks     []dom.Task
	DeptNames map[string]dom.Department
	// Verdict is the target at the province as the dashboard's card
	// gives it (dashboard.Verdict); nil without figures.
	Verdict *dashboard.Card
}

// target shows one target with its section and the tasks serving it.
func (h handlers) target(w http.ResponseWriter, r *http.Request) error {
	p := dom.Default()
	t, ok := p.Target(r.PathValue("code"))
	if !ok {
		return kit.ErrNotFound
	}
	sec, _ := p.Section(t.Section)
	var tasks []dom.Task
	for _, task := range p.Tasks(dom.TaskFilter{}) {
		for _, c := range task.Targets {
			if c == t.Code {
				tasks = append(tasks, task)
			}
		}
	}
	title := t.NameZh
	if kit.Lang(r) == "en" {
		title = t.NameEn
	}
	verdict, err := dashboard.Verdict(r.Context(), h.k.DB, t.Code, "", kit.Principal(r), kit.Lang(r))
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "target", http.StatusOK, kit.View{
		Title: title, Nav: "plan", Data: targetView{Target: t, Section: sec, Tasks: tasks, DeptNames: deptIndex(), Verdict: verdict},
	})
}

// api: GET /api/v1/plan[?section=§3.2][&dept=41D-GXT] — goals, targets and
// (filtered) tasks.
func (h handlers) api(w http.ResponseWriter, r *http.Request) error {
	p := dom.Default()
	q := r.URL.Query()
	f := dom.TaskFilter{Section: q.Get("section"), Department: q.Get("dept")}
	tasks := p.Tasks(f)
	if tasks == nil {
		tasks = []dom.Task{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{
		"code": p.Code, "title_zh": p.TitleZh, "title_en": p.TitleEn, "issued": p.Issued,
		"sections": p.Sections(), "goals": p.Goals(), "targets": p.Targets(),
		"tasks": tasks, "departments": dom.Departments(),
	})
}
