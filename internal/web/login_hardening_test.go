package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	webmonitor "zhihui/internal/web/monitor"
)

// loginFrom posts a login from the given address.
func (e *testEnv) loginFrom(ip, name, pw string) int {
	req := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"name": {name}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = ip + ":40000"
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec.Code
}

func failedLogins(t *testing.T, e *testEnv) int {
	t.Helper()
	entries, _, err := audit.Search(context.Background(), e.db, audit.Filter{Action: "login_failed", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// Parallel wrong passwords are counted before they are checked: 40 at once
// for one account check at most 5 passwords, and 150 at once from one
// address at most 30; every check is in the audit log.
func TestLoginAttemptsCountedAtomically(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		e.user(t, "bob", auth.Leader, "41")
		codes := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				c := e.loginFrom("198.51.100.7", "bob", "wrong-password-1")
				mu.Lock()
				codes[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[http.StatusUnauthorized] > 5 || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != 40 {
			t.Fatalf("40 parallel wrong passwords for one account: %v (at most 5 may be checked)", codes)
		}
		if n := failedLogins(t, e); n != codes[http.StatusUnauthorized] {
			t.Fatalf("failed logins audited: %d, checked: %d", n, codes[http.StatusUnauthorized])
		}

		// 150 at once from one address, each for another name.
		codes = map[int]int{}
		for i := range 150 {
			wg.Go(func() {
				c := e.loginFrom("198.51.100.8", "nobody"+string(rune('a'+i%26))+strings.Repeat("x", i/26), "wrong-password-1")
				mu.Lock()
				codes[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[http.StatusUnauthorized] > 30 {
			t.Fatalf("150 parallel logins from one address: %v (at most 30 may be checked)", codes)
		}
		if p := auth.PeakHashes(); p > int64(auth.HashSlots()) {
			t.Fatalf("%d password hashes at once, the bound is %d", p, auth.HashSlots())
		}
	})
}

// A stranger's wrong passwords lock the account for the stranger's
// address only: the office still logs in from its own.
func TestStrangerCannotLockAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "office1", auth.Office, "41")
	for range 6 {
		e.loginFrom("203.0.113.9", "office1", "wrong-password-1")
	}
	if c := e.loginFrom("203.0.113.9", "office1", "test-password"); c != http.StatusTooManyRequests {
		t.Fatalf("the guessing address is not locked: %d", c)
	}
	if c := e.loginFrom("192.0.2.50", "office1", "test-password"); c != http.StatusSeeOther {
		t.Fatalf("the owner is locked out from their own address: %d", c)
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/plan":                 "/plan",
		"/monitor?dx=A&pe=2020": "/monitor?dx=A&pe=2020",
		"":                      "/",
		"//evil.example":        "/",
		"/\t/evil.example":      "/",
		"/\n/evil.example":      "/",
		"/\\evil.example":       "/",
		"/a\\b":                 "/",
		"https://evil.example/": "/",
		"javascript:alert(1)":   "/",
		"evil.example":          "/",
		"/%09/evil.example":     "/%09/evil.example", // stays a path on this site
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
	// The login page redirects an authenticated visitor only to a clean path.
	e := newEnv(t, storetest.SQLite(t))
	_, c := e.user(t, "carol", auth.Leader, "41")
	rec := e.do(t, c, "GET", "/login?next=/%09/evil.example", nil)
	if loc := rec.Header().Get("Location"); strings.ContainsAny(loc, "\t\n\\") || strings.HasPrefix(loc, "//") {
		t.Fatalf("redirect to %q", loc)
	}
}

func TestCommonPasswordRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	_, err := auth.CreateUser(context.Background(), e.db, audit.Actor{Name: "test"}, auth.NewUser{Name: "dave", Password: "password"})
	if err == nil || !strings.Contains(err.Error(), "常见") {
		t.Fatalf("common password accepted: %v", err)
	}
	if _, err := auth.CreateUser(context.Background(), e.db, audit.Actor{Name: "test"}, auth.NewUser{Name: "dave", Password: "Qwerty123"}); err == nil {
		t.Fatal("common password accepted regardless of case")
	}
}

func TestMetricsOptIn(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	if rec := e.do(t, client{}, "GET", "/metrics", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("/metrics without configuration: %d", rec.Code)
	}
	srv, err := New(db, e.srv.log, Options{Modules: e.srv.opt.Modules, MetricsToken: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	for tok, want := range map[string]int{"": http.StatusNotFound, "wrong": http.StatusNotFound, "s3cret-token": http.StatusOK} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("token %q: %d, want %d", tok, rec.Code, want)
		}
		if want == http.StatusOK && !strings.Contains(rec.Body.String(), "go_goroutines") {
			t.Errorf("metrics body: %.200s", rec.Body.String())
		}
	}
}

func TestStaticHasNoListings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	for _, p := range []string{"/static/", "/static/vendor/", "/static/vendor", "/static/../"} {
		if rec := e.do(t, client{}, "GET", p, nil); rec.Code == http.StatusOK {
			t.Errorf("%s lists a directory: %.200s", p, rec.Body.String())
		}
	}
	if rec := e.do(t, client{}, "GET", "/static/vendor/htmx.min.js", nil); rec.Code != http.StatusOK {
		t.Errorf("a static file: %d", rec.Code)
	}
}

func multipartBody(t *testing.T, fields map[string]string, file []byte) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", "big.csv")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

// Bodies are bounded before anything parses them, and multipart uploads
// leave no temporary files, whatever the answer.
func TestBodiesBoundedAndTempFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := newEnv(t, storetest.SQLite(t))
	_, office := e.user(t, "office1", auth.Office, "41")

	send := func(c client, target string, body *bytes.Buffer, ctype string) int {
		req := httptest.NewRequest("POST", target, body)
		req.Header.Set("Content-Type", ctype)
		req.RemoteAddr = "198.51.100.20:1234"
		if c.token != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec.Code
	}
	big := bytes.Repeat([]byte("x"), 3<<20)
	for _, target := range []string{"/login", "/lang"} {
		body, ct := multipartBody(t, map[string]string{"name": "a", "password": "b"}, big)
		if code := send(client{}, target, body, ct); code != http.StatusRequestEntityTooLarge {
			t.Errorf("anonymous 3 MiB upload to %s: %d", target, code)
		}
	}
	// A large upload where uploads belong: parsed (to disk past 8 MiB in
	// memory), then its temporary file removed.
	csvData := append([]byte("dataElement,orgUnit,period,value\n"), bytes.Repeat([]byte("# padding line\n"), 10<<20/15)...)
	body, ct := multipartBody(t, map[string]string{"csrf": office.csrf}, csvData)
	if code := send(office, "/monitor/import", body, ct); code == http.StatusRequestEntityTooLarge || code >= 500 {
		t.Fatalf("10 MiB import upload: %d", code)
	}
	over := bytes.Repeat([]byte("y"), webmonitor.MaxUpload+1)
	body, ct = multipartBody(t, map[string]string{"csrf": office.csrf}, over)
	if code := send(office, "/monitor/import", body, ct); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("upload over the import cap: %d", code)
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "multipart-*"))
	if len(left) > 0 {
		t.Fatalf("temporary upload files left behind: %v", left)
	}
}
