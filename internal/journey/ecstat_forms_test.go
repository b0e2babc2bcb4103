package journey

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/ecstat"
	"zhihui/internal/journey/browser"
	"zhihui/internal/notify"
	"zhihui/internal/testwait"
)

// seedSurveyFirms imports n enterprises of 中原区 (410102) into the
// register for year and returns their credit codes; the first four are
// above the size threshold.
func seedSurveyFirms(ctx context.Context, s *Site, year, n int) ([]string, error) {
	csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
	var codes []string
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("91410102%09d", 500+i)
		c, _ := ecstat.CreditCheck(body)
		codes = append(codes, body+string(c))
		above := "否"
		if i < 4 {
			above = "是"
		}
		csv += fmt.Sprintf("%s,季报企业%02d有限公司,F5292,410102,小型,%s,%d,%d\n", codes[i], i, above, 20+i, 800*(i+1))
	}
	res, err := ecstat.ImportRegister(ctx, s.DB, audit.Actor{Name: "journey"}, "r.csv", strings.NewReader(csv), ecstat.ImportOptions{Year: year, Scopes: []string{"/41/"}})
	if err != nil {
		return nil, err
	}
	if !res.OK() {
		return nil, fmt.Errorf("register: %v", res.Errors)
	}
	return codes, nil
}

func enterpriseByCode(t *testing.T, s *Site, code string) ecstat.Enterprise {
	t.Helper()
	list, _, err := ecstat.Enterprises(context.Background(), s.DB, ecstat.Filter{Scopes: []string{"/41/"}, Query: code})
	if err != nil || len(list) != 1 {
		t.Fatalf("enterprise %s: %v %v", code, list, err)
	}
	return list[0]
}

