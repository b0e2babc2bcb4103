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

func TestArgsAndPlaceholders(t *testing.T) {
	var a store.Args
	q := "kind = " + a.Add("x") + " AND code IN (" + store.In(&a, []string{"41", "4101"}) + ") AND id IN (" + store.In(&a, []int64{7}) + ")"
	if want := "kind = $1 AND code IN ($2,$3) AND id IN ($4)"; q != want {
		t.Errorf("query %q, want %q", q, want)
	}
	if len(a) != 4 || a[0] != "x" || a[2] != "4101" || a[3] != int64(7) {
		t.Errorf("args %v", a)
	}
	if got := store.Placeholders(3, 3); got != "$3,$4,$5" {
		t.Errorf("Placeholders(3, 3) = %q", got)
	}
	if got := store.Tuples(2, 2, 3); got != "($2,$3,$4),($5,$6,$7)" {
		t.Errorf("Tuples(2, 2, 3) = %q", got)
	}
	for _, c := range []struct {
		d       store.Dialect
		in, out string
	}{
		{store.SQLite, "a = $1 AND b IN ($2,$3)", "a = ? AND b IN (?,?)"},
		{store.SQLite, "a = $2 AND b = $1", "a = $2 AND b = $1"},
		{store.SQLite, "a = $1 OR b = $1", "a = $1 OR b = $1"},
		{store.Postgres, "a = $1", "a = $1"},
	} {
		if got := store.Rebind(c.d, c.in); got != c.out {
			t.Errorf("Rebind(%s, %q) = %q, want %q", c.d, c.in, got, c.out)
		}
	}
}

// TestArgsRunOnBothStores runs a query built with Args, rebound, on both
// engines, and a SKIP LOCKED claim.
func TestArgsRunOnBothStores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"a", "b", "c", "d"} {
			if _, err := db.W.Exec("INSERT INTO st_item (name) VALUES ($1)", n); err != nil {
				t.Fatal(err)
			}
		}
		var a store.Args
		q := db.Rebind("SELECT count(*) FROM st_item WHERE name IN (" + store.In(&a, []string{"a", "c", "z"}) + ") AND name <> " + a.Add("c"))
		var n int
		if err := db.R.QueryRow(q, a...).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%s: %d (%v), want 1", q, n, err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.Lock(ctx, "storetest.claim"); err != nil {
				return err
			}
			var name string
			return tx.QueryRowContext(ctx, "SELECT name FROM st_item ORDER BY name LIMIT 1"+db.SkipLocked()).Scan(&name)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestTryLockElectsOne: while one holder keeps a named lock, a second
// TryLock fails (PostgreSQL); after release it succeeds.
func TestTryLockElectsOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		release, ok, err := db.TryLock(ctx, "storetest.leader")
		if err != nil || !ok {
			t.Fatalf("first TryLock: %v, %v", ok, err)
		}
		if db.Dialect == store.Postgres {
			if _, ok, err := db.TryLock(ctx, "storetest.leader"); err != nil || ok {
				t.Fatalf("second TryLock while held: %v, %v", ok, err)
			}
			other, ok, err := db.TryLock(ctx, "storetest.other")
			if err != nil || !ok {
				t.Fatalf("another name: %v, %v", ok, err)
			}
			other()
		}
		release()
		again, ok, err := db.TryLock(ctx, "storetest.leader")
		if err != nil || !ok {
			t.Fatalf("TryLock after release: %v, %v", ok, err)
		}
		again()
	})
}

// TestWithLockWaits: while WithLock runs its function, another session
// cannot take the lock (PostgreSQL); afterwards it can; the function's
// error comes back. Both stores.
func TestWithLockWaits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ran := false
		err := db.WithLock(ctx, "storetest.with", func() error {
			ran = true
			if db.Dialect == store.Postgres {
				if _, ok, err := db.TryLock(ctx, "storetest.with"); err != nil || ok {
					t.Errorf("TryLock while WithLock holds the lock: %v, %v", ok, err)
				}
			}
			return errors.New("on purpose")
		})
		if !ran || err == nil || err.Error() != "on purpose" {
			t.Fatalf("WithLock: ran %v, err %v", ran, err)
		}
		release, ok, err := db.TryLock(ctx, "storetest.with")
		if err != nil || !ok {
			t.Fatalf("TryLock after WithLock: %v, %v", ok, err)
		}
		release()
	})
}
