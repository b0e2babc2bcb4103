package supervise

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	dom "zhihui/internal/supervise"
	"zhihui/internal/web/kit"
)

// Appellants file appeals (申诉) against their unit's published score.
var Appellants = []auth.Role{auth.Reporter, auth.Approver}

// root is the province's subtree: publishing and the final decision are
// the provincial office's.
const root = "/" + orgunit.Root + "/"

type assessView struct {
	A         *dom.Assessment // the live computation
	Pub       *dom.Publication
	Versions  []dom.Publication
	Appeals   []dom.Appeal
	Adjust    []dom.Adjustment
	Years     []int
	Groups    []string
	ExportURL string
	PDFURL    string
	Query     string // year and group, for the forms' hidden fields
	// What the caller may do here.
	CanPublish  bool
	CanAdjust   bool
	AppealUnits []orgunit.Unit // units the caller may appeal for, while the window is open
	Units       []orgunit.Unit // the group's units the office may adjust
	AppealDays  int
	Errors      []*i18n.Error
	Form        url.Values
	Lang        string
}

// scoreTable is one assessment's table on the page.
type scoreTable struct {
	Lang string
	A    *dom.Assessment
}

// Table hands a to the "scores" template.
func (v assessView) Table(a *dom.Assessment) scoreTable { return scoreTable{Lang: v.Lang, A: a} }

// Open reports whether the published version still takes appeals.
func (v assessView) Open() bool { return v.Pub != nil && v.Pub.State == dom.PubAppeal }

// yearGroup reads ?year= (default this year) and ?group= (default city)
// from the query or the posted form.
func (h handlers) yearGroup(r *http.Request) (int, string, error) {
	def := h.svc.Today().Year()
	if strings.TrimSpace(r.FormValue("year")) == "" {
		var err error
		if def, err = h.svc.LatestYear(r.Context()); err != nil {
			return 0, "", err
		}
	}
	year, err := kit.FormInt(r, "year", def)
	if err != nil {
		return 0, "", err
	}
	if year < 2000 || year > 2100 {
		return 0, "", i18n.Errorf("年度 %d 无效", "the year %d is not valid", year).OnField("year")
	}
	group := r.FormValue("group")
	if group == "" {
		group = "city"
	}
	if _, ok := dom.Groups[group]; !ok {
		return 0, "", i18n.Errorf("考核组应为 city、county 或 department：%q", "the group must be city, county or department: %q", group).OnField("group")
	}
	return year, group, nil
}

func (h handlers) assessData(r *http.Request) (*dom.Assessment, error) {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return nil, err
	}
	sc, err := h.schemesOf(r)
	if err != nil {
		return nil, err
	}
	return h.svc.Assess(r.Context(), sc, viewScopes(r), year, group)
}

func assessURL(path string, year int, group string) string {
	return path + "?" + url.Values{"year": {strconv.Itoa(year)}, "group": {group}}.Encode()
}

func (h handlers) assessment(w http.ResponseWriter, r *http.Request) error {
	return h.renderAssessment(w, r, http.StatusOK, nil)
}

func (h handlers) renderAssessment(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	ctx := r.Context()
	a, err := h.assessData(r)
	if err != nil {
		return err
	}
	v := assessView{A: a, Groups: []string{"city", "county", "department"}, AppealDays: dom.DefaultAppealDays, Errors: errs, Lang: kit.Lang(r)}
	if errs != nil {
		v.Form = r.PostForm
	}
	for y := h.svc.Today().Year(); y >= 2014; y-- {
		v.Years = append(v.Years, y)
	}
	v.ExportURL = assessURL("/supervise/assessment/export", a.Year, a.Group)
	v.PDFURL = assessURL("/supervise/assessment/notice.pdf", a.Year, a.Group)
	scopes := viewScopes(r)
	if v.Pub, err = h.svc.Published(ctx, scopes, a.Year, a.Group); err != nil {
		return err
	}
	if v.Versions, err = h.svc.Versions(ctx, a.Year, a.Group); err != nil {
		return err
	}
	if v.Appeals, err = h.svc.Appeals(ctx, scopes, a.Year, a.Group); err != nil {
		return err
	}
	if v.Adjust, err = h.svc.Adjustments(ctx, scopes, a.Year, a.Group); err != nil {
		return err
	}
	p := kit.Principal(r)
	final := v.Pub != nil && v.Pub.State == dom.PubFinal
	v.CanPublish = p.Covers(root, Offices...) && !final
	v.CanAdjust = p.Has(Offices...) && !final
	if v.CanAdjust {
		for _, row := range a.Rows {
			v.Units = append(v.Units, orgunit.Unit{Code: row.Unit, Name: row.UnitName})
		}
	}
	if v.Pub != nil && !final && dom.FormatDate(h.svc.Today()) <= v.Pub.AppealUntil {
		if v.AppealUnits, err = h.appealUnits(r, a.Group); err != nil {
			return err
		}
	}
	return h.k.Render(w, r, h.pages, "assessment", status, kit.View{Title: kit.T(r, "supervise.assessment"), Nav: "supervise", Data: v})
}

