package calls

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/store"
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
		return kit.ErrOutside
	}
	return err
}

func scopes(r *http.Request, roles []auth.Role) []string { return kit.Principal(r).Scopes(roles...) }

// account is the caller's user name, which links it to its pool entry.
func account(r *http.Request) string {
	if p := kit.Principal(r); p.Authenticated() {
		return p.User.Name
	}
	return ""
}

type listView struct {
	Calls     []*dom.Call
	CanOpen   bool
	Today     string
	Remaining map[int64]int
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) error {
	cs, err := h.svc.Calls(r.Context(), scopes(r, Viewers))
	if err != nil {
		return err
	}
	v := listView{Calls: cs, CanOpen: kit.Principal(r).Has(Offices...), Today: h.svc.Today(), Remaining: map[int64]int{}}
	for _, c := range cs {
		v.Remaining[c.ID] = remaining(h.svc.Today(), c.Deadline)
	}
	return h.k.Render(w, r, h.pages, "list", http.StatusOK, kit.View{Title: kit.T(r, "calls.title"), Nav: "calls", Data: v})
}

// remaining counts the working days from today up to and including the
// deadline (0 once it has passed).
func remaining(today, deadline string) int {
	a, err1 := calendar.ParseDate(today)
	b, err2 := calendar.ParseDate(deadline)
	if err1 != nil || err2 != nil || b.Before(a) {
		return 0
	}
	n := calendar.Default().WorkingDaysBetween(a, b)
	if calendar.Default().IsWorkingDay(a) {
		n++
	}
	return n
}

type newView struct {
	Form       url.Values
	Kinds      []string
	Levels     []string
	Categories []string
	Fields     []string
	Home       string
}

func (h handlers) newForm(w http.ResponseWriter, r *http.Request) error {
	return h.renderNew(w, r, http.StatusOK, url.Values{"panel_size": {"5"}, "criteria": {"应用成效 40\n创新性 30\n示范推广价值 30"}}, nil)
}

func (h handlers) renderNew(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	if form.Get("org") == "" {
		form.Set("org", kit.Principal(r).Home())
	}
	return h.k.Render(w, r, h.pages, "new", status, kit.View{Title: kit.T(r, "calls.new"), Nav: "calls", Errors: errs, Data: newView{
		Form: form, Kinds: dom.CallKinds, Levels: dom.Levels, Categories: dom.Categories, Fields: dom.Fields}})
}

func (h handlers) create(w http.ResponseWriter, r *http.Request) error {
	v := r.PostForm
	size, err := strconv.Atoi(strings.TrimSpace(v.Get("panel_size")))
	if err != nil {
		err = i18n.Errorf("评审专家人数应为 3 至 15 的整数", "the panel size must be a whole number from 3 to 15").OnField("panel_size")
	} else {
		var id int64
		id, err = h.svc.OpenCall(r.Context(), kit.Actor(r), scopes(r, Offices), dom.NewCall{Kind: v.Get("kind"), Title: v.Get("title"), Description: v.Get("description"),
			Org: v.Get("org"), Levels: v["levels"], Categories: v["categories"], Deadline: v.Get("deadline"), Criteria: v.Get("criteria"), Field: v.Get("field"), PanelSize: size})
		if err == nil {
			return kit.Redirect(w, r, fmt.Sprintf("/calls/%d?flash=saved", id))
		}
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderNew(w, r, http.StatusBadRequest, v, []*i18n.Error{ue})
	}
	return refuse(err)
}

// appView is an application with the eligibility rule's reading.
type appView struct {
	*dom.Application
	RuleOK   bool
	RuleText i18n.Text
}

type showView struct {
	C            *dom.Call
	Remaining    int
	Accepting    bool
	CanManage    bool
	CanApply     bool
	Apps         []appView
	Seats        []dom.CallSeat
	Reproduces   bool
	Excluded     []dom.Exclusion
	Ranking      []dom.Ranked
	Unchecked    int
	AllScored    bool
	Projects     []*dom.Project
	Form         url.Values
	ExportURL    string
	ResultURL    string
	EligibleApps int
	// Expired says the call is still open but its deadline has passed
	// (the job closes it soon).
	Expired   bool
	Recusals  []dom.Recusal
	AppTitles map[int64]string
}

func (h handlers) callOf(r *http.Request) (*dom.Call, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	c, err := h.svc.CallFor(r.Context(), scopes(r, Viewers), id)
	return c, refuse(err)
}

func (h handlers) show(w http.ResponseWriter, r *http.Request) error {
	return h.renderShow(w, r, http.StatusOK, url.Values{}, nil)
}

