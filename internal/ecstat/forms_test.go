package ecstat

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"zhihui/internal/jobs"

	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestParsePeriod(t *testing.T) {
	for _, c := range []struct {
		in      string
		y, q    int
		invalid bool
	}{
		{"2025", 2025, 0, false}, {" 2025 ", 2025, 0, false}, {"2025Q1", 2025, 1, false}, {"2025-q4", 2025, 4, false},
		{"2025 Q2", 2025, 2, false}, {"2025年第3季度", 2025, 3, false}, {"2025年一季度", 2025, 1, false},
		{"2025Q5", 0, 0, true}, {"2025Q", 0, 0, true}, {"1999", 0, 0, true}, {"20x5", 0, 0, true}, {"2025M01", 0, 0, true}, {"", 0, 0, true},
	} {
		y, q, err := ParsePeriod(c.in)
		if (err != nil) != c.invalid || y != c.y || q != c.q {
			t.Errorf("ParsePeriod(%q) = %d, %d, %v", c.in, y, q, err)
		}
		if err != nil && (!strings.Contains(err.Zh, "报告期") || !strings.Contains(err.En, "period")) {
			t.Errorf("ParsePeriod(%q) error %v", c.in, err)
		}
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2025", "2025Q1", "2025年第3季度", "2025年一季度", "2025-Q4", "abcd", "2025Q9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		y, q, err := ParsePeriod(s)
		if err != nil {
			if y != 0 || q != 0 || err.Zh == "" || err.En == "" {
				t.Fatalf("%q: %d %d %v", s, y, q, err)
			}
			return
		}
		if y < 2000 || y > 2100 || q < 0 || q > 4 {
			t.Fatalf("%q: %d Q%d", s, y, q)
		}
		// The period as the survey writes it reads back the same.
		sv := &Survey{Year: y, Quarter: q}
		if y2, q2, err := ParsePeriod(sv.Period()); err != nil || y2 != y || q2 != q {
			t.Fatalf("%q → %s → %d %d %v", s, sv.Period(), y2, q2, err)
		}
	})
}

func f64(v float64) *float64 { return &v }

// editForm is a small form: sales and purchases (money), employees
// (number, optional) and whether the firm trades online.
func editForm(edits ...Edit) *Survey {
	return &Survey{Year: 2025, Quarter: 2, Items: []Item{
		{Code: "SALES", Name: "销售额", NameEn: "Sales", Unit: "万元", Kind: Money},
		{Code: "BUY", Name: "采购额", NameEn: "Purchases", Unit: "万元", Kind: Money},
		{Code: "STAFF", Name: "电商从业人员", NameEn: "E-commerce staff", Unit: "人", Kind: Number, Optional: true},
		{Code: "ONLINE", Name: "是否开展电子商务", NameEn: "Trades online", Kind: YesNo},
	}, Edits: edits}
}

