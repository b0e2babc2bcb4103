package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"zhihui/internal/audit"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/publiceval"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// ecstatA11yPages stores what the survey pages that need data show — a
// register, the 2015 survey drawn and the 2016 survey drawn keeping half
// of 2015's sample — and returns those pages for the accessibility
// check: the form editor of the 2016 survey (open for changes) and its
// rotation page (firms rotated in and out), and the register summary's
// check with a row out of step.
func ecstatA11yPages(t *testing.T, db *store.DB) []string {
	t.Helper()
	ctx := context.Background()
	a := audit.Actor{Name: "a11y"}
	csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
	for i := 0; i < 30; i++ {
		body := fmt.Sprintf("91410102%09d", 600+i)
		c, _ := dom.CreditCheck(body)
		csv += fmt.Sprintf("%s%s,无障碍检查企业%02d有限公司,F5292,410102,小型,否,%d,%d\n", body, string(c), i, 10+i, 100*(i+1))
	}
	res, err := dom.ImportRegister(ctx, db, a, "r.csv", strings.NewReader(csv), dom.ImportOptions{Year: 2015, Scopes: []string{"/41/"}})
	if err != nil || !res.OK() {
		t.Fatalf("register: %v %+v", err, res)
	}
	var last int64
	for _, y := range []string{"2015", "2016"} {
		id, err := dom.CreateSurvey(ctx, db, a, dom.NewSurvey{Name: y + "年电子商务调查", Period: y})
		if err != nil {
			t.Fatal(err)
		}
		s, err := dom.GetSurvey(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		spec := dom.DesignSpec{Method: dom.Proportional, N: 10, Seed: 1}
		if last != 0 {
			spec.Keep = 0.5
		}
		if _, err := dom.Draw(ctx, db, a, s, spec); err != nil {
			t.Fatal(err)
		}
		last = id
	}
	// A register summary out of step with the register: the check page
	// lists the differing row and offers the repair.
	if _, err := db.W.ExecContext(ctx, `UPDATE ecstat_register_cell SET units = units + 1 WHERE org_code = '410102'`); err != nil {
		t.Fatal(err)
	}
	return []string{fmt.Sprintf("/ecstat/surveys/%d/form", last), fmt.Sprintf("/ecstat/surveys/%d/rotation", last), "/ecstat/register/summary"}
}

// TestAuditActorInLanguage: the audit log names a job by the catalogue's
// word for the code it records, in the reader's language; a name an
// earlier release recorded as "中文 / English" is split; a person's name
// is shown as recorded.
func TestAuditActorInLanguage(t *testing.T) {
	newEnv(t, storetest.SQLite(t)) // registers the modules' catalogues
	for _, c := range []struct {
		a      audit.Actor
		zh, en string
	}{
		{dom.Reminder, "调查提醒", "Survey reminders"},
		{publiceval.Alerter, "超时提醒（系统）", "Overdue check (system)"},
		{publiceval.DemoActor, "演示数据", "Demo data"},
		{audit.Actor{Name: publiceval.ActorBulletin}, "月度通报（系统）", "Monthly bulletin (system)"},
		{audit.Actor{Name: "调查提醒 / survey reminder"}, "调查提醒", "survey reminder"},
		{audit.Actor{UserID: 7, Name: "张三 / Zhang"}, "张三 / Zhang", "张三 / Zhang"},
	} {
		if zh, en := auditActor("zh-CN", c.a), auditActor("en", c.a); zh != c.zh || en != c.en {
			t.Errorf("%+v: %q, %q", c.a, zh, en)
		}
	}
}
