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

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/journey/browser"
)

// TestEnterprise: an enterprise user of 郑州市 goes from the home page to
// the self-assessment, picks the county from the list of its city's
// counties (no code typed), answers every question, mistypes a share as
// 150 % and is told which question and what range, corrects it, submits,
// reads the score, stage and peer benchmark, and downloads the PDF
// report, which names the enterprise. The assessment is stored with the
// answers given.
func TestEnterprise(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("qiye", "郑州某电子公司", auth.Enterprise, "4101")

		b := browser.NewTab(t, s.URL)
		b.Login("qiye", Password)
		b.Follow("评估")
		b.Follow("企业信息化水平评测")
		b.WaitText("企业基本信息")

		b.Fill("企业名称", "郑州云帆电子有限公司")
		b.Fill("统一社会信用代码", "91410102MA44XYW12Q")
		b.Fill("所属行业", "C39")
		b.Fill("所在地区", "郑州市 · 中原区")
		b.Fill("年度", "2020")
		q := evaluate.EnterpriseQuestionnaire()
		want := map[string]float64{}
		for _, d := range q.Dimensions {
			for _, qu := range d.Questions {
				label := qu.ID + ". " + qu.Name.Zh
				sc := q.Scales[qu.Scale]
				if sc.Type == "choice" {
					o := sc.Options[len(sc.Options)-1]
					b.Fill(label, o.Name.Zh)
					want[qu.ID] = o.Value
					continue
				}
				x := (sc.Min + sc.Max) / 2
				if qu.ID == "B1" {
					x = 150 // a slip of the keyboard
				}
				b.Fill(label, fmt.Sprint(x))
				want[qu.ID] = x
			}
		}
		b.Press("提交并评分")
		b.WaitText("第 B1 题的答案 150 超出范围 0–100%")
		if n := count(t, s); n != 0 {
			t.Fatalf("a refused form stored %d assessments", n)
		}
		// What was typed is still there; only B1 needs changing.
		if v := b.Value("企业名称"); v != "郑州云帆电子有限公司" {
			t.Errorf("the form lost the name: %q", v)
		}
		if v := b.Value("K2. "); v != "50" {
			t.Errorf("the form lost the answer to K2: %q", v)
		}
		b.Fill("B1. ", "85")
		want["B1"] = 85
		b.Press("提交并评分")
		b.WaitText("评测已提交")
		for _, w := range []string{"得分", "郑州云帆电子有限公司", "郑州市中原区", "发展阶段", "同类企业对标", "下载 PDF 报告"} {
			if !b.Has(w) {
				t.Errorf("result page lacks %q: %s", w, b.Text("main"))
			}
		}

		as, err := evalstore.Assessments(ctx, s.DB, evalstore.AssessmentFilter{CreatedBy: "qiye"})
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 1 {
			t.Fatalf("stored %d assessments, want 1", len(as))
		}
		a := as[0]
		if a.OrgCode != "410102" || a.Industry != "C39" || a.Year != 2020 || a.Name != "郑州云帆电子有限公司" {
			t.Errorf("stored %+v", a)
		}
		for id, x := range want {
			if a.Answers[id] != x {
				t.Errorf("answer %s stored as %g, want %g", id, a.Answers[id], x)
			}
		}
		if !b.Has(fmt.Sprintf("%.1f", a.Result.Score)) {
			t.Errorf("the page does not show the stored score %.1f", a.Result.Score)
		}

		pdf, typ := b.Download("下载 PDF 报告")
		if typ != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("report: %s, %d bytes", typ, len(pdf))
		}
		if bin, err := exec.LookPath("pdftotext"); err == nil {
			p := filepath.Join(t.TempDir(), "r.pdf")
			if err := os.WriteFile(p, pdf, 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-enc", "UTF-8", p, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			txt := strings.Join(strings.Fields(string(out)), "")
			for _, w := range []string{"郑州云帆电子有限公司", "91410102MA44XYW12Q", fmt.Sprintf("%.1f", a.Result.Score)} {
				if !strings.Contains(txt, w) {
					t.Errorf("the PDF lacks %q", w)
				}
			}
		}

		// The earlier submission is listed on the form page.
		b.Follow("评估")
		b.Follow("企业信息化水平评测")
		b.WaitText("我的评测记录")
		if !b.Has("郑州云帆电子有限公司") {
			t.Errorf("my assessments: %s", b.Text("main"))
		}
		b.Follow("郑州云帆电子有限公司")
		b.WaitText("同类企业对标")
		b.Screenshots()
	})
}

func count(t *testing.T, s *Site) int {
	t.Helper()
	var n int
	if err := s.DB.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM evaluate_enterprise`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