func TestEvaluateEdits(t *testing.T) {
	vals := func(sales, buy, staff string) map[string]string {
		return map[string]string{"SALES": sales, "BUY": buy, "STAFF": staff, "ONLINE": "是"}
	}
	prev := &Previous{Year: 2025, Quarter: 1, Amounts: map[string]int64{"SALES": 10000}} // 100 万元
	cases := []struct {
		name         string
		edit         Edit
		values       map[string]string
		errs, warns  int
		zhHas, enHas string
	}{
		{"range error", Edit{Kind: EditRange, Left: "SALES", Min: f64(0), Max: f64(1000)}, vals("1500", "10", ""), 1, 0, "0 至 1000", "0 to 1000"},
		{"range warning", Edit{Kind: EditRange, Left: "SALES", Max: f64(1000), Severity: SevWarning}, vals("1500", "10", ""), 0, 1, "不大于 1000", "at most 1000"},
		{"range within", Edit{Kind: EditRange, Left: "SALES", Min: f64(1), Max: f64(1000)}, vals("1000", "10", ""), 0, 0, "", ""},
		{"range on an unanswered optional item", Edit{Kind: EditRange, Left: "STAFF", Min: f64(1)}, vals("10", "10", ""), 0, 0, "", ""},
		{"ratio warning", Edit{Kind: EditRatio, Left: "BUY", Right: "SALES", Max: f64(2), Severity: SevWarning}, vals("10", "30", ""), 0, 1, "之比为 3.000", "ratio of Purchases to Sales is 3.000"},
		{"ratio with a zero denominator does not apply", Edit{Kind: EditRatio, Left: "BUY", Right: "SALES", Max: f64(2)}, vals("0", "30", ""), 0, 0, "", ""},
		{"change warning names last quarter", Edit{Kind: EditChange, Left: "SALES", Factor: 3, Severity: SevWarning}, vals("500", "1", ""), 0, 1, "2025 年第 1 季度", "2025 Q1"},
		{"change within", Edit{Kind: EditChange, Left: "SALES", Factor: 3, Severity: SevWarning}, vals("250", "1", ""), 0, 0, "", ""},
		{"change error", Edit{Kind: EditChange, Left: "SALES", Factor: 3}, vals("20", "1", ""), 1, 0, "为上期的 0.20 倍", "0.20 times"},
		{"number item parses", Edit{Kind: EditRange, Left: "STAFF", Max: f64(50)}, vals("10", "1", "51"), 1, 0, "51.00 人", "E-commerce staff"},
	}
	for _, c := range cases {
		s := editForm(c.edit)
		got := Evaluate(s, Enterprise{}, c.values, prev)
		if len(got.Errors) != c.errs || len(got.Warnings) != c.warns {
			t.Errorf("%s: errors %v warnings %v", c.name, got.Errors, got.Warnings)
			continue
		}
		var msg []string
		for _, e := range got.Errors {
			msg = append(msg, e.Zh, e.En)
		}
		for _, w := range got.Warnings {
			if w.No != 0 || w.Err.Field != c.edit.Left {
				t.Errorf("%s: warning %+v", c.name, w)
			}
			msg = append(msg, w.Err.Zh, w.Err.En)
		}
		all := strings.Join(msg, " | ")
		if !strings.Contains(all, c.zhHas) || !strings.Contains(all, c.enHas) {
			t.Errorf("%s: %q lacks %q or %q", c.name, all, c.zhHas, c.enHas)
		}
	}
	// A required item left empty is an error; an optional one is not.
	got := Evaluate(editForm(), Enterprise{}, map[string]string{"SALES": "1", "ONLINE": "否"}, nil)
	if len(got.Errors) != 1 || got.Errors[0].Field != "BUY" {
		t.Fatalf("required: %v", got.Errors)
	}
}

func FuzzEvaluateEdits(f *testing.F) {
	f.Add("100", "20", "3", 0.5, 2.0, 3.0, uint8(0))
	f.Add("-1", "1e9", "x", -1.0, 1e300, 0.0, uint8(5))
	f.Add("0.01", "0", "", 0.0, 0.0, 1.5, uint8(3))
	f.Fuzz(func(t *testing.T, sales, buy, staff string, min, max, factor float64, kind uint8) {
		ed := Edit{Kind: EditKinds[int(kind)%len(EditKinds)], Left: "SALES", Right: "BUY", Factor: factor, Min: &min, Max: &max, Severity: SevWarning}
		if ed.Kind == EditZeroUnless {
			ed.Right = "ONLINE"
		}
		items := editForm().Items
		edits := []Edit{ed}
		if checkEdits(items, edits) != nil {
			return // the editor refuses it; nothing to evaluate
		}
		s := editForm(edits...)
		vals := map[string]string{"SALES": sales, "BUY": buy, "STAFF": staff, "ONLINE": "是"}
		c := Evaluate(s, Enterprise{Revenue: 100}, vals, &Previous{Year: 2025, Quarter: 1, Amounts: map[string]int64{"SALES": 500}})
		for _, e := range c.Errors {
			if e.Zh == "" || e.En == "" || e.Field == "" {
				t.Fatalf("error without text or field: %+v", e)
			}
		}
		if len(c.Errors) > 0 && len(c.Warnings) > 0 {
			t.Fatalf("a form with item errors was also checked against its edits: %v %v", c.Errors, c.Warnings)
		}
		for _, w := range c.Warnings {
			if w.No != 0 || w.Err.Field != "SALES" || w.Err.Zh == "" || w.Err.En == "" {
				t.Fatalf("warning %+v", w)
			}
		}
		// The same answers always give the same verdict.
		d := Evaluate(s, Enterprise{Revenue: 100}, vals, &Previous{Year: 2025, Quarter: 1, Amounts: map[string]int64{"SALES": 500}})
		if len(d.Errors) != len(c.Errors) || len(d.Warnings) != len(c.Warnings) {
			t.Fatal("Evaluate is not deterministic")
		}
	})
}

