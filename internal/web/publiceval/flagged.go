package publiceval

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/web/kit"
)

const flaggedPage = 100

type flaggedView struct {
	IsOffice   bool
	Items      []dom.Flagged
	Total      int
	Flag       string
	Review     string
	Period     string
	Flags      []string
	Reviews    []string
	Lang       string
	ExportHref string
	NextHref   string
	PrevHref   string
}

// FlagName names a flag in the view's language.
func (v flaggedView) FlagName(f string) string { return dom.FlagNames[f].In(v.Lang) }

// ReviewName names a review in the view's language.
func (v flaggedView) ReviewName(r string) string { return dom.ReviewNames[r].In(v.Lang) }

// LevelName names a level in the view's language.
func (v flaggedView) LevelName(l int) string { return dom.Levels[l].In(v.Lang) }

// ReviewValue is a review as a form value ("pending" for not yet).
func (v flaggedView) ReviewValue(r string) string {
	if r == dom.ReviewPending {
		return "pending"
	}
	return r
}

// flagFilter reads the list's filters from the query.
func flagFilter(r *http.Request) (dom.FlagFilter, url.Values, error) {
	q := r.URL.Query()
	f := dom.FlagFilter{Scopes: kit.Principal(r).Scopes(Offices...)}
	keep := url.Values{}
	if fl := q.Get("flag"); dom.FlagNames[fl].Zh != "" {
		f.Flag = fl
		keep.Set("flag", fl)
	}
	switch rv := q.Get("review"); rv {
	case "all", dom.ReviewReleased, dom.ReviewAbuse:
		f.Review = rv
		keep.Set("review", rv)
	}
	if ps := strings.TrimSpace(q.Get("period")); ps != "" {
		p, err := dom.ParsePeriod(ps)
		if err != nil {
			return f, keep, err
		}
		f.Period = &p
		keep.Set("period", p.ID)
	}
	return f, keep, nil
}

func (h *handlers) flagged(w http.ResponseWriter, r *http.Request) error {
	f, keep, err := flagFilter(r)
	v := flaggedView{IsOffice: true, Lang: kit.Lang(r), Flag: f.Flag, Review: f.Review,
		Flags: []string{dom.FlagHoneypot, dom.FlagIP, dom.FlagNetwork, dom.FlagDevice, dom.FlagPhone, dom.FlagOrigin}}
	var errs []*i18n.Error
	if err != nil {
		ue, ok := kit.UserError(err)
		if !ok {
			return err
		}
		errs = append(errs, ue)
	}
	if f.Period != nil {
		v.Period = f.Period.ID
	}
	off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	off = max(0, off)
	f.Limit, f.Offset = flaggedPage, off
	v.Items, v.Total, err = dom.FlaggedRatings(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	v.ExportHref = "/publiceval/flagged/export"
	if len(keep) > 0 {
		v.ExportHref += "?" + keep.Encode()
	}
	page := func(o int) string {
		q := url.Values{}
		for k, x := range keep {
			q[k] = x
		}
		q.Set("offset", strconv.Itoa(o))
		return "/publiceval/flagged?" + q.Encode()
	}
	if off+flaggedPage < v.Total {
		v.NextHref = page(off + flaggedPage)
	}
	if off > 0 {
		v.PrevHref = page(max(0, off-flaggedPage))
	}
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	}
	return h.k.Render(w, r, h.pages, "flagged", status, kit.View{Title: kit.T(r, "publiceval.flagged"), Nav: "publiceval", Data: v, Errors: errs})
}

func (h *handlers) flaggedExport(w http.ResponseWriter, r *http.Request) error {
	f, _, err := flagFilter(r)
	if err != nil {
		return err
	}
	items, _, err := dom.FlaggedRatings(r.Context(), h.k.DB, f)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	head := []string{}
	for _, k := range []string{"col.rating", "col.created", "col.target", "col.unit", "col.level", "col.comment", "col.channel", "col.network", "col.flags", "col.review", "col.case"} {
		head = append(head, kit.T(r, "publiceval."+k))
	}
	rows := make([][]any, 0, len(items))
	for _, x := range items {
		var names []string
		for _, fl := range x.Flags {
			names = append(names, dom.FlagNames[fl].In(lang))
		}
		caseID := ""
		if x.CaseID != 0 {
			caseID = strconv.FormatInt(x.CaseID, 10)
		}
		rows = append(rows, []any{x.ID, x.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04"), x.Target, x.OrgCode, dom.Levels[x.Level].In(lang),
			x.Comment, x.Channel, x.Network, strings.Join(names, "；"), dom.ReviewNames[x.Review].In(lang), caseID})
	}
	return kit.XLSX(w, "public-evaluation-flagged.xlsx", head, rows)
}

func (h *handlers) review(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	p := kit.Principal(r)
	err = h.svc.Review(r.Context(), kit.Actor(r), id, r.PostFormValue("decision"), r.PostFormValue("reason"), func(path string) bool { return p.Covers(path, Offices...) })
	if errors.Is(err, dom.ErrOutside) {
		return kit.ErrOutside
	}
	if err != nil {
		return err
	}
	return kit.Redirect(w, r, "/publiceval/flagged?flash=publiceval_reviewed")
}
