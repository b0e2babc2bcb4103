package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/module"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// testEnv is a migrated store with the hierarchy loaded and a server on it.
type testEnv struct {
	db  *store.DB
	srv *Server
	h   http.Handler
}

func newEnv(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	return newEnvWith(t, db, app.Modules())
}

// newEnvWith is newEnv with the modules mods instead of app.Modules.
func newEnvWith(t *testing.T, db *store.DB, mods []module.Module) *testEnv {
	t.Helper()
	prepare(t, db, mods, "", nil)
	return serve(t, db, mods)
}

// serve is a server of mods on the prepared store db.
func serve(t *testing.T, db *store.DB, mods []module.Module) *testEnv {
	t.Helper()
	srv, err := New(db, slog.New(slog.NewTextHandler(testLogOut(), nil)), Options{Modules: mods})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{db: db, srv: srv, h: srv.Handler()}
}

// client is a logged-in session (or anonymous when token is empty).
type client struct {
	token, csrf string
}

func (e *testEnv) user(t *testing.T, name string, role auth.Role, org string) (*auth.User, client) {
	t.Helper()
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, e.db, audit.Actor{Name: "test"}, auth.NewUser{Name: name, Password: "test-password"})
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		if err := auth.AddGrant(ctx, e.db, audit.Actor{Name: "test"}, u.ID, role, org); err != nil {
			t.Fatal(err)
		}
	}
	u, _ = auth.GetUser(ctx, e.db, u.ID)
	s, err := auth.NewSession(ctx, e.db, u, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	return u, client{token: s.Token, csrf: s.CSRF}
}

// jsonBody as the only key of a form passed to do sends its value as a
// JSON body.
const jsonBody = "\x00json"

// session logs u in; nil u is the anonymous client.
func (e *testEnv) session(t *testing.T, u *auth.User) client {
	t.Helper()
	if u == nil {
		return client{}
	}
	s, err := auth.NewSession(context.Background(), e.db, u, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	return client{token: s.Token, csrf: s.CSRF}
}

// sessions opens n sessions for u at once (n anonymous clients when u is
// nil): their rows are written directly, as auth.NewSession writes them,
// in one transaction instead of n, for tests that need a fresh session
// per request.
func (e *testEnv) sessions(t *testing.T, u *auth.User, n int) []client {
	t.Helper()
	out := make([]client, n)
	if u == nil {
		return out
	}
	random := func(n int) string {
		b := make([]byte, n)
		rand.Read(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	now := store.Now()
	err := e.db.InTx(context.Background(), func(tx *store.Tx) error {
		for i := range out {
			out[i] = client{token: random(32), csrf: random(24)}
			h := sha256.Sum256([]byte(out[i].token))
			if _, err := tx.ExecContext(context.Background(), `INSERT INTO auth_session (id_hash, user_id, csrf, created_at, expires_at, ip, user_agent)
				VALUES ($1, $2, $3, $4, $5, '127.0.0.1', 'test')`, hex.EncodeToString(h[:]), u.ID, out[i].csrf, now, now.Add(auth.SessionTTL)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *testEnv) do(t *testing.T, c client, method, target string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	ctype := "application/x-www-form-urlencoded"
	if js, ok := form[jsonBody]; ok {
		// A JSON request body rather than a form.
		body, ctype = strings.NewReader(js[0]), "application/json"
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	if c.token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
		if method != http.MethodGet {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// prepare fills the fresh store db as an installation of mods is after
// Bootstrap (the org units, the modules' bootstrap data), followed by
// what extra writes (named by extraKey). It is written once per test
// process and key into a template that each SQLite test copies;
// PostgreSQL tests write it themselves.
func prepare(t *testing.T, db *store.DB, mods []module.Module, extraKey string, extra func(ctx context.Context, db *store.DB) error) {
	t.Helper()
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, app.SchemasOf(mods)...); err != nil {
			return err
		}
		var depts []orgunit.Unit
		for _, d := range plan.Departments() {
			depts = append(depts, orgunit.Unit{Code: d.Code, Name: d.Name, NameEn: d.NameEn, Kind: orgunit.Department})
		}
		if _, err := orgunit.Load(ctx, db, depts, []orgunit.Group{orgunit.PilotCounties}); err != nil {
			return err
		}
		for _, m := range mods {
			if m.Bootstrap != nil {
				if err := m.Bootstrap(ctx, db); err != nil {
					return fmt.Errorf("%s: %w", m.Name, err)
				}
			}
		}
		if extra != nil {
			return extra(ctx, db)
		}
		return nil
	}
	names := make([]string, len(mods))
	for i, m := range mods {
		names[i] = m.Name
	}
	key := "web-" + strings.Join(names, "-")
	if extraKey != "" {
		key += "+" + extraKey
	}
	if !storetest.FillFromTemplate(t, db, key, build) {
		if err := build(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
}

func firstTarget() string { return plan.Default().Targets()[0].Code }