func (h handlers) renderShow(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	ctx := r.Context()
	c, err := h.callOf(r)
	if err != nil {
		return err
	}
	pr := kit.Principal(r)
	today := h.svc.Today()
	v := showView{C: c, Remaining: remaining(today, c.Deadline), Accepting: c.Accepting(today), CanManage: pr.Covers(c.OrgPath, Offices...), Form: form,
		ExportURL: fmt.Sprintf("/calls/%d/export", c.ID), ResultURL: dom.ResultLink(c.ID)}
	v.CanApply = v.Accepting && pr.Has(Applicants...)
	v.Expired = c.Status == dom.CallOpen && !v.Accepting
	if form.Get("unit") == "" {
		form.Set("unit", pr.Home())
	}
	var appScopes []string // the office sees every application, units their own
	if !v.CanManage {
		appScopes = scopes(r, Viewers)
	}
	apps, err := h.svc.Applications(ctx, appScopes, c.ID)
	if err != nil {
		return err
	}
	for _, x := range apps {
		ok, why := dom.Eligible(c, x)
		v.Apps = append(v.Apps, appView{Application: x, RuleOK: ok, RuleText: why})
		if x.Status == dom.AppSubmitted {
			v.Unchecked++
		}
		if x.Status == dom.AppEligible {
			v.EligibleApps++
		}
	}
	if v.CanApply {
		ps, _, err := h.svc.List(ctx, dom.Filter{Scopes: scopes(r, Applicants), PerPage: 200})
		if err != nil {
			return err
		}
		v.Projects = ps
	}
	if v.CanManage && c.DrawnAt != nil {
		if v.Seats, err = h.svc.CallSeats(ctx, c.ID); err != nil {
			return err
		}
		v.Reproduces = c.Reproduces(v.Seats)
		if v.Excluded, err = h.svc.Exclusions(ctx, "call", c.ID); err != nil {
			return err
		}
		if v.Ranking, err = h.svc.Ranking(ctx, c.ID); err != nil {
			return err
		}
		v.AllScored = true
		for _, st := range v.Seats {
			v.AllScored = v.AllScored && st.Done(len(v.Ranking))
		}
		if v.Recusals, err = h.svc.Recusals(ctx, c.ID); err != nil {
			return err
		}
		v.AppTitles = map[int64]string{}
		for _, x := range apps {
			v.AppTitles[x.ID] = x.Title
		}
	} else if c.Status == dom.CallPublished {
		if v.Ranking, err = h.svc.Ranking(ctx, c.ID); err != nil {
			return err
		}
		for i := range v.Ranking {
			v.Ranking[i].Scores = nil // no expert's score leaves the office
		}
	}
	return h.k.Render(w, r, h.pages, "call", status, kit.View{Title: c.Title, Nav: "calls", Errors: errs, Data: v})
}

// stepped answers a step on the call: back to its page, or the page again
// with the user error.
func (h handlers) stepped(w http.ResponseWriter, r *http.Request, err error) error {
	if err == nil {
		return kit.Redirect(w, r, "/calls/"+r.PathValue("id")+"?flash=saved")
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderShow(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) export(w http.ResponseWriter, r *http.Request) error {
	c, err := h.callOf(r)
	if err != nil {
		return err
	}
	if !kit.Principal(r).Covers(c.OrgPath, Offices...) {
		return kit.ErrOutside
	}
	apps, err := h.svc.Applications(r.Context(), nil, c.ID)
	if err != nil {
		return err
	}
	rs, err := h.svc.Ranking(r.Context(), c.ID)
	if err != nil {
		return err
	}
	byApp := map[int64]dom.Ranked{}
	for _, x := range rs {
		byApp[x.Application.ID] = x
	}
	var header []string
	recs, err := h.svc.Recusals(r.Context(), c.ID)
	if err != nil {
		return err
	}
	recused := map[int64]int{}
	for _, x := range recs {
		recused[x.ApplicationID]++
	}
	for _, k := range []string{"rank", "title", "unit", "unit_code", "project", "status", "note", "score", "mean_all", "n_scores", "recusals", "applied_at"} {
		header = append(header, kit.T(r, "calls.col."+k))
	}
	rows := make([][]any, 0, len(apps))
	add := func(x *dom.Application, rank any, score, all string, n int) {
		rows = append(rows, []any{rank, x.Title, x.UnitName, x.Unit, x.ProjectNumber, kit.T(r, "calls.app_status."+x.Status), x.CheckNote, score, all, n,
			recused[x.ID], x.CreatedAt.In(calendar.Shanghai).Format("2006-01-02 15:04")})
	}
	// The ranking first, in its order; the other applications after it.
	for _, x := range rs {
		var rank any = x.Rank
		if x.Rank == 0 {
			rank = "" // nobody could score it
		}
		add(x.Application, rank, x.Score.String(), x.All.String(), len(x.Scores))
	}
	for _, x := range apps {
		if _, ok := byApp[x.ID]; !ok {
			add(x, "", "", "", 0)
		}
	}
	return kit.XLSX(w, fmt.Sprintf("call-%d.xlsx", c.ID), header, rows)
}

func (h handlers) apply(w http.ResponseWriter, r *http.Request) error {
	c, err := h.callOf(r)
	if err != nil {
		return err
	}
	na, form, err := applicationOf(r)
	if err == nil {
		_, err = h.svc.Apply(r.Context(), kit.Actor(r), scopes(r, Applicants), c.ID, na)
	}
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d?flash=applied", c.ID))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderShow(w, r, http.StatusBadRequest, form, []*i18n.Error{ue})
	}
	return refuse(err)
}

// applicationOf reads an application from the form of r (multipart when
// it carries a document), with the form's values to show again.
func applicationOf(r *http.Request) (dom.NewApplication, url.Values, error) {
	v := r.PostForm
	if r.MultipartForm != nil {
		v = r.MultipartForm.Value
	}
	form := url.Values{}
	for k, x := range v {
		form[k] = x
	}
	na := dom.NewApplication{Unit: strings.TrimSpace(form.Get("unit")), Title: form.Get("title"), Body: form.Get("body")}
	if p := strings.TrimSpace(form.Get("project")); p != "" {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return na, form, i18n.Errorf("请选择本单位的项目", "choose a project of the unit").OnField("project")
		}
		na.ProjectID = id
	}
	var err error
	if kit.HasUpload(r, "file") {
		na.DocName, na.Doc, err = kit.Upload(r, "file", dom.MaxAppDocument)
	}
	return na, form, err
}

