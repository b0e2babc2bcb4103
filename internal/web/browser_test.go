package web

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zhihui/internal/auth"
	"zhihui/internal/store/storetest"
)

// chromium returns the browser the tests drive. Without one the browser
// tests skip, unless ZHIHUI_REQUIRE_BROWSER is set (make test sets it), in
// which case they fail.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("ZHIHUI_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("ZHIHUI_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium not found; install Debian's chromium package (make test does)")
	}
	t.Skip("chromium not found; set ZHIHUI_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 768),
		// A browser set up for Chinese, as users in Henan have.
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel3)
	return ctx
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
		chromedp.WaitVisible(chromedp.CSS(`#targets`)),
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
