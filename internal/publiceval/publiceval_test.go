package publiceval

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

var staff = audit.Actor{UserID: 2, Name: "county staff"}

func all(string) bool { return true }

// setup migrates the tables, loads the divisions, registers one site of
// 中原区 (410102) and returns a service whose clock is at.
func setup(t *testing.T, db *store.DB, at time.Time) (*Service, string) {
	t.Helper()
	ctx := context.Background()
	// once per test process into a template that each test's store copies
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, webcheck.Schema, Schema); err != nil {
			return err
		}
		_, err := orgunit.Load(ctx, db, nil, nil)
		return err
	}
	if !storetest.FillFromTemplate(t, db, "publiceval", build) {
		if err := build(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	site, err := webcheck.CreateSite(ctx, db, staff, webcheck.SiteInput{URL: "https://www.zhongyuan.gov.cn", Name: "中原区人民政府", Kind: "county", OrgCode: "410102"}, all)
	if err != nil {
		t.Fatal(err)
	}
	now := at
	s := &Service{DB: db, Now: func() time.Time { return now }}
	return s, SiteKey(site.ID)
}

func TestRateAndHandleABadRating(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Monday 2 March 2026, 10:00 in Shanghai
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
		s, key := setup(t, db, at)

		good, err := s.Rate(ctx, Input{Target: key, Level: VerySatisfied, Tags: []string{"findable", "accurate", "findable"}, IP: "203.0.113.1", Channel: ChannelWeb}, false)
		if err != nil {
			t.Fatal(err)
		}
		if good.CaseID != 0 || !reflect.DeepEqual(good.Tags, []string{"accurate", "findable"}) || good.Month != "202603" {
			t.Fatalf("a good rating: %+v", good)
		}
		bad, err := s.Rate(ctx, Input{Target: key, Level: VeryDissatisfied, Tags: []string{"outdated"}, Comment: "<script>alert(1)</script> 指南过期",
			Case: "ZY-2026-0001", Name: "张三", Phone: "13812345678", IP: "203.0.113.2", Channel: ChannelWeb}, false)
		if err != nil {
			t.Fatal(err)
		}
		if bad.CaseID == 0 {
			t.Fatal("a 差评 opened no case")
		}
		// one rating per case
		if _, err := s.Rate(ctx, Input{Target: key, Level: Satisfied, Case: "ZY-2026-0001", IP: "203.0.113.3"}, false); !errors.Is(err, ErrCaseRated) {
			t.Fatalf("second rating of a case: %v", err)
		}
		c, err := GetCase(ctx, db, bad.CaseID)
		if err != nil {
			t.Fatal(err)
		}
		if c.OrgCode != "410102" || c.State != StateNew || c.MaskedName != "张*" || c.MaskedTel != "138****5678" {
			t.Fatalf("case: %+v", c)
		}
		// first contact: the end of the next working day (Tuesday 3 March)
		if got := c.ContactDue.In(shanghai).Format("2006-01-02 15:04:05"); got != "2026-03-03 23:59:59" {
			t.Fatalf("contact due %s", got)
		}
		// steps out of order are refused with a bilingual message
		err = s.Do(ctx, staff, c.ID, Step{Kind: "answer", Text: "x"}, all)
		var ue *i18n.Error
		if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
			t.Fatalf("answer before contact: %v", err)
		}
		outside := func(p string) bool { return strings.HasPrefix(p, "/41/4102/") }
		if err := s.Do(ctx, staff, c.ID, Step{Kind: "contact", Text: "电话"}, outside); !errors.Is(err, ErrOutside) {
			t.Fatalf("a unit outside: %v", err)
		}
		for _, st := range []Step{{Kind: "contact", Text: "已电话联系"}, {Kind: "triage", Choice: TriageDeadline, Text: "更新办事指南"}} {
			if err := s.Do(ctx, staff, c.ID, st, all); err != nil {
				t.Fatalf("%s: %v", st.Kind, err)
			}
		}
		c, _ = GetCase(ctx, db, c.ID)
		// five working days after Monday 2 March: Monday 9 March
		if c.State != StateHandling || c.RectifyDue != "2026-03-09" || c.Triage != TriageDeadline {
			t.Fatalf("after triage: %+v", c)
		}
		for _, st := range []Step{{Kind: "answer", Text: "已更新"}, {Kind: "satisfaction", Choice: SatisfactionYes}} {
			if err := s.Do(ctx, staff, c.ID, st, all); err != nil {
				t.Fatalf("%s: %v", st.Kind, err)
			}
		}
		st, err := Stats(ctx, db, "/41/", Period{From: "202603", To: "202603"})
		if err != nil {
			t.Fatal(err)
		}
		want := Counts{Total: 2, Levels: [5]int64{1, 0, 0, 0, 1}, Cases: 1, Contacted: 1, Rectified: 1, OnTime: 1, Satisfied: 1}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
		if st.Satisfaction().String() != "50.0%" || st.RectifyRate().String() != "100.0%" {
			t.Fatalf("rates %s %s", st.Satisfaction(), st.RectifyRate())
		}
		// identity: audited on every access
		who, err := s.Identity(ctx, staff, c.ID, all)
		if err != nil || who.Name != "张三" || who.Phone != "13812345678" {
			t.Fatalf("identity %+v %v", who, err)
		}
		if _, err := s.Identity(ctx, staff, c.ID, outside); !errors.Is(err, ErrOutside) {
			t.Fatalf("identity outside: %v", err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'view_identity'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("identity accesses audited: %d %v", n, err)
		}
		tl, err := Timeline(ctx, db, c.ID)
		if err != nil || len(tl) != 5 {
			t.Fatalf("timeline %d %v", len(tl), err)
		}
	})
}

func TestAppealJudgedMaliciousLeavesStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, key := setup(t, db, time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai))
		r, err := s.Rate(ctx, Input{Target: key, Level: Dissatisfied, IP: "203.0.113.9"}, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []Step{{Kind: "contact", Text: "联系"}, {Kind: "triage", Choice: TriageAppeal, Text: "与本单位无关"}, {Kind: "appeal", Choice: "upheld", Text: "经核查属恶意评价"}} {
			if err := s.Do(ctx, staff, r.CaseID, st, all); err != nil {
				t.Fatalf("%s: %v", st.Kind, err)
			}
		}
		st, err := Stats(ctx, db, "/41/4101/", Period{From: "202603", To: "202603"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != 1 || st.Excluded != 1 || st.Valid() != 0 || st.Cases != 0 {
			t.Fatalf("stats after a malicious rating: %+v", st)
		}
		var excluded bool
		if err := db.R.QueryRowContext(ctx, `SELECT excluded FROM publiceval_rating WHERE id = $1`, r.ID).Scan(&excluded); err != nil || !excluded {
			t.Fatalf("rating kept and excluded: %v %v", excluded, err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'appeal_upheld' AND after_json LIKE '%恶意%'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the decision and its reason audited: %d %v", n, err)
		}
	})
}

func TestAbuseIsFlaggedNotDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, key := setup(t, db, time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai))
		var flagged int
		for i := 0; i < BurstIP+2; i++ {
			r, err := s.Rate(ctx, Input{Target: key, Level: VeryDissatisfied, IP: "198.51.100.7", UserAgent: fmt.Sprint("ua", i)}, false)
			if err != nil {
				t.Fatal(err)
			}
			if r.Suspicious() {
				flagged++
				if r.CaseID != 0 {
					t.Fatal("a suspicious 差评 opened a case")
				}
			}
		}
		if flagged != 2 {
			t.Fatalf("burst from one address: %d flagged, want 2", flagged)
		}
		hp, err := s.Rate(ctx, Input{Target: key, Level: Satisfied, IP: "192.0.2.1", Website: "x"}, false)
		if err != nil || !reflect.DeepEqual(hp.Flags, []string{FlagHoneypot}) {
			t.Fatalf("honeypot: %+v %v", hp, err)
		}
		for i := 0; i < BurstPhone+1; i++ {
			r, err := s.Rate(ctx, Input{Target: key, Level: Satisfied, IP: fmt.Sprintf("192.0.%d.1", 10+i), Name: "李四", Phone: "13900001111", Case: fmt.Sprintf("CASE-%d", i)}, false)
			if err != nil {
				t.Fatal(err)
			}
			if (i >= BurstPhone) != r.Suspicious() {
				t.Fatalf("phone rating %d flags %v", i, r.Flags)
			}
		}
		st, err := Stats(ctx, db, "/41/", Period{From: "202603", To: "202603"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != int64(BurstIP+2+1+BurstPhone+1) || st.Suspicious != 4 {
			t.Fatalf("stored and counted apart: %+v", st)
		}
	})
}

