package publiceval

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/web/kit"
)

type casesView struct {
	Cases      []dom.Case
	State      string
	States     []string
	CanHandle  bool
	IsOffice   bool
	Now        time.Time
	Lang       string
	ExportHref string
}

// StateName names a state in the view's language.
func (v casesView) StateName(s string) string { return dom.StateNames[s].In(v.Lang) }

// LevelName names a level in the view's language.
func (v casesView) LevelName(l int) string { return dom.Levels[l].In(v.Lang) }

func (h *handlers) cases(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	v := casesView{State: stateOf(r), CanHandle: p.Has(Handlers...), IsOffice: p.Has(Offices...), Now: time.Now(), Lang: kit.Lang(r),
		States: []string{"open", dom.StateNew, dom.StateContacted, dom.StateHandling, dom.StateAppeal, dom.StateAnswered, dom.StateClosed, dom.StateExcluded}}
	if r.URL.Query().Get("state") == "" {
		v.State = "open"
	}
	if r.URL.Query().Get("state") == "all" {
		v.State = ""
	}
	v.ExportHref = "/publiceval/export"
	if v.State != "" {
		v.ExportHref += "?" + url.Values{"state": {v.State}}.Encode()
	}
	if v.CanHandle {
		cs, err := dom.Cases(r.Context(), h.k.DB, dom.CaseFilter{Scopes: p.Scopes(Handlers...), State: v.State, Limit: 200})
		if err != nil {
			return err
		}
		v.Cases = cs
	}
	return h.k.Render(w, r, h.pages, "cases", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.title"), Nav: "publiceval", Data: v})
}

func (h *handlers) casesExport(w http.ResponseWriter, r *http.Request) error {
	cs, err := dom.Cases(r.Context(), h.k.DB, dom.CaseFilter{Scopes: kit.Principal(r).Scopes(Handlers...), State: stateOf(r)})
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	head := []string{}
	for _, k := range []string{"col.case", "col.target", "col.unit", "col.level", "col.comment", "col.case_no", "col.rater", "col.phone",
		"col.state", "col.triage", "col.contact_due", "col.rectify_due", "col.answer", "col.satisfaction", "col.created"} {
		head = append(head, kit.T(r, "publiceval."+k))
	}
	rows := make([][]any, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, []any{c.ID, c.TargetName, c.OrgCode, dom.Levels[c.Level].In(lang), c.Comment, c.CaseNo, c.MaskedName, c.MaskedTel,
			dom.StateNames[c.State].In(lang), dom.TriageNames[c.Triage].In(lang), c.ContactDue.In(period.Shanghai).Format("2006-01-02 15:04"),
			c.RectifyDue, c.Answer, c.Satisfaction, c.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04")})
	}
	return kit.XLSX(w, "public-evaluation-cases.xlsx", head, rows)
}

type caseView struct {
	Case      dom.Case
	Timeline  []dom.Event
	Identity  *dom.Identity
	IsOffice  bool
	Overdue   bool
	Lang      string
	Triages   []string
	TagNames  []string
	LevelName string
	Base      string
}

// Name names a triage kind, state or level in the view's language.
func (v caseView) TriageName(k string) string { return dom.TriageNames[k].In(v.Lang) }

// StateName names a state.
func (v caseView) StateName(s string) string { return dom.StateNames[s].In(v.Lang) }

func (h *handlers) loadCase(r *http.Request) (dom.Case, error) {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return dom.Case{}, err
	}
	c, err := dom.GetCase(r.Context(), h.k.DB, id)
	if err != nil {
		return c, err
	}
	if !kit.Principal(r).Covers(c.OrgPath, Handlers...) {
		return c, kit.ErrOutside
	}
	return c, nil
}

func (h *handlers) renderCase(w http.ResponseWriter, r *http.Request, c dom.Case, who *dom.Identity, status int, errs []*i18n.Error) error {
	tl, err := dom.Timeline(r.Context(), h.k.DB, c.ID)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	v := caseView{Case: c, Timeline: tl, Identity: who, IsOffice: kit.Principal(r).Covers(c.OrgPath, Offices...), Overdue: c.Overdue(time.Now()),
		Lang: lang, Triages: []string{dom.TriageImmediate, dom.TriageDeadline, dom.TriageExplain, dom.TriageAppeal},
		LevelName: dom.Levels[c.Level].In(lang), Base: "/publiceval/cases/" + strconv.FormatInt(c.ID, 10)}
	for _, t := range c.Tags {
		v.TagNames = append(v.TagNames, dom.TagName(t, lang))
	}
	return h.k.Render(w, r, h.pages, "case", status, kit.View{Title: kit.T(r, "publiceval.case_title", c.ID), Nav: "publiceval", Data: v, Errors: errs})
}

func (h *handlers) caseView(w http.ResponseWriter, r *http.Request) error {
	c, err := h.loadCase(r)
	if err != nil {
		return err
	}
	return h.renderCase(w, r, c, nil, http.StatusOK, nil)
}

func (h *handlers) doStep(w http.ResponseWriter, r *http.Request, st dom.Step, roles []auth.Role) error {
	c, err := h.loadCase(r)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	err = h.svc.Do(r.Context(), kit.Actor(r), c.ID, st, func(path string) bool { return p.Covers(path, roles...) })
	if ue, ok := kit.UserError(err); ok {
		return h.renderCase(w, r, c, nil, http.StatusBadRequest, []*i18n.Error{ue})
	}
	if err != nil {
		return refuse(err)
	}
	return kit.Redirect(w, r, "/publiceval/cases/"+strconv.FormatInt(c.ID, 10)+"?flash=saved")
}

func (h *handlers) step(w http.ResponseWriter, r *http.Request) error {
	kind := r.PostFormValue("kind")
	if kind == "appeal" {
		return kit.ErrForbidden // office decisions go through /appeal
	}
	return h.doStep(w, r, dom.Step{Kind: kind, Choice: r.PostFormValue("choice"), Text: r.PostFormValue("text")}, Handlers)
}

func (h *handlers) appeal(w http.ResponseWriter, r *http.Request) error {
	return h.doStep(w, r, dom.Step{Kind: "appeal", Choice: r.PostFormValue("choice"), Text: r.PostFormValue("text")}, Offices)
}

func (h *handlers) identity(w http.ResponseWriter, r *http.Request) error {
	c, err := h.loadCase(r)
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	who, err := h.svc.Identity(r.Context(), kit.Actor(r), c.ID, func(path string) bool { return p.Covers(path, Handlers...) })
	if err != nil {
		return refuse(err)
	}
	return h.renderCase(w, r, c, &who, http.StatusOK, nil)
}

// ---- statistics ----

type statsView struct {
	Unit       orgunit.Unit
	Period     dom.Period
	Periods    []string
	Counts     dom.Counts
	Units      []dom.RankRow
	Targets    []dom.RankRow
	IsOffice   bool
	Months     []string
	Published  map[string]bool
	ExportHref string
	Lang       string
	Public     bool
	Channels   []dom.ChannelCount
	// VolumesHref is the case volumes page, for those who enter them.
	VolumesHref string
}

// ChannelName names a channel in the view's language.
func (v statsView) ChannelName(c string) string {
	if n, ok := dom.ChannelNames[c]; ok {
		return n.In(v.Lang)
	}
	return c
}

// Row is a ranking row's figures, formatted.
type Row struct {
	Satisfaction, BadRate, Rectify, OnTime, Callback, Active string
}

// Fmt formats the rates of c.
func (statsView) Fmt(c dom.Counts) Row {
	return Row{c.Satisfaction().String(), c.BadRate().String(), c.RectifyRate().String(), c.OnTimeRate().String(), c.CallbackRate().String(), c.ActiveRate().String()}
}

func (h *handlers) statsData(r *http.Request, u orgunit.Unit, p dom.Period) (statsView, error) {
	v := statsView{Unit: u, Period: p, Lang: kit.Lang(r), Published: map[string]bool{}}
	var err error
	if v.Counts, err = dom.Stats(r.Context(), h.k.DB, u.Path, p); err != nil {
		return v, err
	}
	if v.Units, err = dom.RankUnits(r.Context(), h.k.DB, u.Path, p); err != nil {
		return v, err
	}
	if v.Targets, err = dom.RankTargets(r.Context(), h.k.DB, u.Path, p); err != nil {
		return v, err
	}
	return v, nil
}

func (h *handlers) stats(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	p, err := periodOf(r)
	if err != nil {
		return err
	}
	v, err := h.statsData(r, u, p)
	if err != nil {
		return err
	}
	months, err := dom.Months(r.Context(), h.k.DB, u.Path)
	if err != nil {
		return err
	}
	years := map[string]bool{}
	for _, m := range months {
		if !years[m[:4]] {
			years[m[:4]] = true
			v.Periods = append(v.Periods, m[:4])
		}
	}
	v.Periods = append(v.Periods, months...)
	if len(v.Periods) == 0 || !contains(v.Periods, p.ID) {
		v.Periods = append([]string{p.ID}, v.Periods...)
	}
	v.Months = months
	v.IsOffice = kit.Principal(r).Has(Offices...)
	if kit.Principal(r).Covers(u.Path, Handlers...) {
		v.VolumesHref = "/publiceval/volumes?" + url.Values{"unit": {u.Code}, "period": {p.ID}}.Encode()
	}
	pub, err := dom.Published(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	for _, m := range pub {
		v.Published[m] = true
	}
	v.ExportHref = "/publiceval/stats/export?" + url.Values{"unit": {u.Code}, "period": {p.ID}}.Encode()
	if v.Channels, err = dom.ByChannel(r.Context(), h.k.DB, u.Path, p); err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "stats", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.stats_title"), Nav: "publiceval", Data: v})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (h *handlers) statsExport(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	p, err := periodOf(r)
	if err != nil {
		return err
	}
	v, err := h.statsData(r, u, p)
	if err != nil {
		return err
	}
	head := []string{}
	for _, k := range []string{"col.kind", "col.rank", "col.code", "col.name", "col.valid", "col.very_satisfied", "col.satisfied", "col.fairly",
		"col.dissatisfied", "col.very_dissatisfied", "col.suspicious", "col.excluded", "col.satisfaction", "col.bad_rate", "col.cases",
		"col.rectify_rate", "col.ontime_rate", "col.callback_rate", "col.handled", "col.active_rate"} {
		head = append(head, kit.T(r, "publiceval."+k))
	}
	var rows [][]any
	add := func(kind string, rr []dom.RankRow) {
		for _, x := range rr {
			c := x.Counts
			rows = append(rows, []any{kit.T(r, "publiceval."+kind), x.Rank, x.Code, x.Name, c.Valid(), c.Levels[4], c.Levels[3], c.Levels[2], c.Levels[1], c.Levels[0],
				c.Suspicious, c.Excluded, c.Satisfaction().String(), c.BadRate().String(), c.Cases, c.RectifyRate().String(), c.OnTimeRate().String(), c.CallbackRate().String(), c.Handled, c.ActiveRate().String()})
		}
	}
	add("by_unit", v.Units)
	add("by_target", v.Targets)
	return kit.XLSX(w, "public-evaluation-"+u.Code+"-"+p.ID+".xlsx", head, rows)
}

func (h *handlers) publish(w http.ResponseWriter, r *http.Request) error {
	month := strings.TrimSpace(r.PostFormValue("month"))
	if err := h.svc.Publish(r.Context(), kit.Actor(r), month); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/publiceval/stats?"+url.Values{"period": {month}, "flash": {"publiceval_published"}}.Encode())
}

type publicView struct {
	statsView
	Months []string
}

func (h *handlers) publicStats(w http.ResponseWriter, r *http.Request) error {
	pub, err := dom.Published(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	v := publicView{Months: pub}
	if len(pub) > 0 {
		m := r.URL.Query().Get("month")
		if !contains(pub, m) {
			m = pub[0]
		}
		root, err := orgunit.Get(r.Context(), h.k.DB, orgunit.Root)
		if err != nil {
			return err
		}
		p, _ := dom.ParsePeriod(m)
		if v.statsView, err = h.statsData(r, root, p); err != nil {
			return err
		}
	}
	v.Public, v.Lang = true, kit.Lang(r)
	return h.k.Render(w, r, h.pages, "public", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.public_title"), Nav: "rate", Data: v})
}

// MonthHref is the public page of month m.
func (publicView) MonthHref(m string) string {
	return "/rate/stats?" + url.Values{"month": {m}}.Encode()
}

// ---- settings and targets ----

type settingsView struct {
	Settings dom.Settings
	Origins  string
	Targets  []dom.Target
	Lang     string
	Kinds    []string
	Base     string
	IsOffice bool
}

// KindName names a kind.
func (v settingsView) KindName(k string) string { return dom.KindNames[k].In(v.Lang) }

// mobileLinks are a target's mobile rating page and QR code.
type mobileLinks struct{ Page, QR, Download string }

// Mobile gives the links of target key's mobile channel.
func (settingsView) Mobile(key string) mobileLinks {
	return mobileLinks{Page: MobilePath(key), QR: QRPath(key), Download: QRPath(key) + "?" + url.Values{"download": {"1"}}.Encode()}
}

func (h *handlers) renderSettings(w http.ResponseWriter, r *http.Request, status int, errs []*i18n.Error) error {
	set, err := dom.LoadSettings(r.Context(), h.k.DB.R)
	if err != nil {
		return err
	}
	ts, err := dom.Targets(r.Context(), h.k.DB, "", "")
	if err != nil {
		return err
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Kind != dom.KindSite && ts[j].Kind == dom.KindSite })
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	v := settingsView{Settings: set, Origins: strings.Join(set.Origins, "\n"), Targets: ts, Lang: kit.Lang(r),
		Kinds: []string{dom.KindPage, dom.KindDisclosure, dom.KindService}, Base: scheme + "://" + r.Host, IsOffice: true}
	return h.k.Render(w, r, h.pages, "settings", status, kit.View{Title: kit.T(r, "publiceval.settings"), Nav: "publiceval", Data: v, Errors: errs})
}

func (h *handlers) settings(w http.ResponseWriter, r *http.Request) error {
	return h.renderSettings(w, r, http.StatusOK, nil)
}

func (h *handlers) saveSettings(w http.ResponseWriter, r *http.Request) error {
	cd, err1 := kit.FormInt(r, "contact_days", 0)
	rd, err2 := kit.FormInt(r, "rectify_days", 0)
	err := err1
	if err == nil {
		err = err2
	}
	if err == nil {
		err = dom.SaveSettings(r.Context(), h.k.DB, kit.Actor(r), dom.Settings{ContactDays: cd, RectifyDays: rd, Origins: strings.Fields(r.PostFormValue("origins"))})
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderSettings(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/publiceval/settings?flash=saved")
}

func (h *handlers) addTarget(w http.ResponseWriter, r *http.Request) error {
	code := strings.TrimSpace(r.PostFormValue("org"))
	p := kit.Principal(r)
	if u, err := orgunit.Get(r.Context(), h.k.DB, code); err == nil && !p.Covers(u.Path, Offices...) {
		return kit.ErrOutside
	}
	_, err := dom.AddTarget(r.Context(), h.k.DB, kit.Actor(r), dom.NewTarget{Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"),
		URL: r.PostFormValue("url"), OrgCode: code}, func(path string) bool { return p.Covers(path, Offices...) })
	if ue, ok := kit.UserError(err); ok {
		return h.renderSettings(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/publiceval/settings?flash=saved")
}
