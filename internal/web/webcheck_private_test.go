package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

// TestWebcheckPrivateSiteRefused: a server without --allow-private refuses
// to register a site at a private address, on the page and in the API, and
// stores nothing (it was accepted and scored before).
func TestWebcheckPrivateSiteRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	_, office := e.user(t, "wcprivate", auth.Office, "41")
	rec := e.do(t, office, http.MethodPost, "/webcheck/sites", url.Values{"name": {"内部系统"}, "url": {"http://10.20.30.40/"}, "org_code": {"4101"}, "kind": {"city"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "指向内部网络地址") {
		t.Fatalf("form: %d", rec.Code)
	}
	rec = e.do(t, office, http.MethodPost, "/api/v1/webcheck/sites", url.Values{jsonBody: {`{"url":"http://127.0.0.1:9/","name":"x","kind":"city","org_code":"4101"}`}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "private network") {
		t.Fatalf("API: %d %s", rec.Code, rec.Body)
	}
	ss, err := webcheck.ListSites(t.Context(), e.db, webcheck.SiteFilter{})
	if err != nil || len(ss) != 0 {
		t.Fatalf("%d sites stored (%v)", len(ss), err)
	}
}