// TestFiguresEqualRecomputation runs random ratings and case steps and
// checks after each batch that the month figures kept incrementally equal
// a recomputation from the ratings and cases.
func TestFiguresEqualRecomputation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2025, 11, 20, 9, 0, 0, 0, shanghai)
		s, key := setup(t, db, start)
		other, err := AddTarget(ctx, db, staff, NewTarget{Kind: KindService, Name: "社保办理", OrgCode: "4102"}, all)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(7, 14))
		now := start
		s.Now = func() time.Time { return now }
		var cases []int64
		steps := []Step{{Kind: "contact", Text: "c"}, {Kind: "triage", Choice: TriageImmediate}, {Kind: "triage", Choice: TriageAppeal, Text: "a"},
			{Kind: "answer", Text: "a"}, {Kind: "satisfaction", Choice: SatisfactionNo}, {Kind: "satisfaction", Choice: SatisfactionYes},
			{Kind: "appeal", Choice: "upheld", Text: "u"}, {Kind: "appeal", Choice: "rejected", Text: "r"}}
		for batch := 0; batch < 6; batch++ {
			for i := 0; i < 40; i++ {
				now = now.Add(time.Duration(rng.IntN(30)) * time.Hour)
				if rng.IntN(3) > 0 || len(cases) == 0 {
					k := key
					if rng.IntN(2) == 0 {
						k = other.Key
					}
					in := Input{Target: k, Level: 1 + rng.IntN(5), IP: fmt.Sprintf("10.0.%d.%d", rng.IntN(4), rng.IntN(3))}
					if rng.IntN(10) == 0 {
						in.Website = "bot"
					}
					r, err := s.Rate(ctx, in, false)
					if err != nil {
						t.Fatal(err)
					}
					if r.CaseID != 0 {
						cases = append(cases, r.CaseID)
					}
					continue
				}
				err := s.Do(ctx, staff, cases[rng.IntN(len(cases))], steps[rng.IntN(len(steps))], all)
				var ue *i18n.Error
				if err != nil && !errors.As(err, &ue) {
					t.Fatal(err)
				}
			}
			got, err := Stored(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Recompute(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("batch %d: stored figures differ from a recomputation:\n%v\n%v", batch, got, want)
			}
		}
		var total int64
		got, _ := Stored(ctx, db)
		for _, c := range got {
			total += c.Total
		}
		if total == 0 || len(cases) == 0 {
			t.Fatal("the property test exercised nothing")
		}
	})
}

