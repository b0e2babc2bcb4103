package supervise

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/progress"
	"zhihui/internal/reporting"
	dom "zhihui/internal/supervise"
	"zhihui/internal/web/kit"
)

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
	svc   *dom.Service
}

// refuse maps the domain's scope refusal to 403.
func refuse(err error) error {
	if dom.IsOutside(err) {
		return kit.ErrForbidden
	}
	return err
}

// viewScopes are the subtrees where the caller holds any role.
func viewScopes(r *http.Request) []string { return kit.Principal(r).Scopes(auth.Roles...) }

// filterOf reads the list filter from the query.
func filterOf(r *http.Request) (dom.Filter, error) {
	q := r.URL.Query()
	year, err := kit.FormInt(r, "year", 0)
	if err != nil {
		return dom.Filter{}, err
	}
	return dom.Filter{Scopes: viewScopes(r), Unit: strings.TrimSpace(q.Get("unit")), Light: q.Get("status"), Year: year}, nil
}

// listQuery is the filter as a query string built in Go.
func listQuery(f dom.Filter) string {
	v := url.Values{}
	if f.Unit != "" {
		v.Set("unit", f.Unit)
	}
	if f.Light != "" {
		v.Set("status", f.Light)
	}
	if f.Year != 0 {
		v.Set("year", strconv.Itoa(f.Year))
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// badges gives a view the light badge in the caller's language.
type badges struct{ Lang string }

// Badge is the light badge l shown with its label.
type Badge struct{ L, Lang string }

// Badge returns the badge of light l.
func (b badges) Badge(l string) Badge { return Badge{L: l, Lang: b.Lang} }

type listView struct {
	badges
	Items     []*dom.Item
	Filter    dom.Filter
	Lights    []string
	Counts    map[string]int
	ExportURL string
	CanIssue  bool
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) error {
	f, err := filterOf(r)
	if err != nil {
		return err
	}
	items, err := h.svc.Items(r.Context(), f)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, it := range items {
		counts[it.Light]++
	}
	return h.k.Render(w, r, h.pages, "list", http.StatusOK, kit.View{Title: kit.T(r, "supervise.title"), Nav: "supervise", Data: listView{badges: badges{kit.Lang(r)},
		Items: items, Filter: f, Lights: []string{dom.Red, dom.Yellow, dom.Blue, dom.Green, dom.Done}, Counts: counts,
		ExportURL: "/supervise/export" + listQuery(f), CanIssue: kit.Principal(r).Has(Offices...),
	}})
}

func itemRow(r *http.Request, it *dom.Item) []any {
	return []any{it.ID, it.Year, it.Section, it.TaskID, it.Title, it.Unit, it.UnitName, it.Lead, it.Start, it.Due, it.OriginalDue,
		it.Percent, kit.T(r, "supervise.stage."+it.Stage), kit.T(r, "supervise.light."+it.Light), kit.T(r, "supervise.why."+it.LightWhy), it.ClosedOn}
}

func itemHeader(r *http.Request) []string {
	var out []string
	for _, k := range []string{"id", "year", "section", "task", "item_title", "unit_code", "unit", "lead", "start", "due", "original_due",
		"percent", "stage", "light", "reason", "closed_on"} {
		out = append(out, kit.T(r, "supervise.col."+k))
	}
	return out
}

func (h handlers) listExport(w http.ResponseWriter, r *http.Request) error {
	f, err := filterOf(r)
	if err != nil {
		return err
	}
	items, err := h.svc.Items(r.Context(), f)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(items))
	for _, it := range items {
		rows = append(rows, itemRow(r, it))
	}
	return kit.XLSX(w, "supervision-items.xlsx", itemHeader(r), rows)
}

type formView struct {
	Tasks []plan.Task
	Form  url.Values
	Year  int
}

func (h handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	return h.renderForm(w, r, http.StatusOK, url.Values{}, nil)
}

func (h handlers) renderForm(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	return h.k.Render(w, r, h.pages, "new", status, kit.View{Title: kit.T(r, "supervise.new"), Nav: "supervise", Errors: errs,
		Data: formView{Tasks: plan.Default().Tasks(plan.TaskFilter{}), Form: form, Year: h.svc.Today().Year()}})
}

// newItemOf reads an item to issue from form values.
func newItemOf(v url.Values) (dom.NewItem, error) {
	n := dom.NewItem{TaskID: v.Get("task"), Title: v.Get("title"), Fanout: v.Get("fanout"), Within: strings.TrimSpace(v.Get("within")),
		Lead: strings.TrimSpace(v.Get("lead")), Deliverables: v.Get("deliverables"), Cadence: v.Get("cadence"),
		Start: v.Get("start"), Due: v.Get("due")}
	if n.Fanout == "units" {
		n.Fanout = ""
	}
	year, err := strconv.Atoi(strings.TrimSpace(v.Get("year")))
	if err != nil {
		return n, i18n.Errorf("年度应为整数：%q", "the year must be a whole number: %q", v.Get("year")).OnField("year")
	}
	n.Year = year
	if s := strings.TrimSpace(v.Get("due_days")); s != "" {
		d, err := strconv.Atoi(s)
		if err != nil {
			return n, i18n.Errorf("工作日数应为整数：%q", "the working days must be a whole number: %q", s).OnField("due_days")
		}
		n.DueDays = d
	}
	for _, u := range v["units"] {
		n.Units = append(n.Units, fields(u)...)
	}
	n.Assist = fields(v.Get("assist"))
	n.Targets = fields(v.Get("targets"))
	ms, err := ParseMilestones(v.Get("milestones"))
	if err != nil {
		return n, err
	}
	n.Milestones = ms
	return n, nil
}

// fields splits a list of codes on commas, 、 and white space.
func fields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

// ParseMilestones reads milestones, one a line: "YYYY-MM-DD percent text".
func ParseMilestones(s string) ([]dom.Milestone, error) {
	var out []dom.Milestone
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Fields(line)
		if len(parts) < 3 {
			return nil, i18n.Errorf("节点第 %d 行应为「日期 进度 说明」，如 2015-06-30 50 完成方案", "milestone line %d must be \"date percent text\", e.g. 2015-06-30 50 plan drafted", i+1).OnField("milestones")
		}
		if _, err := dom.ParseDate(parts[0]); err != nil {
			return nil, i18n.Errorf("节点第 %d 行的日期应为 YYYY-MM-DD：%q", "milestone line %d: the date must be YYYY-MM-DD: %q", i+1, parts[0]).OnField("milestones")
		}
		p, err := strconv.Atoi(strings.TrimSuffix(parts[1], "%"))
		if err != nil || p < 0 || p > 100 {
			return nil, i18n.Errorf("节点第 %d 行的进度应为 0–100：%q", "milestone line %d: the percent must be 0–100: %q", i+1, parts[1]).OnField("milestones")
		}
		out = append(out, dom.Milestone{Date: parts[0], Percent: p, Text: strings.Join(parts[2:], " ")})
	}
	return out, nil
}

