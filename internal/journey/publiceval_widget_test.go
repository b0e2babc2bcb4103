package journey

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"zhihui/internal/audit"
	"zhihui/internal/journey/browser"
	"zhihui/internal/publiceval"
)

// hostPage is a county's own page with its own styles and the widget's
// one script tag.
const hostPage = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>中原区人民政府网</title>
<style>body{font-family:serif} h1{color:rgb(0, 0, 255)} button{color:rgb(255, 0, 0);font-size:31px} label{color:rgb(0, 128, 0)} p{margin:7px}</style></head>
<body><h1>中原区人民政府网</h1><p><button id="own" type="button">网站自己的按钮</button> <label id="ownlabel">栏目</label></p>
<script src="%s/widget.js" data-target="%s" async></script></body></html>`

// TestPublicEvaluationWidgetKeyboard: on a county's own page (a real
// local server whose address is the service's registered site, so the
// widget may post from it), a visitor using only the keyboard tabs to
// the widget's button, opens the dialog, chooses 非常不满意 with the arrow
// keys, ticks a reason, types a comment and sends it. The rating is
// stored through the widget channel and opens a case; the host page's
// own styles are untouched and its button style does not reach the
// widget's.
func TestPublicEvaluationWidgetKeyboard(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var siteURL, key string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, hostPage, siteURL, key)
	}))
	t.Cleanup(host.Close) // after the parallel subtests
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		tg, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindPage, Name: "中原区政务公开栏目", URL: host.URL + "/", OrgCode: "410102"},
			func(string) bool { return true })
		mu.Lock()
		key = tg.Key
		mu.Unlock()
		return err
	}}, func(t *testing.T, s *Site) {
		mu.Lock()
		siteURL = s.URL
		mu.Unlock()
		ctx := context.Background()
		tab := browser.NewTab(t, host.URL)
		tab.Home()
		const w = `document.querySelector("[data-zhihui-widget]")`
		tab.WaitFor("the widget's button", w+`.shadowRoot.querySelector("button.open")`)
		styles := `(() => { const cs = s => getComputedStyle(document.querySelector(s)); return [cs("h1").color, cs("#own").color, cs("#own").fontSize, cs("#ownlabel").color, cs("body").fontFamily].join("|") })()`
		str := func(expr string) string {
			t.Helper()
			v, err := chromedp.Run(tab.Context(), chromedp.Evaluate[string](expr))
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := str(styles)
		if before != "rgb(0, 0, 255)|rgb(255, 0, 0)|31px|rgb(0, 128, 0)|serif" {
			t.Fatalf("host styles with the widget: %s", before)
		}
		key := func(what string, keys string, until string) {
			t.Helper()
			for i := 0; i < 12; i++ {
				ok, err := chromedp.Run(tab.Context(), chromedp.Evaluate[bool](`(() => { try { return !!(`+until+`) } catch (e) { return false } })()`))
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					return
				}
				if _, err := chromedp.Run(tab.Context(), chromedp.KeyEvent(keys)); err != nil {
					t.Fatal(err)
				}
			}
			t.Fatalf("%s: not reached with the keyboard", what)
		}
		active := w + `.shadowRoot.activeElement`
		key("focus the widget's button", kb.Tab, `document.activeElement === `+w+` && `+active+`.matches("button.open")`)
		if _, err := chromedp.Run(tab.Context(), chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		tab.WaitFor("the dialog with focus on a level", w+`.shadowRoot.querySelector("[role=dialog][aria-modal=true]") && `+active+`.name === "level"`)
		key("choose 非常不满意", kb.ArrowDown, active+`.checked && `+active+`.value === "1"`)
		key("the first reason", kb.Tab, active+`.name === "tags"`)
		if _, err := chromedp.Run(tab.Context(), chromedp.KeyEvent(" ")); err != nil {
			t.Fatal(err)
		}
		key("the comment", kb.Tab, active+`.name === "comment"`)
		if _, err := chromedp.Run(tab.Context(), chromedp.KeyEvent("政务公开栏目三个月没有更新")); err != nil {
			t.Fatal(err)
		}
		key("the send button", kb.Tab, active+`.matches("button.send")`)
		if _, err := chromedp.Run(tab.Context(), chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
		tab.WaitFor("the thanks", w+`.shadowRoot.querySelector(".msg").textContent.includes("感谢")`)

		after, widgetButton := str(styles), str(`getComputedStyle(`+w+`.shadowRoot.querySelector("button.open")).color`)
		if after != before || widgetButton == "rgb(255, 0, 0)" {
			t.Fatalf("host styles %s → %s; the widget's button %s", before, after, widgetButton)
		}
		var level int
		var tags, comment, channel, flags, origin string
		if err := s.DB.R.QueryRowContext(ctx, `SELECT level, tags, comment, channel, flags, origin FROM publiceval_rating`).Scan(&level, &tags, &comment, &channel, &flags, &origin); err != nil {
			t.Fatal(err)
		}
		if level != 1 || tags != "outdated" || comment != "政务公开栏目三个月没有更新" || channel != publiceval.ChannelWidget || flags != "" || !strings.HasPrefix(host.URL, origin) {
			t.Fatalf("stored: %d %q %q %s %q %q", level, tags, comment, channel, flags, origin)
		}
		cases, err := publiceval.Cases(ctx, s.DB, publiceval.CaseFilter{Scopes: []string{"/41/"}})
		if err != nil || len(cases) != 1 || cases[0].OrgCode != "410102" {
			t.Fatalf("cases: %+v %v", cases, err)
		}
	})
}
