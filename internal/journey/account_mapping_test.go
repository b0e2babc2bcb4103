package journey

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
)

// TestAccountToken: a reporter creates an API token on 我的账号, sees it
// once, uses it on the API, finds it listed without its secret, revokes it
// with the page's button, and the API refuses it from then on.
func TestAccountToken(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		u := s.User("tokjour", "中原区填报员", auth.Reporter, "410102")
		b := browser.NewTab(t, s.URL)
		b.Login("tokjour", Password)
		b.Follow("我的账号")
		b.Fill("令牌名称", "统计脚本")
		b.Fill("有效期至", "30 天")
		b.Press("创建令牌")
		b.WaitText("只显示这一次")
		tok := b.Text("#new-token")
		api := func() int {
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if code := api(); code != http.StatusOK {
			t.Fatalf("API with the new token: %d", code)
		}
		ts, err := auth.Tokens(ctx, s.DB, u.ID)
		if err != nil || len(ts) != 1 || ts[0].Name != "统计脚本" || ts[0].ExpiresAt == nil || time.Until(*ts[0].ExpiresAt) > 31*24*time.Hour {
			t.Fatalf("stored tokens %+v (%v)", ts, err)
		}
		b.Follow("我的账号")
		if !b.Has("统计脚本") || b.Has(tok) {
			t.Fatalf("the list must name the token and never show its secret again: %s", b.Text("main"))
		}
		b.Press("撤销令牌")
		b.WaitText("令牌已撤销")
		if code := api(); code != http.StatusUnauthorized {
			t.Fatalf("API with a revoked token: %d", code)
		}
		if ts, _ := auth.Tokens(ctx, s.DB, u.ID); len(ts) != 0 {
			t.Fatalf("%d tokens left after revoking", len(ts))
		}
	})
}

// TestOfficeMapsColumn: the office imports a county's own report whose
// 益农社 column names no element, maps it on the preview page, sees the
// preview read that column, confirms, and the values are stored; the
// mapping is kept for the next import of the same template.
func TestOfficeMapsColumn(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		file := filepath.Join(t.TempDir(), "县报表.csv")
		if err := os.WriteFile(file, []byte("报告期：2016年\n单位代码,电子商务交易额（亿元）,益农社（个）\n410102,3.5,6\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		b := browser.NewTab(t, s.URL)
		b.Login("ban", Password)
		b.Follow("监测")
		b.Follow("数据导入")
		b.Fill("文件", file)
		b.Press("检查文件")
		b.WaitText("未对应数据元的列")
		b.Fill("对应数据元 益农社（个）", "RURAL_INFO_STATIONS")
		b.Press("保存对应关系并重新预览")
		b.WaitText("确认导入 2 个数值")
		b.Press("确认导入 2 个数值")
		b.WaitText("新增 2")
		vals, err := monitor.DataValues(ctx, s.DB, monitor.ValueFilter{Elements: []string{"RURAL_INFO_STATIONS", "ECOMMERCE_VOLUME"}, OrgUnits: []string{"410102"}, Periods: []string{"2016"}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, v := range vals {
			got[v.DataElement] = v.Value.Value
		}
		if got["RURAL_INFO_STATIONS"] != "6" || got["ECOMMERCE_VOLUME"] != "3.5" {
			t.Fatalf("stored %v", got)
		}
		// The next import of the same template reads the column by itself.
		b.Follow("数据导入")
		b.Fill("文件", file)
		b.Press("检查文件")
		b.WaitText("确认导入 2 个数值")
		if b.Has("未对应数据元的列") {
			t.Error("the saved mapping was not applied")
		}
	})
}