func (h handlers) close(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, h.svc.CloseCall(r.Context(), kit.Actor(r), scopes(r, Offices), id))
}

func (h handlers) draw(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, h.svc.DrawCallPanel(r.Context(), kit.Actor(r), scopes(r, Offices), id, nil))
}

func (h handlers) publish(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.stepped(w, r, h.svc.Publish(r.Context(), kit.Actor(r), scopes(r, Offices), id, r.PostFormValue("note")))
}

type appPageView struct {
	C         *dom.Call
	A         appView
	CanCheck  bool
	ShowRank  bool
	Rank      *dom.Ranked
	DocURL    string
	ProjectOK bool // the caller may open the project's page
}

// appOf reads the call and application of the path; the application must
// belong to the call.
func (h handlers) appOf(r *http.Request) (*dom.Application, *dom.Call, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	aid, err := kit.PathID(r, "app")
	if err != nil {
		return nil, nil, err
	}
	x, c, err := h.svc.GetApplication(r.Context(), scopes(r, Viewers), aid)
	if err != nil {
		return nil, nil, refuse(err)
	}
	if c.ID != id {
		return nil, nil, fmt.Errorf("calls: application %d of call %d: %w", aid, id, store.ErrNotFound)
	}
	return x, c, nil
}

func (h handlers) application(w http.ResponseWriter, r *http.Request) error {
	return h.renderApplication(w, r, http.StatusOK, nil)
}

func (h handlers) renderApplication(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	x, c, err := h.appOf(r)
	if err != nil {
		return err
	}
	pr := kit.Principal(r)
	ok, why := dom.Eligible(c, x)
	v := appPageView{C: c, A: appView{Application: x, RuleOK: ok, RuleText: why}, CanCheck: pr.Covers(c.OrgPath, Offices...) && (c.Status == dom.CallOpen || c.Status == dom.CallClosed),
		ProjectOK: x.ProjectID != 0 && pr.Covers(x.UnitPath, Viewers...)}
	if x.Document != nil {
		v.DocURL = fmt.Sprintf("/calls/%d/applications/%d/document", c.ID, x.ID)
	}
	if c.Status == dom.CallPublished && x.Status == dom.AppEligible {
		rs, err := h.svc.Ranking(r.Context(), c.ID)
		if err != nil {
			return err
		}
		for i := range rs {
			if rs[i].Application.ID == x.ID {
				rk := rs[i]
				rk.Scores = nil
				v.Rank, v.ShowRank = &rk, true
			}
		}
	}
	return h.k.Render(w, r, h.pages, "application", status, kit.View{Title: x.Title, Nav: "calls", Errors: errs, Data: v})
}

func (h handlers) document(w http.ResponseWriter, r *http.Request) error {
	x, _, err := h.appOf(r)
	if err != nil {
		return err
	}
	if x.Document == nil {
		return kit.ErrNotFound
	}
	d, data, err := h.svc.AppDocumentData(r.Context(), scopes(r, Viewers), x.Document.ID)
	if err != nil {
		return refuse(err)
	}
	return sendFile(w, d, data)
}

func sendFile(w http.ResponseWriter, d *dom.AppDocument, data []byte) error {
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	_, err := w.Write(data)
	return err
}

func (h handlers) check(w http.ResponseWriter, r *http.Request) error {
	x, c, err := h.appOf(r)
	if err != nil {
		return err
	}
	if !kit.Principal(r).Covers(c.OrgPath, Offices...) {
		return kit.ErrOutside
	}
	d := r.PostFormValue("decision")
	if d != "eligible" && d != "ineligible" {
		err = i18n.Errorf("请选择是否符合申报条件", "choose whether the application is eligible").OnField("decision")
	} else {
		err = h.svc.CheckApplication(r.Context(), kit.Actor(r), scopes(r, Offices), x.ID, d == "eligible", r.PostFormValue("note"))
	}
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/calls/%d?flash=saved", c.ID))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderApplication(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}
