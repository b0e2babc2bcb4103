package browser

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Tab is one incognito browser tab: its own cookies, so one user. Every
// method fails the test on error, with a screenshot of the page.
type Tab struct {
	t     testing.TB
	tab   context.Context // the tab, unbounded: for reporting a failure
	ctx   context.Context // bounded by the test's deadline
	base  string          // the site's address, for Open
	label string          // "" for a test's first tab, "tab2", … for the others
	shots int             // how often Screenshots was called
}

// tabsPerTest counts the tabs each test opened, to name their screenshots.
var tabsPerTest sync.Map // test name -> *atomic.Int64

// NewTab opens a fresh incognito tab in the process's browser, at the
// desktop size (1366×768). It closes when the test ends.
func NewTab(t testing.TB, base string) *Tab {
	t.Helper()
	bctx := browser(t)
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browser: new tab: %v", err)
	}
	octx, ocancel := context.WithTimeout(ctx, Budget(t))
	t.Cleanup(ocancel)
	tab := &Tab{t: t, tab: ctx, ctx: octx, base: strings.TrimSuffix(base, "/")}
	n, _ := tabsPerTest.LoadOrStore(t.Name(), new(atomic.Int64))
	if k := n.(*atomic.Int64).Add(1); k > 1 {
		tab.label = fmt.Sprint("tab", k)
	}
	tab.Size(1366, 768)
	// Every journey leaves its last page for reviewers, at both sizes.
	t.Cleanup(tab.lastPage)
	return tab
}

// lastPage saves the tab's last page at both sizes when the test ends,
// unless the test failed (the failure left its own screenshot), the test
// saved them itself, or the tab never opened a page.
func (b *Tab) lastPage() {
	if b.t.Failed() || b.shots > 0 || b.ctx.Err() != nil {
		return
	}
	url, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`location.href`))
	if err != nil || !strings.HasPrefix(url, "http") {
		return
	}
	if _, err := b.shoot(); err != nil {
		b.t.Logf("screenshots of the last page: %v", err)
	}
}

// Context is the tab's chromedp context, for actions the helpers lack.
func (b *Tab) Context() context.Context { return b.ctx }

// fail reports err with where the tab is and a screenshot of it.
func (b *Tab) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	// The test's deadline may have passed: describe the page with a
	// short grace period of its own.
	ctx, cancel := context.WithTimeout(b.tab, 20*time.Second)
	defer cancel()
	url, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len([]rune(text)) > 1500 {
		text = string([]rune(text)[:1500]) + "…"
	}
	if shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		if p, err := write(b.t, "failed", shot); err == nil {
			msg += "\nscreenshot: " + p
		}
	}
	b.t.Fatalf("%s\nat %s\npage text:\n%s", msg, url, text)
}

// do runs chromedp actions, failing the test on error.
func (b *Tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression into v.
func eval[T any](b *Tab, what, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("%s: %v", what, err)
	}
	return v
}

// Size sets the viewport: 1366×768 (desktop) or 390×844 (phone).
func (b *Tab) Size(w, h int64) {
	b.t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if w < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	b.do("viewport", chromedp.EmulateViewport(w, h, opts...))
}

// Home opens the site's home page. It is the only address a journey
// types; everything else is reached through what pages offer.
func (b *Tab) Home() {
	b.t.Helper()
	b.do("open home page", chromedp.Navigate(b.base+"/"), chromedp.WaitReady(chromedp.CSS(`body`)))
}

// Open opens path on the site directly. Journeys use Home; Open is for
// checks that are not journeys (a bookmarked address, an accessibility
// sweep).
func (b *Tab) Open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS(`body`)))
}

// Login logs in from the home page: the header's 登录 link, then the form's
// fields by their labels and its button.
func (b *Tab) Login(name, password string) {
	b.t.Helper()
	b.Home()
	b.Follow("登录")
	b.Fill("用户名", name)
	b.Fill("密码", password)
	b.Press("登录")
	b.WaitFor("logged in as "+name, `!!document.querySelector('.user-menu')`)
}

// URL is the address of the page in the tab.
func (b *Tab) URL() string {
	b.t.Helper()
	return eval[string](b, "location", `location.href`)
}

// Path is the path and query of the page in the tab.
func (b *Tab) Path() string {
	b.t.Helper()
	return eval[string](b, "location", `location.pathname + location.search`)
}

