// Package journey drives Zhihui the way its users do, for tests: it starts
// the real application on a fresh store (a temporary SQLite file or a new
// PostgreSQL database), serves it on 127.0.0.1 and opens pages in Debian's
// headless Chromium, where a test logs in through the login page, follows
// links, fills fields by their labels, presses buttons by their text and
// reads what is on screen.
//
// Every role's work through a feature is a journey test in this style: it
// starts from the home page, uses only what pages offer (never a URL built
// by the test) and checks what the user sees and what was stored. The
// journeys live in this package's tests; see docs/testing.md.
//
// Nothing here sleeps for a fixed time: every wait is for a condition,
// bounded by the test's own deadline.
package journey

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/journey/browser"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
	"zhihui/internal/web"
	"zhihui/internal/webcheck"
)

// Password is the password of every user a journey creates.
const Password = "journey-password"

// Store names a store a site runs on.
type Store string

// The two stores.
const (
	SQLite   Store = "sqlite"
	Postgres Store = "postgres"
)

// Site is a running Zhihui: the application on its own store, served on
// 127.0.0.1. Close happens when the test ends.
type Site struct {
	URL   string
	Store Store
	App   *app.App
	DB    *store.DB
	Web   *web.Server
	// Jobs is the site's job engine (Options.Jobs), nil without one.
	Jobs *jobs.Engine

	t      testing.TB
	h      http.Handler
	mu     sync.Mutex
	errors []string // requests that ended in a server error
	logs   bytes.Buffer
}

// Options choose what a site holds besides what every installation has.
type Options struct {
	// Demo creates the demo accounts and sites (app.LoadDemo) and waits
	// for its background loading.
	Demo bool
	// Seed runs after bootstrap, before the server starts, for data a
	// journey needs (written through the feature packages).
	Seed func(ctx context.Context, s *Site) error
	// Jobs runs the job engine in the site's process, as serve does
	// (background jobs and one website crawl at a time), so that work the
	// journey starts — an inspection round, a re-check — gets done.
	Jobs bool
	// AllowPrivate is the operator's --allow-private: sites at loopback
	// and private addresses may be registered, crawled and probed. Only
	// journeys whose test website runs on 127.0.0.1 set it; the default
	// keeps refusing them.
	AllowPrivate bool
	// SMTP is the operator's --smtp (with --smtp-allow-private): with
	// Jobs, notifications' e-mail goes through this server.
	SMTP string
	// RetryAfter, when not zero, replaces the job engine's backoff: a
	// failed job is retried this long after each failure. A journey that
	// retries a failed job by hand sets it beyond its own length, so
	// that an automatic retry cannot take the job away from the page
	// between two steps on a slow machine.
	RetryAfter time.Duration
}

// retryAfter schedules every retry a fixed time after the failure.
type retryAfter time.Duration

func (r retryAfter) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Duration(r)) }

// Each runs fn as two parallel subtests, "sqlite" and "postgres", each on
// a site of its own (and its own browser tabs). Journeys that write run
// on both stores.
func Each(t *testing.T, opt Options, fn func(t *testing.T, s *Site)) {
	t.Helper()
	// Journeys drive the browser: with -short (or without a browser when
	// none is required) they skip here, before starting any site.
	browser.Path(t)
	for _, st := range []Store{SQLite, Postgres} {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			fn(t, Start(t, st, opt))
		})
	}
}

