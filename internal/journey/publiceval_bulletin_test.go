package journey

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/notify"
	"zhihui/internal/period"
	"zhihui/internal/publiceval"
)

// TestPublicEvaluationMonthlyBulletin: the office opens 好差评 → 月度通报
// for last month: 郑州市 (four of four satisfied) ranks above 开封市 (one
// of three); the PDF and the XLSX downloads hold the same ranking with the
// rates and the rules; issuing the bulletin tells 开封市's staff once and
// the page then says it was issued; published, the month's PDF is on the
// public page.
func TestPublicEvaluationMonthlyBulletin(t *testing.T) {
	t.Parallel()
	last := time.Now().In(period.Shanghai)
	last = time.Date(last.Year(), last.Month(), 1, 10, 0, 0, 0, period.Shanghai).AddDate(0, -1, 0)
	month := last.Format("200601")
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		all := func(string) bool { return true }
		for _, c := range []struct {
			org    string
			levels []int
		}{{"410102", []int{5, 5, 4, 3}}, {"410202", []int{5, 2, 1}}} {
			tg, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "事项" + c.org, OrgCode: c.org}, all)
			if err != nil {
				return err
			}
			for i, lv := range c.levels {
				in := publiceval.Input{Target: tg.Key, Level: lv, IP: fmt.Sprintf("198.51.100.%d", len(c.org)*10+i), UserAgent: c.org, At: last.Add(time.Duration(i) * time.Hour)}
				if _, err := publiceval.New(s.DB).Rate(ctx, in, false); err != nil {
					return err
				}
			}
		}
		return nil
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息办", auth.Office, "41")
		kf := s.User("kf", "开封市办理员", auth.Reporter, "4102")

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Follow("月度通报")
		office.Fill("月份", month)
		office.Press("查看")
		main := office.Text("main")
		zz, kfPos := strings.Index(main, "郑州市"), strings.Index(main, "开封市")
		if zz < 0 || kfPos < 0 || zz > kfPos || !strings.Contains(main, "100.0%") || !strings.Contains(main, "33.3%") || !strings.Contains(main, "统计规则") {
			t.Fatalf("the bulletin page: %s", main)
		}

		pdf, ctype := office.Download("下载通报（PDF）")
		if !strings.Contains(ctype, "pdf") || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("pdf: %q %q", ctype, pdf[:min(len(pdf), 20)])
		}
		if text := pdfText(t, pdf); text != "" {
			zz, kfPos := strings.Index(text, "郑州市"), strings.Index(text, "开封市")
			if zz < 0 || kfPos < 0 || zz > kfPos || !strings.Contains(text, "主动评价率") || !strings.Contains(text, "33.3%") || !strings.Contains(text, "排名按满意率") {
				t.Fatalf("pdf text: %s", text)
			}
		}
		body, _ := office.Download("下载通报（XLSX）")
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(x.GetSheetList()[0])
		if err != nil || len(rows) < 4 {
			t.Fatalf("xlsx rows %v %v", rows, err)
		}
		if rows[0][0] != "排名" || rows[1][2] != "郑州市" || rows[1][0] != "1" || rows[2][2] != "开封市" || rows[2][0] != "2" || rows[2][4] != "33.3%" {
			t.Fatalf("xlsx ranking %v", rows[:3])
		}
		if !strings.Contains(fmt.Sprint(rows), "主动评价率 = 有效评价数 ÷ 办件量") {
			t.Fatalf("xlsx without the rules: %v", rows)
		}

		office.Press("印发通报并通知各单位")
		office.WaitText("通报已印发")
		if office.Has("印发通报并通知各单位") {
			t.Fatal("an issued bulletin offers to issue it again")
		}
		msgs, err := notify.List(ctx, s.DB, kf.ID, 10)
		if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Link, month) {
			t.Fatalf("开封市's messages: %+v %v", msgs, err)
		}
		if issued, err := publiceval.IssueLastMonth(ctx, s.DB, time.Now()); err != nil || issued {
			t.Fatalf("the monthly job issued the bulletin again: %v %v", issued, err)
		}

		office.Follow("好差评统计")
		office.Fill("月份", month, "发布月度统计")
		office.Press("发布", "发布月度统计")
		public := browser.NewTab(t, s.URL)
		public.Home()
		public.Follow("公众评价")
		public.Follow("好差评公示")
		pub, _ := public.Download("本月通报（PDF）")
		if !bytes.HasPrefix(pub, []byte("%PDF-")) {
			t.Fatal("the public bulletin is not a PDF")
		}
	})
}

// pdfText extracts the text of a PDF with pdftotext, or returns "" (the
// test then checks less) when the tool is missing.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed: PDF text not checked")
		return ""
	}
	f := filepath.Join(t.TempDir(), "b.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
