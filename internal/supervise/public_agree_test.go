package supervise

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/plan"
	"zhihui/internal/publiceval"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestPublicInputAgreesWithStatistics: for every unit the annual
// assessment scores, the counts it reads from public evaluation are the
// ones public evaluation's own statistics show for that unit and year
// (valid, good, 差评 cases, rectified), and its score is made from the
// same satisfaction and rectification rates. The ratings are spread over
// counties, a city's own services, a provincial department and the
// province itself, across the year's edges in Beijing time, with flagged
// ratings, a 差评 judged malicious on appeal and cases in several states.
func TestPublicInputAgreesWithStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db, "2020-05-01")
		dept := plan.Departments()[0].Code
		owners := []string{"410102", "410103", "410105", "4101", "4102", "410202", dept, "41"}
		all := func(string) bool { return true }
		var keys []string
		for _, o := range owners {
			tg, err := publiceval.AddTarget(ctx, db, office, publiceval.NewTarget{Kind: publiceval.KindService, Name: "事项 " + o, OrgCode: o}, all)
			must(t, err)
			keys = append(keys, tg.Key)
		}
		rng := rand.New(rand.NewSource(14))
		// the year's edges in Beijing time, then days inside it
		times := []time.Time{
			time.Date(2018, 12, 31, 23, 30, 0, 0, period.Shanghai),
			time.Date(2019, 1, 1, 0, 30, 0, 0, period.Shanghai),
			time.Date(2019, 12, 31, 23, 30, 0, 0, period.Shanghai),
			time.Date(2020, 1, 1, 0, 30, 0, 0, period.Shanghai),
		}
		for i := 0; i < 140; i++ {
			times = append(times, time.Date(2019, time.Month(1+rng.Intn(12)), 1+rng.Intn(28), rng.Intn(24), 0, 0, 0, period.Shanghai))
		}
		appealed := false
		for i, at := range times {
			key := keys[i%len(keys)]
			if i >= 4 {
				key = keys[rng.Intn(len(keys))]
			}
			in := publiceval.Input{Target: key, Level: 1 + rng.Intn(5), Channel: "web", IP: fmt.Sprintf("198.51.%d.%d", i/200, 1+i%200), UserAgent: "agree", At: at}
			if i%17 == 5 {
				in.Website = "http://robot.example" // flagged: counted apart
			}
			pe := &publiceval.Service{DB: db, Now: func() time.Time { return at }}
			r, err := pe.Rate(ctx, in, false)
			must(t, err)
			if r.CaseID == 0 {
				continue
			}
			later := &publiceval.Service{DB: db, Now: func() time.Time { return at.Add(2 * time.Hour) }}
			switch {
			case !appealed:
				appealed = true
				must(t, later.Do(ctx, office, r.CaseID, publiceval.Step{Kind: "contact", Text: "已联系"}, all))
				must(t, later.Do(ctx, office, r.CaseID, publiceval.Step{Kind: "triage", Choice: publiceval.TriageAppeal, Text: "恶意评价"}, all))
				must(t, later.Do(ctx, office, r.CaseID, publiceval.Step{Kind: "appeal", Choice: "upheld", Text: "经核查属实"}, all))
			case rng.Intn(3) > 0:
				must(t, later.Do(ctx, office, r.CaseID, publiceval.Step{Kind: "contact", Text: "已联系"}, all))
				if rng.Intn(2) == 0 {
					must(t, later.Do(ctx, office, r.CaseID, publiceval.Step{Kind: "triage", Choice: publiceval.TriageImmediate, Text: "立即整改"}, all))
					must(t, later.Do(ctx, office, r.CaseID, publiceval.Step{Kind: "answer", Text: "已整改"}, all))
				}
			}
		}
		p, err := publiceval.ParsePeriod("2019")
		must(t, err)
		groups := [][]string{{"410102", "410103", "410105", "410202", "410104"}, {"4101", "4102", "4103"}, {dept, plan.Departments()[1].Code}, {"41"}}
		assessed := 0
		for _, codes := range groups {
			units := mustUnits(t, db, codes...)
			got, err := PublicInput(ctx, db, 2019, "2020-03-31", units)
			must(t, err)
			for _, u := range units {
				c, err := publiceval.Stats(ctx, db, u.Path, p)
				must(t, err)
				m, ok := got[u.Code]
				if c.Valid() == 0 {
					if ok {
						t.Errorf("%s: no valid rating in the statistics but assessed: %+v", u.Code, m)
					}
					continue
				}
				assessed++
				if !ok {
					t.Errorf("%s: %d valid ratings in the statistics but not assessed", u.Code, c.Valid())
					continue
				}
				want := map[string]int{"valid": int(c.Valid()), "good": int(c.Good()), "cases": int(c.Cases), "rectified": int(c.Rectified)}
				for k, v := range want {
					if m.Counts[k] != v {
						t.Errorf("%s: the assessment reads %s = %d, the statistics show %d", u.Code, k, m.Counts[k], v)
					}
				}
				score := c.Satisfaction().Percent()
				if c.Cases > 0 {
					score = 0.8*score + 0.2*c.RectifyRate().Percent()
				}
				if m.Score != round2(score) {
					t.Errorf("%s: score %v, from the statistics' rates %v", u.Code, m.Score, round2(score))
				}
			}
		}
		if assessed < 6 {
			t.Fatalf("only %d units had ratings: the test proves little", assessed)
		}
		// The units' figures add up to their parent's: nothing is lost
		// or counted twice between the levels.
		var sum publiceval.Counts
		city, err := orgunit.Get(ctx, db, "4101")
		must(t, err)
		whole, err := publiceval.Stats(ctx, db, city.Path, p)
		must(t, err)
		rows, err := publiceval.RankUnits(ctx, db, city.Path, p)
		must(t, err)
		for _, r := range rows {
			sum.Add(r.Counts)
		}
		if sum != whole {
			t.Fatalf("the city's units add up to %+v, the city shows %+v", sum, whole)
		}
	})
}
