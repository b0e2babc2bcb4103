package monitor

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// updateXLS rewrites testdata/office.xls from officeWorkbook with
// LibreOffice (soffice --headless --convert-to xls), so that the .xls
// fixture is what a real spreadsheet program writes:
//
//	go test ./internal/monitor -run TestImportOfficeXLS -update-xls
var updateXLS = flag.Bool("update-xls", false, "rewrite testdata/office.xls with LibreOffice")

// officeElements adds to reportElements a percent element and one kept in
// 万元, as the office workbook's columns name them.
func officeElements(t testing.TB, db *store.DB) {
	reportElements(t, db)
	mustElement(t, db, Element{Code: "NET_RATE", Name: "互联网普及率", ValueType: Percent, Aggregation: None, Unit: "%", PeriodType: "yearly", Min: f64(0), Max: f64(100)})
	mustElement(t, db, Element{Code: "IT_INVEST", Name: "信息化投资额", ValueType: Number, Aggregation: Sum, Unit: "万元", PeriodType: "yearly", Min: f64(0)})
}

// officeWorkbook is the report workbook as offices keep it in a
// spreadsheet program: numbers typed as numbers with display formats
// (percentages as 95.12%, 万户 with two decimals shown while more are kept,
// thousands separators), a formula whose result is a figure, one sheet per
// city, and a long notes sheet (whose text makes the shared strings run
// over several records).
func officeWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	set := func(sheet, cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	formula := func(sheet, cell, fx string) {
		t.Helper()
		if err := f.SetCellFormula(sheet, cell, fx); err != nil {
			t.Fatal(err)
		}
	}
	merge := func(sheet, a, b string) {
		t.Helper()
		if err := f.MergeCell(sheet, a, b); err != nil {
			t.Fatal(err)
		}
	}
	style := func(sheet, a, b, format string) {
		t.Helper()
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &format})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle(sheet, a, b, id); err != nil {
			t.Fatal(err)
		}
	}
	row := func(sheet string, r int, vals ...any) {
		t.Helper()
		for i, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(i+1, r)
			set(sheet, cell, v)
		}
	}

	kf := "开封市"
	f.SetSheetName("Sheet1", kf)
	set(kf, "A1", "2024年宽带发展情况统计表")
	merge(kf, "A1", "H1")
	set(kf, "A2", "填报单位：开封市工业和信息化局　　报告期：2024年　　计量单位：户、个")
	merge(kf, "A2", "H2")
	set(kf, "A3", "单位名称")
	merge(kf, "A3", "A4")
	set(kf, "B3", "代码")
	merge(kf, "B3", "B4")
	set(kf, "C3", "城镇家庭")
	merge(kf, "C3", "D3")
	set(kf, "E3", "行政村")
	merge(kf, "E3", "F3")
	set(kf, "G3", "互联网普及率（%）")
	merge(kf, "G3", "G4")
	set(kf, "H3", "信息化投资额（亿元）")
	merge(kf, "H3", "H4")
	for c, v := range map[string]string{"C4": "户数（户）", "D4": "宽带用户数（户）", "E4": "总数（个）", "F4": "通宽带（个）"} {
		set(kf, c, v)
	}
	row(kf, 5, "甲", "乙", "1", "2", "3", "4", "5", "6")
	set(kf, "A6", "合计")
	for _, c := range []string{"C", "D", "E", "F", "H"} {
		formula(kf, c+"6", "SUM("+c+"7:"+c+"8)")
	}
	row(kf, 7, "龙亭区", "410202", 24876, 21050, "—", "…", 0.9512, 1.25)
	row(kf, 8, "顺河回族区", "410203", 5000, nil, 10, 9, 0.875, "／")
	formula(kf, "D8", "C8-1000")
	style(kf, "C6", "D8", "#,##0")
	style(kf, "G7", "G8", "0.00%")
	style(kf, "H6", "H8", "0.0")

	ly := "洛阳市"
	if _, err := f.NewSheet(ly); err != nil {
		t.Fatal(err)
	}
	set(ly, "A1", "报告期：2023年度")
	row(ly, 2, "单位代码", "单位名称", "城镇家庭户数（万户）")
	row(ly, 3, "410302", "老城区", 5.2314)
	row(ly, 4, "410303", "西工区", "/")
	row(ly, 5, "410304", "瀍河回族区", 12)
	style(ly, "C3", "C5", "0.00")

	notes := "填表说明"
	if _, err := f.NewSheet(notes); err != nil {
		t.Fatal(err)
	}
	for i := range 35 {
		set(notes, fmt.Sprintf("A%d", i+1), strings.Repeat("本表由各县（市、区）工业和信息化主管部门填报，每年1月底前报送；数据以统计部门公布数为准。", 12)+fmt.Sprint(i+1))
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// officeWant is what the office workbook holds, in the elements' units.
var officeWant = map[[3]string]string{
	{"HOUSEHOLDS_URBAN", "410202", "2024"}:  "24876",
	{"BB_URBAN_SUBS", "410202", "2024"}:     "21050",
	{"NET_RATE", "410202", "2024"}:          "95.12",
	{"IT_INVEST", "410202", "2024"}:         "12500",
	{"HOUSEHOLDS_URBAN", "410203", "2024"}:  "5000",
	{"BB_URBAN_SUBS", "410203", "2024"}:     "4000",
	{"ADMIN_VILLAGES", "410203", "2024"}:    "10",
	{"ADMIN_VILLAGES_BB", "410203", "2024"}: "9",
	{"NET_RATE", "410203", "2024"}:          "87.5",
	{"HOUSEHOLDS_URBAN", "410302", "2023"}:  "52314",
	{"HOUSEHOLDS_URBAN", "410304", "2023"}:  "120000",
}

// checkOffice reads an office workbook, commits it and compares every
// stored value with officeWant.
func checkOffice(t *testing.T, db *store.DB, name string, b []byte) {
	t.Helper()
	ctx := context.Background()
	setup(t, db)
	officeElements(t, db)
	im, err := ReadImport(ctx, db, name, bytes.NewReader(b), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im.ErrorCount != 0 {
		t.Fatalf("errors: %v", im.Errors)
	}
	if len(im.Sheets) != 3 || im.Sheets[0].Name != "开封市" || im.Sheets[1].Name != "洛阳市" || im.Sheets[2].Name != "填表说明" {
		t.Fatalf("sheets %+v", im.Sheets)
	}
	if im.Values != len(officeWant) || im.Missing != 4 {
		t.Fatalf("values %d (want %d), missing %d (want 4): %+v", im.Values, len(officeWant), im.Missing, im.Sheets)
	}
	var zh, en []string
	for _, c := range im.Sheets[0].Conversions {
		zh, en = append(zh, c.Zh), append(en, c.En)
	}
	if c := strings.Join(zh, "; "); !strings.Contains(c, "G 互联网普及率：百分比格式 0.9512 → 95.12%") || !strings.Contains(c, "亿元 → 万元 ×10000") ||
		!strings.Contains(strings.Join(en, "; "), "G 互联网普及率: percent format 0.9512 → 95.12%") {
		t.Errorf("conversions of the first sheet: %s", c)
	}
	if _, err := im.Commit(ctx, db, tester); err != nil {
		t.Fatal(err)
	}
	got := map[[3]string]string{}
	vals, err := DataValues(ctx, db, ValueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals {
		got[[3]string{v.DataElement, v.OrgUnit, v.Period}] = v.Value.Value
	}
	for k, want := range officeWant {
		if got[k] != want {
			t.Errorf("%v = %q, want %q", k, got[k], want)
		}
	}
	if len(got) != len(officeWant) {
		t.Errorf("%d values stored, want %d: %v", len(got), len(officeWant), got)
	}
}

// officeFixture reads testdata/office.<ext>. With -update-xls it first
// writes officeWorkbook and has LibreOffice save it as .xlsx (with the
// formulas' results, as a spreadsheet program keeps them) and as .xls.
func officeFixture(t *testing.T, ext string) []byte {
	t.Helper()
	if *updateXLS {
		dir := t.TempDir()
		src := filepath.Join(dir, "src", "office.xlsx")
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(src, officeWorkbook(t), 0o644); err != nil {
			t.Fatal(err)
		}
		filter := map[string]string{"xls": "xls:MS Excel 97", "xlsx": "xlsx:Calc MS Excel 2007 XML"}[ext]
		cmd := exec.Command("soffice", "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
			"--convert-to", filter, "--outdir", dir, src)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("soffice: %v\n%s", err, out)
		}
		b, err := os.ReadFile(filepath.Join(dir, "office."+ext))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/office."+ext, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile("testdata/office." + ext)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestImportOfficeXLSX: the office workbook as a spreadsheet program saves
// it in .xlsx (testdata/office.xlsx) — values as kept, not as displayed:
// 5.2314 万户 shown as 5.23 is 52,314 households, 1.25 亿元 shown as 1.3 is
// 12,500 万元, 95.12% is 95.12 for a percent element, a formula's result
// is read.
func TestImportOfficeXLSX(t *testing.T) {
	t.Parallel()
	b := officeFixture(t, "xlsx")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		checkOffice(t, db, "开封洛阳.xlsx", b)
	})
}

// TestImportOfficeXLS: the same workbook saved as Excel 97–2003
// (testdata/office.xls) imports to the same values.
func TestImportOfficeXLS(t *testing.T) {
	t.Parallel()
	b := officeFixture(t, "xls")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		checkOffice(t, db, "开封洛阳.xls", b)
	})
}

