package journey

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/journey/browser"
	"zhihui/internal/notify"
	"zhihui/internal/project"
	"zhihui/internal/testwait"
)

// waitRow waits until a table row of the page shows both row and want.
func waitRow(tab *browser.Tab, row, want string) {
	q, _ := json.Marshal([]string{row, want})
	tab.WaitFor("a row with "+row+" showing "+want,
		`[...document.querySelectorAll("tr")].some(r => `+string(q)+`.every(s => r.innerText.includes(s)))`)
}

// TestCallLifecycleJourney: a pilot call opened a month ago passed its
// deadline; the job engine closes it by itself and tells the office, and
// the 中原区 unit finds it closed with no way to apply. The office edits
// another open call — a new title and a later deadline — then withdraws
// it with a reason; the unit sees it withdrawn with the reason and cannot
// apply. In the expert pool the office corrects the end of 李海燕's
// absence and removes a tie recorded by mistake. Every change is stored
// and audited.
func TestCallLifecycleJourney(t *testing.T) {
	t.Parallel()
	var expired, open int64
	Each(t, Options{Jobs: true, Seed: func(ctx context.Context, s *Site) error {
		// The office exists before the job engine starts, to be told.
		s.User("ban", "省信息化办公室", auth.Office, "41")
		a := audit.Actor{Name: "seed"}
		all := []string{"/41/"}
		// Opened a month ago with a deadline ten days back.
		then := project.New(s.DB)
		then.Now = func() time.Time { return time.Now().AddDate(0, -1, 0) }
		var err error
		if expired, err = then.OpenCall(ctx, a, all, project.NewCall{Kind: project.CallPilot, Title: "2026 年数字乡村试点申报", Description: "征集数字乡村试点项目。", Org: "41",
			Deadline: calendar.Format(time.Now().AddDate(0, 0, -10)), Criteria: "应用成效 60\n创新性 40", Field: "egov", PanelSize: 3}); err != nil {
			return err
		}
		svc := project.New(s.DB)
		if open, err = svc.OpenCall(ctx, a, all, project.NewCall{Kind: project.CallPilot, Title: "2026 年智慧城市试点", Description: "征集智慧城市试点项目。", Org: "41",
			Deadline: calendar.Format(time.Now().AddDate(0, 0, 20)), Criteria: "应用成效 60\n创新性 40", Field: "egov", PanelSize: 3}); err != nil {
			return err
		}
		eid, err := svc.AddExpert(ctx, a, project.Expert{Name: "李海燕", Employer: "河南大学", Fields: []string{"egov"}, Region: "4101", Available: true})
		if err != nil {
			return err
		}
		if _, err := svc.AddAbsence(ctx, a, eid, calendar.Format(time.Now()), calendar.Format(time.Now().AddDate(0, 0, 30)), "出国访问"); err != nil {
			return err
		}
		_, err = svc.AddTie(ctx, a, eid, project.TieEmployed, "410102", "", "误登记的任职关系")
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("zy-pm", "中原区项目负责人", auth.Reporter, "410102")
		svc := project.New(s.DB)
		ban, err := auth.UserByName(ctx, s.DB, "ban")
		if err != nil {
			t.Fatal(err)
		}

		// The job closes the expired call, once, on its own.
		testwait.Until(t, "the expired call to close", func() bool {
			c, err := svc.GetCall(ctx, expired)
			return err == nil && c.Status == project.CallClosed
		})
		unit := browser.NewTab(t, s.URL)
		unit.Login("zy-pm", Password)
		unit.Follow("试点与评选")
		unit.WaitText("2026 年数字乡村试点申报")
		waitRow(unit, "2026 年数字乡村试点申报", "已截止")
		unit.Follow("2026 年数字乡村试点申报")
		unit.WaitText("已截止")
		if unit.Has("提交申报") {
			t.Fatalf("the unit may still apply to the closed call: %s", unit.Text("main"))
		}
		closes, _, err := audit.Search(ctx, s.DB, audit.Filter{Action: "close", Entity: "project_call"})
		if err != nil || len(closes) != 1 || closes[0].Actor.Name != "system" {
			t.Fatalf("the closing's audit: %+v %v", closes, err)
		}
		ns, err := notify.List(ctx, s.DB, ban.ID, 20)
		told := 0
		for _, n := range ns {
			if n.Key == "project.notify.call_expired" && n.Link == project.CallLink(expired) {
				told++
			}
		}
		if err != nil || told != 1 {
			t.Fatalf("the office's inbox: %+v %v", ns, err)
		}

		// The office edits the open call, then withdraws it.
		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("试点与评选")
		office.Follow("2026 年智慧城市试点")
		office.Follow("修改通知")
		later := calendar.Format(calendar.Default().Postpone(time.Now().AddDate(0, 0, 40)))
		office.Fill("名称", "2026 年新型智慧城市试点")
		office.Fill("申报截止日期", later)
		office.Fill("通知内容", "征集新型智慧城市试点项目，重点支持城市运行管理。")
		office.Press("保存修改")
		office.WaitText("2026 年新型智慧城市试点")
		c, err := svc.GetCall(ctx, open)
		if err != nil || c.Title != "2026 年新型智慧城市试点" || c.Deadline != later || !strings.Contains(c.Description, "城市运行管理") {
			t.Fatalf("the edited call: %+v %v", c, err)
		}
		office.Fill("撤回理由", "与省级统筹安排重复，另行通知")
		office.Press("撤回")
		office.WaitText("通知已撤回")
		if !office.Has("与省级统筹安排重复，另行通知") || office.Has("修改通知") {
			t.Fatalf("the withdrawn call, as the office sees it: %s", office.Text("main"))
		}
		c, _ = svc.GetCall(ctx, open)
		if c.Status != project.CallWithdrawn || c.WithdrawReason != "与省级统筹安排重复，另行通知" {
			t.Fatalf("the withdrawn call stored: %+v", c)
		}
		for _, action := range []string{"update", "withdraw"} {
			es, _, err := audit.Search(ctx, s.DB, audit.Filter{Action: action, Entity: "project_call"})
			if err != nil || len(es) != 1 || es[0].Actor.Name != "ban" {
				t.Fatalf("the %s audit: %+v %v", action, es, err)
			}
		}
		unit.Follow("试点与评选")
		unit.Follow("2026 年新型智慧城市试点")
		unit.WaitText("与省级统筹安排重复，另行通知")
		if !unit.Has("已撤回") || unit.Has("提交申报") {
			t.Fatalf("the withdrawn call, as the unit sees it: %s", unit.Text("main"))
		}

		// The office corrects the pool.
		office.Follow("项目管理")
		office.Follow("专家库")
		office.Follow("李海燕")
		back := calendar.Format(time.Now().AddDate(0, 0, 5))
		office.Click("修改或删除", "出国访问")
		office.Fill("结束日期", back, "出国访问")
		office.Fill("原因", "出国访问（提前回国）", "出国访问")
		office.Press("保存期间", "出国访问")
		office.WaitText("出国访问（提前回国）")
		office.Click("修改或删除", "误登记的任职关系")
		office.Press("删除关联关系", "误登记的任职关系")
		office.WaitText("已保存")
		if office.Has("误登记的任职关系") || !office.Has(back) {
			t.Fatalf("the expert's page after the corrections: %s", office.Text("main"))
		}
		es, _, err := svc.Experts(ctx, project.ExpertFilter{Q: "李海燕"})
		if err != nil || len(es) != 1 {
			t.Fatalf("the expert: %+v %v", es, err)
		}
		rec, err := svc.ExpertRecord(ctx, es[0].ID)
		if err != nil || len(rec.Absences) != 1 || rec.Absences[0].To != back || len(rec.Ties) != 0 {
			t.Fatalf("the record stored: %+v %v", rec, err)
		}
		for _, x := range []struct{ action, entity string }{{"update", "project_absence"}, {"delete", "project_tie"}} {
			es, _, err := audit.Search(ctx, s.DB, audit.Filter{Action: x.action, Entity: x.entity})
			if err != nil || len(es) != 1 || es[0].Actor.Name != "ban" {
				t.Fatalf("the %s %s audit: %+v %v", x.action, x.entity, es, err)
			}
		}
	})
}

// TestCallRecusalJourney: an award call's panel of three scores two
// applications; 王建国 once advised 二七区 on its project, declares the
// conflict on that application from its score sheet and scores only the
// other; the two other experts score both. The office sees the recusal
// and each seat done, and publishes: 二七区's score is the mean of the two
// scores it has, and the public ranking shows it first. The recusal is
// stored and audited; the applicant never sees who recused.
func TestCallRecusalJourney(t *testing.T) {
	t.Parallel()
	var cid int64
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		// The round so far: the call, two eligible applications, the panel drawn.
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		all := []string{"/41/"}
		var err error
		if cid, err = svc.OpenCall(ctx, a, all, project.NewCall{Kind: project.CallAward, Title: "2026 年度优秀信息化工程评选", Description: "评选成效显著的信息化工程。", Org: "41",
			Deadline: calendar.Format(time.Now().AddDate(0, 0, 20)), Criteria: "应用成效 50\n创新性 50", Field: "egov", PanelSize: 3}); err != nil {
			return err
		}
		for _, x := range []struct{ unit, title string }{{"410102", "中原区一网通办平台"}, {"410103", "二七区智慧社区"}} {
			id, err := svc.Apply(ctx, a, all, cid, project.NewApplication{Unit: x.unit, Title: x.title, Body: x.title + "建成运行两年，成效显著。"})
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
			{Name: "赵磊", Employer: "郑州轻工业大学", Account: "zl"}} {
			e.Fields, e.Region, e.Available = []string{"egov"}, "4101", true
			if _, err := svc.AddExpert(ctx, a, e); err != nil {
				return err
			}
		}
		return svc.DrawCallPanel(ctx, a, all, cid, nil)
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("eq-pm", "二七区项目负责人", auth.Reporter, "410103")
		s.User("ban", "省信息化办公室", auth.Office, "41")
		for _, u := range [][2]string{{"wjg", "王建国"}, {"zzq", "张志强"}, {"zl", "赵磊"}} {
			s.User(u[0], u[1], auth.Expert, "41")
		}
		svc := project.New(s.DB)

		wjg := browser.NewTab(t, s.URL)
		wjg.Login("wjg", Password)
		wjg.Follow("评选评审")
		wjg.Follow("2026 年度优秀信息化工程评选")
		wjg.Follow("二七区智慧社区")
		wjg.Fill("回避原因", "曾为二七区智慧社区项目提供咨询")
		wjg.Press("声明回避")
		wjg.WaitText("已声明回避")
		waitRow(wjg, "二七区智慧社区", "已回避")
		wjg.Follow("二七区智慧社区")
		wjg.WaitText("您已声明回避")
		if wjg.Has("提交评分") {
			t.Fatalf("the recused application can still be scored: %s", wjg.Text("main"))
		}
		scores := []struct{ account, app, score string }{
			{"wjg", "中原区一网通办平台", "90"},
			{"zzq", "中原区一网通办平台", "80"}, {"zzq", "二七区智慧社区", "86"},
			{"zl", "中原区一网通办平台", "70"}, {"zl", "二七区智慧社区", "84"},
		}
		tabs := map[string]*browser.Tab{"wjg": wjg}
		for _, x := range scores {
			tab := tabs[x.account]
			if tab == nil {
				tab = browser.NewTab(t, s.URL)
				tab.Login(x.account, Password)
				tabs[x.account] = tab
			}
			tab.Follow("评选评审")
			tab.Follow("2026 年度优秀信息化工程评选")
			tab.Follow(x.app)
			tab.Fill("应用成效", x.score)
			tab.Fill("创新性", x.score)
			tab.Fill("评审意见", "同意")
			tab.Press("提交评分")
			tab.WaitText("已保存")
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("试点与评选")
		office.Follow("2026 年度优秀信息化工程评选")
		office.WaitText("曾为二七区智慧社区项目提供咨询")
		office.Fill("结果说明", "经专家评审，评出优秀信息化工程 2 项。")
		office.Press("公布结果")
		office.WaitText("结果已公布")
		data, ctype := office.Download("导出申报及排名（XLSX）")
		rows := xlsxRows(t, data, ctype)
		if len(rows) != 3 || rows[1][1] != "二七区智慧社区" || rows[1][7] != "85.00" || rows[1][9] != "2" || rows[1][10] != "1" ||
			rows[2][1] != "中原区一网通办平台" || rows[2][7] != "80.00" || rows[2][10] != "0" {
			t.Fatalf("the export: %v", rows)
		}
		rec, err := svc.Recusals(ctx, cid)
		if err != nil || len(rec) != 1 || rec[0].Reason != "曾为二七区智慧社区项目提供咨询" {
			t.Fatalf("the recusal stored: %+v %v", rec, err)
		}
		es, _, err := audit.Search(ctx, s.DB, audit.Filter{Action: "recuse", Entity: "project_application"})
		if err != nil || len(es) != 1 || es[0].Actor.Name != "wjg" {
			t.Fatalf("the recusal's audit: %+v %v", es, err)
		}

		unit := browser.NewTab(t, s.URL)
		unit.Login("eq-pm", Password)
		unit.Follow("试点与评选")
		unit.Follow("2026 年度优秀信息化工程评选")
		unit.Follow("二七区智慧社区")
		unit.WaitText("第 1 名，得分 85.00")
		if unit.Has("王建国") || unit.Has("回避") {
			t.Fatalf("the applicant learns of the recusal: %s", unit.Text("main"))
		}

		visitor := browser.NewTab(t, s.URL)
		visitor.Home()
		visitor.Follow("评选结果公示")
		visitor.Follow("2026 年度优秀信息化工程评选")
		visitor.WaitText("经专家评审，评出优秀信息化工程 2 项。")
		waitRow(visitor, "二七区智慧社区", "85.00")
		waitRow(visitor, "中原区一网通办平台", "80.00")
	})
}
