// Package web serves Zhihui's pages and its JSON API. Handlers parse the
// request, check permissions, call a feature package and render; the
// domain logic lives in the feature packages.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/notify"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed static
var staticFS embed.FS

// Options configure a Server.
type Options struct {
	SecureCookie bool
	Demo         bool
	AllowPrivate bool
	Version      string
	// /metrics: off unless MetricsPublic, or a bearer token equal to
	// MetricsToken is sent.
	MetricsToken  string
	MetricsPublic bool
	DemoProgress  *reporting.DemoProgress // background demo data generation, if any
	// Modules are the installation's feature modules (app.Modules): their
	// routes, menu entries, catalogue messages and API documentation.
	Modules []module.Module
	// Jobs is the process's job engine (App.OpenJobs), handed to the
	// modules' handlers as kit.Kit.Jobs; nil: none.
	Jobs *jobs.Engine
	// Notify is the application's notifications (App.Notify): put into
	// every request's context for notify.Send, and kit.Kit.Notify; nil:
	// in-app only.
	Notify *notify.Service
}

// Server is the HTTP side of Zhihui.
type Server struct {
	db     *store.DB
	log    *slog.Logger
	opt    Options
	pages  *pages
	routes []route
	mux    *http.ServeMux
	kit    *kit.Kit
	nav    []navItem
	api    map[string]string // OpenAPI summaries by pattern
	limits map[string]int64  // body caps of module routes
	// crossOrigin are module routes that accept posts from other sites
	crossOrigin []string
	// login throttles
	byPair    *auth.Limiter // failed logins per account and address
	byAccount *auth.Limiter // failed logins per account from anywhere
	byIP      *auth.Limiter
	anon      *auth.Limiter // anonymous reads of public data per address
	metrics   *metrics
	started   time.Time
}

// access says who may reach a route before its handler runs. Handlers
// then check the org subtree of what is asked for.
type access int

const (
	public access = iota // anyone, including anonymous visitors
	user                 // any logged-in user
	roles                // a user holding one of route.roles somewhere
)

type route struct {
	pattern string
	access  access
	roles   []auth.Role
	handler http.HandlerFunc
}

// New builds the server and its routes.
func New(db *store.DB, log *slog.Logger, opt Options) (*Server, error) {
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		db: db, log: log, opt: opt, pages: p,
		byPair:    auth.NewLimiter(5, 15*time.Minute),
		byAccount: auth.NewLimiter(100, 15*time.Minute),
		byIP:      auth.NewLimiter(30, 15*time.Minute),
		anon:      auth.NewLimiter(AnonymousRequestsPerMinute, time.Minute),
		metrics:   newMetrics(),
		started:   time.Now(),
		limits:    map[string]int64{},
	}
	if err := module.Check(opt.Modules); err != nil {
		return nil, err
	}
	if err := module.RegisterCatalogs(opt.Modules); err != nil {
		return nil, err
	}
	s.kit = kit.New(db, log, opt.Demo, opt.AllowPrivate, kit.Core{Parse: s.parseFeature, Render: s.renderFeature, Fail: s.fail})
	s.kit.Jobs = opt.Jobs
	s.kit.Notify = opt.Notify
	if s.routes, err = s.routeTable(); err != nil {
		return nil, err
	}
	s.nav, s.api = coreNav(), coreAPIDocs()
	for _, m := range opt.Modules {
		s.nav = append(s.nav, navFromModule(m.Nav)...)
		for k, v := range m.API {
			s.api[k] = v
		}
	}
	sortNav(s.nav)
	s.mux = http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range s.routes {
		if seen[rt.pattern] {
			return nil, fmt.Errorf("web: route %q registered twice", rt.pattern)
		}
		seen[rt.pattern] = true
		s.mux.Handle(rt.pattern, s.guard(rt))
	}
	static, _ := fs.Sub(staticFS, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(noListings(static, http.FileServerFS(static)))))
	return s, nil
}

// Patterns lists every route pattern with its access rule, for tests and docs.
func (s *Server) Patterns() []string {
	out := make([]string, len(s.routes))
	for i, r := range s.routes {
		out[i] = r.pattern
	}
	return out
}

