package web

import (
	"sort"

	"zhihui/internal/auth"
	"zhihui/internal/module"
)

// navItem is one entry of the main navigation. Roles empty means any
// logged-in user; Public means visitors see it too.
type navItem struct {
	Key    string // nav key pages set to mark the current entry
	Href   string
	Label  string // catalogue key
	Roles  []auth.Role
	Public bool
	order  int
}

// coreNav are the core's menu entries; modules add theirs (module.Nav)
// between them by Order.
func coreNav() []navItem {
	return []navItem{
		{Key: "home", Href: "/", Label: "nav.home", Public: true, order: 10},
		{Key: "dashboard", Href: "/dashboard", Label: "nav.dashboard", order: 20},
		{Key: "public", Href: "/public", Label: "nav.public", Public: true, order: 40},
		{Key: "orgunits", Href: "/orgunits/41", Label: "nav.orgunits", order: 70},
		{Key: "admin", Href: "/admin/users", Label: "nav.admin", Roles: []auth.Role{auth.Admin}, order: 1000},
	}
}

func navFromModule(ns []module.Nav) []navItem {
	out := make([]navItem, len(ns))
	for i, n := range ns {
		out[i] = navItem{Key: n.Key, Href: n.Href, Label: n.Label, Roles: n.Roles, Public: n.Public, order: n.Order}
	}
	return out
}

func sortNav(ns []navItem) {
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].order < ns[j].order })
}

// menu is the entries p may see.
func (s *Server) menu(p *auth.Principal) []navItem {
	var out []navItem
	for _, n := range s.nav {
		switch {
		case n.Public:
		case !p.Authenticated():
			continue
		case len(n.Roles) > 0 && !p.Has(n.Roles...):
			continue
		}
		out = append(out, n)
	}
	return out
}
