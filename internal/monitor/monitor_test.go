package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var tester = audit.Actor{UserID: 7, Name: "tester"}

// setup migrates a fresh store and loads the org units.
func setup(t testing.TB, db *store.DB) {
	t.Helper()
	// Written once per test process into a template each test copies.
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, Schema); err != nil {
			return err
		}
		if _, err := orgunit.Load(ctx, db, []orgunit.Unit{{Code: "41D-GXT", Name: "省工业和信息化厅", Kind: orgunit.Department}}, nil); err != nil {
			return err
		}
		// The units interned into monitor_ou, as the first save of
		// values does, so that each test's first save only reads them;
		// the template's own index is dropped with its store.
		defer indexes.Delete(db)
		return units(db).sync(ctx, db)
	}
	if !storetest.FillFromTemplate(t, db, "monitor", build) {
		if err := build(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
}

func f64(v float64) *float64 { return &v }

func mustElement(t testing.TB, db *store.DB, e Element) Element {
	t.Helper()
	e, err := SaveElement(context.Background(), db, tester, e)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// villages returns n village codes under county, spread over townships.
func villages(t testing.TB, db *store.DB, county string, n int) []string {
	t.Helper()
	u, err := orgunit.Get(context.Background(), db, county)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := orgunit.Descendants(context.Background(), db, u.Path, 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) < n {
		t.Fatalf("%s has %d villages", county, len(vs))
	}
	out := make([]string, n)
	step := len(vs) / n
	for i := range out {
		out[i] = vs[i*step].Code
	}
	return out
}

type aggRow struct {
	el      int64
	pe      string
	ou      int64
	sum     int64
	cnt     int64
	min     int64
	max     int64
	lastPe  string
	last    int64
	hasLast bool
}

func readAgg(t testing.TB, db *store.DB) map[string]aggRow {
	t.Helper()
	rows, err := db.R.Query("SELECT element_id, pe, ou_id, sum, cnt, min, max, last_pe, last FROM monitor_agg")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]aggRow{}
	for rows.Next() {
		var r aggRow
		if err := rows.Scan(&r.el, &r.pe, &r.ou, &r.sum, &r.cnt, &r.min, &r.max, &r.lastPe, &r.last); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%d/%s/%d", r.el, r.pe, r.ou)] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// assertConsistent checks the stored aggregates against a rebuild from the
// raw values.
func assertConsistent(t testing.TB, db *store.DB) {
	t.Helper()
	got := readAgg(t, db)
	if err := Rebuild(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	want := readAgg(t, db)
	if len(got) != len(want) {
		t.Errorf("aggregates: %d cells kept, %d after rebuild", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		g, ok := got[k]
		if !ok || g != w {
			if bad < 5 {
				t.Errorf("cell %s: kept %+v, rebuilt %+v", k, g, w)
			}
			bad++
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && bad < 5 {
			t.Errorf("cell %s kept but absent after rebuild", k)
			bad++
		}
	}
}

func TestSaveValuesKeepsAggregates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "STATIONS", Name: "信息站", ValueType: Integer, Aggregation: Sum, PeriodType: "monthly"})
		mustElement(t, db, Element{Code: "SPEED", Name: "速率", ValueType: Number, Aggregation: Average, PeriodType: "monthly"})
		mustElement(t, db, Element{Code: "SPEED_MAX", Name: "最高速率", ValueType: Number, Aggregation: Max, PeriodType: "monthly"})
		mustElement(t, db, Element{Code: "SPEED_MIN", Name: "最低速率", ValueType: Number, Aggregation: Min, PeriodType: "monthly"})
		mustElement(t, db, Element{Code: "USERS", Name: "用户", ValueType: Number, Aggregation: Last, PeriodType: "monthly"})
		vs := villages(t, db, "410102", 6)
		var vals []Value
		for i, v := range vs {
			for m := 1; m <= 3; m++ {
				for _, el := range []string{"STATIONS", "SPEED", "SPEED_MAX", "SPEED_MIN", "USERS"} {
					vals = append(vals, Value{DataElement: el, OrgUnit: v, Period: fmt.Sprintf("2015%02d", m), Value: fmt.Sprint((i + 1) * m)})
				}
			}
		}
		// a value reported at the county itself
		vals = append(vals, Value{DataElement: "STATIONS", OrgUnit: "410102", Period: "201502", Value: "100"})
		if err := SaveValues(ctx, db, tester, vals); err != nil {
			t.Fatal(err)
		}
		assertConsistent(t, db)

		r, err := Analytics(ctx, db, Query{DX: []string{"STATIONS", "SPEED", "SPEED_MAX", "SPEED_MIN", "USERS"}, PE: []string{"201502", "2015Q1", "2015"}, OU: []string{"41", "4101", "410102", vs[0]}})
		if err != nil {
			t.Fatal(err)
		}
		// villages 1..6 × month m: STATIONS sum over months 1–3 = 21*6 = 126, + 100 at the county
		check := func(dx, pe, ou string, want float64) {
			t.Helper()
			got, ok := r.Get(dx, pe, ou)
			if !ok || !near(got, want) {
				t.Errorf("%s %s %s = %v (%v), want %v", dx, pe, ou, got, ok, want)
			}
		}
		check("STATIONS", "2015Q1", "41", 226)
		check("STATIONS", "2015", "4101", 226)
		check("STATIONS", "201502", "410102", 21*2+100)
		check("STATIONS", "2015Q1", vs[0], 6)
		check("SPEED", "201502", "41", 7)     // (2+4+…+12)/6
		check("SPEED", "2015Q1", "410102", 7) // mean of all 18 values: 21*6/18
		check("SPEED_MAX", "2015", "41", 18)
		check("SPEED_MIN", "2015Q1", "4101", 1)
		check("USERS", "2015Q1", "41", 63) // March: 3*(1+…+6)
		check("USERS", "2015Q1", vs[0], 3)
		if _, ok := r.Get("STATIONS", "2015", "410102001001999"); ok {
			t.Error("value for a unit not asked for")
		}

		// Lower the maximum, raise the minimum, delete the latest month of one village.
		upd := []Value{
			{DataElement: "SPEED_MAX", OrgUnit: vs[5], Period: "201503", Value: "1"},
			{DataElement: "SPEED_MIN", OrgUnit: vs[0], Period: "201501", Value: "50"},
			{DataElement: "USERS", OrgUnit: vs[5], Period: "201503", Value: ""},
			{DataElement: "STATIONS", OrgUnit: "410102", Period: "201502", Value: "40"},
		}
		if err := SaveValues(ctx, db, tester, upd); err != nil {
			t.Fatal(err)
		}
		assertConsistent(t, db)
		r, err = Analytics(ctx, db, Query{DX: []string{"STATIONS", "SPEED_MAX", "SPEED_MIN", "USERS"}, PE: []string{"2015Q1"}, OU: []string{"41"}})
		if err != nil {
			t.Fatal(err)
		}
		check("SPEED_MAX", "2015Q1", "41", 15) // village 5 × March
		check("SPEED_MIN", "2015Q1", "41", 2)  // village 1 × February, or village 2 × January
		check("USERS", "2015Q1", "41", 63-18)
		check("STATIONS", "2015Q1", "41", 166)

		// Delete every value of one element: its cells go away.
		var del []Value
		for _, v := range vals {
			if v.DataElement == "SPEED_MIN" {
				del = append(del, Value{DataElement: v.DataElement, OrgUnit: v.OrgUnit, Period: v.Period})
			}
		}
		if err := SaveValues(ctx, db, tester, del); err != nil {
			t.Fatal(err)
		}
		assertConsistent(t, db)
		r, err = Analytics(ctx, db, Query{DX: []string{"SPEED_MIN"}, PE: []string{"2015"}, OU: []string{"41"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rows) != 0 {
			t.Errorf("rows after deleting everything: %v", r.Rows)
		}
	})
}

func TestRandomWritesStayConsistent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		aggs := []string{Sum, Average, Last, Min, Max}
		for i, a := range aggs {
			pt := []string{"monthly", "quarterly", "yearly", "monthly", "sixmonthly"}[i]
			mustElement(t, db, Element{Code: "E_" + strings.ToUpper(a), Name: a, ValueType: Number, Aggregation: a, PeriodType: pt})
		}
		units := append(villages(t, db, "410102", 8), villages(t, db, "411525", 4)...)
		units = append(units, "410102", "4115", "41", "41D-GXT")
		rnd := rand.New(rand.NewPCG(1, 2))
		periods := map[string][]string{
			"monthly": {"201411", "201412", "201501", "201502", "201507"}, "quarterly": {"2014Q4", "2015Q1", "2015Q3"},
			"yearly": {"2014", "2015"}, "sixmonthly": {"2014S2", "2015S1"},
		}
		for round := range 12 {
			var vals []Value
			for range 1 + rnd.IntN(30) {
				i := rnd.IntN(len(aggs))
				el := "E_" + strings.ToUpper(aggs[i])
				pt := []string{"monthly", "quarterly", "yearly", "monthly", "sixmonthly"}[i]
				v := Value{DataElement: el, OrgUnit: units[rnd.IntN(len(units))], Period: periods[pt][rnd.IntN(len(periods[pt]))]}
				if rnd.IntN(5) > 0 {
					v.Value = fmt.Sprint(rnd.IntN(200) - 50)
				}
				vals = append(vals, v)
			}
			if err := SaveValues(ctx, db, tester, vals); err != nil {
				t.Fatal(err)
			}
			if round%4 == 3 {
				assertConsistent(t, db)
			}
		}
	})
}

