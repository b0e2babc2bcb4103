package journey

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/ecstat"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
)

// TestEcstatInfoConsumptionAndPDF: with a 2015 survey answered by every
// sampled firm and the telecom business volume published in monitoring,
// the provincial office opens 信息消费 from the home page: the page names
// each component's source and adds them up for 2015 against the plan's
// e-commerce target; its export holds the same figures. It changes the
// composition, leaving the telecom series out, and sees the estimate
// become the survey's parts alone. From the survey's estimates it
// downloads the PDF of the tables by region and industry.
func TestEcstatInfoConsumptionAndPDF(t *testing.T) {
	t.Parallel()
	var codes []string
	seed := func(ctx context.Context, s *Site) error {
		var err error
		if codes, err = seedSurveyFirms(ctx, s, 2015, 6); err != nil {
			return err
		}
		a := audit.Actor{Name: "journey"}
		id, err := ecstat.CreateSurvey(ctx, s.DB, a, ecstat.NewSurvey{Name: "2015年电子商务调查", Period: "2015"})
		if err != nil {
			return err
		}
		sv, err := ecstat.GetSurvey(ctx, s.DB, id)
		if err != nil {
			return err
		}
		if _, err := ecstat.Draw(ctx, s.DB, a, sv, ecstat.DesignSpec{Method: ecstat.Proportional, N: 1000, Seed: 3}); err != nil {
			return err
		}
		sample, err := ecstat.Sample(ctx, s.DB, id, []string{"/41/"}, 0)
		if err != nil || len(sample) != 6 {
			return fmt.Errorf("sample %d %v", len(sample), err)
		}
		// Every firm: goods 2.5 亿元, services 1.5 亿元, sales 1 亿元.
		for _, x := range sample {
			if err := ecstat.Submit(ctx, s.DB, a, sv, x.Enterprise, map[string]string{ecstat.TradesOnline: "是", ecstat.Platform: "third", ecstat.EcomSales: "1000",
				ecstat.EcomPurchases: "0", ecstat.OnlineRetail: "10", ecstat.InfoGoods: "25000", ecstat.InfoServices: "15000"}, false); err != nil {
				return err
			}
		}
		return monitor.SaveValues(ctx, s.DB, a, []monitor.Value{{DataElement: ecstat.TelecomSeries, OrgUnit: "41", Period: "2015", Value: "1000"}})
	}
	Each(t, Options{Seed: seed}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		years, err := ecstat.InfoConsumption(ctx, s.DB, 2015, 2015)
		if err != nil || len(years) != 1 || !years[0].Complete {
			t.Fatalf("information consumption %+v %v", years, err)
		}
		// A census with every firm answering: the estimate is the sum.
		if y := years[0]; fmt.Sprintf("%.2f", y.Total) != "1024.00" || y.Target == nil || y.Met == nil || *y.Met {
			t.Fatalf("2015: %+v", y)
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("电商统计监测")
		office.Follow("信息消费")
		office.WaitText("构成和来源")
		for _, want := range []string{"企业抽样调查推算：信息产品消费支出", "电信业务总量（TELECOM_BUSINESS_VOLUME）", "1,024.00", "15.00", "9.00", "1,000.00", "突破8000亿元", "未达成"} {
			if !office.Has(want) {
				t.Fatalf("the page lacks %q: %s", want, office.Text("main"))
			}
		}
		office.WaitFor("the chart to be drawn", `document.querySelector('[data-chart] canvas, [data-chart] svg')`)
		body, typ := office.Download("导出 XLSX")
		if !strings.Contains(typ, "spreadsheet") {
			t.Fatalf("export type %q", typ)
		}
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows(x.GetSheetList()[0])
		if err != nil {
			t.Fatal(err)
		}
		var row2015 []string
		for _, r := range rows {
			if len(r) > 0 && r[0] == "2015" {
				row2015 = r
			}
		}
		if len(row2015) < 5 || row2015[1] != "15" || row2015[2] != "9" || row2015[3] != "1000" || row2015[4] != "1024" {
			t.Fatalf("exported 2015 row %q (header %q)", row2015, rows[0])
		}

		// The office leaves the telecom series out of the composition: the
		// estimate becomes the survey's parts alone.
		office.Follow("调整构成")
		office.WaitText("信息消费构成")
		office.Fill("删除此组成部分", "on", "组成部分 3 通信服务消费")
		office.Press("保存构成")
		office.WaitText("信息消费构成已保存")
		for _, want := range []string{"24.00", "信息服务消费", "企业抽样调查推算：信息服务消费支出（INFO_SERVICES）"} {
			if !office.Has(want) {
				t.Fatalf("after the change the page lacks %q: %s", want, office.Text("main"))
			}
		}
		if office.Has("电信业务总量（TELECOM_BUSINESS_VOLUME）") || office.Has("1,024.00") {
			t.Fatalf("the telecom series is still counted: %s", office.Text("main"))
		}
		parts, err := ecstat.InfoComposition(ctx, s.DB)
		if err != nil || len(parts) != 2 || parts[0].Code != ecstat.InfoGoods || parts[1].Code != ecstat.InfoServices {
			t.Fatalf("stored composition %+v %v", parts, err)
		}
		if years, err := ecstat.InfoConsumption(ctx, s.DB, 2015, 2015); err != nil || fmt.Sprintf("%.2f", years[0].Total) != "24.00" || !years[0].Complete {
			t.Fatalf("2015 after the change: %+v %v", years, err)
		}

		// The PDF of the tables.
		office.Follow("电商统计监测")
		office.Follow("2015年电子商务调查")
		office.Follow("推算结果")
		office.WaitText("标准误")
		office.WaitFor("the estimates chart to be drawn", `document.querySelector('[data-chart] canvas, [data-chart] svg')`)
		pdf, typ := office.Download("下载 PDF")
		if typ != "application/pdf" || !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10_000 {
			t.Fatalf("PDF: %q, %d bytes", typ, len(pdf))
		}
		if !bytes.Contains(pdf, []byte("/Count ")) {
			t.Fatalf("the PDF has no page count")
		}
		// With the tables by city, county and section, the county × section
		// table: 中原区's F section (six firms, a census) and its figure.
		if text := strings.Join(strings.Fields(pdfText(t, pdf)), ""); text != "" {
			for _, want := range []string{"按县（市、区）×行业门类", "中原区", "标准误"} {
				if !strings.Contains(text, want) {
					t.Fatalf("the PDF lacks %q: %s", want, text)
				}
			}
		}
		_ = codes
	})
}

