package ecstat

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"zhihui/internal/ecstat/survey"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// checkSummary fails unless the stored register summary is exactly a
// recomputation from the register.
func checkSummary(t *testing.T, db *store.DB, when string) {
	t.Helper()
	diffs, err := CheckRegisterSummary(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Fatalf("%s: the register summary differs from the register in %d rows, first %+v", when, len(diffs), diffs[0])
	}
}

// TestRegisterSummaryIsARecomputation: after every kind of write to the
// register — the demo's bulk load, imports of births, changes of every
// field the strata and frame totals depend on, deaths (also of
// enterprises listed as closed when first registered), revivals and a
// closing — the summary the design reads is exactly what a recomputation
// from the register gives (counts, revenue and sums of squares, compared
// as exact integers); a summary changed behind the register's back is
// found by the check, refused by the draw and put right by the repair
// (audited); a database without a summary gets one from the register.
func TestRegisterSummaryIsARecomputation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		reg := loadSynthetic(t, db, 1200)
		checkSummary(t, db, "after the bulk load")
		rng := rand.New(rand.NewPCG(3, 4))
		counties := []string{"410102", "410103", "410105", "410202", "410303", "411502"}
		industries := []string{"5291", "6510", "1711", "4411", "7241"}
		sizes := []string{"大型", "中型", "小型", "微型"}
		row := func(code string) string {
			rev := []string{"0", "12.5", "880", "35000.75", "123456789.99"}[rng.IntN(5)]
			above := []string{"是", "否"}[rng.IntN(2)]
			return fmt.Sprintf("%s,企业%s,%s,%s,%s,%s,%d,%s", code, code[len(code)-4:], industries[rng.IntN(len(industries))], counties[rng.IntN(len(counties))],
				sizes[rng.IntN(len(sizes))], above, rng.IntN(900), rev)
		}
		var codes []string
		for year := 2019; year <= 2022; year++ {
			var b strings.Builder
			b.WriteString("credit_code,name,industry,org_code,size,above_scale,employees,revenue,status\n")
			// Births, some closed when first listed.
			for i := 0; i < 40; i++ {
				c := code(counties[rng.IntN(len(counties))], year*1000+i)
				codes = append(codes, c)
				status := "在营"
				if rng.IntN(8) == 0 {
					status = "注销"
				}
				fmt.Fprintf(&b, "%s,%s\n", row(c), status)
			}
			// Changes, deaths and revivals of earlier ones.
			for _, c := range codes[:len(codes)-40] {
				switch rng.IntN(4) {
				case 0:
					fmt.Fprintf(&b, "%s,在营\n", row(c))
				case 1:
					fmt.Fprintf(&b, "%s,注销\n", row(c))
				}
			}
			res := importCSV(t, db, year, b.String(), all, false)
			if !res.Written {
				t.Fatalf("%d: %+v", year, res.Errors)
			}
			checkSummary(t, db, fmt.Sprintf("after the %d import (%d births, %d changes, %d deaths)", year, res.Births, res.Changes, res.Deaths))
		}
		// A dry run and a refused import change nothing.
		importCSV(t, db, 2023, header+row(code("410102", 999_999))+"\n", all, true)
		importCSV(t, db, 2023, header+row(code("410102", 999_998))+"\n"+"bad,row\n", all, false)
		checkSummary(t, db, "after a dry run and a refused import")
		// A closing.
		for _, e := range reg {
			if e.ClosedYear == 0 {
				es, _, err := Enterprises(ctx, db, Filter{Scopes: all, Query: e.CreditCode})
				if err != nil || len(es) != 1 {
					t.Fatal(es, err)
				}
				if err := Close(ctx, db, office, all, es[0].ID, 2021); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		checkSummary(t, db, "after a closing")

		// Changed behind the register's back: found, refused, repaired.
		if _, err := db.W.ExecContext(ctx, `UPDATE ecstat_register_cell SET units = units + 1 WHERE above_scale = 0 AND born_year <= 2020 AND closed_year = 0`); err != nil {
			t.Fatal(err)
		}
		diffs, err := CheckRegisterSummary(ctx, db)
		if err != nil || len(diffs) == 0 {
			t.Fatalf("a tampered summary passes the check: %v", err)
		}
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2020年调查", Period: "2020"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, N: 100, Seed: 1}); err == nil {
			t.Fatal("a draw from a summary that does not match the register went ahead")
		}
		fixed, err := RepairRegisterSummary(ctx, db, office)
		if err != nil || len(fixed) != len(diffs) {
			t.Fatalf("repaired %d rows of %d: %v", len(fixed), len(diffs), err)
		}
		checkSummary(t, db, "after the repair")
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'ecstat_register' AND action = 'repair'`); n != 1 {
			t.Fatalf("%d repairs audited", n)
		}
		if again, err := RepairRegisterSummary(ctx, db, office); err != nil || len(again) != 0 {
			t.Fatalf("a second repair found %d rows: %v", len(again), err)
		}
		// A database from before the summary: the next write to the
		// register (or draw) works it out first.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM ecstat_register_cell`); err != nil {
			t.Fatal(err)
		}
		if res := importCSV(t, db, 2023, header+row(code("410102", 999_997))+"\n", all, false); !res.Written {
			t.Fatal(res.Errors)
		}
		checkSummary(t, db, "after an import into a database without a summary")
		if _, err := db.W.ExecContext(ctx, `DELETE FROM ecstat_register_cell`); err != nil {
			t.Fatal(err)
		}
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, N: 100, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		checkSummary(t, db, "after a draw from a database without a summary")
	})
}

