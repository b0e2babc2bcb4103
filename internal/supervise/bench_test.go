package supervise

import (
	"context"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/reporting"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

// BenchmarkAssess scores one year for 18 cities, 181 counties and the
// provincial departments (12 items per unit: 4 tasks issued to each group)
// with every input module's tables in place; the baseline reads the same
// items with one plain query and counts their outcomes.
func BenchmarkAssess(b *testing.B) {
	ctx := context.Background()
	db := storetest.SQLite(b)
	if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, notify.Schema, monitor.Schema, reporting.Schema, webcheck.Schema, Schema); err != nil {
		b.Fatal(err)
	}
	var depts []orgunit.Unit
	for _, d := range plan.Departments() {
		depts = append(depts, orgunit.Unit{Code: d.Code, Name: d.Name, Kind: orgunit.Department})
	}
	if _, err := orgunit.Load(ctx, db, depts, nil); err != nil {
		b.Fatal(err)
	}
	s := New(db)
	day, _ := ParseDate("2015-01-05")
	s.Now = func() time.Time { return day.Add(9 * time.Hour) }
	all := []string{"/41/"}
	var codes []string
	for _, d := range depts {
		codes = append(codes, d.Code)
	}
	tasks := plan.Default().Tasks(plan.TaskFilter{})
	for k := 0; k < 4; k++ {
		for _, n := range []NewItem{{Fanout: "cities"}, {Fanout: "counties"}, {Units: codes}} {
			n.Year, n.TaskID, n.Start, n.Due = 2015, tasks[k].ID, "2015-01-05", "2015-06-30"
			if _, err := s.Create(ctx, audit.Actor{Name: "bench"}, all, n); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := db.W.ExecContext(ctx, `UPDATE supervise_item SET stage = 'closed', closed_on = '2015-05-20' WHERE id % 3 = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.W.ExecContext(ctx, `UPDATE supervise_item SET stage = 'closed', closed_on = '2015-08-20' WHERE id % 3 = 1`); err != nil {
		b.Fatal(err)
	}
	day, _ = ParseDate("2016-05-01")
	var items int
	if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM supervise_item`).Scan(&items); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d items", items)
	b.Run("baseline", func(b *testing.B) {
		for b.Loop() {
			rows, err := db.R.QueryContext(ctx, `SELECT unit_code, stage, closed_on, due_on, original_due_on FROM supervise_item WHERE year = $1`, 2015)
			if err != nil {
				b.Fatal(err)
			}
			counts := map[string]map[string]int{}
			for rows.Next() {
				it := &Item{}
				if err := rows.Scan(&it.Unit, &it.Stage, &it.ClosedOn, &it.Due, &it.OriginalDue); err != nil {
					b.Fatal(err)
				}
				if counts[it.Unit] == nil {
					counts[it.Unit] = map[string]int{}
				}
				counts[it.Unit][Outcome(it, "2015-12-31")]++
			}
			if err := rows.Err(); err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	})
	b.Run("assess", func(b *testing.B) {
		for b.Loop() {
			n := 0
			for _, g := range []string{"city", "county", "department"} {
				a, err := s.Assess(ctx, DefaultSchemes(), all, 2015, g)
				if err != nil {
					b.Fatal(err)
				}
				n += len(a.Rows)
			}
			if n < 18+181 {
				b.Fatalf("%d rows", n)
			}
		}
	})
}
