package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/store/storetest"
)

// TestAnonymousAnalyticsBounded: an anonymous caller cannot ask for every
// village over nine periods (4.7 MB before), while an office user still
// can; the refusal says the limit.
func TestAnonymousAnalyticsBounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	q := "/api/v1/analytics?dx=ADMIN_VILLAGES&pe=2015;2016;2017;2018;2019;2020;2021;2022;2023&ou=" + url.QueryEscape("41;LEVEL-5")
	rec := e.do(t, client{}, http.MethodGet, q, nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("anonymous LEVEL-5 query: %d (%d bytes)", rec.Code, rec.Body.Len())
	}
	var msg struct {
		Zh string `json:"message_zh"`
		En string `json:"message_en"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &msg); err != nil || !strings.Contains(msg.Zh, "未登录时最多 20000") || !strings.Contains(msg.En, "at most 20000") {
		t.Fatalf("refusal does not state the limit: %s (%v)", rec.Body, err)
	}
	_, office := e.user(t, "anonoffice", auth.Office, "41")
	if rec := e.do(t, office, http.MethodGet, q, nil); rec.Code != http.StatusOK {
		t.Fatalf("office LEVEL-5 query: %d %s", rec.Code, rec.Body)
	}
	// a county-level question stays open to anyone
	small := "/api/v1/analytics?dx=ADMIN_VILLAGES&pe=2020&ou=" + url.QueryEscape("41;LEVEL-3")
	if rec := e.do(t, client{}, http.MethodGet, small, nil); rec.Code != http.StatusOK {
		t.Fatalf("anonymous county query: %d %s", rec.Code, rec.Body)
	}
}

// TestAnonymousRateLimit: one address reading public data without logging
// in is answered 429 with Retry-After once over the limit; a logged-in
// user from the same address is not limited.
func TestAnonymousRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	small := "/api/v1/analytics?dx=ADMIN_VILLAGES&pe=2020&ou=41"
	for i := 0; i < AnonymousRequestsPerMinute-1; i++ {
		if rec := e.do(t, client{}, http.MethodGet, small, nil); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, rec.Code)
		}
	}
	// the public page counts against the same address
	if rec := e.do(t, client{}, http.MethodGet, "/public", nil); rec.Code != http.StatusOK {
		t.Fatalf("public page: %d", rec.Code)
	}
	rec := e.do(t, client{}, http.MethodGet, small, nil)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("request over the limit: %d", rec.Code)
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 61 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	if !strings.Contains(rec.Body.String(), "请求过于频繁") {
		t.Fatalf("429 body: %s", rec.Body)
	}
	_, u := e.user(t, "ratelimited", auth.Leader, "41")
	if rec := e.do(t, u, http.MethodGet, small, nil); rec.Code != http.StatusOK {
		t.Fatalf("logged-in caller from the same address: %d", rec.Code)
	}
}
