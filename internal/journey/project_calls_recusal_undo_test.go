package journey

import (
	"context"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/journey/browser"
	"zhihui/internal/project"
)

// TestCallRecusalUndoJourney: on an award call's panel of three, the
// first expert recuses from 二七区's application by mistake and the second
// for a real conflict. The office undoes the first recusal with a reason
// from the call's page; that expert then finds the score sheet open again
// and scores. Everyone scores, the office publishes. Later the office
// draws the panel for 二七区's own project: the expert who recused from it
// is left out with the reason shown, and the draw reproduces from its
// seed. The undoing is stored and audited, and its expert told.
func TestCallRecusalUndoJourney(t *testing.T) {
	t.Parallel()
	var cid, pid int64
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		all := []string{"/41/"}
		var err error
		// 二七区's project waits at its feasibility gate; its application
		// to the call is for that project.
		if pid, err = svc.Register(ctx, a, all, project.NewProject{Name: "二七区智慧社区平台", Owner: "410103", Category: "new", Funding: "区级财政预算资金", Estimate: 3000000,
			Content: "建设智慧社区综合服务平台。"}); err != nil {
			return err
		}
		if _, err := svc.AddDocument(ctx, a, all, pid, project.Material, "可行性研究报告.txt", []byte("可行性研究报告")); err != nil {
			return err
		}
		if err := svc.Submit(ctx, a, all, pid, ""); err != nil {
			return err
		}
		if cid, err = svc.OpenCall(ctx, a, all, project.NewCall{Kind: project.CallAward, Title: "2026 年度优秀信息化工程评选", Description: "评选成效显著的信息化工程。", Org: "41",
			Deadline: calendar.Format(time.Now().AddDate(0, 0, 20)), Criteria: "应用成效 50\n创新性 50", Field: "egov", PanelSize: 3}); err != nil {
			return err
		}
		for _, na := range []project.NewApplication{{Unit: "410102", Title: "中原区一网通办平台", Body: "建成运行两年，成效显著。"},
			{Unit: "410103", ProjectID: pid, Title: "二七区智慧社区", Body: "建成运行一年，覆盖全区社区。"}} {
			id, err := svc.Apply(ctx, a, all, cid, na)
			if err != nil {
				return err
			}
			if err := svc.CheckApplication(ctx, a, all, id, true, ""); err != nil {
				return err
			}
		}
		if err := svc.CloseCall(ctx, a, all, cid); err != nil {
			return err
		}
		for _, e := range []project.Expert{{Name: "王建国", Employer: "郑州大学", Account: "wjg"}, {Name: "张志强", Employer: "河南省信息中心", Account: "zzq"},
			{Name: "赵磊", Employer: "郑州轻工业大学", Account: "zl"}, {Name: "刘洋", Employer: "河南工业大学", Account: "ly"}} {
			e.Fields, e.Region, e.Available = []string{"egov"}, "4101", true
			if _, err := svc.AddExpert(ctx, a, e); err != nil {
				return err
			}
		}
		return svc.DrawCallPanel(ctx, a, all, cid, nil)
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		names := map[string]string{"wjg": "王建国", "zzq": "张志强", "zl": "赵磊", "ly": "刘洋"}
		for acct, name := range names {
			s.User(acct, name, auth.Expert, "41")
		}
		svc := project.New(s.DB)
		seats, err := svc.CallSeats(ctx, cid)
		if err != nil || len(seats) != 3 {
			t.Fatalf("the panel: %+v %v", seats, err)
		}
		tabs := map[string]*browser.Tab{}
		tab := func(acct string) *browser.Tab {
			if tabs[acct] == nil {
				tabs[acct] = browser.NewTab(t, s.URL)
				tabs[acct].Login(acct, Password)
			}
			return tabs[acct]
		}
		sheet := func(acct, app string) *browser.Tab {
			x := tab(acct)
			x.Follow("评选评审")
			x.Follow("2026 年度优秀信息化工程评选")
			x.Follow(app)
			return x
		}
		mistaken, real := seats[0].Account, seats[1].Account
		x := sheet(mistaken, "二七区智慧社区")
		x.Fill("回避原因", "误以为曾参与该项目")
		x.Press("声明回避")
		x.WaitText("已声明回避")
		y := sheet(real, "二七区智慧社区")
		y.Fill("回避原因", "配偶在二七区大数据局任职")
		y.Press("声明回避")
		y.WaitText("已声明回避")

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("试点与评选")
		office.Follow("2026 年度优秀信息化工程评选")
		office.Click("撤销回避", "误以为曾参与该项目")
		office.Fill("撤销理由", "经核实未参与该项目，不构成利益冲突", "误以为曾参与该项目")
		office.Press("确认撤销回避", "误以为曾参与该项目")
		office.WaitText("已撤销回避")
		if office.Has("误以为曾参与该项目") || !office.Has("配偶在二七区大数据局任职") {
			t.Fatalf("the recusals after the undoing: %s", office.Text("main"))
		}
		es, _, err := audit.Search(ctx, s.DB, audit.Filter{Action: "undo_recusal", Entity: "project_application"})
		if err != nil || len(es) != 1 || es[0].Actor.Name != "ban" {
			t.Fatalf("the undoing's audit: %+v %v", es, err)
		}
		var told int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_message m JOIN auth_user u ON u.id = m.user_id WHERE m.msg_key = 'project.notify.call_recusal_undone' AND u.name = $1`,
			mistaken).Scan(&told); err != nil || told != 1 {
			t.Fatalf("the expert's notice: %d %v", told, err)
		}

		// The expert whose recusal was undone scores after all.
		for _, st := range seats {
			for _, app := range []string{"中原区一网通办平台", "二七区智慧社区"} {
				if st.Account == real && app == "二七区智慧社区" {
					continue
				}
				x := sheet(st.Account, app)
				if x.Has("您已声明回避") {
					t.Fatalf("%s still recused from %s: %s", st.Account, app, x.Text("main"))
				}
				x.Fill("应用成效", "80")
				x.Fill("创新性", "90")
				x.Fill("评审意见", "同意")
				x.Press("提交评分")
				x.WaitText("已保存")
			}
		}
		office.Follow("试点与评选")
		office.Follow("2026 年度优秀信息化工程评选")
		office.Fill("结果说明", "经专家评审，评出优秀信息化工程 2 项。")
		office.Press("公布结果")
		office.WaitText("结果已公布")

		// The project's own panel leaves out the expert who recused from it.
		office.Follow("项目管理")
		office.Follow("二七区智慧社区平台")
		office.Fill("专业领域", "电子政务")
		office.Fill("专家人数", "3")
		office.Press("抽取")
		office.WaitText("随机种子")
		office.Click("未进入候选的专家")
		office.WaitText(names[real] + " — 回避期内曾声明与申报单位的申报存在利益冲突")
		office.WaitText("配偶在二七区大数据局任职")
		revs, err := svc.Reviews(ctx, pid)
		if err != nil || len(revs) != 1 || len(revs[0].Seats) != 3 || !revs[0].Reproduces() {
			t.Fatalf("the project's panel: %+v %v", revs, err)
		}
		for _, st := range revs[0].Seats {
			if st.ExpertName == names[real] {
				t.Fatalf("the expert who recused was drawn: %+v", revs[0].Seats)
			}
		}
	})
}
