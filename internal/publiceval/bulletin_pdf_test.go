package publiceval

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/orgunit"
	"zhihui/internal/pdffont"
)

// TestBulletinPDFWrapsNamesAndRepeatsTheHeader: a long unit or service
// name is printed whole, wrapped in its cell, and a ranking longer than
// a page repeats the column header on every page it continues on (read
// back with pdftotext).
func TestBulletinPDFWrapsNamesAndRepeatsTheHeader(t *testing.T) {
	long := "河南省郑州市中原区人民政府办公室政务服务和大数据管理局不动产登记窗口"
	b := Bulletin{Unit: orgunit.Unit{Code: "41", Name: "河南省"}, Month: "202603"}
	for i := 1; i <= 60; i++ {
		name := fmt.Sprintf("第%d号单位", i)
		if i == 7 || i == 59 {
			name = long
		}
		b.Rows = append(b.Rows, RankRow{Rank: i, Code: fmt.Sprintf("41%04d", i), Name: name, Counts: Counts{Total: 100, Levels: [5]int64{int64(i), 0, 0, 0, int64(100 - i)}}})
	}
	head := []string{"名次", "代码", "单位名称", "有效评价", "满意率", "差评率", "差评数", "整改率", "按时率", "回访率", "办件量", "主动评价率"}
	var out bytes.Buffer
	if err := WriteBulletinPDF(&out, b, "zh-CN", head, "2026年3月好差评通报", "合计", "规则"); err != nil {
		t.Fatal(err)
	}
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed: PDF text not checked")
	}
	f := filepath.Join(t.TempDir(), "b.pdf")
	if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := func(s string) string { return strings.Join(strings.Fields(s), "") }
	pages := strings.Split(strings.TrimRight(string(text), "\f"), "\f")
	if len(pages) < 2 {
		t.Fatalf("60 rows on %d page", len(pages))
	}
	withRows := 0
	for i, p := range pages {
		if !strings.Contains(p, "号单位") && !strings.Contains(flat(p), flat(long[:12])) {
			continue // the rules after the table
		}
		withRows++
		if !strings.Contains(flat(p), "单位名称") || !strings.Contains(flat(p), "主动评价率") {
			t.Errorf("page %d has rows but no header:\n%s", i+1, p)
		}
	}
	if withRows < 2 {
		t.Fatalf("the table is on %d page", withRows)
	}
	pdf := pdffont.New("L")
	pdf.SetFont(pdffont.Family, "", 8.5)
	lines := pdffont.Lines(pdf, long, 48)
	if len(lines) < 2 {
		t.Fatalf("the long name fits one line: %v", lines)
	}
	all := flat(string(text))
	for _, l := range lines {
		if strings.Count(all, flat(l)) < 2 {
			t.Errorf("the long name's line %q is not printed for both rows:\n%s", l, text)
		}
	}
	if strings.Contains(string(text), "…") {
		t.Error("a name is still cut")
	}
	if strings.Count(all, "第60号单位") != 1 {
		t.Error("the last row is missing")
	}
}
