package journey

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
)

// TestPhoneMenuNeverTakesThePagesTaps: on a 390×844 phone the menu drawer
// opens over the page; a tap beside it closes it without following
// anything beneath; once closed — even while it is still sliding out — a
// tap where its links were reaches the page's link, not the menu (a tap
// on a table link once opened 公众评价 instead).
func TestPhoneMenuNeverTakesThePagesTaps(t *testing.T) {
	t.Parallel()
	browser.Path(t)
	s := Start(t, SQLite, Options{})
	s.User("lingdao", "省领导", auth.Leader, "41")
	b := browser.NewTab(t, s.URL)
	b.Size(390, 844)
	b.Login("lingdao", Password)
	b.WaitText("量化目标")
	start := b.Path()
	// a target link of the home page's table, under the menu's links
	over := `(() => { const a = document.querySelector("main table a[href^='/plan/targets/']"); a.scrollIntoView({block: "center"}); const r = a.getClientRects()[0]; return [r.left + r.width / 2, r.top + r.height / 2]; })()`
	xy, err := chromedp.Run(b.Context(), chromedp.Evaluate[[]float64](over))
	if err != nil || len(xy) != 2 {
		t.Fatalf("target link position: %v %v", xy, err)
	}
	inMenu := func() bool {
		v, err := chromedp.Run(b.Context(), chromedp.Evaluate[bool](`(() => { const e = document.elementFromPoint(`+ftoa(xy[0])+`, `+ftoa(xy[1])+`); return !!(e && e.closest(".sidenav")); })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	b.Click("菜单")
	b.WaitFor("the menu to open", `document.getElementById("sidenav").getBoundingClientRect().left >= 0`)
	if !inMenu() {
		t.Fatal("the open menu does not cover the table's link: the test would prove nothing")
	}
	// a tap beside the open drawer closes it and follows nothing
	if err := chromedp.Do(b.Context(), chromedp.MouseClickXY(380, 700)); err != nil {
		t.Fatal(err)
	}
	b.WaitFor("the menu to close", `!document.documentElement.classList.contains("nav-open")`)
	if b.Path() != start {
		t.Fatalf("a tap beside the menu went to %s", b.Path())
	}
	// closed with the button: at once, while it still slides out, the
	// page's link is what a tap there reaches
	b.Click("菜单")
	b.WaitFor("the menu to open", `document.getElementById("sidenav").getBoundingClientRect().left >= 0`)
	b.Click("菜单")
	if inMenu() {
		t.Error("the closing menu still takes taps meant for the page")
	}
	// in the same instant: what a tap on the link's place reaches
	under, err := chromedp.Run(b.Context(), chromedp.Evaluate[string](`(() => { const a = document.querySelector("main table a[href^='/plan/targets/']"); const r = a.getClientRects()[0]; const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); const l = e && e.closest("a"); return l ? l.getAttribute("href") : (e ? e.tagName + "." + e.className : "nothing"); })()`))
	if err != nil || !strings.HasPrefix(under, "/plan/targets/") {
		t.Errorf("a tap on the table's link reaches %q (%v)", under, err)
	}
	b.Screenshots()
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
