package journey

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
)

// TestLeaderOnPhone: a provincial leader on a 390×844 phone opens the
// dashboard from the home page, reads a target card, picks an indicator
// and a year, drills down to a city from the ranking, exports the city's
// ranking (the file holds exactly the counties, the indicator and the year
// on screen, with their values), then drills down to a county and reads
// its target card. No page scrolls sideways.
func TestLeaderOnPhone(t *testing.T) {
	t.Parallel()
	want := map[string]float64{}
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
				v := float64(100 + 10*i)
				if city == "4101" {
					want[u.Code] = v
				}
				vals = append(vals, monitor.Value{DataElement: "ADMIN_VILLAGES", OrgUnit: u.Code, Period: "2020", Value: fmt.Sprint(v)})
			}
		}
		return monitor.SaveValues(ctx, s.DB, audit.System, vals)
	}
	Each(t, Options{Seed: seed}, func(t *testing.T, s *Site) {
		s.User("lingdao", "省领导", auth.Leader, "41")
		target := plan.Default().Targets()[0]
		b := browser.NewTab(t, s.URL)
		b.Size(390, 844)
		b.Login("lingdao", Password)
		b.Click("菜单") // the phone's menu button opens the navigation
		// once the drawer has slid fully in
		b.WaitFor("the menu to open", `document.getElementById("sidenav").getBoundingClientRect().left >= 0`)
		b.Follow("仪表盘")
		b.WaitText("目标进展")
		if !b.Has(target.NameZh) {
			t.Fatalf("no card for %s: %s", target.NameZh, b.Text("main"))
		}
		b.Fill("指标", "行政村数")
		b.Fill("年份", "2020")
		b.Press("查看")
		b.WaitText("行政村数 · 2020")
		b.Follow("郑州市")
		b.WaitText("仪表盘 · 郑州市")
		if b.ScrollsSideways() {
			t.Error("the city dashboard scrolls sideways on a phone")
		}
		data, ctype := b.Download("XLSX", "行政村数 · 2020")
		if ctype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("ranking export type %q", ctype)
		}
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, r := range rows[1:] {
			if len(r) < 7 {
				t.Fatalf("short row %q", r)
			}
			if r[0] != "ADMIN_VILLAGES" || r[2] != "2020" {
				t.Errorf("the export holds %s %s, not what is on screen", r[0], r[2])
			}
			got[r[4]] = r[6]
		}
		if len(got) != len(want) {
			t.Errorf("the export lists %d units, the city has %d counties", len(got), len(want))
		}
		for code, v := range want {
			if got[code] != fmt.Sprint(v) {
				t.Errorf("%s: exported %q, want %v", code, got[code], v)
			}
		}
		b.Follow("中原区")
		b.WaitText("仪表盘 · 中原区")
		if !b.Has(target.NameZh) || b.ScrollsSideways() {
			t.Errorf("county dashboard: card missing or scrolls sideways: %s", b.Text("main"))
		}
		b.Screenshots()
	})
}