func TestParseRejectsBadInput(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field": `{"target":"site-1","level":5,"x":1}`,
		"level 0":       `{"target":"site-1","level":0}`,
		"level 6":       `{"target":"site-1","level":6}`,
		"bad tag":       `{"target":"site-1","level":5,"tags":["outdated"]}`,
		"long comment":  `{"target":"site-1","level":5,"comment":"` + strings.Repeat("长", MaxComment+1) + `"}`,
		"no target":     `{"level":5}`,
		"name no case":  `{"target":"site-1","level":5,"name":"王五","phone":"13812345678"}`,
		"bad phone":     `{"target":"site-1","level":5,"phone":"12345","case":"ABCD1"}`,
		"trailing":      `{"target":"site-1","level":5} {}`,
		"invalid utf8":  "{\"target\":\"site-1\",\"level\":5,\"comment\":\"\xff\"}",
		"control":       `{"target":"site-1","level":5,"comment":"a\u0000b"}`,
	} {
		_, err := ParseJSON([]byte(body))
		var ue *i18n.Error
		if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
	in, err := ParseForm(url.Values{"target": {" site-1 "}, "level": {"2"}, "tags": {"broken", "outdated"}, "comment": {" 打不开 "}})
	if err != nil || in.Target != "site-1" || in.Level != 2 || in.Comment != "打不开" || len(in.Tags) != 2 {
		t.Fatalf("form: %+v %v", in, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"target":"site-1","level":5,"tags":["accurate"],"comment":"好","case":"AB-1234","name":"张三","phone":"13812345678"}`))
	f.Add([]byte(`{"target":"service-3","level":1,"tags":["broken","outdated"]}`))
	f.Add([]byte("target=site-1&level=2&tags=broken&comment=%3Cscript%3E"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func() (Input, error){
			func() (Input, error) { return ParseJSON(b) },
			func() (Input, error) {
				v, err := url.ParseQuery(string(b))
				if err != nil {
					return Input{}, i18n.Errorf("x", "x")
				}
				return ParseForm(v)
			},
		} {
			in, err := parse()
			if err != nil {
				var ue *i18n.Error
				if !errors.As(err, &ue) {
					t.Fatalf("not a bilingual error: %v", err)
				}
				continue
			}
			if _, ok := Levels[in.Level]; !ok || in.Target == "" || len([]rune(in.Comment)) > MaxComment || len(in.Tags) > MaxTags {
				t.Fatalf("accepted an invalid rating: %+v", in)
			}
			for _, tag := range in.Tags {
				if !strings.Contains(fmt.Sprint(TagsFor(in.Level)), tag) {
					t.Fatalf("tag %q with level %d", tag, in.Level)
				}
			}
		}
	})
}

func TestOverdueAlertsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
		s, key := setup(t, db, at)
		r, err := s.Rate(ctx, Input{Target: key, Level: VeryDissatisfied, IP: "203.0.113.50"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if a, err := s.Alerts(ctx); err != nil || len(a) != 0 {
			t.Fatalf("before the deadline: %v %v", a, err)
		}
		u, err := auth.CreateUser(ctx, db, staff, auth.NewUser{Name: "zy", Password: "long-password-zy"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, staff, u.ID, auth.Reporter, "410102"); err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return at.AddDate(0, 0, 3) }
		a, err := s.Alerts(ctx)
		if err != nil || len(a) != 1 || a[0].CaseID != r.CaseID || a[0].Kind != "contact" || a[0].OrgPath != "/41/4101/410102/" {
			t.Fatalf("overdue contact: %+v %v", a, err)
		}
		if a, err := s.Alerts(ctx); err != nil || len(a) != 0 {
			t.Fatalf("alerted twice: %v %v", a, err)
		}
		msgs, err := notify.List(ctx, db, u.ID, 10)
		if err != nil || len(msgs) != 1 || !strings.Contains(msgs[0].Link, fmt.Sprint(r.CaseID)) {
			t.Fatalf("the county's reporter was not told: %+v %v", msgs, err)
		}
		c, _ := GetCase(ctx, db, r.CaseID)
		if !c.Overdue(s.now()) {
			t.Fatal("the case does not show as overdue")
		}
	})
}

func TestRankingAndPeriods(t *testing.T) {
	for _, bad := range []string{"", "2026-03", "202613", "20", "abcd"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("period %q accepted", bad)
		}
	}
	if p, err := ParsePeriod("2026"); err != nil || p.From != "202601" || p.To != "202612" {
		t.Fatalf("year: %+v %v", p, err)
	}
	rows := rank([]RankRow{
		{Code: "a", Counts: Counts{Levels: [5]int64{1, 0, 0, 0, 2}}},
		{Code: "b", Counts: Counts{Levels: [5]int64{0, 0, 0, 0, 1}}},
		{Code: "c"},
		{Code: "d", Counts: Counts{Levels: [5]int64{2, 0, 0, 0, 4}}},
	})
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r.Code, r.Rank))
	}
	if strings.Join(got, " ") != "b1 d2 a3 c0" {
		t.Fatalf("ranking %v", got)
	}
	if MaskPhone("13812345678") != "138****5678" || MaskName("欧阳修") != "欧**" {
		t.Fatal("masks")
	}
}

func TestDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db, time.Now())
		if _, err := webcheck.LoadDemoSites(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := LoadDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := LoadDemo(ctx, db); err != nil { // idempotent
			t.Fatal(err)
		}
		states := map[string]int{}
		rows, err := db.R.QueryContext(ctx, `SELECT state, COUNT(*) FROM publiceval_case GROUP BY state`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				t.Fatal(err)
			}
			states[s] = n
		}
		rows.Close()
		for _, s := range []string{StateNew, StateClosed, StateExcluded} {
			if states[s] == 0 {
				t.Errorf("no demo case %s: %v", s, states)
			}
		}
		if len(states) < 6 {
			t.Errorf("demo cases in only %d states: %v", len(states), states)
		}
		var n, months int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT month) FROM publiceval_rating WHERE demo`).Scan(&n, &months); err != nil || n != 480 || months < 12 {
			t.Fatalf("demo ratings %d over %d months %v", n, months, err)
		}
		a, _ := Stored(ctx, db)
		b, _ := Recompute(ctx, db)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("demo figures differ from a recomputation")
		}
	})
}