// Start opens the application on a fresh store of kind st (app.Open and
// Bootstrap, as `zhihui serve` does), seeds it and serves it on 127.0.0.1.
// The test fails if any request ended in a server error (5xx).
func Start(t testing.TB, st Store, opt Options) *Site {
	t.Helper()
	ctx := context.Background()
	s := &Site{Store: st, t: t}
	cfg := app.Config{LogLevel: "warn"}
	switch st {
	case SQLite:
		cfg.DataDir = t.TempDir()
		prefill(t, cfg.DataDir, opt.Demo)
	case Postgres:
		if storetest.PostgresDSN() == "off" {
			t.Skip("PostgreSQL journeys disabled by ZHIHUI_TEST_POSTGRES=off")
		}
		cfg.DSN = storetest.PostgresFromTemplate(t, templateKey(opt.Demo), installed(opt.Demo))
	default:
		t.Fatalf("journey: unknown store %q", st)
	}
	// The first connection may wait for a loaded server up to the test's
	// own deadline.
	a, err := app.Open(testwait.Context(t), cfg)
	if err != nil {
		t.Fatalf("journey: open %s: %v", st, err)
	}
	t.Cleanup(func() { a.Close() })
	s.App, s.DB = a, a.DB
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatalf("journey: bootstrap: %v", err)
	}
	if opt.Seed != nil {
		if err := opt.Seed(ctx, s); err != nil {
			t.Fatalf("journey: seed: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(&lockedWriter{mu: &s.mu, w: &s.logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var eng *jobs.Engine
	if opt.Jobs {
		mc := app.Config{SMTP: opt.SMTP, SMTPAllowPrivate: true}
		mailer, err := mc.Mailer()
		if err != nil {
			t.Fatalf("journey: smtp: %v", err)
		}
		cfg := jobs.Config{Queues: map[string]int{webcheck.CrawlQueue: 1}, PollInterval: 200 * time.Millisecond, Log: log}
		if opt.RetryAfter > 0 {
			cfg.RetryPolicy = retryAfter(opt.RetryAfter)
		}
		eng, err = a.OpenJobs(ctx, cfg,
			module.JobEnv{Log: log, AllowPrivate: opt.AllowPrivate, Mail: mailer})
		if err != nil {
			t.Fatalf("journey: jobs: %v", err)
		}
		if err := eng.Start(ctx); err != nil {
			t.Fatalf("journey: jobs: %v", err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			eng.Stop(sctx)
		})
	}
	s.Jobs = eng
	srv, err := web.New(a.DB, log, web.Options{Modules: a.Modules, Version: "journey", AllowPrivate: opt.AllowPrivate, Jobs: eng, Notify: a.Notify})
	if err != nil {
		t.Fatalf("journey: web: %v", err)
	}
	s.Web = srv
	s.h = s.watch(srv.Handler())
	ts := httptest.NewUnstartedServer(s.h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.errors {
			t.Errorf("server error during the journey: %s", e)
		}
		if len(s.errors) > 0 || t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})
	return s
}

// prefill writes into the new SQLite store in dir what app.Open,
// Bootstrap and (when demo) LoadDemo write into an empty one: they run
// once per test process into a template (storetest.FillFromTemplate)
// that every SQLite site then copies. PostgreSQL sites copy a template
// database written the same way (storetest.PostgresFromTemplate). Start
// still opens and bootstraps the copy as serve does.
func prefill(t testing.TB, dir string, demo bool) {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatalf("journey: open sqlite: %v", err)
	}
	defer db.Close()
	storetest.FillFromTemplate(t, db, templateKey(demo), installed(demo))
}

func templateKey(demo bool) string {
	if demo {
		return "journey-demo"
	}
	return "journey"
}

// installed writes into an empty store what app.Open, Bootstrap and
// (when demo) LoadDemo write.
func installed(demo bool) func(ctx context.Context, db *store.DB) error {
	return func(ctx context.Context, db *store.DB) error {
		a := &app.App{DB: db, Log: slog.New(slog.DiscardHandler), Modules: app.Modules()}
		if err := module.RegisterCatalogs(a.Modules); err != nil {
			return err
		}
		if err := db.Migrate(ctx, app.SchemasOf(a.Modules)...); err != nil {
			return err
		}
		if err := jobs.Migrate(ctx, db); err != nil {
			return err
		}
		if err := a.Bootstrap(ctx); err != nil {
			return err
		}
		if demo {
			if err := a.LoadDemo(ctx); err != nil {
				return err
			}
			a.Wait()
		}
		return nil
	}
}

// Handler is the handler the site serves, for checks that need no browser.
func (s *Site) Handler() http.Handler { return s.h }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// watch wraps h so that server errors are recorded against the test.
func (s *Site) watch(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status >= 500 {
			s.mu.Lock()
			s.errors = append(s.errors, r.Method+" "+r.URL.String()+": "+http.StatusText(rec.status))
			s.mu.Unlock()
		}
	})
}

// User creates an account called name holding role at the unit org (an
// org unit code) with the password [Password]; display is the name shown
// on pages ("" = name).
func (s *Site) User(name, display string, role auth.Role, org string) *auth.User {
	s.t.Helper()
	ctx := context.Background()
	actor := audit.Actor{Name: "journey"}
	u, err := auth.CreateUser(ctx, s.DB, actor, auth.NewUser{Name: name, DisplayName: display, Password: Password})
	if err != nil {
		s.t.Fatalf("journey: user %s: %v", name, err)
	}
	if role != "" {
		if err := auth.AddGrant(ctx, s.DB, actor, u.ID, role, org); err != nil {
			s.t.Fatalf("journey: grant %s: %v", name, err)
		}
	}
	if u, err = auth.GetUser(ctx, s.DB, u.ID); err != nil {
		s.t.Fatal(err)
	}
	return u
}

// normSpace collapses runs of white space to one space and trims.
func normSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