func (h handlers) create(w http.ResponseWriter, r *http.Request) error {
	n, err := newItemOf(r.PostForm)
	if err == nil {
		var ids []int64
		ids, err = h.svc.Create(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), n)
		if err == nil {
			if len(ids) == 1 {
				return kit.Redirect(w, r, fmt.Sprintf("/supervise/items/%d?flash=saved", ids[0]))
			}
			return kit.Redirect(w, r, "/supervise?flash=saved")
		}
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderForm(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
	}
	return refuse(err)
}

type itemView struct {
	badges
	Item        *dom.Item
	Events      []dom.Event
	CanReport   bool
	CanReview   bool
	Task        plan.Task
	Lead        string
	Assist      []string
	MinDue      string
	IDs         string
	ReportedPct int
	// Targets are the linked plan targets read live from monitoring.
	Targets []reporting.TargetProgress
}

// Last is a target's latest figure, or nil.
func (itemView) Last(tp reporting.TargetProgress) *progress.Point {
	if len(tp.Series) == 0 {
		return nil
	}
	return &tp.Series[len(tp.Series)-1]
}

func (h handlers) item(w http.ResponseWriter, r *http.Request) error {
	return h.renderItem(w, r, http.StatusOK, nil)
}

func (h handlers) renderItem(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	it, err := h.svc.Item(r.Context(), viewScopes(r), id)
	if err != nil {
		return refuse(err)
	}
	evs, err := h.svc.Timeline(r.Context(), viewScopes(r), id)
	if err != nil {
		return refuse(err)
	}
	p := kit.Principal(r)
	task, _ := plan.Default().Task(it.TaskID)
	lead := it.Lead
	if d, ok := plan.LookupDepartment(it.Lead); ok {
		lead = d.Name
		if kit.Lang(r) == "en" {
			lead = d.NameEn
		}
	}
	tps, err := h.svc.TargetsOf(r.Context(), it)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "item", status, kit.View{Title: it.Title, Nav: "supervise", Errors: errs, Data: itemView{badges: badges{kit.Lang(r)},
		Item: it, Events: evs, Task: task, Lead: lead, Targets: tps,
		CanReport: p.Covers(it.UnitPath, Responsible...), CanReview: p.Covers(it.UnitPath, Offices...),
	}})
}

