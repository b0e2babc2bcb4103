package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"zhihui/internal/i18n"

	"github.com/richardlehane/mscfb"
	"github.com/xuri/excelize/v2"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// reportElements are the elements of the 统计报表 fixtures, as the
// catalogue has them, with a monthly yes/no element whose name (without
// its bracket) is also what a report header calls 行政村通宽带.
func reportElements(t testing.TB, db *store.DB) {
	mustElement(t, db, Element{Code: "HOUSEHOLDS_URBAN", Name: "城镇家庭户数", ValueType: Integer, Aggregation: Sum, Unit: "户", PeriodType: "yearly", Min: f64(0)})
	mustElement(t, db, Element{Code: "BB_URBAN_SUBS", Name: "城镇家庭宽带用户数", ValueType: Integer, Aggregation: Sum, Unit: "户", PeriodType: "yearly", Min: f64(0)})
	mustElement(t, db, Element{Code: "ADMIN_VILLAGES", Name: "行政村数", ValueType: Integer, Aggregation: Sum, Unit: "个", PeriodType: "yearly", Min: f64(0)})
	mustElement(t, db, Element{Code: "ADMIN_VILLAGES_BB", Name: "通宽带的行政村数", ValueType: Integer, Aggregation: Sum, Unit: "个", PeriodType: "yearly", Min: f64(0)})
	mustElement(t, db, Element{Code: "VILLAGE_BB", Name: "行政村通宽带（是否）", ValueType: Boolean, Aggregation: Last, Unit: "个", PeriodType: "monthly", Min: f64(0), Max: f64(1)})
	mustElement(t, db, Element{Code: "EC_VOLUME", Name: "电子商务交易额", ValueType: Number, Aggregation: Sum, Unit: "亿元", PeriodType: "yearly", Min: f64(0)})
}

// reportWorkbook is a workbook made the way city offices make theirs: a
// title, a combined 填报单位/报告期/计量单位 line, a two-row merged header
// with units in brackets, the 甲/乙/1/2 row, a totals row, no-data marks,
// a space as thousands separator and full-width digits; a second sheet
// with its own period whose header states 万户; a notes sheet.
func reportWorkbook(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	kf := "开封市"
	f.SetSheetName("Sheet1", kf)
	set := func(sheet, cell string, v any) {
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	merge := func(sheet, a, b string) {
		if err := f.MergeCell(sheet, a, b); err != nil {
			t.Fatal(err)
		}
	}
	set(kf, "A1", "2024年宽带发展情况统计表")
	merge(kf, "A1", "F1")
	set(kf, "A2", "填报单位：开封市工业和信息化局　　报告期：2024年　　计量单位：户、个")
	merge(kf, "A2", "F2")
	set(kf, "A3", "单位名称")
	merge(kf, "A3", "A4")
	set(kf, "B3", "代码")
	merge(kf, "B3", "B4")
	set(kf, "C3", "城镇家庭")
	merge(kf, "C3", "D3")
	set(kf, "E3", "行政村")
	merge(kf, "E3", "F3")
	for c, v := range map[string]string{"C4": "户数（户）", "D4": "宽带用户数（户）", "E4": "总数（个）", "F4": "通宽带（个）"} {
		set(kf, c, v)
	}
	for i, v := range []string{"甲", "乙", "1", "2", "3", "4"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 5)
		set(kf, cell, v)
	}
	for i, v := range []any{"合计", "", 29876, 25050, 10, 9} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 6)
		set(kf, cell, v)
	}
	for i, v := range []any{"龙亭区", "410202", "24 876", "２１０５０", "—", "…"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 7)
		set(kf, cell, v)
	}
	for i, v := range []any{"顺河回族区", "410203", 5000, 4000, 10, 9} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 8)
		set(kf, cell, v)
	}

	ly := "洛阳市"
	if _, err := f.NewSheet(ly); err != nil {
		t.Fatal(err)
	}
	set(ly, "A1", "报告期：2023年度")
	set(ly, "A2", "单位代码")
	set(ly, "B2", "单位名称")
	set(ly, "C2", "城镇家庭户数（万户）")
	set(ly, "A3", "410302")
	set(ly, "B3", "老城区")
	set(ly, "C3", "5.231")
	set(ly, "A4", "410303")
	set(ly, "B4", "西工区")
	set(ly, "C4", "/")

	if _, err := f.NewSheet("填表说明"); err != nil {
		t.Fatal(err)
	}
	set("填表说明", "A1", "本表由各县（市、区）工信部门填报，每年1月底前报送。")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportStatisticalReport: a workbook in the shape offices send