// TestGroupCommit sends ratings from many goroutines through a service
// with group commit: every rating answered without error is stored with
// the flags, case and figures it would get alone; each case number is
// taken by exactly one rating even when several arrive in one batch; the
// figures equal a recomputation.
func TestGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, key := setup(t, db, time.Date(2026, 5, 6, 10, 0, 0, 0, shanghai))
		s.GroupCommit = true
		const workers, each = 12, 25
		type answer struct {
			r   Rating
			err error
			in  Input
		}
		answers := make(chan answer, workers*each)
		done := make(chan struct{})
		for w := 0; w < workers; w++ {
			go func(w int) {
				defer func() { done <- struct{}{} }()
				for i := 0; i < each; i++ {
					in := Input{Target: key, Level: 1 + (w+i)%5, IP: fmt.Sprintf("10.%d.%d.1", w, i), UserAgent: "ua"}
					if i%5 == 0 {
						// every worker names the same few cases: one wins each
						in.Case, in.Name, in.Phone = fmt.Sprintf("CASE-%d", i), "王五", fmt.Sprintf("1390000%02d%02d", w, i)
					}
					if w == 0 && i < BurstIP+2 {
						in.IP = "203.0.113.9" // a burst from one address
					}
					r, err := s.Rate(ctx, in, false)
					answers <- answer{r, err, in}
				}
			}(w)
		}
		for w := 0; w < workers; w++ {
			<-done
		}
		close(answers)
		ok, caseRated, flagged := 0, 0, 0
		byCase := map[string]int{}
		for a := range answers {
			switch {
			case errors.Is(a.err, ErrCaseRated):
				caseRated++
				continue
			case a.err != nil:
				t.Fatal(a.err)
			}
			ok++
			if a.in.Case != "" {
				byCase[a.in.Case]++
			}
			if a.r.Suspicious() {
				flagged++
			}
			var level int
			var flags string
			var caseID *int64
			if err := db.R.QueryRowContext(ctx, `SELECT r.level, r.flags, c.id FROM publiceval_rating r LEFT JOIN publiceval_case c ON c.rating_id = r.id WHERE r.id = $1`,
				a.r.ID).Scan(&level, &flags, &caseID); err != nil || level != a.in.Level || flags != strings.Join(a.r.Flags, ",") {
				t.Fatalf("rating %d: level %d flags %q %v, answered %+v", a.r.ID, level, flags, err, a.r)
			}
			if want := IsBad(a.in.Level) && !a.r.Suspicious(); want != (caseID != nil) || (caseID != nil && *caseID != a.r.CaseID) {
				t.Fatalf("rating %d: case %v, answered %d", a.r.ID, caseID, a.r.CaseID)
			}
		}
		for c, n := range byCase {
			if n != 1 {
				t.Fatalf("case %s rated %d times", c, n)
			}
		}
		if s.group.largest < 2 {
			t.Fatalf("no two ratings shared a transaction (largest batch %d)", s.group.largest)
		}
		if len(byCase) != each/5 || caseRated != (workers-1)*len(byCase) || flagged < 2 {
			t.Fatalf("%d cases, %d refused as rated, %d flagged", len(byCase), caseRated, flagged)
		}
		var stored int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating`).Scan(&stored); err != nil || stored != ok {
			t.Fatalf("%d stored, %d answered %v", stored, ok, err)
		}
		got, err := Stored(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Recompute(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("figures %v, recomputed %v", got, want)
		}
	})
}

// TestReviewFlagged: the office releases a flagged 差评 (it opens its
// case and enters the figures), confirms another as abuse (it stays out),
// cannot review either again nor one outside its units; both decisions
// audited; the figures equal a recomputation.
func TestReviewFlagged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, key := setup(t, db, time.Date(2026, 6, 1, 10, 0, 0, 0, shanghai))
		var ids []int64
		for i := 0; i < 3; i++ {
			r, err := s.Rate(ctx, Input{Target: key, Level: VeryDissatisfied, IP: fmt.Sprintf("192.0.2.%d", i), Website: "robot"}, false)
			if err != nil || !r.Suspicious() || r.CaseID != 0 {
				t.Fatalf("flagged rating: %+v %v", r, err)
			}
			ids = append(ids, r.ID)
		}
		list, total, err := FlaggedRatings(ctx, db, FlagFilter{Scopes: []string{"/41/"}, Flag: FlagHoneypot})
		if err != nil || total != 3 || len(list) != 3 || list[0].Flags[0] != FlagHoneypot {
			t.Fatalf("flagged list: %d %+v %v", total, list, err)
		}
		if err := s.Review(ctx, staff, ids[0], ReviewReleased, "", all); err == nil {
			t.Fatal("a review without a reason")
		}
		if err := s.Review(ctx, staff, ids[0], ReviewReleased, "回访确认为真实评价", func(string) bool { return false }); !errors.Is(err, ErrOutside) {
			t.Fatalf("outside the caller's units: %v", err)
		}
		if err := s.Review(ctx, staff, ids[0], ReviewReleased, "回访确认为真实评价", all); err != nil {
			t.Fatal(err)
		}
		if err := s.Review(ctx, staff, ids[1], ReviewAbuse, "机器刷评", all); err != nil {
			t.Fatal(err)
		}
		for _, id := range ids[:2] {
			if err := s.Review(ctx, staff, id, ReviewAbuse, "again", all); err != ErrReviewed {
				t.Fatalf("second review of %d: %v", id, err)
			}
		}
		cases, err := Cases(ctx, db, CaseFilter{Scopes: []string{"/41/"}})
		if err != nil || len(cases) != 1 || cases[0].RatingID != ids[0] || cases[0].OrgCode != "410102" {
			t.Fatalf("cases: %+v %v", cases, err)
		}
		st, err := Stats(ctx, db, "/41/", Period{From: "202606", To: "202606"})
		if err != nil || st.Total != 3 || st.Suspicious != 2 || st.Levels[0] != 1 || st.Cases != 1 {
			t.Fatalf("figures: %+v %v", st, err)
		}
		pending, total, err := FlaggedRatings(ctx, db, FlagFilter{Scopes: []string{"/41/"}})
		if err != nil || total != 1 || pending[0].ID != ids[2] {
			t.Fatalf("pending: %+v %v", pending, err)
		}
		released, _, err := FlaggedRatings(ctx, db, FlagFilter{Scopes: []string{"/41/"}, Review: ReviewReleased})
		if err != nil || len(released) != 1 || released[0].CaseID == 0 || len(released[0].Flags) != 1 {
			t.Fatalf("released: %+v %v", released, err)
		}
		var audited int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'publiceval_rating' AND action IN ('release', 'confirm_abuse')`).Scan(&audited); err != nil || audited != 2 {
			t.Fatalf("audited %d %v", audited, err)
		}
		got, _ := Stored(ctx, db)
		want, _ := Recompute(ctx, db)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("figures %v, recomputed %v", got, want)
		}
	})
}