func TestCheckEdits(t *testing.T) {
	items := editForm().Items
	for _, c := range []struct {
		name string
		ed   Edit
	}{
		{"unknown kind", Edit{Kind: "regex", Left: "SALES"}},
		{"unknown item", Edit{Kind: EditRange, Left: "NOPE", Max: f64(1)}},
		{"yes/no item in a range", Edit{Kind: EditRange, Left: "ONLINE", Max: f64(1)}},
		{"range without bounds", Edit{Kind: EditRange, Left: "SALES"}},
		{"range upside down", Edit{Kind: EditRange, Left: "SALES", Min: f64(5), Max: f64(1)}},
		{"ratio to itself", Edit{Kind: EditRatio, Left: "SALES", Right: "SALES", Max: f64(1)}},
		{"change factor not above 1", Edit{Kind: EditChange, Left: "SALES", Factor: 1}},
		{"bad severity", Edit{Kind: EditChange, Left: "SALES", Factor: 2, Severity: "maybe"}},
		{"zero unless a money item", Edit{Kind: EditZeroUnless, Left: "SALES", Right: "BUY"}},
	} {
		if err := checkEdits(items, []Edit{c.ed}); err == nil || err.Error() == "" {
			t.Errorf("%s: accepted", c.name)
		}
	}
	ok := []Edit{{Kind: EditRatio, Left: "buy", Right: "sales", Max: f64(2)}, {Kind: EditChange, Left: "SALES", Factor: 4, Severity: SevWarning, Min: f64(1)}}
	if err := checkEdits(items, ok); err != nil {
		t.Fatal(err)
	}
	if ok[0].Left != "BUY" || ok[0].Severity != SevError || ok[1].Min != nil {
		t.Fatalf("normalised: %+v", ok)
	}
}

// quarterSetup creates and draws (as a census) the quarterly surveys of
// 2025 Q1 and Q2 over a small register and returns them with a sampled
// enterprise.
func quarterSetup(t *testing.T, db *store.DB) (q1, q2 *Survey, firm Enterprise) {
	t.Helper()
	ctx := context.Background()
	csv := header
	for i := 1; i <= 6; i++ {
		csv += code("410102", i) + ",季报企业" + string(rune('A'+i)) + ",F5292,410102,小型,否,10,1000\n"
	}
	if res := importCSV(t, db, 2025, csv, all, false); !res.OK() {
		t.Fatal(res.Errors)
	}
	var out []*Survey
	for _, p := range []string{"2025Q1", "2025年第2季度"} {
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "季报 " + p, Period: p, Items: editForm().Items})
		if err != nil {
			t.Fatal(err)
		}
		edits := []Edit{{Kind: EditChange, Left: "SALES", Factor: 3, Severity: SevWarning}, {Kind: EditRatio, Left: "BUY", Right: "SALES", Max: f64(5)}}
		if err := SaveForm(ctx, db, office, id, editForm().Items, edits); err != nil {
			t.Fatal(err)
		}
		s, err := GetSurvey(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 1000, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	list, _, err := Enterprises(ctx, db, Filter{Scopes: all, Query: code("410102", 1)})
	if err != nil || len(list) != 1 {
		t.Fatal(err)
	}
	return out[0], out[1], list[0]
}