// imports on both stores with exact values — merged two-row headers joined
// to element names, the combined 填报单位/报告期/计量单位 line, the column
// number row and the totals row skipped, no-data marks as missing values,
// space separators and full-width digits read, 万户 converted to 户, every
// sheet with its own period, a notes sheet passed over.
func TestImportStatisticalReport(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		reportElements(t, db)
		im, err := ReadImport(ctx, db, "宽带统计.xlsx", bytes.NewReader(reportWorkbook(t)), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im.ErrorCount != 0 {
			t.Fatalf("errors: %v", im.Errors)
		}
		if im.Values != 7 || im.Missing != 3 || len(im.Sheets) != 3 {
			t.Fatalf("values %d missing %d sheets %d: %+v", im.Values, im.Missing, len(im.Sheets), im.Sheets)
		}
		kf, ly, notes := im.Sheets[0], im.Sheets[1], im.Sheets[2]
		if kf.Name != "开封市" || kf.Period != "2024" || kf.ReportUnit != "开封市工业和信息化局" || kf.HeaderRow != 4 || kf.Rows != 2 || kf.Missing != 2 || kf.Values != 6 {
			t.Errorf("开封市 sheet: %+v", kf)
		}
		if ly.Period != "2023" || ly.Values != 1 || ly.Missing != 1 || len(ly.Conversions) != 1 || !strings.Contains(ly.Conversions[0].Zh, "万户 → 户 ×10000") || !strings.Contains(ly.Conversions[0].En, "万户 → 户 ×10000") {
			t.Errorf("洛阳市 sheet: %+v", ly)
		}
		if notes.Shape != "" || notes.Skipped != (i18n.Text{Zh: "没有找到表头", En: "no header row"}) {
			t.Errorf("notes sheet: %+v", notes)
		}
		if _, err := im.Commit(ctx, db, tester); err != nil {
			t.Fatal(err)
		}
		want := map[[3]string]float64{
			{"HOUSEHOLDS_URBAN", "410202", "2024"}:  24876,
			{"BB_URBAN_SUBS", "410202", "2024"}:     21050,
			{"HOUSEHOLDS_URBAN", "410203", "2024"}:  5000,
			{"BB_URBAN_SUBS", "410203", "2024"}:     4000,
			{"ADMIN_VILLAGES", "410203", "2024"}:    10,
			{"ADMIN_VILLAGES_BB", "410203", "2024"}: 9,
			{"HOUSEHOLDS_URBAN", "410302", "2023"}:  52310,
		}
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM monitor_value").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != len(want) {
			t.Fatalf("%d values stored, want %d", n, len(want))
		}
		for k, v := range want {
			r, err := Analytics(ctx, db, Query{DX: []string{k[0]}, PE: []string{k[2]}, OU: []string{k[1]}})
			if err != nil {
				t.Fatal(err)
			}
			if got, ok := r.Get(k[0], k[2], k[1]); !ok || got != v {
				t.Errorf("%v = %v (%v), want %v", k, got, ok, v)
			}
		}
	})
}

