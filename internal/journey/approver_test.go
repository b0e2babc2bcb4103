package journey

import (
	"bytes"
	"context"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/orgunit"
	"zhihui/internal/reporting"
)

// TestApprover: an approver of 郑州市 finds the queue on the home page
// with its count, filters it to the village monthly report, exports what
// is listed, opens one report and returns it with a comment, approves the
// county's quarterly report on its own page and the two remaining village
// reports in one batch with one comment, then re-opens an approved report
// with a reason. The reporter of the returned village sees the message
// and the comment on the home page.
func TestApprover(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		vs := firstVillages(t, s, "410102", 3)
		county, err := orgunit.Get(ctx, s.DB, "410102")
		if err != nil {
			t.Fatal(err)
		}
		vd, vpe := lastEnded(t, s, "VILLAGE_MONTHLY")
		cd, cpe := lastEnded(t, s, "COUNTY_QUARTERLY")
		// Reporters submitted: three villages and the county.
		reporters := map[string]*auth.User{}
		for i, u := range append(vs, county) {
			rep := s.User("rep"+u.Code, "填报员"+string(rune('甲'+i)), auth.Reporter, u.Code)
			reporters[u.Code] = rep
			d, pe := vd, vpe
			if u.Code == county.Code {
				d, pe = cd, cpe
			}
			if err := reporting.Submit(ctx, s.DB, audit.Actor{UserID: rep.ID, Name: rep.Name}, d, u, pe); err != nil {
				t.Fatal(err)
			}
		}
		s.User("shen", "郑州市审核员", auth.Approver, "4101")

		b := browser.NewTab(t, s.URL)
		b.Login("shen", Password)
		b.WaitText("待我审核")
		if !b.Has("4 份报表待审核") {
			t.Fatalf("home page queue: %s", b.Text("#queue"))
		}
		b.Follow("进入审核队列")
		b.WaitText("共 4 份报表")
		if !b.Has(vd.Name) || !b.Has(cd.Name) || b.Has("VILLAGE_MONTHLY") {
			t.Errorf("the queue should name the forms, not their codes: %s", b.Text("main"))
		}
		// Township and county beside every village.
		if !b.Has(vs[0].Name) || !b.Has("中原区 ·") {
			t.Errorf("villages without their county and township: %s", b.Text("main"))
		}

		// Filter to the village report; the export holds what is listed.
		b.Fill("表单", vd.Name)
		b.Press("筛选")
		b.WaitText("共 3 份报表")
		if b.Has(cd.Name + " " + county.Name) {
			t.Error("the filter left the county report in")
		}
		data, _ := b.Download("导出 XLSX")
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+3 {
			t.Fatalf("export has %d rows, want a heading and 3: %v", len(rows), rows)
		}
		for _, r := range rows[1:] {
			if r[0] != vd.Name || r[3] != vpe.ID() {
				t.Errorf("export row %v is not a %s for %s", r, vd.Name, vpe.ID())
			}
		}

		// Return the first village's report with a comment.
		b.Follow(vs[0].Name)
		b.WaitText("已提交待审核")
		b.Fill("意见", "端口数与上月不符，请核实")
		b.Press("退回")
		b.WaitText("已退回")
		if a := state(t, s, vd, vs[0], vpe); a.State != reporting.Returned || a.Comment != "端口数与上月不符，请核实" {
			t.Fatalf("returned report stored as %s %q", a.State, a.Comment)
		}

		// Approve the county's report on its page.
		b.Follow("首页")
		b.Follow("进入审核队列")
		b.WaitText("共 3 份报表")
		b.Follow(county.Name)
		b.Fill("意见", "数据完整")
		b.Press("审核通过")
		b.WaitText("已审核（锁定）")
		if a := state(t, s, cd, county, cpe); a.State != reporting.Approved {
			t.Fatalf("county report: %s", a.State)
		}

		// The two remaining village reports in one batch.
		b.Follow("首页")
		b.Follow("进入审核队列")
		b.WaitText("共 2 份报表")
		b.Fill("选择 "+vs[1].Name+" "+vpe.ID(), "on")
		b.Fill("选择 "+vs[2].Name+" "+vpe.ID(), "on")
		b.Fill("审核意见（批量）", "同意")
		b.Press("批量审核通过")
		b.WaitText("已审核通过 2 份报表")
		b.WaitText("共 0 份报表")
		for _, u := range vs[1:] {
			if a := state(t, s, vd, u, vpe); a.State != reporting.Approved || a.Comment != "同意" {
				t.Fatalf("%s: %s %q", u.Name, a.State, a.Comment)
			}
		}

		// Re-open an approved report with a reason.
		b.Fill("状态", "已审核（锁定）")
		b.Press("筛选")
		b.WaitText("共 3 份报表")
		b.Follow(vs[1].Name)
		b.Fill("重新开放原因", "发现端口数填报口径错误")
		b.Press("重新开放")
		b.WaitText("已退回")
		if a := state(t, s, vd, vs[1], vpe); a.State != reporting.Returned || a.Comment != "发现端口数填报口径错误" {
			t.Fatalf("re-opened report: %s %q", a.State, a.Comment)
		}
		b.Screenshots()

		// The reporter of the returned village sees the message and the
		// comment.
		r := browser.NewTab(t, s.URL)
		r.Login(reporters[vs[0].Code].Name, Password)
		r.WaitText("本期应报与逾期报表")
		if !r.Has("端口数与上月不符，请核实") {
			t.Errorf("home page lacks the returned comment: %s", r.Text("#due"))
		}
		r.Follow("消息")
		r.WaitText("退回")
		if !r.Has(vd.Name) {
			t.Errorf("the message does not name the report: %s", r.Text("main"))
		}
	})
}
