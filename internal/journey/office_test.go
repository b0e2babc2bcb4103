package journey

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/reporting"
)

// TestOfficeIndicatorAndExport: the provincial office renames the
// indicator 行政村通宽带比例 and gives it two decimals on its page (监测 →
// 指标), then on the dashboard chooses it under its new name with the
// year 2019, goes to 郑州市 from the ranking and exports the ranking as
// CSV and as XLSX. Both files hold exactly the indicator (code, new name
// and unit), the year and 郑州市's counties with their values — not
// 开封市's, not 2020's.
func TestOfficeIndicatorAndExport(t *testing.T) {
	t.Parallel()
	want := map[string]float64{} // 郑州市's counties in 2019
	seed := func(ctx context.Context, s *Site) error {
		var vals []monitor.Value
		for _, city := range []string{"4101", "4102"} {
			c, err := orgunit.Get(ctx, s.DB, city)
			if err != nil {
				return err
			}
			counties, err := orgunit.Descendants(ctx, s.DB, c.Path, 3, 50)
			if err != nil {
				return err
			}
			for i, u := range counties {
				for _, year := range []int{2019, 2020} {
					villages, bb := 100+i, 40+3*i+year-2019
					if city == "4101" && year == 2019 {
						want[u.Code] = float64(bb) / float64(villages) * 100
					}
					vals = append(vals,
						monitor.Value{DataElement: "ADMIN_VILLAGES", OrgUnit: u.Code, Period: strconv.Itoa(year), Value: strconv.Itoa(villages)},
						monitor.Value{DataElement: "ADMIN_VILLAGES_BB", OrgUnit: u.Code, Period: strconv.Itoa(year), Value: strconv.Itoa(bb)})
				}
			}
		}
		return monitor.SaveValues(ctx, s.DB, audit.System, vals)
	}
	Each(t, Options{Seed: seed}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		const name = "行政村宽带通达率"
		b := browser.NewTab(t, s.URL)
		b.Login("ban", Password)

		// Edit the indicator.
		b.Follow("监测")
		b.Follow("指标")
		b.Follow("BB_VILLAGE_RATE")
		b.Fill("中文名称", name)
		b.Fill("小数位", "2")
		b.Press("保存")
		b.WaitText(name)
		ind, err := monitor.GetIndicator(ctx, s.DB, "BB_VILLAGE_RATE")
		if err != nil {
			t.Fatal(err)
		}
		if ind.Name != name || ind.Decimals != 2 || ind.Formula != "#{ADMIN_VILLAGES_BB} / #{ADMIN_VILLAGES} * 100" {
			t.Fatalf("stored indicator: %+v", ind)
		}

		// The dashboard offers it under its new name.
		b.Follow("仪表盘")
		b.Fill("指标", name)
		b.Fill("年份", "2019")
		b.Press("查看")
		b.WaitText(name + " · 2019")
		b.Follow("郑州市")
		b.WaitText("仪表盘 · 郑州市")
		b.WaitText(name + " · 2019")

		check := func(format string, rows [][]string) {
			t.Helper()
			if len(rows) < 1 || len(rows[0]) < 8 || rows[0][0] != "dx" {
				t.Fatalf("%s: no header: %v", format, rows)
			}
			got := map[string]bool{}
			for _, r := range rows[1:] {
				if len(r) < 8 {
					t.Fatalf("%s: short row %q", format, r)
				}
				if r[0] != "BB_VILLAGE_RATE" || r[1] != name || r[2] != "2019" || r[7] != "%" {
					t.Errorf("%s: row %q is not %s (%s, %%) for 2019", format, r, name, "BB_VILLAGE_RATE")
				}
				w, ok := want[r[4]]
				if !ok {
					t.Errorf("%s: %s %s is not a county of 郑州市", format, r[4], r[5])
					continue
				}
				v, err := strconv.ParseFloat(r[6], 64)
				if err != nil || math.Abs(v-w) > 0.006 {
					t.Errorf("%s: %s = %q, want %.2f", format, r[4], r[6], w)
				}
				got[r[4]] = true
			}
			if len(got) != len(want) || len(rows)-1 != len(want) {
				t.Errorf("%s: %d rows for %d counties, want one row for each of %d", format, len(rows)-1, len(got), len(want))
			}
		}
		data, ctype := b.Download("CSV", name+" · 2019")
		if ctype != "text/csv; charset=utf-8" {
			t.Errorf("CSV type %q", ctype)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		check("CSV", rows)
		data, ctype = b.Download("XLSX", name+" · 2019")
		if ctype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Errorf("XLSX type %q", ctype)
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, err = f.GetRows(f.GetSheetName(0))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		check("XLSX", rows)
		b.Screenshots()
	})
}

// TestOfficeImportLockedMeanwhile: the office checks a CSV file of three
// counties' urban households; the preview offers the import, but before
// it is confirmed an approver approves one county's annual report. The
// confirmation then says, for that row, that it falls in an approved
// (locked) report, and stores nothing (all or nothing, no server error);
// checking the file again says so in the preview already.
func TestOfficeImportLockedMeanwhile(t *testing.T) {
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
		if err := reporting.Submit(ctx, s.DB, audit.Actor{UserID: rep.ID, Name: rep.Name}, d, locked, pe); err != nil {
			t.Fatal(err)
		}
		s.User("ban", "省信息化办公室", auth.Office, "41")
		file := filepath.Join(t.TempDir(), "城镇家庭户数.csv")
		csvText := "dataElement,orgUnit,period,value\n" +
			fmt.Sprintf("HOUSEHOLDS_URBAN,410102,%s,1000\n", pe.ID()) +
			fmt.Sprintf("HOUSEHOLDS_URBAN,410103,%s,2000\n", pe.ID()) +
			fmt.Sprintf("HOUSEHOLDS_URBAN,410104,%s,3000\n", pe.ID())
		if err := os.WriteFile(file, []byte(csvText), 0o644); err != nil {
			t.Fatal(err)
		}

		b := browser.NewTab(t, s.URL)
		b.Login("ban", Password)
		b.Follow("监测")
		b.Follow("数据导入")
		b.Fill("文件", file)
		b.Press("检查文件")
		b.WaitText("确认导入 3 个数值")

		// Approved meanwhile.
		if err := reporting.Decide(ctx, s.DB, audit.Actor{UserID: appr.ID, Name: appr.Name}, d, locked, pe, true, "数据无误"); err != nil {
			t.Fatal(err)
		}
		b.Press("确认导入 3 个数值")
		b.WaitText("已审核锁定")
		if !b.Has("410103") || b.Has("确认导入") {
			t.Errorf("the confirmation should name the locked row and offer nothing: %s", b.Text("main"))
		}
		vals, err := monitor.DataValues(ctx, s.DB, monitor.ValueFilter{Elements: []string{"HOUSEHOLDS_URBAN"}, OrgUnits: []string{"410102", "410103", "410104"}, Periods: []string{pe.ID()}})
		if err != nil {
			t.Fatal(err)
		}
		if len(vals) != 0 {
			t.Fatalf("a refused import stored %d values: %+v", len(vals), vals)
		}

		// Checking the same file again: the preview says it per row.
		b.Follow("数据导入")
		b.Fill("文件", file)
		b.Press("检查文件")
		b.WaitText("已审核锁定")
		if !b.Has("410103") || b.Has("确认导入") || b.Has("410102 在") {
			t.Errorf("the preview should name only the locked row and offer nothing: %s", b.Text("main"))
		}
		b.Screenshots()
	})
}
