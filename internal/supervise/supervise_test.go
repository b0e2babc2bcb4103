package supervise

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/progress"
	"zhihui/internal/publiceval"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

var office = audit.Actor{UserID: 1, Name: "office"}
var county = audit.Actor{UserID: 2, Name: "county"}

const province = "/41/"

func setup(t *testing.T, db *store.DB, today string) *Service {
	t.Helper()
	// The schemas and the 55,164 org units: written once per test process
	// into a template each SQLite test copies.
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, monitor.Schema, reporting.Schema, webcheck.Schema, publiceval.Schema, Schema); err != nil {
			return err
		}
		var depts []orgunit.Unit
		for _, d := range plan.Departments() {
			depts = append(depts, orgunit.Unit{Code: d.Code, Name: d.Name, Kind: orgunit.Department})
		}
		_, err := orgunit.Load(ctx, db, depts, nil)
		return err
	}
	if !storetest.FillFromTemplate(t, db, "supervise", build) {
		if err := build(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
	s := New(db)
	d, err := ParseDate(today)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return d.Add(10 * time.Hour) }
	return s
}

func firstTask() string { return plan.Default().Tasks(plan.TaskFilter{})[0].ID }

func pathOf(t *testing.T, db *store.DB, code string) string {
	t.Helper()
	u, err := orgunit.Get(context.Background(), db, code)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func TestItemLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2015-03-02")
		ids, err := s.Create(ctx, office, []string{province}, NewItem{Year: 2015, TaskID: firstTask(), Fanout: "cities", Due: "2015-06-30",
			Milestones: []Milestone{{Date: "2015-04-30", Percent: 40, Text: "方案"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 18 {
			t.Fatalf("issued to all cities: %d items, want 18", len(ids))
		}
		counties, err := s.Create(ctx, office, []string{province}, NewItem{Year: 2015, TaskID: firstTask(), Fanout: "counties", DueDays: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(counties) < 100 {
			t.Fatalf("issued to all counties: %d items", len(counties))
		}
		if few, err := s.Items(ctx, Filter{Scopes: []string{province}, Limit: 5}); err != nil || len(few) != 5 {
			t.Fatalf("a capped list: %d %v", len(few), err)
		}
		if every, err := s.Items(ctx, Filter{Scopes: []string{province}, Limit: -1}); err != nil || len(every) != 18+len(counties) {
			t.Fatalf("every item: %d %v", len(every), err)
		}
		// 20 working days from Monday 2 March 2015 is Monday 30 March.
		it, err := s.Item(ctx, []string{province}, counties[0])
		if err != nil || it.Due != "2015-03-30" || it.BatchID != counties[0] {
			t.Fatalf("county item: %+v, %v", it, err)
		}
		zz := pathOf(t, db, "4101")
		// A city office cannot issue to another city.
		if _, err := s.Create(ctx, office, []string{zz}, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4102"}, Due: "2015-06-30"}); !IsOutside(err) {
			t.Fatalf("issue outside: %v", err)
		}
		one, err := s.Create(ctx, office, []string{province}, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"410102"}, Due: "2015-06-30"})
		if err != nil {
			t.Fatal(err)
		}
		id := one[0]
		unitScope := []string{pathOf(t, db, "410102")}
		// Scoping: another county sees nothing of it.
		if _, err := s.Item(ctx, []string{pathOf(t, db, "410202")}, id); !IsOutside(err) {
			t.Fatalf("read outside: %v", err)
		}
		list, err := s.Items(ctx, Filter{Scopes: unitScope})
		if err != nil || len(list) != 2 || (list[0].ID != id && list[1].ID != id) {
			t.Fatalf("unit list: %v %v", list, err)
		}
		if err := s.Report(ctx, county, unitScope, id, Progress{Text: "已完成方案起草", Percent: 30,
			Files: []Upload{{Name: "方案.pdf", Data: []byte("%PDF-1.4 test")}}}); err != nil {
			t.Fatal(err)
		}
		// Bad attachments leave nothing behind.
		for _, f := range []Upload{{Name: "x.exe", Data: []byte("MZ")}, {Name: "x.pdf", Data: []byte("not a pdf at all")}, {Name: "big.txt", Data: bytes.Repeat([]byte("a"), MaxAttachment+1)}} {
			err := s.Report(ctx, county, unitScope, id, Progress{Text: "x", Percent: 50, Files: []Upload{f}})
			var ue *i18n.Error
			if !errors.As(err, &ue) {
				t.Fatalf("%s: %v, want a user error", f.Name, err)
			}
		}
		tl, err := s.Timeline(ctx, unitScope, id)
		if err != nil || len(tl) != 2 || tl[1].Percent != 30 || len(tl[1].Attachments) != 1 {
			t.Fatalf("timeline: %+v %v", tl, err)
		}
		at, data, err := s.AttachmentData(ctx, unitScope, tl[1].Attachments[0].ID)
		if err != nil || at.ContentType != "application/pdf" || string(data) != "%PDF-1.4 test" {
			t.Fatalf("attachment: %+v %q %v", at, data, err)
		}
		if _, _, err := s.AttachmentData(ctx, []string{pathOf(t, db, "410202")}, at.ID); !IsOutside(err) {
			t.Fatalf("attachment outside: %v", err)
		}
		// Extension: refused without reason, then approved.
		if err := s.RequestExtension(ctx, county, unitScope, id, "2015-06-01", "因故"); err == nil {
			t.Fatal("an earlier deadline was accepted")
		}
		if err := s.RequestExtension(ctx, county, unitScope, id, "2015-07-31", "需要等待省级平台上线"); err != nil {
			t.Fatal(err)
		}
		if err := s.RequestExtension(ctx, county, unitScope, id, "2015-08-31", "再延"); err == nil {
			t.Fatal("a second waiting request was accepted")
		}
		if err := s.DecideExtension(ctx, office, []string{province}, id, false, ""); err == nil {
			t.Fatal("a refusal without reason was accepted")
		}
		if err := s.DecideExtension(ctx, office, []string{province}, id, true, ""); err != nil {
			t.Fatal(err)
		}
		it, _ = s.Item(ctx, unitScope, id)
		if it.Due != "2015-07-31" || it.OriginalDue != "2015-06-30" || it.ExtensionPending != "" {
			t.Fatalf("after approval: %+v", it)
		}
		// Return, report again, close; closed is final.
		if err := s.Return(ctx, office, []string{province}, id, "材料不全"); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx, office, []string{province}, id, ""); err == nil {
			t.Fatal("a returned item was closed")
		}
		if err := s.Report(ctx, county, unitScope, id, Progress{Text: "补充材料", Percent: 90}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(ctx, office, []string{province}, id, "通过"); err != nil {
			t.Fatal(err)
		}
		if err := s.Report(ctx, county, unitScope, id, Progress{Text: "x", Percent: 100}); err == nil {
			t.Fatal("a closed item took a report")
		}
		tl, _ = s.Timeline(ctx, unitScope, id)
		var kinds []string
		for _, e := range tl {
			kinds = append(kinds, e.Kind)
		}
		want := []string{"issue", "progress", "extension_request", "extension_approve", "return", "progress", "close"}
		if len(kinds) != len(want) {
			t.Fatalf("timeline kinds %v, want %v", kinds, want)
		}
		for i := range want {
			if kinds[i] != want[i] {
				t.Fatalf("timeline kinds %v, want %v", kinds, want)
			}
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'supervise_item' AND entity_id = $1`, itoa(id)).Scan(&n); err != nil || n != 7 {
			t.Fatalf("audit entries %d, %v", n, err)
		}
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM supervise_attachment`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("attachments %d, %v", n, err)
		}
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestLightsOverdueAndAssessment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2015-01-05")
		all := []string{province}
		mk := func(unit, due string) int64 {
			ids, err := s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{unit}, Start: "2015-01-05", Due: due})
			if err != nil {
				t.Fatal(err)
			}
			return ids[0]
		}
		onTime := mk("4101", "2015-03-31")
		late := mk("4102", "2015-03-31")
		overdue := mk("4102", "2015-03-31")
		soon := mk("4103", "2015-04-03")
		extended := mk("4103", "2015-03-31")
		at := func(d string) {
			x, _ := ParseDate(d)
			s.Now = func() time.Time { return x.Add(9 * time.Hour) }
		}
		at("2015-03-10")
		must(t, s.Report(ctx, county, all, onTime, Progress{Text: "ok", Percent: 80}))
		must(t, s.Report(ctx, county, all, soon, Progress{Text: "ok", Percent: 90}))
		must(t, s.RequestExtension(ctx, county, all, extended, "2015-05-29", "等待"))
		must(t, s.DecideExtension(ctx, office, all, extended, true, ""))
		at("2015-03-30")
		must(t, s.Close(ctx, office, all, onTime, ""))
		at("2015-04-01")
		it, _ := s.Item(ctx, all, soon)
		if it.Light != Blue {
			t.Fatalf("due in two working days: %s (%s)", it.Light, it.LightWhy)
		}
		it, _ = s.Item(ctx, all, overdue)
		if it.Light != Red {
			t.Fatalf("overdue: %s", it.Light)
		}
		it, _ = s.Item(ctx, all, extended)
		if it.Light != Yellow || it.LightWhy != "behind_schedule" {
			t.Fatalf("no progress at 60%% of the time: %s (%s)", it.Light, it.LightWhy)
		}
		ov, err := s.Overdue(ctx, all, 2015)
		if err != nil || len(ov) != 1 || ov[0].Unit != "4102" || len(ov[0].Items) != 2 {
			t.Fatalf("overdue by unit: %+v %v", ov, err)
		}
		reds, err := s.Items(ctx, Filter{Scopes: all, Light: Red})
		if err != nil || len(reds) != 2 {
			t.Fatalf("red items %d %v", len(reds), err)
		}
		at("2015-04-10")
		must(t, s.Close(ctx, office, all, late, ""))
		at("2015-05-20")
		must(t, s.Close(ctx, office, all, extended, ""))
		at("2016-02-01")
		a, err := s.Assess(ctx, DefaultSchemes(), all, 2015, "city")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]Row{}
		for _, r := range a.Rows {
			got[r.Unit] = r
		}
		// 4101: one on time → 100. 4102: late 60 + not done 0 → 30.
		// 4103: extended 85 + soon (not done by year end) 0 → 42.5.
		for unit, want := range map[string]float64{"4101": 100, "4102": 30, "4103": 42.5} {
			r := got[unit]
			if r.Score == nil || *r.Score != want {
				t.Fatalf("%s score %v, want %v (%+v)", unit, r.Score, want, r)
			}
			if r.Parts[1].Assessed || r.Parts[1].Score != nil {
				t.Fatalf("%s: indicators part should be not assessed: %+v", unit, r.Parts[1])
			}
		}
		if got["4101"].Rank != 1 || got["4103"].Rank != 2 || got["4102"].Rank != 3 || got["4104"].Rank != 0 || got["4104"].Score != nil {
			t.Fatalf("ranks: %+v", a.Rows[:4])
		}
		// A closed year recomputes to the same result later, whatever
		// happens to its items afterwards.
		must(t, s.Report(ctx, county, all, soon, Progress{Text: "done late", Percent: 100}))
		at("2016-03-01")
		must(t, s.Close(ctx, office, all, soon, ""))
		b, err := s.Assess(ctx, DefaultSchemes(), all, 2015, "city")
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Rows {
			if a.Rows[i].Unit != b.Rows[i].Unit || a.Rows[i].Rank != b.Rows[i].Rank || fmtScore(a.Rows[i].Score) != fmtScore(b.Rows[i].Score) {
				t.Fatalf("recomputed row %d: %+v != %+v", i, a.Rows[i], b.Rows[i])
			}
		}
		// Scoped: a city sees its own row only, ranked against all.
		c, err := s.Assess(ctx, DefaultSchemes(), []string{pathOf(t, db, "4102")}, 2015, "city")
		if err != nil || len(c.Rows) != 1 || c.Rows[0].Rank != 3 {
			t.Fatalf("scoped assessment: %+v %v", c, err)
		}
	})
}

