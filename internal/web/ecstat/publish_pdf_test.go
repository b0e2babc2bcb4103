package ecstat

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/ecstat/survey"
	"zhihui/internal/i18n"
)

// pdfText extracts the text of a PDF with pdftotext; the test is skipped
// when the tool is missing (make test installs poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// TestResultsPDFCountySectionTable: the PDF holds the county × section
// table after the tables by city, county and section; a long county name
// wraps within its column instead of running into the next, the table's
// header is repeated (with "continued") on every page it runs on to, and
// the precision marks are printed: a total with a CV above 15 % carries a
// star, cells with a CV above 30 % or fewer than three respondents are
// suppressed with the reason (wrapped in its column) — in Chinese and in
// English.
func TestResultsPDFCountySectionTable(t *testing.T) {
	catalog, _ := fs.Sub(files, "catalog")
	if err := i18n.Register("ecstat", catalog); err != nil {
		t.Fatal(err)
	}
	const long = "一个名称很长很长很长很长很长很长的县级行政区划单位甲"
	cell := func(code, name, section string, total, cv float64, n int, mark, reason string) dom.Cell {
		se := total * cv
		return dom.Cell{Code: code, Name: name, NameEn: "County " + code + " with a rather long English name", Section: section, Mark: mark, Reason: reason,
			Estimate: survey.Estimate{Total: total, SE: se, CV: cv, Low: total - 1.96*se, High: total + 1.96*se, Respondents: n}}
	}
	target := dom.Item{Code: "ECOM_TURNOVER", Name: "电子商务交易额", NameEn: "E-commerce turnover", Unit: "万元", Kind: dom.Money}
	prov := cell("41", "河南省", "", 1000, 0.02, 300, "", "")
	prov.NameEn = "Henan"
	res := func(by string, cells []dom.Cell) *dom.Results {
		return &dom.Results{Target: target, Estimator: dom.Ratio, By: by, Unit: "亿元", Province: prov, Cells: cells, Respondents: 300, Sampled: 400}
	}
	var cs []dom.Cell
	cs = append(cs,
		cell("410102", long, "F", 12.34, 0.2, 8, "caution", ""),
		cell("410103", "二七区", "C", 5, 0.4, 6, "suppressed", "cv"),
		cell("410104", "管城回族区", "G", 1, 0, 2, "suppressed", "few"))
	for i := 0; i < 150; i++ {
		cs = append(cs, cell(fmt.Sprintf("41%04d", 1000+i), fmt.Sprintf("测试县%03d", i), string(rune('A'+i%20)), 3+float64(i)/10, 0.05, 5, "", ""))
	}
	tables := []*dom.Results{
		res(dom.ByCity, []dom.Cell{cell("4101", "郑州市", "", 600, 0.03, 200, "", "")}),
		res(dom.ByCounty, []dom.Cell{cell("410102", long, "", 300, 0.04, 90, "", "")}),
		res(dom.BySection, []dom.Cell{cell("F", "批发和零售业", "", 400, 0.05, 120, "", "")}),
		res(dom.ByCountySection, cs),
	}
	s := &dom.Survey{ID: 1, Name: "2015年电子商务调查", Year: 2015}
	d := &dom.Design{DesignSpec: dom.DesignSpec{Method: dom.Proportional, Seed: 7}, FrameSize: 1000, SampleSize: 400}

	var buf bytes.Buffer
	if err := writeResultsPDF(&buf, "zh-CN", s, tables, d); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, buf.Bytes())
	flat := strings.Join(strings.Fields(text), "")
	for _, want := range []string{"按县（市、区）×行业门类", "县（市、区）", "行业门类", "12.34*", "不公布（CV>30%）", "不公布（报送少于", "3家）", "测试县149", "一个名称很长"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	// The long name wraps: no line holds it whole, yet all of it is there.
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, long) {
			t.Errorf("the long county name is not wrapped: %q", line)
		}
	}
	if !strings.Contains(flat, "单位甲") {
		t.Errorf("the end of the wrapped name is lost")
	}
	// 153 rows run over several pages: each continued page repeats the title
	// and the header.
	cont := strings.Count(flat, "按县（市、区）×行业门类（续）")
	heads := strings.Count(flat, "标准误")
	if cont < 2 || heads < 4+cont {
		t.Errorf("%d continued pages, %d headers", cont, heads)
	}
	// The suppressed cells show no figures.
	if strings.Contains(flat, "5.00") && strings.Contains(flat, "二七区C5.00") {
		t.Errorf("a suppressed total is printed")
	}

	buf.Reset()
	if err := writeResultsPDF(&buf, "en", s, tables, d); err != nil {
		t.Fatal(err)
	}
	en := strings.Join(strings.Fields(pdfText(t, buf.Bytes())), " ")
	for _, want := range []string{"By county × industry section", "(continued)", "suppressed", "(CV>30%)", "(<3", "12.34 *", "County"} {
		if !strings.Contains(en, want) {
			t.Errorf("the English PDF lacks %q", want)
		}
	}
}
