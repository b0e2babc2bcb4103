package storetest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"zhihui/internal/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveTemplates()
	os.Exit(code)
}

var templateSchema = store.Schema{Component: "storetest_items", Migrations: []store.Migration{{Version: 1, SQL: `
	CREATE TABLE items (id {{ID}}, name TEXT NOT NULL);
	CREATE INDEX items_name ON items (name)`}}}

// itemsInTemplate is how many rows the test template holds: enough for
// the copy to take a while, so that the copies overlap.
const itemsInTemplate = 3000

func buildItems(ctx context.Context, db *store.DB) error {
	if err := db.Migrate(ctx, templateSchema); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		for i := range itemsInTemplate {
			if _, err := tx.ExecContext(ctx, db.Rebind(`INSERT INTO items (name) VALUES ($1)`), fmt.Sprintf("item %05d", i)); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestFillFromTemplateConcurrently fills many stores from one template
// at the same time, as the tests of a package do when they start
// together: every copy holds the template's rows and takes writes of its
// own, on both engines. On SQLite half the stores are empty (the template
// file is copied) and half already migrated (the rows are copied).
func TestFillFromTemplateConcurrently(t *testing.T) {
	const stores = 16
	key := "concurrent-" + t.Name()
	Each(t, func(t *testing.T, engine *store.DB) {
		for i := range stores {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				db := SQLite(t)
				if engine.Dialect == store.Postgres {
					db = Postgres(t)
				}
				ctx := context.Background()
				migrated := i%2 == 1 && db.Dialect == store.SQLite
				if migrated {
					if err := db.Migrate(ctx, templateSchema); err != nil {
						t.Fatal(err)
					}
				}
				// A reader already open on the new store must not stand in
				// the way of the copy.
				if err := db.Ping(ctx); err != nil {
					t.Fatal(err)
				}
				if !FillFromTemplate(t, db, key, buildItems) {
					t.Fatal("FillFromTemplate did nothing on an empty store")
				}
				var n int
				if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM items`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != itemsInTemplate {
					t.Fatalf("copy holds %d items, want %d", n, itemsInTemplate)
				}
				mine := fmt.Sprintf("only in store %d", i)
				if _, err := db.W.ExecContext(ctx, db.Rebind(`INSERT INTO items (name) VALUES ($1)`), mine); err != nil {
					t.Fatal(err)
				}
				if err := db.R.QueryRowContext(ctx, db.Rebind(`SELECT count(*) FROM items WHERE name LIKE $1`), "only in store %").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Fatalf("store %d sees %d rows written to copies, want its own one", i, n)
				}
			})
		}
	})
}
