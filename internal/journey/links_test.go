package journey

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
)

// seedReports puts one county report in each approval state a form can
// show buttons for: COUNTY_ANNUAL 2019 of 中原区 submitted, COUNTY_QUARTERLY
// 2019Q4 approved.
func seedReports(ctx context.Context, s *Site) error {
	actor := audit.Actor{Name: "seed"}
	u, err := orgunit.Get(ctx, s.DB, "410102")
	if err != nil {
		return err
	}
	for _, r := range []struct {
		ds, pe  string
		approve bool
	}{{"COUNTY_ANNUAL", "2019", false}, {"COUNTY_QUARTERLY", "2019Q4", true}} {
		d, err := reporting.GetDataSet(ctx, s.DB, r.ds)
		if err != nil {
			return err
		}
		p := period.MustParse(r.pe)
		if err := reporting.Submit(ctx, s.DB, actor, d, u, p); err != nil {
			return fmt.Errorf("submit %s: %w", r.ds, err)
		}
		if r.approve {
			if err := reporting.Decide(ctx, s.DB, actor, d, u, p, true, "ok"); err != nil {
				return fmt.Errorf("approve %s: %w", r.ds, err)
			}
		}
	}
	return nil
}

// TestLinksResolve walks, for each role, every page reachable from the
// home page (following links and submitting GET forms with the values they
// offer, a few addresses per route) and checks every link, form action and
// htmx address on them: none may carry a percent-encoded query separator
// (html/template encodes "=" and "&" of a string printed after "?"), every
// one must match a route, and every page reached must open (no 404, no
// server error). No browser: it runs in make test-short.
func TestLinksResolve(t *testing.T) {
	t.Parallel()
	s := Start(t, SQLite, Options{Seed: seedReports})
	mux := http.NewServeMux()
	for _, p := range append(s.Web.Patterns(), "GET /static/") {
		mux.Handle(p, http.NotFoundHandler())
	}
	village, err := orgunit.Descendants(context.Background(), s.DB, "/41/4101/410102/", 5, 1)
	if err != nil || len(village) == 0 {
		t.Fatalf("a village under 中原区: %v", err)
	}
	forms := []string{"/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019", "/reporting/form?ds=COUNTY_QUARTERLY&ou=410102&pe=2019Q4"}
	roles := []struct {
		role  auth.Role
		org   string
		extra []string
	}{
		{"", "", nil},
		{auth.Admin, "41", forms},
		{auth.Office, "41", forms},
		{auth.Reporter, "410102", forms},
		{auth.Reporter, village[0].Code, []string{"/reporting/form?ds=VILLAGE_MONTHLY&ou=" + village[0].Code + "&pe=202001"}},
		{auth.Approver, "4101", forms},
		{auth.Leader, "41", nil},
		{auth.Expert, "41", nil},
		{auth.Evaluator, "41", nil},
		{auth.Enterprise, "4101", nil},
	}
	for i, r := range roles {
		name := string(r.role)
		if name == "" {
			name = "anonymous"
		}
		t.Run(name+"@"+r.org, func(t *testing.T) {
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
			c.Jar, _ = cookiejar.New(nil)
			if r.role != "" {
				user := fmt.Sprintf("links%d", i)
				s.User(user, "", r.role, r.org)
				resp, err := c.PostForm(s.URL+"/login", url.Values{"name": {user}, "password": {Password}})
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.Request.URL.Path == "/login" {
					t.Fatalf("login as %s failed", user)
				}
			}
			w := &walker{t: t, s: s, c: c, mux: mux, seen: map[string]bool{}, perRoute: map[string]int{}}
			w.queue = append([]string{"/"}, r.extra...)
			w.run()
			if w.pages < 3 {
				t.Fatalf("only %d pages reached", w.pages)
			}
			t.Logf("%d pages, %d addresses checked", w.pages, w.checked)
		})
	}
}

// walker is a breadth-first walk over one user's pages.
type walker struct {
	t        *testing.T
	s        *Site
	c        *http.Client
	mux      *http.ServeMux
	queue    []string
	seen     map[string]bool
	perRoute map[string]int // pages fetched per route pattern
	pages    int
	checked  int
}

// Bounds of a walk: addresses per route and pages in all.
const (
	walkPerRoute = 3
	walkPages    = 250
)

func (w *walker) run() {
	for len(w.queue) > 0 && w.pages < walkPages {
		ref := w.queue[0]
		w.queue = w.queue[1:]
		w.visit(ref)
	}
}

// route is the pattern that serves method and target, or "".
func (w *walker) route(method, target string) string {
	req, err := http.NewRequest(method, w.s.URL+target, nil)
	if err != nil {
		return ""
	}
	_, p := w.mux.Handler(req)
	return p
}