// TestImportReportCSV: the same shape as CSV (parents written once over
// their children), a half-year written 2024年1-6月, a unit line, and
// errors of one cause grouped into one message with their rows.
func TestImportReportCSV(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	ctx := context.Background()
	setup(t, db)
	reportElements(t, db)
	mustElement(t, db, Element{Code: "EC_HALF", Name: "网络零售额", ValueType: Number, Aggregation: Sum, Unit: "万元", PeriodType: "sixmonthly", Min: f64(0)})
	csvText := "填报单位：郑州市商务局　报告期：2024年1-6月　计量单位：亿元\n" +
		"单位名称,代码,网络零售额\n" +
		"甲,乙,1\n" +
		"中原区,410102,1.5\n" +
		"二七区,410103,０.２５\n" +
		"管城回族区,410104,—\n"
	im, err := ReadImport(ctx, db, "零售.csv", strings.NewReader(csvText), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im.ErrorCount != 0 || im.Values != 2 || im.Missing != 1 || im.Period != "2024S1" {
		t.Fatalf("preview %+v errors %v", im.Preview, im.Errors)
	}
	if got := im.Sheets[0].Conversions; len(got) != 1 || !strings.Contains(got[0].Zh, "亿元 → 万元 ×10000") {
		t.Fatalf("conversions %v", got)
	}
	if im.Sample[0].Value != "15000" || im.Sample[1].Value != "2500" {
		t.Fatalf("converted values %+v", im.Sample)
	}

	// No period anywhere, a unit that cannot hold the converted value
	// exactly: each cause is one message with its rows.
	bad := "单位代码,城镇家庭户数（万户）\n410102,1.23456\n410103,2.00001\n410104,3\n"
	im, err = ReadImport(ctx, db, "bad.csv", strings.NewReader(bad), ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if im.ErrorCount < 3 {
		t.Fatalf("errors %d: %v", im.ErrorCount, im.Errors)
	}
	var grouped bool
	for _, e := range im.Errors {
		if strings.Contains(e.Zh, "缺少报告期") && strings.Contains(e.Zh, "第2–4行") && strings.Contains(e.Zh, "共 3 个单元格") && strings.Contains(e.En, "rows 2–4") {
			grouped = true
		}
	}
	if !grouped {
		t.Fatalf("missing periods not grouped: %v", im.Errors)
	}
	im, err = ReadImport(ctx, db, "bad.csv", strings.NewReader(bad), ImportOptions{Period: "2024"})
	if err != nil {
		t.Fatal(err)
	}
	// 1.23456 万户 = 12345.6 households: refused, never rounded
	if im.ErrorCount != 2 || !strings.Contains(im.Errors[0].Error(), "不是整数") {
		t.Fatalf("inexact conversions: %v", im.Errors)
	}
}

// TestImportUnsupportedFormat: a damaged .xls gets a clear error in the
// preview, and other binary formats (.et …) an error naming the format —
// never a CSV guess.
func TestImportUnsupportedFormat(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	setup(t, db)
	ole := append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...)
	for _, name := range []string{"old.xls", "noext"} {
		im, err := ReadImport(context.Background(), db, name, bytes.NewReader(ole), ImportOptions{})
		if err != nil || im.Format != "xls" || im.ErrorCount != 1 || !strings.Contains(im.Errors[0].Zh, "无法读取 .xls 文件") || im.Values != 0 {
			t.Errorf("%s: %v %+v", name, err, im)
		}
	}
	for _, name := range []string{"wps.et", "sheet.ods"} {
		_, err := ReadImport(context.Background(), db, name, bytes.NewReader(ole), ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "另存为") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReportHelpers(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2024年": "2024", "2024年度": "2024", "2024年1-6月": "2024S1", "2024年7-12月": "2024S2",
		"2024年1-3月": "2024Q1", "2024年10-12月": "2024Q4", "2024年1-12月": "2024", "2024年6月": "202406", "2024.06": "202406",
		"2024年第三季度": "2024Q3", "２０２４年": "2024"} {
		if got := normalizeReportPeriod(in); got != want {
			t.Errorf("normalizeReportPeriod(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"24 876": "24876", "１２，３４５．６": "12,345.6", "1 234 567.5": "1234567.5", "12 3": "12 3", "９.５１２": "9.512"} {
		if got := normalizeNumber(in); got != want {
			t.Errorf("normalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
	kv := metaPairs("填报单位：开封市工业和信息化局　　报告期：2024年　　计量单位：户、个")
	if len(kv) != 3 || kv[0][1] != "开封市工业和信息化局" || kv[1][1] != "2024年" || kv[2] != [2]string{"计量单位", "户、个"} {
		t.Errorf("metaPairs = %q", kv)
	}
	if !isColumnNumberRow([]string{"甲", "乙", "1", "2", ""}) || isColumnNumberRow([]string{"中原区", "410102", "1"}) {
		t.Error("isColumnNumberRow")
	}
}

// FuzzReportHeader: the header detector never panics on what a workbook's
// first rows may hold, and reads nothing from a file without a header.
func FuzzReportHeader(f *testing.F) {
	db := storetest.SQLite(f)
	setup(f, db)
	reportElements(f, db)
	for _, s := range []string{
		"单位名称,代码,城镇家庭,\n,,户数（户）,宽带用户数（户）\n甲,乙,1,2\n中原区,410102,1,2\n",
		"填报单位：x　报告期：2024年1-6月　计量单位：万户\n代码,城镇家庭户数\n410102,—\n",
		",,,\n,,\n", "报告期：\n单位代码,行政村,\n,总数（个）\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		im, err := ReadImport(context.Background(), db, "f.csv", strings.NewReader(s), ImportOptions{MaxErrors: 50})
		if err != nil {
			return
		}
		if im.Shape == "" && im.Values != 0 {
			t.Fatalf("values without a header: %+v", im.Preview)
		}
	})
}

// TestImportXLS: the same report saved as an Excel 97–2003 workbook
// (testdata/report.xls, BIFF8 with merged cells, shared strings, numbers
// and three sheets) imports to the same values as the .xlsx.
func TestImportXLS(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		reportElements(t, db)
		b, err := os.ReadFile("testdata/report.xls")
		if err != nil {
			t.Fatal(err)
		}
		im, err := ReadImport(ctx, db, "宽带统计.xls", bytes.NewReader(b), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im.Format != "xls" || im.ErrorCount != 0 || im.Values != 7 || im.Missing != 3 || len(im.Sheets) != 3 {
			t.Fatalf("format %s values %d missing %d errors %v sheets %+v", im.Format, im.Values, im.Missing, im.Errors, im.Sheets)
		}
		if s := im.Sheets[0]; s.Name != "开封市" || s.Period != "2024" || s.HeaderRow != 4 {
			t.Fatalf("first sheet %+v", s)
		}
		if _, err := im.Commit(ctx, db, tester); err != nil {
			t.Fatal(err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"HOUSEHOLDS_URBAN", "ADMIN_VILLAGES_BB"}, PE: []string{"2024", "2023"}, OU: []string{"410202", "410203", "410302"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			dx, pe, ou string
			v          float64
		}{{"HOUSEHOLDS_URBAN", "2024", "410202", 24876}, {"ADMIN_VILLAGES_BB", "2024", "410203", 9}, {"HOUSEHOLDS_URBAN", "2023", "410302", 52310}} {
			if got, ok := r.Get(c.dx, c.pe, c.ou); !ok || got != c.v {
				t.Errorf("%s %s %s = %v, want %v", c.dx, c.pe, c.ou, got, c.v)
			}
		}
	})
}

// FuzzXLS: the .xls reader never panics or runs away on a damaged file.
func FuzzXLS(f *testing.F) {
	for _, name := range []string{"testdata/report.xls", "testdata/office.xls"} {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sheets, err := readXLSBook(bytes.NewReader(b))
		if err != nil {
			return
		}
		for _, s := range sheets {
			if len(s.Rows) > xlsMaxRows {
				t.Fatalf("%d rows", len(s.Rows))
			}
		}
	})
}

// FuzzBIFF: the record parser on its own (past the container), so that
// the fuzzer reaches shared strings, cells and merges quickly.
func FuzzBIFF(f *testing.F) {
	if b, err := os.ReadFile("testdata/report.xls"); err == nil {
		doc, err := mscfb.New(bytes.NewReader(b))
		if err != nil {
			f.Fatal(err)
		}
		for e, err := doc.Next(); err == nil; e, err = doc.Next() {
			if e.Name == "Workbook" {
				s, _ := io.ReadAll(e)
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		parseBIFF8(s, 1<<16) // a small grid keeps each run quick
	})
}

// TestTemplateRoundTrip: the blank template is itself a 统计报表 (grouped
// merged headers with units, column-number row), and a filled copy imports
// back with no mapping.
func TestTemplateRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		reportElements(t, db)
		var buf bytes.Buffer
		els := []string{"HOUSEHOLDS_URBAN", "BB_URBAN_SUBS", "ADMIN_VILLAGES", "ADMIN_VILLAGES_BB"}
		if err := WriteTemplate(ctx, db, &buf, TemplateOptions{Root: "4102", Elements: els, Period: "2024"}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("报表")
		if rows[2][2] != "城镇家庭" || rows[3][2] != "户数（户）" || rows[3][3] != "宽带用户数（户）" || rows[2][4] != "行政村数（个）" || rows[4][5] != "4" {
			t.Fatalf("header rows: %q", rows[2:5])
		}
		merged, _ := f.GetMergeCells("报表")
		var group bool
		for _, m := range merged {
			if m.GetStartAxis() == "C3" && m.GetEndAxis() == "D3" {
				group = true
			}
		}
		if !group {
			t.Fatal("城镇家庭 is not merged over its two columns")
		}
		want := map[string]float64{}
		for i := 6; i <= len(rows); i++ {
			code, _ := f.GetCellValue("报表", "B"+strconv.Itoa(i))
			for j, el := range els {
				v := 100*i + j
				cell, _ := excelize.CoordinatesToCellName(3+j, i)
				f.SetCellValue("报表", cell, v)
				want[el+"/"+code] = float64(v)
			}
		}
		var out bytes.Buffer
		if err := f.Write(&out); err != nil {
			t.Fatal(err)
		}
		im, err := ReadImport(ctx, db, "开封.xlsx", bytes.NewReader(out.Bytes()), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im.ErrorCount != 0 || im.Values != len(want) || im.Period != "2024" {
			t.Fatalf("re-import: values %d of %d, period %s, errors %v, sheets %+v", im.Values, len(want), im.Period, im.Errors, im.Sheets)
		}
		if _, err := im.Commit(ctx, db, tester); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			el, code, _ := strings.Cut(k, "/")
			r, err := Analytics(ctx, db, Query{DX: []string{el}, PE: []string{"2024"}, OU: []string{code}})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := r.Get(el, "2024", code); got != v {
				t.Fatalf("%s = %v, want %v", k, got, v)
			}
		}
	})
}

// TestImportColumnMapping: a column whose header names no element is
// listed as unmatched; once mapped (per template) the next import of the
// same template reads it into that element, and a column mapped to
// Ignore is no longer listed.
func TestImportColumnMapping(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		importElements(t, db)
		file := "报告期：2015年\n单位代码,电子商务交易额（亿元）,益农信息社（个）,序号\n410102,1.5,7,1\n410103,2,8,2\n"
		read := func() *Import {
			im, err := ReadImport(ctx, db, "县报表.csv", strings.NewReader(file), ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if im.ErrorCount != 0 {
				t.Fatalf("errors: %v", im.Errors)
			}
			return im
		}
		im := read()
		sh := im.Sheets[0]
		if im.Values != 2 || len(sh.Unmatched) != 2 || sh.Unmatched[0] != (Unmatched{"C", "益农信息社（个）"}) || sh.Template == "" {
			t.Fatalf("before mapping: values %d, sheet %+v", im.Values, sh)
		}
		err := SaveMappings(ctx, db, tester, []Mapping{{sh.Template, "益农信息社（个）", "STATIONS"}, {sh.Template, "序号", Ignore}})
		if err != nil {
			t.Fatal(err)
		}
		if err := SaveMappings(ctx, db, tester, []Mapping{{sh.Template, "x", "NO_SUCH"}}); err == nil {
			t.Fatal("a mapping to an unknown element was saved")
		}
		im = read()
		if im.Values != 4 || len(im.Sheets[0].Unmatched) != 0 {
			t.Fatalf("after mapping: values %d, sheet %+v", im.Values, im.Sheets[0])
		}
		if _, err := im.Commit(ctx, db, tester); err != nil {
			t.Fatal(err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"STATIONS"}, PE: []string{"2015"}, OU: []string{"4101"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Get("STATIONS", "2015", "4101"); v != 15 {
			t.Fatalf("STATIONS 4101 = %v, want 15", v)
		}
		// Another template with the same column text is not affected.
		other := "报告期：2015年\n单位名称,电子商务交易额（亿元）,益农信息社（个）\n中原区,1,3\n"
		im2, err := ReadImport(ctx, db, "另一表.csv", strings.NewReader(other), ImportOptions{})
		if err != nil || len(im2.Sheets[0].Unmatched) != 1 {
			t.Fatalf("other template: %v %+v", err, im2.Sheets[0])
		}
	})
}

// TestSheetInfoReadsEarlierPreviews: a preview stored by an earlier
// release held its conversions and reason for skipping as one
// "中文 / English" string each; confirmed after the upgrade, it reads
// back in both languages.
func TestSheetInfoReadsEarlierPreviews(t *testing.T) {
	var sh []SheetInfo
	old := `[{"name": "说明", "rows": 0, "values": 0, "missing": 0, "skipped": "没有找到表头 / no header row"},
		{"name": "表1", "rows": 3, "values": 6, "missing": 0, "conversions": ["G 互联网普及率：百分比格式 / percent format 0.9512 → 95.12%", "D 城镇家庭户数：万户 → 户 ×10000"]}]`
	if err := json.Unmarshal([]byte(old), &sh); err != nil {
		t.Fatal(err)
	}
	if sh[0].Skipped != (i18n.Text{Zh: "没有找到表头", En: "no header row"}) {
		t.Errorf("skipped %+v", sh[0].Skipped)
	}
	want := []i18n.Text{
		{Zh: "G 互联网普及率：百分比格式", En: "percent format 0.9512 → 95.12%"},
		{Zh: "D 城镇家庭户数：万户 → 户 ×10000", En: "D 城镇家庭户数：万户 → 户 ×10000"},
	}
	if len(sh[1].Conversions) != 2 || sh[1].Conversions[0] != want[0] || sh[1].Conversions[1] != want[1] || sh[1].Values != 6 {
		t.Errorf("sheet %+v", sh[1])
	}
	b, err := json.Marshal(sh)
	if err != nil {
		t.Fatal(err)
	}
	var back []SheetInfo
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back[0].Skipped != sh[0].Skipped || back[1].Conversions[1] != want[1] {
		t.Errorf("round trip %s → %+v", b, back)
	}
}