// biff8 writes a BIFF8 workbook stream with one worksheet made of recs.
func biff8(globals [][]byte, recs ...[]byte) []byte {
	rec := func(typ uint16, d []byte) []byte {
		return append(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, typ), uint16(len(d))), d...)
	}
	bof := rec(0x0809, []byte{0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	var g []byte
	g = append(g, bof...)
	g = append(g, bytes.Join(globals, nil)...)
	sheetRec := func(pos uint32) []byte {
		d := binary.LittleEndian.AppendUint32(nil, pos)
		d = append(d, 0, 0, 2, 0, 'S', '1')
		return rec(0x0085, d)
	}
	head := len(g) + len(sheetRec(0)) + 4
	g = append(g, sheetRec(uint32(head))...)
	g = append(g, rec(0x000A, nil)...)
	g = append(g, bof...)
	for _, r := range recs {
		g = append(g, r...)
	}
	return append(g, rec(0x000A, nil)...)
}

func biffRec(typ uint16, d []byte) []byte {
	return append(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, typ), uint16(len(d))), d...)
}

// rkCell is an RK record of the integer v at (row, col) with style xf.
func rkCell(row, col, xf uint16, v int32) []byte {
	d := binary.LittleEndian.AppendUint16(nil, row)
	d = binary.LittleEndian.AppendUint16(d, col)
	d = binary.LittleEndian.AppendUint16(d, xf)
	d = binary.LittleEndian.AppendUint32(d, uint32(v)<<2|2)
	return biffRec(0x027E, d)
}

