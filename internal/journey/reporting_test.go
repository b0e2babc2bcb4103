package journey

import (
	"context"
	"testing"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
)

// firstVillage is the first administrative village under the county.
func firstVillages(t *testing.T, s *Site, county string, n int) []orgunit.Unit {
	t.Helper()
	c, err := orgunit.Get(context.Background(), s.DB, county)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := orgunit.Descendants(context.Background(), s.DB, c.Path, 5, n)
	if err != nil || len(vs) < n {
		t.Fatalf("%d villages under %s: %v", len(vs), county, err)
	}
	return vs
}

// lastEnded is the last ended period of the data set's type: the one due
// now.
func lastEnded(t *testing.T, s *Site, ds string) (reporting.DataSet, period.Period) {
	t.Helper()
	d, err := reporting.GetDataSet(context.Background(), s.DB, ds)
	if err != nil {
		t.Fatal(err)
	}
	return d, period.Of(d.PType(), time.Now()).Add(-1)
}

// stored returns the stored values of a unit's report, by element.
func stored(t *testing.T, s *Site, d reporting.DataSet, ou string, p period.Period) map[string]string {
	t.Helper()
	vals, err := monitor.DataValues(context.Background(), s.DB, monitor.ValueFilter{Elements: d.Elements, OrgUnits: []string{ou}, Periods: []string{p.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, v := range vals {
		out[v.DataElement] = v.Value.Value
	}
	return out
}

func state(t *testing.T, s *Site, d reporting.DataSet, u orgunit.Unit, p period.Period) reporting.Approval {
	t.Helper()
	a, err := reporting.GetApproval(context.Background(), s.DB, d.Code, u, p.ID())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestReporterVillage: a village reporter finds this period's monthly
// report on the home page, opens it, answers the yes/no item by choosing,
// types a number below an item's minimum and sees the warning beside it,
// corrects it, enters more subscribers than ports and sees the rule
// warning after saving the draft, then submits and sees the submitted
// state, on the form and back on the home page.
func TestReporterVillage(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		v := firstVillages(t, s, "410102", 1)[0]
		d, pe := lastEnded(t, s, "VILLAGE_MONTHLY")
		s.User("cun", "村填报员", auth.Reporter, v.Code)
		b := browser.NewTab(t, s.URL)
		b.Login("cun", Password)

		// Home: what is due, this period's report among it.
		b.WaitText("本期应报与逾期报表")
		row := d.Name + " " + v.Name + " " + pe.ID()
		if !b.Has(row) {
			t.Fatalf("home page lacks %q: %s", row, b.Text("#due"))
		}
		if !b.Has("已逾期") {
			t.Errorf("earlier months are not marked overdue: %s", b.Text("#due"))
		}
		b.Follow("填报", pe.ID())
		b.WaitText(d.Name)
		if !b.Has("未填报") {
			t.Fatalf("a fresh report is not 未填报: %.300s", b.Text("main"))
		}

		// Yes/no by choosing; an out-of-range number is flagged as typed.
		b.Fill("行政村通宽带（是否）", "是")
		b.Fill("村信息服务站（是否建成）", "否")
		b.Fill("村家庭宽带平均接入速率", "-5")
		b.WaitText("-5 小于下限 0")
		b.Fill("村家庭宽带平均接入速率", "52.5")
		b.Fill("村宽带端口数", "100")
		b.Fill("村宽带用户数", "120")
		b.Press("保存草稿")
		b.WaitText("草稿")
		b.WaitText("村宽带用户数大于端口数")
		if got := stored(t, s, d, v.Code, pe); got["VILLAGE_BB"] != "1" || got["VILLAGE_INFO_STATION"] != "0" || got["VILLAGE_BB_PORTS"] != "100" || got["VILLAGE_BB_SUBS"] != "120" || got["VILLAGE_BB_SPEED"] != "52.5" {
			t.Fatalf("stored after the draft: %v", got)
		}
		if a := state(t, s, d, v, pe); a.State != reporting.Draft {
			t.Fatalf("state after the draft: %s", a.State)
		}
		// The choice is kept on the page.
		if b.Value("行政村通宽带（是否）") != "1" {
			t.Errorf("yes/no choice not kept: %q", b.Value("行政村通宽带（是否）"))
		}

		b.Press("提交审核")
		b.WaitText("已提交待审核")
		if a := state(t, s, d, v, pe); a.State != reporting.Submitted {
			t.Fatalf("state after submitting: %s", a.State)
		}
		if b.Has("保存草稿") {
			t.Error("a submitted report can still be saved")
		}
		b.Follow("首页")
		b.WaitText("本期应报与逾期报表")
		if !b.Has(pe.ID() + " ") {
			t.Fatalf("home page lost the report: %s", b.Text("#due"))
		}
		b.Screenshots()
	})
}

// TestReporterCounty: a county reporter does the same with the quarterly
// report.
func TestReporterCounty(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		county, err := orgunit.Get(context.Background(), s.DB, "410102")
		if err != nil {
			t.Fatal(err)
		}
		d, pe := lastEnded(t, s, "COUNTY_QUARTERLY")
		s.User("xian", "中原区填报员", auth.Reporter, county.Code)
		b := browser.NewTab(t, s.URL)
		b.Login("xian", Password)
		b.WaitText("本期应报与逾期报表")
		b.Follow("填报", d.Name+" "+county.Name+" "+pe.ID())
		b.WaitText(d.Name)
		b.Fill("新增宽带用户（季度）", "-3")
		b.WaitText("-3 小于下限 0")
		b.Fill("新增宽带用户（季度）", "1200")
		b.Fill("新增光纤入户家庭（季度）", "800")
		b.Fill("信息化项目完成投资（季度）", "356.5")
		b.Press("保存草稿")
		b.WaitText("草稿")
		b.Press("提交审核")
		b.WaitText("已提交待审核")
		if got := stored(t, s, d, county.Code, pe); got["COUNTY_BB_NEW_SUBS"] != "1200" || got["COUNTY_FTTH_NEW"] != "800" || got["COUNTY_IT_INVEST"] != "356.5" {
			t.Fatalf("stored: %v", got)
		}
		if a := state(t, s, d, county, pe); a.State != reporting.Submitted {
			t.Fatalf("state: %s", a.State)
		}
		b.Screenshots()
	})
}
