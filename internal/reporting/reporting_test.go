package reporting

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"zhihui/internal/i18n"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/progress"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

var actor = audit.Actor{UserID: 1, Name: "tester"}

// setup migrates every table reporting touches, loads the hierarchy, the
// monitoring catalogue and the reporting defaults.
func setup(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	// Written once per test process into a template each test copies.
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, monitor.Schema, Schema); err != nil {
			return err
		}
		var depts []orgunit.Unit
		for _, d := range plan.Departments() {
			depts = append(depts, orgunit.Unit{Code: d.Code, Name: d.Name, NameEn: d.NameEn, Kind: orgunit.Department})
		}
		if _, err := orgunit.Load(ctx, db, depts, nil); err != nil {
			return err
		}
		if err := monitor.InstallCatalog(ctx, db); err != nil {
			return err
		}
		return Install(ctx, db)
	}
	if !storetest.FillFromTemplate(t, db, "reporting", build) {
		if err := build(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	if err := Install(ctx, db); err != nil { // idempotent
		t.Fatal(err)
	}
	// the accounts of actor (1) and of the approver (2), whom
	// notifications reach
	for _, n := range []string{"tester", "approver"} {
		if _, err := auth.CreateUser(ctx, db, actor, auth.NewUser{Name: n, Password: "a-long-test-password"}); err != nil {
			t.Fatal(err)
		}
	}
}

func unit(t *testing.T, db *store.DB, code string) orgunit.Unit {
	t.Helper()
	u, err := orgunit.Get(context.Background(), db, code)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func dataset(t *testing.T, db *store.DB, code string) DataSet {
	t.Helper()
	d, err := GetDataSet(context.Background(), db, code)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDueDates(t *testing.T) {
	m := DataSet{PeriodType: "monthly", DueDays: 15}
	if got := m.Due(period.MustParse("202002")).Format("2006-01-02"); got != "2020-03-17" {
		t.Errorf("monthly due = %s, want the end of Monday 16 March (2020-03-17 00:00)", got)
	}
	// 15 February 2020 was a Saturday: the deadline moves to Monday 17 February.
	if got := m.Due(period.MustParse("202001")).Format("2006-01-02"); got != "2020-02-18" {
		t.Errorf("monthly due = %s, want the end of Monday 17 Feb (2020-02-18 00:00)", got)
	}
	// 5 October 2024 was in the National Day holiday, 8 October the next working day.
	m5 := DataSet{PeriodType: "monthly", DueDays: 5}
	if got := m5.Due(period.MustParse("202409")).Format("2006-01-02 15:04"); got != "2024-10-09 00:00" {
		t.Errorf("monthly due in the holiday = %s", got)
	}
	// Sunday 4 February 2024 was a working day (调休): no postponement.
	m4 := DataSet{PeriodType: "monthly", DueDays: 4}
	if got := m4.Due(period.MustParse("202401")).Format("2006-01-02"); got != "2024-02-05" {
		t.Errorf("monthly due on a working Sunday = %s", got)
	}
	y := DataSet{PeriodType: "yearly", DueDays: 20}
	if got := y.Due(period.MustParse("2019")); !got.Equal(time.Date(2020, 1, 21, 0, 0, 0, 0, period.Shanghai)) {
		t.Errorf("yearly due = %s", got)
	}
	q := DataSet{PeriodType: "quarterly", DueDays: 15}
	if got := q.Due(period.MustParse("2020Q4")).Format("2006-01-02"); got != "2021-01-16" {
		t.Errorf("quarterly due = %s", got)
	}
}

func TestWorkflowAndLocking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		d := dataset(t, db, "COUNTY_ANNUAL")
		u := unit(t, db, "410102")
		p := period.MustParse("2019")

		// A bad entry is refused field by field, nothing written.
		err := SaveForm(ctx, db, actor, d, u, p, map[string]string{"ADMIN_VILLAGES": "abc", "ADMIN_VILLAGES_BB": "12"})
		var ve i18n.Errors
		if !errors.As(err, &ve) || len(ve) != 1 || ve[0].Field != "ADMIN_VILLAGES" {
			t.Fatalf("bad entry: %v", err)
		}
		if a, _ := GetApproval(ctx, db, d.Code, u, p.ID()); a.State != Open {
			t.Fatalf("state after refused save = %s", a.State)
		}
		// A rule violation is stored on save and blocks submission.
		if err := SaveForm(ctx, db, actor, d, u, p, map[string]string{"ADMIN_VILLAGES": "10", "ADMIN_VILLAGES_BB": "12"}); err != nil {
			t.Fatal(err)
		}
		f, err := OpenForm(ctx, db, d, u, p)
		if err != nil {
			t.Fatal(err)
		}
		if f.Approval.State != Draft || f.Values["ADMIN_VILLAGES_BB"] != "12" {
			t.Fatalf("form after save: %+v %v", f.Approval, f.Values)
		}
		if len(f.Violations) != 1 || f.Violations[0].Rule != "VILLAGES_BB_LE_VILLAGES" || f.Violations[0].Left != 12 || f.Violations[0].Right != 10 {
			t.Fatalf("violations = %+v", f.Violations)
		}
		if err := Submit(ctx, db, actor, d, u, p); err == nil || !strings.Contains(err.Error(), "校验规则") {
			t.Fatalf("submit with a high violation: %v", err)
		}
		// Fixing the value clears the violation; submit works.
		if err := SaveForm(ctx, db, actor, d, u, p, map[string]string{"ADMIN_VILLAGES_BB": "9"}); err != nil {
			t.Fatal(err)
		}
		if f, _ = OpenForm(ctx, db, d, u, p); len(f.Violations) != 0 {
			t.Fatalf("violations after fix = %+v", f.Violations)
		}
		if err := Submit(ctx, db, actor, d, u, p); err != nil {
			t.Fatal(err)
		}
		// Submitted: the form refuses changes.
		if err := SaveForm(ctx, db, actor, d, u, p, map[string]string{"ADMIN_VILLAGES_BB": "8"}); err == nil {
			t.Fatal("saved a submitted form")
		}
		// Return needs a comment, then notifies the submitter.
		if err := Decide(ctx, db, actor, d, u, p, false, " "); err == nil {
			t.Fatal("returned without a comment")
		}
		if err := Decide(ctx, db, audit.Actor{UserID: 2, Name: "approver"}, d, u, p, false, "请核实行政村数"); err != nil {
			t.Fatal(err)
		}
		ns, err := notify.List(ctx, db, actor.UserID, 10)
		if err != nil || len(ns) != 1 || ns[0].Kind != KindReturned || ns[0].Key != "notify.reporting.returned" ||
			!strings.Contains(ns[0].In("zh-CN"), "请核实行政村数") || !strings.Contains(ns[0].In("en"), "was returned") ||
			ns[0].Link != formLink(d.Code, u.Code, p.ID()) {
			t.Fatalf("notifications = %+v, %v", ns, err)
		}
		if err := SaveForm(ctx, db, actor, d, u, p, map[string]string{"ADMIN_VILLAGES_BB": "8"}); err != nil {
			t.Fatalf("save after return: %v", err)
		}
		if err := Submit(ctx, db, actor, d, u, p); err != nil {
			t.Fatal(err)
		}
		if err := Decide(ctx, db, actor, d, u, p, true, ""); err != nil {
			t.Fatal(err)
		}
		// Approved: every write path is refused with a bilingual error,
		// values of other elements and periods are not.
		err = monitor.SaveValues(ctx, db, actor, []monitor.Value{{DataElement: "ADMIN_VILLAGES_BB", OrgUnit: "410102", Period: "2019", Value: "7"}})
		if !errors.As(err, &ve) || !strings.Contains(ve[0].Zh, "锁定") || !strings.Contains(ve[0].En, "locked") || ve[0].Row != 1 {
			t.Fatalf("write to approved data: %v", err)
		}
		if got, _ := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: []string{"ADMIN_VILLAGES_BB"}, OrgUnits: []string{"410102"}, Periods: []string{"2019"}}); len(got) != 1 || got[0].Value.Value != "8" {
			t.Fatalf("value after refused write = %+v", got)
		}
		if err := monitor.SaveValues(ctx, db, actor, []monitor.Value{{DataElement: "ADMIN_VILLAGES_BB", OrgUnit: "410102", Period: "2018", Value: "7"}}); err != nil {
			t.Fatalf("other period: %v", err)
		}
		if err := Decide(ctx, db, actor, d, u, p, true, ""); err == nil {
			t.Fatal("approved twice")
		}
		// Re-open (reason required, audited) unlocks.
		if err := Reopen(ctx, db, actor, d, u, p, ""); err == nil {
			t.Fatal("re-opened without a reason")
		}
		if err := Reopen(ctx, db, audit.Actor{UserID: 2, Name: "approver"}, d, u, p, "统计口径调整"); err != nil {
			t.Fatal(err)
		}
		// the submitter is told (approved by themself: not told)
		if ns, err := notify.List(ctx, db, actor.UserID, 10); err != nil || len(ns) != 2 || ns[0].Kind != KindReopened || !strings.Contains(ns[0].In("zh-CN"), "统计口径调整") {
			t.Fatalf("notifications after re-opening = %+v, %v", ns, err)
		}
		if err := monitor.SaveValues(ctx, db, actor, []monitor.Value{{DataElement: "ADMIN_VILLAGES_BB", OrgUnit: "410102", Period: "2019", Value: "7"}}); err != nil {
			t.Fatalf("write after re-open: %v", err)
		}
		es, _, err := audit.Search(ctx, db, audit.Filter{Entity: "report"})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range es {
			actions[e.Action]++
		}
		if actions["reopen"] != 1 || actions["approved"] != 1 || actions["submitted"] != 2 || actions["draft"] != 2 || actions["returned"] != 1 {
			t.Fatalf("audited actions = %v", actions)
		}
	})
}

func TestRulesOnImportAndRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		csv := "dataElement,orgUnit,period,value\nRURAL_INFO_STATIONS,410102,2018,50\nADMIN_VILLAGES,410102,2018,40\nRURAL_INFO_STATIONS,410103,2018,5\nADMIN_VILLAGES,410103,2018,40\n"
		im, err := monitor.ReadImport(ctx, db, "x.csv", strings.NewReader(csv), monitor.ImportOptions{})
		if err != nil || !im.OK() {
			t.Fatalf("read import: %v %+v", err, im)
		}
		pre, err := CheckValues(ctx, db, im.Pending())
		if err != nil || len(pre) != 1 || pre[0].OrgUnit != "410102" || pre[0].Rule != "STATIONS_LE_VILLAGES" {
			t.Fatalf("preview check = %+v, %v", pre, err)
		}
		if _, err := im.Commit(ctx, db, actor); err != nil {
			t.Fatal(err)
		}
		vs, err := Violations(ctx, db, ViolationFilter{Root: "/41/"})
		if err != nil || len(vs) != 1 || vs[0].OrgUnit != "410102" || vs[0].Name != "中原区" {
			t.Fatalf("stored after import = %+v, %v", vs, err)
		}
		// An on-demand run over Zhengzhou's counties finds the same.
		res, err := Run(ctx, db, RunQuery{DataSet: dataset(t, db, "COUNTY_ANNUAL"), Root: unit(t, db, "4101"), Periods: []period.Period{period.MustParse("2018")}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Violations) != 1 || res.Violations[0].OrgUnit != "410102" || res.Units < 10 || res.Checked < res.Units {
			t.Fatalf("run = %+v", res)
		}
		// Deleting the offending value clears the violation.
		if err := monitor.SaveValues(ctx, db, actor, []monitor.Value{{DataElement: "RURAL_INFO_STATIONS", OrgUnit: "410102", Period: "2018", Value: ""}}); err != nil {
			t.Fatal(err)
		}
		if vs, _ := Violations(ctx, db, ViolationFilter{Root: "/41/"}); len(vs) != 0 {
			t.Fatalf("violations after delete = %+v", vs)
		}
	})
}

