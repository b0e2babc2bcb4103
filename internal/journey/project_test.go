package journey

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/project"
)

// TestProjectGateWithExpertPanel: the 中原区 owner unit registers a
// project from the home page and sees the existing system it resembles,
// uploads its feasibility study and submits the gate; the provincial
// office, who also sees the similar project of another city, draws an
// expert panel avoiding the expert who works for the applicant; each of
// the three drawn experts logs in from the home page, finds the
// assignment under 我的评审 and scores it, seeing only their own seat; the
// office sees the three scores and their mean and approves the gate with
// a reason, and the project moves to the preliminary design. The
// applicant sees the scores and the mean but never an expert's name; the
// store holds the panel, its seed, every score and the approved estimate.
func TestProjectGateWithExpertPanel(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		if _, err := svc.Register(ctx, a, []string{"/41/"}, project.NewProject{Name: "开封市政务服务一体化平台", Owner: "4102", Category: "new",
			Funding: "市级财政预算资金", Estimate: 8000000,
			Content: "整合各部门政务服务事项，建设统一的网上办事大厅和移动端，实现事项统一受理、统一办理、统一反馈。推进电子证照共享互认。"}); err != nil {
			return err
		}
		if _, err := svc.AddSystem(ctx, a, []string{"/41/"}, project.NewSystem{Owner: "410102", Name: "中原区网上办事大厅", MLPSLevel: 3, OMCost: 300000,
			Description: "整合各部门政务服务事项，建设统一的网上办事大厅，实现事项统一受理。", DataResources: "办件库"}); err != nil {
			return err
		}
		return addPanelExperts(ctx, svc, a,
			project.Expert{Name: "王建国", Employer: "郑州大学", Account: "wjg"},
			project.Expert{Name: "李海燕", Employer: "河南大学", Account: "lhy"},
			project.Expert{Name: "张志强", Employer: "河南省信息中心", Account: "zzq"},
			project.Expert{Name: "刘晓明", Employer: "中原区", EmployerCode: "410102"}, // works for the applicant
		)
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		projectPeople(s)
		s.User("lhy", "李海燕", auth.Expert, "41")
		s.User("zzq", "张志强", auth.Expert, "41")
		svc := project.New(s.DB)
		doc := document(t, "可行性研究报告.txt", "中原区政务服务平台可行性研究报告")

		owner := browser.NewTab(t, s.URL)
		owner.Login("zy-pm", Password)
		owner.Follow("项目管理")
		owner.Follow("登记项目")
		owner.Fill("项目名称", "中原区政务服务一体化平台")
		owner.Fill("建设单位（代码）", "410102")
		owner.Fill("类别", "新建")
		owner.Fill("资金来源", "区级财政预算资金")
		owner.Fill("估算（万元）", "260.5")
		owner.Fill("建设内容", "整合各部门政务服务事项，建设统一的网上办事大厅和移动端，实现事项统一受理、统一办理、统一反馈。")
		owner.Press("登记")
		owner.WaitText("中原区政务服务一体化平台")
		// The owner unit sees what resembles it among its own systems; the
		// other city's project is for the office to see.
		if !owner.Has("中原区网上办事大厅") || owner.Has("开封市政务服务一体化平台") || !owner.Has("可行性研究报告") {
			t.Fatalf("the new project's page lacks its similar project or its gate: %s", owner.Text("main"))
		}
		ps, total, err := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, Unit: "410102"})
		if err != nil || total != 1 || ps[0].Estimate != 2605000 || ps[0].Level != "county" || ps[0].Stage != project.Feasibility {
			t.Fatalf("stored: %+v %d %v", ps, total, err)
		}
		id := ps[0].ID
		owner.Press("报送审批")
		owner.WaitText("尚不能报送")
		owner.Fill("材料文件", doc)
		owner.Press("上传")
		owner.WaitText("可行性研究报告.txt")
		owner.Fill("报送说明", "请审批可研")
		owner.Press("报送审批")
		owner.WaitText("待审批")

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("项目管理")
		office.Follow("中原区政务服务一体化平台")
		office.Fill("专业领域", "电子政务")
		office.Fill("专家人数", "3")
		office.Press("抽取")
		office.WaitText("随机种子")
		revs, err := svc.Reviews(ctx, id)
		if err != nil || len(revs) != 1 || len(revs[0].Seats) != 3 || len(revs[0].Candidates) != 3 || !revs[0].Reproduces() {
			t.Fatalf("the panel: %+v %v", revs, err)
		}
		for _, st := range revs[0].Seats {
			if st.ExpertName == "刘晓明" {
				t.Fatal("the expert working for the applicant was drawn")
			}
		}
		if !office.Has("王建国") || !office.Has("按种子复现一致") || !office.Has("开封市政务服务一体化平台") {
			t.Fatalf("the office's panel: %s", office.Text("main"))
		}

		// Every drawn expert scores through the pages: 我的评审 lists only
		// their own assignment, the score sheet names no other expert.
		panel := []struct {
			account, name, score, opinion string
		}{
			{"wjg", "王建国", "86", "方案基本可行，建议复用省级平台"},
			{"lhy", "李海燕", "80", "需补充数据共享清单"},
			{"zzq", "张志强", "90", "建设内容清晰，同意通过"},
		}
		for _, x := range panel {
			expert := browser.NewTab(t, s.URL)
			expert.Login(x.account, Password)
			expert.Follow("我的评审")
			expert.WaitText("待评审")
			expert.Follow("中原区政务服务一体化平台")
			expert.Fill("评分（0–100）", x.score)
			expert.Fill("评审意见", x.opinion)
			expert.Press("提交评分")
			expert.WaitText("已保存")
			main := expert.Text("main")
			for _, other := range panel {
				if other.name != x.name && (strings.Contains(main, other.name) || strings.Contains(main, other.opinion)) {
					t.Fatalf("%s sees %s's seat: %s", x.name, other.name, main)
				}
			}
			expert.Follow("我的评审")
			if !expert.Has(x.score) {
				t.Fatalf("%s's assignments lack the score: %s", x.name, expert.Text("main"))
			}
		}
		revs, _ = svc.Reviews(ctx, id)
		stored := map[string]string{}
		for _, st := range revs[0].Seats {
			if st.Score != nil {
				stored[st.ExpertName] = strconv.Itoa(*st.Score) + " " + st.Opinion
			}
		}
		for _, x := range panel {
			if stored[x.name] != x.score+" "+x.opinion {
				t.Fatalf("the scores stored: %v", stored)
			}
		}
		if revs[0].Mean() != "85.3" {
			t.Fatalf("the panel's mean: %q", revs[0].Mean())
		}

		office.Follow("项目管理")
		office.Follow("中原区政务服务一体化平台")
		office.WaitText("方案基本可行，建议复用省级平台")
		if !office.Has("需补充数据共享清单") || !office.Has("建设内容清晰，同意通过") || !office.Has("平均分 85.3") {
			t.Fatalf("the office's view of the panel: %s", office.Text("main"))
		}
		office.Fill("决定理由", "专家评审通过，同意批复可研")
		office.Press("批准")
		office.WaitText("专家评审通过，同意批复可研")
		p, err := svc.Get(ctx, []string{"/41/"}, id)
		if err != nil || p.Stage != project.Design || p.Status != project.Draft || p.Approved == nil || *p.Approved != 2605000 {
			t.Fatalf("after the approval: %+v %v", p, err)
		}

		owner.Follow("项目管理")
		owner.Follow("中原区政务服务一体化平台")
		owner.WaitText("方案基本可行，建议复用省级平台")
		if owner.Has("王建国") || owner.Has("李海燕") || owner.Has("张志强") || !owner.Has("平均分 85.3") || !owner.Has("初步设计与概算") {
			t.Fatalf("the applicant's view: %s", owner.Text("main"))
		}
		// The project page, with its forms, panel and timeline, fits a phone.
		owner.Size(390, 844)
		if owner.ScrollsSideways() {
			t.Error("the project page scrolls sideways at 390 px")
		}
	})
}
