// Package axe runs the axe-core accessibility engine in headless Chromium
// on a set of pages and reports violations (WCAG 2.x A and AA rules, which
// GB/T 37668-2019 follows for web content).
//
// The axe-core script is a parameter: the caller passes the bytes of a
// vendored axe.min.js, so this package ships no copy of its own.
package axe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"zhihui/internal/webcheck/crawl"
)

// DefaultChromePath is where Chromium is looked for when Options.ChromePath
// is empty.
const DefaultChromePath = "/usr/bin/chromium"

// ErrNoBrowser is returned when the Chromium executable does not exist.
var ErrNoBrowser = errors.New("axe: chromium not found")

// Options configure [Run].
type Options struct {
	ChromePath string        // default DefaultChromePath
	Timeout    time.Duration // per page; default 60 s
	// Tags selects axe rules by tag; default wcag2a, wcag2aa, wcag21a, wcag21aa.
	Tags []string
	// AllowPrivate lets the browser load private addresses. Without it
	// every connection the browser makes (navigations, redirects,
	// subresources) goes through a proxy that refuses non-public
	// addresses at dial time, as the crawler does.
	AllowPrivate bool
	// Allow, when set, decides instead which addresses the browser may
	// connect to (tests: exactly one loopback server).
	Allow func(netip.AddrPort) bool
	// RunPageScripts lets the inspected pages run their own scripts; by
	// default only axe-core runs.
	RunPageScripts bool
	// Locale is an axe-core locale file (JSON, e.g. axe.zh_CN.json); when
	// set, rule help texts come back in its language.
	Locale []byte
}

// Node is one element that fails a rule.
type Node struct {
	Target []string `json:"target"`
	HTML   string   `json:"html"`
}

// Violation is one axe rule failed on a page.
type Violation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"` // minor, moderate, serious, critical
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []Node `json:"nodes"`
}

// Result is the axe outcome for one page.
type Result struct {
	URL        string      `json:"url"`
	Violations []Violation `json:"violations"`
	Passes     int         `json:"passes"`
	Incomplete int         `json:"incomplete"`
	Err        string      `json:"error,omitempty"`
	// Blocked are the addresses (host:port) the page tried to reach and
	// the guard refused.
	Blocked []string `json:"blocked,omitempty"`
}

// Counts returns the number of violated rules by impact.
func (r *Result) Counts() map[string]int {
	m := map[string]int{}
	for _, v := range r.Violations {
		m[v.Impact]++
	}
	return m
}

// runScript is evaluated after the axe script; it resolves to the JSON
// summary decoded by [ParseResult].
func runScript(tags []string) string {
	t, _ := json.Marshal(tags)
	return `axe.run(document, {runOnly: {type: "tag", values: ` + string(t) + `}, resultTypes: ["violations"]}).then(r => JSON.stringify({
  url: location.href,
  passes: r.passes.length,
  incomplete: r.incomplete.length,
  violations: r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.slice(0, 20).map(n => ({target: n.target.map(String), html: (n.html || "").slice(0, 300)}))}))
}))`
}

// ParseResult decodes the JSON produced by the in-page run script.
func ParseResult(b []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("axe: decode result: %w", err)
	}
	return &r, nil
}

