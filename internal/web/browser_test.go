package web

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/store/storetest"
)

func TestMain(m *testing.M) {
	// Hundreds of accounts and logins: hash their passwords cheaply.
	auth.UseTestHashCost()
	code := m.Run()
	browser.Shutdown()
	storetest.RemoveTemplates()
	os.Exit(code)
}

// newBrowser opens a fresh incognito tab in the test process's browser
// (started with retries) at 1366×768; its context is bounded by the
// test's own deadline, not by a fixed budget.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browser.NewTab(t, "").Context()
}

// TestBrowserLoginAndPlan logs in through the real login form, lands on the
// plan page in Chinese, then switches to English.
func TestBrowserLoginAndPlan(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t, storetest.SQLite(t))
	e.user(t, "leader1", auth.Leader, "41")
	ts := httptest.NewServer(e.h)
	defer ts.Close()

	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/plan"),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "leader1"),
		chromedp.SendKeys(chromedp.CSS(`#password`), "test-password"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#targets`)),
		chromedp.WaitReady(chromedp.CSS(`.user-menu`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	heading := text(t, ctx, `h1`)
	lang := attr(t, ctx, `html`, "lang")
	body := text(t, ctx, `#tasks`)
	if heading != "规划目标与任务" || lang != "zh-CN" {
		t.Fatalf("plan page heading %q lang %q", heading, lang)
	}
	if !strings.Contains(body, "牵头单位") || !strings.Contains(body, "省工业和信息化厅") {
		t.Fatalf("task table lacks Chinese headings or departments: %.200s", body)
	}
	if text(t, ctx, `#targets tbody tr:first-child td:first-child`) == "" {
		t.Fatal("no targets listed")
	}
	// Switch the language with the header button; the account keeps it.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form.lang-switch button`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #targets`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	heading, lang = text(t, ctx, `h1`), attr(t, ctx, `html`, "lang")
	if heading != "Plan: goals, targets and tasks" || lang != "en" {
		t.Fatalf("after switching: heading %q lang %q", heading, lang)
	}
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("text of %s: %v", css, err)
	}
	return strings.TrimSpace(v)
}

func attr(t *testing.T, ctx context.Context, css, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil {
		t.Fatalf("attribute %s of %s: %v", name, css, err)
	}
	return v.Value
}
