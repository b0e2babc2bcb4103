// Package module is the contract every Zhihui feature fulfils: one
// [Module] value carries the feature's tables, its bootstrap and demo
// loaders, its routes (registered through package kit), its navigation
// entries, its catalogue messages, its API documentation and its rows of
// the authorization matrix. internal/app lists the modules once
// (app.Modules); schemas, start-up loading, the route table, the menu, the
// OpenAPI document and the matrix test's "every route has a case" check
// are all derived from that list.
//
// A module value is usually built by the feature's web package
// (internal/web/<feature>), which may import both the domain package
// (internal/<feature>) and package kit; the domain package itself never
// imports web code.
package module

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/cli"
	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

// Module is one feature.
type Module struct {
	// Name is the feature's short lower-case name ("monitor", "supervise");
	// it names its catalogue source and must be unique.
	Name string
	// Schemas are the feature's tables, in dependency order; they are
	// migrated after the schemas of the modules listed before it.
	Schemas []store.Schema
	// Bootstrap loads what every installation needs (catalogues, built-in
	// rows). It runs at every start, so it adds only what is missing.
	Bootstrap func(ctx context.Context, db *store.DB) error
	// LoadDemo loads the feature's demo data when the installation runs
	// with --demo; it must be idempotent. DemoInBackground runs it after
	// the server has started (its errors are logged).
	LoadDemo         func(ctx context.Context, db *store.DB) error
	DemoInBackground bool

	// Routes returns the feature's routes; k gives it the store, the
	// logger and rendering. It is called once when the server is built:
	// parse templates there, so that a broken template fails the start.
	Routes func(k *kit.Kit) ([]kit.Route, error)
	// Nav are the feature's entries in the main menu.
	Nav []Nav
	// Catalog holds catalogue files "*.json" ({"key": {"zh": …, "en": …}})
	// at its root; keys must not collide with other modules' keys.
	Catalog fs.FS
	// API documents API routes for the OpenAPI document: pattern → summary.
	API map[string]string
	// Pages are paths of the module's pages that the accessibility test
	// visits (as an administrator at 41, at 1366×768 and 390×844) after
	// the core's pages; list every page a user can reach, with query
	// values where a page shows more with them.
	Pages []string

	// Authz are the feature's rows of the authorization matrix, one per
	// route at least; AuthzSetup creates the objects they refer to, once
	// per caller, before that caller's requests.
	Authz      []AuthzCase
	AuthzSetup func(ctx context.Context, db *store.DB, f *Fixture) error

	// Jobs registers the feature's background work with the job engine:
	// its workers and periodic jobs. Every process that works jobs (serve
	// and worker) calls it, so that any of them can run any job.
	Jobs func(r *jobs.Registry, env JobEnv)

	// Commands are the feature's `zhihui` subcommands (package cli):
	// cmd/zhihui offers them next to its own; names are unique.
	Commands []cli.Command
}

// JobEnv is what a module's jobs are built with.
type JobEnv struct {
	DB  *store.DB
	Log *slog.Logger
	// Demo is set when the installation runs with demo data.
	Demo bool
	// AllowPrivate lets crawlers and probes reach private addresses.
	AllowPrivate bool
	// ProbeInterval is how often every website is probed (0: never).
	ProbeInterval time.Duration
	// Crawl tunes website inspection crawls: Lease is how long a crawl
	// is held without a heartbeat before another process may take it over
	// (default 1 minute); AxeScript and AxeLocale, when set, run the
	// accessibility checks in Chromium.
	Crawl CrawlEnv
	// Mail sends e-mail through the configured SMTP server (nil: none
	// configured, nothing is mailed); BaseURL is where users reach
	// Zhihui, for links in e-mail.
	Mail    *notify.Mailer
	BaseURL string
	// Notify is the application's notifications (App.Notify): every job's
	// context carries it for notify.Send; the mail and digest jobs use it.
	Notify *notify.Service
}

// CrawlEnv tunes website inspection crawls (see [JobEnv]).
type CrawlEnv struct {
	Lease                time.Duration
	AxeScript, AxeLocale []byte
}

// RegisterJobs registers the jobs of mods with r.
func RegisterJobs(mods []Module, r *jobs.Registry, env JobEnv) {
	for _, m := range mods {
		if m.Jobs != nil {
			m.Jobs(r, env)
		}
	}
}

// Nav is one entry of the main menu. Roles empty means any logged-in
// user; Public means visitors see it too. Order places it among the other
// entries (smaller first; the core's entries use multiples of 10).
type Nav struct {
	Key    string // the key pages set to mark the current entry
	Href   string
	Label  string // catalogue key
	Roles  []auth.Role
	Public bool
	Order  int
}