func TestIndicatorUsesAggregatedParts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "SUBS", Name: "宽带用户", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		mustElement(t, db, Element{Code: "HH", Name: "家庭户数", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		if _, err := SaveIndicator(ctx, db, tester, Indicator{Code: "PEN", Name: "普及率", Unit: "%", Direction: Higher, Formula: "#{SUBS} / #{HH} * 100", Decimals: 1}); err != nil {
			t.Fatal(err)
		}
		err := SaveValues(ctx, db, tester, []Value{
			{DataElement: "SUBS", OrgUnit: "410102", Period: "2015", Value: "90"},
			{DataElement: "HH", OrgUnit: "410102", Period: "2015", Value: "100"},
			{DataElement: "SUBS", OrgUnit: "410103", Period: "2015", Value: "10"},
			{DataElement: "HH", OrgUnit: "410103", Period: "2015", Value: "900"},
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"PEN"}, PE: []string{"2015"}, OU: []string{"4101", "410102", "410103"}})
		if err != nil {
			t.Fatal(err)
		}
		// 100/1000, not the mean of 90% and 1.1%
		if v, _ := r.Get("PEN", "2015", "4101"); !near(v, 10) {
			t.Errorf("PEN 4101 = %v, want 10", v)
		}
		if v, _ := r.Get("PEN", "2015", "410102"); !near(v, 90) {
			t.Errorf("PEN 410102 = %v, want 90", v)
		}
		if r.Meta.Items["PEN"].Kind != "indicator" || r.Meta.Items["4101"].Name != "郑州市" {
			t.Errorf("meta = %+v", r.Meta.Items)
		}
		// Bad formula refused with position.
		_, err = SaveIndicator(ctx, db, tester, Indicator{Code: "BAD", Name: "坏", Direction: Higher, Formula: "#{SUBS} / #{NOPE}"})
		var ve i18n.Errors
		if !errors.As(err, &ve) || !strings.Contains(ve[0].En, "NOPE") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSaveValuesValidates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "RATE", Name: "比例", ValueType: Percent, Aggregation: Average, PeriodType: "yearly", Min: f64(0), Max: f64(100)})
		mustElement(t, db, Element{Code: "NN", Name: "个数", ValueType: Integer, Aggregation: Sum, PeriodType: "quarterly"})
		err := SaveValues(ctx, db, tester, []Value{
			{DataElement: "RATE", OrgUnit: "41", Period: "2015", Value: "55%"},
			{DataElement: "RATE", OrgUnit: "41", Period: "2015", Value: "120"},
			{DataElement: "RATE", OrgUnit: "41", Period: "2015Q1", Value: "5"},
			{DataElement: "NN", OrgUnit: "41", Period: "2015Q1", Value: "1.5"},
			{DataElement: "NN", OrgUnit: "41", Period: "2015Q1", Value: "abc"},
			{DataElement: "NOPE", OrgUnit: "41", Period: "2015", Value: "1"},
			{DataElement: "NN", OrgUnit: "99", Period: "2015Q1", Value: "1"},
		})
		var ve i18n.Errors
		if !errors.As(err, &ve) {
			t.Fatalf("err = %v", err)
		}
		want := map[int]string{2: "maximum", 3: "reported yearly", 4: "whole number", 5: "not a number", 6: "unknown data element", 7: "unknown org unit"}
		if len(ve) != len(want) {
			t.Fatalf("errors = %v", ve)
		}
		for _, e := range ve {
			if !strings.Contains(e.En, want[e.Row]) || e.Zh == "" {
				t.Errorf("row %d: %q / %q", e.Row, e.Zh, e.En)
			}
		}
		var n int
		if err := db.R.QueryRow("SELECT count(*) FROM monitor_value").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d values written despite errors", n)
		}
	})
}

func TestLastWriteWinsAndIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "NN", Name: "个数", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		a := audit.Actor{UserID: 1, Name: "alice"}
		b := audit.Actor{UserID: 2, Name: "bob"}
		for _, w := range []struct {
			who audit.Actor
			v   string
		}{{a, "1"}, {a, "5"}, {b, "9"}} {
			if err := SaveValues(ctx, db, w.who, []Value{{DataElement: "NN", OrgUnit: "410102", Period: "2015", Value: w.v}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := DataValues(ctx, db, ValueFilter{Elements: []string{"NN"}, OrgUnits: []string{"410102"}})
		if err != nil || len(got) != 1 || got[0].Value.Value != "9" || got[0].UpdatedBy != 2 {
			t.Fatalf("values = %+v, %v", got, err)
		}
		rows, err := db.R.Query("SELECT actor_name, action, COALESCE(before_json, ''), COALESCE(after_json, '') FROM audit_log WHERE entity = 'datavalue' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var trail []string
		for rows.Next() {
			var who, act, before, after string
			if err := rows.Scan(&who, &act, &before, &after); err != nil {
				t.Fatal(err)
			}
			trail = append(trail, who+" "+act+" "+before+" -> "+after)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(trail) != 3 || !strings.Contains(trail[2], `bob update {"dataElement":"NN","orgUnit":"410102","period":"2015","value":"5"}`) {
			t.Fatalf("trail:\n%s", strings.Join(trail, "\n"))
		}
	})
}

func TestConcurrentWritersLastWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "NN", Name: "个数", ValueType: Integer, Aggregation: Sum, PeriodType: "yearly"})
		errc := make(chan error, 8)
		for i := range 8 {
			go func() {
				errc <- SaveValues(ctx, db, audit.Actor{UserID: int64(i + 1), Name: fmt.Sprint("u", i)}, []Value{{DataElement: "NN", OrgUnit: "410102", Period: "2015", Value: fmt.Sprint(i + 1)}})
			}()
		}
		for range 8 {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := db.R.QueryRow("SELECT count(*) FROM audit_log WHERE entity = 'datavalue'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 8 {
			t.Fatalf("%d audit entries, want 8", n)
		}
		assertConsistent(t, db)
	})
}

