package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		sys := audit.Actor{Name: "test"}
		u, err := auth.CreateUser(ctx, db, sys, auth.NewUser{Name: "tokuser", Password: "token-user-pw"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, sys, u.ID, auth.Reporter, "4101"); err != nil {
			t.Fatal(err)
		}
		other, err := auth.CreateUser(ctx, db, sys, auth.NewUser{Name: "tokother", Password: "token-other-pw"})
		if err != nil {
			t.Fatal(err)
		}

		// The default lifetime is DefaultTokenTTL.
		def, err := auth.NewToken(ctx, db, sys, u.ID, "default")
		if err != nil {
			t.Fatal(err)
		}
		never, err := auth.CreateToken(ctx, db, sys, u.ID, "never", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		ts, err := auth.Tokens(ctx, db, u.ID)
		if err != nil || len(ts) != 2 {
			t.Fatalf("tokens: %v %d", err, len(ts))
		}
		for _, tk := range ts {
			switch tk.Name {
			case "default":
				if tk.ExpiresAt == nil {
					t.Fatal("default token never expires")
				}
				if d := time.Until(*tk.ExpiresAt); d < auth.DefaultTokenTTL-time.Hour || d > auth.DefaultTokenTTL {
					t.Fatalf("default token expires at %v", tk.ExpiresAt)
				}
			case "never":
				if tk.ExpiresAt != nil {
					t.Fatalf("never token expires at %v", tk.ExpiresAt)
				}
			}
		}
		for _, tok := range []string{def, never} {
			if got, err := auth.LookupToken(ctx, db, tok); err != nil || got.ID != u.ID {
				t.Fatalf("lookup: %v", err)
			}
		}
		// last use is recorded
		ts, _ = auth.Tokens(ctx, db, u.ID)
		for _, tk := range ts {
			if tk.LastUsed == nil {
				t.Fatalf("token %s: no last use recorded", tk.Name)
			}
		}

		// An expiry in the past is refused; an expired token does not work.
		if _, err := auth.CreateToken(ctx, db, sys, u.ID, "past", time.Now().Add(-time.Minute)); err == nil {
			t.Fatal("a token expiring in the past was created")
		}
		short, err := auth.CreateToken(ctx, db, sys, u.ID, "short", time.Now().Add(1500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.LookupToken(ctx, db, short); err != nil {
			t.Fatalf("fresh short token refused: %v", err)
		}
		testwait.Until(t, "the short token to expire and stop working", func() bool {
			_, err := auth.LookupToken(ctx, db, short)
			return err != nil
		})

		// Revoking: only the owner's own token id; others are not found.
		ts, _ = auth.Tokens(ctx, db, u.ID)
		var defID int64
		for _, tk := range ts {
			if tk.Name == "default" {
				defID = tk.ID
			}
		}
		if err := auth.RevokeToken(ctx, db, sys, other.ID, defID); !errors.Is(err, auth.ErrNoToken) || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoking another user's token: %v", err)
		}
		if _, err := auth.LookupToken(ctx, db, def); err != nil {
			t.Fatal("a failed revoke ended the token")
		}
		if err := auth.RevokeToken(ctx, db, sys, u.ID, defID); err != nil {
			t.Fatal(err)
		}
		if _, err := auth.LookupToken(ctx, db, def); err == nil {
			t.Fatal("a revoked token works")
		}
		if _, err := auth.LookupToken(ctx, db, never); err != nil {
			t.Fatal("revoking one token ended another")
		}
		es, _, err := audit.Search(ctx, db, audit.Filter{Entity: "user", Action: "token_revoke"})
		if err != nil || len(es) != 1 {
			t.Fatalf("revocation audit entries: %d %v", len(es), err)
		}
	})
}

// TestTokensEnd: a password change, disabling the account and removing its
// last role each end every token of the user.
func TestTokensEnd(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		sys := audit.Actor{Name: "test"}
		for i, end := range []struct {
			name string
			fn   func(id int64) error
		}{
			{"password change", func(id int64) error { return auth.SetPassword(ctx, db, sys, id, nil, "another-pass-42", "") }},
			{"disable", func(id int64) error { return auth.SetDisabled(ctx, db, sys, id, true) }},
			{"last role removed", func(id int64) error {
				if err := auth.RemoveGrant(ctx, db, sys, id, auth.Reporter, "4101"); err != nil {
					return err
				}
				return auth.RemoveGrant(ctx, db, sys, id, auth.Leader, "4102")
			}},
		} {
			u, err := auth.CreateUser(ctx, db, sys, auth.NewUser{Name: "ender" + string(rune('a'+i)), Password: "ender-pass-99"})
			if err != nil {
				t.Fatal(err)
			}
			for _, g := range []struct {
				r auth.Role
				o string
			}{{auth.Reporter, "4101"}, {auth.Leader, "4102"}} {
				if err := auth.AddGrant(ctx, db, sys, u.ID, g.r, g.o); err != nil {
					t.Fatal(err)
				}
			}
			tok, err := auth.NewToken(ctx, db, sys, u.ID, "t")
			if err != nil {
				t.Fatal(err)
			}
			if end.name == "last role removed" {
				// removing one of two roles keeps the token
				if err := auth.RemoveGrant(ctx, db, sys, u.ID, auth.Reporter, "4101"); err != nil {
					t.Fatal(err)
				}
				if _, err := auth.LookupToken(ctx, db, tok); err != nil {
					t.Fatal("removing one of two roles ended the token")
				}
			}
			if err := end.fn(u.ID); err != nil {
				t.Fatalf("%s: %v", end.name, err)
			}
			if _, err := auth.LookupToken(ctx, db, tok); err == nil {
				t.Fatalf("token survived %s", end.name)
			}
			if ts, err := auth.Tokens(ctx, db, u.ID); err != nil || len(ts) != 0 {
				t.Fatalf("%s: %d tokens left (%v)", end.name, len(ts), err)
			}
		}
	})
}

func TestParseExpiry(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"90d": 90 * 24 * time.Hour, "30": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "": auth.DefaultTokenTTL,
		// the end of 2026-12-31 in Asia/Shanghai is 2026-12-31T16:00Z
		"2026-12-31": time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC).Sub(now),
	} {
		got, err := auth.ParseExpiry(in, now)
		if err != nil || got.Sub(now) != want {
			t.Errorf("ParseExpiry(%q) = %v, %v; want now+%v", in, got, err, want)
		}
	}
	if got, err := auth.ParseExpiry("never", now); err != nil || !got.IsZero() {
		t.Errorf("never: %v %v", got, err)
	}
	for _, bad := range []string{"-3d", "0d5", "yesterday", "2026-12-02", "2026-13-40", "99999d", "100000h"} {
		if _, err := auth.ParseExpiry(bad, now); err == nil {
			t.Errorf("ParseExpiry(%q) accepted", bad)
		}
	}
}

func FuzzParseExpiry(f *testing.F) {
	for _, s := range []string{"90d", "never", "2027-01-01", "12h", "", "1e9d"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := auth.ParseExpiry(s, now)
		if err != nil {
			return
		}
		if !got.IsZero() && (!got.After(now) || got.Sub(now) > auth.MaxTokenTTL) {
			t.Fatalf("ParseExpiry(%q) = %v outside (now, now+max]", s, got)
		}
	})
}