// Run starts one headless Chromium, loads each URL in turn, injects script
// (the axe-core source) and runs it. A page that fails to load or to run
// gets a Result with Err set; Run itself fails only when the browser cannot
// start or script is empty.
func Run(ctx context.Context, script []byte, urls []string, o Options) ([]Result, error) {
	if len(script) == 0 {
		return nil, errors.New("axe: empty axe-core script")
	}
	if len(o.Locale) > 0 && !json.Valid(o.Locale) {
		return nil, errors.New("axe: locale is not valid JSON")
	}
	path := o.ChromePath
	if path == "" {
		path = DefaultChromePath
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("%w at %s", ErrNoBrowser, path)
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	tags := o.Tags
	if len(tags) == 0 {
		tags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}
	}
	allow := o.Allow
	if allow == nil {
		allow = func(ap netip.AddrPort) bool { return o.AllowPrivate || crawl.IsPublic(ap.Addr()) }
	}
	proxy, err := newGuardProxy(allow)
	if err != nil {
		return nil, fmt.Errorf("axe: start the network guard: %w", err)
	}
	defer proxy.Close()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		// every connection through the guard, loopback included
		chromedp.ProxyServer(proxy.URL()), chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("disable-quic", true), chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if _, err := chromedp.Run(bctx, chromedp.Navigate("about:blank")); err != nil {
		return nil, fmt.Errorf("axe: start chromium: %w", err)
	}
	run := runScript(tags)
	inject := string(script)
	if len(o.Locale) > 0 {
		inject += ";\naxe.configure({locale: " + string(o.Locale) + "});"
	}
	out := make([]Result, 0, len(urls))
	for _, u := range urls {
		before := len(proxy.Blocked())
		r := runPage(bctx, inject, run, u, o.Timeout, !o.RunPageScripts)
		if b := proxy.Blocked(); len(b) > before {
			r.Blocked = b[before:]
			if pu, err := url.Parse(u); err == nil && slices.Contains(r.Blocked, hostPort(pu)) {
				r = Result{URL: u, Err: "refused: " + pu.Host + " is not a public address", Blocked: r.Blocked}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// hostPort is u's host with its port, the default one if none is given.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "https" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// sameAddress reports whether the page ended where it was asked for: the
// same host and port (a switch from http to https on the same host is not
// a different address).
func sameAddress(asked, final string) bool {
	a, err1 := url.Parse(asked)
	f, err2 := url.Parse(final)
	if err1 != nil || err2 != nil {
		return false
	}
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		return map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if !strings.EqualFold(a.Hostname(), f.Hostname()) {
		return false
	}
	return port(a) == port(f) || (a.Scheme == "http" && f.Scheme == "https" && port(f) == "443")
}

func runPage(bctx context.Context, script, run, u string, timeout time.Duration, noPageScripts bool) Result {
	tctx, cancelTab := chromedp.NewContext(bctx)
	defer cancelTab()
	tctx, cancel := context.WithTimeout(tctx, timeout)
	defer cancel()
	if noPageScripts {
		// The page's own scripts do not run; axe-core is evaluated
		// through the DevTools protocol, which this does not stop.
		disable := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		})
		if err := chromedp.Do(tctx, disable); err != nil {
			return Result{URL: u, Err: "disable page scripts: " + err.Error()}
		}
	}
	if _, err := chromedp.Run(tctx, chromedp.Navigate(u)); err != nil {
		return Result{URL: u, Err: "load: " + err.Error()}
	}
	if noPageScripts {
		// Loaded without running the page's scripts; axe-core needs
		// the script engine (timers, promises) from here on.
		enable := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false})
			return err
		})
		if err := chromedp.Do(tctx, enable); err != nil {
			return Result{URL: u, Err: "enable scripts for axe: " + err.Error()}
		}
	}
	final, err := chromedp.Run(tctx, chromedp.Location())
	if err != nil {
		return Result{URL: u, Err: "load: " + err.Error()}
	}
	if !sameAddress(u, final) {
		// Nothing of another address goes into the report.
		return Result{URL: u, Err: "the page moved to another address; not checked"}
	}
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[chromedp.Void](script)); err != nil {
		return Result{URL: u, Err: "inject axe: " + err.Error()}
	}
	s, err := chromedp.Run(tctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		return Result{URL: u, Err: "run axe: " + err.Error()}
	}
	r, err := ParseResult([]byte(s))
	if err != nil {
		return Result{URL: u, Err: err.Error()}
	}
	if !sameAddress(u, r.URL) {
		return Result{URL: u, Err: "the page moved to another address; not checked"}
	}
	r.URL = u
	return *r
}
