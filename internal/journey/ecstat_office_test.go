package journey

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/ecstat"
	"zhihui/internal/journey/browser"
	"zhihui/internal/monitor"
)

// TestEcstatOfficeAndEnterprise: the provincial office imports the
// enterprise register from the home page, links an enterprise's account,
// creates the annual survey and draws its sample; the enterprise answers
// its form from its home page; the county's statistician fills in two
// more firms' forms on their behalf from the non-respondents list and
// uploads a fourth firm's answers as a file (refused whole with a bad row,
// then stored); the
// office reads the estimates with their
// standard errors and publishes them into monitoring; the public reads
// the estimate on the progress page; the office checks the register
// summary and repairs a row out of step.
func TestEcstatOfficeAndEnterprise(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		s.User("firm", "甲企业", auth.Enterprise, "4101")
		s.User("xian", "中原区统计员", auth.Reporter, "410102")
		csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
		var codes []string
		for i := 0; i < 12; i++ {
			body := fmt.Sprintf("91410102%09d", i+1)
			c, _ := ecstat.CreditCheck(body)
			codes = append(codes, body+string(c))
			above := "否"
			if i < 4 {
				above = "是"
			}
			csv += fmt.Sprintf("%s,旅程企业%02d有限公司,F5292,410102,小型,%s,%d,%d\n", codes[i], i, above, 20+i, 500*(i+1))
		}
		file := filepath.Join(t.TempDir(), "名录.csv")
		if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("电商统计监测")
		office.Follow("企业名录库")
		office.Fill("名录文件", file)
		office.Fill("名录年度", "2015")
		office.Press("导入")
		office.WaitText("名录已导入")
		office.Follow(codes[0])
		office.Fill("账号名", "firm")
		office.Press("关联")
		office.Follow("电商统计监测")
		office.Follow("新建调查")
		office.Fill("调查名称", "2015年电子商务调查")
		office.Fill("年度", "2015")
		office.Press("创建调查")
		office.Fill("随机数种子", "42")
		office.Press("抽取样本")
		office.WaitText("样本已抽取")
		surveys, err := ecstat.Surveys(ctx, s.DB)
		if err != nil || len(surveys) != 1 {
			t.Fatalf("surveys: %v %v", surveys, err)
		}
		sv := surveys[0]
		d, err := ecstat.GetDesign(ctx, s.DB, sv.ID)
		if err != nil || d.Seed != 42 || d.FrameSize != 12 || d.Certainty != 4 {
			t.Fatalf("stored design: %+v %v", d, err)
		}

		firm := browser.NewTab(t, s.URL)
		firm.Login("firm", Password)
		firm.Follow("电商统计监测")
		firm.WaitText("2015年电子商务调查")
		firm.Follow("填报")
		firm.Fill("是否开展电子商务交易", "是")
		firm.Fill("主要使用的电子商务平台", "第三方平台")
		firm.Fill("电子商务销售额（万元）", "300")
		firm.Fill("电子商务采购额（万元）", "120.5")
		firm.Fill("网上零售额（万元）", "400") // more than its sales: refused
		firm.Fill("信息产品消费支出（万元）", "3")
		firm.Fill("信息服务消费支出（万元）", "4.25")
		firm.Press("报送")
		firm.WaitText("不应大于")
		firm.Fill("网上零售额（万元）", "80")
		firm.Press("报送")
		firm.WaitText("调查表已报送")
		list, _, err := ecstat.Enterprises(ctx, s.DB, ecstat.Filter{Scopes: []string{"/41/"}, Query: codes[0]})
		if err != nil || len(list) != 1 {
			t.Fatal(err)
		}
		f, err := ecstat.GetForm(ctx, s.DB, sv, list[0])
		if err != nil || f.Return == nil || f.Return.OnBehalf || f.Values[ecstat.EcomSales] != "300.00" || f.Values[ecstat.OnlineRetail] != "80.00" {
			t.Fatalf("stored form: %+v %v", f, err)
		}
		// The county's statistician fills in two more certainty firms' forms
		// on their behalf from the non-respondents list, so that the
		// province has enough respondents to publish.
		county := browser.NewTab(t, s.URL)
		county.Login("xian", Password)
		for _, c := range codes[1:3] {
			county.Follow("电商统计监测")
			county.Follow("2015年电子商务调查")
			county.Follow("未报送企业")
			county.Follow("代为填报", c)
			county.Fill("是否开展电子商务交易", "是")
			county.Fill("主要使用的电子商务平台", "自建平台")
			county.Fill("电子商务销售额（万元）", "100")
			county.Fill("电子商务采购额（万元）", "50")
			county.Fill("网上零售额（万元）", "10")
			county.Fill("信息产品消费支出（万元）", "1")
			county.Fill("信息服务消费支出（万元）", "2")
			county.Press("报送")
			county.WaitText("调查表已报送")
			l, _, err := ecstat.Enterprises(ctx, s.DB, ecstat.Filter{Scopes: []string{"/41/"}, Query: c})
			if err != nil || len(l) != 1 {
				t.Fatal(err)
			}
			f, err := ecstat.GetForm(ctx, s.DB, sv, l[0])
			if err != nil || f.Return == nil || !f.Return.OnBehalf || (f.Return.SubmittedBy != "xian" && f.Return.SubmittedBy != "中原区统计员") || f.Values[ecstat.EcomSales] != "100.00" {
				t.Fatalf("form filled on behalf of %s: %+v %v", c, f, err)
			}
		}
		county.Follow("电商统计监测")
		county.Follow("2015年电子商务调查")
		county.Follow("未报送企业")
		if county.Has(codes[1]) || county.Has(codes[2]) {
			t.Fatal("firms answered on their behalf are still listed as non-respondents")
		}
		// Then it uploads the answers of another firm as a file: with one
		// row an edit refuses (online retail above sales), nothing is
		// stored and the row is named; corrected, the return is stored.
		answers := func(retail string) string {
			rows := "credit_code,item,value,reason\n"
			for _, kv := range [][2]string{{"TRADES_ONLINE", "是"}, {"PLATFORM", "third"}, {"ECOM_SALES", "200"}, {"ECOM_PURCHASES", "80"},
				{"ONLINE_RETAIL", retail}, {"INFO_GOODS", "2"}, {"INFO_SERVICES", "3"}} {
				rows += codes[3] + "," + kv[0] + "," + kv[1] + ",\n"
			}
			p := filepath.Join(t.TempDir(), "代填.csv")
			if err := os.WriteFile(p, []byte(rows), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		county.Fill("填报文件（CSV 或 XLSX）", answers("900"))
		county.Press("上传并报送")
		county.WaitText("未保存任何企业的调查表")
		if !county.Has("第6行") {
			t.Fatalf("the refused row is not named: %s", county.Text("main"))
		}
		third := enterpriseByCode(t, s, codes[3])
		if f, err := ecstat.GetForm(ctx, s.DB, sv, third); err != nil || f.Return != nil {
			t.Fatalf("a refused file stored a return: %+v %v", f, err)
		}
		county.Fill("填报文件（CSV 或 XLSX）", answers("20"))
		county.Press("上传并报送")
		county.WaitText("文件中各企业的调查表已全部报送")
		if f, err := ecstat.GetForm(ctx, s.DB, sv, third); err != nil || f.Return == nil || !f.Return.OnBehalf || f.Values[ecstat.OnlineRetail] != "20.00" {
			t.Fatalf("the uploaded return: %+v %v", f, err)
		}
		if county.Has(codes[3]) {
			t.Fatal("the firm answered by file is still listed as a non-respondent")
		}

		office.Follow("电商统计监测")
		office.Follow("2015年电子商务调查")
		office.Follow("推算结果")
		office.WaitText("标准误")
		office.Press("发布到监测")
		office.WaitText("推算值已发布到监测")
		vals, err := monitor.DataValues(ctx, s.DB, monitor.ValueFilter{Elements: []string{ecstat.ElementEcom}, OrgUnits: []string{"41"}, Periods: []string{"2015"}})
		if err != nil || len(vals) != 1 || vals[0].Value.Value == "" {
			t.Fatalf("published value: %+v %v", vals, err)
		}
		pubs, err := ecstat.Publications(ctx, s.DB, sv.ID)
		if err != nil || len(pubs) != 2 {
			t.Fatalf("publications: %+v %v", pubs, err)
		}
		// The public reads the published estimate on the progress page,
		// with its precision, without logging in.
		public := browser.NewTab(t, s.URL)
		public.Home()
		public.Follow("目标进展公开")
		public.WaitText("抽样调查推算 2015")
		if !public.Has(fmt.Sprintf("%.2f", pubs[len(pubs)-1].Total)) && !public.Has(fmt.Sprintf("%.2f", pubs[0].Total)) {
			t.Fatalf("the public page lacks the published estimate %+v: %s", pubs, public.Text("main"))
		}

		// The office checks the register summary the design reads: it
		// matches; then a summary row goes out of step with the register
		// (as a failed repair by hand might leave it), the check lists it
		// and the office rewrites it from the register.
		office.Follow("电商统计监测")
		office.Follow("企业名录库")
		office.Press("核对名录汇总")
		office.WaitText("名录汇总与按名录重算的结果一致")
		if _, err := s.DB.W.ExecContext(ctx, `UPDATE ecstat_register_cell SET units = units + 1 WHERE org_code = '410102'`); err != nil {
			t.Fatal(err)
		}
		office.Follow("企业名录库")
		office.Press("核对名录汇总")
		office.WaitText("与按名录重算的结果不一致")
		if !office.Has("410102") {
			t.Fatalf("the differing row is not listed: %s", office.Text("main"))
		}
		office.Press("按名录重算汇总")
		office.WaitText("名录汇总已按名录重算")
		office.WaitText("名录汇总与按名录重算的结果一致")
		if diffs, err := ecstat.CheckRegisterSummary(ctx, s.DB); err != nil || len(diffs) != 0 {
			t.Fatalf("after the repair: %+v %v", diffs, err)
		}
	})
}
