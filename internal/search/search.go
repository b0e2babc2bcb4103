// Package search finds, for the search box in every page's header, the
// org units (with the path above them), plan targets, monitoring
// indicators and data elements, evaluated websites and accounts whose
// code or name holds a query — each kind only as far as the caller may
// see it, and each bounded to a few results.
package search

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/store"
	"zhihui/internal/webcheck"
)

// PerKind is how many results of one kind are returned at most.
const PerKind = 10

// MaxQuery is the longest query, in characters; longer ones are cut.
const MaxQuery = 50

// The kinds of result, in the order they are shown.
const (
	Units      = "units"
	Targets    = "targets"
	Indicators = "indicators"
	Elements   = "elements"
	Sites      = "sites"
	Users      = "users"
)

// Hit is one result: what it is called, a line saying where or what it
// is, and the path of its page.
type Hit struct {
	Title string
	Meta  string
	Link  string
}

// Group is the results of one kind; More says there were more than
// PerKind.
type Group struct {
	Kind string
	Hits []Hit
	More bool
}

// Result is a search's answer.
type Result struct {
	Query  string
	Groups []Group // only kinds with results
}

// Total is how many results the groups hold.
func (r Result) Total() int {
	n := 0
	for _, g := range r.Groups {
		n += len(g.Hits)
	}
	return n
}

// Clean is the query as searched: trimmed and cut to MaxQuery characters.
func Clean(q string) string {
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > MaxQuery {
		q = string([]rune(q)[:MaxQuery])
	}
	return strings.TrimSpace(q)
}

// Search finds what holds q for p, in lang. Units, targets, indicators,
// data elements are for every account (as their pages are); sites for
// those whose units the site belongs to; accounts for administrators,
// within the units they administer.
func Search(ctx context.Context, db *store.DB, p *auth.Principal, q, lang string) (Result, error) {
	res := Result{Query: Clean(q)}
	if res.Query == "" || !p.Authenticated() {
		return res, nil
	}
	q = res.Query
	lq := strings.ToLower(q)
	add := func(kind string, hits []Hit) {
		if len(hits) == 0 {
			return
		}
		g := Group{Kind: kind, Hits: hits}
		if len(hits) > PerKind {
			g.Hits, g.More = hits[:PerKind], true
		}
		res.Groups = append(res.Groups, g)
	}

	// Units, with the path above each.
	us, err := orgunit.Search(ctx, db, q, "/", PerKind+1)
	if err != nil {
		return res, fmt.Errorf("search: units: %w", err)
	}
	var anc []string
	for _, u := range us {
		anc = append(anc, u.Ancestors()...)
	}
	ancs, err := orgunit.GetMany(ctx, db, anc)
	if err != nil {
		return res, fmt.Errorf("search: units: %w", err)
	}
	names := map[string]string{}
	for _, a := range ancs {
		names[a.Code] = a.DisplayName(lang)
	}
	var hits []Hit
	for _, u := range us {
		var path []string
		for _, c := range u.Ancestors() {
			if n, ok := names[c]; ok {
				path = append(path, n)
			}
		}
		hits = append(hits, Hit{Title: u.DisplayName(lang), Meta: strings.Join(path, " › "), Link: "/orgunits/" + url.PathEscape(u.Code)})
	}
	add(Units, hits)

	// Targets of the plan.
	hits = nil
	for _, t := range plan.Default().Targets() {
		if holds(lq, t.Code, t.NameZh, t.NameEn) {
			name := t.NameZh
			if lang == "en" && t.NameEn != "" {
				name = t.NameEn
			}
			hits = append(hits, Hit{Title: name, Meta: t.Section, Link: "/plan/targets/" + url.PathEscape(t.Code)})
		}
	}
	add(Targets, hits)

	// Indicators and data elements: their analytics.
	inds, err := monitor.Indicators(ctx, db)
	if err != nil {
		return res, fmt.Errorf("search: indicators: %w", err)
	}
	hits = nil
	for _, i := range inds {
		if holds(lq, i.Code, i.Name, i.NameEn) {
			hits = append(hits, Hit{Title: i.DisplayName(lang), Meta: meta(i.Code, i.Unit), Link: analytics(i.Code)})
		}
	}
	add(Indicators, hits)
	els, err := monitor.Elements(ctx, db)
	if err != nil {
		return res, fmt.Errorf("search: elements: %w", err)
	}
	hits = nil
	for _, e := range els {
		if holds(lq, e.Code, e.Name, e.NameEn) {
			hits = append(hits, Hit{Title: e.DisplayName(lang), Meta: meta(e.Code, e.Unit), Link: analytics(e.Code)})
		}
	}
	add(Elements, hits)

	// Websites of the caller's units.
	sites, err := webcheck.ListSites(ctx, db, webcheck.SiteFilter{Scopes: p.Scopes(auth.Roles...), Query: q, Limit: PerKind + 1})
	if err != nil {
		return res, fmt.Errorf("search: sites: %w", err)
	}
	hits = nil
	for _, s := range sites {
		hits = append(hits, Hit{Title: s.Name, Meta: s.URL, Link: fmt.Sprintf("/webcheck/sites/%d", s.ID)})
	}
	add(Sites, hits)

	// Accounts, for administrators.
	if p.Has(auth.Admin) {
		users, err := auth.SearchUsers(ctx, db, q, p.Scopes(auth.Admin), PerKind+1)
		if err != nil {
			return res, fmt.Errorf("search: users: %w", err)
		}
		hits = nil
		for _, u := range users {
			title := u.DisplayName
			if title == "" {
				title = u.Name
			}
			hits = append(hits, Hit{Title: title, Meta: u.Name, Link: fmt.Sprintf("/admin/users/%d", u.ID)})
		}
		add(Users, hits)
	}
	return res, nil
}

// holds reports whether one of texts holds lq (lower case).
func holds(lq string, texts ...string) bool {
	for _, t := range texts {
		if t != "" && strings.Contains(strings.ToLower(t), lq) {
			return true
		}
	}
	return false
}

func meta(code, unit string) string {
	if unit == "" {
		return code
	}
	return code + " · " + unit
}

// analytics is the address of the analytics of data dx by city over the
// last five years.
func analytics(dx string) string {
	return "/monitor?" + url.Values{"dx": {dx}, "pe": {"LAST_5_YEARS"}, "ou": {"41;CHILDREN"}}.Encode()
}
