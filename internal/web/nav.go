package web

import "zhihui/internal/auth"

// navItem is one entry of the main navigation. Roles empty means any
// logged-in user; Public means visitors see it too.
type navItem struct {
	Key    string // nav key pages set to mark the current entry
	Href   string
	Label  string // catalogue key
	Roles  []auth.Role
	Public bool
}

var navItems = []navItem{
	{Key: "home", Href: "/", Label: "nav.home", Public: true},
	{Key: "dashboard", Href: "/dashboard", Label: "nav.dashboard"},
	{Key: "reporting", Href: "/reporting", Label: "nav.reporting", Roles: []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Admin}},
	{Key: "public", Href: "/public", Label: "nav.public", Public: true},
	{Key: "plan", Href: "/plan", Label: "nav.plan"},
	{Key: "monitor", Href: "/monitor", Label: "nav.monitor"},
	{Key: "orgunits", Href: "/orgunits/41", Label: "nav.orgunits"},
	{Key: "webcheck", Href: "/webcheck", Label: "nav.webcheck"},
	{Key: "evaluate", Href: "/evaluate", Label: "evaluate.nav", Roles: evaluateRoles},
	{Key: "admin", Href: "/admin/users", Label: "nav.admin", Roles: []auth.Role{auth.Admin}},
}

func menu(p *auth.Principal) []navItem {
	var out []navItem
	for _, n := range navItems {
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
