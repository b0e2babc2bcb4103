package journey

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/period"
	"zhihui/internal/publiceval"
)

// TestPublicEvaluationMaliciousAppeal: a member of the public gives a
// service of 中原区 a 非常不满意 from the public pages; the county's staff
// contact the rater and appeal the rating as malicious, with their
// reason; the office finds the appeal under 好差评, reads the reason and
// judges the rating malicious with its own; the case is closed as
// malicious, the timeline says so in Chinese and in English, the rating
// is kept but leaves the statistics (counted apart as malicious), and the
// decision and its reason are in the audit log.
func TestPublicEvaluationMaliciousAppeal(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		_, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "中原区不动产登记", OrgCode: "410102"},
			func(string) bool { return true })
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("zy", "中原区办理员", auth.Reporter, "410102")
		s.User("ban", "省信息办", auth.Office, "41")

		public := browser.NewTab(t, s.URL)
		public.Home()
		public.Follow("公众评价")
		public.WaitText("中原区不动产登记")
		public.Follow("评价", "中原区不动产登记")
		public.Fill("非常不满意", "on")
		public.Fill("意见建议", "垃圾网站")
		public.Press("提交评价")
		public.WaitText("感谢您的评价")
		cases, err := publiceval.Cases(ctx, s.DB, publiceval.CaseFilter{Scopes: []string{"/41/"}})
		if err != nil || len(cases) != 1 {
			t.Fatalf("stored cases: %+v %v", cases, err)
		}
		id := cases[0].ID
		title := "差评案件 " + strconv.FormatInt(id, 10)

		county := browser.NewTab(t, s.URL)
		county.Login("zy", Password)
		county.Follow("好差评")
		county.Follow(title)
		county.WaitText("垃圾网站")
		county.Fill("联系情况", "电话未接通，短信告知")
		county.Press("记录联系")
		county.Fill("处置方式", "申诉")
		county.Fill("处置说明", "评价与本事项无关，同一号码多次恶意差评")
		county.Press("确定处置方式")
		county.WaitText("申诉待审")
		if county.Has("认定为恶意差评") {
			t.Fatal("the county may judge its own appeal")
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Fill("状态", "申诉待审")
		office.Press("筛选")
		office.Follow(title)
		office.WaitText("评价与本事项无关，同一号码多次恶意差评")
		office.Fill("审核意见", "经核查，评价人未办理过该事项")
		office.Press("认定为恶意差评")
		office.WaitText("恶意差评（不计入统计）")
		for _, want := range []string{"分类处置", "申诉 评价与本事项无关", "申诉成立（恶意差评）", "经核查，评价人未办理过该事项"} {
			if !office.Has(want) {
				t.Fatalf("the timeline in Chinese lacks %q: %s", want, office.Text("main"))
			}
		}
		office.Press("English")
		office.WaitText("Timeline")
		for _, want := range []string{"Triaged", "Appeal 评价与本事项无关", "Appeal upheld (malicious)", "Malicious (not counted)"} {
			if !office.Has(want) {
				t.Fatalf("the timeline in English lacks %q: %s", want, office.Text("main"))
			}
		}
		office.Press("中文")
		office.WaitText("办理过程")

		c, err := publiceval.GetCase(ctx, s.DB, id)
		if err != nil || c.State != publiceval.StateExcluded || c.AppealDecision != "upheld" || c.AppealReason != "评价与本事项无关，同一号码多次恶意差评" {
			t.Fatalf("the case: %+v %v", c, err)
		}
		p, err := publiceval.ParsePeriod(time.Now().In(period.Shanghai).Format("2006"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := publiceval.Stats(ctx, s.DB, "/41/", p)
		if err != nil || st.Total != 1 || st.Excluded != 1 || st.Valid() != 0 || st.Cases != 0 {
			t.Fatalf("the statistics keep the malicious rating: %+v %v", st, err)
		}
		var after string
		if err := s.DB.R.QueryRowContext(ctx, `SELECT after_json FROM audit_log WHERE action = 'appeal_upheld' AND entity = 'publiceval_case' AND entity_id = $1`,
			strconv.FormatInt(id, 10)).Scan(&after); err != nil || !strings.Contains(after, "经核查，评价人未办理过该事项") {
			t.Fatalf("the decision's audit record: %q %v", after, err)
		}
		office.Follow("好差评")
		office.Follow("好差评统计")
		office.WaitText("单位排名")
		if !office.Has("恶意差评") {
			t.Fatalf("the statistics page does not count the malicious rating apart: %s", office.Text("main"))
		}
	})
}
