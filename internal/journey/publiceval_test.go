package journey

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/publiceval"
	"zhihui/internal/webcheck"
)

// TestPublicEvaluationRateHandleAndPublish: a member of the public rates
// 中原区's website from the public pages with a named 差评 (a first try
// with a reason that does not go with the level is refused and keeps what
// was typed); the county's staff find the case under 好差评, see the
// rater's phone (audited), contact, triage, answer and record the rater's
// satisfaction, and read the timeline in Chinese and in English; the office reads the statistics, exports the cases with
// the identity masked and publishes the month, which the public then
// sees. Everything through links, fields and buttons from the home page.
func TestPublicEvaluationRateHandleAndPublish(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		_, err := webcheck.CreateSite(ctx, s.DB, audit.System, webcheck.SiteInput{URL: "https://www.zhongyuan.gov.cn", Name: "中原区人民政府网", Kind: "county", OrgCode: "410102"},
			func(string) bool { return true })
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("zy", "中原区办理员", auth.Reporter, "410102")
		s.User("ban", "省信息办", auth.Office, "41")

		public := browser.NewTab(t, s.URL)
		public.Home()
		public.Follow("公众评价")
		public.WaitText("中原区人民政府网")
		public.Follow("评价", "中原区人民政府网")
		public.Fill("非常满意", "on")
		public.Fill("信息不更新", "on")
		public.Fill("意见建议", "办事指南还是去年的版本")
		public.Press("提交评价")
		public.WaitText("不适用")
		if public.Value("意见建议") != "办事指南还是去年的版本" {
			t.Fatal("the refused form lost the comment")
		}
		public.Fill("非常不满意", "on")
		public.Fill("办件编号", "ZY-2026-0001")
		public.Fill("姓名", "张三")
		public.Fill("电话", "13812345678")
		public.Press("提交评价")
		public.WaitText("感谢您的评价")
		cases, err := publiceval.Cases(ctx, s.DB, publiceval.CaseFilter{Scopes: []string{"/41/"}})
		if err != nil || len(cases) != 1 || cases[0].OrgCode != "410102" || cases[0].Level != 1 || cases[0].CaseNo != "ZY-2026-0001" ||
			len(cases[0].Tags) != 1 || cases[0].Tags[0] != "outdated" {
			t.Fatalf("stored cases: %+v %v", cases, err)
		}
		id := cases[0].ID
		title := "差评案件 " + strconv.FormatInt(id, 10)

		county := browser.NewTab(t, s.URL)
		county.Login("zy", Password)
		county.Follow("好差评")
		county.Follow(title)
		county.WaitText("办事指南还是去年的版本")
		if county.Has("13812345678") || !county.Has("138****5678") {
			t.Fatal("the phone is shown before it is asked for")
		}
		county.Press("查看评价人姓名和电话")
		county.WaitText("13812345678")
		county.Fill("联系情况", "已电话联系评价人")
		county.Press("记录联系")
		county.Fill("处置方式", "限期整改")
		county.Fill("处置说明", "更新办事指南")
		county.Press("确定处置方式")
		county.Fill("给评价人的答复", "办事指南已更新为今年的版本")
		county.Press("提交答复")
		county.Fill("回访记录", "评价人表示满意")
		county.Press("评价人满意")
		county.WaitText("已办结")
		c, err := publiceval.GetCase(ctx, s.DB, id)
		if err != nil || c.State != publiceval.StateClosed || c.Triage != publiceval.TriageDeadline || c.Satisfaction != publiceval.SatisfactionYes || c.Answer != "办事指南已更新为今年的版本" {
			t.Fatalf("handled case: %+v %v", c, err)
		}
		var seen int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'view_identity' AND entity_id = $1`, strconv.FormatInt(id, 10)).Scan(&seen); err != nil || seen != 1 {
			t.Fatalf("identity views audited: %d %v", seen, err)
		}

		// the timeline in the reader's language: the steps' choices and
		// the actors nobody's account is are stored as codes
		if !county.Has("评价人") || !county.Has("非常不满意") || !county.Has("限期整改 更新办事指南") || !county.Has("评价人满意 评价人表示满意") {
			t.Fatalf("timeline in Chinese: %s", county.Text("main"))
		}
		county.Press("English")
		county.WaitText("Timeline")
		for _, want := range []string{"The rater", "Very dissatisfied", "Fix within a deadline 更新办事指南 → ", "The rater is satisfied 评价人表示满意"} {
			if !county.Has(want) {
				t.Fatalf("timeline in English lacks %q: %s", want, county.Text("main"))
			}
		}
		var mixed int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_event WHERE actor_name LIKE '% / %' OR body LIKE '% / %' OR body IN ('非常不满意', '不满意')`).Scan(&mixed); err != nil || mixed != 0 {
			t.Fatalf("%d timeline rows store language-bound text: %v", mixed, err)
		}
		county.Press("中文")
		county.WaitText("办理过程")

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Fill("状态", "全部")
		office.Press("筛选")
		office.WaitText(title)
		body, _ := office.Download("导出 XLSX")
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil || len(rows) != 2 {
			t.Fatalf("export rows %v %v", rows, err)
		}
		line := strings.Join(rows[1], "|")
		if !strings.Contains(line, "138****5678") || strings.Contains(line, "13812345678") || !strings.Contains(line, "张*") {
			t.Fatalf("export does not mask the rater: %s", line)
		}
		office.Follow("好差评统计")
		office.WaitText("单位排名")
		if !office.Has("郑州市") || !office.Has("中原区人民政府网") || !office.Has("100.0%") || !office.Has("按评价渠道") || !office.Has("评价页面") {
			t.Fatalf("statistics: %s", office.Text("main"))
		}
		office.Press("发布")
		office.WaitText("已发布")

		public.Follow("公众评价")
		public.Follow("好差评公示")
		public.WaitText("郑州市")
		if !public.Has("中原区人民政府网") {
			t.Fatalf("public statistics: %s", public.Text("main"))
		}
		if pub, err := publiceval.Published(ctx, s.DB); err != nil || len(pub) != 1 {
			t.Fatalf("published months %v %v", pub, err)
		}
	})
}