// appealUnits are the units of group in the caller's subtrees where they
// hold an appellant role.
func (h handlers) appealUnits(r *http.Request, group string) ([]orgunit.Unit, error) {
	kind := dom.Groups[group]
	seen := map[string]bool{}
	var out []orgunit.Unit
	for _, s := range kit.Principal(r).Scopes(Appellants...) {
		parts := strings.Split(strings.Trim(s, "/"), "/")
		self, err := orgunit.Get(r.Context(), h.k.DB, parts[len(parts)-1])
		if err != nil {
			return nil, err
		}
		cands := []orgunit.Unit{self}
		if self.Level < orgunit.LevelOf[kind] {
			kids, err := orgunit.Descendants(r.Context(), h.k.DB, self.Path, orgunit.LevelOf[kind], 500)
			if err != nil {
				return nil, err
			}
			cands = append(cands, kids...)
		}
		for _, u := range cands {
			if u.Kind == kind && !seen[u.Code] {
				seen[u.Code] = true
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// assessed answers an assessment form: back to the page with a flash, or
// the page again with the form's error.
func (h handlers) assessed(w http.ResponseWriter, r *http.Request, year int, group, flash string, err error) error {
	if err == nil {
		return kit.Redirect(w, r, assessURL("/supervise/assessment", year, group)+"&flash="+flash)
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderAssessment(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}

func (h handlers) publish(w http.ResponseWriter, r *http.Request) error {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	if !kit.Principal(r).Covers(root, Offices...) {
		return kit.ErrForbidden
	}
	days, err := kit.FormInt(r, "appeal_days", dom.DefaultAppealDays)
	if err != nil {
		return err
	}
	sc, err := h.schemesOf(r)
	if err != nil {
		return err
	}
	_, err = h.svc.Publish(r.Context(), kit.Actor(r), sc, year, group, days)
	return h.assessed(w, r, year, group, "assessment_published", err)
}

func (h handlers) finalize(w http.ResponseWriter, r *http.Request) error {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	if !kit.Principal(r).Covers(root, Offices...) {
		return kit.ErrForbidden
	}
	return h.assessed(w, r, year, group, "assessment_finalized", h.svc.Finalize(r.Context(), kit.Actor(r), year, group))
}

func points(r *http.Request) (float64, error) {
	s := strings.TrimSpace(r.PostFormValue("points"))
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, i18n.Errorf("分值应为数字：%q", "the points must be a number: %q", s).OnField("points")
	}
	return v, nil
}

func (h handlers) adjust(w http.ResponseWriter, r *http.Request) error {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	pts, err := points(r)
	if err == nil {
		_, err = h.svc.Adjust(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), year, group,
			r.PostFormValue("unit"), pts, r.PostFormValue("reason"), r.PostFormValue("evidence"))
	}
	return h.assessed(w, r, year, group, "saved", err)
}

func (h handlers) appeal(w http.ResponseWriter, r *http.Request) error {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	_, err = h.svc.FileAppeal(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Appellants...), year, group,
		r.PostFormValue("unit"), r.PostFormValue("text"))
	return h.assessed(w, r, year, group, "appeal_filed", err)
}

func (h handlers) decideAppeal(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	pts, err := points(r)
	if err == nil {
		err = h.svc.DecideAppeal(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), id,
			r.PostFormValue("decision") == "uphold", r.PostFormValue("reason"), pts)
	}
	return h.assessed(w, r, year, group, "saved", err)
}

// notice is the assessment notice (通报) as PDF: the published version
// when there is one, else the live computation marked unpublished.
func (h handlers) notice(w http.ResponseWriter, r *http.Request) error {
	year, group, err := h.yearGroup(r)
	if err != nil {
		return err
	}
	scopes := viewScopes(r)
	pub, err := h.svc.Published(r.Context(), scopes, year, group)
	if err != nil {
		return err
	}
	a := (*dom.Assessment)(nil)
	if pub != nil {
		a = pub.Result
	} else if sc, serr := h.schemesOf(r); serr != nil {
		return serr
	} else if a, err = h.svc.Assess(r.Context(), sc, scopes, year, group); err != nil {
		return err
	}
	adj, err := h.svc.Adjustments(r.Context(), scopes, year, group)
	if err != nil {
		return err
	}
	if pub != nil {
		// Only what the published version counted.
		var in []dom.Adjustment
		for _, x := range adj {
			if !x.At.After(pub.PublishedAt) {
				in = append(in, x)
			}
		}
		adj = in
	}
	var buf bytes.Buffer
	if err := dom.NoticePDF(&buf, a, pub, adj); err != nil {
		return fmt.Errorf("supervise: notice: %w", err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="assessment-%d-%s.pdf"`, year, group))
	_, err = w.Write(buf.Bytes())
	return err
}