// TestEcstatRotationJourney: the office, with 2015's sample drawn, creates
// the 2016 survey from the home page, draws it keeping half of last
// year's sample, and opens the rotation page: it lists the firms rotated
// in and out, as stored. Then, with the first quarter of 2016 drawn, it
// creates the second quarter's survey and draws it keeping half: the
// rotation page compares it with the first quarter's sample, not with the
// annual one drawn after it, and half of the sample stays.
func TestEcstatRotationJourney(t *testing.T) {
	t.Parallel()
	seed := func(ctx context.Context, s *Site) error {
		csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
		for i := 0; i < 40; i++ {
			body := fmt.Sprintf("91410102%09d", 900+i)
			c, _ := ecstat.CreditCheck(body)
			csv += fmt.Sprintf("%s%s,轮换企业%02d有限公司,F5292,410102,小型,否,%d,%d\n", body, string(c), i, 10+i, 100*(i+1))
		}
		a := audit.Actor{Name: "journey"}
		res, err := ecstat.ImportRegister(ctx, s.DB, a, "r.csv", strings.NewReader(csv), ecstat.ImportOptions{Year: 2015, Scopes: []string{"/41/"}})
		if err != nil || !res.OK() {
			return fmt.Errorf("register %v %v", err, res)
		}
		id, err := ecstat.CreateSurvey(ctx, s.DB, a, ecstat.NewSurvey{Name: "2015年电子商务调查", Period: "2015"})
		if err != nil {
			return err
		}
		sv, err := ecstat.GetSurvey(ctx, s.DB, id)
		if err != nil {
			return err
		}
		if _, err = ecstat.Draw(ctx, s.DB, a, sv, ecstat.DesignSpec{Method: ecstat.Proportional, N: 10, Seed: 1}); err != nil {
			return err
		}
		// The first quarter of 2016, drawn before the annual 2016 survey.
		q1, err := ecstat.CreateSurvey(ctx, s.DB, a, ecstat.NewSurvey{Name: "2016年第1季度电子商务季报", Period: "2016Q1"})
		if err != nil {
			return err
		}
		if sv, err = ecstat.GetSurvey(ctx, s.DB, q1); err != nil {
			return err
		}
		_, err = ecstat.Draw(ctx, s.DB, a, sv, ecstat.DesignSpec{Method: ecstat.Proportional, N: 10, Seed: 2})
		return err
	}
	Each(t, Options{Seed: seed}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("电商统计监测")
		office.Follow("新建调查")
		office.Fill("调查名称", "2016年电子商务调查")
		office.Fill("年度", "2016")
		office.Press("创建调查")
		office.Fill("样本分配", "比例分配")
		office.Fill("目标变异系数", "")
		office.Fill("抽样层样本量", "10")
		office.Fill("随机数种子", "7")
		office.Fill("保留上期样本比例", "0.5")
		office.Press("抽取样本")
		office.WaitText("样本已抽取")
		office.Follow("轮换明细")
		office.WaitText("样本轮换明细")
		list, err := ecstat.Surveys(ctx, s.DB)
		if err != nil || len(list) != 3 {
			t.Fatalf("surveys %v %v", list, err)
		}
		annual := list[1] // 2016, after 2016Q1 (newest period first)
		if annual.Year != 2016 || annual.Quarter != 0 {
			t.Fatalf("surveys %+v", list)
		}
		diff, err := ecstat.Rotation(ctx, s.DB, annual, []string{"/41/"})
		if err != nil || diff.From == nil || len(diff.Kept) != 5 || len(diff.In) != 5 || len(diff.Out) != 5 {
			t.Fatalf("rotation %+v %v", diff, err)
		}
		if !office.Has("保留 5 家，轮入 5 家，轮出 5 家") {
			t.Fatalf("summary: %s", office.Text("main"))
		}
		in, out := office.Text("#rot-in"), office.Text("#rot-out")
		for _, x := range diff.In {
			if !strings.Contains(in, x.CreditCode) || strings.Contains(out, x.CreditCode) {
				t.Fatalf("rotated in %s not listed as such", x.CreditCode)
			}
		}
		for _, x := range diff.Out {
			if !strings.Contains(out, x.CreditCode) {
				t.Fatalf("rotated out %s not listed", x.CreditCode)
			}
		}
		for _, x := range diff.Kept {
			if office.Has(x.CreditCode) {
				t.Fatalf("kept %s listed as rotated", x.CreditCode)
			}
		}

		// The second quarter rotates from the first.
		office.Follow("电商统计监测")
		office.Follow("新建调查")
		office.Fill("调查名称", "2016年第2季度电子商务季报")
		office.Fill("年度", "2016")
		office.Fill("报告频率", "季报")
		office.Fill("季度", "第 2 季度")
		office.Press("创建调查")
		office.WaitText("2016 年第 2 季度")
		office.Fill("样本分配", "比例分配")
		office.Fill("目标变异系数", "")
		office.Fill("抽样层样本量", "10")
		office.Fill("随机数种子", "9")
		office.Fill("保留上期样本比例", "0.5")
		office.Press("抽取样本")
		office.WaitText("样本已抽取")
		office.Follow("轮换明细")
		office.WaitText("样本轮换明细")
		list, err = ecstat.Surveys(ctx, s.DB)
		if err != nil || len(list) != 4 || list[0].Quarter != 2 || list[1].Quarter != 1 {
			t.Fatalf("surveys %v %v", list, err)
		}
		q2, q1 := list[0], list[1]
		d, err := ecstat.GetDesign(ctx, s.DB, q2.ID)
		if err != nil || d.RotateFrom != q1.ID || d.Kept != 5 || d.Rotated != 5 {
			t.Fatalf("second quarter's design %+v %v (first quarter %d)", d, err, q1.ID)
		}
		if !office.Has("与「2016年第1季度电子商务季报」的样本相比：保留 5 家，轮入 5 家，轮出 5 家") {
			t.Fatalf("quarterly summary: %s", office.Text("main"))
		}
	})
}