func TestAnalyticsScopesAndSelectors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "NN", Name: "个数", ValueType: Integer, Aggregation: Sum, PeriodType: "monthly", Published: true})
		mustElement(t, db, Element{Code: "SECRET", Name: "内部", ValueType: Integer, Aggregation: Sum, PeriodType: "monthly"})
		if err := SaveValues(ctx, db, tester, []Value{{DataElement: "NN", OrgUnit: "410102", Period: "201507", Value: "3"}}); err != nil {
			t.Fatal(err)
		}
		us, err := ResolveOrgUnits(ctx, db, []string{"41", "LEVEL-3"})
		if err != nil || len(us) < 150 {
			t.Fatalf("LEVEL-3: %d units, %v", len(us), err)
		}
		for _, u := range us {
			if u.Level != 3 {
				t.Fatalf("LEVEL-3 gave %s at level %d", u.Code, u.Level)
			}
		}
		ch, err := ResolveOrgUnits(ctx, db, []string{"4101", "CHILDREN"})
		if err != nil || len(ch) == 0 || ch[0].Parent != "4101" {
			t.Fatalf("children: %v %v", ch, err)
		}
		_, err = Analytics(ctx, db, Query{DX: []string{"NN"}, PE: []string{"2015"}, OU: []string{"4102"}, Scopes: []string{"/41/4101/"}})
		if !errors.Is(err, ErrForbidden) {
			t.Fatalf("outside scope: %v", err)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"NN"}, PE: []string{"2015"}, OU: []string{"4101", "CHILDREN"}, Scopes: []string{"/41/4101/"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := r.Get("NN", "2015", "410102"); !ok || v != 3 {
			t.Fatalf("rows = %v", r.Rows)
		}
		if _, err := Analytics(ctx, db, Query{DX: []string{"SECRET"}, PE: []string{"2015"}, OU: []string{"41"}, PublishedOnly: true}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("unpublished: %v", err)
		}
		_, err = Analytics(ctx, db, Query{DX: []string{"NN"}, PE: []string{"2015X"}, OU: []string{"41"}})
		var ue *i18n.Error
		if !errors.As(err, &ue) {
			t.Fatalf("bad period: %v", err)
		}
	})
}

