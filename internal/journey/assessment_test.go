package journey

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/plan"
	"zhihui/internal/supervise"
)

// TestAssessmentPublishAppeal: the provincial office publishes the year's
// assessment of the cities from the home page; 开封市 appeals against its
// score; the office upholds the appeal with 5 points and publishes a new
// version, which shows the new score while the first version stays on
// record; the notice downloads as a PDF.
func TestAssessmentPublishAppeal(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省督查办", auth.Office, "41")
		s.User("kf", "开封市填报员", auth.Reporter, "4102")
		svc := supervise.New(s.DB)
		// Last year: its work is over whatever day the test runs.
		year := svc.Today().Year() - 1
		pick := func(b *browser.Tab) {
			b.Fill("年度", strconv.Itoa(year))
			b.Press("筛选")
		}
		// The year's work: 郑州市 closed its item on time, 开封市 did not.
		at := func(d string) {
			x, err := supervise.ParseDate(d)
			if err != nil {
				t.Fatal(err)
			}
			svc.Now = func() time.Time { return x.Add(9 * time.Hour) }
		}
		at(time.Date(year, 1, 5, 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
		all := []string{"/41/"}
		office0 := audit.Actor{Name: "省督查办"}
		var ids []int64
		for _, u := range []string{"4101", "4102"} {
			got, err := svc.Create(ctx, office0, all, supervise.NewItem{Year: year, TaskID: plan.Default().Tasks(plan.TaskFilter{})[0].ID, Units: []string{u},
				Start: supervise.FormatDate(svc.Today()), Due: supervise.FormatDate(svc.Today().AddDate(0, 2, 0))})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got[0])
		}
		at(time.Date(year, 2, 20, 0, 0, 0, 0, time.UTC).Format("2006-01-02"))
		if err := svc.Close(ctx, office0, all, ids[0], "按时办结"); err != nil {
			t.Fatal(err)
		}
		svc.Now = time.Now

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("督查督办")
		office.Follow("年度目标考核")
		pick(office)
		office.WaitText("尚未发布")
		office.Fill("申诉期（工作日）", "10")
		office.Press("发布考核结果")
		office.WaitText("考核结果已发布")
		pub, err := svc.Published(ctx, all, year, "city")
		if err != nil || pub == nil || pub.Version != 1 {
			t.Fatalf("published: %+v %v", pub, err)
		}
		score := func(p *supervise.Publication, unit string) float64 {
			for _, r := range p.Result.Rows {
				if r.Unit == unit && r.Score != nil {
					return *r.Score
				}
			}
			return -1
		}
		// The published scores are the computation's: 郑州市 above 开封市,
		// whose only item was not done.
		live, err := svc.Assess(ctx, supervise.DefaultSchemes(), all, year, "city")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range live.Rows {
			if r.Score != nil && score(pub, r.Unit) != *r.Score {
				t.Fatalf("published %s = %v, computed %v", r.Unit, score(pub, r.Unit), *r.Score)
			}
		}
		before := score(pub, "4102")
		if !(score(pub, "4101") > before) {
			t.Fatalf("published scores 4101=%v 4102=%v", score(pub, "4101"), before)
		}
		city := browser.NewTab(t, s.URL)
		city.Login("kf", Password)
		city.Follow("督查督办")
		city.Follow("年度目标考核")
		pick(city)
		city.WaitText("申诉期至")
		city.Fill("申诉理由和依据", "该事项已于 2 月底办结，系统未及时登记")
		city.Press("提交申诉")
		city.WaitText("申诉已提交")
		apps, err := svc.Appeals(ctx, all, year, "city")
		if err != nil || len(apps) != 1 || apps[0].Unit != "4102" || apps[0].State != supervise.AppealOpen {
			t.Fatalf("stored appeals: %+v %v", apps, err)
		}

		office.Follow("年度目标考核")
		pick(office)
		office.WaitText("该事项已于 2 月底办结")
		office.Fill("申诉成立", "on", "处理申诉")
		office.Fill("处理意见", "经核实情况属实，加 5 分", "处理申诉")
		office.Fill("加减分值", "5", "处理申诉")
		office.Press("提交处理结果")
		office.WaitText("经核实情况属实")
		office.Press("发布新版本")
		office.WaitText("第 2 版")
		pub, err = svc.Published(ctx, all, year, "city")
		if err != nil || pub.Version != 2 || score(pub, "4102") != before+5 {
			t.Fatalf("second version: %+v %v", pub, err)
		}
		if vs, err := svc.Versions(ctx, year, "city"); err != nil || len(vs) != 2 {
			t.Fatalf("versions on record: %+v %v", vs, err)
		}
		body, ctype := office.Download("考核通报（PDF）")
		if ctype != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Fatalf("notice: %s, %d bytes", ctype, len(body))
		}
		city.Follow("年度目标考核")
		pick(city)
		city.WaitText("成立")
		if !city.Has("经核实情况属实") {
			t.Fatalf("the city does not see the decision: %s", city.Text("main"))
		}
		// The city's leader page, on a phone: its standing in the
		// published version, its lights and overdue items.
		city.Follow("开封市", "发布结果")
		city.WaitText("已发布结果（第 2 版）")
		city.Size(390, 844)
		if !city.Has("排名第") || !city.Has("逾期") {
			t.Fatalf("the city's page: %s", city.Text("main"))
		}
		if city.ScrollsSideways() {
			t.Fatal("the city's page scrolls sideways on a phone")
		}
	})
}
