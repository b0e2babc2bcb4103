package monitor

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func importElements(t testing.TB, db *store.DB) {
	mustElement(t, db, Element{Code: "EC_VOLUME", Name: "电子商务交易额", NameEn: "E-commerce volume", ValueType: Number, Aggregation: Sum, Unit: "亿元", PeriodType: "yearly", Min: f64(0)})
	mustElement(t, db, Element{Code: "STATIONS", Name: "信息服务站", ValueType: Integer, Aggregation: Sum, Unit: "个", PeriodType: "yearly", Min: f64(0), Max: f64(1000)})
	mustElement(t, db, Element{Code: "VBB", Name: "村通宽带", ValueType: Boolean, Aggregation: Last, PeriodType: "monthly"})
}

func TestImportLongCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		importElements(t, db)
		csvText := "dataElement,orgUnit,period,value,comment\n" +
			"EC_VOLUME,410102,2015,\"1,234.5\",估算\n" +
			"STATIONS,410102,2015,12,\n" +
			"VBB," + villages(t, db, "410102", 1)[0] + ",201507,是,\n"
		im, err := ReadImport(ctx, db, "values.csv", strings.NewReader(csvText), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im.Shape != Long || im.ErrorCount != 0 || im.Values != 3 || im.Rows != 3 {
			t.Fatalf("preview = %+v", im.Preview)
		}
		var n int
		if err := db.R.QueryRow("SELECT count(*) FROM monitor_value").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatal("reading an import wrote values")
		}
		res, err := im.Commit(ctx, db, tester)
		if err != nil || res.Created != 3 {
			t.Fatalf("commit: %+v %v", res, err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"EC_VOLUME", "VBB"}, PE: []string{"2015"}, OU: []string{"41"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Get("EC_VOLUME", "2015", "41"); v != 1234.5 {
			t.Errorf("EC_VOLUME = %v", v)
		}
		if v, _ := r.Get("VBB", "2015", "41"); v != 1 {
			t.Errorf("VBB = %v", v)
		}
	})
}

func TestImportReportsEveryError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		importElements(t, db)
		csvText := "数据元,单位代码,报告期,数值\n" +
			"EC_VOLUME,410102,2015,10\n" + // ok (row 2)
			"NOPE,410102,2015,1\n" + // unknown element
			"EC_VOLUME,999999,2015,1\n" + // unknown unit
			"EC_VOLUME,410103,201507,1\n" + // wrong period type
			"EC_VOLUME,410104,2015,abc\n" + // not a number
			"STATIONS,410102,2015,5000\n" + // above max
			"EC_VOLUME,410102,2015,11\n" + // duplicate of row 2
			"EC_VOLUME,4102,2015,3\n" // outside scope
		im, err := ReadImport(ctx, db, "bad.csv", strings.NewReader(csvText), ImportOptions{Scopes: []string{"/41/4101/"}})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]string{3: "unknown data element", 4: "unknown org unit code", 5: "reported yearly", 6: "not a number", 7: "above the maximum", 8: "duplicates row 2", 9: "outside your units"}
		if im.ErrorCount != len(want) {
			for _, e := range im.Errors {
				t.Log(e)
			}
			t.Fatalf("%d errors, want %d", im.ErrorCount, len(want))
		}
		for _, e := range im.Errors {
			if !strings.Contains(e.En, want[e.Row]) || e.Zh == "" || e.Col == "" {
				t.Errorf("row %d col %s: %s / %s", e.Row, e.Col, e.Zh, e.En)
			}
		}
		if _, err := im.Commit(ctx, db, tester); err == nil {
			t.Fatal("committed an import with errors")
		}
	})
}

func TestImportWideXLSXWithHeaderLines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		importElements(t, db)
		// A blank template, filled in as a county office would.
		var buf bytes.Buffer
		if err := WriteTemplate(ctx, db, &buf, TemplateOptions{Root: "4101", Elements: []string{"EC_VOLUME", "STATIONS"}, Period: "2015"}); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("报表")
		// 统计报表 shape: title, 填报单位/报告期 line, header (merged over
		// two rows), the 甲/乙/1/2 row, then the units.
		if rows[0][0] != "郑州市2015年信息化统计报表" || !strings.HasPrefix(rows[1][0], "填报单位：郑州市　　报告期：2015年") ||
			rows[2][2] != "电子商务交易额（亿元）" || rows[4][0] != "甲" || rows[4][2] != "1" || rows[5][1] != "410102" {
			t.Fatalf("template rows: %q", rows[:6])
		}
		f.SetCellValue("报表", "C6", 100.5)
		f.SetCellValue("报表", "D6", 7)
		f.SetCellValue("报表", "C7", 50)
		f.SetCellValue("报表", "B8", "")  // a row identified by name only
		f.SetCellValue("报表", "C8", 1)   // 410104 管城回族区 by name
		f.SetCellValue("报表", "D9", "x") // not a number
		var out bytes.Buffer
		f.Write(&out)
		im, err := ReadImport(ctx, db, "郑州.xlsx", bytes.NewReader(out.Bytes()), ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if im.Shape != Wide || im.Period != "2015" || im.ReportUnit != "郑州市" || im.HeaderRow != 4 {
			t.Fatalf("preview = %+v", im.Preview)
		}
		if im.ErrorCount != 1 || im.Errors[0].Row != 9 || im.Errors[0].Col != "D" {
			t.Fatalf("errors = %v", im.Errors)
		}
		// Fix the bad cell and import again.
		f.SetCellValue("报表", "D9", 3)
		out.Reset()
		f.Write(&out)
		im, err = ReadImport(ctx, db, "郑州.xlsx", bytes.NewReader(out.Bytes()), ImportOptions{})
		if err != nil || im.ErrorCount != 0 || im.Values != 5 {
			t.Fatalf("preview = %+v, %v", im.Preview, err)
		}
		if _, err := im.Commit(ctx, db, tester); err != nil {
			t.Fatal(err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"EC_VOLUME", "STATIONS"}, PE: []string{"2015"}, OU: []string{"4101"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Get("EC_VOLUME", "2015", "4101"); v != 151.5 {
			t.Errorf("EC_VOLUME 4101 = %v", v)
		}
		if v, _ := r.Get("STATIONS", "2015", "4101"); v != 10 {
			t.Errorf("STATIONS 4101 = %v", v)
		}
	})
}

func TestImportGBKWideCSVByNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		importElements(t, db)
		text := "填报单位：郑州市,\n报告期：2016年,\n单位名称,电子商务交易额（亿元）,信息服务站\n中原区,1.5,2\n二七区,2.5,\n合计,4,2\n"
		gbk, err := simplifiedchinese.GB18030.NewEncoder().String(text)
		if err != nil {
			t.Fatal(err)
		}
		im, err := ReadImport(ctx, db, "report.csv", strings.NewReader(gbk), ImportOptions{Scopes: []string{"/41/4101/"}})
		if err != nil {
			t.Fatal(err)
		}
		if im.ErrorCount != 0 || im.Values != 3 || im.Period != "2016" {
			t.Fatalf("preview = %+v errors %v", im.Preview, im.Errors)
		}
		if im.Sample[0].OrgUnit != "410102" {
			t.Fatalf("sample = %+v", im.Sample)
		}
	})
}

func TestExportRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		importElements(t, db)
		var vals []Value
		for i, c := range []string{"410102", "410103", "410104"} {
			vals = append(vals, Value{DataElement: "EC_VOLUME", OrgUnit: c, Period: "2015", Value: fmt.Sprint(i + 1), Comment: "备注"})
		}
		if err := SaveValues(ctx, db, tester, vals); err != nil {
			t.Fatal(err)
		}
		stored, err := DataValues(ctx, db, ValueFilter{OrgUnits: []string{"4101"}, Children: true})
		if err != nil || len(stored) != 3 {
			t.Fatalf("values: %v %v", stored, err)
		}
		for _, format := range []string{CSV, XLSX} {
			var buf bytes.Buffer
			if err := WriteValues(&buf, stored, format); err != nil {
				t.Fatal(err)
			}
			im, err := ReadImport(ctx, db, "export."+format, &buf, ImportOptions{})
			if err != nil || im.ErrorCount != 0 || im.Values != 3 {
				t.Fatalf("%s: re-import preview %+v %v", format, im.Preview, err)
			}
			res, err := im.Commit(ctx, db, tester)
			if err != nil || res.Unchanged != 3 {
				t.Fatalf("%s: re-import %+v %v", format, res, err)
			}
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"EC_VOLUME"}, PE: []string{"2015"}, OU: []string{"4101", "CHILDREN"}})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteAnalytics(&buf, r, CSV, "zh-CN"); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "EC_VOLUME,电子商务交易额,2015,2015年,410103,二七区,2,亿元") {
			t.Fatalf("analytics csv:\n%s", buf.String())
		}
	})
}

func FuzzImportCSV(f *testing.F) {
	db := storetest.SQLite(f)
	setup(f, db)
	importElements(f, db)
	f.Add([]byte("dataElement,orgUnit,period,value\nEC_VOLUME,410102,2015,1\n"))
	f.Add([]byte("报告期：2015\n单位代码,电子商务交易额\n410102,3\n"))
	f.Add([]byte("\xef\xbb\xbfa,\"b\nc\",d\n"))
	f.Add([]byte{0xb5, 0xa5, 0xce, 0xbb, ',', '\n'})
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := ReadImport(context.Background(), db, "f.csv", bytes.NewReader(data), ImportOptions{MaxErrors: 10})
		if err != nil {
			t.Fatal(err)
		}
		if im.ErrorCount < len(im.Errors) || im.Values != len(im.b.rows) {
			t.Fatalf("inconsistent preview %+v", im.Preview)
		}
		for _, e := range im.Errors {
			if e.Zh == "" || e.En == "" {
				t.Fatalf("error without both languages: %v", e)
			}
		}
	})
}

func FuzzImportXLSX(f *testing.F) {
	db := storetest.SQLite(f)
	setup(f, db)
	importElements(f, db)
	for _, rows := range [][][]any{
		{{"dataElement", "orgUnit", "period", "value"}, {"EC_VOLUME", "410102", "2015", 1.5}},
		{{"报告期：2015"}, {"单位代码", "单位名称", "信息服务站"}, {"410102", "中原区", 4}},
	} {
		x := excelize.NewFile()
		for i, r := range rows {
			ref, _ := excelize.CoordinatesToCellName(1, i+1)
			x.SetSheetRow("Sheet1", ref, &r)
		}
		var buf bytes.Buffer
		x.Write(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		im, err := ReadImport(context.Background(), db, "f.xlsx", bytes.NewReader(data), ImportOptions{MaxErrors: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range im.Errors {
			if e.Zh == "" || e.En == "" {
				t.Fatalf("error without both languages: %v", e)
			}
		}
	})
}
