package journey

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/publiceval"
)

// TestPublicEvaluationExchangeOffice: the office imports a file of the
// provincial rating system from 好差评 → 评价数据交换: the preview says
// what would happen, the import adds the ratings (a 差评 opening a case
// for its unit); the same file again would change nothing and offers no
// import; a file with a bad row is refused with its row and column; the
// year's ratings download in the exchange format with identities masked.
func TestPublicEvaluationExchangeOffice(t *testing.T) {
	t.Parallel()
	var key string
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		tg, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "不动产登记", OrgCode: "410102"},
			func(string) bool { return true })
		key = tg.Key
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息办", auth.Office, "41")
		dir := t.TempDir()
		good := filepath.Join(dir, "hn-ratings.csv")
		if err := os.WriteFile(good, []byte("评价编号,评价对象,评价等级,原因标签,评价内容,办件编号,评价人,联系电话,评价渠道,评价时间\n"+
			"HN-9001,"+key+",5,clear,窗口办理很快,,,,window,2026-03-01 09:30:00\n"+
			"HN-9002,"+key+",1,no_answer,预约电话打不通,BDC-2026-77,孙八,13700001111,app,2026-03-02 10:00:00\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(dir, "bad.csv")
		if err := os.WriteFile(bad, []byte("rating_id,target,level,rated_at\nHN-9100,"+key+",9,2026-03-05 08:00:00\n"), 0o600); err != nil {
			t.Fatal(err)
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Follow("评价数据交换")
		office.Fill("交换文件（CSV 或 JSON）", good)
		office.Press("上传并检查")
		office.WaitText("将新增评价 2 条")
		office.Press("确认导入 2 条评价")
		office.WaitText("导入完成")
		if !office.Has("新增评价 2 条") || !office.Has("开立差评工单 1 件") {
			t.Fatalf("import result: %s", office.Text("main"))
		}
		cases, err := publiceval.Cases(ctx, s.DB, publiceval.CaseFilter{Scopes: []string{"/41/"}})
		if err != nil || len(cases) != 1 || cases[0].OrgCode != "410102" || cases[0].CaseNo != "BDC-2026-77" {
			t.Fatalf("cases after the import: %+v %v", cases, err)
		}

		office.Fill("交换文件（CSV 或 JSON）", good)
		office.Press("上传并检查")
		office.WaitText("已有 2 条不会改动")
		if office.Has("确认导入") {
			t.Fatal("a file that changes nothing offers an import")
		}

		office.Fill("交换文件（CSV 或 JSON）", bad)
		office.Press("上传并检查")
		office.WaitText("未导入任何评价")
		if !office.Has("level") || !office.Has("1 至 5") {
			t.Fatalf("the bad row is not located: %s", office.Text("main"))
		}
		var n int
		if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d ratings stored %v", n, err)
		}

		body, ctype := office.Download("年评价（CSV）")
		text := string(body)
		if !strings.HasPrefix(ctype, "text/csv") || !strings.Contains(text, "HN-9001") || !strings.Contains(text, "孙*") || strings.Contains(text, "13700001111") {
			t.Fatalf("export (%s): %s", ctype, text)
		}
	})
}