func TestRuleValidationAndCompare(t *testing.T) {
	els := map[string]monitor.Element{"A": {Code: "A", PeriodType: "yearly"}, "M": {Code: "M", PeriodType: "monthly"}}
	r := Rule{Code: "R1", Name: "x", MessageZh: "x", Left: "#{A} +", Op: "=<", Right: "#{M}", Importance: "urgent", PeriodType: "yearly"}
	errs := ValidateRule(&r, els)
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.Field] = true
	}
	for _, f := range []string{"op", "importance", "left"} {
		if !fields[f] {
			t.Errorf("no error on %s: %v", f, errs)
		}
	}
	r = Rule{Code: "R1", Name: "x", MessageZh: "x", Left: "#{A}", Op: "<=", Right: "#{M}", Importance: "low", PeriodType: "yearly"}
	if errs := ValidateRule(&r, els); len(errs) != 1 || errs[0].Field != "period_type" {
		t.Errorf("mixed period types: %v", errs)
	}
	cases := []struct {
		l    float64
		op   string
		r    float64
		want bool
	}{{1, "==", 1 + 1e-12, true}, {1, "!=", 1, false}, {1, "<", 2, true}, {2, "<=", 2, true}, {3, ">", 2, true}, {2, ">=", 3, false}, {0.1 + 0.2, "==", 0.3, true}}
	for _, c := range cases {
		if got := Compare(c.l, c.op, c.r); got != c.want {
			t.Errorf("%v %s %v = %v", c.l, c.op, c.r, got)
		}
	}
}

