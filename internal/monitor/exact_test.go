package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"zhihui/internal/i18n"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// groupBy computes every aggregate cell straight from the stored values,
// without the aggregate code: for each value, every unit on its path
// above the villages and every period containing its own, in units of
// 10^-scale of its element.
func groupBy(t testing.TB, db *store.DB) map[string]aggRow {
	t.Helper()
	ctx := context.Background()
	els, err := Elements(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	scale := map[int64]int{}
	for _, e := range els {
		scale[e.ID] = e.Scale()
	}
	type unit struct {
		level int
		path  string
	}
	us := map[int64]unit{}
	ids := map[string]int64{}
	// The units that keep aggregates and those holding values: not the
	// 52,000 villages without a value, read again after every write.
	rows, err := db.R.Query("SELECT id, code, level, path FROM monitor_ou WHERE level < $1 OR id IN (SELECT ou_id FROM monitor_value)", leafLevel)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var code string
		var u unit
		if err := rows.Scan(&id, &code, &u.level, &u.path); err != nil {
			t.Fatal(err)
		}
		us[id], ids[code] = u, id
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	out := map[string]aggRow{}
	rows, err = db.R.Query("SELECT element_id, pe, ou_id, value FROM monitor_value WHERE value IS NOT NULL")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var el, ou int64
		var pe string
		var v float64
		if err := rows.Scan(&el, &pe, &ou, &v); err != nil {
			t.Fatal(err)
		}
		x := int64(math.Round(v * math.Pow10(scale[el])))
		if float64(x)/math.Pow10(scale[el]) != v {
			t.Fatalf("stored value %v of element %d has more than %d decimals", v, el, scale[el])
		}
		p, err := period.Parse(pe)
		if err != nil {
			t.Fatal(err)
		}
		pes := append([]period.Period{p}, p.Ancestors()...)
		for _, code := range strings.Split(strings.Trim(us[ou].path, "/"), "/") {
			id, ok := ids[code]
			if !ok || us[id].level >= leafLevel {
				continue
			}
			for _, q := range pes {
				k := fmt.Sprintf("%d/%s/%d", el, q.ID(), id)
				c, seen := out[k]
				if !seen {
					c = aggRow{el: el, pe: q.ID(), ou: id, min: x, max: x, lastPe: pe}
				}
				c.sum += x
				c.cnt++
				c.min, c.max = min(c.min, x), max(c.max, x)
				switch {
				case pe > c.lastPe:
					c.lastPe, c.last = pe, x
				case pe == c.lastPe:
					c.last += x
				}
				out[k] = c
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertGroupBy checks every stored aggregate against groupBy, exactly.
func assertGroupBy(t testing.TB, db *store.DB, when string) {
	t.Helper()
	got, want := readAgg(t, db), groupBy(t, db)
	bad := 0
	for k, w := range want {
		if g := got[k]; g != w && bad < 5 {
			t.Errorf("%s: cell %s is %+v, the stored values give %+v", when, k, g, w)
			bad++
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && bad < 5 {
			t.Errorf("%s: cell %s (%+v) has no stored values", when, k, g)
			bad++
		}
	}
	if bad > 0 {
		t.FailNow()
	}
}

// fixedString writes x units of 10^-scale as a decimal, exactly.
func fixedString(x int64, scale int) string {
	if scale == 0 {
		return strconv.FormatInt(x, 10)
	}
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	p := int64(math.Pow10(scale))
	return fmt.Sprintf("%s%d.%0*d", sign, x/p, scale, x%p)
}

// TestAggregatesEqualGroupByProperty writes random sequences of values,
// corrections and deletions, with magnitudes from 10^-4 to 10^15 (twenty
// orders), and after every write compares every aggregate cell with the
// sums, counts, bounds and latest figures computed from the stored
// values.
func TestAggregatesEqualGroupByProperty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		type spec struct {
			code, vt, agg, pt string
		}
		specs := []spec{
			{"P_INT_SUM", Integer, Sum, "monthly"},
			{"P_NUM_SUM", Number, Sum, "monthly"},
			{"P_NUM_AVG", Number, Average, "quarterly"},
			{"P_INT_MIN", Integer, Min, "monthly"},
			{"P_PCT_MAX", Percent, Max, "monthly"},
			{"P_INT_LAST", Integer, Last, "monthly"},
			{"P_NUM_YEAR", Number, Sum, "yearly"},
		}
		els := map[string]Element{}
		for _, s := range specs {
			els[s.code] = mustElement(t, db, Element{Code: s.code, Name: s.code, ValueType: s.vt, Aggregation: s.agg, PeriodType: s.pt})
		}
		units := append(villages(t, db, "410102", 4), villages(t, db, "410204", 3)...)
		units = append(units, "410102", "4102", "410204")
		seed := uint64(20261202)
		rng := rand.New(rand.NewPCG(seed, seed))
		periods := func(pt string) []string {
			switch pt {
			case "monthly":
				return []string{"202301", "202302", "202306", "202412"}
			case "quarterly":
				return []string{"2023Q1", "2023Q2", "2024Q4"}
			}
			return []string{"2023", "2024"}
		}
		// a magnitude from 10^0 to 10^15 units of the smallest decimal
		// for numbers (10^-4 … 10^11) and for integers (1 … 10^15)
		random := func(e Element) string {
			k := rng.IntN(16)
			x := rng.Int64N(int64(math.Pow10(k))) + 1
			if rng.IntN(4) == 0 {
				x = -x
			}
			if e.ValueType == Percent {
				x %= 1_000_000_0000 // keep percentages plausible
			}
			return fixedString(x, e.Scale())
		}
		var keys [][3]string // element, unit, period written so far
		for step := range 120 {
			n := 1 + rng.IntN(12)
			var vals []Value
			for range n {
				var v Value
				if len(keys) > 0 && rng.IntN(3) == 0 {
					k := keys[rng.IntN(len(keys))]
					v = Value{DataElement: k[0], OrgUnit: k[1], Period: k[2]}
				} else {
					s := specs[rng.IntN(len(specs))]
					ps := periods(s.pt)
					v = Value{DataElement: s.code, OrgUnit: units[rng.IntN(len(units))], Period: ps[rng.IntN(len(ps))]}
					keys = append(keys, [3]string{v.DataElement, v.OrgUnit, v.Period})
				}
				if rng.IntN(5) != 0 { // else: delete
					v.Value = random(els[v.DataElement])
				}
				vals = append(vals, v)
			}
			if err := SaveValues(ctx, db, tester, vals); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			assertGroupBy(t, db, fmt.Sprintf("step %d", step))
		}
		// What the element cannot hold is refused and changes nothing.
		before := readAgg(t, db)
		for _, bad := range []Value{
			{DataElement: "P_INT_SUM", OrgUnit: units[0], Period: "202301", Value: "1e308"},
			{DataElement: "P_INT_SUM", OrgUnit: units[0], Period: "202301", Value: "9007199254740992"},
			{DataElement: "P_NUM_SUM", OrgUnit: units[0], Period: "202301", Value: "1e20"},
			{DataElement: "P_NUM_SUM", OrgUnit: units[0], Period: "202301", Value: "0.00001"},
			{DataElement: "P_NUM_SUM", OrgUnit: units[0], Period: "202301", Value: "NaN"},
			{DataElement: "P_NUM_SUM", OrgUnit: units[0], Period: "202301", Value: "-Inf"},
		} {
			err := SaveValues(ctx, db, tester, []Value{bad})
			var ve i18n.Errors
			if !errors.As(err, &ve) || len(ve) != 1 {
				t.Fatalf("%s accepted (%v)", bad.Value, err)
			}
			if msg := ve[0].Error(); !strings.Contains(msg, bad.Value) {
				t.Errorf("%s: the error %q does not name the value", bad.Value, msg)
			}
		}
		if after := readAgg(t, db); len(after) != len(before) {
			t.Errorf("refused values changed the aggregates: %d cells, then %d", len(before), len(after))
		}
		assertGroupBy(t, db, "after refused values")
	})
}

// TestHugeThenSmallKeepsTotal is the reported loss: a value of 1e20 was
// accepted for an integer element and then corrected to 3, after which the
// city total read 0 although the stored values summed to 3; and "1e308"
// made the totals infinite.
func TestHugeThenSmallKeepsTotal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "ADMIN_VILLAGES", Name: "行政村数", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly", Min: f64(0)})
		mustElement(t, db, Element{Code: "SPEED", Name: "速率", ValueType: Number, Aggregation: Sum, PeriodType: "yearly"})
		total := func(dx, pe, ou string) float64 {
			t.Helper()
			r, err := Analytics(ctx, db, Query{DX: []string{dx}, PE: []string{pe}, OU: []string{ou}})
			if err != nil {
				t.Fatal(err)
			}
			v, _ := r.Get(dx, pe, ou)
			return v
		}
		for _, huge := range []string{"1e20", "1e308"} {
			err := SaveValues(ctx, db, tester, []Value{{DataElement: "ADMIN_VILLAGES", OrgUnit: "410204", Period: "2023", Value: huge}})
			var ve i18n.Errors
			if !errors.As(err, &ve) {
				t.Errorf("%s accepted for an integer element (%v)", huge, err)
			}
		}
		if err := SaveValues(ctx, db, tester, []Value{{DataElement: "ADMIN_VILLAGES", OrgUnit: "410204", Period: "2023", Value: "3"}}); err != nil {
			t.Fatal(err)
		}
		if got := total("ADMIN_VILLAGES", "2023", "4102"); got != 3 {
			t.Errorf("4102 total %v, want 3", got)
		}
		// The same loss within range: a large and a small value, then
		// the large one corrected. Float sums lose the small one.
		big := fixedString(maxFixed, 0)
		if err := SaveValues(ctx, db, tester, []Value{
			{DataElement: "ADMIN_VILLAGES", OrgUnit: "410202", Period: "2024", Value: big},
			{DataElement: "ADMIN_VILLAGES", OrgUnit: "410203", Period: "2024", Value: "2"},
			{DataElement: "SPEED", OrgUnit: "410202", Period: "2024", Value: "900719925474.0991"},
			{DataElement: "SPEED", OrgUnit: "410203", Period: "2024", Value: "0.0001"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := SaveValues(ctx, db, tester, []Value{
			{DataElement: "ADMIN_VILLAGES", OrgUnit: "410202", Period: "2024", Value: "5"},
			{DataElement: "SPEED", OrgUnit: "410202", Period: "2024", Value: "0"},
		}); err != nil {
			t.Fatal(err)
		}
		if got := total("ADMIN_VILLAGES", "2024", "4102"); got != 7 {
			t.Errorf("4102 total %v after correcting the large value, want 7", got)
		}
		if got := total("SPEED", "2024", "41"); got != 0.0001 {
			t.Errorf("41 total %v after correcting the large value, want 0.0001", got)
		}
		assertGroupBy(t, db, "end")
	})
}

// TestTotalBeyondInt64IsRefused fills a cell past the int64 range in two
// writes (so that the database, not the write's own sums, sees it) and
// expects a clear refusal that leaves the aggregates as they were.
func TestTotalBeyondInt64IsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "BIG", Name: "大数", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		vs := villages(t, db, "41", 1100)
		write := func(part []string) error {
			var vals []Value
			for _, v := range part {
				vals = append(vals, Value{DataElement: "BIG", OrgUnit: v, Period: "2024", Value: fixedString(maxFixed, 0)})
			}
			return SaveValues(ctx, db, tester, vals)
		}
		if err := write(vs[:600]); err != nil {
			t.Fatal(err)
		}
		before := readAgg(t, db)
		err := write(vs[600:])
		if err == nil || !strings.Contains(err.Error(), "exceed") || !strings.Contains(err.Error(), "超出") {
			t.Fatalf("a total beyond int64: %v", err)
		}
		after := readAgg(t, db)
		if len(after) != len(before) {
			t.Fatalf("%d cells before, %d after the refused write", len(before), len(after))
		}
		for k, b := range before {
			if after[k] != b {
				t.Errorf("cell %s changed by a refused write: %+v → %+v", k, b, after[k])
			}
		}
		// within a single write the sums are checked before the database
		if err := write(vs); err == nil || !strings.Contains(err.Error(), "exceed") {
			t.Fatalf("a total beyond int64 in one write: %v", err)
		}
		assertGroupBy(t, db, "end")
	})
}