func TestResolveRelativePeriods(t *testing.T) {
	now := mustTime("2016-03-15T10:00:00+08:00")
	ps, err := ResolvePeriods([]string{"LAST_12_MONTHS"}, now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID())
	}
	if strings.Join(ids, ",") != "201503,201504,201505,201506,201507,201508,201509,201510,201511,201512,201601,201602" {
		t.Fatalf("LAST_12_MONTHS = %v", ids)
	}
	ps, _ = ResolvePeriods([]string{"THIS_YEAR", "LAST_4_QUARTERS"}, now)
	ids = ids[:0]
	for _, p := range ps {
		ids = append(ids, p.ID())
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "2015Q1,2015Q2,2015Q3,2015Q4,2016" {
		t.Fatalf("got %v", ids)
	}
}

// silence unused import on some paths
var _ = sql.ErrNoRows

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestMinMaxRetreatOneValueAtATime lowers, raises and deletes, one value
// per write, values that hold the minimum or maximum of cells at several
// unit levels (township, county, city, province) and period levels, so
// that those cells are recomputed from the cells below them: the maximum
// moves to a value in another county, in another city, to a value
// reported at the county itself, and a period loses its last value.
func TestMinMaxRetreatOneValueAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "TOP", Name: "最高", ValueType: Number, Aggregation: Max, PeriodType: "monthly"})
		mustElement(t, db, Element{Code: "LOW", Name: "最低", ValueType: Number, Aggregation: Min, PeriodType: "quarterly"})
		a := villages(t, db, "410102", 2) // two townships of one county
		b := villages(t, db, "410103", 1)[0]
		c := villages(t, db, "411525", 1)[0] // another city
		save := func(vals ...Value) {
			t.Helper()
			if err := SaveValues(ctx, db, tester, vals); err != nil {
				t.Fatal(err)
			}
		}
		one := func(el, ou, pe, v string) {
			t.Helper()
			save(Value{DataElement: el, OrgUnit: ou, Period: pe, Value: v})
			assertConsistent(t, db)
		}
		check := func(dx, pe, ou string, want float64) {
			t.Helper()
			r, err := Analytics(ctx, db, Query{DX: []string{dx}, PE: []string{pe}, OU: []string{ou}})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.Get(dx, pe, ou)
			if !ok || !near(got, want) {
				t.Errorf("%s %s %s = %v (%v), want %v", dx, pe, ou, got, ok, want)
			}
		}
		none := func(dx, pe, ou string) {
			t.Helper()
			r, err := Analytics(ctx, db, Query{DX: []string{dx}, PE: []string{pe}, OU: []string{ou}})
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := r.Get(dx, pe, ou); ok {
				t.Errorf("%s %s %s = %v, want no value", dx, pe, ou, v)
			}
		}
		save(
			Value{DataElement: "TOP", OrgUnit: a[0], Period: "201501", Value: "10"},
			Value{DataElement: "TOP", OrgUnit: a[1], Period: "201502", Value: "30"},
			Value{DataElement: "TOP", OrgUnit: "410102", Period: "201503", Value: "5"},
			Value{DataElement: "TOP", OrgUnit: b, Period: "201501", Value: "20"},
			Value{DataElement: "TOP", OrgUnit: c, Period: "201504", Value: "25"},
			Value{DataElement: "TOP", OrgUnit: "41D-GXT", Period: "201501", Value: "1"},
			Value{DataElement: "LOW", OrgUnit: a[0], Period: "2015Q1", Value: "5"},
			Value{DataElement: "LOW", OrgUnit: b, Period: "2015Q1", Value: "7"},
			Value{DataElement: "LOW", OrgUnit: c, Period: "2015Q3", Value: "1"},
		)
		assertConsistent(t, db)
		check("TOP", "2015", "41", 30)

		// The province's, city's, county's and township's maximum is lowered.
		one("TOP", a[1], "201502", "3")
		check("TOP", "2015", "41", 25)     // another city
		check("TOP", "2015Q1", "41", 20)   // another county
		check("TOP", "2015S1", "4101", 20) // another county
		check("TOP", "201502", "41", 3)
		check("TOP", "2015", "410102", 10)
		// The maximum in another city goes away, and with it every value of
		// its quarter.
		one("TOP", c, "201504", "")
		check("TOP", "2015", "41", 20)
		check("TOP", "2015S1", "41", 20)
		none("TOP", "2015Q2", "41")
		none("TOP", "201504", "4115")
		// The county's maximum falls below the value reported at the county itself.
		one("TOP", a[0], "201501", "2")
		check("TOP", "2015", "410102", 5)
		check("TOP", "2015Q1", "410102", 5)
		check("TOP", "201501", "410102", 2)
		check("TOP", "201501", "41", 20)
		// Then the county's own value falls below a village's.
		one("TOP", "410102", "201503", "0")
		check("TOP", "2015", "410102", 3)
		check("TOP", "2015", "41", 20)
		// Raised past everything, then back.
		one("TOP", "41D-GXT", "201501", "99")
		check("TOP", "2015", "41", 99)
		one("TOP", "41D-GXT", "201501", "1")
		check("TOP", "2015", "41", 20)
		check("TOP", "201501", "41", 20)

		// The minimum is raised, then deleted.
		one("LOW", c, "2015Q3", "9")
		check("LOW", "2015", "41", 5)
		check("LOW", "2015S2", "41", 9)
		one("LOW", a[0], "2015Q1", "")
		check("LOW", "2015", "41", 7)
		check("LOW", "2015S1", "4101", 7)
		none("LOW", "2015Q1", "410102")
		one("LOW", b, "2015Q1", "8")
		check("LOW", "2015", "41", 8)
	})
}

