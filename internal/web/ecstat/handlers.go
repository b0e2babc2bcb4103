package ecstat

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/web/kit"
)

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

// jobs is what a schedule's reminder run is enqueued with: the process's
// job engine, or nil when it has none.
func (h handlers) jobs() dom.Enqueuer {
	if h.k.Jobs == nil {
		return nil
	}
	return h.k.Jobs
}

// refuse maps the domain's scope refusal to 403.
func refuse(err error) error {
	if errors.Is(err, dom.ErrOutside) {
		return kit.ErrForbidden
	}
	return err
}

const root = "/" + orgunit.Root + "/"

func scopes(r *http.Request, roles ...auth.Role) []string { return kit.Principal(r).Scopes(roles...) }

// coversProvince reports whether the caller is an office of the province.
func coversProvince(r *http.Request) bool { return kit.Principal(r).Covers(root, Offices...) }

func (h handlers) render(w http.ResponseWriter, r *http.Request, page string, status int, title string, data any, errs []*i18n.Error) error {
	return h.k.Render(w, r, h.pages, page, status, kit.View{Title: title, Nav: "ecstat", Data: data, Errors: errs})
}

// ---- home ----

type myForm struct {
	Survey     *dom.Survey
	Enterprise dom.Enterprise
	Done       bool
	Href       string
}

type surveyRow struct {
	*dom.Survey
	Progress dom.Progress
	Drawn    bool
}

type homeView struct {
	Surveys     []surveyRow
	MyForms     []myForm
	CanDesign   bool
	CanRegister bool
}

func (h handlers) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := kit.Principal(r)
	v := homeView{CanDesign: coversProvince(r), CanRegister: p.Has(Viewers...)}
	surveys, err := dom.Surveys(ctx, h.k.DB)
	if err != nil {
		return err
	}
	if p.Has(Viewers...) {
		sc := scopes(r, Viewers...)
		for _, s := range surveys {
			pr, err := dom.SurveyProgress(ctx, h.k.DB, s.ID, sc)
			if err != nil {
				return err
			}
			_, derr := dom.GetDesign(ctx, h.k.DB, s.ID)
			v.Surveys = append(v.Surveys, surveyRow{Survey: s, Progress: pr, Drawn: derr == nil})
		}
	}
	if p.User != nil {
		mine, err := dom.AccountEnterprises(ctx, h.k.DB, p.User.ID)
		if err != nil {
			return err
		}
		for _, e := range mine {
			for _, s := range surveys {
				f, err := dom.GetForm(ctx, h.k.DB, s, e)
				if err != nil {
					continue // not sampled in this survey
				}
				v.MyForms = append(v.MyForms, myForm{Survey: s, Enterprise: e, Done: f.Return != nil, Href: fmt.Sprintf("/ecstat/surveys/%d/forms/%d", s.ID, e.ID)})
			}
		}
	}
	return h.render(w, r, "home", http.StatusOK, kit.T(r, "ecstat.title"), v, nil)
}

// ---- register ----

type registerView struct {
	Enterprises []dom.Enterprise
	Total       int
	Query       string
	Section     string
	Sections    []dom.Section
	Demography  []dom.YearCount
	ExportURL   string
	CanImport   bool
	CanCheck    bool
	Year        int
	Result      *dom.ImportResult
}

func registerFilter(r *http.Request) dom.Filter {
	q := r.URL.Query()
	return dom.Filter{Scopes: scopes(r, Viewers...), Query: strings.TrimSpace(q.Get("q")), Section: strings.TrimSpace(q.Get("section"))}
}