// AuthzCase is one route exercised by the authorization matrix: every
// role and an anonymous caller, each for an object inside the caller's
// subtree (the caller holds its role at 郑州市 4101) and outside it
// (开封市 4102).
type AuthzCase struct {
	Pattern string
	// Request builds the request; inside says whether the object it
	// touches lies in the caller's subtree.
	Request func(f *Fixture, inside bool) (method, target string, form url.Values)
	// Want is the expected status for a caller holding role at 4101
	// ("" = anonymous).
	Want func(role auth.Role, inside bool) int
}

// Fixture holds the per-caller objects the matrix requests refer to.
// InUser and OutUser are reporters at 410102 (inside) and 410202
// (outside); setups add their own objects by name.
type Fixture struct {
	InUser, OutUser int64
	Obj             map[string]string
	IDs             map[string]int64
}

// Get is a request builder for a fixed GET target.
func Get(target string) func(*Fixture, bool) (string, string, url.Values) {
	return func(*Fixture, bool) (string, string, url.Values) { return http.MethodGet, target, nil }
}

// Side names the side of a case's object, "in" for inside the caller's
// subtree and "out" for outside it: setups key their objects by it.
func Side(inside bool) string {
	if inside {
		return "in"
	}
	return "out"
}

// RefusedAll expects 403 from every logged-in caller and anon from
// visitors: for objects that belong to an account the matrix does not
// create, such as an expert's panel seat.
func RefusedAll(anon int) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		if r == "" {
			return anon
		}
		return http.StatusForbidden
	}
}

// Always expects code from everyone.
func Always(code int) func(auth.Role, bool) int { return func(auth.Role, bool) int { return code } }

// LoggedIn expects ok from every logged-in caller and anon from visitors.
func LoggedIn(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		if r == "" {
			return anon
		}
		return ok
	}
}

// AnyRole expects ok from callers holding one of roles, 403 from other
// logged-in callers and anon from visitors.
func AnyRole(ok, anon int, roles ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		switch {
		case r == "":
			return anon
		case !hasRole(r, roles):
			return http.StatusForbidden
		}
		return ok
	}
}

// ScopedRole is [AnyRole] and, for objects outside the caller's subtree,
// 403 as well.
func ScopedRole(ok, anon int, roles ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !hasRole(r, roles), !inside:
			return http.StatusForbidden
		}
		return ok
	}
}

func hasRole(r auth.Role, roles []auth.Role) bool {
	for _, x := range roles {
		if x == r {
			return true
		}
	}
	return false
}

// Schemas returns the schemas of mods in order.
func Schemas(mods []Module) []store.Schema {
	var out []store.Schema
	for _, m := range mods {
		out = append(out, m.Schemas...)
	}
	return out
}

// Check reports contract violations in mods: a missing or repeated name,
// a schema component owned twice, a command named twice, a route without an authorization case
// (checked by the matrix test, which has the routes), API summaries for
// patterns that are not API routes.
func Check(mods []Module) error {
	names, comps, cmds := map[string]bool{}, map[string]string{}, map[string]string{}
	var problems []string
	for _, m := range mods {
		if m.Name == "" || m.Name != strings.ToLower(m.Name) {
			problems = append(problems, fmt.Sprintf("module name %q must be lower-case and not empty", m.Name))
		}
		if names[m.Name] {
			problems = append(problems, fmt.Sprintf("module %q listed twice", m.Name))
		}
		names[m.Name] = true
		for _, s := range m.Schemas {
			if o, dup := comps[s.Component]; dup {
				problems = append(problems, fmt.Sprintf("schema %q owned by both %q and %q", s.Component, o, m.Name))
			}
			comps[s.Component] = m.Name
		}
		for _, c := range m.Commands {
			if o, dup := cmds[c.Name]; dup || c.Name == "" || c.Run == nil {
				problems = append(problems, fmt.Sprintf("command %q of %q is unnamed, without Run or also a command of %q", c.Name, m.Name, o))
			}
			cmds[c.Name] = m.Name
		}
		for p := range m.API {
			if _, path, _ := strings.Cut(p, " "); !strings.HasPrefix(path, "/api/") {
				problems = append(problems, fmt.Sprintf("module %q documents %q, which is not an API route", m.Name, p))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("module: %s", strings.Join(problems, "; "))
	}
	return nil
}

// RegisterCatalogs adds the catalogue files of mods to the UI catalogue
// (see [i18n.Register]).
func RegisterCatalogs(mods []Module) error {
	for _, m := range mods {
		if m.Catalog == nil {
			continue
		}
		if err := i18n.Register(m.Name, m.Catalog); err != nil {
			return fmt.Errorf("module %s: %w", m.Name, err)
		}
	}
	return nil
}
