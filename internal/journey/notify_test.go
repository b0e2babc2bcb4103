package journey

import (
	"context"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/reporting"
	"zhihui/internal/supervise"
)

// TestNotifications: an approver of 郑州市 returns a village's report with
// a comment; its reporter, from the home page, sees the unread count in
// the header, opens 消息, finds the message and follows it to the report,
// which is then read. The provincial office presses 催办 on a work item of
// 中原区 from the item's page; the county's reporter finds the 催办 with
// the office's note in 消息, and the item's timeline records it.
func TestNotifications(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		vs := firstVillages(t, s, "410102", 1)
		vd, vpe := lastEnded(t, s, "VILLAGE_MONTHLY")
		rep := s.User("rep"+vs[0].Code, "村填报员", auth.Reporter, vs[0].Code)
		if err := reporting.Submit(ctx, s.DB, audit.Actor{UserID: rep.ID, Name: rep.Name}, vd, vs[0], vpe); err != nil {
			t.Fatal(err)
		}
		s.User("shen", "郑州市审核员", auth.Approver, "4101")

		// The approver returns the report.
		a := browser.NewTab(t, s.URL)
		a.Login("shen", Password)
		a.Follow("进入审核队列")
		a.Follow(vs[0].Name)
		a.WaitText("已提交待审核")
		a.Fill("意见", "行政村数与上年不一致，请核实")
		a.Press("退回")
		a.WaitText("已退回")

		// The reporter sees the count, opens 消息 and follows the message.
		r := browser.NewTab(t, s.URL)
		r.Login(rep.Name, Password)
		if got := strings.Join(strings.Fields(r.Text(".notify-link")), " "); !strings.Contains(got, "消息 1") {
			t.Errorf("header: %q", got)
		}
		r.Follow("消息")
		r.WaitText("1 条未读")
		if !r.Has("行政村数与上年不一致，请核实") || !r.Has(vd.Name) || !r.Has("报表被退回") {
			t.Fatalf("inbox: %s", r.Text("main"))
		}
		r.Follow("被退回")
		r.WaitText("已退回")
		if !strings.HasPrefix(r.Path(), "/reporting/form") {
			t.Fatalf("the message led to %s", r.URL())
		}
		ns, err := notify.List(ctx, s.DB, rep.ID, 10)
		if err != nil || len(ns) != 1 || ns[0].Kind != reporting.KindReturned || ns[0].ReadAt == nil {
			t.Fatalf("stored messages: %+v %v", ns, err)
		}
		if r.Has("notify-count") || strings.Contains(r.Text(".notify-link"), "1") {
			t.Errorf("still counted unread: %q", r.Text(".notify-link"))
		}

		// The office presses 催办 on an item of 中原区.
		s.User("ban", "省督查办", auth.Office, "41")
		zy := s.User("zy", "中原区填报员", auth.Reporter, "410102")
		svc := supervise.New(s.DB)
		county, err := orgunit.Get(ctx, s.DB, "410102")
		if err != nil {
			t.Fatal(err)
		}
		ids, err := svc.Create(ctx, audit.Actor{Name: "ban"}, []string{"/41/"}, supervise.NewItem{Year: svc.Today().Year(),
			TaskID: plan.Default().Tasks(plan.TaskFilter{})[0].ID, Title: "建设县级政务数据共享平台", Units: []string{county.Code},
			Due: supervise.FormatDate(svc.Today().AddDate(0, 2, 0))})
		if err != nil {
			t.Fatal(err)
		}
		o := browser.NewTab(t, s.URL)
		o.Login("ban", Password)
		o.Follow("督查督办")
		o.Follow("建设县级政务数据共享平台")
		o.Fill("催办说明（可选）", "请本周内报送进展")
		o.Press("催办")
		o.WaitText("已催办")
		if !o.Has("办公室催办") || !o.Has("请本周内报送进展") {
			t.Fatalf("timeline after 催办: %s", o.Text("main"))
		}
		tl, err := svc.Timeline(ctx, []string{"/41/"}, ids[0])
		if err != nil || tl[len(tl)-1].Kind != "urge" || tl[len(tl)-1].Body != "请本周内报送进展" {
			t.Fatalf("stored timeline: %+v %v", tl, err)
		}

		c := browser.NewTab(t, s.URL)
		c.Login("zy", Password)
		c.Follow("消息")
		c.WaitText("催办")
		if !c.Has("请本周内报送进展") || !c.Has("建设县级政务数据共享平台") {
			t.Fatalf("county inbox: %s", c.Text("main"))
		}
		c.Follow("建设县级政务数据共享平台")
		c.WaitText("办公室催办")
		if ns, err := notify.List(ctx, s.DB, zy.ID, 10); err != nil || len(ns) != 1 || ns[0].Kind != supervise.KindUrge || ns[0].ReadAt == nil {
			t.Fatalf("county's stored messages: %+v %v", ns, err)
		}
	})
}
