package web

import (
	"net/http"
	"strconv"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
)

type orgunitView struct {
	Unit      orgunit.Unit
	Ancestors []orgunit.Unit
	Children  []orgunit.Unit
	Groups    []orgunit.Group
	Members   []orgunit.Unit // for a group page: not used yet
	Kind      i18n.Text
	Counts    []levelCount
	Query     string
	Results   []orgunit.Unit
}

type levelCount struct {
	Kind  i18n.Text
	Count int
}

// orgunitIndex is the tree's root page, and the search page with ?q=.
func (s *Server) orgunitIndex(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if q == "" {
		http.Redirect(w, r, "/orgunits/"+orgunit.Root, http.StatusSeeOther)
		return nil
	}
	res, err := orgunit.Search(r.Context(), s.db, q, "", 100)
	if err != nil {
		return err
	}
	pg := s.page(r, "orgunits", orgunitView{Query: q, Results: res})
	pg.Title = i18n.T(pg.Lang, "orgunit.search")
	s.render(w, r, "orgunit_search", http.StatusOK, pg)
	return nil
}

func (s *Server) loadUnitView(r *http.Request, code string) (*orgunitView, error) {
	ctx := r.Context()
	u, err := orgunit.Get(ctx, s.db, code)
	if err != nil {
		return nil, err
	}
	v := &orgunitView{Unit: u, Kind: orgunit.KindNames[u.Kind]}
	if v.Ancestors, err = orgunit.GetMany(ctx, s.db, u.Ancestors()); err != nil {
		return nil, err
	}
	sortByPath(v.Ancestors)
	if v.Children, err = orgunit.Children(ctx, s.db, code); err != nil {
		return nil, err
	}
	if v.Groups, err = orgunit.GroupsOf(ctx, s.db, code); err != nil {
		return nil, err
	}
	// Units below by kind: provincial departments are counted apart from
	// the cities beside which they sit.
	for _, kind := range []string{orgunit.City, orgunit.Department, orgunit.County, orgunit.Township, orgunit.Village} {
		if u.Kind == orgunit.Department || orgunit.LevelOf[kind] <= u.Level {
			continue
		}
		n, err := orgunit.CountKind(ctx, s.db, u.Path, kind)
		if err != nil {
			return nil, err
		}
		if n == 0 && kind == orgunit.Department {
			continue
		}
		v.Counts = append(v.Counts, levelCount{Kind: orgunit.KindNames[kind], Count: n})
	}
	return v, nil
}

func sortByPath(us []orgunit.Unit) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && us[j].Path < us[j-1].Path; j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}

func (s *Server) orgunitPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.loadUnitView(r, r.PathValue("code"))
	if err != nil {
		return err // orgunit.ErrNotFound answers 404
	}
	pg := s.page(r, "orgunits", v)
	pg.Title = v.Unit.DisplayName(pg.Lang)
	s.render(w, r, "orgunit", http.StatusOK, pg)
	return nil
}

// orgunitChildren renders one expanded level of the tree, for htmx.
func (s *Server) orgunitChildren(w http.ResponseWriter, r *http.Request) error {
	kids, err := orgunit.Children(r.Context(), s.db, r.PathValue("code"))
	if err != nil {
		return err
	}
	pg := s.page(r, "orgunits", kids)
	s.render(w, r, "orgunit_children", http.StatusOK, pg)
	return nil
}

// apiOrgunit: GET /api/v1/orgunits/{code}
func (s *Server) apiOrgunit(w http.ResponseWriter, r *http.Request) error {
	u, err := orgunit.Get(r.Context(), s.db, r.PathValue("code"))
	if err != nil {
		return err // orgunit.ErrNotFound answers 404
	}
	groups, err := orgunit.GroupsOf(r.Context(), s.db, u.Code)
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(groups))
	for _, g := range groups {
		codes = append(codes, g.Code)
	}
	writeJSON(w, http.StatusOK, struct {
		orgunit.Unit
		Ancestors []string `json:"ancestors"`
		Groups    []string `json:"groups"`
	}{u, nonNil(u.Ancestors()), codes})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// apiOrgunits: GET /api/v1/orgunits?parent=CODE | ?q=TEXT[&within=CODE][&limit=N]
func (s *Server) apiOrgunits(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ctx := r.Context()
	var (
		units []orgunit.Unit
		err   error
	)
	switch {
	case q.Get("parent") != "":
		units, err = orgunit.Children(ctx, s.db, q.Get("parent"))
	case q.Get("q") != "":
		within := ""
		if c := q.Get("within"); c != "" {
			u, gerr := orgunit.Get(ctx, s.db, c)
			if gerr != nil {
				return i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", c).OnField("within")
			}
			within = u.Path
		}
		limit, _ := strconv.Atoi(q.Get("limit"))
		units, err = orgunit.Search(ctx, s.db, q.Get("q"), within, limit)
	default:
		return i18n.Errorf("需要 parent 或 q 参数", "give a parent or q parameter")
	}
	if err != nil {
		return err
	}
	if units == nil {
		units = []orgunit.Unit{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgunits": units, "count": len(units)})
	return nil
}