// Text is the visible text of the page (or of the first element matching
// css, when given), with white space collapsed.
func (b *Tab) Text(css ...string) string {
	b.t.Helper()
	expr := `document.body.innerText`
	if len(css) > 0 {
		q, _ := json.Marshal(css[0])
		expr = `(document.querySelector(` + string(q) + `) || {innerText: ""}).innerText`
	}
	return strings.Join(strings.Fields(eval[string](b, "read text", expr)), " ")
}

// Has reports whether the visible text of the page contains s.
func (b *Tab) Has(s string) bool {
	b.t.Helper()
	return strings.Contains(b.Text(), strings.Join(strings.Fields(s), " "))
}

// WaitText waits until the visible text contains s.
func (b *Tab) WaitText(s string) {
	b.t.Helper()
	q, _ := json.Marshal(strings.Join(strings.Fields(s), " "))
	b.WaitFor("text "+s, `document.body && document.body.innerText.split(/\s+/).join(" ").includes(`+string(q)+`)`)
}

// WaitFor waits until the JavaScript expression cond is true, polling.
func (b *Tab) WaitFor(what, cond string) {
	b.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+cond+`) } catch (e) { return false } })()`))
		if err == nil && ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-b.ctx.Done():
			b.fail("waiting for %s: %v (last error: %v)", what, b.ctx.Err(), last)
		case <-tick.C:
		}
	}
}

var marks atomic.Int64

// finder is the JavaScript that finds a visible element by what a person
// sees: kind is "link", "button", "clickable" or "field"; text is matched
// exactly first, then as a substring; scope, when not empty, limits the
// search to rows, list items, cards and forms whose text contains it. It
// marks the element with data-jt=mark and returns "" or why it failed.
const finder = `(kind, text, scope, mark) => {
  const norm = s => (s || "").split(/\s+/).filter(Boolean).join(" ");
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) && getComputedStyle(el).visibility !== "hidden";
  const sel = {
    link: "a[href]",
    button: "button, input[type=submit], input[type=button], [role=button], summary",
    clickable: "a[href], button, input[type=submit], input[type=button], [role=button], [role=tab], summary, label",
  }[kind];
  let pool;
  if (kind === "field") {
    pool = [];
    for (const l of document.querySelectorAll("label")) {
      const c = l.control;
      if (c) pool.push([c, norm(l.innerText)]);
    }
    for (const c of document.querySelectorAll("input, select, textarea")) {
      for (const a of ["aria-label", "placeholder", "title"]) {
        if (c.getAttribute(a)) pool.push([c, norm(c.getAttribute(a))]);
      }
    }
  } else {
    pool = [...document.querySelectorAll(sel)].map(el => [el, norm(el.innerText || el.value || el.getAttribute("aria-label") || el.title)]);
    // A control whose accessible name says more than its text ("重试"
    // with aria-label "重试 12") is found by either; its text first.
    for (const [el, t] of [...pool]) {
      const a = norm(el.getAttribute("aria-label"));
      if (a && a !== t) pool.push([el, a]);
    }
  }
  if (scope) {
    // Keep the elements whose nearest row, item, card or form holding the
    // scope text is the closest: a row says more than the table's card.
    const box = "tr, li, article, section, form, fieldset, .card";
    const dist = el => {
      let d = 0;
      for (let p = el.closest(box); p; p = p.parentElement && p.parentElement.closest(box), d++) {
        if (norm(p.innerText).includes(norm(scope))) return d;
      }
      return -1;
    };
    pool = pool.map(e => [e[0], e[1], dist(e[0])]).filter(e => e[2] >= 0);
    const best = Math.min(...pool.map(e => e[2]));
    pool = pool.filter(e => e[2] === best);
  }
  pool = pool.filter(([el]) => visible(el) || (el.type === "radio" || el.type === "checkbox"));
  const want = norm(text);
  let hit = pool.filter(([, t]) => t === want);
  if (!hit.length) hit = pool.filter(([, t]) => t.startsWith(want));
  if (!hit.length) hit = pool.filter(([, t]) => t.includes(want));
  if (!hit.length) {
    return "nothing " + kind + " says " + JSON.stringify(text) + (scope ? " within " + JSON.stringify(scope) : "") +
      "; there are: " + JSON.stringify(pool.map(([, t]) => t).filter(Boolean).slice(0, 40));
  }
  hit[0][0].setAttribute("data-jt", mark);
  return "";
}`

