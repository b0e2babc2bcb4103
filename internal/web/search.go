package web

import (
	"html/template"
	"net/http"

	"zhihui/internal/i18n"
	"zhihui/internal/search"
)

// searchView is the search page: the query and the results by kind, with
// their links as addresses built in Go.
type searchView struct {
	Query  string
	Groups []searchGroup
	Total  int
	Limit  int
	Max    int
}

type searchGroup struct {
	Kind string
	More bool
	Hits []searchHit
}

type searchHit struct {
	Title, Meta string
	Link        template.URL
}

// searchPage: GET /search?q= — the header's search box: units (with the
// path above them), targets, indicators and data elements, sites and,
// for administrators, accounts; each kind as far as the caller may see
// it, a few results each, grouped with links. A plain form, no script.
func (s *Server) searchPage(w http.ResponseWriter, r *http.Request) error {
	res, err := search.Search(r.Context(), s.db, principal(r), r.URL.Query().Get("q"), lang(r))
	if err != nil {
		return err
	}
	v := searchView{Query: res.Query, Total: res.Total(), Limit: search.PerKind, Max: search.MaxQuery}
	for _, g := range res.Groups {
		sg := searchGroup{Kind: g.Kind, More: g.More}
		for _, h := range g.Hits {
			sg.Hits = append(sg.Hits, searchHit{Title: h.Title, Meta: h.Meta, Link: template.URL(h.Link)})
		}
		v.Groups = append(v.Groups, sg)
	}
	pg := s.page(r, "search", v)
	pg.Title = i18n.T(pg.Lang, "search.title")
	s.render(w, r, "search", http.StatusOK, pg)
	return nil
}
