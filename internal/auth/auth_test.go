package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func setup(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema); err != nil {
		t.Fatal(err)
	}
	if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(h, "s3cret-pass") || auth.CheckPassword(h, "s3cret-pasS") || auth.CheckPassword("garbage", "x") {
		t.Fatal("CheckPassword")
	}
	h2, _ := auth.HashPassword("s3cret-pass")
	if h == h2 {
		t.Fatal("hashes are not salted")
	}
	// This package never asks for cheap test hashes: the cost is OWASP's.
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %s does not have the production cost", h)
	}
}

func TestUsersGrantsSessions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		sys := audit.Actor{Name: "test"}
		u, err := auth.CreateUser(ctx, db, sys, auth.NewUser{Name: "zz-reporter", Password: "reporter-pass"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.CreateUser(ctx, db, sys, auth.NewUser{Name: "zz-reporter", Password: "reporter-pass"}); err == nil {
			t.Fatal("duplicate name accepted")
		}
		for _, bad := range []auth.NewUser{{Name: "X", Password: "longenough1"}, {Name: "ok-name", Password: "short"}, {Name: "ok-name", Password: "12345678901"}} {
			if _, err := auth.CreateUser(ctx, db, sys, bad); err == nil {
				t.Errorf("accepted %+v", bad)
			}
		}
		if err := auth.AddGrant(ctx, db, sys, u.ID, auth.Reporter, "410102"); err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, sys, u.ID, auth.Reporter, "nope"); err == nil {
			t.Fatal("grant at unknown unit accepted")
		}
		if _, err := auth.Authenticate(ctx, db, "zz-reporter", "wrong-pass"); !errors.Is(err, auth.ErrBadLogin) {
			t.Fatalf("bad password: %v", err)
		}
		got, err := auth.Authenticate(ctx, db, "zz-reporter", "reporter-pass")
		if err != nil || len(got.Grants) != 1 || got.Grants[0].OrgPath != "/41/4101/410102/" || got.Grants[0].OrgName != "中原区" {
			t.Fatalf("authenticate: %+v %v", got, err)
		}
		p := &auth.Principal{User: got}
		if !p.Covers("/41/4101/410102/410102001/", auth.Reporter) || p.Covers("/41/4101/410103/", auth.Reporter) || p.Covers("/41/4101/", auth.Reporter) {
			t.Fatal("Covers is not subtree-scoped")
		}
		if p.Covers("/41/4101/410102/", auth.Approver) {
			t.Fatal("reporter covers approver")
		}
		s, err := auth.NewSession(ctx, db, got, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		ls, err := auth.LookupSession(ctx, db, s.Token)
		if err != nil || ls.User.ID != u.ID || ls.CSRF != s.CSRF {
			t.Fatalf("lookup: %+v %v", ls, err)
		}
		old := "reporter-pass"
		if err := auth.SetPassword(ctx, db, sys, u.ID, &old, "new-pass-123", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.LookupSession(ctx, db, s.Token); err == nil {
			t.Fatal("session survived a password change")
		}
		tok, err := auth.NewToken(ctx, db, sys, u.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if tu, err := auth.LookupToken(ctx, db, tok); err != nil || tu.ID != u.ID {
			t.Fatalf("token: %v", err)
		}
		if err := auth.SetDisabled(ctx, db, sys, u.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.LookupToken(ctx, db, tok); err == nil {
			t.Fatal("disabled user's token works")
		}
		es, _, _ := audit.Search(ctx, db, audit.Filter{Entity: "user"})
		if len(es) < 5 {
			t.Fatalf("audit has %d user entries", len(es))
		}
		for _, e := range es {
			if string(e.After) != "" && (contains(string(e.After), "argon2") || contains(string(e.After), "new-pass")) {
				t.Fatalf("audit leaks a secret: %s", e.After)
			}
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestScopesAndManage(t *testing.T) {
	t.Parallel()
	cityAdmin := &auth.Principal{User: &auth.User{Grants: []auth.Grant{{Role: auth.Admin, OrgCode: "4101", OrgPath: "/41/4101/"}, {Role: auth.Leader, OrgCode: "410102", OrgPath: "/41/4101/410102/"}}}}
	if s := cityAdmin.Scopes(auth.Leader); len(s) != 1 || s[0] != "/41/4101/" {
		t.Fatalf("scopes %v", s)
	}
	inCity := &auth.User{Grants: []auth.Grant{{Role: auth.Reporter, OrgPath: "/41/4101/410102/"}}}
	straddling := &auth.User{Grants: []auth.Grant{{Role: auth.Reporter, OrgPath: "/41/4101/410102/"}, {Role: auth.Reporter, OrgPath: "/41/4102/"}}}
	if !cityAdmin.CanManage(inCity) || cityAdmin.CanManage(straddling) || cityAdmin.CanManage(&auth.User{}) {
		t.Fatal("CanManage")
	}
	if auth.Anonymous.Covers("/41/", auth.Leader) || auth.Anonymous.Has(auth.Admin) {
		t.Fatal("anonymous has rights")
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := auth.NewLimiter(3, time.Minute)
	for range 3 {
		if b, _ := l.Blocked("a"); b {
			t.Fatal("blocked early")
		}
		l.Fail("a")
	}
	b, wait := l.Blocked("a")
	if !b || wait <= 0 || wait > time.Minute {
		t.Fatalf("blocked=%v wait=%v", b, wait)
	}
	if b, _ := l.Blocked("b"); b {
		t.Fatal("keys share counts")
	}
	l.Reset("a")
	if b, _ := l.Blocked("a"); b {
		t.Fatal("reset")
	}
}