func filterQuery(f dom.Filter) string {
	v := url.Values{}
	if f.Query != "" {
		v.Set("q", f.Query)
	}
	if f.Section != "" {
		v.Set("section", f.Section)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func (h handlers) register(w http.ResponseWriter, r *http.Request) error {
	return h.renderRegister(w, r, http.StatusOK, nil, nil)
}

func (h handlers) renderRegister(w http.ResponseWriter, r *http.Request, status int, res *dom.ImportResult, errs []*i18n.Error) error {
	f := registerFilter(r)
	if r.Method == http.MethodPost {
		f.Query, f.Section = "", ""
	}
	list, total, err := dom.Enterprises(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	demo, err := dom.Demography(r.Context(), h.k.DB, f.Scopes)
	if err != nil {
		return err
	}
	v := registerView{Enterprises: list, Total: total, Query: f.Query, Section: f.Section, Sections: dom.Sections, Demography: demo,
		ExportURL: "/ecstat/register/export" + filterQuery(f), CanImport: kit.Principal(r).Has(Offices...), CanCheck: coversProvince(r), Year: time.Now().In(period.Shanghai).Year(), Result: res}
	return h.render(w, r, "register", status, kit.T(r, "ecstat.register"), v, errs)
}

func sizeName(r *http.Request, s string) string { return kit.T(r, "ecstat.size."+s) }

func yesNo(r *http.Request, b bool) string {
	if b {
		return kit.T(r, "ecstat.yes")
	}
	return kit.T(r, "ecstat.no")
}

func enterpriseHeader(r *http.Request) []string {
	var out []string
	for _, k := range []string{"credit_code", "name", "industry", "section", "org_code", "size", "above_scale", "employees", "revenue", "born_year", "closed_year"} {
		out = append(out, kit.T(r, "ecstat.col."+k))
	}
	return out
}

func enterpriseRow(r *http.Request, e dom.Enterprise) []any {
	closed := ""
	if e.ClosedYear != 0 {
		closed = strconv.Itoa(e.ClosedYear)
	}
	return []any{e.CreditCode, e.Name, e.Industry, e.Section, e.OrgCode, sizeName(r, e.Size), yesNo(r, e.AboveScale), e.Employees, e.Revenue.Float(), e.BornYear, closed}
}

func (h handlers) registerExport(w http.ResponseWriter, r *http.Request) error {
	f := registerFilter(r)
	f.Limit = 500
	list, _, err := dom.Enterprises(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(list))
	for _, e := range list {
		rows = append(rows, enterpriseRow(r, e))
	}
	return kit.XLSX(w, "enterprise-register.xlsx", enterpriseHeader(r), rows)
}

func (h handlers) registerImport(w http.ResponseWriter, r *http.Request) error {
	year, err := kit.FormInt(r, "year", time.Now().In(period.Shanghai).Year())
	if err != nil {
		return h.renderRegister(w, r, http.StatusBadRequest, nil, []*i18n.Error{asUser(err)})
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return h.renderRegister(w, r, http.StatusBadRequest, nil, []*i18n.Error{i18n.Errorf("请选择要导入的 CSV 或 XLSX 文件", "choose a CSV or XLSX file to import").OnField("file")})
	}
	defer file.Close()
	res, err := dom.ImportRegister(r.Context(), h.k.DB, kit.Actor(r), hdr.Filename, file, dom.ImportOptions{Year: year, Scopes: scopes(r, Offices...),
		DryRun: r.PostFormValue("dry_run") != ""})
	if err != nil {
		return err
	}
	if !res.OK() {
		return h.renderRegister(w, r, http.StatusBadRequest, res, res.Errors)
	}
	if !res.Written {
		return h.renderRegister(w, r, http.StatusOK, res, nil)
	}
	return kit.Redirect(w, r, "/ecstat/register?flash=ecstat_imported")
}

func asUser(err error) *i18n.Error {
	if ue, ok := kit.UserError(err); ok {
		return ue
	}
	return i18n.Errorf("%v", "%v", err)
}

type enterpriseView struct {
	Enterprise dom.Enterprise
	Unit       orgunit.Unit
	Changes    []dom.Change
	CanEdit    bool
	Year       int
}

func (h handlers) enterprise(w http.ResponseWriter, r *http.Request) error {
	return h.renderEnterprise(w, r, http.StatusOK, nil)
}

func (h handlers) renderEnterprise(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	e, err := dom.GetEnterprise(r.Context(), h.k.DB, scopes(r, Viewers...), id)
	if err != nil {
		return refuse(err)
	}
	ch, err := dom.Changes(r.Context(), h.k.DB, id)
	if err != nil {
		return err
	}
	u, _ := orgunit.Get(r.Context(), h.k.DB, e.OrgCode)
	return h.render(w, r, "enterprise", status, e.Name, enterpriseView{Enterprise: e, Unit: u, Changes: ch,
		CanEdit: kit.Principal(r).Covers(e.OrgPath, Offices...), Year: time.Now().In(period.Shanghai).Year()}, errs)
}

// officeEnterprise loads enterprise {id} for an office covering it.
func (h handlers) officeEnterprise(r *http.Request) (dom.Enterprise, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return dom.Enterprise{}, err
	}
	e, err := dom.GetEnterprise(r.Context(), h.k.DB, scopes(r, Offices...), id)
	return e, refuse(err)
}

func (h handlers) closeEnterprise(w http.ResponseWriter, r *http.Request) error {
	e, err := h.officeEnterprise(r)
	if err != nil {
		return err
	}
	year, err := kit.FormInt(r, "year", 0)
	if err == nil {
		err = dom.Close(r.Context(), h.k.DB, kit.Actor(r), scopes(r, Offices...), e.ID, year)
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderEnterprise(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	if err != nil {
		return refuse(err)
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/register/%d?flash=saved", e.ID))
}

func (h handlers) link(w http.ResponseWriter, r *http.Request) error {
	e, err := h.officeEnterprise(r)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostFormValue("account"))
	u, err := auth.UserByName(r.Context(), h.k.DB, name)
	if err != nil {
		return h.renderEnterprise(w, r, http.StatusBadRequest, []*i18n.Error{i18n.Errorf("没有名为 %q 的账号", "there is no account named %q", name).OnField("account")})
	}
	if err := dom.LinkAccount(r.Context(), h.k.DB, kit.Actor(r), scopes(r, Offices...), e.ID, u.ID); err != nil {
		return refuse(err)
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/register/%d?flash=saved", e.ID))
}

// ---- surveys ----

type newView struct {
	Items    []dom.Item
	Form     url.Values
	Quarters []string
}

var quarters = []string{"1", "2", "3", "4"}

func (h handlers) newSurvey(w http.ResponseWriter, r *http.Request) error {
	return h.render(w, r, "new", http.StatusOK, kit.T(r, "ecstat.new_survey"), newView{Items: dom.DefaultItems(), Quarters: quarters,
		Form: url.Values{"period": {strconv.Itoa(time.Now().In(period.Shanghai).Year() - 1)}}}, nil)
}

// periodOf builds the survey period from the new-survey form: the year,
// and for a quarterly survey its quarter ("2025Q1").
func periodOf(v url.Values) string {
	p := strings.TrimSpace(v.Get("period"))
	if v.Get("frequency") == "quarterly" && len(p) == 4 {
		p += "Q" + v.Get("quarter")
	}
	return p
}

func (h handlers) createSurvey(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	id, err := dom.CreateSurvey(r.Context(), h.k.DB, kit.Actor(r), dom.NewSurvey{Name: r.PostFormValue("name"), Period: periodOf(r.PostForm)})
	if ue, ok := kit.UserError(err); ok {
		return h.render(w, r, "new", http.StatusBadRequest, kit.T(r, "ecstat.new_survey"), newView{Items: dom.DefaultItems(), Form: r.PostForm, Quarters: quarters}, []*i18n.Error{ue})
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d?flash=saved", id))
}

func (h handlers) loadSurvey(r *http.Request) (*dom.Survey, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return dom.GetSurvey(r.Context(), h.k.DB, id)
}

type surveyView struct {
	Survey    *dom.Survey
	Design    *dom.Design
	Progress  dom.Progress
	CanDraw   bool
	CanRead   bool
	Form      url.Values
	Certainty int
	TakeSome  int
}

func (h handlers) survey(w http.ResponseWriter, r *http.Request) error {
	return h.renderSurvey(w, r, http.StatusOK, nil, nil)
}

func randomSeed() string {
	var b [4]byte
	rand.Read(b[:])
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])), 10)
}

func (h handlers) renderSurvey(w http.ResponseWriter, r *http.Request, status int, form url.Values, errs []*i18n.Error) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	v := surveyView{Survey: s, CanDraw: coversProvince(r), CanRead: kit.Principal(r).Has(Readers...), Form: form}
	if d, err := dom.GetDesign(r.Context(), h.k.DB, s.ID); err == nil {
		v.Design = d
		v.Certainty = d.Certainty
		v.TakeSome = d.SampleSize - d.Certainty
	}
	if v.Form == nil {
		v.Form = url.Values{"method": {dom.Neyman}, "cv": {"0.05"}, "seed": {randomSeed()}}
	}
	v.Progress, err = dom.SurveyProgress(r.Context(), h.k.DB, s.ID, scopes(r, Viewers...))
	if err != nil {
		return err
	}
	return h.render(w, r, "survey", status, s.Name, v, errs)
}

// specOf reads a design request from form values.
func specOf(v url.Values) (dom.DesignSpec, *i18n.Error) {
	spec := dom.DesignSpec{Method: v.Get("method")}
	if s := strings.TrimSpace(v.Get("n")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return spec, i18n.Errorf("样本量应为整数：%q", "the sample size must be a whole number: %q", s).OnField("n")
		}
		spec.N = n
	}
	cv := strings.TrimSpace(v.Get("cv"))
	if cv == "" {
		cv = strings.TrimSpace(v.Get("cv_target"))
	}
	if cv != "" {
		c, err := strconv.ParseFloat(strings.TrimSuffix(cv, "%"), 64)
		if err != nil {
			return spec, i18n.Errorf("目标变异系数应为数字，如 0.05：%q", "the target CV must be a number such as 0.05: %q", cv).OnField("cv")
		}
		if strings.HasSuffix(cv, "%") {
			c /= 100
		}
		spec.CV = c
	}
	if spec.N > 0 && v.Get("cv") == "" {
		spec.CV = 0
	}
	seed, err := strconv.ParseUint(strings.TrimSpace(v.Get("seed")), 10, 63)
	if err != nil {
		return spec, i18n.Errorf("随机数种子应为非负整数：%q", "the seed must be a whole number of at least 0: %q", v.Get("seed")).OnField("seed")
	}
	spec.Seed = seed
	if k := strings.TrimSpace(v.Get("keep")); k != "" {
		x, err := strconv.ParseFloat(strings.TrimSuffix(k, "%"), 64)
		if err != nil {
			return spec, i18n.Errorf("保留上期样本的比例应为数字，如 0.5 或 50%%：%q", "the share of last period's sample kept must be a number such as 0.5 or 50%%: %q", k).OnField("keep")
		}
		if strings.HasSuffix(k, "%") {
			x /= 100
		}
		spec.Keep = x
	}
	return spec, nil
}