// TestXLSBounds: cells far to the right on many rows cannot make the
// reader allocate a grid beyond its budget; a password-protected workbook
// is refused by name; a style with a percent format marks its numbers.
func TestXLSBounds(t *testing.T) {
	t.Parallel()
	var recs [][]byte
	for r := range 500 {
		recs = append(recs, rkCell(uint16(r), 16000, 0, 1))
	}
	if _, err := parseAll(biff8(nil, recs...)); err != nil {
		t.Fatalf("500 rows × 16001 columns is within the budget: %v", err)
	}
	recs = recs[:0]
	for r := range 1000 {
		recs = append(recs, rkCell(uint16(r), 16383, 0, 1))
	}
	for r := range 60000 {
		recs = append(recs, rkCell(uint16(r), 200, 0, 1))
	}
	if _, err := parseAll(biff8(nil, recs...)); err == nil || !strings.Contains(err.Error(), "too many cells") {
		t.Fatalf("a grid of 16 million cells: %v", err)
	}
	if _, err := parseAll(biff8([][]byte{biffRec(0x002F, make([]byte, 54))})); err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("password: %v", err)
	}
	// XF 0 general, XF 1 built-in 0.00%, XF 2 a custom format with %.
	xf := func(ifmt uint16) []byte {
		return biffRec(0x00E0, append([]byte{0, 0}, binary.LittleEndian.AppendUint16(make([]byte, 0, 20), ifmt)...))
	}
	custom := biffRec(0x041E, append([]byte{0xA4, 0x00, 4, 0, 0}, "0.0%"...))
	sh, err := parseAll(biff8([][]byte{custom, xf(0), xf(10), xf(0xA4)}, rkCell(0, 0, 0, 5), rkCell(0, 1, 1, 1), rkCell(0, 2, 2, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if p := sh[0].Percent; len(p) != 2 || !p[[2]int{0, 1}] || !p[[2]int{0, 2}] || p[[2]int{0, 0}] {
		t.Fatalf("percent cells %v", p)
	}
	boolerr := func(col uint16, v, isErr byte) []byte {
		return biffRec(0x0205, []byte{0, 0, byte(col), 0, 0, 0, v, isErr})
	}
	sh, err = parseAll(biff8(nil, boolerr(0, 1, 0), boolerr(1, 0, 0), boolerr(2, 0x2A, 1)))
	if err != nil || len(sh[0].Rows) != 1 || strings.Join(sh[0].Rows[0], ",") != "TRUE,FALSE" {
		t.Fatalf("yes/no cells: %v %+v", err, sh)
	}
	if got := numText(0.1 + 0.2); got != "0.3" {
		t.Fatalf("numText(0.1+0.2) = %s", got)
	}
}

func parseAll(s []byte) ([]xlsSheet, error) { return parseBIFF8(s, xlsMaxCells) }
