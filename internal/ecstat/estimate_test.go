package ecstat

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"zhihui/internal/ecstat/survey"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// straightEstimate recomputes the cells of target by breakdown by the
// plainest route: every respondent joined to its sample row and its
// register row, its value summed from its responses item by item, each
// added to the province and its domain in enterprise order.
func straightEstimate(t *testing.T, db *store.DB, s *Survey, target, by, estimator string) (Cell, map[string]Cell) {
	t.Helper()
	ctx := context.Background()
	var tgt Item
	for _, it := range s.Targets() {
		if it.Code == target {
			tgt = it
		}
	}
	if tgt.Kind == YesNo {
		estimator = HT
	}
	var strata []survey.Stratum
	rows, err := db.R.QueryContext(ctx, `SELECT pop, certainty FROM ecstat_stratum WHERE survey_id = $1 ORDER BY h`, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var pop, c int
		if err := rows.Scan(&pop, &c); err != nil {
			t.Fatal(err)
		}
		strata = append(strata, survey.Stratum{N: pop, Certainty: c == 1})
	}
	rows.Close()
	comps := Components[target]
	if comps == nil {
		comps = []string{target}
	}
	type resp struct {
		id                    int64
		h                     int
		section, city, county string
		rev                   int64
	}
	var rs []resp
	rows, err = db.R.QueryContext(ctx, `SELECT e.id, s.h, e.section, e.city_code, e.org_code, e.revenue FROM ecstat_return r
		JOIN ecstat_sample s ON s.survey_id = r.survey_id AND s.enterprise_id = r.enterprise_id
		JOIN ecstat_enterprise e ON e.id = r.enterprise_id WHERE r.survey_id = $1`, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r resp
		if err := rows.Scan(&r.id, &r.h, &r.section, &r.city, &r.county, &r.rev); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	slices.SortFunc(rs, func(a, b resp) int { return int(a.id - b.id) })
	est := survey.NewEstimator(strata)
	for _, r := range rs {
		y := 0.0
		for _, item := range slices.Sorted(slices.Values(comps)) {
			var amt *int64
			err := db.R.QueryRowContext(ctx, `SELECT amount FROM ecstat_response WHERE survey_id = $1 AND enterprise_id = $2 AND item = $3`, s.ID, r.id, item).Scan(&amt)
			if err != nil || amt == nil {
				continue // not answered, or a text answer
			}
			if tgt.Kind == YesNo {
				y += float64(*amt)
			} else {
				y += float64(*amt) / 1e6
			}
		}
		d := map[string]string{ByCity: r.city, ByCounty: r.county, BySection: r.section, ByCountySection: r.county + "|" + r.section}[by]
		est.Respond(r.h)
		est.Add(orgunit.Root, r.h, y, float64(r.rev)/1e6)
		est.Add(d, r.h, y, float64(r.rev)/1e6)
	}
	X, err := auxTotals(ctx, db, s, by)
	if err != nil {
		t.Fatal(err)
	}
	cell := func(d string) Cell {
		var c Cell
		if estimator == Ratio {
			c.Estimate = est.Ratio(d, X[d])
		} else {
			c.Estimate = est.Total(d)
		}
		c.mark()
		return c
	}
	cells := map[string]Cell{}
	for d := range X {
		if d != orgunit.Root {
			cells[d] = cell(d)
		}
	}
	return cell(orgunit.Root), cells
}

// TestEstimatesAgreeWithStraightRecomputation: the estimates read in one
// pass for every breakdown are, to the last bit, what the plain
// recomputation gives, for every target, both estimators and every
// breakdown; asked one breakdown at a time they are the same; and a
// change of the register after the draw does not move them (the domains
// and revenue are the frame's).
func TestEstimatesAgreeWithStraightRecomputation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 2500)
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2016年调查", Period: "2016"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, N: 300, Seed: 11}); err != nil {
			t.Fatal(err)
		}
		sample, err := Sample(ctx, db, id, all, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := StoreDemoAnswers(ctx, db, s, sample, -1, rand.New(rand.NewPCG(3, 4)))
		if err != nil || n < 100 || n == len(sample) {
			t.Fatalf("answers: %d of %d, %v", n, len(sample), err)
		}
		type key struct{ target, estimator string }
		got := map[key]map[string]*Results{}
		checked := 0
		for _, tgt := range s.Targets() {
			for _, estimator := range []string{HT, Ratio} {
				res, err := Estimates(ctx, db, s, tgt.Code, estimator)
				if err != nil {
					t.Fatalf("%s %s: %v", tgt.Code, estimator, err)
				}
				got[key{tgt.Code, estimator}] = res
				for _, by := range Breakdowns {
					r := res[by]
					prov, cells := straightEstimate(t, db, s, tgt.Code, by, estimator)
					if r.Province.Estimate != prov.Estimate || r.Province.Mark != prov.Mark {
						t.Fatalf("%s %s %s: province %+v, recomputed %+v", tgt.Code, estimator, by, r.Province.Estimate, prov.Estimate)
					}
					if len(r.Cells) != len(cells) || r.Respondents != n || r.Sampled != len(sample) {
						t.Fatalf("%s %s %s: %d cells (recomputed %d), %d respondents of %d", tgt.Code, estimator, by, len(r.Cells), len(cells), r.Respondents, r.Sampled)
					}
					for _, c := range r.Cells {
						d := c.Code
						if by == ByCountySection {
							d += "|" + c.Section
						}
						want, ok := cells[d]
						if !ok || c.Estimate != want.Estimate || c.Mark != want.Mark || c.Reason != want.Reason || c.Name == "" {
							t.Fatalf("%s %s %s %s: %+v, recomputed %+v", tgt.Code, estimator, by, d, c, want)
						}
						if c.Respondents > 0 {
							checked++
						}
					}
					one, err := Estimate(ctx, db, s, tgt.Code, by, estimator)
					if err != nil || one.Province != r.Province || !slices.Equal(one.Cells, r.Cells) {
						t.Fatalf("%s %s %s alone differs: %v", tgt.Code, estimator, by, err)
					}
				}
			}
		}
		if checked < 100 {
			t.Fatalf("only %d cells with respondents compared", checked)
		}
		// The register changes after the draw: a sampled enterprise moves
		// to another section and doubles its revenue. The estimates keep
		// the frame's domains and revenue.
		if _, err := db.W.ExecContext(ctx, `UPDATE ecstat_enterprise SET section = 'Z', revenue = 2 * revenue WHERE id = $1`, sample[0].ID); err != nil {
			t.Fatal(err)
		}
		again, err := Estimates(ctx, db, s, "ECOM_TURNOVER", Ratio)
		if err != nil {
			t.Fatal(err)
		}
		before := got[key{"ECOM_TURNOVER", Ratio}]
		for _, by := range Breakdowns {
			if again[by].Province != before[by].Province || !slices.Equal(again[by].Cells, before[by].Cells) {
				t.Fatalf("%s: the estimates moved with a register change after the draw", by)
			}
			for _, c := range again[by].Cells {
				if strings.Contains(c.Section, "Z") || c.Code == "Z" {
					t.Fatalf("%s: a cell of the register's new section: %+v", by, c)
				}
			}
		}
	})
}

// TestDrawFrameReadInPartsIsTheSame: the take-some strata's ids read in
// two parts (as on SQLite for a large register) give the draw the one
// read gives.
func TestDrawFrameReadInPartsIsTheSame(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 1500)
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2017年调查", Period: "2017"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		draw := func(split int64) ([]Selected, *Design) {
			t.Helper()
			defer func(old int64) { frameSplit = old }(frameSplit)
			frameSplit = split
			d, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, N: 150, Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			sample, err := Sample(ctx, db, id, all, 0)
			if err != nil {
				t.Fatal(err)
			}
			return sample, d
		}
		one, d1 := draw(1 << 40)
		two, d2 := draw(2)
		if len(one) < 150 || !slices.Equal(one, two) || d1.FrameSize < 1000 || d2.FrameSize != d1.FrameSize || !slices.Equal(d1.Strata, d2.Strata) {
			t.Fatalf("one read: %d sampled, frame %d; two parts: %d sampled, frame %d", len(one), d1.FrameSize, len(two), d2.FrameSize)
		}
	})
}
