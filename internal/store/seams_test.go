package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestMigrateRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		// a newer release moved the component to version 3
		if _, err := db.W.Exec("UPDATE schema_version SET version = 3 WHERE component = 'storetest'"); err != nil {
			t.Fatal(err)
		}
		other := store.Schema{Component: "other", Migrations: []store.Migration{{Version: 1, SQL: "CREATE TABLE st_other (id {{ID}})"}}}
		err := db.Migrate(ctx, other, testSchema)
		if !errors.Is(err, store.ErrSchemaNewer) {
			t.Fatalf("migrate over a newer schema: %v", err)
		}
		for _, want := range []string{"storetest", "version 3", "up to 2"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q does not say %q", err, want)
			}
		}
		// nothing was applied, not even the other component
		v, err := db.Versions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := v["other"]; ok {
			t.Error("a component was migrated although the database is newer")
		}
	})
}

func TestExactColumnFailsOnOverflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.Schema{Component: "exact", Migrations: []store.Migration{{Version: 1, SQL: "CREATE TABLE st_exact (k INTEGER PRIMARY KEY, {{EXACT total}})"}}}
		if err := db.Migrate(ctx, s); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.Exec("INSERT INTO st_exact (k, total) VALUES (1, $1)", int64(1)<<62); err != nil {
			t.Fatal(err)
		}
		_, err := db.W.Exec("UPDATE st_exact SET total = total + $1 WHERE k = 1", int64(1)<<62)
		if err == nil || !store.IsOutOfRange(err) {
			t.Fatalf("overflowing update: %v (out of range: %v)", err, store.IsOutOfRange(err))
		}
		var got int64
		if err := db.R.QueryRow("SELECT total FROM st_exact WHERE k = 1").Scan(&got); err != nil || got != 1<<62 {
			t.Fatalf("total = %d (%v), want 2^62 unchanged", got, err)
		}
		if _, err := db.W.Exec("UPDATE st_exact SET total = total - 1 WHERE k = 1"); err != nil {
			t.Fatal(err)
		}
		if store.IsOutOfRange(errors.New("CHECK constraint failed: other")) || store.IsOutOfRange(nil) {
			t.Error("IsOutOfRange took another error for an overflow")
		}
	})
}
