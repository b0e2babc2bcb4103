package web

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"zhihui/internal/auth"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// axeViolation is the part of an axe-core result the test reads.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []string `json:"target"`
	} `json:"nodes"`
}

// TestAccessibility runs axe-core (vendored, with its Chinese locale) on
// the main pages at desktop (1366×768) and phone (390×844) sizes and fails
// on any serious or critical violation. It also checks that no page
// scrolls sideways on a phone.
func TestAccessibility(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, storetest.SQLite(t))
	admin, _ := e.user(t, "a11y", auth.Admin, "41")
	// An unread message, so that the top bar shows its count badge.
	if err := e.db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := notify.Send(context.Background(), tx, notify.Message{Kind: notify.KindNotice, Key: "notify.reporting.approved",
			Args: []any{"中原区", "2019年", "县级信息化年报"}, Link: "/reporting", To: []notify.Recipient{notify.Users(admin.ID)}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e.h)
	defer ts.Close()
	axe, err := os.ReadFile("static/vendor/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	locale, err := os.ReadFile("static/vendor/axe.zh_CN.json")
	if err != nil {
		t.Fatal(err)
	}
	login := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(ts.URL + "/login"),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), admin.Name),
		chromedp.SendKeys(chromedp.CSS(`#password`), "test-password"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`.user-menu`)),
	}
	// the core's pages, then every module's (module.Module.Pages)
	pages := []string{"/", "/orgunits/4101", "/orgunits?q=" + "兰考", "/search?q=" + "郑州", "/admin/users", "/admin/audit", "/account",
		"/dashboard", "/dashboard?ou=4101", "/public"}
	for _, m := range e.srv.opt.Modules {
		pages = append(pages, m.Pages...)
	}
	pages = append(pages, a11yDetailPages(t, e.db)...)
	pages = append(pages, ecstatA11yPages(t, e.db)...) // pages that need stored data
	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1366, 768}, {"phone", 390, 844}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h)); err != nil {
			t.Fatal(err)
		}
		if size.name == "desktop" {
			// Log in once; the session cookie stays in the browser.
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/login")); err != nil {
				t.Fatal(err)
			}
			// The anonymous login page is checked too.
			checkAxe(t, ctx, "/login "+size.name, axe, locale)
			if err := chromedp.Do(ctx, login...); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+p), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			checkAxe(t, ctx, p+" "+size.name, axe, locale)
			if size.name == "phone" {
				wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
				if err != nil {
					t.Fatal(err)
				}
				if wide {
					t.Errorf("%s scrolls sideways at %dpx", p, size.w)
				}
			}
		}
	}
}

// checkAxe injects axe-core into the current page, runs it and reports
// serious and critical violations.
func checkAxe(t *testing.T, ctx context.Context, name string, axe, locale []byte) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(axe)+";\ntrue")); err != nil {
		t.Fatalf("%s: inject axe: %v", name, err)
	}
	script := `axe.configure({locale: ` + string(locale) + `});
		axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe: %v", name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("%s: axe result: %v", name, err)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, strings.Join(n.Target, " "))
			}
			t.Errorf("%s: %s (%s): %s at %s", name, v.ID, v.Impact, v.Help, strings.Join(where, "; "))
		}
	}
}