func fmtScore(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestEdges(t *testing.T) {
	for _, c := range []struct {
		from, to string
		ok       bool
	}{{Open, Closed, true}, {Open, Returned, true}, {Returned, Open, true}, {Returned, Closed, false}, {Closed, Open, false}, {Closed, Returned, false}} {
		if CanMove(c.from, c.to) != c.ok {
			t.Errorf("%s → %s: %v", c.from, c.to, !c.ok)
		}
	}
}

func TestWeekdays(t *testing.T) {
	c := Weekdays{}
	fri, _ := ParseDate("2015-12-31") // Thursday
	if got := FormatDate(c.AddWorkingDays(fri, 2)); got != "2016-01-04" {
		t.Fatalf("two working days after 31 Dec 2015: %s", got)
	}
	a, _ := ParseDate("2015-01-05")
	b, _ := ParseDate("2015-01-12")
	if n := c.WorkingDaysBetween(a, b); n != 5 || c.WorkingDaysBetween(b, a) != -5 {
		t.Fatalf("between: %d", n)
	}
}

// TestRankProperties checks, on random scores, that ranks are ordered,
// ties share a rank and ranks skip after ties.
func TestRankProperties(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 200; n++ {
		rows := make([]Row, rng.Intn(30))
		for i := range rows {
			rows[i].Unit = string(rune('A' + i))
			if rng.Intn(5) > 0 {
				v := float64(rng.Intn(5) * 25)
				rows[i].Score = &v
			}
		}
		Rank(rows)
		for i := range rows {
			if rows[i].Score == nil {
				if rows[i].Rank != 0 {
					t.Fatal("unscored row ranked")
				}
				continue
			}
			if i > 0 && rows[i-1].Score == nil {
				t.Fatal("scored row after an unscored one")
			}
			if rows[i].Rank < 1 || rows[i].Rank > i+1 {
				t.Fatalf("rank %d at %d", rows[i].Rank, i)
			}
			if i > 0 {
				p := rows[i-1]
				if *p.Score < *rows[i].Score || (*p.Score == *rows[i].Score) != (p.Rank == rows[i].Rank) {
					t.Fatalf("order broken at %d", i)
				}
				if *p.Score > *rows[i].Score && rows[i].Rank != i+1 {
					t.Fatalf("rank after a tie should be %d, got %d", i+1, rows[i].Rank)
				}
			}
		}
	}
}

func TestScoreBounds(t *testing.T) {
	sc, _ := DefaultSchemes().For(2015)
	rng := rand.New(rand.NewSource(2))
	stages := []string{Open, Returned, Closed}
	for n := 0; n < 500; n++ {
		var items []*Item
		for i := rng.Intn(10); i > 0; i-- {
			d := "2015-0" + string(rune('1'+rng.Intn(9))) + "-15"
			items = append(items, &Item{Stage: stages[rng.Intn(3)], OriginalDue: d, Due: d, ClosedOn: "2015-0" + string(rune('1'+rng.Intn(9))) + "-10"})
		}
		r := Score(sc, "x", "x", items, "2015-12-31", nil)
		if r.Score != nil && (*r.Score < 0 || *r.Score > 100) {
			t.Fatalf("score %v out of 0–100", *r.Score)
		}
		if (r.Score == nil) != (len(items) == 0) {
			t.Fatalf("score %v for %d items all due in the year", r.Score, len(items))
		}
	}
}

func TestParseSchemesErrors(t *testing.T) {
	for _, bad := range []string{"", "schemes: []", "schemes:\n - from: 2014\n   parts:\n    - {key: a, source: monitor, weight: 50}",
		"schemes:\n - from: 2014\n   parts:\n    - {key: a, source: nowhere, weight: 100}",
		"schemes:\n - from: 2014\n   parts:\n    - {key: a, source: supervise, weight: 100, points: {on_time: 100}}",
		"schemes:\n - from: 2014\n   bogus: 1"} {
		if _, err := ParseSchemes([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseSchemes(f *testing.F) {
	f.Add(defaultScheme)
	f.Add([]byte("schemes:\n - from: 2014\n   parts:\n    - {key: a, source: monitor, weight: 100}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSchemes(b)
		if err != nil {
			return
		}
		for _, sc := range s.Schemes {
			total := 0.0
			for _, p := range sc.Parts {
				total += p.Weight
			}
			if total < 99.999 || total > 100.001 {
				t.Fatalf("accepted weights adding up to %v", total)
			}
			r := Score(sc, "u", "u", []*Item{{Stage: Closed, ClosedOn: "2015-01-01", OriginalDue: "2015-02-01", Due: "2015-02-01"}}, "2015-12-31", nil)
			if r.Score != nil && (*r.Score < 0 || *r.Score > 100) {
				t.Fatalf("score %v", *r.Score)
			}
		}
	})
}

// TestOfficialCalendar: deadlines in working days skip the National Day
// holidays and count the 调休 Saturday.
func TestOfficialCalendar(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2024-09-30")
		ids, err := s.Create(ctx, office, []string{province}, NewItem{Year: 2024, TaskID: firstTask(), Units: []string{"4101"}, DueDays: 5})
		if err != nil {
			t.Fatal(err)
		}
		it, err := s.Item(ctx, []string{province}, ids[0])
		if err != nil || it.Due != "2024-10-12" {
			t.Fatalf("5 working days after 2024-09-30: %+v %v", it, err)
		}
		// Across the Spring Festival of 2015 (18–24 February off, Sunday
		// 15 and Saturday 28 February worked).
		ids, err = s.Create(ctx, office, []string{province}, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4101"}, Start: "2015-02-13", DueDays: 3})
		if err != nil {
			t.Fatal(err)
		}
		it, _ = s.Item(ctx, []string{province}, ids[0])
		if want := FormatDate(s.Calendar().AddWorkingDays(mustDate(t, "2015-02-13"), 3)); it.Due != want || it.Due == FormatDate(Weekdays{}.AddWorkingDays(mustDate(t, "2015-02-13"), 3)) {
			t.Fatalf("3 working days after 2015-02-13: %s (calendar says %s)", it.Due, want)
		}
	})
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRemind records one reminder a day on red and blue items only.
func TestRemind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2015-03-02")
		all := []string{province}
		late, err := s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4101"}, Start: "2015-02-02", Due: "2015-02-27"})
		must(t, err)
		soon, err := s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4102"}, Start: "2015-02-02", Due: "2015-03-04"})
		must(t, err)
		must(t, s.Report(ctx, county, all, soon[0], Progress{Text: "ok", Percent: 95}))
		_, err = s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4103"}, Due: "2015-12-31"})
		must(t, err)
		for i := 0; i < 2; i++ {
			n, err := s.Remind(ctx)
			if err != nil || n != 2-2*i {
				t.Fatalf("run %d: %d reminders, %v", i, n, err)
			}
		}
		tl, _ := s.Timeline(ctx, all, late[0])
		if e := tl[len(tl)-1]; e.Kind != "remind" || !e.ByReminder() || e.Text("zh-CN") != "已超过办结时限，请尽快办结" || e.Text("en") != "past its deadline" {
			t.Fatalf("no reminder in both languages on the overdue item: %+v", tl)
		}

		// A reminder an earlier release stored as one "中文 / English"
		// string is split by migration 4.
		if _, err := db.W.ExecContext(ctx, `INSERT INTO supervise_event (item_id, at, kind, actor_id, actor_name, body, percent, due_before, due_after)
			VALUES ($1, $2, 'remind', 0, '督查督办提醒 / supervision reminder', '距办结时限不足，请抓紧办理 / the deadline is close', 0, '', '2015-02-26')`, late[0], store.Now()); err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(Schema.Migrations[3].SQL, ";") {
			if stmt = strings.TrimSpace(stmt); strings.HasPrefix(stmt, "UPDATE") {
				if _, err := db.W.ExecContext(ctx, stmt); err != nil {
					t.Fatal(err)
				}
			}
		}
		tl, _ = s.Timeline(ctx, all, late[0])
		if e := tl[len(tl)-1]; !e.ByReminder() || e.Body != "距办结时限不足，请抓紧办理" || e.Text("en") != "the deadline is close" {
			t.Fatalf("earlier reminder after the migration: %+v", e)
		}
		s.Now = func() time.Time { return mustDate(t, "2015-03-03").Add(9 * time.Hour) }
		if n, err := s.Remind(ctx); err != nil || n != 2 {
			t.Fatalf("next day: %d %v", n, err)
		}
	})
}

// BenchmarkLights computes the lights of 50,000 open items in memory,
// with the official calendar counted day by day (plain) and remembered per
// date pair as the item list does (memo).
func BenchmarkLights(b *testing.B) {
	b.Run("plain", func(b *testing.B) { benchLights(b, New(nil).Calendar(), false) })
	b.Run("memo", func(b *testing.B) { benchLights(b, New(nil).Calendar(), true) })
}

func benchLights(b *testing.B, cal Calendar, memo bool) {
	today, _ := ParseDate("2015-06-15")
	items := make([]*Item, 50000)
	for i := range items {
		items[i] = &Item{Stage: Open, Start: "2015-01-05", Due: FormatDate(today.AddDate(0, 0, i%200-50)), Percent: i % 101,
			Milestones: []Milestone{{Date: "2015-04-30", Percent: 40, Text: "m"}}}
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		c := cal
		if memo {
			c = Memo(cal)
		}
		for _, it := range items {
			ComputeLight(it, today, c, 5)
		}
	}
}

// TestMemoAgrees: the remembered counts equal the calendar's, asked twice.
func TestMemoAgrees(t *testing.T) {
	cal := New(nil).Calendar()
	m := Memo(cal)
	rng := rand.New(rand.NewSource(3))
	base := mustDate(t, "2014-01-01")
	for i := 0; i < 2000; i++ {
		a := base.AddDate(0, 0, rng.Intn(60)*7)
		b := base.AddDate(0, 0, rng.Intn(400))
		if got, want := m.WorkingDaysBetween(a, b), cal.WorkingDaysBetween(a, b); got != want {
			t.Fatalf("%s→%s: memo %d, calendar %d", FormatDate(a), FormatDate(b), got, want)
		}
	}
}

// TestAssessmentInputs checks the parts read from other modules: the
// reporting part counts the reports each city's counties owed in the
// year, received and on time, as of 31 March of the next year; a city
// whose counties sent nothing scores 0 there (it owed reports), while a
// part with no figures at all stays not assessed.
func TestAssessmentInputs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2016-05-01")
		now := store.Now()
		if _, err := db.W.ExecContext(ctx, db.Rebind(`INSERT INTO reporting_dataset (code, name, period_type, org_kinds, due_days, elements, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`), "CTY_Q", "县季报", "quarterly", "county", 10, "X", now); err != nil {
			t.Fatal(err)
		}
		d, err := reporting.GetDataSet(ctx, db, "CTY_Q")
		if err != nil {
			t.Fatal(err)
		}
		kids, err := orgunit.Descendants(ctx, db, pathOf(t, db, "4101"), 3, 0)
		if err != nil || len(kids) < 3 {
			t.Fatalf("counties of 4101: %d %v", len(kids), err)
		}
		submit := func(u orgunit.Unit, pe string, at time.Time) {
			t.Helper()
			if _, err := db.W.ExecContext(ctx, db.Rebind(`INSERT INTO reporting_approval (dataset, ou, ou_path, pe, state, submitted_at, updated_at)
				VALUES ($1, $2, $3, $4, 'submitted', $5, $6)`), "CTY_Q", u.Code, u.Path, pe, at.UTC(), now); err != nil {
				t.Fatal(err)
			}
		}
		for q := 1; q <= 4; q++ {
			p := period.Period{Type: period.Quarter, Year: 2015, N: q}
			submit(kids[0], p.ID(), d.Due(p).Add(-time.Hour)) // on time
		}
		q1 := period.Period{Type: period.Quarter, Year: 2015, N: 1}
		submit(kids[1], q1.ID(), d.Due(q1).Add(48*time.Hour))                         // late
		submit(kids[2], q1.ID(), time.Date(2016, 4, 2, 10, 0, 0, 0, period.Shanghai)) // after 31 March 2016: not counted
		a, err := s.Assess(ctx, DefaultSchemes(), []string{province}, 2015, "city")
		if err != nil {
			t.Fatal(err)
		}
		if a.InputsAsOf != "2016-03-31" {
			t.Fatalf("inputs as of %s", a.InputsAsOf)
		}
		got := map[string]Row{}
		for _, r := range a.Rows {
			got[r.Unit] = r
		}
		n := len(kids) * 4
		want := round2(float64(5+4) * 50 / float64(n))
		rep := got["4101"].Parts[2]
		if rep.Key != "reporting" || !rep.Assessed || rep.Score == nil || *rep.Score != want {
			t.Fatalf("4101 reporting part %+v, want %v", rep, want)
		}
		if rep.Counts["expected"] != n || rep.Counts["received"] != 5 || rep.Counts["on_time"] != 4 {
			t.Fatalf("4101 reporting counts %v (counties %d)", rep.Counts, len(kids))
		}
		if r := got["4102"].Parts[2]; !r.Assessed || r.Score == nil || *r.Score != 0 {
			t.Fatalf("4102 owed reports and sent none: %+v", r)
		}
		// No work items, no plan figures, no inspection: only reporting is
		// assessed, and the total is its score, not diluted by zeros.
		for _, i := range []int{0, 1, 3} {
			if p := got["4101"].Parts[i]; p.Assessed || p.Score != nil {
				t.Fatalf("part %s should be not assessed: %+v", p.Key, p)
			}
		}
		if sc := got["4101"].Score; sc == nil || *sc != want {
			t.Fatalf("4101 total %v, want %v", sc, want)
		}
		// A year recomputes to the same once its window is over.
		s.Now = func() time.Time { return time.Date(2017, 1, 1, 9, 0, 0, 0, period.Shanghai) }
		b, err := s.Assess(ctx, DefaultSchemes(), []string{province}, 2015, "city")
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Rows {
			if fmtScore(a.Rows[i].Score) != fmtScore(b.Rows[i].Score) || a.Rows[i].Unit != b.Rows[i].Unit {
				t.Fatalf("recomputed: %+v != %+v", a.Rows[i], b.Rows[i])
			}
		}
	})
}

