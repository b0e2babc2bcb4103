package journey

import (
	"context"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/orgunit"
	"zhihui/internal/reporting"
)

// Two villages of 中牟县 are called 南岗村委会 (in 韩寺镇 and 白沙镇), and
// a third lies in 鄢陵县, outside the county.
const (
	nangangHansi  = "410122101213"
	nangangBaisha = "410122105213"
	nangangOut    = "411024108224"
)

// TestReporterPickers: a county reporter of 中牟县 sees on the home page
// what is due, goes to 数据填报, chooses the village monthly report (the
// period picker then offers months), opens the county in the unit tree to
// see its townships, searches 南岗 and finds the county's two villages of
// that name — each with its county and township beside it, and not the
// one in another county — picks the one in 白沙镇 and a month, and opens
// the form; there it answers a yes/no item by choosing, enters more
// subscribers than ports and sees the rule's warning after saving the
// draft, then submits. What is stored belongs to that village and month.
func TestReporterPickers(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		v, err := orgunit.Get(ctx, s.DB, nangangBaisha)
		if err != nil {
			t.Fatal(err)
		}
		d, pe := lastEnded(t, s, "VILLAGE_MONTHLY")
		s.User("zhongmou", "中牟县填报员", auth.Reporter, "410122")
		b := browser.NewTab(t, s.URL)
		b.Login("zhongmou", Password)

		b.WaitText("本期应报与逾期报表")
		if !b.Has("中牟县") {
			t.Errorf("the home page does not show the county's reports due: %s", b.Text("#due"))
		}
		b.Follow("数据填报")
		b.WaitText("按名称搜索单位")
		b.Fill("表单", d.Name)
		b.WaitFor("the month picker", `[...document.querySelectorAll("#pe option")].some(o => o.value === "`+pe.ID()+`")`)

		// The tree opens one level at a time.
		b.Click("展开下级", "中牟县")
		b.WaitText("白沙镇")

		// The search stays in the county and names county and township.
		b.Fill("按名称搜索单位", "南岗")
		b.WaitFor("two search results", `document.querySelectorAll("#unit-found input[name=ou]").length === 2`)
		found := b.Text("#unit-found")
		for _, want := range []string{"南岗村委会 中牟县 · 韩寺镇", "南岗村委会 中牟县 · 白沙镇"} {
			if !b.Has(want) {
				t.Errorf("search results lack %q: %s", want, found)
			}
		}
		if b.Has("鄢陵县") {
			t.Errorf("the search left the reporter's county: %s", found)
		}
		b.Fill("南岗村委会", "on", "中牟县 · 白沙镇")
		b.Fill("报告期", pe.Label("zh-CN"))
		b.Press("打开")
		b.WaitText(d.Name)
		if !b.Has(v.Name) || !b.Has(pe.Label("zh-CN")) {
			t.Fatalf("the form is not the chosen village and month: %.400s", b.Text("main"))
		}

		b.Fill("行政村通宽带（是否）", "是")
		b.Fill("村信息服务站（是否建成）", "否")
		b.Fill("村家庭宽带平均接入速率", "20")
		b.Fill("村宽带端口数", "80")
		b.Fill("村宽带用户数", "95")
		b.Press("保存草稿")
		b.WaitText("草稿")
		b.WaitText("村宽带用户数大于端口数")
		b.Press("提交审核")
		b.WaitText("已提交待审核")

		got := stored(t, s, d, v.Code, pe)
		if got["VILLAGE_BB"] != "1" || got["VILLAGE_INFO_STATION"] != "0" || got["VILLAGE_BB_PORTS"] != "80" || got["VILLAGE_BB_SUBS"] != "95" {
			t.Fatalf("stored for %s %s: %v", v.Code, pe.ID(), got)
		}
		if a := state(t, s, d, v, pe); a.State != reporting.Submitted {
			t.Fatalf("state: %s", a.State)
		}
		other, err := orgunit.Get(ctx, s.DB, nangangHansi)
		if err != nil {
			t.Fatal(err)
		}
		if got := stored(t, s, d, other.Code, pe); len(got) != 0 {
			t.Errorf("the other 南岗村委会 got values: %v", got)
		}
	})
}

