package ecstat

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestQuarterlyDrawRotatesFromPreviousQuarter: a quarterly survey's draw
// keeps part of the previous quarter's sample — not the annual sample,
// even one drawn later — and each take-some stratum keeps round(keep·n)
// of its firms from that quarter, the rest drawn afresh; the first
// quarterly survey has no earlier quarter to rotate from whatever annual
// samples exist; an annual survey rotates from the previous annual one,
// not from a later-drawn quarter; the rotation page's comparison of a
// fresh draw uses the same rule.
func TestQuarterlyDrawRotatesFromPreviousQuarter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 3000)
		newSurvey := func(period string) *Survey {
			t.Helper()
			id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: period + " 调查", Period: period})
			if err != nil {
				t.Fatal(err)
			}
			s, err := GetSurvey(ctx, db, id)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		draw := func(s *Survey, seed uint64, keep float64) (*Design, error) {
			return Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 300, Seed: seed, Keep: keep})
		}
		ids := func(id int64) map[int64]Selected {
			t.Helper()
			list, err := Sample(ctx, db, id, all, 0)
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]Selected{}
			for _, x := range list {
				m[x.ID] = x
			}
			return m
		}
		a17 := newSurvey("2017")
		if _, err := draw(a17, 1, 0); err != nil {
			t.Fatal(err)
		}
		// The first quarter: the annual sample is no previous quarter.
		q1 := newSurvey("2018Q1")
		_, err := draw(q1, 2, 0.5)
		var ue *i18n.Error
		if err == nil || !errors.As(err, &ue) || !strings.Contains(ue.En, "quarterly") || ue.Field != "keep" {
			t.Fatalf("the first quarter rotated: %v", err)
		}
		if _, err := draw(q1, 2, 0); err != nil {
			t.Fatal(err)
		}
		// An annual survey of the same year drawn after the first quarter,
		// and then the second quarter.
		a18 := newSurvey("2018")
		if _, err := draw(a18, 3, 0.5); err != nil {
			t.Fatal(err)
		}
		if d, _ := GetDesign(ctx, db, a18.ID); d.RotateFrom != a17.ID {
			t.Fatalf("the annual 2018 survey rotated from survey %d, want the annual 2017 one %d", d.RotateFrom, a17.ID)
		}
		q2 := newSurvey("2018Q2")
		const keep = 0.5
		d, err := draw(q2, 4, keep)
		if err != nil {
			t.Fatal(err)
		}
		if d.RotateFrom != q1.ID {
			t.Fatalf("the second quarter rotated from survey %d, want the first quarter %d (annual: %d, %d)", d.RotateFrom, q1.ID, a17.ID, a18.ID)
		}
		last, now := ids(q1.ID), ids(q2.ID)
		// Per take-some stratum, round(keep·n) firms of the first quarter
		// stay (as many as it had there), the rest are new (unless the
		// stratum has too few firms not sampled before).
		type tally struct{ kept, n, before int }
		strata := map[string]*tally{}
		for _, x := range now {
			if x.Certainty {
				continue
			}
			c := strata[x.Stratum]
			if c == nil {
				c = &tally{}
				strata[x.Stratum] = c
			}
			c.n++
			if _, was := last[x.ID]; was {
				c.kept++
			}
		}
		for _, x := range last {
			if c := strata[x.Stratum]; c != nil && !x.Certainty {
				c.before++
			}
		}
		kept, fresh := 0, 0
		pop := map[string]int{}
		for _, st := range d.Strata {
			pop[st.Key] = st.Pop
		}
		for key, c := range strata {
			want := min(int(math.Round(keep*float64(c.n))), c.before)
			if other := pop[key] - c.before; c.n-want > other {
				want = min(c.before, c.n-other) // too few new firms: topped up from the old sample
			}
			if c.kept != want {
				t.Errorf("stratum %s: %d of %d kept from the first quarter, want %d (it had %d)", key, c.kept, c.n, want, c.before)
			}
			kept += c.kept
			fresh += c.n - c.kept
		}
		if kept != d.Kept || fresh != d.Rotated || d.Kept == 0 || d.Rotated == 0 {
			t.Fatalf("design says %d kept, %d drawn afresh; counted %d and %d", d.Kept, d.Rotated, kept, fresh)
		}
		// Part of the sample stays: about half of the take-some firms.
		if share := float64(kept) / float64(kept+fresh); share < 0.4 || share > 0.6 {
			t.Fatalf("%.2f of the take-some sample kept, want about %.1f", share, keep)
		}
		diff, err := Rotation(ctx, db, q2, all)
		if err != nil || diff.From == nil || diff.From.ID != q1.ID || len(diff.In) != d.Rotated {
			t.Fatalf("rotation of the second quarter: from %+v, %d in (design %d) %v", diff.From, len(diff.In), d.Rotated, err)
		}
		// A fresh third quarter compares with the second on the rotation page.
		q3 := newSurvey("2018Q3")
		if _, err := draw(q3, 5, 0); err != nil {
			t.Fatal(err)
		}
		if diff, err := Rotation(ctx, db, q3, all); err != nil || diff.From == nil || diff.From.ID != q2.ID {
			t.Fatalf("rotation of a fresh third quarter: %+v %v", diff.From, err)
		}
		// The next year's annual survey rotates from 2018's, not from a quarter.
		a19 := newSurvey("2019")
		if d, err := draw(a19, 6, 0.5); err != nil || d.RotateFrom != a18.ID {
			t.Fatalf("annual 2019: %+v %v", d, err)
		}
		// 2019Q1 rotates from 2018Q3 (the latest earlier quarter drawn).
		q19 := newSurvey("2019Q1")
		if d, err := draw(q19, 7, 0.5); err != nil || d.RotateFrom != q3.ID {
			t.Fatalf("2019Q1: %+v %v", d, err)
		}
		// An explicit survey to rotate from must be of the same frequency:
		// a quarter does not rotate from an annual survey nor the other way
		// round, and the refused draw leaves the stored one alone.
		explicit := func(s *Survey, from int64) (*Design, error) {
			return Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 300, Seed: 8, Keep: 0.5, RotateFrom: from})
		}
		for _, c := range []struct {
			s    *Survey
			from int64
			zh   string
			en   string
		}{
			{q19, a18.ID, "年报", "is not of the same frequency as this survey (a quarterly survey, 2019 Q1)"},
			{a19, q3.ID, "季报", "(a quarterly survey, 2018 Q3) is not of the same frequency as this survey (an annual survey, 2019)"},
			{a19, 1 << 40, "没有编号为", "there is no survey"},
		} {
			_, err := explicit(c.s, c.from)
			var ue *i18n.Error
			if !errors.As(err, &ue) || ue.Field != "rotate_from" || !strings.Contains(ue.Zh, c.zh) || !strings.Contains(ue.En, c.en) {
				t.Errorf("%s rotating from %d: %v", c.s.Period(), c.from, err)
			}
		}
		if d, err := GetDesign(ctx, db, q19.ID); err != nil || d.RotateFrom != q3.ID || d.Seed != 7 {
			t.Fatalf("a refused draw changed the stored one: %+v %v", d, err)
		}
		// The same frequency, named explicitly: 2019Q1 from 2018Q2.
		if d, err := explicit(q19, q2.ID); err != nil || d.RotateFrom != q2.ID || d.Kept == 0 {
			t.Fatalf("2019Q1 from 2018Q2: %+v %v", d, err)
		}
	})
}
