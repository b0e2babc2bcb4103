package monitor

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/orgunit"
	"zhihui/internal/store/storetest"
)

// BenchmarkReadReport reads (without writing) a workbook of 18 sheets, one
// per city, each with the 181 counties and 40 element columns: "report" in
// the 统计报表 shape offices send (title, combined 填报单位/报告期/计量单位
// line, two-row merged header joining 20 parents to their children, units
// in brackets, the 甲/乙/1/2 row, space separators), "plain" with a
// single header row naming each element in full — the path that existed
// before, as the baseline in the same run.
func BenchmarkReadReport(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	setup(b, db)
	for g := range 20 {
		for _, c := range []string{"总数", "新增数"} {
			mustElement(b, db, Element{Code: fmt.Sprintf("RB_%02d_%s", g, map[string]string{"总数": "T", "新增数": "N"}[c]),
				Name: fmt.Sprintf("第%02d类设施%s", g, c), ValueType: Integer, Aggregation: Sum, Unit: "个", PeriodType: "yearly", Min: f64(0)})
		}
	}
	counties, err := orgunit.Descendants(ctx, db, "/41/", 3, 200)
	if err != nil {
		b.Fatal(err)
	}
	build := func(report bool) []byte {
		f := excelize.NewFile()
		defer f.Close()
		for s := range 18 {
			name := fmt.Sprintf("城市%02d", s+1)
			if s == 0 {
				f.SetSheetName("Sheet1", name)
			} else {
				f.NewSheet(name)
			}
			row := 1
			if report {
				f.SetCellValue(name, "A1", name+"2024年设施统计表")
				f.SetCellValue(name, "A2", "填报单位："+name+"工信局　　报告期：2024年　　计量单位：个")
				f.SetCellValue(name, "A3", "单位名称")
				f.SetCellValue(name, "B3", "代码")
				f.MergeCell(name, "A3", "A4")
				f.MergeCell(name, "B3", "B4")
				for g := range 20 {
					c1, _ := excelize.CoordinatesToCellName(3+2*g, 3)
					c2, _ := excelize.CoordinatesToCellName(4+2*g, 3)
					f.SetCellValue(name, c1, fmt.Sprintf("第%02d类设施", g))
					f.MergeCell(name, c1, c2)
					k1, _ := excelize.CoordinatesToCellName(3+2*g, 4)
					k2, _ := excelize.CoordinatesToCellName(4+2*g, 4)
					f.SetCellValue(name, k1, "总数（个）")
					f.SetCellValue(name, k2, "新增数（个）")
				}
				nums := []any{"甲", "乙"}
				for i := range 40 {
					nums = append(nums, fmt.Sprint(i+1))
				}
				f.SetSheetRow(name, "A5", &nums)
				row = 6
			} else {
				f.SetCellValue(name, "A1", "报告期：2024")
				head := []any{"单位名称", "单位代码"}
				for g := range 20 {
					head = append(head, fmt.Sprintf("第%02d类设施总数", g), fmt.Sprintf("第%02d类设施新增数", g))
				}
				f.SetSheetRow(name, "A2", &head)
				row = 3
			}
			for i, u := range counties {
				if i%18 != s {
					continue // each county once, on its city's sheet
				}
				vals := []any{u.Name, u.Code}
				for k := range 40 {
					v := fmt.Sprint(1000 + 37*k + i)
					if report && k%5 == 0 {
						v = v[:1] + " " + v[1:]
					}
					vals = append(vals, v)
				}
				cell, _ := excelize.CoordinatesToCellName(1, row)
				f.SetSheetRow(name, cell, &vals)
				row++
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			b.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, c := range []struct {
		name   string
		report bool
	}{{"plain", false}, {"report", true}} {
		file := build(c.report)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				im, err := ReadImport(ctx, db, "cities.xlsx", bytes.NewReader(file), ImportOptions{})
				if err != nil || im.ErrorCount != 0 || im.Values != len(counties)*40 {
					b.Fatalf("values %d errors %v %v", im.Values, im.Errors, err)
				}
			}
			b.ReportMetric(float64(len(counties)*40), "values/op")
		})
	}
}
