package journey

import (
	"context"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/publiceval"
)

// TestPublicEvaluationFlaggedOffice: the office opens 好差评 → 可疑评价,
// filters by why they were flagged, releases one flagged 差评 with a
// reason (it is counted and opens a case for its unit) and confirms the
// other as abuse; both leave the list of ratings to review, the decisions
// are audited and the flagged list exports to XLSX.
func TestPublicEvaluationFlaggedOffice(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		tg, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "医保报销", OrgCode: "410102"},
			func(string) bool { return true })
		if err != nil {
			return err
		}
		svc := publiceval.New(s.DB)
		for _, c := range []string{"报销材料退回三次", "刷评测试内容"} {
			if _, err := svc.Rate(ctx, publiceval.Input{Target: tg.Key, Level: publiceval.VeryDissatisfied, Comment: c, IP: "198.51.100.20", Website: "x"}, false); err != nil {
				return err
			}
		}
		return nil
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息办", auth.Office, "41")
		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Follow("可疑评价")
		office.WaitText("报销材料退回三次")
		office.Fill("可疑原因", "填写了隐藏字段（疑似机器）")
		office.Press("筛选")
		office.WaitText("共 2 条")
		office.Fill("审核理由", "电话回访确认为本人评价", "报销材料退回三次")
		office.Press("放行并计入统计", "报销材料退回三次")
		office.WaitText("已记录审核结果")
		office.Fill("审核理由", "同一设备批量提交", "刷评测试内容")
		office.Press("确认为恶意", "刷评测试内容")
		office.WaitText("没有符合条件的可疑评价")
		office.Fill("审核", "全部")
		office.Press("筛选")
		office.WaitText("已确认为恶意")
		if !office.Has("已放行计入统计") {
			t.Fatalf("reviewed list: %s", office.Text("main"))
		}
		body, _ := office.Download("导出 XLSX")
		if len(body) < 100 {
			t.Fatal("empty export")
		}
		cases, err := publiceval.Cases(ctx, s.DB, publiceval.CaseFilter{Scopes: []string{"/41/"}})
		if err != nil || len(cases) != 1 || cases[0].Comment != "报销材料退回三次" || cases[0].OrgCode != "410102" {
			t.Fatalf("cases: %+v %v", cases, err)
		}
		var audited int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('release', 'confirm_abuse')`).Scan(&audited); err != nil || audited != 2 {
			t.Fatalf("audited %d %v", audited, err)
		}
	})
}