// TestRebuildStaleSetsAsideInexactValues plays the move to exact
// aggregates over a store written before it: values no element can hold
// are moved aside (not lost), the rest is aggregated exactly.
func TestRebuildStaleSetsAsideInexactValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		e := mustElement(t, db, Element{Code: "ADMIN_VILLAGES", Name: "行政村数", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		n := mustElement(t, db, Element{Code: "RATE", Name: "比率", ValueType: Percent, Aggregation: Max, PeriodType: "yearly"})
		if err := SaveValues(ctx, db, tester, []Value{
			{DataElement: "ADMIN_VILLAGES", OrgUnit: "410202", Period: "2024", Value: "5"},
			{DataElement: "RATE", OrgUnit: "410202", Period: "2024", Value: "12.5"},
		}); err != nil {
			t.Fatal(err)
		}
		ids, err := units(db).lookup(ctx, db, "410203", "410204")
		if err != nil {
			t.Fatal(err)
		}
		// what an older version let through
		for _, r := range []struct {
			el int64
			ou string
			v  float64
		}{{e.ID, "410203", 1e308}, {e.ID, "410204", 7}, {n.ID, "410203", 12.345678}} {
			if _, err := db.W.Exec("INSERT INTO monitor_value (element_id, pe, ou_id, value, updated_at) VALUES ($1, '2024', $2, $3, $4)", r.el, ids[r.ou].id, r.v, store.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.W.Exec("INSERT INTO monitor_agg_stale (element_id) SELECT id FROM monitor_element"); err != nil {
			t.Fatal(err)
		}
		k, err := RebuildStale(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if k != 2 {
			t.Errorf("%d values set aside, want 2", k)
		}
		var aside int
		if err := db.R.QueryRow("SELECT count(*) FROM monitor_value_setaside WHERE reason <> ''").Scan(&aside); err != nil || aside != 2 {
			t.Errorf("monitor_value_setaside holds %d rows (%v), want 2", aside, err)
		}
		var stale int
		if err := db.R.QueryRow("SELECT count(*) FROM monitor_agg_stale").Scan(&stale); err != nil || stale != 0 {
			t.Errorf("%d elements still stale (%v)", stale, err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"ADMIN_VILLAGES", "RATE"}, PE: []string{"2024"}, OU: []string{"4102"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Get("ADMIN_VILLAGES", "2024", "4102"); v != 12 {
			t.Errorf("4102 total %v, want 12", v)
		}
		if v, _ := r.Get("RATE", "2024", "4102"); v != 12.5 {
			t.Errorf("4102 max %v, want 12.5", v)
		}
		assertGroupBy(t, db, "after rebuild")
		if k, err := RebuildStale(ctx, db); err != nil || k != 0 {
			t.Errorf("a second run set aside %d (%v)", k, err)
		}
	})
}

// TestAnalyticsNeverInfinite: a formula dividing by zero gives no figure
// rather than an infinity that JSON cannot carry.
func TestAnalyticsNeverInfinite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "AA", Name: "甲", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		mustElement(t, db, Element{Code: "BB", Name: "乙", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		if _, err := SaveIndicator(ctx, db, tester, Indicator{Code: "A_PER_B", Name: "甲比乙", Direction: Higher, Formula: "#{AA} / #{BB}", Decimals: 1}); err != nil {
			t.Fatal(err)
		}
		if err := SaveValues(ctx, db, tester, []Value{
			{DataElement: "AA", OrgUnit: "410202", Period: "2024", Value: "5"},
			{DataElement: "BB", OrgUnit: "410202", Period: "2024", Value: "0"},
		}); err != nil {
			t.Fatal(err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"AA", "A_PER_B"}, PE: []string{"2024"}, OU: []string{"4102"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range r.Rows {
			if math.IsInf(row.Value, 0) || math.IsNaN(row.Value) {
				t.Errorf("%+v is not finite", row)
			}
		}
		if v, ok := r.Get("AA", "2024", "4102"); !ok || v != 5 {
			t.Errorf("AA = %v (%v), want 5", v, ok)
		}
	})
}

// FuzzCheckValue: whatever the input, a value CheckValue accepts for a
// numeric element is finite, within the element's exact range, and
// converts to fixed point and back without change — the property exact
// aggregates rest on; and what it refuses carries both languages.
func FuzzCheckValue(f *testing.F) {
	for _, s := range []string{"1", "-0", "3.1415", "3.14159", "1e308", "1e20", "-1e-5", "9007199254740991", "9007199254740992",
		"900719925474.0991", "900719925474.0992", "NaN", "Inf", "-Infinity", "1,234.5", "１２３．４", "0x10", "1_000", "12%", "+7", " 42 ", ".5", "5."} {
		f.Add(s)
	}
	els := []Element{
		{Code: "F_INT", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"},
		{Code: "F_NUM", ValueType: Number, Aggregation: Sum, PeriodType: "yearly"},
		{Code: "F_PCT", ValueType: Percent, Aggregation: Max, PeriodType: "yearly"},
		{Code: "F_BOOL", ValueType: Boolean, Aggregation: Last, PeriodType: "yearly"},
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for i := range els {
			e := &els[i]
			v, _, err := CheckValue(e, raw)
			if err != nil {
				if err.Text.Zh == "" || err.Text.En == "" {
					t.Fatalf("%s %q: error without both languages: %+v", e.Code, raw, err)
				}
				continue
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > maxExact(e.Scale()) {
				t.Fatalf("%s %q accepted as %v", e.Code, raw, v)
			}
			x, ok := toFixed(v, e.Scale())
			if !ok || fromFixed(x, e.Scale()) != v {
				t.Fatalf("%s %q = %v does not survive fixed point (%d, %v)", e.Code, raw, v, x, ok)
			}
			back, _, err := CheckValue(e, fixedString(x, e.Scale()))
			if err != nil || back != v {
				t.Fatalf("%s %q: %s reads back as %v (%v), want %v", e.Code, raw, fixedString(x, e.Scale()), back, err, v)
			}
		}
	})
}

// TestUpgradeToExactAggregates migrates a store written under the float
// aggregates (monitor schema 1) to schema 2 and recomputes: every cell
// then equals the GROUP BY of the stored values, the value no element can
// hold is set aside, and writes go on exactly.
func TestUpgradeToExactAggregates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v1 := store.Schema{Component: Schema.Component, Migrations: Schema.Migrations[:1]}
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, v1); err != nil {
			t.Fatal(err)
		}
		if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
			t.Fatal(err)
		}
		now := store.Now()
		for _, el := range []struct{ code, vt, agg string }{{"OLD_INT", Integer, Sum}, {"OLD_NUM", Number, Max}} {
			if _, err := db.W.Exec(`INSERT INTO monitor_element (code, name, value_type, aggregation, period_type, updated_at) VALUES ($1, $1, $2, $3, 'yearly', $4)`, el.code, el.vt, el.agg, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := units(db).lookup(ctx, db, "410202", "410203", "410204"); err != nil {
			t.Fatal(err)
		}
		rows := []struct {
			el, ou string
			v      float64
		}{{"OLD_INT", "410202", 5}, {"OLD_INT", "410203", 1e308}, {"OLD_INT", "410204", 7}, {"OLD_NUM", "410202", 0.5}, {"OLD_NUM", "410203", 12.25}}
		for _, r := range rows {
			if _, err := db.W.Exec(`INSERT INTO monitor_value (element_id, pe, ou_id, value, updated_at)
				SELECT e.id, '2024', o.id, $3, $4 FROM monitor_element e, monitor_ou o WHERE e.code = $1 AND o.code = $2`, r.el, r.ou, r.v, now); err != nil {
				t.Fatal(err)
			}
		}
		// float aggregates as the old release kept them
		if _, err := db.W.Exec(`INSERT INTO monitor_agg (element_id, pe, ou_id, sum, cnt, min, max, last_pe, last)
			SELECT element_id, '2024', 1, 1e308, 3, 5, 1e308, '2024', 1e308 FROM monitor_value LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, Schema); err != nil {
			t.Fatal(err)
		}
		n, err := RebuildStale(ctx, db)
		if err != nil || n != 1 {
			t.Fatalf("upgrade set aside %d values (%v), want 1", n, err)
		}
		assertGroupBy(t, db, "after the upgrade")
		r, err := Analytics(ctx, db, Query{DX: []string{"OLD_INT", "OLD_NUM"}, PE: []string{"2024"}, OU: []string{"4102"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Get("OLD_INT", "2024", "4102"); v != 12 {
			t.Errorf("OLD_INT 4102 = %v, want 12", v)
		}
		if v, _ := r.Get("OLD_NUM", "2024", "4102"); v != 12.25 {
			t.Errorf("OLD_NUM 4102 = %v, want 12.25", v)
		}
		if err := SaveValues(ctx, db, tester, []Value{{DataElement: "OLD_INT", OrgUnit: "410203", Period: "2024", Value: "3"}}); err != nil {
			t.Fatal(err)
		}
		assertGroupBy(t, db, "after a write")
	})
}
