package monitor

import (
	"context"
	"fmt"
	"testing"

	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// benchStore prepares a store with one monthly element and a month of
// values for 2,000 villages, so writes land among existing aggregates.
func benchStore(b *testing.B, db *store.DB) []string {
	ctx := context.Background()
	setup(b, db)
	mustElement(b, db, Element{Code: "BENCH_ONE", Name: "基准", ValueType: Number, Aggregation: Sum, PeriodType: "monthly"})
	vs, err := orgunit.Descendants(ctx, db, "/41/", 5, 2000)
	if err != nil {
		b.Fatal(err)
	}
	var vals []Value
	codes := make([]string, len(vs))
	for i, v := range vs {
		codes[i] = v.Code
		vals = append(vals, Value{DataElement: "BENCH_ONE", OrgUnit: v.Code, Period: "201506", Value: fmt.Sprint(i % 100)})
	}
	if err := SaveValues(ctx, db, tester, vals); err != nil {
		b.Fatal(err)
	}
	return codes
}

// BenchmarkSaveOneValue writes one village value per operation, updating
// the 16 aggregate cells above it (township, county, city, province ×
// month, quarter, half-year, year) and the audit log in one transaction.
// "new" creates a value; "update" changes an existing one up and down, so
// cells whose min or max it was are recomputed. "baseline" is the plain
// floor on the same store in the same run: one transaction upserting the
// raw value row alone, with no validation, aggregates or audit.
func BenchmarkSaveOneValue(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			var db *store.DB
			if engine == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			codes := benchStore(b, db)
			ctx := context.Background()
			// seq runs on across repeated runs (-count), so that every
			// operation really creates or changes a value.
			seq := 0
			b.Run("baseline", func(b *testing.B) {
				var el, ou int64
				if err := db.R.QueryRowContext(ctx, "SELECT id FROM monitor_element WHERE code = 'BENCH_ONE'").Scan(&el); err != nil {
					b.Fatal(err)
				}
				if err := db.R.QueryRowContext(ctx, "SELECT id FROM monitor_ou WHERE code = $1", codes[0]).Scan(&ou); err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					seq++
					err := db.InTx(ctx, func(tx *store.Tx) error {
						_, err := tx.ExecContext(ctx, `INSERT INTO monitor_value (element_id, pe, ou_id, value, updated_by, updated_at) VALUES ($1, '201001', $2, $3, 0, $4)
							ON CONFLICT (element_id, pe, ou_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, el, ou, seq%1000, store.Now())
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("new", func(b *testing.B) {
				for b.Loop() {
					seq++
					i := seq
					v := Value{DataElement: "BENCH_ONE", OrgUnit: codes[i%len(codes)], Period: fmt.Sprintf("%04d%02d", 2016+i/len(codes)/12, 1+(i/len(codes))%12), Value: "5"}
					if err := SaveValues(ctx, db, tester, []Value{v}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("update", func(b *testing.B) {
				for b.Loop() {
					seq++
					i := seq
					v := Value{DataElement: "BENCH_ONE", OrgUnit: codes[i%len(codes)], Period: "201506", Value: fmt.Sprint(i % 1000)}
					if err := SaveValues(ctx, db, tester, []Value{v}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