// routeTable is the core's routes followed by every module's, in the
// order of Options.Modules.
func (s *Server) routeTable() ([]route, error) {
	rs := s.coreRoutes()
	for _, m := range s.opt.Modules {
		if m.Routes == nil {
			continue
		}
		krs, err := m.Routes(s.kit)
		if err != nil {
			return nil, fmt.Errorf("web: module %s: %w", m.Name, err)
		}
		for _, kr := range krs {
			rs = append(rs, route{kr.Pattern, access(kr.Access), kr.Roles, s.kit.Handler(kr.Handler)})
			if kr.CrossOrigin {
				s.crossOrigin = append(s.crossOrigin, kr.Pattern)
			}
			if kr.BodyLimit > 0 {
				s.limits[kr.Pattern] = kr.BodyLimit
			}
		}
	}
	return rs, nil
}

// coreRoutes are the routes of the core: accounts, org units, the
// dashboard and public page, administration, the API's own document.
func (s *Server) coreRoutes() []route {
	return []route{
		{"GET /healthz", public, nil, s.healthz},
		{"GET /metrics", public, nil, s.metricsHandler},
		{"GET /{$}", public, nil, s.kit.Handler(s.home)},
		{"GET /login", public, nil, s.kit.Handler(s.loginForm)},
		{"POST /login", public, nil, s.kit.Handler(s.login)},
		{"POST /logout", user, nil, s.kit.Handler(s.logout)},
		{"POST /lang", public, nil, s.kit.Handler(s.setLang)},
		{"GET /account", user, nil, s.kit.Handler(s.account)},
		{"POST /account/password", user, nil, s.kit.Handler(s.changePassword)},
		{"POST /account/tokens", user, nil, s.kit.Handler(s.tokenCreate)},
		{"POST /account/tokens/{id}/revoke", user, nil, s.kit.Handler(s.tokenRevoke)},
		{"POST /account/notifications", user, nil, s.kit.Handler(s.notifySettingsSave)},
		{"GET /search", user, nil, s.kit.Handler(s.searchPage)},
		{"GET /orgunits", user, nil, s.kit.Handler(s.orgunitIndex)},
		{"GET /orgunits/{code}", user, nil, s.kit.Handler(s.orgunitPage)},
		{"GET /orgunits/{code}/children", user, nil, s.kit.Handler(s.orgunitChildren)},
		{"GET /admin/users", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.usersPage)},
		{"GET /admin/users.xlsx", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.usersXLSX)},
		{"POST /admin/users", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userCreate)},
		{"GET /admin/users/{id}", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userPage)},
		{"POST /admin/users/{id}/grants", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userGrant)},
		{"POST /admin/users/{id}/grants/delete", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userRevoke)},
		{"POST /admin/users/{id}/password", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userResetPassword)},
		{"POST /admin/users/{id}/disabled", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userDisable)},
		{"POST /admin/users/{id}/tokens/{tid}/revoke", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.userTokenRevoke)},
		{"GET /admin/audit", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.auditPage)},
		{"GET /admin/audit.xlsx", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.auditXLSX)},
		{"GET /api/v1/me", user, nil, s.apiMe},
		{"GET /api/v1/orgunits", user, nil, s.kit.Handler(s.apiOrgunits)},
		{"GET /api/v1/orgunits/{code}", user, nil, s.kit.Handler(s.apiOrgunit)},
		{"GET /api/v1/audit", roles, []auth.Role{auth.Admin}, s.kit.Handler(s.apiAudit)},
		{"GET /api/v1/openapi.json", public, nil, s.apiOpenAPI},
		{"GET /dashboard", user, nil, s.kit.Handler(s.dashboard)},
		{"GET /dashboard/export", user, nil, s.kit.Handler(s.dashboardExport)},
		{"GET /public", public, nil, s.kit.Handler(s.publicPage)},
		{"GET /demo/status", public, nil, s.demoStatus},
	}
}

// Handler is the complete HTTP handler with every middleware.
func (s *Server) Handler() http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.deny(w, r, http.StatusForbidden, "errors.cross_origin")
	}))
	for _, p := range s.crossOrigin {
		cop.AddInsecureBypassPattern(p)
	}
	var h http.Handler = s.mux
	if n := s.opt.Notify; n != nil {
		// notify.Send, called deep in domain code, finds the
		// application's notifications in the request's context
		next := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(notify.WithService(r.Context(), n)))
		})
	}
	h = s.identify(h)
	h = cop.Handler(h)
	h = securityHeaders(h)
	h = s.observe(h)
	return h
}

type ctxKey int

const keySession ctxKey = iota

type sessionInfo struct {
	token  string
	csrf   string
	bearer bool
}

const sessionCookie = "zhihui_session"
const langCookie = kit.LangCookie