// TestTextValueWrites writes, changes and deletes a text value, which
// feeds no aggregate: the value and its audit entries are still written.
func TestTextValueWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		mustElement(t, db, Element{Code: "NOTE", Name: "说明", ValueType: Text, Aggregation: None, PeriodType: "yearly"})
		for _, v := range []string{"光纤到村", "光纤到户", ""} {
			if err := SaveValues(ctx, db, tester, []Value{{DataElement: "NOTE", OrgUnit: "410102", Period: "2015", Value: v}}); err != nil {
				t.Fatal(err)
			}
			got, err := DataValues(ctx, db, ValueFilter{Elements: []string{"NOTE"}})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case v == "" && len(got) != 0:
				t.Errorf("after deleting: %+v", got)
			case v != "" && (len(got) != 1 || got[0].Value.Value != v):
				t.Errorf("after writing %q: %+v", v, got)
			}
		}
		var actions []string
		rows, err := db.R.Query("SELECT action FROM audit_log WHERE entity = 'datavalue' AND entity_id = 'NOTE/410102/2015' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				t.Fatal(err)
			}
			actions = append(actions, a)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if strings.Join(actions, " ") != "create update delete" {
			t.Errorf("audit actions = %v", actions)
		}
		var n int
		if err := db.R.QueryRow("SELECT count(*) FROM monitor_agg").Scan(&n); err != nil || n != 0 {
			t.Errorf("aggregate cells = %d, %v", n, err)
		}
	})
}