// find marks the element and returns its selector.
func (b *Tab) find(kind, text, scope string) string {
	b.t.Helper()
	mark := fmt.Sprint(marks.Add(1))
	args, _ := json.Marshal([]string{kind, text, scope, mark})
	// Wait for the element to appear (htmx swaps, slow pages).
	var why string
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var err error
		why, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](`(`+finder+`)(...`+string(args)+`)`))
		if err == nil && why == "" {
			return `[data-jt="` + mark + `"]`
		}
		if err != nil {
			why = err.Error()
		}
		select {
		case <-b.ctx.Done():
			b.fail("find %s %q: %s", kind, text, why)
		case <-tick.C:
		}
	}
}

// pageToken marks the current document so that a navigation can be seen.
func (b *Tab) pageToken() string {
	b.t.Helper()
	tok := fmt.Sprint("p", marks.Add(1))
	eval[bool](b, "mark page", `(window.__journeyPage = "`+tok+`", true)`)
	return tok
}

// waitNewPage waits until a document other than the one marked tok is
// fully loaded.
func (b *Tab) waitNewPage(what, tok string) {
	b.t.Helper()
	b.WaitFor(what+" to load a page", `window.__journeyPage !== "`+tok+`" && document.readyState === "complete" && !!document.body`)
}

// Click clicks the first visible link, button or label showing text,
// without waiting for a new page (for htmx swaps and in-page controls).
// Within, when given, is text of the row, card or form to look in.
func (b *Tab) Click(text string, within ...string) {
	b.t.Helper()
	sel := b.find("clickable", text, strings.Join(within, " "))
	b.do("click "+text, chromedp.Click(chromedp.CSS(sel)))
}

// Follow clicks the link showing text and waits for the page it leads to.
func (b *Tab) Follow(text string, within ...string) {
	b.t.Helper()
	sel := b.find("link", text, strings.Join(within, " "))
	tok := b.pageToken()
	b.do("follow "+text, chromedp.Click(chromedp.CSS(sel)))
	b.waitNewPage("follow "+text, tok)
}

// Press presses the button showing text and waits for the page the form
// answers with.
func (b *Tab) Press(text string, within ...string) {
	b.t.Helper()
	sel := b.find("button", text, strings.Join(within, " "))
	tok := b.pageToken()
	b.do("press "+text, chromedp.Click(chromedp.CSS(sel)))
	b.waitNewPage("press "+text, tok)
}

// Fill types value into the field labelled label (its <label>, or its
// aria-label, placeholder or title), replacing what it held. For a
// <select> it chooses the option showing value; for a check box or radio
// button, value "on" checks it and "off" clears it.
func (b *Tab) Fill(label, value string, within ...string) {
	b.t.Helper()
	var sel, kind string
	for kind == "" {
		sel = b.find("field", label, strings.Join(within, " "))
		// "" when the field found was replaced (an htmx swap) before it
		// could be read: then it is found again.
		kind = eval[string](b, "field kind", `(el => !el ? "" : el.tagName === "SELECT" ? "select" : (el.type === "checkbox" || el.type === "radio") ? "check" : el.type === "file" ? "file" : "text")(document.querySelector('`+sel+`'))`)
		if kind == "" && b.ctx.Err() != nil {
			b.fail("fill %s: the field keeps being replaced", label)
		}
	}
	q, _ := json.Marshal(value)
	switch kind {
	case "select":
		why := eval[string](b, "choose "+value, `(el => {
			const norm = s => (s || "").split(/\s+/).filter(Boolean).join(" ");
			const want = norm(`+string(q)+`);
			const o = [...el.options].find(o => norm(o.text) === want) || [...el.options].find(o => norm(o.text).includes(want)) || [...el.options].find(o => o.value === want);
			if (!o) return "no option " + want + " in " + JSON.stringify([...el.options].map(o => norm(o.text)));
			el.value = o.value;
			el.dispatchEvent(new Event("input", {bubbles: true}));
			el.dispatchEvent(new Event("change", {bubbles: true}));
			return "";
		})(document.querySelector('`+sel+`'))`)
		if why != "" {
			b.fail("fill %s: %s", label, why)
		}
	case "check":
		checked := eval[bool](b, "checked", `document.querySelector('`+sel+`').checked`)
		if checked != (value != "off") {
			b.do("check "+label, chromedp.Click(chromedp.CSS(sel)))
		}
	case "file":
		b.do("choose file for "+label, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{value}))
	default:
		eval[bool](b, "clear "+label, `(el => (el.value = "", el.dispatchEvent(new Event("input", {bubbles: true})), true))(document.querySelector('`+sel+`'))`)
		b.do("fill "+label, chromedp.SendKeys(chromedp.CSS(sel), value))
		// Let handlers that listen for change run, as leaving the field does.
		eval[bool](b, "change "+label, `(el => (el.dispatchEvent(new Event("change", {bubbles: true})), true))(document.querySelector('`+sel+`'))`)
	}
}