// identify works out who is calling: a Bearer token, a session cookie, or
// nobody.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.Anonymous
		var si sessionInfo
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") && r.URL.Path != "/metrics" {
			// (/metrics checks its own token, not a user's.)
			u, err := auth.LookupToken(r.Context(), s.db, strings.TrimSpace(h[len("Bearer "):]))
			if err != nil {
				s.deny(w, r, http.StatusUnauthorized, "errors.bad_token")
				return
			}
			p = &auth.Principal{User: u}
			si.bearer = true
		} else if c, err := r.Cookie(sessionCookie); err == nil {
			if sess, err := auth.LookupSession(r.Context(), s.db, c.Value); err == nil {
				p = &auth.Principal{User: sess.User}
				si = sessionInfo{token: c.Value, csrf: sess.CSRF}
			}
		}
		ctx := kit.WithPrincipal(r.Context(), p)
		ctx = context.WithValue(ctx, keySession, si)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func principal(r *http.Request) *auth.Principal { return kit.Principal(r) }

func session(r *http.Request) sessionInfo {
	si, _ := r.Context().Value(keySession).(sessionInfo)
	return si
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// AnonymousRequestsPerMinute bounds how often one address may read public
// data without logging in.
const AnonymousRequestsPerMinute = 120

// anonLimited are the public routes that read data; anonymous callers are
// rate-limited on them per address.
var anonLimited = map[string]bool{
	"GET /api/v1/analytics":       true,
	"GET /api/v1/public/progress": true,
	"GET /public":                 true,
}

// guard enforces a route's access rule, the anonymous rate limit on
// public data and, for cookie sessions, the CSRF token on every unsafe
// method, after capping the body.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sw, ok := w.(*statusWriter); ok {
			sw.route = rt.pattern
		}
		p := principal(r)
		if rt.access != public && !p.Authenticated() {
			if isAPI(r) || r.Method != http.MethodGet {
				s.deny(w, r, http.StatusUnauthorized, "errors.login_required")
				return
			}
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if rt.access == roles && !p.Has(rt.roles...) {
			s.deny(w, r, http.StatusForbidden, "errors.forbidden")
			return
		}
		if !p.Authenticated() && anonLimited[rt.pattern] {
			if ok, wait := s.anon.Attempt(clientIP(r)); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
				s.deny(w, r, http.StatusTooManyRequests, "errors.rate_limited")
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// Bound the body before anything reads it (the CSRF check
			// below parses forms), and never leave multipart temp
			// files behind.
			r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit(rt.pattern))
			if err := parseForm(r); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					s.deny(w, r, http.StatusRequestEntityTooLarge, "errors.too_large")
				} else {
					s.deny(w, r, http.StatusBadRequest, "errors.bad_form")
				}
				removeMultipart(r)
				return
			}
			defer removeMultipart(r)
			si := session(r)
			if !si.bearer && si.token != "" {
				tok := r.Header.Get("X-CSRF-Token")
				if tok == "" {
					tok = r.PostFormValue("csrf")
				}
				if tok == "" || tok != si.csrf {
					s.deny(w, r, http.StatusForbidden, "errors.csrf")
					return
				}
			}
		}
		rt.handler(w, r)
	})
}

// defaultBodyLimit bounds the body of every unsafe request whose route
// has no limit of its own (kit.Route.BodyLimit).
const defaultBodyLimit = 2 << 20

func (s *Server) bodyLimit(pattern string) int64 {
	if n, ok := s.limits[pattern]; ok {
		return n
	}
	return defaultBodyLimit
}

// parseForm parses a form body (URL-encoded or multipart, at most 8 MiB of
// it in memory); other bodies (JSON) are left to the handler.
func parseForm(r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		return r.ParseMultipartForm(8 << 20)
	case "application/x-www-form-urlencoded":
		return r.ParseForm()
	}
	return nil
}

func removeMultipart(r *http.Request) {
	if r.MultipartForm != nil {
		r.MultipartForm.RemoveAll()
	}
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// noListings answers 404 for directories instead of listing their files.
func noListings(fsys fs.FS, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if st, err := fs.Stat(fsys, name); err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// AxeAssets returns the vendored axe-core script and its Chinese locale,
// for the accessibility checks of website inspections.
func AxeAssets() (script, locale []byte) {
	script, _ = staticFS.ReadFile("static/vendor/axe.min.js")
	locale, _ = staticFS.ReadFile("static/vendor/axe.zh_CN.json")
	return script, locale
}