func TestRobustZ(t *testing.T) {
	xs := []float64{10, 11, 9, 10, 12, 10, 95}
	zs := RobustZ(xs)
	if zs == nil || math.Abs(zs[6]) <= ZThreshold {
		t.Fatalf("95 among ~10 not flagged: %v", zs)
	}
	for _, z := range zs[:6] {
		if math.Abs(z) > ZThreshold {
			t.Fatalf("regular value flagged: %v", zs)
		}
	}
	if RobustZ([]float64{5, 5, 5, 5, 5, 6}) != nil {
		t.Error("zero MAD should give no scores")
	}
	if RobustZ([]float64{1, 2}) != nil {
		t.Error("too short a history should give no scores")
	}
}

func TestOutliersAndCompleteness(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		counties, err := orgunit.Descendants(ctx, db, "/41/4101/", 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		var vals []monitor.Value
		for i, c := range counties {
			for y := 2013; y <= 2020; y++ {
				v := 100 + 10*float64(i) + 2*float64(y-2013)
				if c.Code == "410102" && y == 2017 {
					v = 5000 // a typo in one county's history
				}
				vals = append(vals, monitor.Value{DataElement: "RURAL_INFO_STATIONS", OrgUnit: c.Code, Period: itoa(y), Value: ftoa(v)})
			}
		}
		if err := monitor.SaveValues(WithoutRuleCheck(ctx), db, actor, vals); err != nil {
			t.Fatal(err)
		}
		out, err := Outliers(ctx, db, OutlierQuery{Element: "RURAL_INFO_STATIONS", Root: unit(t, db, "4101")})
		if err != nil {
			t.Fatal(err)
		}
		methods := map[string]bool{}
		for _, o := range out {
			if o.OrgUnit != "410102" || o.Period != "2017" || o.Value != 5000 {
				t.Errorf("unexpected outlier %+v", o)
			}
			methods[o.Method] = true
		}
		if !methods[ZScore] || !methods[MinMax] {
			t.Fatalf("outliers = %+v", out)
		}

		// Completeness: 2 of Zhengzhou's counties submit 2019, one late.
		d := dataset(t, db, "COUNTY_ANNUAL")
		p := period.MustParse("2019")
		for _, code := range []string{"410102", "410103"} {
			u := unit(t, db, code)
			if err := SaveForm(ctx, db, actor, d, u, p, map[string]string{"ADMIN_VILLAGES": "10"}); err != nil {
				t.Fatal(err)
			}
			if err := Submit(ctx, db, actor, d, u, p); err != nil {
				t.Fatal(err)
			}
		}
		// Backdate one submission to before the due date.
		if _, err := db.W.ExecContext(ctx, "UPDATE reporting_approval SET submitted_at = $1 WHERE ou = '410102'", time.Date(2020, 1, 10, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		zz := unit(t, db, "4101")
		total, rows, err := CompletenessOf(ctx, db, d, p, zz, true)
		if err != nil {
			t.Fatal(err)
		}
		if total.Expected != len(counties) || total.Received != 2 || total.OnTime != 1 || len(rows) != len(counties) {
			t.Fatalf("completeness = %+v (%d rows), counties %d", total, len(rows), len(counties))
		}
		prov, _, err := CompletenessOf(ctx, db, dataset(t, db, "DEPT_ANNUAL"), p, unit(t, db, "41"), false)
		if err != nil || prov.Expected != len(plan.Departments()) {
			t.Fatalf("department completeness = %+v, %v", prov, err)
		}
		late, n, err := Overdue(ctx, db, d, p, zz, time.Now(), 3)
		if err != nil || n != len(counties)-2 || len(late) != 3 {
			t.Fatalf("overdue = %d (%d listed), %v", n, len(late), err)
		}
		if _, n0, _ := Overdue(ctx, db, d, p, zz, time.Date(2020, 1, 5, 0, 0, 0, 0, time.UTC), 0); n0 != 0 {
			t.Fatalf("overdue before the due date = %d", n0)
		}
		// Reminders reach the reporters covering overdue units only.
		mk := func(name string, role auth.Role, org string) *auth.User {
			u, err := auth.CreateUser(ctx, db, actor, auth.NewUser{Name: name, Password: "long-password"})
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.AddGrant(ctx, db, actor, u.ID, role, org); err != nil {
				t.Fatal(err)
			}
			return u
		}
		inZZ := mk("r-zz", auth.Reporter, "410104")
		done := mk("r-done", auth.Reporter, "410102")
		other := mk("r-kf", auth.Reporter, "410202")
		appr := mk("a-zz", auth.Approver, "4101")
		res, err := Remind(ctx, db, actor, d, p, zz, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Overdue != n || len(res.Users) != 1 || res.Users[0] != "r-zz" {
			t.Fatalf("remind = %+v", res)
		}
		for _, u := range []*auth.User{done, other, appr} {
			if c, _ := notify.Unread(ctx, db, u.ID); c != 0 {
				t.Errorf("%s got %d notifications", u.Name, c)
			}
		}
		ns, _ := notify.List(ctx, db, inZZ.ID, 5)
		if len(ns) != 1 || !strings.Contains(ns[0].Link, "ou=410104") || ns[0].Kind != KindReminder || !strings.Contains(ns[0].In("zh-CN"), "催报") {
			t.Fatalf("notification = %+v", ns)
		}
		if err := notify.MarkRead(ctx, db, other.ID, ns[0].ID); !errors.Is(err, notify.ErrNotFound) {
			t.Fatalf("marking another user's notification: %v", err)
		}
		if err := notify.MarkRead(ctx, db, inZZ.ID, ns[0].ID); err != nil {
			t.Fatal(err)
		}
		if c, _ := notify.Unread(ctx, db, inZZ.ID); c != 0 {
			t.Fatalf("unread after mark = %d", c)
		}
	})
}

func TestProgress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		// Two counties' urban capability (average) and rural stations (sum).
		var vals []monitor.Value
		for y := 2013; y <= 2016; y++ {
			vals = append(vals,
				monitor.Value{DataElement: "BB_URBAN_CAP", OrgUnit: "410102", Period: itoa(y), Value: ftoa(8 + 4*float64(y-2013))},
				monitor.Value{DataElement: "BB_URBAN_CAP", OrgUnit: "410202", Period: itoa(y), Value: ftoa(4 + 2*float64(y-2013))},
				monitor.Value{DataElement: "RURAL_INFO_STATIONS", OrgUnit: "410102", Period: itoa(y), Value: ftoa(3000 + 1000*float64(y-2013))},
				monitor.Value{DataElement: "RURAL_INFO_STATIONS", OrgUnit: "410202", Period: itoa(y), Value: ftoa(1000 + 1000*float64(y-2013))},
			)
		}
		if err := monitor.SaveValues(ctx, db, actor, vals); err != nil {
			t.Fatal(err)
		}
		tps, err := Progress(ctx, db, ProgressQuery{Units: []string{"41", "4101", "4102"}, Targets: []string{"BB_URBAN_CAP", "RURAL_INFO_STATIONS", "INFO_LEVEL_RANK"}})
		if err != nil {
			t.Fatal(err)
		}
		get := func(target, ou string) TargetProgress {
			for _, tp := range tps {
				if tp.Target.Code == target && tp.Unit.Code == ou {
					return tp
				}
			}
			t.Fatalf("no progress for %s at %s", target, ou)
			return TargetProgress{}
		}
		// Province urban capability: average of 8 and 4 = 6 in 2013,
		// 12+6=… 2016: (20+10)/2 = 15; the 2020 goal (50) is assessed
		// since data runs past 2015.
		cap41 := get("BB_URBAN_CAP", "41")
		if cap41.Base == nil || cap41.Base.Value != 6 || cap41.Assessment.Actual != 15 || cap41.Goal == nil || cap41.Goal.Year != 2020 || cap41.Goal.Value != 50 {
			t.Fatalf("BB_URBAN_CAP@41 = %+v", cap41)
		}
		wantExpected := 6 + (50-6)*3.0/7
		if math.Abs(cap41.Assessment.Expected-wantExpected) > 1e-9 || cap41.Status != progress.Behind {
			t.Fatalf("expected %v status %s, got %+v", wantExpected, cap41.Status, cap41.Assessment)
		}
		if cap41.Forecast == nil || math.Abs(cap41.Forecast["2020"]-(6+3*7)) > 1e-9 || cap41.MetYear == nil || math.Abs(*cap41.MetYear-(2013+44.0/3)) > 1e-9 {
			t.Fatalf("forecast = %v met %v", cap41.Forecast, cap41.MetYear)
		}
		// City level for a rate: the same goal.
		if g := get("BB_URBAN_CAP", "4101").Goal; g == nil || g.Value != 50 || g.Scaled {
			t.Fatalf("city goal = %+v", g)
		}
		// Stations (sum): only a 2015 goal, so the series is judged up to
		// 2015: 8000 against the path 4000 (2013) → 14000 (2015): behind.
		st := get("RURAL_INFO_STATIONS", "41")
		if st.Assessment.Actual != 8000 || st.Goal.Year != 2015 || st.Assessment.ActualYear != 2015 || st.Status != progress.Behind {
			t.Fatalf("stations@41 = %+v goal %+v", st.Assessment, st.Goal)
		}
		// A sum target is split to a city by its baseline share: 4101 had
		// 3000 of 4000 in 2013, so its goal is 14000 × 3/4.
		zz := get("RURAL_INFO_STATIONS", "4101")
		if zz.Goal == nil || !zz.Goal.Scaled || math.Abs(zz.Goal.Value-10500) > 1e-9 || zz.Assessment.Actual != 5000 {
			t.Fatalf("split goal = %+v, assessment %+v", zz.Goal, zz.Assessment)
		}
		// No data: a qualitative target without values.
		if r := get("INFO_LEVEL_RANK", "41"); r.Status != progress.NoData || r.Goal != nil {
			t.Fatalf("no-data target = %+v", r)
		}
	})
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestDemoData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		p := &DemoProgress{st: DemoStatus{Started: time.Now(), Steps: demoSteps}}
		if err := GenerateDemo(ctx, db, p, DemoOptions{Within: "/41/4101/", Months: 2}); err != nil {
			t.Fatal(err)
		}
		if ok, err := DemoLoaded(ctx, db); !ok || err != nil {
			t.Fatalf("demo not marked loaded: %v", err)
		}
		// A second start does not generate again.
		sp := StartDemo(ctx, db, nil)
		testwait.Until(t, "the second demo start to finish", func() bool { return sp.Status().Done })
		if st := sp.Status(); !st.Skipped || st.Values != 0 {
			t.Fatalf("second start = %+v", st)
		}
		// Village values add up to the county's rural subscribers.
		res, err := monitor.Analytics(ctx, db, monitor.Query{DX: []string{"VILLAGE_BB_SUBS", "BB_RURAL_SUBS", "BB_VILLAGE_RATE"}, PE: []string{"202012", "2020", "2013", "2014"}, OU: []string{"410122"}})
		if err != nil {
			t.Fatal(err)
		}
		village, ok1 := res.Get("VILLAGE_BB_SUBS", "202012", "410122")
		county, ok2 := res.Get("BB_RURAL_SUBS", "2020", "410122")
		if !ok1 || !ok2 || math.Abs(village-county)/county > 0.05 {
			t.Fatalf("village sum %v vs county %v", village, county)
		}
		// Consistent with the published figure: every village had
		// broadband from 2014 (admin_village_broadband_rate 2014 = 100).
		if r, ok := res.Get("BB_VILLAGE_RATE", "2014", "410122"); !ok || r != 100 {
			t.Fatalf("2014 village broadband rate = %v", r)
		}
		if r, _ := res.Get("BB_VILLAGE_RATE", "2013", "410122"); r >= 100 {
			t.Fatalf("2013 village broadband rate = %v", r)
		}
		// Approvals: older periods approved, the latest has gaps.
		d := dataset(t, db, "COUNTY_ANNUAL")
		zz := unit(t, db, "4101")
		old, _, err := CompletenessOf(ctx, db, d, period.MustParse("2015"), zz, false)
		if err != nil || old.Received != old.Expected || old.Expected == 0 {
			t.Fatalf("2015 completeness = %+v, %v", old, err)
		}
		if a, _ := GetApproval(ctx, db, d.Code, unit(t, db, "410102"), "2015"); a.State != Approved {
			t.Fatalf("2015 state = %s", a.State)
		}
		// Every demo value of an approved report is locked.
		err = monitor.SaveValues(ctx, db, actor, []monitor.Value{{DataElement: "ADMIN_VILLAGES", OrgUnit: "410102", Period: "2015", Value: "1"}})
		var ve i18n.Errors
		if !errors.As(err, &ve) {
			t.Fatalf("write to approved demo data: %v", err)
		}
		// The injected violations were found by the validation run.
		vs, err := Violations(ctx, db, ViolationFilter{Root: "/41/"})
		if err != nil || len(vs) == 0 {
			t.Fatalf("violations = %d, %v", len(vs), err)
		}
		// Progress is computed for every target at the province.
		tps, err := Progress(ctx, db, ProgressQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(tps) != len(plan.Default().Targets()) {
			t.Fatalf("%d progress rows for %d targets", len(tps), len(plan.Default().Targets()))
		}
		for _, tp := range tps {
			if tp.Status == progress.NoData {
				t.Errorf("%s has no data in the demo", tp.Target.Code)
			}
		}
	})
}

