package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestLoginSessionAndCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "alice", auth.Leader, "41")

	rec := e.do(t, client{}, "POST", "/login", url.Values{"name": {"alice"}, "password": {"test-password"}, "next": {"/plan"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/plan" {
		t.Fatalf("login: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Value == "" {
		t.Fatalf("session cookie %+v", cookie)
	}
	// Open redirects are refused.
	rec = e.do(t, client{}, "POST", "/login", url.Values{"name": {"alice"}, "password": {"test-password"}, "next": {"//evil.example/"}})
	if rec.Header().Get("Location") != "/" {
		t.Fatalf("open redirect to %s", rec.Header().Get("Location"))
	}
	// A form post with the session but without the CSRF token is refused.
	req := httptest.NewRequest("POST", "/logout", strings.NewReader(""))
	req.AddCookie(cookie)
	rw := httptest.NewRecorder()
	e.h.ServeHTTP(rw, req)
	if rw.Code != http.StatusForbidden {
		t.Fatalf("logout without CSRF token: %d", rw.Code)
	}
	// A cross-site browser post is refused even with a token.
	req = httptest.NewRequest("POST", "/lang", strings.NewReader("lang=en"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rw = httptest.NewRecorder()
	e.h.ServeHTTP(rw, req)
	if rw.Code != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", rw.Code)
	}
	// Security headers on every response.
	rec = e.do(t, client{}, "GET", "/login", nil)
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "bob", auth.Leader, "41")
	for i := range 5 {
		rec := e.do(t, client{}, "POST", "/login", url.Values{"name": {"bob"}, "password": {"wrong-password"}})
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	// Now even the right password is refused, with a clear message.
	rec := e.do(t, client{}, "POST", "/login", url.Values{"name": {"bob"}, "password": {"test-password"}})
	if rec.Code != http.StatusTooManyRequests || !strings.Contains(rec.Body.String(), "已暂时锁定") {
		t.Fatalf("locked account: %d %.300s", rec.Code, rec.Body.String())
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	u, _ := e.user(t, "carol", auth.Leader, "41")
	c := e.session(t, u)
	// Chinese by default, English by Accept-Language, the account's choice above both.
	if body := e.do(t, c, "GET", "/plan", nil).Body.String(); !strings.Contains(body, "<h1>规划目标与任务</h1>") {
		t.Fatal("default language is not Chinese")
	}
	req := httptest.NewRequest("GET", "/plan", nil)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	rw := httptest.NewRecorder()
	e.h.ServeHTTP(rw, req)
	if !strings.Contains(rw.Body.String(), "<h1>Plan: goals, targets and tasks</h1>") {
		t.Fatal("Accept-Language en ignored")
	}
	e.do(t, c, "POST", "/lang", url.Values{"lang": {"en"}, "back": {"/plan"}})
	if body := e.do(t, c, "GET", "/plan", nil).Body.String(); !strings.Contains(body, "Plan: goals, targets and tasks") {
		t.Fatal("account language not used")
	}
}

func TestAPIErrorsAreJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	u, _ := e.user(t, "dave", auth.Reporter, "410102")
	for _, c := range []struct {
		cl     client
		path   string
		status int
	}{
		{client{}, "/api/v1/me", 401},
		{e.session(t, u), "/api/v1/audit", 403},
		{e.session(t, u), "/api/v1/orgunits/999999", 404},
		{e.session(t, u), "/api/v1/orgunits", 400},
	} {
		rec := e.do(t, c.cl, "GET", c.path, nil)
		var body apiError
		if rec.Code != c.status || json.Unmarshal(rec.Body.Bytes(), &body) != nil || body.Zh == "" || body.En == "" {
			t.Errorf("%s: %d %s", c.path, rec.Code, rec.Body.String())
		}
	}
	// A bad bearer token is a 401, a good one works.
	req := httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer nope")
	rw := httptest.NewRecorder()
	e.h.ServeHTTP(rw, req)
	if rw.Code != 401 {
		t.Fatalf("bad token: %d", rw.Code)
	}
	tok, _ := auth.NewToken(context.Background(), e.db, audit.Actor{Name: "t"}, u.ID, "t")
	req = httptest.NewRequest("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rw = httptest.NewRecorder()
	e.h.ServeHTTP(rw, req)
	var me struct {
		Name   string `json:"name"`
		Roles  []string
		Grants []auth.Grant
	}
	if rw.Code != 200 || json.Unmarshal(rw.Body.Bytes(), &me) != nil || me.Name != "dave" || len(me.Grants) != 1 || me.Grants[0].OrgCode != "410102" {
		t.Fatalf("me: %d %s", rw.Code, rw.Body.String())
	}
}

func TestOrgunitAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		u, _ := e.user(t, "erin", auth.Leader, "41")
		c := e.session(t, u)
		var unit struct {
			Code       string   `json:"code"`
			Name       string   `json:"name"`
			Level      int      `json:"level"`
			Parent     string   `json:"parent"`
			Path       string   `json:"path"`
			ChildCount int      `json:"child_count"`
			Groups     []string `json:"groups"`
		}
		rec := e.do(t, c, "GET", "/api/v1/orgunits/410225", nil)
		if err := json.Unmarshal(rec.Body.Bytes(), &unit); err != nil {
			t.Fatal(err)
		}
		if unit.Name != "兰考县" || unit.Level != 3 || unit.Parent != "4102" || unit.Path != "/41/4102/410225/" || unit.ChildCount == 0 || len(unit.Groups) != 1 {
			t.Fatalf("unit %+v", unit)
		}
		var list struct {
			Orgunits []struct{ Code string } `json:"orgunits"`
			Count    int                     `json:"count"`
		}
		json.Unmarshal(e.do(t, c, "GET", "/api/v1/orgunits?parent=41", nil).Body.Bytes(), &list)
		if list.Count != 18+29 {
			t.Fatalf("children of 41: %d", list.Count)
		}
		json.Unmarshal(e.do(t, c, "GET", "/api/v1/orgunits?q="+url.QueryEscape("兰考"), nil).Body.Bytes(), &list)
		if list.Count == 0 || list.Orgunits[0].Code != "410225" {
			t.Fatalf("search: %+v", list)
		}
		var pl struct {
			Targets []struct{ Code string }
			Tasks   []struct{ Lead string }
		}
		json.Unmarshal(e.do(t, c, "GET", "/api/v1/plan?dept=41D-TXGLJ", nil).Body.Bytes(), &pl)
		if len(pl.Targets) < 10 || len(pl.Tasks) == 0 {
			t.Fatalf("plan: %d targets, %d tasks", len(pl.Targets), len(pl.Tasks))
		}
	})
}

func TestUserAdminIsAudited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	admin, _ := e.user(t, "root", auth.Admin, "41")
	c := e.session(t, admin)
	rec := e.do(t, c, "POST", "/admin/users", url.Values{"name": {"frank"}, "display_name": {"张三"}, "password": {"frank-password"}, "role": {"approver"}, "org": {"4103"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create: %d %.300s", rec.Code, rec.Body.String())
	}
	// Bad input re-renders the form with the reason, in Chinese.
	rec = e.do(t, c, "POST", "/admin/users", url.Values{"name": {"frank"}, "password": {"frank-password"}, "role": {"approver"}, "org": {"4103"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "已存在") {
		t.Fatalf("duplicate: %d", rec.Code)
	}
	body := e.do(t, c, "GET", "/admin/audit?q=frank", nil).Body.String()
	if !strings.Contains(body, "<strong>新建</strong> · 用户") || !strings.Contains(body, "frank") || !strings.Contains(body, "<dt>姓名</dt>") || !strings.Contains(body, "张三") {
		t.Fatalf("audit page lacks the creation in words: %.500s", body)
	}
	var res struct{ Entries []audit.Entry }
	json.Unmarshal(e.do(t, c, "GET", "/api/v1/audit?action=grant", nil).Body.Bytes(), &res)
	found := false
	for _, en := range res.Entries {
		found = found || (en.Actor.Name == "root" && en.OrgPath == "/41/4103/")
	}
	if !found {
		t.Fatalf("grant not audited with actor and unit: %+v", res.Entries)
	}
}

// TestDashboardScope: unpublished figures appear only for units in the
// caller's subtree; elsewhere the dashboard shows the public view.
func TestDashboardScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	rep, _ := e.user(t, "rep-dash", auth.Reporter, "410102")
	lead, _ := e.user(t, "lead-dash", auth.Leader, "4101")
	const unpublished = "VILLAGE_BB_SUBS"
	for _, c := range []struct {
		who  *auth.User
		ou   string
		want bool
	}{
		{lead, "4101", true},  // a leader of 郑州 sees 郑州's unpublished elements
		{lead, "41", false},   // but not the province's
		{rep, "4101", false},  // a district reporter does not see its city's
		{lead, "4102", false}, // nor another city's
	} {
		body := e.do(t, e.session(t, c.who), "GET", "/dashboard?ou="+c.ou, nil).Body.String()
		if got := strings.Contains(body, `value="`+unpublished+`"`); got != c.want {
			t.Errorf("%s at %s: unpublished element offered = %v, want %v", c.who.Name, c.ou, got, c.want)
		}
	}
}