// plainDraw is the design and draw worked out the plain way: every
// enterprise of the register active in the year read into memory,
// grouped into strata, standard deviations by two passes over the
// revenues, the allocation, and each stratum's sample by survey.Draw of
// its ids.
type plainPick struct {
	id     int64
	h      int
	weight float64
}

func plainDraw(t *testing.T, db *store.DB, year int, spec DesignSpec) ([]Stratum, []plainPick, map[string][2]int64) {
	t.Helper()
	rows, err := db.R.QueryContext(context.Background(), `SELECT id, section, city_code, org_code, size, above_scale, revenue FROM ecstat_enterprise
		WHERE born_year <= $1 AND (closed_year = 0 OR closed_year > $1) ORDER BY id`, year)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type group struct {
		s   Stratum
		ids []int64
		rev []float64
	}
	by := map[string]*group{}
	totals := map[string][2]int64{}
	for rows.Next() {
		var id, rev int64
		var sec, city, county, size string
		var above int
		if err := rows.Scan(&id, &sec, &city, &county, &size, &above, &rev); err != nil {
			t.Fatal(err)
		}
		key := sec + "|" + city + "|" + size
		if above == 1 {
			key += "|C"
		}
		g := by[key]
		if g == nil {
			g = &group{s: Stratum{Key: key, Section: sec, City: city, Size: size, Certainty: above == 1}}
			by[key] = g
		}
		g.ids = append(g.ids, id)
		g.rev = append(g.rev, float64(rev)/100)
		tk := county + "|" + sec
		totals[tk] = [2]int64{totals[tk][0] + 1, totals[tk][1] + rev}
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var strata []Stratum
	var N, takeSome []int
	var S []float64
	var total float64
	for _, k := range keys {
		g := by[k]
		g.s.H, g.s.Pop, g.s.SDAux = len(strata), len(g.ids), survey.StdDev(g.rev)
		if g.s.Certainty {
			g.s.N = g.s.Pop
		} else {
			takeSome, N, S = append(takeSome, g.s.H), append(N, g.s.Pop), append(S, g.s.SDAux)
			for _, r := range g.rev {
				total += r
			}
		}
		strata = append(strata, g.s)
	}
	var alloc []int
	switch {
	case spec.Method == Neyman && spec.CV > 0:
		alloc = survey.NeymanForCV(N, S, total, spec.CV, MinPerStratum)
	case spec.Method == Neyman:
		alloc = survey.Neyman(N, S, spec.N, MinPerStratum)
	default:
		alloc = survey.Proportional(N, spec.N, MinPerStratum)
	}
	for i, h := range takeSome {
		strata[h].N = alloc[i]
	}
	var picks []plainPick
	for h, st := range strata {
		w := float64(st.Pop) / float64(st.N)
		for _, id := range survey.Draw(by[st.Key].ids, st.N, spec.Seed, st.Key) {
			picks = append(picks, plainPick{id, h, w})
		}
	}
	slices.SortFunc(picks, func(a, b plainPick) int { return cmp.Compare(a.id, b.id) })
	return strata, picks, totals
}

// TestDrawIsThePlainDraw: the design read from the register summary and
// the draw by ranks over the take-some ids store exactly the strata,
// frame totals and sample (enterprises, strata, weights) that the plain
// way gives from the register's rows, for proportional, Neyman and
// CV-target designs and several seeds, on a register with births,
// deaths and changes over years; the same seed gives the same sample.
func TestDrawIsThePlainDraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 2500)
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2018年调查", Period: "2018"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		for _, spec := range []DesignSpec{{Method: Proportional, N: 200, Seed: 1}, {Method: Neyman, N: 300, Seed: 2}, {Method: Neyman, CV: 0.02, Seed: 3},
			{Method: Neyman, CV: 0.02, Seed: 4}} {
			d, err := Draw(ctx, db, office, s, spec)
			if err != nil {
				t.Fatal(err)
			}
			strata, picks, totals := plainDraw(t, db, s.Year, spec)
			if len(d.Strata) != len(strata) {
				t.Fatalf("%+v: %d strata, plainly %d", spec, len(d.Strata), len(strata))
			}
			frame := 0
			for h, st := range strata {
				got := d.Strata[h]
				if got.Key != st.Key || got.Pop != st.Pop || got.N != st.N || got.Certainty != st.Certainty || got.City != st.City ||
					math.Abs(got.SDAux-st.SDAux) > 1e-9*math.Max(1, st.SDAux) {
					t.Fatalf("%+v: stratum %d is %+v, plainly %+v", spec, h, got, st)
				}
				frame += st.Pop
			}
			if d.FrameSize != frame || d.SampleSize != len(picks) {
				t.Fatalf("%+v: frame %d sample %d, plainly %d and %d", spec, d.FrameSize, d.SampleSize, frame, len(picks))
			}
			rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id, h, weight FROM ecstat_sample WHERE survey_id = $1 ORDER BY enterprise_id`, id)
			if err != nil {
				t.Fatal(err)
			}
			var got []plainPick
			for rows.Next() {
				var p plainPick
				if err := rows.Scan(&p.id, &p.h, &p.weight); err != nil {
					t.Fatal(err)
				}
				got = append(got, p)
			}
			rows.Close()
			if !slices.Equal(got, picks) {
				t.Fatalf("%+v: the stored sample (%d) is not the plain draw (%d)", spec, len(got), len(picks))
			}
			rows, err = db.R.QueryContext(ctx, `SELECT org_code, section, units, revenue FROM ecstat_frame_total WHERE survey_id = $1`, id)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				var county, sec string
				var units, rev int64
				if err := rows.Scan(&county, &sec, &units, &rev); err != nil {
					t.Fatal(err)
				}
				if totals[county+"|"+sec] != [2]int64{units, rev} {
					t.Fatalf("frame total %s × %s: %d, %d; plainly %v", county, sec, units, rev, totals[county+"|"+sec])
				}
				n++
			}
			rows.Close()
			if n != len(totals) {
				t.Fatalf("%d frame totals, plainly %d", n, len(totals))
			}
		}
	})
}