func TestSiteMeasures(t *testing.T) {
	units := []orgunit.Unit{{Code: "4101", Level: 2}, {Code: "4102", Level: 2}}
	site := func(path string) webcheck.Site { return webcheck.Site{OrgPath: path} }
	rows := []webcheck.RankRow{
		{InspectionID: 1, Score: 90, Pass: true, Site: site("/41/4101/")},
		{InspectionID: 2, Score: 70, Site: site("/41/4101/410102/")},
		{InspectionID: 0, Score: 0, Site: site("/41/4101/410103/")}, // not inspected yet
		{InspectionID: 3, Score: 50, Site: site("/41/4103/")},       // another unit
		{InspectionID: 4, Score: 60, Site: site("/41/")},            // the province's own
	}
	m := siteMeasures(rows, units, 7)
	if got := m["4101"]; got.Score != 80 || got.Counts["sites"] != 2 || got.Counts["passed"] != 1 || got.Counts["round"] != 7 {
		t.Fatalf("4101: %+v", got)
	}
	if _, ok := m["4102"]; ok {
		t.Fatalf("4102 has no inspected site and must be absent (not assessed): %+v", m)
	}
	if len(m) != 1 {
		t.Fatalf("measures %+v", m)
	}
}

// TestPublishAppealFinal walks a year's assessment through publication,
// an appeal upheld with points, a bonus, a second version and the final
// decision, after which nothing changes.
func TestPublishAppealFinal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2015-01-05")
		all := []string{province}
		for _, u := range []string{"4101", "4102"} {
			ids, err := s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{u}, Start: "2015-01-05", Due: "2015-03-31"})
			must(t, err)
			if u == "4101" {
				must(t, s.Close(ctx, office, all, ids[0], ""))
			}
		}
		at := func(d string) {
			x, _ := ParseDate(d)
			s.Now = func() time.Time { return x.Add(9 * time.Hour) }
		}
		at("2016-02-01")
		if _, err := s.FileAppeal(ctx, county, all, 2015, "city", "4102", "有误"); err == nil {
			t.Fatal("an appeal before publication must be refused")
		}
		p, err := s.Publish(ctx, office, DefaultSchemes(), 2015, "city", DefaultAppealDays)
		must(t, err)
		// The window is counted in working days on the official calendar
		// (the 2016 Spring Festival holidays fall inside it).
		if p.Version != 1 || p.State != PubAppeal || p.AppealUntil != FormatDate(s.Calendar().AddWorkingDays(mustDate(t, "2016-02-01"), 10)) {
			t.Fatalf("publication %+v", p)
		}
		score := func(a *Assessment, unit string) float64 {
			for _, r := range a.Rows {
				if r.Unit == unit {
					return fmtScore(r.Score)
				}
			}
			return -2
		}
		if score(p.Result, "4101") != 100 || score(p.Result, "4102") != 0 {
			t.Fatalf("published scores %v %v", score(p.Result, "4101"), score(p.Result, "4102"))
		}
		c4102 := []string{pathOf(t, db, "4102")}
		if _, err := s.FileAppeal(ctx, county, c4102, 2015, "city", "4101", "不服"); !errors.Is(err, ErrOutside) {
			t.Fatalf("appeal for another unit: %v", err)
		}
		if _, err := s.FileAppeal(ctx, county, c4102, 2015, "county", "4102", "不服"); err == nil {
			t.Fatal("a city in the county group must be refused")
		}
		aid, err := s.FileAppeal(ctx, county, c4102, 2015, "city", "4102", "事项已于 3 月办结，系统未登记")
		must(t, err)
		if _, err := s.FileAppeal(ctx, county, c4102, 2015, "city", "4102", "再申诉"); err == nil {
			t.Fatal("a second open appeal must be refused")
		}
		apps, err := s.Appeals(ctx, all, 2015, "city")
		must(t, err)
		if len(apps) != 1 {
			t.Fatalf("appeals %+v", apps)
		}
		if apps[0].State != AppealOpen || apps[0].UnitName == "" {
			t.Fatalf("appeal %+v", apps[0])
		}
		must(t, s.DecideAppeal(ctx, office, all, aid, true, "情况属实，加 5 分", 5))
		if err := s.DecideAppeal(ctx, office, all, aid, false, "再次处理", 0); err == nil {
			t.Fatal("an appeal is decided once")
		}
		if _, err := s.Adjust(ctx, office, all, 2015, "city", "4101", 30, "过多", ""); err == nil {
			t.Fatal("an adjustment above the cap must be refused")
		}
		_, err = s.Adjust(ctx, office, all, 2015, "city", "4101", -3, "数据报送迟报", "通报〔2016〕1号")
		must(t, err)
		live, err := s.Assess(ctx, DefaultSchemes(), all, 2015, "city")
		must(t, err)
		if score(live, "4102") != 5 || score(live, "4101") != 97 {
			t.Fatalf("live scores with adjustments: %v %v", score(live, "4102"), score(live, "4101"))
		}
		pub, err := s.Published(ctx, all, 2015, "city")
		must(t, err)
		if pub.Version != 1 || score(pub.Result, "4102") != 0 {
			t.Fatalf("the published version must not change silently: v%d %v", pub.Version, score(pub.Result, "4102"))
		}
		if err := s.Finalize(ctx, office, 2015, "city"); err == nil {
			t.Fatal("final before the appeal window ends must be refused")
		}
		p2, err := s.Publish(ctx, office, DefaultSchemes(), 2015, "city", 5)
		must(t, err)
		if p2.Version != 2 || score(p2.Result, "4102") != 5 {
			t.Fatalf("second version %+v", p2)
		}
		scoped, err := s.Published(ctx, c4102, 2015, "city")
		must(t, err)
		if len(scoped.Result.Rows) != 1 || scoped.Result.Rows[0].Unit != "4102" {
			t.Fatalf("a city reads its own published row: %+v", scoped.Result.Rows)
		}
		at("2016-04-01")
		if _, err := s.FileAppeal(ctx, county, c4102, 2015, "city", "4102", "逾期申诉"); err == nil {
			t.Fatal("an appeal after the window must be refused")
		}
		must(t, s.Finalize(ctx, office, 2015, "city"))
		if _, err := s.Adjust(ctx, office, all, 2015, "city", "4101", 1, "终审后", ""); err == nil {
			t.Fatal("a final year cannot be adjusted")
		}
		if _, err := s.Publish(ctx, office, DefaultSchemes(), 2015, "city", 5); err == nil {
			t.Fatal("a final year cannot be published again")
		}
		vs, err := s.Versions(ctx, 2015, "city")
		must(t, err)
		if len(vs) != 2 || vs[0].Version != 2 {
			t.Fatalf("versions %+v", vs)
		}
		final, err := s.Published(ctx, all, 2015, "city")
		must(t, err)
		if final.State != PubFinal || final.FinalAt == nil {
			t.Fatalf("final %+v", final)
		}
		adj, err := s.Adjustments(ctx, all, 2015, "city")
		must(t, err)
		if len(adj) != 2 || adj[0].AppealID != aid || adj[1].Points != -3 {
			t.Fatalf("adjustments %+v", adj)
		}
		var pdf bytes.Buffer
		must(t, NoticePDF(&pdf, final.Result, final, adj))
		if !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF-")) || pdf.Len() < 10000 {
			t.Fatalf("notice PDF: %d bytes %q", pdf.Len(), pdf.Bytes()[:min(8, pdf.Len())])
		}
		var audited int
		must(t, db.R.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE entity IN ('supervise_assessment', 'supervise_appeal')`).Scan(&audited))
		// publish ×2, appeal, upheld, adjust ×2 (appeal's and the bonus), finalize.
		if audited != 7 {
			t.Fatalf("audited steps: %d", audited)
		}
	})
}

func TestFitText(t *testing.T) {
	width := func(s string) float64 { return float64(len([]rune(s))) }
	for _, c := range []struct {
		in   string
		w    float64
		want string
	}{{"郑州市", 5, "郑州市"}, {"河南省工业和信息化厅", 5, "河南省工…"}, {"abc", 1, "a…"}} {
		if got := fitText(width, c.in, c.w); got != c.want {
			t.Errorf("fitText(%q, %v) = %q, want %q", c.in, c.w, got, c.want)
		}
	}
}

// TestDemo: the demo holds 2014–2020 items with every outcome, a final
// published assessment of the cities and departments each year, and a
// second load adds nothing.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo plays about a thousand items")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2026-01-05")
		must(t, LoadDemo(ctx, db))
		items, err := s.Items(ctx, Filter{Scopes: []string{province}, Limit: -1})
		must(t, err)
		outcomes := map[string]int{}
		years := map[int]bool{}
		for _, it := range items {
			years[it.Year] = true
			outcomes[Outcome(it, fmt.Sprintf("%d-12-31", it.Year))]++
		}
		for _, o := range []string{OnTime, Extended, Late, NotDone} {
			if outcomes[o] == 0 {
				t.Fatalf("no %s item in the demo: %v", o, outcomes)
			}
		}
		if len(years) != DemoTo-DemoFrom+1 || outcomes[OnTime] < outcomes[NotDone] {
			t.Fatalf("years %v, outcomes %v", years, outcomes)
		}
		for y := DemoFrom; y <= DemoTo; y++ {
			for _, g := range []string{"city", "department"} {
				p, err := s.Published(ctx, []string{province}, y, g)
				must(t, err)
				if p == nil || p.State != PubFinal || len(p.Result.Rows) == 0 || p.Result.Rows[0].Rank != 1 {
					t.Fatalf("%d %s: %+v", y, g, p)
				}
			}
		}
		if y, err := s.LatestYear(ctx); err != nil || y != DemoTo {
			t.Fatalf("the pages open on %d (%v), want %d", y, err, DemoTo)
		}
		must(t, LoadDemo(ctx, db))
		again, err := s.Items(ctx, Filter{Scopes: []string{province}, Limit: -1})
		must(t, err)
		if len(again) != len(items) {
			t.Fatalf("a second load added items: %d → %d", len(items), len(again))
		}
	})
}

// TestPublicInput: the public's ratings of a county's service count for
// the county and its city (80 % satisfaction, 20 % complaints
// rectified), from 2019 when the scheme takes them in; a county without
// ratings is not assessed there.
func TestPublicInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2020-05-01")
		tg, err := publiceval.AddTarget(ctx, db, office, publiceval.NewTarget{Kind: publiceval.KindService, Name: "不动产登记", OrgCode: "410102"},
			func(string) bool { return true })
		must(t, err)
		pe := publiceval.New(db)
		for i, level := range []int{5, 5, 4, 3, 1} {
			at := time.Date(2019, 3, 10+i, 10, 0, 0, 0, period.Shanghai)
			_, err := pe.Rate(ctx, publiceval.Input{Target: tg.Key, Level: level, Channel: "web", IP: fmt.Sprintf("198.51.100.%d", i+1), At: at}, false)
			must(t, err)
		}
		counties, err := PublicInput(ctx, db, 2019, "2020-03-31", mustUnits(t, db, "410102", "410103"))
		must(t, err)
		m, ok := counties["410102"]
		if !ok || m.Counts["valid"] != 5 || m.Counts["cases"] > 1 {
			t.Fatalf("410102: %+v (%v)", m, counties)
		}
		// Satisfied: levels 3–5 (非常满意, 满意, 基本满意) = 4 of 5.
		want := 80.0
		if m.Counts["cases"] == 1 {
			want = 0.8*80 + 0.2*float64(m.Counts["rectified"]*100)
		}
		if m.Score != want {
			t.Fatalf("410102 score %v, want %v (%+v)", m.Score, want, m)
		}
		if _, ok := counties["410103"]; ok {
			t.Fatalf("410103 has no ratings and must not be assessed: %+v", counties)
		}
		cities, err := PublicInput(ctx, db, 2019, "2020-03-31", mustUnits(t, db, "4101", "4102"))
		must(t, err)
		if cities["4101"].Score != m.Score || len(cities) != 1 {
			t.Fatalf("cities %+v", cities)
		}
		a, err := s.Assess(ctx, DefaultSchemes(), []string{province}, 2019, "county")
		must(t, err)
		for _, r := range a.Rows {
			if r.Unit == "410102" {
				p := r.Parts[len(r.Parts)-1]
				if p.Source != "publiceval" || p.Score == nil || *p.Score != m.Score {
					t.Fatalf("the 2019 scheme's public part: %+v", p)
				}
			}
		}
	})
}

func mustUnits(t *testing.T, db *store.DB, codes ...string) []orgunit.Unit {
	t.Helper()
	us, err := orgunit.GetMany(context.Background(), db, codes)
	must(t, err)
	return us
}

// TestSaveSchemes: the office saves a changed scheme as a new version;
// a change to the scheme of a final year is refused, one for later years
// is kept; broken YAML is a bilingual error.
func TestSaveSchemes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2016-06-01")
		sc, v, err := s.CurrentSchemes(ctx)
		must(t, err)
		if v != nil || len(sc.Schemes) != len(DefaultSchemes().Schemes) {
			t.Fatalf("the embedded scheme first: %+v %+v", v, sc)
		}
		if err := s.SaveSchemes(ctx, office, "schemes: [1"); err == nil || !strings.Contains(err.Error(), "YAML") {
			t.Fatalf("broken YAML: %v", err)
		}
		_, err = s.Publish(ctx, office, DefaultSchemes(), 2015, "city", 1)
		must(t, err)
		s.Now = func() time.Time { return time.Date(2016, 7, 1, 9, 0, 0, 0, period.Shanghai) }
		must(t, s.Finalize(ctx, office, 2015, "city"))
		changed := strings.Replace(DefaultSchemeYAML(), "weight: 60", "weight: 50", 1)
		changed = strings.Replace(changed, "weight: 25", "weight: 35", 1)
		if err := s.SaveSchemes(ctx, office, changed); err == nil || !strings.Contains(err.Error(), "2015") {
			t.Fatalf("changing the final 2015 scheme: %v", err)
		}
		later := DefaultSchemeYAML() + `
  - from: 2030
    parts:
      - key: items
        name_zh: 督办事项
        name_en: Work items
        source: supervise
        weight: 100
        points: {on_time: 100, extended: 90, late: 50, not_done: 0}
`
		must(t, s.SaveSchemes(ctx, office, later))
		sc, v, err = s.CurrentSchemes(ctx)
		must(t, err)
		if v == nil || v.YAML != later {
			t.Fatalf("saved version %+v", v)
		}
		if got, ok := sc.For(2031); !ok || got.From != 2030 || len(got.Parts) != 1 {
			t.Fatalf("2031 scheme %+v", got)
		}
		vs, err := s.SchemeVersions(ctx)
		must(t, err)
		if len(vs) != 1 {
			t.Fatalf("versions %+v", vs)
		}
	})
}

// TestReview: with figures for two targets, the review lists the one
// behind before the one on track, counts the cities on each, names the
// city furthest behind and attaches the work item issued on the target;
// the public review lists no work items.
func TestReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2016-06-01")
		must(t, monitor.InstallCatalog(ctx, db))
		must(t, reporting.Install(ctx, db))
		var vals []monitor.Value
		for y := 2013; y <= 2016; y++ {
			f := float64(y - 2013)
			vals = append(vals,
				// urban broadband capability: far below the straight path to 50 by 2020
				monitor.Value{DataElement: "BB_URBAN_CAP", OrgUnit: "410102", Period: strconv.Itoa(y), Value: strconv.FormatFloat(8+4*f, 'f', -1, 64)},
				monitor.Value{DataElement: "BB_URBAN_CAP", OrgUnit: "410202", Period: strconv.Itoa(y), Value: strconv.FormatFloat(4+1*f, 'f', -1, 64)},
			)
		}
		must(t, monitor.SaveValues(ctx, db, office, vals))
		_, err := s.Create(ctx, office, []string{province}, NewItem{Year: 2016, TaskID: firstTask(), Units: []string{"4101"}, Due: "2016-12-30",
			Targets: []string{"BB_URBAN_CAP"}})
		must(t, err)
		rows, err := s.Review(ctx, 2016, false)
		must(t, err)
		var cap *ReviewRow
		for i := range rows {
			if i > 0 && riskOrder[rows[i-1].Province.Status] > riskOrder[rows[i].Province.Status] {
				t.Fatalf("row %d (%s) is more at risk than the row before it", i, rows[i].Province.Status)
			}
			if rows[i].Province.Target.Code == "BB_URBAN_CAP" {
				cap = &rows[i]
			}
		}
		if cap == nil || cap.Province.Status != progress.Behind {
			t.Fatalf("BB_URBAN_CAP: %+v", cap)
		}
		if cap.Cities["behind"] != 2 || len(cap.Behind) != 2 || cap.Behind[0] != "开封市" {
			t.Fatalf("cities on BB_URBAN_CAP: %v, furthest behind %v", cap.Cities, cap.Behind)
		}
		if len(cap.Items) != 1 || cap.Items[0].Unit != "4101" {
			t.Fatalf("work items on BB_URBAN_CAP: %+v", cap.Items)
		}
		pub, err := s.Review(ctx, 2016, true)
		must(t, err)
		for _, r := range pub {
			if len(r.Items) > 0 {
				t.Fatalf("the public review lists work items: %+v", r)
			}
		}
	})
}