// TestEcstatFormEditorAndQuarterlyWarning: the provincial office creates
// a quarterly survey from the home page, adds an optional number item and
// two edits in the form editor (a change against last quarter that only
// warns, a range that refuses), and draws the sample; the enterprise,
// which answered the first quarter, answers the second from its home
// page: the range refuses its staff count until corrected, and its sales,
// eight times last quarter's, are kept with the reason it gives.
func TestEcstatFormEditorAndQuarterlyWarning(t *testing.T) {
	t.Parallel()
	var codes []string
	seed := func(ctx context.Context, s *Site) error {
		var err error
		if codes, err = seedSurveyFirms(ctx, s, 2025, 8); err != nil {
			return err
		}
		// The first quarter, drawn and answered by the firm.
		a := audit.Actor{Name: "journey"}
		id, err := ecstat.CreateSurvey(ctx, s.DB, a, ecstat.NewSurvey{Name: "2025年第1季度电子商务季报", Period: "2025Q1"})
		if err != nil {
			return err
		}
		q1, err := ecstat.GetSurvey(ctx, s.DB, id)
		if err != nil {
			return err
		}
		if _, err := ecstat.Draw(ctx, s.DB, a, q1, ecstat.DesignSpec{Method: ecstat.Proportional, N: 1000, Seed: 5}); err != nil {
			return err
		}
		list, _, err := ecstat.Enterprises(ctx, s.DB, ecstat.Filter{Scopes: []string{"/41/"}, Query: codes[0]})
		if err != nil || len(list) != 1 {
			return fmt.Errorf("firm: %v", err)
		}
		return ecstat.Submit(ctx, s.DB, a, q1, list[0], map[string]string{ecstat.TradesOnline: "是", ecstat.Platform: "third", ecstat.EcomSales: "100",
			ecstat.EcomPurchases: "40", ecstat.OnlineRetail: "10", ecstat.InfoGoods: "1", ecstat.InfoServices: "2"}, false)
	}
	Each(t, Options{Seed: seed}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		firmUser := s.User("firm", "季报企业", auth.Enterprise, "410102")
		firm := enterpriseByCode(t, s, codes[0])
		if err := ecstat.LinkAccount(ctx, s.DB, audit.Actor{Name: "journey"}, []string{"/41/"}, firm.ID, firmUser.ID); err != nil {
			t.Fatal(err)
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("电商统计监测")
		office.Follow("新建调查")
		office.Fill("调查名称", "2025年第2季度电子商务季报")
		office.Fill("年度", "2025")
		office.Fill("报告频率", "季报")
		office.Fill("季度", "第 2 季度")
		office.Press("创建调查")
		office.WaitText("2025 年第 2 季度")
		office.Follow("编辑调查表和审核规则")
		office.Fill("项目代码", "STAFF_ECOM", "新增项目")
		office.Fill("中文名称", "电子商务从业人员", "新增项目")
		office.Fill("英文名称", "E-commerce staff", "新增项目")
		office.Fill("类型", "数值", "新增项目")
		office.Fill("计量单位", "人", "新增项目")
		office.Fill("必填", "off", "新增项目")
		office.Fill("规则类型", "与上期相比", "新增审核规则")
		office.Fill("检查的项目", "ECOM_SALES", "新增审核规则")
		office.Fill("倍数", "3", "新增审核规则")
		office.Fill("不符时", "提示", "新增审核规则")
		office.Press("保存调查表")
		office.WaitText("调查表已保存")
		office.Fill("规则类型", "取值范围", "新增审核规则")
		office.Fill("检查的项目", "STAFF_ECOM", "新增审核规则")
		office.Fill("上限", "500", "新增审核规则")
		office.Fill("不符时", "硬性错误", "新增审核规则")
		office.Press("保存调查表")
		office.WaitText("调查表已保存")
		if !office.Has("「电子商务从业人员」不大于 500（不符时不能报送）") || !office.Has("与本企业上期数相比变化不超过 3 倍（不符时提示") {
			t.Fatalf("editor after saving: %s", office.Text("main"))
		}
		surveys, err := ecstat.Surveys(ctx, s.DB)
		if err != nil || len(surveys) != 2 {
			t.Fatalf("surveys %v %v", surveys, err)
		}
		q2 := surveys[0]
		if q2.Quarter != 2 || q2.Year != 2025 {
			t.Fatalf("new survey %+v", q2)
		}
		it, ok := q2.Item("STAFF_ECOM")
		if !ok || it.Kind != ecstat.Number || it.Unit != "人" || it.Required() || it.NameEn != "E-commerce staff" {
			t.Fatalf("added item %+v", it)
		}
		var warn, rng *ecstat.Edit
		for i, ed := range q2.Edits {
			switch {
			case ed.Kind == ecstat.EditChange && ed.Left == ecstat.EcomSales && ed.Factor == 3:
				warn = &q2.Edits[i]
			case ed.Kind == ecstat.EditRange && ed.Left == "STAFF_ECOM":
				rng = &q2.Edits[i]
			}
		}
		if warn == nil || !warn.Warning() || rng == nil || rng.Warning() || rng.Max == nil || *rng.Max != 500 || rng.Min != nil {
			t.Fatalf("stored edits %+v", q2.Edits)
		}
		office.Follow("2025年第2季度电子商务季报")
		office.Fill("随机数种子", "11")
		office.Fill("抽样层样本量", "100")
		office.Fill("目标变异系数", "")
		office.Fill("样本分配", "比例分配")
		office.Press("抽取样本")
		office.WaitText("样本已抽取")

		// The enterprise answers the second quarter.
		f := browser.NewTab(t, s.URL)
		f.Login("firm", Password)
		f.Follow("电商统计监测")
		f.Follow("填报", "2025年第2季度电子商务季报")
		f.WaitText("2025 年第 2 季度")
		f.Fill("是否开展电子商务交易", "是")
		f.Fill("主要使用的电子商务平台", "第三方平台")
		f.Fill("电子商务销售额（万元）", "800")
		f.Fill("电子商务采购额（万元）", "60")
		f.Fill("网上零售额（万元）", "90")
		f.Fill("信息产品消费支出（万元）", "2")
		f.Fill("信息服务消费支出（万元）", "3")
		f.Fill("电子商务从业人员（人）", "600")
		f.Press("报送")
		f.WaitText("不在 不大于 500 之内")
		f.Fill("电子商务从业人员（人）", "12")
		f.Press("报送")
		f.WaitText("审核提示")
		if !f.Has("2025 年第 1 季度") || !f.Has("变化超过 3 倍") {
			t.Fatalf("warning: %s", f.Text("main"))
		}
		f.Fill("说明原因", "本季度开设第三方平台旗舰店，销售额大增")
		f.Press("报送")
		f.WaitText("调查表已报送")
		f.WaitText("已说明原因的审核提示")
		if got := f.Value("是否开展电子商务交易"); got != "yes" {
			t.Fatalf("the returned form shows trades online as %q", got)
		}
		form, err := ecstat.GetForm(ctx, s.DB, q2, firm)
		if err != nil || form.Return == nil || form.Values[ecstat.EcomSales] != "800.00" || form.Values["STAFF_ECOM"] != "12.00" || form.Values[ecstat.TradesOnline] != "yes" {
			t.Fatalf("stored form %+v %v", form, err)
		}
		cs, err := ecstat.Confirmations(ctx, s.DB, q2.ID, firm.ID)
		if err != nil || len(cs) != 1 || cs[0].Item != ecstat.EcomSales || cs[0].Reason != "本季度开设第三方平台旗舰店，销售额大增" {
			t.Fatalf("confirmations %+v %v", cs, err)
		}
		// Answered, the office's editor is locked.
		office.Follow("编辑调查表和审核规则")
		office.WaitText("调查表和审核规则不能再修改")
		if office.Has("保存调查表") {
			t.Fatal("the editor still offers to save an answered form")
		}
	})
}