// TestEditDataSetsAndRules saves forms and rules as the editing pages do:
// every save is audited with what it replaced, a form with reports keeps
// its period type, and a changed rule drops the violations its old
// definition found.
func TestEditDataSetsAndRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		d := DataSet{Code: "TOWN_ANNUAL", Name: "乡镇年报", PeriodType: "yearly", OrgKinds: []string{orgunit.Township}, DueDays: 30, Elements: []string{"ADMIN_VILLAGES"}}
		if err := SaveDataSet(ctx, db, actor, d); err != nil {
			t.Fatal(err)
		}
		d.NameEn, d.Elements = "Township annual report", []string{"ADMIN_VILLAGES", "ADMIN_VILLAGES_BB"}
		if err := SaveDataSet(ctx, db, actor, d); err != nil {
			t.Fatal(err)
		}
		if got := dataset(t, db, "TOWN_ANNUAL"); len(got.Elements) != 2 || got.NameEn != d.NameEn {
			t.Fatalf("saved data set = %+v", got)
		}
		es, _, err := audit.Search(ctx, db, audit.Filter{Entity: "dataset", EntityID: "TOWN_ANNUAL"})
		if err != nil || len(es) != 2 {
			t.Fatalf("audit of data set saves: %d entries, %v", len(es), err)
		}
		if len(es[1].Before) != 0 || !strings.Contains(string(es[0].Before), `"ADMIN_VILLAGES"]`) || !strings.Contains(string(es[0].After), "ADMIN_VILLAGES_BB") {
			t.Errorf("audit before/after: %s -> %s", es[0].Before, es[0].After)
		}

		// A form with reports keeps its period type.
		annual := dataset(t, db, "COUNTY_ANNUAL")
		u := unit(t, db, "410102")
		if err := SaveForm(ctx, db, actor, annual, u, period.MustParse("2019"), map[string]string{"ADMIN_VILLAGES": "10", "ADMIN_VILLAGES_BB": "12"}); err != nil {
			t.Fatal(err)
		}
		changed := annual
		changed.PeriodType, changed.Elements = "quarterly", []string{"COUNTY_IT_INVEST"}
		var ve i18n.Errors
		if err := SaveDataSet(ctx, db, actor, changed); !errors.As(err, &ve) || ve[0].Field != "period_type" {
			t.Fatalf("period type change of a form with reports: %v", err)
		}
		if got := dataset(t, db, "COUNTY_ANNUAL"); got.PeriodType != "yearly" {
			t.Fatalf("refused change was written: %s", got.PeriodType)
		}

		// The save above broke VILLAGES_BB_LE_VILLAGES (12 > 10).
		vs, err := Violations(ctx, db, ViolationFilter{Root: u.Path, Rules: []string{"VILLAGES_BB_LE_VILLAGES"}})
		if err != nil || len(vs) != 1 {
			t.Fatalf("violations before the rule change: %d, %v", len(vs), err)
		}
		r, err := GetRule(ctx, db, "VILLAGES_BB_LE_VILLAGES")
		if err != nil {
			t.Fatal(err)
		}
		// Only the message changes: the violation stays.
		r.MessageEn = "too many villages with broadband"
		if err := SaveRule(ctx, db, actor, r); err != nil {
			t.Fatal(err)
		}
		if vs, _ := Violations(ctx, db, ViolationFilter{Root: u.Path, Rules: []string{r.Code}}); len(vs) != 1 {
			t.Fatalf("violations after a message change: %d", len(vs))
		}
		r.Right = "#{ADMIN_VILLAGES} + 5"
		if err := SaveRule(ctx, db, actor, r); err != nil {
			t.Fatal(err)
		}
		if vs, _ := Violations(ctx, db, ViolationFilter{Root: u.Path, Rules: []string{r.Code}}); len(vs) != 0 {
			t.Fatalf("violations of the old definition kept: %d", len(vs))
		}
		if got, _ := GetRule(ctx, db, r.Code); got.Right != r.Right || got.MessageEn != r.MessageEn {
			t.Fatalf("saved rule = %+v", got)
		}
		es, _, _ = audit.Search(ctx, db, audit.Filter{Entity: "rule", EntityID: r.Code})
		// Install saved it first, then the two saves above.
		if len(es) != 3 || !strings.Contains(string(es[0].Before), `"right":"#{ADMIN_VILLAGES}"`) {
			t.Fatalf("rule audit: %d entries, before %s", len(es), es[0].Before)
		}
		if _, err := GetRule(ctx, db, "NO_SUCH_RULE"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown rule: %v", err)
		}
		bad := r
		bad.Left = "#{ADMIN_VILLAGES} +"
		if err := SaveRule(ctx, db, actor, bad); !errors.As(err, &ve) || ve[0].Field != "left" {
			t.Fatalf("bad left side: %v", err)
		}
	})
}
