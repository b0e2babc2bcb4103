package journey

import (
	"testing"

	"zhihui/internal/journey/browser"
)

// TestPublic: a visitor who is not logged in goes from the home page to
// the public progress page, reads the province's target cards and the
// ranking of cities, opens a city from the ranking, reads its page and
// goes back to the province; the page fits a desktop and a 390 px phone
// without scrolling sideways. Nothing asks for a login, and the page
// offers none of the exports or links meant for staff.
func TestPublic(t *testing.T) {
	t.Parallel()
	browser.Path(t) // a browser journey: skips with -short before starting the site
	s := Start(t, SQLite, Options{Demo: true})
	b := browser.NewTab(t, s.URL)
	b.Home()
	b.Follow("目标进展公开")
	b.WaitText("公开发布的指标及其进展，无需登录。")
	if !b.Has("河南省信息化目标进展") || !b.Has("目标进展") {
		t.Fatalf("public page: %s", b.Text("main"))
	}
	if b.Has("用户名") || b.Has("CSV") || b.Has("XLSX") {
		t.Errorf("the public page offers a login form or staff exports: %s", b.Text("main"))
	}
	b.Follow("郑州市")
	b.WaitText("返回全省")
	if h := b.Text("h1"); h != "河南省信息化目标进展 · 郑州市" {
		t.Errorf("city page heading %q", h)
	}
	b.Follow("返回全省")
	b.WaitText("公开发布的指标及其进展")
	if b.Has("返回全省") {
		t.Error("back at the province, the page still offers to go back")
	}
	for _, size := range [][2]int64{{1366, 768}, {390, 844}} {
		b.Size(size[0], size[1])
		if b.ScrollsSideways() {
			t.Errorf("the public page scrolls sideways at %d×%d", size[0], size[1])
		}
	}
	b.Screenshots()
}