func (w *walker) visit(ref string) {
	t := w.t
	resp, err := w.c.Get(w.s.URL + ref)
	if err != nil {
		t.Errorf("GET %s: %v", ref, err)
		return
	}
	defer resp.Body.Close()
	w.pages++
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 500 {
		t.Errorf("GET %s: %s", ref, resp.Status)
		return
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || resp.Request.URL.Host != strings.TrimPrefix(w.s.URL, "http://") {
		io.Copy(io.Discard, resp.Body)
		return
	}
	doc, err := html.Parse(resp.Body)
	if err != nil {
		t.Errorf("%s: %v", ref, err)
		return
	}
	base := resp.Request.URL
	var walk func(n *html.Node, form *html.Node)
	walk = func(n *html.Node, form *html.Node) {
		if n.Type == html.ElementNode {
			if n.Data == "form" {
				form = n
				w.form(ref, base, n)
			}
			for _, a := range n.Attr {
				switch a.Key {
				case "href", "action", "hx-get", "hx-post", "hx-put", "hx-delete", "src":
					method := http.MethodGet
					switch {
					case a.Key == "action":
						method = strings.ToUpper(attr(n, "method"))
						if method == "" {
							method = http.MethodGet
						}
					case strings.HasPrefix(a.Key, "hx-") && a.Key != "hx-get":
						method = strings.ToUpper(strings.TrimPrefix(a.Key, "hx-"))
					}
					w.check(ref, base, n.Data, a.Key, method, a.Val, n.Data == "a" && a.Key == "href" && attr(n, "download") == "")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, form)
		}
	}
	walk(doc, nil)
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// check tests one address found on page ref and queues it when follow.
func (w *walker) check(ref string, base *url.URL, tag, key, method, raw string, follow bool) {
	t := w.t
	low := strings.ToLower(raw)
	if strings.Contains(low, "%3d") || strings.Contains(low, "%26") || strings.Contains(low, "%3f") {
		t.Errorf("%s: <%s %s=%q> carries an encoded query separator", ref, tag, key, raw)
	}
	u, err := base.Parse(raw)
	if err != nil {
		t.Errorf("%s: <%s %s=%q>: %v", ref, tag, key, raw, err)
		return
	}
	if u.Scheme != "http" || u.Host != base.Host || raw == "" || strings.HasPrefix(raw, "#") {
		return
	}
	w.checked++
	target := u.RequestURI()
	p := w.route(method, target)
	if p == "" {
		t.Errorf("%s: <%s %s=%q>: no route for %s %s", ref, tag, key, raw, method, u.Path)
		return
	}
	if follow && method == http.MethodGet {
		w.enqueue(p, target)
	}
}

func (w *walker) enqueue(pattern, target string) {
	if w.seen[target] || strings.HasPrefix(target, "/static/") || w.perRoute[pattern] >= walkPerRoute {
		return
	}
	w.seen[target] = true
	w.perRoute[pattern]++
	w.queue = append(w.queue, target)
}

// form submits a GET form with the values it offers (first option of
// each select, the value of each field); forms with an empty required
// field are left alone, as a person could not submit them either.
func (w *walker) form(ref string, base *url.URL, f *html.Node) {
	if m := strings.ToUpper(attr(f, "method")); m != "" && m != http.MethodGet {
		return
	}
	v := url.Values{}
	ok := true
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "name") != "" && attr(n, "disabled") == "" {
			name := attr(n, "name")
			switch n.Data {
			case "input":
				typ := attr(n, "type")
				if (typ == "checkbox" || typ == "radio") && !hasAttr(n, "checked") {
					break
				}
				if typ == "submit" || typ == "button" {
					break
				}
				val := attr(n, "value")
				if val == "" && hasAttr(n, "required") {
					ok = false
				}
				v.Add(name, val)
			case "select":
				var first, chosen string
				var opts func(*html.Node)
				opts = func(o *html.Node) {
					if o.Type == html.ElementNode && o.Data == "option" {
						val := attr(o, "value")
						if !hasAttr(o, "value") && o.FirstChild != nil {
							val = strings.TrimSpace(o.FirstChild.Data)
						}
						if first == "" {
							first = val
						}
						if hasAttr(o, "selected") {
							chosen = val
						}
					}
					for c := o.FirstChild; c != nil; c = c.NextSibling {
						opts(c)
					}
				}
				opts(n)
				if chosen == "" {
					chosen = first
				}
				v.Add(name, chosen)
			case "textarea":
				v.Add(name, "")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(f)
	if !ok {
		return
	}
	u, err := base.Parse(attr(f, "action"))
	if err != nil || u.Host != base.Host {
		return
	}
	u.RawQuery = v.Encode()
	if p := w.route(http.MethodGet, u.RequestURI()); p != "" {
		w.enqueue(p, u.RequestURI())
	}
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}