func (h handlers) draw(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	spec, ue := specOf(r.PostForm)
	if ue == nil {
		_, err = dom.Draw(r.Context(), h.k.DB, kit.Actor(r), s, spec)
		if err == nil {
			return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d?flash=ecstat_drawn", s.ID))
		}
		var ok bool
		if ue, ok = kit.UserError(err); !ok {
			return err
		}
	}
	return h.renderSurvey(w, r, http.StatusBadRequest, r.PostForm, []*i18n.Error{ue})
}

func selectedHeader(r *http.Request) []string {
	out := enterpriseHeader(r)
	for _, k := range []string{"stratum", "weight", "certainty"} {
		out = append(out, kit.T(r, "ecstat.col."+k))
	}
	return out
}

func selectedRow(r *http.Request, s dom.Selected) []any {
	return append(enterpriseRow(r, s.Enterprise), s.Stratum, s.Weight, yesNo(r, s.Certainty))
}

func (h handlers) sampleExport(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	list, err := dom.Sample(r.Context(), h.k.DB, s.ID, scopes(r, Viewers...), 0)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(list))
	for _, x := range list {
		rows = append(rows, selectedRow(r, x))
	}
	return kit.XLSX(w, fmt.Sprintf("sample-%d.xlsx", s.Year), selectedHeader(r), rows)
}