// Value is the current value of the field labelled label.
func (b *Tab) Value(label string) string {
	b.t.Helper()
	sel := b.find("field", label, "")
	return eval[string](b, "value of "+label, `document.querySelector('`+sel+`').value`)
}

// Download fetches what the link showing text points to, in the tab (with
// its session), as a person clicking it would download it; it returns the
// body and the response's Content-Type.
func (b *Tab) Download(text string, within ...string) ([]byte, string) {
	b.t.Helper()
	sel := b.find("link", text, strings.Join(within, " "))
	type res struct {
		Status int    `json:"status"`
		Type   string `json:"type"`
		Body   string `json:"body"`
	}
	r := eval[res](b, "download "+text, `(async () => {
		const a = document.querySelector('`+sel+`');
		const r = await fetch(a.href, {credentials: "same-origin"});
		const buf = new Uint8Array(await r.arrayBuffer());
		let s = "";
		for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
		return {status: r.status, type: r.headers.get("content-type") || "", body: btoa(s)};
	})()`)
	if r.Status != 200 {
		b.fail("download %s: status %d", text, r.Status)
	}
	body, err := base64.StdEncoding.DecodeString(r.Body)
	if err != nil {
		b.fail("download %s: %v", text, err)
	}
	return body, r.Type
}

// Href is where the link showing text points.
func (b *Tab) Href(text string, within ...string) string {
	b.t.Helper()
	sel := b.find("link", text, strings.Join(within, " "))
	return eval[string](b, "href", `document.querySelector('`+sel+`').href`)
}

// Screenshots saves the page at 1366×768 and at 390×844 as
// bench/out/journeys/<test name>-desktop.png and -phone.png (whole
// page), and leaves the tab at the desktop size. It returns the paths.
func (b *Tab) Screenshots() []string {
	b.t.Helper()
	b.shots++
	paths, err := b.shoot()
	if err != nil {
		b.fail("screenshot: %v", err)
	}
	return paths
}

// shoot saves the page at the phone's size and then the desktop's.
func (b *Tab) shoot() ([]string, error) {
	var paths []string
	for _, s := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1366, 768}} {
		opts := []chromedp.EmulateViewportOption{}
		if s.w < 600 {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(s.w, s.h, opts...)); err != nil {
			return paths, err
		}
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`)); err != nil {
			return paths, err
		}
		shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return paths, err
		}
		name := s.name
		if b.label != "" {
			name = b.label + "-" + name
		}
		p, err := write(b.t, name, shot)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// ScrollsSideways reports whether the page is wider than the viewport.
func (b *Tab) ScrollsSideways() bool {
	b.t.Helper()
	return eval[bool](b, "width", `document.documentElement.scrollWidth > window.innerWidth + 1`)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// write saves a PNG under bench/out/journeys of the module.
func write(t testing.TB, suffix string, png []byte) (string, error) {
	dir, err := OutDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, unsafeName.ReplaceAllString(t.Name(), "_")+"-"+suffix+".png")
	return p, os.WriteFile(p, png, 0o644)
}

// OutDir is bench/out/journeys in the module (created if needed), where
// browser tests leave screenshots for reviewers; it is not committed.
func OutDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("browser: no go.mod above the working directory")
		}
		dir = up
	}
	out := filepath.Join(dir, "bench", "out", "journeys")
	return out, os.MkdirAll(out, 0o755)
}
