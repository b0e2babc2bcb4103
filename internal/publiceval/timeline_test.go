package publiceval

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestTimelineInTheReadersLanguage: a case's steps store codes — the
// actors nobody's account is, the level of the bad rating, the triage and
// its deadline, the rater's satisfaction, the overdue deadline — never
// "中文 / English" text, and the timeline renders them in the reader's
// language; rows written the old way read the same before the version 5
// migration rewrites them (its statements run again here) and after — on
// both stores.
func TestTimelineInTheReadersLanguage(t *testing.T) {
	if err := i18n.Register("publiceval", os.DirFS("../web/publiceval/catalog")); err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, shanghai)
		s, key := setup(t, db, at)
		r, err := s.Rate(ctx, Input{Target: key, Level: Dissatisfied, IP: "203.0.113.9"}, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range []Step{{Kind: "contact", Text: "已电话联系"}, {Kind: "triage", Choice: TriageDeadline, Text: "更新指南"},
			{Kind: "answer", Text: "已更新"}, {Kind: "satisfaction", Choice: SatisfactionNo, Text: "仍不满意"}} {
			if err := s.Do(ctx, staff, r.CaseID, st, all); err != nil {
				t.Fatalf("%s: %v", st.Kind, err)
			}
		}
		late, err := s.Rate(ctx, Input{Target: key, Level: VeryDissatisfied, IP: "203.0.113.10"}, false)
		if err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return at.AddDate(0, 0, 3) }
		if a, err := s.Alerts(ctx); err != nil || len(a) != 1 {
			t.Fatalf("alerts %v %v", a, err)
		}
		var mixed int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_event WHERE actor_name LIKE '% / %' OR body LIKE '% / %' OR body IN ('不满意', '非常不满意')`).Scan(&mixed); err != nil || mixed != 0 {
			t.Fatalf("%d steps store language-bound text: %v", mixed, err)
		}
		render := func(id int64, lang string) string {
			t.Helper()
			tl, err := Timeline(ctx, db, id)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, e := range tl {
				b.WriteString(e.Kind + ": " + e.Who(lang) + " — " + e.Detail(lang) + "\n")
			}
			return b.String()
		}
		due := ""
		if c, err := GetCase(ctx, db, r.CaseID); err == nil {
			due = c.RectifyDue
		}
		zh, en := render(r.CaseID, "zh-CN"), render(r.CaseID, "en")
		for _, want := range []string{"open: 评价人 — 不满意\n", "contact: county staff — 已电话联系\n", "triage: county staff — 限期整改 更新指南 → " + due + "\n", "satisfaction: county staff — 评价人不满意 仍不满意\n"} {
			if !strings.Contains(zh, want) {
				t.Errorf("Chinese timeline lacks %q:\n%s", want, zh)
			}
		}
		for _, want := range []string{"open: The rater — Dissatisfied\n", "triage: county staff — Fix within a deadline 更新指南 → " + due + "\n", "satisfaction: county staff — The rater is not satisfied 仍不满意\n"} {
			if !strings.Contains(en, want) {
				t.Errorf("English timeline lacks %q:\n%s", want, en)
			}
		}
		if got := render(late.CaseID, "en"); !strings.Contains(got, "overdue: Overdue check (system) — past the first-contact deadline\n") {
			t.Errorf("overdue step in English:\n%s", got)
		}

		// rows written the old way
		if _, err := db.W.ExecContext(ctx, `UPDATE publiceval_event SET actor_name = '公众 / public', body = '非常不满意', code = '' WHERE case_id = $1 AND kind = 'open'`, late.CaseID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE publiceval_event SET actor_name = '好差评超时提醒 / overdue alert', body = '已超过首次联系时限 / past the first-contact deadline', code = '' WHERE case_id = $1 AND kind = 'overdue'`, late.CaseID); err != nil {
			t.Fatal(err)
		}
		old := render(late.CaseID, "en")
		if !strings.Contains(old, "open: The rater — 非常不满意\n") || !strings.Contains(old, "overdue: Overdue check (system) — past the first-contact deadline\n") {
			t.Fatalf("old rows before the migration:\n%s", old)
		}
		for _, q := range strings.Split(Schema.Migrations[4].SQL, ";\n") {
			if q = strings.TrimSpace(q); q == "" || strings.HasPrefix(q, "ALTER") {
				continue
			}
			if _, err := db.W.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_event WHERE actor_name LIKE '% / %' OR body LIKE '% / %' OR body IN ('不满意', '非常不满意')`).Scan(&mixed); err != nil || mixed != 0 {
			t.Fatalf("%d steps keep language-bound text after the migration: %v", mixed, err)
		}
		if got := render(late.CaseID, "en"); !strings.Contains(got, "open: The rater — Very dissatisfied\n") || !strings.Contains(got, "overdue: Overdue check (system) — past the first-contact deadline\n") {
			t.Fatalf("old rows after the migration:\n%s", got)
		}
		if got := render(late.CaseID, "zh-CN"); !strings.Contains(got, "open: 评价人 — 非常不满意\n") || !strings.Contains(got, "overdue: 超时提醒（系统） — 已超过首次联系时限\n") {
			t.Fatalf("old rows after the migration, in Chinese:\n%s", got)
		}

		// triage and call-back steps written before version 5: the
		// triage's name and deadline and the rater's view were Chinese
		// text in body
		if _, err := db.W.ExecContext(ctx, `UPDATE publiceval_event SET body = $1, code = '', due = '' WHERE case_id = $2 AND kind = 'triage'`, "限期整改 更新指南 → "+due, r.CaseID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE publiceval_event SET body = '不满意 仍不满意', code = '' WHERE case_id = $1 AND kind = 'satisfaction'`, r.CaseID); err != nil {
			t.Fatal(err)
		}
		for _, body := range []struct{ kind, body string }{{"triage", "立行立改  → 2026-03-03"}, {"triage", "属恶意刷评"}, {"satisfaction", "满意"}} {
			if _, err := db.W.ExecContext(ctx, `INSERT INTO publiceval_event (case_id, at, kind, actor_name, body) VALUES ($1, $2, $3, 'county staff', $4)`,
				r.CaseID, at.AddDate(0, 0, 9), body.kind, body.body); err != nil {
				t.Fatal(err)
			}
		}
		wantOld := map[string][]string{
			"zh-CN": {"triage: county staff — 限期整改 更新指南 → " + due + "\n", "satisfaction: county staff — 评价人不满意 仍不满意\n",
				"triage: county staff — 立行立改 → 2026-03-03\n", "triage: county staff — 申诉 属恶意刷评\n", "satisfaction: county staff — 评价人满意\n"},
			"en": {"triage: county staff — Fix within a deadline 更新指南 → " + due + "\n", "satisfaction: county staff — The rater is not satisfied 仍不满意\n",
				"triage: county staff — Fix at once → 2026-03-03\n", "triage: county staff — Appeal 属恶意刷评\n", "satisfaction: county staff — The rater is satisfied\n"},
		}
		check := func(when string) {
			t.Helper()
			for lang, wants := range wantOld {
				got := render(r.CaseID, lang)
				for _, want := range wants {
					if !strings.Contains(got, want) {
						t.Errorf("%s, %s timeline lacks %q:\n%s", when, lang, want, got)
					}
				}
			}
		}
		check("old triage and call-back rows before the migration")
		for _, q := range strings.Split(Schema.Migrations[5].SQL, ";\n") {
			if q = strings.TrimSpace(q); q == "" {
				continue
			}
			if _, err := db.W.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		check("after the migration")
		var uncoded int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_event WHERE (kind IN ('triage', 'satisfaction') AND code = '')
			OR body LIKE '限期整改%' OR body LIKE '立行立改%' OR (kind = 'satisfaction' AND (body LIKE '满意%' OR body LIKE '不满意%')) OR (kind = 'triage' AND code <> 'appeal' AND due = '')`).Scan(&uncoded); err != nil || uncoded != 0 {
			t.Fatalf("%d steps keep Chinese labels after migration 6: %v", uncoded, err)
		}
		var b string
		if err := db.R.QueryRowContext(ctx, `SELECT body || '|' || code || '|' || due FROM publiceval_event WHERE case_id = $1 AND body = '' AND kind = 'triage'`, r.CaseID).Scan(&b); err != nil || b != "|immediate|2026-03-03" {
			t.Fatalf("an old triage without a note: %q %v", b, err)
		}

		if ActorName("zy", "en") != "zy" || ActorName(ActorBulletin, "zh-CN") != "月度通报（系统）" || ActorName("演示数据 / demo", "en") != "Demo data" {
			t.Fatal("actor names")
		}
	})
}