type nonView struct {
	Survey    *dom.Survey
	List      []nonRow
	Total     int
	ExportURL string
	// CanBatch offers the upload of several enterprises' returns at once.
	CanBatch bool
	BatchURL string
	Items    []dom.Item
}

type nonRow struct {
	dom.Selected
	FillHref    string
	StratumText string
	Reminded    []dom.Reminded
}

// stratumText says a design stratum's key (section|city|size[|C]) in
// words: the industry section, the size class and whether it is taken
// whole; the city is the row's own unit.
func stratumText(r *http.Request, key string) string {
	parts := strings.Split(key, "|")
	if len(parts) < 3 {
		return key
	}
	s := kit.T(r, "ecstat.stratum.section", parts[0]) + " · " + kit.T(r, "ecstat.size."+parts[2])
	if len(parts) > 3 && parts[3] == "C" {
		s += " · " + kit.T(r, "ecstat.stratum.certainty")
	}
	return s
}

// maxShown bounds the rows a page lists; the export has them all.
const maxShown = 500

func (h handlers) nonrespondents(w http.ResponseWriter, r *http.Request) error {
	return h.renderNonrespondents(w, r, http.StatusOK, nil)
}

func (h handlers) renderNonrespondents(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	list, err := dom.Nonrespondents(r.Context(), h.k.DB, s.ID, scopes(r, Viewers...))
	if err != nil {
		return err
	}
	reminded, err := dom.Reminders(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	v := nonView{Survey: s, Total: len(list), ExportURL: fmt.Sprintf("/ecstat/surveys/%d/nonrespondents/export", s.ID),
		CanBatch: p.Has(auth.Reporter, auth.Office, auth.Admin), BatchURL: fmt.Sprintf("/ecstat/surveys/%d/responses/import", s.ID), Items: s.Items}
	for i, x := range list {
		if i >= maxShown {
			break
		}
		row := nonRow{Selected: x, StratumText: stratumText(r, x.Stratum), Reminded: reminded[x.ID]}
		if p.Covers(x.OrgPath, auth.Reporter, auth.Office, auth.Admin) {
			row.FillHref = fmt.Sprintf("/ecstat/surveys/%d/forms/%d", s.ID, x.ID)
		}
		v.List = append(v.List, row)
	}
	return h.render(w, r, "nonrespondents", status, kit.T(r, "ecstat.nonrespondents"), v, errs)
}

// batchResponses stores the returns of several enterprises from an
// uploaded CSV or XLSX file (credit_code, item, value, reason), all or
// nothing, for county staff and offices filling in on the enterprises'
// behalf: one enterprise outside the caller's units refuses the file,
// any other problem lists every row's errors and stores nothing.
func (h handlers) batchResponses(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return h.renderNonrespondents(w, r, http.StatusBadRequest, []*i18n.Error{i18n.Errorf("请选择要上传的 CSV 或 XLSX 文件", "choose a CSV or XLSX file to upload").OnField("file")})
	}
	defer file.Close()
	lines, err := dom.ReadResponses(hdr.Filename, file)
	if err == nil {
		_, err = dom.SubmitLines(r.Context(), h.k.DB, kit.Actor(r), s, lines, func(e dom.Enterprise) (bool, error) {
			_, _, behalf, err := h.access(r, s, e.ID)
			return behalf, err
		})
	}
	var errs i18n.Errors
	if errors.As(err, &errs) {
		return h.renderNonrespondents(w, r, http.StatusBadRequest, errs)
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderNonrespondents(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d/nonrespondents?flash=ecstat_batch_saved", s.ID))
}

func (h handlers) nonrespondentsExport(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	list, err := dom.Nonrespondents(r.Context(), h.k.DB, s.ID, scopes(r, Viewers...))
	if err != nil {
		return err
	}
	reminded, err := dom.Reminders(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(list))
	for _, x := range list {
		rows = append(rows, append(selectedRow(r, x), remindedText(r, reminded[x.ID])))
	}
	return kit.XLSX(w, fmt.Sprintf("nonrespondents-%s.xlsx", s.Period()), append(selectedHeader(r), kit.T(r, "ecstat.col.reminded")), rows)
}

// ---- forms ----

// formAccess loads survey {id} and enterprise {eid} for a caller who may
// answer for it: its linked account, or county staff and offices covering
// its unit (on its behalf).
func (h handlers) formAccess(r *http.Request) (*dom.Survey, dom.Enterprise, bool, error) {
	s, err := h.loadSurvey(r)
	if err != nil {
		return nil, dom.Enterprise{}, false, err
	}
	eid, err := kit.PathID(r, "eid")
	if err != nil {
		return nil, dom.Enterprise{}, false, err
	}
	return h.access(r, s, eid)
}

func (h handlers) access(r *http.Request, s *dom.Survey, eid int64) (*dom.Survey, dom.Enterprise, bool, error) {
	e, err := dom.GetEnterprise(r.Context(), h.k.DB, []string{root}, eid)
	if err != nil {
		return nil, e, false, err
	}
	p := kit.Principal(r)
	if p.Covers(e.OrgPath, auth.Reporter, auth.Office, auth.Admin) {
		return s, e, true, nil
	}
	if p.User != nil && p.Has(auth.Enterprise) {
		own, err := dom.IsAccountOf(r.Context(), h.k.DB, p.User.ID, e.ID)
		if err != nil {
			return nil, e, false, err
		}
		if own {
			return s, e, false, nil
		}
	}
	return nil, e, false, kit.ErrForbidden
}

type formView struct {
	Form          *dom.Form
	Values        map[string]string
	OnBehalf      bool
	Action        string
	Errs          map[string]bool
	Warnings      []dom.Warning
	Reasons       map[int]string
	Confirmations []dom.Confirmation
}

// Warned reports whether warning no is shown for a reason.
func (v formView) Warned(no int) bool {
	for _, w := range v.Warnings {
		if w.No == no {
			return true
		}
	}
	return false
}

func (h handlers) form(w http.ResponseWriter, r *http.Request) error {
	s, e, behalf, err := h.formAccess(r)
	if err != nil {
		return err
	}
	f, err := dom.GetForm(r.Context(), h.k.DB, s, e)
	if err != nil {
		return err
	}
	return h.renderForm(w, r, http.StatusOK, f, f.Values, behalf, nil, nil, nil)
}

func (h handlers) renderForm(w http.ResponseWriter, r *http.Request, status int, f *dom.Form, vals map[string]string, behalf bool, errs []*i18n.Error, warns []dom.Warning, reasons map[int]string) error {
	v := formView{Form: f, Values: vals, OnBehalf: behalf, Action: fmt.Sprintf("/ecstat/surveys/%d/forms/%d", f.Survey.ID, f.Enterprise.ID), Errs: map[string]bool{},
		Warnings: warns, Reasons: reasons}
	for _, e := range errs {
		v.Errs[e.Field] = true
	}
	for _, w := range warns {
		v.Errs[w.Err.Field] = true
	}
	if f.Return != nil {
		cs, err := dom.Confirmations(r.Context(), h.k.DB, f.Survey.ID, f.Enterprise.ID)
		if err != nil {
			return err
		}
		v.Confirmations = cs
		if v.Reasons == nil {
			v.Reasons = map[int]string{}
			for _, c := range cs {
				v.Reasons[c.No] = c.Reason
			}
		}
	}
	return h.render(w, r, "form", status, f.Survey.Name+" · "+f.Survey.PeriodText(kit.Lang(r)), v, errs)
}

// formReasons reads the reasons given for warnings (reason_N, N the
// edit's index).
func formReasons(s *dom.Survey, v url.Values) map[int]string {
	out := map[int]string{}
	for i := range s.Edits {
		if x := strings.TrimSpace(v.Get("reason_" + strconv.Itoa(i))); x != "" {
			out[i] = x
		}
	}
	return out
}

func formValues(s *dom.Survey, v url.Values) map[string]string {
	out := map[string]string{}
	for _, it := range s.Items {
		out[it.Code] = strings.TrimSpace(v.Get(it.Code))
	}
	return out
}

func (h handlers) submit(w http.ResponseWriter, r *http.Request) error {
	s, e, behalf, err := h.formAccess(r)
	if err != nil {
		return err
	}
	vals := formValues(s, r.PostForm)
	reasons := formReasons(s, r.PostForm)
	err = dom.SubmitConfirmed(r.Context(), h.k.DB, kit.Actor(r), s, e, vals, reasons, behalf)
	var fe *dom.FormError
	if errors.As(err, &fe) {
		f, ferr := dom.GetForm(r.Context(), h.k.DB, s, e)
		if ferr != nil {
			return ferr
		}
		return h.renderForm(w, r, http.StatusBadRequest, f, vals, behalf, fe.Errors, fe.Warnings, reasons)
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d/forms/%d?flash=ecstat_submitted", s.ID, e.ID))
}

// ---- results ----

type choice struct {
	Value, Label string
	Selected     bool
}

type resultsView struct {
	Res          *dom.Results
	Design       *dom.Design
	Items        []choice
	Bys          []choice
	Estimators   []choice
	ExportURL    string
	CanPublish   bool
	Publications []dom.Publication
	// Plan comparison for e-commerce turnover.
	Targets   []plan.TargetValue
	Published *float64
	PlanName  string
	Lang      string
	// The cells of this page, the pager, the chart and the PDF.
	Cells  []dom.Cell
	Pager  pager
	Chart  map[string]any
	PDFURL string
}

// markView is a cell's precision mark with the page's language.
type markView struct{ Mark, Reason, Lang string }

// Mark returns the mark of c for the "mark" template.
func (v resultsView) Mark(c dom.Cell) markView { return markView{c.Mark, c.Reason, v.Lang} }

func resultsQuery(r *http.Request) (item, by, est string) {
	q := r.URL.Query()
	item, by, est = q.Get("item"), q.Get("by"), q.Get("estimator")
	if item == "" {
		item = "ECOM_TURNOVER"
	}
	if by == "" {
		by = dom.ByCity
	}
	if est == "" {
		est = dom.Ratio
	}
	return
}

func (h handlers) estimate(r *http.Request, s *dom.Survey, item, by, est string) (*dom.Results, error) {
	res, err := dom.Estimate(r.Context(), h.k.DB, s, item, by, est)
	if err != nil {
		return nil, err
	}
	if err := res.Filter(r.Context(), h.k.DB, scopes(r, Readers...)); err != nil {
		return nil, err
	}
	return res, nil
}

func (h handlers) results(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	item, by, est := resultsQuery(r)
	res, err := h.estimate(r, s, item, by, est)
	if err != nil {
		return err
	}
	d, err := dom.GetDesign(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	v := resultsView{Res: res, Design: d, CanPublish: coversProvince(r) && !s.Quarterly(), Lang: lang}
	for _, it := range s.Targets() {
		v.Items = append(v.Items, choice{it.Code, it.DisplayName(lang), it.Code == res.Target.Code})
	}
	for _, b := range []string{dom.ByCity, dom.ByCounty, dom.BySection, dom.ByCountySection} {
		v.Bys = append(v.Bys, choice{b, kit.T(r, "ecstat.by."+b), b == res.By})
	}
	for _, e := range []string{dom.Ratio, dom.HT} {
		v.Estimators = append(v.Estimators, choice{e, kit.T(r, "ecstat.estimator."+e), e == res.Estimator})
	}
	q := url.Values{"item": {res.Target.Code}, "by": {res.By}, "estimator": {res.Estimator}}
	v.ExportURL = fmt.Sprintf("/ecstat/surveys/%d/results/export?", s.ID) + q.Encode()
	v.PDFURL = fmt.Sprintf("/ecstat/surveys/%d/results.pdf?", s.ID) + url.Values{"item": {res.Target.Code}, "estimator": {res.Estimator}}.Encode()
	v.Cells, v.Pager = pageOf(r, res.Cells, q, fmt.Sprintf("/ecstat/surveys/%d/results", s.ID))
	v.Chart = resultsChart(r, res, v.Cells)
	if v.Publications, err = dom.Publications(r.Context(), h.k.DB, s.ID); err != nil {
		return err
	}
	if res.Target.Code == "ECOM_TURNOVER" {
		if t, ok := plan.Default().Target(dom.PlanEcomElement); ok {
			v.Targets = t.Values
			v.PlanName = t.NameZh
			if strings.HasPrefix(lang, "en") {
				v.PlanName = t.NameEn
			}
		}
		a, err := monitor.Analytics(r.Context(), h.k.DB, monitor.Query{DX: []string{dom.PlanEcomElement}, PE: []string{strconv.Itoa(s.Year)}, OU: []string{orgunit.Root}})
		if err == nil {
			if x, ok := a.Get(dom.PlanEcomElement, strconv.Itoa(s.Year), orgunit.Root); ok {
				v.Published = &x
			}
		}
	}
	return h.render(w, r, "results", http.StatusOK, kit.T(r, "ecstat.results")+" · "+s.Name, v, nil)
}

func markText(r *http.Request, c dom.Cell) string {
	switch {
	case c.Mark == "suppressed":
		return kit.T(r, "ecstat.mark.suppressed_"+c.Reason)
	case c.Mark == "caution":
		return kit.T(r, "ecstat.mark.caution")
	}
	return ""
}

func (h handlers) resultsExport(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	item, by, est := resultsQuery(r)
	res, err := h.estimate(r, s, item, by, est)
	if err != nil {
		return err
	}
	var head []string
	for _, k := range []string{"domain_code", "domain", "total", "se", "cv", "ci_low", "ci_high", "respondents", "mark"} {
		head = append(head, kit.T(r, "ecstat.col."+k))
	}
	row := func(c dom.Cell) []any {
		if c.Mark == "suppressed" {
			return []any{c.Code, c.DisplayName(kit.Lang(r)), "", "", "", "", "", c.Respondents, markText(r, c)}
		}
		return []any{c.Code, c.DisplayName(kit.Lang(r)), round(c.Total), round(c.SE), round(100 * c.CV), round(c.Low), round(c.High), c.Respondents, markText(r, c)}
	}
	rows := [][]any{row(res.Province)}
	for _, c := range res.Cells {
		rows = append(rows, row(c))
	}
	return kit.XLSX(w, fmt.Sprintf("estimates-%d-%s-%s.xlsx", s.Year, res.Target.Code, res.By), head, rows)
}

func round(v float64) float64 { return float64(int64(v*100+0.5*sign(v))) / 100 }

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

func (h handlers) publish(w http.ResponseWriter, r *http.Request) error {
	if !coversProvince(r) {
		return kit.ErrForbidden
	}
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	est := r.PostFormValue("estimator")
	if _, err := dom.Publish(r.Context(), h.k.DB, kit.Actor(r), s, est); err != nil {
		return err
	}
	return kit.Redirect(w, r, fmt.Sprintf("/ecstat/surveys/%d/results?flash=ecstat_published", s.ID))
}