// stepped answers a step's outcome: back to the item, or the item page
// again with the user error.
func (h handlers) stepped(w http.ResponseWriter, r *http.Request, id int64, err error) error {
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/supervise/items/%d?flash=saved", id))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderItem(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}

// uploads reads the attached files of a multipart form.
func uploads(r *http.Request) ([]dom.Upload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []dom.Upload
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		if fh.Size > dom.MaxAttachment {
			return nil, i18n.Errorf("附件 %s 超过 %d MB", "the attachment %s is larger than %d MB", fh.Filename, dom.MaxAttachment>>20).OnField("files")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, i18n.Errorf("附件 %s 上传不完整，请重新上传", "the attachment %s did not arrive whole; upload it again", fh.Filename).OnField("files")
		}
		b, err := io.ReadAll(io.LimitReader(f, dom.MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, i18n.Errorf("附件 %s 上传不完整，请重新上传", "the attachment %s did not arrive whole; upload it again", fh.Filename).OnField("files")
		}
		out = append(out, dom.Upload{Name: fh.Filename, Data: b})
	}
	return out, nil
}

func percentOf(v string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), "%"))
	if err != nil {
		return 0, i18n.Errorf("完成进度应为 0 到 100 的整数：%q", "the percent complete must be a whole number from 0 to 100: %q", v).OnField("percent")
	}
	return p, nil
}

func (h handlers) progress(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	err = h.report(r, id, r.PostFormValue("text"), r.PostFormValue("percent"), true)
	return h.stepped(w, r, id, err)
}

func (h handlers) report(r *http.Request, id int64, text, percent string, files bool) error {
	p, err := percentOf(percent)
	if err != nil {
		return err
	}
	var ups []dom.Upload
	if files {
		if ups, err = uploads(r); err != nil {
			return err
		}
	}
	return h.svc.Report(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Responsible...), id, dom.Progress{Text: text, Percent: p, Files: ups})
}

func (h handlers) extension(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	err = h.svc.RequestExtension(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Responsible...), id, r.PostFormValue("due"), r.PostFormValue("reason"))
	return h.stepped(w, r, id, err)
}

func (h handlers) decision(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "refuse":
	default:
		return h.stepped(w, r, id, i18n.Errorf("请选择同意或不同意", "choose approve or refuse").OnField("decision"))
	}
	err = h.svc.DecideExtension(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), id, approve, r.PostFormValue("reason"))
	return h.stepped(w, r, id, err)
}

func (h handlers) ret(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, id, h.svc.Return(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), id, r.PostFormValue("reason")))
}

func (h handlers) close(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, id, h.svc.Close(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), id, r.PostFormValue("note")))
}

