package journey

import (
	"context"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/project"
)

// TestProjectDuplicateSideBySide: the provincial office opens, from the
// home page, a city's proposal that copies another city's project with
// its sentences reordered and a few words changed. The page ranks the
// copied project first, marks it as a near copy with the same functions,
// and shows the overlapping sentences side by side with the shared
// words highlighted. The store holds a signature for both projects and
// the system, written when they were registered.
func TestProjectDuplicateSideBySide(t *testing.T) {
	t.Parallel()
	const original = "整合各部门政务服务事项，建设统一的网上办事大厅和移动端，实现事项统一受理、统一办理、统一反馈。推进电子证照共享互认，减少群众重复提交材料。建立办件全流程监督和好差评机制。"
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		svc := project.New(s.DB)
		a := audit.Actor{Name: "seed"}
		all := []string{"/41/"}
		fn := "统一身份认证；事项管理；网上受理；好差评"
		if _, err := svc.Register(ctx, a, all, project.NewProject{Name: "开封市政务服务一体化平台", Owner: "4102", Category: "new",
			Funding: "市级财政预算资金", Estimate: 8000000, Content: original, Functions: fn}); err != nil {
			return err
		}
		sents := strings.SplitAfter(original, "。")
		copied := strings.ReplaceAll(sents[2]+sents[0]+sents[1], "建设", "构建")
		if _, err := svc.Register(ctx, a, all, project.NewProject{Name: "洛阳市政务服务一体化系统", Owner: "4103", Category: "new",
			Funding: "市级财政预算资金", Estimate: 6000000, Content: copied, Functions: fn}); err != nil {
			return err
		}
		_, err := svc.AddSystem(ctx, a, all, project.NewSystem{Owner: "4104", Name: "平顶山市城市照明管理系统", MLPSLevel: 2, OMCost: 100000,
			Description: "路灯设施台账和巡检。", DataResources: "路灯台账"})
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("项目管理")
		office.Follow("洛阳市政务服务一体化系统")
		office.WaitText("相似项目（防止重复建设）")
		main := office.Text("main")
		sim := main[strings.Index(main, "相似项目（防止重复建设）"):]
		if !strings.Contains(sim, "开封市政务服务一体化平台") || !strings.Contains(sim, "近乎照抄") || !strings.Contains(sim, "相同功能") ||
			!strings.Contains(sim, "好差评") || strings.Contains(sim, "平顶山市城市照明管理系统") {
			t.Fatalf("the similar projects: %s", sim)
		}
		// Side by side: this project's sentence beside the other's, the
		// words both share highlighted in each.
		office.WaitFor("passages side by side", `document.querySelectorAll('.side-by-side').length >= 2 &&
			[...document.querySelectorAll('.side-by-side')].every(d => d.children.length === 2 && d.children[0].querySelector('mark') && d.children[1].querySelector('mark'))`)
		if first := office.Text(".side-by-side"); !strings.Contains(first, "本项目") || !strings.Contains(first, "相似项目") || office.Text(".side-by-side mark") == "" {
			t.Fatalf("the first pair: %s", office.Text(".side-by-side"))
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_signature`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("stored signatures: %d %v", n, err)
		}
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(DISTINCT ref_id) FROM project_bucket WHERE kind = 'project'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("bucketed projects: %d %v", n, err)
		}
	})
}
