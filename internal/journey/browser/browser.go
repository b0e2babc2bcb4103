// Package browser drives Debian's headless Chromium for Zhihui's browser
// tests through chromedp: one browser per test process, started with
// retries, and a fresh incognito tab per user, with helpers that act as a
// person does — follow a link by its text, fill a field by its label,
// press a button by its text, read the visible text — and wait for
// conditions, never for a fixed time. Every wait is bounded by the test's
// own deadline (go test -timeout).
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"zhihui/internal/testwait"
)

// Path returns the browser the tests drive. With go test -short the test
// is skipped; without a browser it is skipped too, unless ZHIHUI_REQUIRE_BROWSER is set (make test sets it), in
// which case it fails.
func Path(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test: skipped with -short (make test-short)")
	}
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

// shared is the one browser of the test process.
var shared struct {
	mu     sync.Mutex
	ctx    context.Context // a chromedp context whose browser runs
	cancel func()
	dir    string
}

// startTries is how often a browser start is tried before the test fails.
const startTries = 3

// Budget is the time left before the test's deadline, less a margin for
// reporting; without a deadline (go test -timeout 0) it is an hour.
func Budget(t testing.TB) time.Duration { return testwait.Budget(t) }

// browser returns the process's browser, starting it on first use. A start
// that fails or hangs is retried; each try may take a share of the test's
// remaining budget.
func browser(t testing.TB) context.Context {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.ctx != nil && shared.ctx.Err() == nil {
		return shared.ctx
	}
	path := Path(t)
	var errs []error
	for try := 1; try <= startTries; try++ {
		ctx, cancel, err := start(path, Budget(t)/time.Duration(startTries-try+2))
		if err == nil {
			shared.ctx, shared.cancel = ctx, cancel
			return ctx
		}
		errs = append(errs, fmt.Errorf("try %d: %w", try, err))
	}
	t.Fatalf("browser: chromium did not start: %v", errors.Join(errs...))
	return nil
}

// start launches chromium and waits until it answers, at most limit.
func start(path string, limit time.Duration) (context.Context, func(), error) {
	dir, err := os.MkdirTemp("", "zhihui-chromium-")
	if err != nil {
		return nil, nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir),
		chromedp.WindowSize(1366, 768),
		// A browser set up for Chinese, as users in Henan have.
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	stop := func() {
		cancel()
		acancel()
		os.RemoveAll(dir)
	}
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			stop()
			return nil, nil, err
		}
		shared.dir = dir
		return ctx, stop, nil
	case <-timer.C:
		stop()
		<-done
		return nil, nil, fmt.Errorf("no answer within %s", limit.Round(time.Second))
	}
}

// Shutdown stops the process's browser, if one was started. Call it from
// TestMain after m.Run.
func Shutdown() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cancel != nil {
		shared.cancel()
		shared.ctx, shared.cancel = nil, nil
	}
}

// Main runs the tests of a package that uses the browser and stops the
// browser afterwards: func TestMain(m *testing.M) { browser.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	Shutdown()
	os.Exit(code)
}