func (h handlers) attachment(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	at, data, err := h.svc.AttachmentData(r.Context(), viewScopes(r), id)
	if err != nil {
		return refuse(err)
	}
	w.Header().Set("Content-Type", at.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": at.Name}))
	_, err = w.Write(data)
	return err
}

type overdueView struct {
	Units     []dom.UnitOverdue
	Year      int
	ExportURL string
}

func (h handlers) overdueData(r *http.Request) ([]dom.UnitOverdue, int, error) {
	year, err := kit.FormInt(r, "year", 0)
	if err != nil {
		return nil, 0, err
	}
	units, err := h.svc.Overdue(r.Context(), viewScopes(r), year)
	return units, year, err
}

func (h handlers) overdue(w http.ResponseWriter, r *http.Request) error {
	units, year, err := h.overdueData(r)
	if err != nil {
		return err
	}
	exp := "/supervise/overdue/export"
	if year != 0 {
		exp += "?year=" + strconv.Itoa(year)
	}
	return h.k.Render(w, r, h.pages, "overdue", http.StatusOK, kit.View{Title: kit.T(r, "supervise.overdue"), Nav: "supervise",
		Data: overdueView{Units: units, Year: year, ExportURL: exp}})
}

func (h handlers) overdueExport(w http.ResponseWriter, r *http.Request) error {
	units, _, err := h.overdueData(r)
	if err != nil {
		return err
	}
	var rows [][]any
	for _, u := range units {
		for _, it := range u.Items {
			rows = append(rows, itemRow(r, it))
		}
	}
	return kit.XLSX(w, "supervision-overdue.xlsx", itemHeader(r), rows)
}

// assessmentExport is the assessment as XLSX: the published version
// when the year is published (?live=1 for the live computation), else
// the live computation.
func (h handlers) assessmentExport(w http.ResponseWriter, r *http.Request) error {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	var a *dom.Assessment
	if r.URL.Query().Get("live") != "1" {
		p, err := h.svc.Published(r.Context(), viewScopes(r), year, group)
		if err != nil {
			return err
		}
		if p != nil {
			a = p.Result
		}
	}
	if a == nil {
		if a, err = h.assessData(r); err != nil {
			return err
		}
	}
	header := []string{kit.T(r, "supervise.col.rank"), kit.T(r, "supervise.col.unit_code"), kit.T(r, "supervise.col.unit"), kit.T(r, "supervise.col.score")}
	for _, p := range a.Scheme.Parts {
		name := p.NameZh
		if kit.Lang(r) == "en" {
			name = p.NameEn
		}
		header = append(header, fmt.Sprintf("%s (%g)", name, p.Weight))
	}
	var rows [][]any
	for _, row := range a.Rows {
		out := []any{rankCell(row.Rank), row.Unit, row.UnitName, scoreCell(r, row.Score)}
		for _, p := range row.Parts {
			out = append(out, scoreCell(r, p.Score))
		}
		rows = append(rows, out)
	}
	return kit.XLSX(w, fmt.Sprintf("assessment-%d-%s.xlsx", a.Year, a.Group), header, rows)
}

func rankCell(n int) any {
	if n == 0 {
		return ""
	}
	return n
}

func scoreCell(r *http.Request, v *float64) any {
	if v == nil {
		return kit.T(r, "supervise.not_assessed")
	}
	return *v
}

func (h handlers) apiItems(w http.ResponseWriter, r *http.Request) error {
	f, err := filterOf(r)
	if err != nil {
		return err
	}
	if f.Unit != "" {
		u, err := orgunit.Get(r.Context(), h.k.DB, f.Unit)
		if err != nil {
			return i18n.Errorf("单位 %q 不存在", "no unit %q", f.Unit).OnField("unit")
		}
		if !kit.Principal(r).Covers(u.Path, auth.Roles...) {
			return kit.ErrForbidden
		}
	}
	items, err := h.svc.Items(r.Context(), f)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h handlers) apiCreate(w http.ResponseWriter, r *http.Request) error {
	var n dom.NewItem
	var err error
	if kit.IsJSON(r) {
		err = kit.DecodeJSON(r, &n)
	} else {
		n, err = newItemOf(r.PostForm)
	}
	if err != nil {
		return err
	}
	ids, err := h.svc.Create(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), n)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"ids": ids})
}

func (h handlers) apiProgress(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Text    string `json:"text"`
		Percent int    `json:"percent"`
	}
	if kit.IsJSON(r) {
		if err := kit.DecodeJSON(r, &body); err != nil {
			return err
		}
		err = h.svc.Report(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Responsible...), id, dom.Progress{Text: body.Text, Percent: body.Percent})
	} else {
		err = h.report(r, id, r.PostFormValue("text"), r.PostFormValue("percent"), false)
	}
	if err != nil {
		return refuse(err)
	}
	it, err := h.svc.Item(r.Context(), viewScopes(r), id)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, it)
}

func (h handlers) apiAssessment(w http.ResponseWriter, r *http.Request) error {
	year, err := strconv.Atoi(r.PathValue("year"))
	if err != nil {
		return kit.ErrNotFound
	}
	group := r.URL.Query().Get("group")
	if group == "" {
		group = "city"
	}
	if r.URL.Query().Get("published") == "1" {
		p, err := h.svc.Published(r.Context(), viewScopes(r), year, group)
		if err != nil {
			return err
		}
		if p == nil {
			return kit.ErrNotFound
		}
		return kit.JSON(w, http.StatusOK, p)
	}
	sc, err := h.schemesOf(r)
	if err != nil {
		return err
	}
	a, err := h.svc.Assess(r.Context(), sc, viewScopes(r), year, group)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, a)
}
