package reporting

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

// The unit picker: the caller's units as a tree that opens one level at a
// time (htmx, no code to type), a search by name within them, each unit
// a radio button "ou" shown with the county and township it lies in, so
// that the many villages called 城关村委会 can be told apart.

// pickNode is one unit the picker offers.
type pickNode struct {
	Unit     orgunit.Unit
	Where    string // county · township, when the unit lies below them
	Checked  bool
	Children template.URL // where its children come from; empty for a leaf
	Lang     string
}

// unitPicker is what the picker partial shows.
type unitPicker struct {
	Roots    []pickNode
	Selected *orgunit.Unit
	Where    string
	// Any offers a choice "all my units" (value ""), checked when nothing
	// is selected.
	Any bool
}

// pickSearchLimit bounds the search's answer.
const pickSearchLimit = 30

// childrenURL is the address of u's children in the picker.
func childrenURL(u orgunit.Unit) template.URL {
	if u.ChildCount == 0 {
		return ""
	}
	return template.URL("/reporting/units/" + url.PathEscape(u.Code))
}

// roots are the caller's units for roles: its grant units, none inside
// another, ordered by path.
func roots(ctx context.Context, db *store.DB, p *auth.Principal, roles []auth.Role) ([]orgunit.Unit, error) {
	scopes := p.Scopes(roles...)
	var codes []string
	for _, sc := range scopes {
		cs := orgunit.PathCodes(sc)
		if len(cs) > 0 {
			codes = append(codes, cs[len(cs)-1])
		}
	}
	us, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return nil, err
	}
	var out []orgunit.Unit
	for _, u := range us {
		inside := false
		for _, o := range us {
			if o.Code != u.Code && orgunit.InSubtree(u.Path, o.Path) {
				inside = true
			}
		}
		if !inside {
			out = append(out, u)
		}
	}
	sortUnits(out)
	return out, nil
}

// picker builds the picker for field ou with selected checked, rooted at
// the caller's units for roles.
func (h handlers) picker(r *http.Request, _ string, selected *orgunit.Unit, roles []auth.Role) (unitPicker, error) {
	ctx := r.Context()
	lg := kit.Lang(r)
	v := unitPicker{Selected: selected}
	rs, err := roots(ctx, h.k.DB, kit.Principal(r), roles)
	if err != nil {
		return v, err
	}
	wh, err := wheres(ctx, h.k.DB, rs, lg)
	if err != nil {
		return v, err
	}
	for _, u := range rs {
		v.Roots = append(v.Roots, pickNode{Unit: u, Where: wh[u.Code], Checked: selected != nil && selected.Code == u.Code, Children: childrenURL(u), Lang: lg})
	}
	if selected != nil {
		v.Where = whereName(ctx, h.k.DB, *selected, lg)
	}
	return v, nil
}

// wheres names, for each unit, the county and township it lies in.
func wheres(ctx context.Context, db *store.DB, us []orgunit.Unit, lg string) (map[string]string, error) {
	need := map[string]bool{}
	var codes []string
	for _, u := range us {
		for _, c := range u.Ancestors() {
			if len(c) >= 6 && !need[c] {
				need[c] = true
				codes = append(codes, c)
			}
		}
	}
	anc, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return nil, err
	}
	byCode := map[string]orgunit.Unit{}
	for _, a := range anc {
		byCode[a.Code] = a
	}
	out := map[string]string{}
	for _, u := range us {
		var parts []string
		for _, c := range u.Ancestors() {
			if a, ok := byCode[c]; ok {
				parts = append(parts, a.DisplayName(lg))
			}
		}
		out[u.Code] = strings.Join(parts, " · ")
	}
	return out, nil
}

// whereName is wheres for one unit.
func whereName(ctx context.Context, db *store.DB, u orgunit.Unit, lg string) string {
	m, err := wheres(ctx, db, []orgunit.Unit{u}, lg)
	if err != nil {
		return ""
	}
	return m[u.Code]
}

type unitsView struct {
	Nodes []pickNode
	Query string
	More  bool
}

// units: GET /reporting/units?q= — the caller's units whose name holds q
// (or whose code starts with it); GET /reporting/units/{code} — the
// children of a unit the caller holds a role over. Both answer the
// picker's list.
func (h handlers) units(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	lg := kit.Lang(r)
	p := kit.Principal(r)
	var us []orgunit.Unit
	v := unitsView{}
	if code := r.PathValue("code"); code != "" {
		u, err := orgunit.Get(ctx, h.k.DB, code)
		if err != nil {
			return err
		}
		if !p.Covers(u.Path, auth.Roles...) {
			return kit.ErrOutside
		}
		if us, err = orgunit.Children(ctx, h.k.DB, u.Code); err != nil {
			return err
		}
	} else {
		v.Query = strings.TrimSpace(r.FormValue("q"))
		if v.Query != "" {
			rs, err := roots(ctx, h.k.DB, p, auth.Roles)
			if err != nil {
				return err
			}
			for _, root := range rs {
				found, err := orgunit.Search(ctx, h.k.DB, v.Query, root.Path, pickSearchLimit+1-len(us))
				if err != nil {
					return err
				}
				us = append(us, found...)
				if len(us) > pickSearchLimit {
					break
				}
			}
			if len(us) > pickSearchLimit {
				us, v.More = us[:pickSearchLimit], true
			}
		}
	}
	wh, err := wheres(ctx, h.k.DB, us, lg)
	if err != nil {
		return err
	}
	for _, u := range us {
		v.Nodes = append(v.Nodes, pickNode{Unit: u, Where: wh[u.Code], Children: childrenURL(u), Lang: lg})
	}
	return h.k.Render(w, r, h.pages, "units", http.StatusOK, kit.View{Title: kit.T(r, "reporting.unit"), Nav: "reporting", Data: v})
}
