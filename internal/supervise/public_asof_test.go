package supervise

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"zhihui/internal/period"
	"zhihui/internal/publiceval"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestPublicInputAsOfTheCutOff: the public part of the 2019 assessment
// is read as the figures stood on 31 March 2020, and what happens later —
// a case rectified, an appeal upheld, a flagged rating released, a 2019
// rating imported from the provincial system — changes the live
// statistics but not the closed year's score; on both stores. The
// numbers are worked by hand.
func TestPublicInputAsOfTheCutOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2020-06-01")
		all := func(string) bool { return true }
		tg, err := publiceval.AddTarget(ctx, db, office, publiceval.NewTarget{Kind: publiceval.KindService, Name: "不动产登记", OrgCode: "410102"}, all)
		must(t, err)
		at := func(y, m, d int) *publiceval.Service {
			tm := time.Date(y, time.Month(m), d, 10, 0, 0, 0, period.Shanghai)
			return &publiceval.Service{DB: db, Now: func() time.Time { return tm }}
		}
		// 2019: 非常满意, 满意, 基本满意, 不满意 (case A), 非常不满意 (case B),
		// 非常不满意 (case C), and a 非常满意 the honeypot flags
		ids := map[string]int64{}
		for i, x := range []struct {
			name  string
			level int
			bot   string
		}{{"r5", 5, ""}, {"r4", 4, ""}, {"r3", 3, ""}, {"A", 2, ""}, {"B", 1, ""}, {"C", 1, ""}, {"flagged", 5, "robot"}} {
			pe := at(2019, 5, 1+i)
			r, err := pe.Rate(ctx, publiceval.Input{Target: tg.Key, Level: x.level, Channel: "web", IP: fmt.Sprintf("198.51.100.%d", i+1),
				Website: x.bot, At: pe.Now()}, false)
			must(t, err)
			ids[x.name] = r.CaseID
			if x.name == "flagged" {
				ids[x.name] = r.ID
			}
		}
		dec := at(2019, 12, 2)
		for _, st := range []publiceval.Step{{Kind: "contact", Text: "已联系"}, {Kind: "triage", Choice: publiceval.TriageImmediate, Text: "立即整改"},
			{Kind: "answer", Text: "已整改"}} {
			must(t, dec.Do(ctx, office, ids["A"], st, all))
		}
		must(t, dec.Do(ctx, office, ids["B"], publiceval.Step{Kind: "contact", Text: "已联系"}, all))
		must(t, dec.Do(ctx, office, ids["C"], publiceval.Step{Kind: "contact", Text: "已联系"}, all))
		must(t, dec.Do(ctx, office, ids["C"], publiceval.Step{Kind: "triage", Choice: publiceval.TriageAppeal, Text: "恶意差评"}, all))

		// As of 31 March 2020: 6 valid (the flagged one is not), 3 good,
		// 3 cases, 1 rectified (A): 0.8 × 3/6 + 0.2 × 1/3 → 40 + 6.67.
		closed := Measure{Score: 46.67, Counts: map[string]int{"valid": 6, "good": 3, "cases": 3, "rectified": 1}}
		check := func(when, asOf string, want Measure) {
			t.Helper()
			got, err := PublicInput(ctx, db, 2019, asOf, mustUnits(t, db, "410102"))
			must(t, err)
			if fmt.Sprint(got["410102"]) != fmt.Sprint(want) {
				t.Fatalf("%s, as of %s: %+v, want %+v", when, asOf, got["410102"], want)
			}
		}
		check("before the late changes", "2020-03-31", closed)
		a, err := s.Assess(ctx, DefaultSchemes(), []string{province}, 2019, "county")
		must(t, err)
		before := publicPart(t, a)

		// April 2020: B is triaged, rectified and answered; C's appeal is
		// upheld (the rating is malicious); the office releases the
		// flagged rating; a 2019 rating arrives from the provincial system
		apr := at(2020, 4, 10)
		must(t, apr.Do(ctx, office, ids["B"], publiceval.Step{Kind: "triage", Choice: publiceval.TriageExplain, Text: "解释"}, all))
		must(t, apr.Do(ctx, office, ids["B"], publiceval.Step{Kind: "answer", Text: "已说明"}, all))
		must(t, apr.Do(ctx, office, ids["C"], publiceval.Step{Kind: "appeal", Choice: "upheld", Text: "经核查属恶意"}, all))
		must(t, apr.Review(ctx, office, ids["flagged"], publiceval.ReviewReleased, "人工核实为真实评价", all))
		res, err := at(2020, 4, 15).Import(ctx, office, "hn.csv", strings.NewReader("rating_id,target,level,rated_at\nHN-2019-1,"+tg.Key+",5,2019-11-20 09:00:00\n"), false, all)
		must(t, err)
		if !res.OK() || res.New != 1 {
			t.Fatalf("import: %+v", res)
		}

		// Live: 7 valid (C out; the released and the imported ones in),
		// 5 good, 2 cases (A, B) both rectified: 0.8 × 5/7 + 0.2 × 1.
		p, err := publiceval.ParsePeriod("2019")
		must(t, err)
		live, err := publiceval.Stats(ctx, db, "/41/4101/410102/", p)
		must(t, err)
		if live.Valid() != 7 || live.Good() != 5 || live.Cases != 2 || live.Rectified != 2 || live.Excluded != 1 {
			t.Fatalf("live figures: %+v", live)
		}
		check("after them, the closed year", "2020-03-31", closed)
		check("after them, as of the end of April", "2020-04-30", Measure{Score: 77.14, Counts: map[string]int{"valid": 7, "good": 5, "cases": 2, "rectified": 2}})
		// (a cut-off between the review and the import)
		check("between the review and the import", "2020-04-12", Measure{Score: 73.33, Counts: map[string]int{"valid": 6, "good": 4, "cases": 2, "rectified": 2}})
		a, err = s.Assess(ctx, DefaultSchemes(), []string{province}, 2019, "county")
		must(t, err)
		if after := publicPart(t, a); after != before || after != closed.Score {
			t.Fatalf("the 2019 assessment's public part moved from %v to %v (want %v)", before, after, closed.Score)
		}
		// as of a moment after every change the replay equals the
		// statistics kept with every change
		asOf, err := publiceval.CountsAsOf(ctx, db, "/41/4101/410102/", p, time.Now().Add(time.Hour))
		must(t, err)
		live.Handled, live.RatedHandled = 0, 0
		if asOf != live {
			t.Fatalf("replayed now %+v, kept %+v", asOf, live)
		}
	})
}

func publicPart(t *testing.T, a *Assessment) float64 {
	t.Helper()
	for _, r := range a.Rows {
		if r.Unit == "410102" {
			p := r.Parts[len(r.Parts)-1]
			if p.Source != "publiceval" || p.Score == nil {
				t.Fatalf("the public part: %+v", p)
			}
			return *p.Score
		}
	}
	t.Fatal("410102 is not assessed")
	return 0
}
