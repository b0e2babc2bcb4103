// Package plan is the web side of the plan module: the plan's goals,
// targets and tasks as pages and as JSON. Its handlers are written on the
// web kit (package kit) and its templates are its own, rendered inside the
// shared layout.
package plan

import (
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"

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
			{Pattern: "GET /plan/targets.xlsx", Request: module.Get("/plan/targets.xlsx"), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
			{Pattern: "GET /plan/tasks.xlsx", Request: module.Get("/plan/tasks.xlsx?section=" + url.QueryEscape("§3")), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
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
		{Pattern: "GET /plan/targets.xlsx", Access: kit.User, Handler: h.targetsXLSX},
		{Pattern: "GET /plan/tasks.xlsx", Access: kit.User, Handler: h.tasksXLSX},
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
	// TasksExport is the address of the tasks listed, as a spreadsheet.
	TasksExport template.URL
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
	eq := url.Values{}
	if f.Section != "" {
		eq.Set("section", f.Section)
	}
	if f.Department != "" {
		eq.Set("dept", f.Department)
	}
	v.TasksExport = template.URL("/plan/tasks.xlsx?" + eq.Encode())
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

// targetsXLSX: GET /plan/targets.xlsx — every target with its 2015 and
// 2020 values as the plan words them.
func (h handlers) targetsXLSX(w http.ResponseWriter, r *http.Request) error {
	en := kit.Lang(r) == "en"
	head := []string{kit.T(r, "plan.target"), "code", kit.T(r, "plan.unit"), "2015", "2020", kit.T(r, "plan.direction"), kit.T(r, "plan.section"), kit.T(r, "plan.indicator")}
	var rows [][]any
	for _, t := range dom.Default().Targets() {
		name := t.NameZh
		if en {
			name = t.NameEn
		}
		var y15, y20 string
		for _, v := range t.Values {
			switch v.Year {
			case 2015:
				y15 = v.Words()
			case 2020:
				y20 = v.Words()
			}
		}
		rows = append(rows, []any{name, t.Code, t.Unit, y15, y20, kit.T(r, "plan.direction."+t.Direction), t.Section, t.Indicator})
	}
	return kit.XLSX(w, "plan-targets.xlsx", head, rows)
}

// tasksXLSX: GET /plan/tasks.xlsx[?section=][&dept=] — the tasks the plan
// page lists with the same filters.
func (h handlers) tasksXLSX(w http.ResponseWriter, r *http.Request) error {
	en := kit.Lang(r) == "en"
	q := r.URL.Query()
	depts := deptIndex()
	deptName := func(code string) string {
		d, ok := depts[code]
		switch {
		case !ok:
			return code
		case en && d.NameEn != "":
			return d.NameEn
		}
		return d.Name
	}
	head := []string{"ID", kit.T(r, "plan.section"), kit.T(r, "plan.task"), kit.T(r, "plan.lead"), kit.T(r, "plan.participants"), kit.T(r, "plan.deadline")}
	var rows [][]any
	for _, t := range dom.Default().Tasks(dom.TaskFilter{Section: q.Get("section"), Department: q.Get("dept")}) {
		title := t.TitleZh
		if en {
			title = t.TitleEn
		}
		var parts []string
		for _, c := range t.Participants {
			parts = append(parts, deptName(c))
		}
		sep := "、"
		if en {
			sep = "; "
		}
		rows = append(rows, []any{t.ID, t.Section, title, deptName(t.Lead), strings.Join(parts, sep), t.Deadline})
	}
	return kit.XLSX(w, "plan-tasks.xlsx", head, rows)
}