// TestApproverBatchPickers: an approver of 郑州市 opens the queue from
// the home page (its count), filters it to the village monthly report of
// 中牟县 with the unit picker, ticks the three reports listed and
// approves them with one comment — one of them was returned by another
// approver in the meantime. The two others are approved, the refused one
// is listed with its reason, and the queue still shows the filters it
// was filtered by.
func TestApproverBatchPickers(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		vd, vpe := lastEnded(t, s, "VILLAGE_MONTHLY")
		cd, cpe := lastEnded(t, s, "COUNTY_QUARTERLY")
		var villages []orgunit.Unit
		for _, c := range []string{nangangHansi, nangangBaisha, "410122101205"} {
			u, err := orgunit.Get(ctx, s.DB, c)
			if err != nil {
				t.Fatal(err)
			}
			villages = append(villages, u)
		}
		township := map[string]string{nangangHansi: "韩寺镇", nangangBaisha: "白沙镇", "410122101205": "韩寺镇"}
		county, err := orgunit.Get(ctx, s.DB, "410122")
		if err != nil {
			t.Fatal(err)
		}
		rep := s.User("rep", "填报员", auth.Reporter, "410122")
		ra := audit.Actor{UserID: rep.ID, Name: rep.Name}
		for _, u := range villages {
			if err := reporting.Submit(ctx, s.DB, ra, vd, u, vpe); err != nil {
				t.Fatal(err)
			}
		}
		if err := reporting.Submit(ctx, s.DB, ra, cd, county, cpe); err != nil {
			t.Fatal(err)
		}
		s.User("shen", "郑州市审核员", auth.Approver, "4101")
		other := s.User("shen2", "郑州市审核员乙", auth.Approver, "4101")

		b := browser.NewTab(t, s.URL)
		b.Login("shen", Password)
		b.WaitText("4 份报表待审核")
		b.Follow("进入审核队列")
		b.WaitText("共 4 份报表")
		b.Fill("表单", vd.Name)
		b.Fill("按名称搜索单位", "中牟")
		b.WaitFor("search results", `document.querySelectorAll("#unit-found input[name=ou]").length > 0`)
		b.Fill("中牟县", "on")
		b.Press("筛选")
		b.WaitText("共 3 份报表")
		b.WaitText("已选： 中牟县")
		for _, u := range villages {
			b.Fill("选择 "+u.Name+" "+vpe.ID(), "on", u.Name+" 中牟县 · "+township[u.Code])
		}

		// Meanwhile the other approver returns the first village's report.
		if err := reporting.Decide(ctx, s.DB, audit.Actor{UserID: other.ID, Name: other.Name}, vd, villages[0], vpe, false, "请核实端口数"); err != nil {
			t.Fatal(err)
		}
		b.Fill("审核意见（批量）", "同意")
		b.Press("批量审核通过")
		b.WaitText("已审核通过 2 份报表")
		b.WaitText("以下 1 份报表未能审核通过")
		refused := b.Text("#batch-refused")
		if !b.Has(villages[0].Name) || !b.Has("已退回") {
			t.Errorf("the refused report is not named with its reason: %s", refused)
		}
		// The filters are kept: still only 中牟县's village reports.
		b.WaitText("共 0 份报表")
		if !b.Has("已选： 中牟县") || b.Value("表单") != vd.Code {
			t.Errorf("the queue forgot its filters: %s", b.Text("main"))
		}
		for i, u := range villages {
			want := reporting.Approved
			if i == 0 {
				want = reporting.Returned
			}
			if a := state(t, s, vd, u, vpe); a.State != want {
				t.Errorf("%s: %s, want %s", u.Code, a.State, want)
			}
		}
		if a := state(t, s, cd, county, cpe); a.State != reporting.Submitted {
			t.Errorf("the county's report, filtered out, is %s", a.State)
		}
		b.Screenshots()
	})
}
