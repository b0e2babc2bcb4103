package journey

import (
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
)

// TestExpert: a review expert examines the evaluation without changing
// it: from the home page to 评估, the list of frameworks, one framework
// with its indicators and weights; the pages offer no way to create or
// edit a framework. Experts used to be turned away from every
// evaluation page.
func TestExpert(t *testing.T) {
	t.Parallel()
	browser.Path(t) // a browser journey: skips with -short before starting the site
	s := Start(t, SQLite, Options{})
	s.User("zhuanjia", "评审专家甲", auth.Expert, "41")
	b := browser.NewTab(t, s.URL)
	b.Login("zhuanjia", Password)
	b.Follow("评估")
	b.WaitText("信息化评估")
	if b.Has("企业信息化水平评测") {
		t.Error("an expert is offered the enterprise self-assessment")
	}
	b.Follow("指标体系")
	b.WaitText("指标体系")
	if b.Has("新建指标体系") {
		t.Errorf("an expert is offered to create a framework: %s", b.Text("main"))
	}
	b.Follow("city-informatization")
	b.WaitText("城市信息化发展指数")
	if b.Has("编辑") {
		t.Errorf("an expert is offered to edit the framework: %s", b.Text("main"))
	}
	b.Screenshots()
}
