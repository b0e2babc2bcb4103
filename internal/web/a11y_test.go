package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
//
// Each page is loaded once. At the desktop size every rule runs on the
// whole page. The page is then narrowed to the phone size (the style
// sheet's media queries and the scripts' resize handlers apply, as when
// a phone loads it) and every rule runs again on the whole page but
// color-contrast, the costliest by far; color-contrast runs on every
// element whose contrast can differ from the desktop's: those whose
// visibility, colours, background, opacity, position or size class (axe's
// large text) changed, with what they contain.
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
	locale, err := os.ReadFile("static/vendor/axe.zh_CN.json")
	if err != nil {
		t.Fatal(err)
	}
	// the core's pages, then every module's (module.Module.Pages)
	pages := []string{"/", "/orgunits/4101", "/orgunits?q=" + "兰考", "/search?q=" + "郑州", "/admin/users", "/admin/audit", "/account",
		"/dashboard", "/dashboard?ou=4101", "/public"}
	for _, m := range e.srv.opt.Modules {
		pages = append(pages, m.Pages...)
	}
	pages = append(pages, a11yDetailPages(t, e.db)...)
	pages = append(pages, ecstatA11yPages(t, e.db)...) // pages that need stored data
	// The anonymous login page is checked too, then the admin logs in
	// once; the session cookie stays in the tab.
	for _, problem := range checkPage(t, ctx, ts.URL, "/login", locale) {
		t.Error(problem)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), admin.Name),
		chromedp.SendKeys(chromedp.CSS(`#password`), "test-password"),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitReady(chromedp.CSS(`.user-menu`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		for _, problem := range checkPage(t, ctx, ts.URL, p, locale) {
			t.Error(problem)
		}
	}
}

// checkPage loads path at the desktop size, checks it with axe-core,
// narrows it to the phone size and checks it again (see TestAccessibility)
// and that it does not scroll sideways. It returns the problems found.
func checkPage(t *testing.T, ctx context.Context, base, path string, locale []byte) (problems []string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.CSS(`main`)),
	)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	// axe-core is loaded from the site, as a page loads a script: the
	// browser keeps it (and its compiled code) between pages.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((ok, fail) => {
		const s = document.createElement("script");
		s.src = "/static/vendor/axe.min.js";
		s.onload = () => ok(!!window.axe);
		s.onerror = () => fail(new Error("axe.min.js did not load"));
		document.head.appendChild(s);
	})`, chromedp.EvalAwaitPromise))
	if err != nil || !loaded {
		t.Fatalf("%s: load axe: %v", path, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`axe.configure({locale: `+string(locale)+`}), window.__a11yDesktop = (`+contrastInputs+`)(), true`)); err != nil {
		t.Fatalf("%s: configure axe: %v", path, err)
	}
	problems = append(problems, runAxe(t, ctx, path+" desktop", `axe.run(document, {resultTypes: ["violations"]})`)...)

	// The phone: the same document, narrowed; wait until a frame at the
	// new size has been laid out (the charts resize on the next frame).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatalf("%s: phone size: %v", path, err)
	}
	narrow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(ok => requestAnimationFrame(() => requestAnimationFrame(() => ok(window.innerWidth === 390))))`, chromedp.EvalAwaitPromise))
	if err != nil || !narrow {
		t.Fatalf("%s: phone size: %v (390 px wide: %v)", path, err, narrow)
	}
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if wide {
		problems = append(problems, path+" scrolls sideways at 390px")
	}
	problems = append(problems, runAxe(t, ctx, path+" phone", `axe.run(document, {resultTypes: ["violations"], rules: {"color-contrast": {enabled: false}}})`)...)
	return append(problems, runAxe(t, ctx, path+" phone", `(() => {
		const now = (`+contrastInputs+`)(), before = window.__a11yDesktop;
		const changed = new Set();
		for (const [el, k] of now) {
			if (before.get(el) !== k) changed.add(el);
		}
		// the outermost changed elements; each is checked with what it contains
		const roots = [...changed].filter(el => {
			for (let p = el.parentElement; p; p = p.parentElement) if (changed.has(p)) return false;
			return true;
		});
		if (!roots.length) return Promise.resolve({violations: []});
		return axe.run({include: roots}, {resultTypes: ["violations"], runOnly: {type: "rule", values: ["color-contrast"]}});
	})()`)...)
}

// contrastInputs is a JavaScript function returning, for every element
// of the page, what its text's contrast as axe-core judges it depends on:
// whether it is rendered, its colours, background and opacity, how it is
// positioned (what it may cover or be covered by) and whether its text
// is large (axe: 18 pt, or 14 pt bold), or close to either threshold.
const contrastInputs = `() => {
	const m = new Map();
	for (const el of document.querySelectorAll("html, body, body *")) {
		const cs = getComputedStyle(el);
		const pt = parseFloat(cs.fontSize) * 72 / 96, bold = parseInt(cs.fontWeight, 10) >= 700;
		const large = pt >= 18 || (bold && pt >= 14);
		const near = Math.abs(pt - 18) < 1 || (bold && Math.abs(pt - 14) < 1) ? cs.fontSize : "";
		const shown = el.getClientRects().length > 0 && cs.visibility !== "hidden" && cs.display !== "none";
		m.set(el, [shown, cs.color, cs.backgroundColor, cs.backgroundImage, cs.opacity, cs.textShadow, cs.filter, cs.mixBlendMode,
			cs.position, cs.zIndex, cs.transform, cs.overflow, large, near].join("|"));
	}
	return m;
}`

// runAxe evaluates script, an axe.run call, and returns its serious and
// critical violations.
func runAxe(t *testing.T, ctx context.Context, name, script string) (problems []string) {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](script+`.then(r => JSON.stringify(r.violations))`, chromedp.EvalAwaitPromise))
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
			problems = append(problems, fmt.Sprintf("%s: %s (%s): %s at %s", name, v.ID, v.Impact, v.Help, strings.Join(where, "; ")))
		}
	}
	return problems
}

// TestAccessibilityPhoneOnly: the phone checks of one loaded page find
// what only a phone shows — text whose contrast fails only at the phone
// size, a control shown only there without a name, a page that scrolls
// sideways only there — and nothing at the desktop size.
func TestAccessibilityPhoneOnly(t *testing.T) {
	ctx := newBrowser(t)
	locale, err := os.ReadFile("static/vendor/axe.zh_CN.json")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.Dir("static"))))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>手机检查</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>
body { color: #111; background: #fff; font-size: 16px; }
.only-phone { display: none; }
@media (max-width: 480px) {
  .faint { color: #bbb; }
  .only-phone { display: inline-block; width: 40px; height: 40px; }
  .wide { width: 600px; }
}
</style></head><body><main><h1>手机检查</h1><p class="faint">只在手机上变浅的文字</p>
<button class="only-phone"></button><div class="wide">宽</div></main></body></html>`)
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	got := strings.Join(checkPage(t, ctx, ts.URL, "/", locale), "\n")
	for _, want := range []string{"/ phone: color-contrast", "/ phone: button-name", "/ scrolls sideways at 390px"} {
		if !strings.Contains(got, want) {
			t.Errorf("the phone checks miss %q; found:\n%s", want, got)
		}
	}
	if strings.Contains(got, "desktop") {
		t.Errorf("the desktop check found problems only a phone has:\n%s", got)
	}
}