// TestEcstatRemindersInTheInbox: the provincial office sets the deadline
// of an open survey two working days ahead with reminders three working
// days before it; the job engine sends the reminders at once: the
// enterprise finds it in 消息 and follows it to its form, the county's
// statistician finds the count of its firms not yet answered and follows
// it to the non-respondents, which show when each was reminded; the
// administrator's audit log names the reminders' author in words.
func TestEcstatRemindersInTheInbox(t *testing.T) {
	t.Parallel()
	var codes []string
	seed := func(ctx context.Context, s *Site) error {
		var err error
		if codes, err = seedSurveyFirms(ctx, s, 2025, 6); err != nil {
			return err
		}
		a := audit.Actor{Name: "journey"}
		id, err := ecstat.CreateSurvey(ctx, s.DB, a, ecstat.NewSurvey{Name: "2025年电子商务调查", Period: "2025"})
		if err != nil {
			return err
		}
		sv, err := ecstat.GetSurvey(ctx, s.DB, id)
		if err != nil {
			return err
		}
		_, err = ecstat.Draw(ctx, s.DB, a, sv, ecstat.DesignSpec{Method: ecstat.Proportional, N: 1000, Seed: 5})
		return err
	}
	Each(t, Options{Seed: seed, Jobs: true}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办公室", auth.Office, "41")
		firmUser := s.User("firm", "催报企业", auth.Enterprise, "410102")
		xian := s.User("xian", "中原区统计员", auth.Reporter, "410102")
		firm := enterpriseByCode(t, s, codes[0])
		if err := ecstat.LinkAccount(ctx, s.DB, audit.Actor{Name: "journey"}, []string{"/41/"}, firm.ID, firmUser.ID); err != nil {
			t.Fatal(err)
		}
		deadline := calendar.Format(calendar.Default().AddWorkingDays(time.Now(), 2))

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("电商统计监测")
		office.Follow("2025年电子商务调查")
		office.Fill("报送截止日期", deadline)
		office.Fill("提前提醒（工作日）", "3")
		office.Press("保存截止日期")
		office.WaitText("截止日期已保存")

		// The enterprise's reminder.
		f := browser.NewTab(t, s.URL)
		f.Login("firm", Password)
		// The reminder job runs on the engine a moment after the deadline is
		// saved; a loaded machine makes it later, not absent.
		testwait.Until(t, "the reminder to reach the enterprise", func() bool {
			n, err := notify.Unread(ctx, s.DB, firmUser.ID)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		})
		f.Home()
		f.Follow("消息")
		f.WaitText("催报提醒")
		if !f.Has("2025年电子商务调查") || !f.Has(deadline) || !f.Has(firm.Name) {
			t.Fatalf("enterprise inbox: %s", f.Text("main"))
		}
		f.Follow("催报提醒")
		f.WaitText("是否开展电子商务交易")
		if !strings.HasPrefix(f.Path(), "/ecstat/surveys/") {
			t.Fatalf("the reminder led to %s", f.URL())
		}

		// The county's statistician.
		c := browser.NewTab(t, s.URL)
		c.Login("xian", Password)
		c.Follow("消息")
		c.WaitText("催报提醒")
		if !c.Has("还有 6 家样本企业未报送") {
			t.Fatalf("county inbox: %s", c.Text("main"))
		}
		c.Follow("催报提醒")
		c.WaitText("未报送企业")
		if !c.Has("截止前提醒") || !c.Has(codes[5]) {
			t.Fatalf("non-respondents: %s", c.Text("main"))
		}
		rs, err := ecstat.Reminders(ctx, s.DB, mustSurvey(t, s).ID)
		if err != nil || len(rs) != 6 || len(rs[firm.ID]) != 1 || rs[firm.ID][0].Stage != ecstat.StageBefore || rs[firm.ID][0].Recipients != 1 {
			t.Fatalf("stored reminders %v %v", rs, err)
		}
		if msgs, _ := notify.List(ctx, s.DB, xian.ID, 10); len(msgs) != 1 {
			t.Fatalf("the county's statistician got %d messages", len(msgs))
		}

		// The audit log names the reminders' author in the reader's
		// language; the log stores a code.
		s.User("guanli", "省管理员", auth.Admin, "41")
		adm := browser.NewTab(t, s.URL)
		adm.Login("guanli", Password)
		adm.Follow("系统管理")
		adm.Follow("审计日志")
		adm.WaitText("审计日志")
		if !adm.Has("调查提醒") || adm.Has("ecstat_reminder") || adm.Has("survey reminder") {
			t.Fatalf("audit log: %s", adm.Text("main"))
		}
		var name string
		if err := s.DB.R.QueryRowContext(ctx, `SELECT actor_name FROM audit_log WHERE action = 'remind' AND entity = 'ecstat_survey'`).Scan(&name); err != nil || name != "ecstat_reminder" {
			t.Fatalf("stored author %q %v", name, err)
		}
	})
}

func mustSurvey(t *testing.T, s *Site) *ecstat.Survey {
	t.Helper()
	list, err := ecstat.Surveys(context.Background(), s.DB)
	if err != nil || len(list) == 0 {
		t.Fatalf("surveys %v %v", list, err)
	}
	return list[0]
}
