package journey

import (
	"context"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/journey/browser"
	"zhihui/internal/notify"
	"zhihui/internal/project"
)

// TestAwardCallJourney: the provincial office opens an award call from
// the home page; the 中原区 owner unit applies with its project and a
// document; the office finds the application eligible, closes the call,
// records in the expert pool that 李海燕 is away and that 陈静 worked for
// 中原区 until last year, and draws the panel, which leaves out both and
// the expert working for 中原区, with the reasons shown; each of the three
// drawn experts logs in from the home page, finds the call under 评选评审
// and scores each criterion, seeing only their own scores; the office
// sees every seat scored, ranks and publishes; the applicant is told and
// sees its rank but no expert's name; a visitor reads the results from
// the home page without logging in.
func TestAwardCallJourney(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		if _, err := svc.Register(ctx, a, []string{"/41/"}, project.NewProject{Name: "中原区一网通办平台", Owner: "410102", Category: "new",
			Funding: "区级财政预算资金", Estimate: 2600000, Content: "整合政务服务事项，实现一网通办。"}); err != nil {
			return err
		}
		return addPanelExperts(ctx, svc, a,
			project.Expert{Name: "王建国", Employer: "郑州大学", Account: "wjg"},
			project.Expert{Name: "李海燕", Employer: "河南大学"},
			project.Expert{Name: "张志强", Employer: "河南省信息中心", Account: "zzq"},
			project.Expert{Name: "陈静", Employer: "河南工业大学", Account: "cj"}, // worked for 中原区 until last year
			project.Expert{Name: "赵磊", Employer: "郑州轻工业大学", Account: "zl"},
			project.Expert{Name: "刘晓明", Employer: "中原区", EmployerCode: "410102"}, // works for the applicant
		)
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		projectPeople(s)
		s.User("zzq", "张志强", auth.Expert, "41")
		s.User("zl", "赵磊", auth.Expert, "41")
		svc := project.New(s.DB)
		today := calendar.Format(time.Now())
		deadline := calendar.Format(time.Now().AddDate(0, 1, 0))
		doc := document(t, "申报书.txt", "中原区一网通办平台优秀工程申报书")

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("试点与评选")
		office.Follow("发布通知")
		office.Fill("类型", "优秀工程评选")
		office.Fill("名称", "2026 年度优秀信息化工程评选")
		office.Fill("通知内容", "评选建成运行一年以上、应用成效显著的信息化工程。")
		office.Fill("申报截止日期", deadline)
		office.Fill("评审专家领域", "电子政务")
		office.Fill("评审专家人数", "3")
		office.Press("发布")
		office.WaitText("申报中")
		calls, err := svc.Calls(ctx, []string{"/41/"})
		if err != nil || len(calls) != 1 || calls[0].Kind != project.CallAward || len(calls[0].Criteria) != 3 || calls[0].Deadline < deadline || calls[0].PanelSize != 3 {
			t.Fatalf("the call stored: %+v %v", calls, err)
		}
		cid := calls[0].ID

		unit := browser.NewTab(t, s.URL)
		unit.Login("zy-pm", Password)
		unit.Follow("试点与评选")
		unit.Follow("2026 年度优秀信息化工程评选")
		unit.Fill("关联项目", "中原区一网通办平台")
		unit.Fill("申报材料正文", "平台上线两年，办件量增长三倍，群众满意率 98%。")
		unit.Fill("附件（可选）", doc)
		unit.Press("提交申报")
		unit.WaitText("申报已提交")
		if !unit.Has("待资格审查") || !unit.Has("中原区一网通办平台") {
			t.Fatalf("the unit's applications: %s", unit.Text("main"))
		}
		apps, err := svc.Applications(ctx, nil, cid)
		if err != nil || len(apps) != 1 || apps[0].ProjectID == 0 || apps[0].Document == nil || apps[0].Document.Name != "申报书.txt" || apps[0].Unit != "410102" {
			t.Fatalf("the application stored: %+v %v", apps, err)
		}

		office.Follow("试点与评选")
		office.Follow("2026 年度优秀信息化工程评选")
		office.Follow("中原区一网通办平台")
		office.WaitText("符合申报层级和类别")
		office.Fill("审查意见（不符合时必填）", "材料齐全")
		office.Press("保存审查结论")
		office.WaitText("材料齐全")
		office.Press("截止申报")
		office.WaitText("已截止，资格审查")
		// 李海燕 is away: the office records it in the pool.
		office.Follow("项目管理")
		office.Follow("专家库")
		office.Follow("李海燕")
		office.Fill("开始日期", today)
		office.Fill("结束日期", calendar.Format(time.Now().AddDate(0, 0, 10)))
		office.Fill("原因", "出国访问")
		office.Press("登记不可参加期间")
		office.WaitText("出国访问")
		office.Follow("专家库")
		office.Follow("陈静")
		office.Fill("关系类型", "曾在该单位任职")
		office.Fill("单位代码", "410102")
		office.Fill("关系结束日期（仍在持续则留空）", calendar.Format(time.Now().AddDate(-1, 0, 0)))
		office.Fill("说明", "原中原区大数据局")
		office.Press("登记关联关系")
		office.WaitText("原中原区大数据局")
		office.Follow("试点与评选")
		office.Follow("2026 年度优秀信息化工程评选")
		office.Press("抽取")
		office.WaitText("随机种子")
		office.Click("未进入候选的专家 3 名及原因")
		office.WaitText("抽取日在不能参加评审的期间内")
		if !office.Has("李海燕 — 抽取日在不能参加评审的期间内") || !office.Has("刘晓明 — 与申报单位同单位") || !office.Has("陈静 — 回避期内曾在申报单位任职") || !office.Has("按种子复现一致") {
			t.Fatalf("the office's panel: %s", office.Text("main"))
		}
		seats, err := svc.CallSeats(ctx, cid)
		c, _ := svc.GetCall(ctx, cid)
		if err != nil || len(seats) != 3 || !c.Reproduces(seats) {
			t.Fatalf("the panel stored: %+v %v", seats, err)
		}
		ex, err := svc.Exclusions(ctx, "call", cid)
		if err != nil || len(ex) != 3 {
			t.Fatalf("exclusions stored: %+v %v", ex, err)
		}

		// Every drawn expert scores through the pages (weights 40/30/30).
		panel := []struct {
			account, name string
			scores        [3]string
			opinion, want string
		}{
			{"wjg", "王建国", [3]string{"92", "85", "88"}, "成效显著，具有推广价值", "88.70"},
			{"zzq", "张志强", [3]string{"84", "78", "80"}, "应用成效较好", "81.00"},
			{"zl", "赵磊", [3]string{"76", "82", "79"}, "创新点明确，推广面有待扩大", "78.70"},
		}
		for _, x := range panel {
			expert := browser.NewTab(t, s.URL)
			expert.Login(x.account, Password)
			expert.Follow("评选评审")
			expert.WaitText("0 / 1")
			expert.Follow("2026 年度优秀信息化工程评选")
			expert.WaitText("未评分")
			expert.Follow("中原区一网通办平台")
			expert.Fill("应用成效", x.scores[0])
			expert.Fill("创新性", x.scores[1])
			expert.Fill("示范推广价值", x.scores[2])
			expert.Fill("评审意见", x.opinion)
			expert.Press("提交评分")
			expert.WaitText("已保存")
			main := expert.Text("main")
			if !strings.Contains(main, x.want) {
				t.Fatalf("%s's seat lacks the weighted score %s: %s", x.name, x.want, main)
			}
			for _, other := range panel {
				if other.name != x.name && (strings.Contains(main, other.name) || strings.Contains(main, other.want)) {
					t.Fatalf("%s sees %s's seat: %s", x.name, other.name, main)
				}
			}
			expert.Follow("评选评审")
			expert.WaitText("1 / 1")
		}
		rs, err := svc.Ranking(ctx, cid)
		if err != nil || len(rs) != 1 || len(rs[0].Scores) != 3 || rs[0].Score.String() != "82.80" {
			t.Fatalf("the scores stored: %+v %v", rs, err)
		}
		want := map[int64]string{}
		for _, st := range seats {
			for _, x := range panel {
				if st.Account == x.account {
					want[st.ID] = x.want + " " + x.opinion
				}
			}
		}
		for _, sc := range rs[0].Scores {
			if got := sc.Points() + " " + sc.Opinion; got != want[sc.SeatID] {
				t.Fatalf("the score of seat %d stored: %q, want %q", sc.SeatID, got, want[sc.SeatID])
			}
		}

		office.Follow("试点与评选")
		office.Follow("2026 年度优秀信息化工程评选")
		office.WaitText("82.80")
		if strings.Count(office.Text("main"), "1 / 1") != 3 {
			t.Fatalf("the office's panel after the scoring: %s", office.Text("main"))
		}
		office.Fill("结果说明", "经专家评审，评出优秀信息化工程 1 项。")
		office.Press("公布结果")
		office.WaitText("结果已公布")
		data, ctype := office.Download("导出申报及排名（XLSX）")
		rows := xlsxRows(t, data, ctype)
		if len(rows) != 2 || rows[1][0] != "1" || rows[1][1] != "中原区一网通办平台" || rows[1][7] != "82.80" {
			t.Fatalf("the export: %v", rows)
		}
		apps, _ = svc.Applications(ctx, nil, cid)
		if apps[0].Rank != 1 {
			t.Fatalf("the rank stored: %+v", apps[0])
		}

		unit.Follow("试点与评选")
		unit.Follow("2026 年度优秀信息化工程评选")
		unit.Follow("中原区一网通办平台")
		unit.WaitText("第 1 名，得分 82.80")
		for _, name := range []string{"王建国", "张志强", "陈静", "李海燕"} {
			if unit.Has(name) {
				t.Fatalf("the applicant sees the expert %s: %s", name, unit.Text("main"))
			}
		}
		zy, err := auth.UserByName(ctx, s.DB, "zy-pm")
		if err != nil {
			t.Fatal(err)
		}
		ns, err := notify.List(ctx, s.DB, zy.ID, 20)
		if err != nil || len(ns) == 0 || ns[0].Key != "project.notify.call_published" {
			t.Fatalf("the applicant's inbox: %+v %v", ns, err)
		}

		visitor := browser.NewTab(t, s.URL)
		visitor.Home()
		visitor.Follow("评选结果公示")
		visitor.Follow("2026 年度优秀信息化工程评选")
		visitor.WaitText("经专家评审，评出优秀信息化工程 1 项。")
		main := visitor.Text("main")
		if !strings.Contains(main, "中原区一网通办平台") || !strings.Contains(main, "82.80") || strings.Contains(main, "王建国") || visitor.Has("用户名") {
			t.Fatalf("the public results: %s", main)
		}
		for _, size := range [][2]int64{{1366, 768}, {390, 844}} {
			visitor.Size(size[0], size[1])
			if visitor.ScrollsSideways() {
				t.Errorf("the results page scrolls sideways at %d×%d", size[0], size[1])
			}
		}
	})
}