func TestQuarterlySurveyWithConfirmedWarning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		q1, q2, firm := quarterSetup(t, db)
		if q1.Quarter != 1 || q2.Quarter != 2 || q2.Period() != "2025Q2" || q2.PeriodText("zh-CN") != "2025 年第 2 季度" || len(q2.Edits) != 2 || !q2.Edits[0].Warning() {
			t.Fatalf("stored surveys: %+v %+v", q1, q2)
		}
		v := func(sales string) map[string]string {
			return map[string]string{"SALES": sales, "BUY": "10", "ONLINE": "是"}
		}
		if err := Submit(ctx, db, office, q1, firm, v("100"), false); err != nil {
			t.Fatal(err)
		}
		// Q2 is five times Q1: the warning must be confirmed with a reason.
		err := Submit(ctx, db, office, q2, firm, v("500"), false)
		var fe *FormError
		if !errors.As(err, &fe) || len(fe.Errors) != 0 || len(fe.Warnings) != 1 || fe.Warnings[0].No != 0 || !strings.Contains(fe.Warnings[0].Err.Zh, "2025 年第 1 季度") {
			t.Fatalf("unconfirmed warning: %v", err)
		}
		if n, _ := Answered(ctx, db, q2.ID); n != 0 {
			t.Fatal("a form with an unconfirmed warning was stored")
		}
		// A reason for the warning does not excuse an error.
		err = SubmitConfirmed(ctx, db, office, q2, firm, map[string]string{"SALES": "500", "BUY": "3000", "ONLINE": "是"}, map[int]string{0: "新开网店"}, false)
		if !errors.As(err, &fe) || len(fe.Errors) != 1 || fe.Errors[0].Field != "BUY" {
			t.Fatalf("error with a reason: %v", err)
		}
		if err := SubmitConfirmed(ctx, db, office, q2, firm, v("500"), map[int]string{0: " 本季度新开网店 "}, false); err != nil {
			t.Fatal(err)
		}
		cs, err := Confirmations(ctx, db, q2.ID, firm.ID)
		if err != nil || len(cs) != 1 || cs[0].Reason != "本季度新开网店" || cs[0].Item != "SALES" || !strings.Contains(cs[0].Text.En, "2025 Q1") {
			t.Fatalf("confirmations %+v %v", cs, err)
		}
		// The last period of Q2 is Q1, not an annual survey.
		prev, err := LastPeriod(ctx, db, q2, firm)
		if err != nil || prev == nil || prev.Quarter != 1 || prev.Amounts["SALES"] != 10000 {
			t.Fatalf("last period %+v %v", prev, err)
		}
		// Answered, the form is locked.
		if err := SaveForm(ctx, db, office, q2.ID, editForm().Items, nil); err != ErrFormLocked {
			t.Fatalf("locked form: %v", err)
		}
		// Resubmitting without the warning drops the confirmation.
		if err := Submit(ctx, db, office, q2, firm, v("120"), false); err != nil {
			t.Fatal(err)
		}
		if cs, _ := Confirmations(ctx, db, q2.ID, firm.ID); len(cs) != 0 {
			t.Fatalf("stale confirmations %+v", cs)
		}
	})
}

func TestRemindersBeforeTheDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		if err := db.Migrate(ctx, notify.Schema); err != nil {
			t.Fatal(err)
		}
		q1, _, firm := quarterSetup(t, db)
		owner, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: "firmowner", DisplayName: "企业", Password: "remind-test-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, office, owner.ID, auth.Enterprise, "410102"); err != nil {
			t.Fatal(err)
		}
		if err := LinkAccount(ctx, db, office, all, firm.ID, owner.ID); err != nil {
			t.Fatal(err)
		}
		staff, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: "countystaff", DisplayName: "县统计员", Password: "remind-test-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, office, staff.ID, auth.Reporter, "410102"); err != nil {
			t.Fatal(err)
		}
		cal := calendar.Embedded()
		// Deadline Friday 2025-07-11, first reminder 2 working days before.
		// with a job engine, a reminder run is enqueued in the transaction
		rec := &recordingEnqueuer{}
		if err := SetSchedule(ctx, db, rec, office, q1.ID, "2025-07-11", 2); err != nil {
			t.Fatal(err)
		}
		if len(rec.kinds) != 1 || rec.kinds[0] != (RemindArgs{}).Kind() {
			t.Fatalf("enqueued %v, want one reminder run", rec.kinds)
		}
		if err := SetSchedule(ctx, db, nil, office, q1.ID, "2025-07-11", 2); err != nil {
			t.Fatal(err)
		}
		if err := SetSchedule(ctx, db, rec, office, q1.ID, "2025-13-01", 2); err == nil || len(rec.kinds) != 1 {
			t.Fatalf("a bad deadline was accepted (%v) or enqueued a run (%v)", err, rec.kinds)
		}
		s, _ := GetSurvey(ctx, db, q1.ID)
		at := func(day string) time.Time {
			d, _ := calendar.ParseDate(day)
			return d.Add(9 * time.Hour)
		}
		for day, want := range map[string]string{"2025-07-08": "", "2025-07-09": StageBefore, "2025-07-10": StageBefore, "2025-07-11": StageDue, "2025-07-12": ""} {
			if got := RemindStage(s, at(day), cal); got != want {
				t.Errorf("stage on %s: %q, want %q", day, got, want)
			}
		}
		if n, err := Remind(ctx, db, at("2025-07-08"), cal); err != nil || n != 0 {
			t.Fatalf("too early: %d %v", n, err)
		}
		// One enterprise answered; the other five are reminded once a stage.
		if err := Submit(ctx, db, office, q1, firm, map[string]string{"SALES": "1", "BUY": "1", "ONLINE": "是"}, false); err != nil {
			t.Fatal(err)
		}
		others, _ := Nonrespondents(ctx, db, q1.ID, all)
		if n, err := Remind(ctx, db, at("2025-07-09"), cal); err != nil || n != len(others) || n != 5 {
			t.Fatalf("first reminder: %d %v", n, err)
		}
		if n, err := Remind(ctx, db, at("2025-07-10"), cal); err != nil || n != 0 {
			t.Fatalf("second run of the same stage: %d %v", n, err)
		}
		if n, err := Remind(ctx, db, at("2025-07-11"), cal); err != nil || n != 5 {
			t.Fatalf("deadline reminder: %d %v", n, err)
		}
		// The deadline moved a week later reminds again before it.
		if err := SetSchedule(ctx, db, nil, office, q1.ID, "2025-07-18", 1); err != nil {
			t.Fatal(err)
		}
		if n, err := Remind(ctx, db, at("2025-07-17"), cal); err != nil || n != 5 {
			t.Fatalf("reminder of the new deadline: %d %v", n, err)
		}
		rs, err := Reminders(ctx, db, q1.ID)
		if err != nil || len(rs) != 5 || len(rs[firm.ID]) != 0 || len(rs[others[0].ID]) != 3 || rs[others[0].ID][0].Stage != StageBefore ||
			rs[others[0].ID][0].Deadline != "2025-07-11" || rs[others[0].ID][2].Deadline != "2025-07-18" {
			t.Fatalf("reminders %v %v", rs, err)
		}
		// The county's staff got one message a stage counting the five; the
		// enterprise that answered got none.
		msgs, err := notify.List(ctx, db, staff.ID, 10)
		if err != nil || len(msgs) != 3 || len(msgs[0].Args) != 4 || msgs[0].Args[3].Zh != "5" || !strings.Contains(msgs[0].Link, "/nonrespondents") {
			t.Fatalf("staff inbox %+v %v", msgs, err)
		}
		if msgs, _ := notify.List(ctx, db, owner.ID, 10); len(msgs) != 0 {
			t.Fatalf("the answered enterprise was reminded: %+v", msgs)
		}
	})
}

func TestLoadFormsDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		if err := LoadFormsDemo(ctx, db); err != nil { // no register: nothing
			t.Fatal(err)
		}
		loadSynthetic(t, db, 1500)
		for i := 0; i < 2; i++ { // idempotent
			if err := LoadFormsDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		surveys, err := Surveys(ctx, db)
		if err != nil || len(surveys) != 1 {
			t.Fatalf("surveys %v %v", surveys, err)
		}
		s := surveys[0]
		warns := 0
		for _, ed := range s.Edits {
			if ed.Warning() {
				warns++
			}
		}
		if s.Period() != DemoQuarter || s.Deadline == "" || s.RemindDays != DefaultRemindDays || warns != 3 {
			t.Fatalf("demo quarter %+v", s)
		}
		if d, err := GetDesign(ctx, db, s.ID); err != nil || d.SampleSize == 0 {
			t.Fatalf("design %+v %v", d, err)
		}
	})
}

// recordingEnqueuer records the kinds of the jobs enqueued with it.
type recordingEnqueuer struct{ kinds []string }

func (r *recordingEnqueuer) InsertTx(_ context.Context, _ *store.Tx, args jobs.Args, _ *jobs.InsertOpts) (jobs.Inserted, error) {
	r.kinds = append(r.kinds, args.Kind())
	return jobs.Inserted{}, nil
}
