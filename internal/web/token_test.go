package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func init() {
	prev := authzCases
	authzCases = func() []authzCase { return append(prev(), tokenCases()...) }
	fixtureSetups = append(fixtureSetups, tokenFixture)
}

// tokenFixture makes a user inside (郑州 410102) and one outside (开封
// 410202) the callers' subtree with a token each; their own users, so that
// other cases (password resets) cannot end the tokens first.
func tokenFixture(t *testing.T, e *testEnv, f *authzFixture) {
	t.Helper()
	ctx := context.Background()
	in, _ := e.user(t, uniq("tokin"), auth.Reporter, "410102")
	out, _ := e.user(t, uniq("tokout"), auth.Reporter, "410202")
	f.ids["token_user_in"], f.ids["token_user_out"] = in.ID, out.ID
	for name, id := range map[string]int64{"token_in": in.ID, "token_out": out.ID} {
		if _, err := auth.NewToken(ctx, e.db, audit.Actor{Name: "test"}, id, name); err != nil {
			t.Fatal(err)
		}
		ts, err := auth.Tokens(ctx, e.db, id)
		if err != nil || len(ts) == 0 {
			t.Fatalf("tokens of %d: %v", id, err)
		}
		f.ids[name] = ts[0].ID
	}
}

func tokenCases() []authzCase {
	return []authzCase{
		{"POST /account/tokens", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/account/tokens", url.Values{"name": {"ci"}, "expires": {"30d"}}
		}, loggedIn(ok, unauth)},
		// Callers own no token here: another user's token id (inside) and
		// an id nobody has (outside) are both not found.
		{"POST /account/tokens/{id}/revoke", func(f *authzFixture, inside bool) (string, string, url.Values) {
			id := f.ids["token_in"]
			if !inside {
				id = 1 << 40
			}
			return http.MethodPost, fmt.Sprintf("/account/tokens/%d/revoke", id), url.Values{}
		}, loggedIn(http.StatusNotFound, unauth)},
		{"POST /admin/users/{id}/tokens/{tid}/revoke", func(f *authzFixture, inside bool) (string, string, url.Values) {
			uid, tid := f.ids["token_user_out"], f.ids["token_out"]
			if inside {
				uid, tid = f.ids["token_user_in"], f.ids["token_in"]
			}
			return http.MethodPost, fmt.Sprintf("/admin/users/%d/tokens/%d/revoke", uid, tid), url.Values{}
		}, adminScoped(redirect, unauth)},
	}
}

var apiTokenRE = regexp.MustCompile(`zh_[A-Za-z0-9_-]{20,}`)

// TestAccountTokens: a user creates a token on the account page, sees it
// once, uses it on the API, sees it listed with its last use, revokes it;
// an admin revokes another user's token from the user page; a password
// change ends every token.
func TestAccountTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u, c := e.user(t, "tokpage", auth.Reporter, "410102")
		rec := e.do(t, c, http.MethodPost, "/account/tokens", url.Values{"name": {"统计脚本"}, "expires": {"30d"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		tok := apiTokenRE.FindString(rec.Body.String())
		if tok == "" {
			t.Fatal("the new token is not shown")
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Fatalf("the page with the token may be cached: %q", cc)
		}
		api := func(tok string) int {
			req, _ := http.NewRequest(http.MethodGet, "/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			return w.Code
		}
		if code := api(tok); code != http.StatusOK {
			t.Fatalf("API with the new token: %d", code)
		}
		page := e.do(t, c, http.MethodGet, "/account", nil).Body.String()
		if !strings.Contains(page, "统计脚本") || apiTokenRE.MatchString(page) {
			t.Fatal("the account page must list the token by name and never show its secret again")
		}
		// bad input: a clear error, nothing created
		rec = e.do(t, c, http.MethodPost, "/account/tokens", url.Values{"name": {"x"}, "expires": {"yesterday"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "无法识别的有效期") {
			t.Fatalf("bad expiry: %d", rec.Code)
		}
		ts, _ := auth.Tokens(context.Background(), db, u.ID)
		if len(ts) != 1 || ts[0].LastUsed == nil || ts[0].ExpiresAt == nil {
			t.Fatalf("stored tokens: %+v", ts)
		}
		rec = e.do(t, c, http.MethodPost, fmt.Sprintf("/account/tokens/%d/revoke", ts[0].ID), url.Values{})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("revoke: %d", rec.Code)
		}
		if code := api(tok); code != http.StatusUnauthorized {
			t.Fatalf("API with a revoked token: %d", code)
		}

		// admin revokes another user's token
		admin, ac := e.user(t, "tokadmin", auth.Admin, "41")
		_ = admin
		tok2, err := auth.NewToken(context.Background(), db, audit.Actor{Name: "test"}, u.ID, "second")
		if err != nil {
			t.Fatal(err)
		}
		ts, _ = auth.Tokens(context.Background(), db, u.ID)
		userPage := e.do(t, ac, http.MethodGet, fmt.Sprintf("/admin/users/%d", u.ID), nil).Body.String()
		action := fmt.Sprintf("/admin/users/%d/tokens/%d/revoke", u.ID, ts[0].ID)
		if !strings.Contains(userPage, action) {
			t.Fatal("the user page offers no revoke button for the token")
		}
		if rec := e.do(t, ac, http.MethodPost, action, url.Values{}); rec.Code != http.StatusSeeOther {
			t.Fatalf("admin revoke: %d", rec.Code)
		}
		if code := api(tok2); code != http.StatusUnauthorized {
			t.Fatalf("API with an admin-revoked token: %d", code)
		}

		// a password change ends every token
		tok3, _ := auth.NewToken(context.Background(), db, audit.Actor{Name: "test"}, u.ID, "third")
		rec = e.do(t, c, http.MethodPost, "/account/password", url.Values{"old": {"test-password"}, "password": {"brand-new-pass-7"}, "confirm": {"brand-new-pass-7"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("password change: %d %s", rec.Code, rec.Body)
		}
		if code := api(tok3); code != http.StatusUnauthorized {
			t.Fatalf("API after a password change: %d", code)
		}
	})
}
