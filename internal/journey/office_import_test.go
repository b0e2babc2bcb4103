package journey

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/reporting"
)

// TestOfficeImport: the provincial office imports a city's 统计报表
// workbook through the page. The workbook has a sheet per county group
// with a two-row merged header and a value in 万户; one of its counties'
// annual report is approved (locked). The preview already says, for that
// row, that it falls in a locked report, and offers no confirmation;
// after the approver re-opens the report the office checks the file
// again, sees the sheets and the conversion, confirms, and the values are
// stored; nothing ever answers 500.
func TestOfficeImport(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		d, pe := lastEnded(t, s, "COUNTY_ANNUAL")
		locked, err := orgunit.Get(ctx, s.DB, "410103")
		if err != nil {
			t.Fatal(err)
		}
		rep := s.User("rep410103", "二七区填报员", auth.Reporter, "410103")
		appr := s.User("appr4101", "郑州市审核员", auth.Approver, "4101")
		if err := monitor.SaveValues(ctx, s.DB, audit.Actor{UserID: rep.ID, Name: rep.Name}, []monitor.Value{{DataElement: "HOUSEHOLDS_URBAN", OrgUnit: "410103", Period: pe.ID(), Value: "100"}}); err != nil {
			t.Fatal(err)
		}
		if err := reporting.Submit(ctx, s.DB, audit.Actor{UserID: rep.ID, Name: rep.Name}, d, locked, pe); err != nil {
			t.Fatal(err)
		}
		if err := reporting.Decide(ctx, s.DB, audit.Actor{UserID: appr.ID, Name: appr.Name}, d, locked, pe, true, "数据无误"); err != nil {
			t.Fatal(err)
		}
		s.User("ban", "省信息化办公室", auth.Office, "41")

		// The city's workbook: two sheets, merged parents over children.
		f := excelize.NewFile()
		for i, sheet := range []string{"市区", "县市"} {
			if i == 0 {
				f.SetSheetName("Sheet1", sheet)
			} else {
				f.NewSheet(sheet)
			}
			f.SetCellValue(sheet, "A1", "填报单位：郑州市工业和信息化局　　报告期："+pe.Label("zh-CN")+"　　计量单位：户")
			f.SetCellValue(sheet, "A2", "单位名称")
			f.SetCellValue(sheet, "B2", "代码")
			f.SetCellValue(sheet, "C2", "城镇家庭")
			f.SetCellValue(sheet, "C3", "户数（户）")
			f.SetCellValue(sheet, "D3", "宽带用户数（万户）")
			f.MergeCell(sheet, "A2", "A3")
			f.MergeCell(sheet, "B2", "B3")
			f.MergeCell(sheet, "C2", "D2")
			f.SetSheetRow(sheet, "A4", &[]any{"甲", "乙", "1", "2"})
		}
		f.SetSheetRow("市区", "A5", &[]any{"中原区", "410102", "24 876", "2.105"})
		f.SetSheetRow("市区", "A6", &[]any{"二七区", "410103", "30000", "—"})
		f.SetSheetRow("县市", "A5", &[]any{"中牟县", "410122", "50000", "4.5"})
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "郑州市宽带统计.xlsx")
		if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}

		b := browser.NewTab(t, s.URL)
		b.Login("ban", Password)
		b.Follow("监测")
		b.Follow("数据导入")
		b.Fill("文件", file)
		b.Press("检查文件")
		b.WaitText("已审核锁定")
		if !b.Has("市区") || !b.Has("县市") || !b.Has("万户 → 户 ×10000") {
			t.Errorf("preview lacks the sheets or the conversion: %s", b.Text("main"))
		}
		if !b.Has("410103") || b.Has("确认导入") {
			t.Fatalf("the locked row must be named and nothing offered for import: %s", b.Text("main"))
		}

		// The approver re-opens the report; the office checks again.
		if err := reporting.Reopen(ctx, s.DB, audit.Actor{UserID: appr.ID, Name: appr.Name}, d, locked, pe, "补充城镇家庭数据"); err != nil {
			t.Fatal(err)
		}
		b.Follow("数据导入")
		b.Fill("文件", file)
		b.Press("检查文件")
		b.WaitText("确认导入 5 个数值")
		b.Press("确认导入 5 个数值")
		b.WaitText("新增 4，修改 1")
		got := map[string]string{}
		vals, err := monitor.DataValues(ctx, s.DB, monitor.ValueFilter{Elements: []string{"HOUSEHOLDS_URBAN", "BB_URBAN_SUBS"}, OrgUnits: []string{"410102", "410103", "410122"}, Periods: []string{pe.ID()}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			got[v.DataElement+"/"+v.OrgUnit] = v.Value.Value
		}
		want := map[string]string{"HOUSEHOLDS_URBAN/410102": "24876", "BB_URBAN_SUBS/410102": "21050", "HOUSEHOLDS_URBAN/410103": "30000",
			"HOUSEHOLDS_URBAN/410122": "50000", "BB_URBAN_SUBS/410122": "45000"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("stored %v, want %v", got, want)
		}
	})
}
