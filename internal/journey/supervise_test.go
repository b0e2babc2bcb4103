package journey

import (
	"context"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/supervise"
)

// TestSuperviseOfficeAndCounty: the provincial office issues a work item
// from a plan task to 中原区 from the home page; the county's reporter
// finds it under 督查督办, reports progress and asks for an extension; the
// office approves the extension and closes the item. The item's timeline
// shows every step, and the store holds the new deadline and the closing.
func TestSuperviseOfficeAndCounty(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省督查办", auth.Office, "41")
		s.User("zy", "中原区填报员", auth.Reporter, "410102")
		svc := supervise.New(s.DB)
		today := svc.Today()
		due := supervise.FormatDate(today.AddDate(0, 2, 0))
		asked := supervise.FormatDate(today.AddDate(0, 3, 0))

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("督查督办")
		office.Follow("分解立项")
		office.Fill("事项名称", "建设县级政务数据共享平台")
		office.Fill("责任单位（代码）", "410102")
		office.Fill("办结时限", due)
		office.Fill("工作成果", "平台上线运行")
		office.Press("下达")
		office.WaitText("建设县级政务数据共享平台")
		if !office.Has("中原区") || !office.Has("立项交办") {
			t.Fatalf("item page after issue: %s", office.Text("main"))
		}
		items, err := svc.Items(ctx, supervise.Filter{Scopes: []string{"/41/"}})
		if err != nil || len(items) != 1 || items[0].Unit != "410102" || items[0].Due != due {
			t.Fatalf("stored items: %+v %v", items, err)
		}
		id := items[0].ID

		county := browser.NewTab(t, s.URL)
		county.Login("zy", Password)
		county.Follow("督查督办")
		county.WaitText("建设县级政务数据共享平台")
		county.Follow("建设县级政务数据共享平台")
		county.Fill("进展情况", "已完成需求调研和方案设计")
		county.Fill("完成进度", "30")
		county.Press("提交进展")
		county.WaitText("已完成需求调研和方案设计")
		county.Fill("申请的办结时限", asked)
		county.Fill("理由", "等待省级平台接口开放")
		county.Press("申请延期")
		county.WaitText("等待省级平台接口开放")
		if it, err := svc.Item(ctx, []string{"/41/"}, id); err != nil || it.Percent != 30 || it.ExtensionPending != asked {
			t.Fatalf("after the county's steps: %+v %v", it, err)
		}

		office.Follow("督查督办")
		office.Follow("建设县级政务数据共享平台")
		office.WaitText("责任单位申请延期至 " + asked)
		office.Press("同意延期")
		office.WaitText("同意延期")
		office.Fill("审核意见", "成果已验收")
		office.Press("办结")
		office.WaitText("成果已验收")
		it, err := svc.Item(ctx, []string{"/41/"}, id)
		if err != nil || it.Stage != supervise.Closed || it.Due != asked || it.OriginalDue != due || it.ClosedOn != supervise.FormatDate(svc.Today()) {
			t.Fatalf("closed item: %+v %v", it, err)
		}
		tl, err := svc.Timeline(ctx, []string{"/41/"}, id)
		if err != nil || len(tl) != 5 {
			t.Fatalf("timeline: %+v %v", tl, err)
		}
		for _, step := range []string{"立项交办", "报送进展", "申请延期", "同意延期", "办结"} {
			if !office.Has(step) {
				t.Errorf("the timeline does not show %s", step)
			}
		}
	})
}
