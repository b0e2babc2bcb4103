package journey

import (
	"context"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/project"
)

// TestProjectSupervisionRedProject: the provincial office sets a
// project's baseline with a milestone from the project's page; the
// owner unit reports a projected cost 15 % over it, and the project turns
// red; the owner unit's action plan is then required and submitted; the
// office reviews it, sees the project red on its supervision list with
// the variance, rebaselines it with a reason, and it turns green. The
// store holds both baseline versions, the progress, the plan and its
// review.
func TestProjectSupervisionRedProject(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		_, err := project.New(s.DB).Register(ctx, audit.Actor{Name: "seed"}, []string{"/41/"}, project.NewProject{Name: "中原区智慧城管平台", Owner: "410102",
			Category: "new", Funding: "区级财政预算资金", Estimate: 10000000, Content: "建设数字化城市管理系统。"})
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		s.User("zy-pm", "中原区项目负责人", auth.Reporter, "410102")
		svc := project.New(s.DB)

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("项目管理")
		office.Follow("中原区智慧城管平台")
		office.WaitText("尚未设定基线")
		office.Fill("开始日期", "2030-01-01")
		office.Fill("完成日期", "2030-12-31")
		office.Fill("投资（万元）", "1000")
		office.Fill("里程碑（每行：名称 计划日期）", "系统上线试运行 2030-10-31")
		office.Press("保存基线")
		office.WaitText("第 1 版")

		owner := browser.NewTab(t, s.URL)
		owner.Login("zy-pm", Password)
		owner.Follow("项目管理")
		owner.Follow("中原区智慧城管平台")
		owner.Fill("预计投资（万元）", "1150")
		owner.Fill("里程碑进展（每行：名称 预计日期 [实际日期]）", "系统上线试运行 2030-11-30")
		owner.Press("保存进展")
		owner.WaitText("红灯")
		if !owner.Has("项目亮红灯，须制定整改计划") || !owner.Has("15%") || !owner.Has("2030-11-30") {
			t.Fatalf("the owner's page once red: %s", owner.Text("main"))
		}
		owner.Fill("整改措施", "压减非必要功能，控制投资")
		owner.Fill("跟踪复核日期", "2099-06-30")
		owner.Press("提交整改计划")
		owner.WaitText("压减非必要功能，控制投资")
		if owner.Has("项目亮红灯，须制定整改计划") || owner.Has("保存基线") {
			t.Fatalf("after the plan, or the office's form offered: %s", owner.Text("main"))
		}

		office.Follow("项目管理")
		office.Follow("过程监管")
		office.WaitText("中原区智慧城管平台")
		if !office.Has("红灯") || !office.Has("15%") {
			t.Fatalf("the office's list: %s", office.Text("main"))
		}
		office.Follow("中原区智慧城管平台")
		office.Fill("复核意见", "措施可行，继续跟踪")
		office.Press("保存复核")
		office.WaitText("措施可行，继续跟踪")
		office.Fill("开始日期", "2030-01-01")
		office.Fill("完成日期", "2031-01-31")
		office.Fill("投资（万元）", "1150")
		office.Fill("调整理由（调整基线时必填）", "概算调整获批")
		office.Press("保存基线")
		office.WaitText("第 2 版")
		office.WaitText("绿灯")

		ps, _, err := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}})
		if err != nil || len(ps) != 1 {
			t.Fatalf("projects: %v %v", ps, err)
		}
		th, _ := svc.Thresholds(ctx)
		sv, err := svc.Supervise(ctx, ps[0], th)
		if err != nil || len(sv.Baselines) != 2 || sv.Current().Reason != "概算调整获批" || sv.Progress == nil || sv.Progress.ProjectedCost == nil ||
			*sv.Progress.ProjectedCost != 11500000 || len(sv.Actions) != 1 || sv.Actions[0].Open() || sv.Actions[0].Review != "措施可行，继续跟踪" || sv.Variance.Light != "green" {
			t.Fatalf("stored: %+v %v", sv, err)
		}
	})
}
