package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var testSchema = store.Schema{Component: "storetest", Migrations: []store.Migration{
	{Version: 1, SQL: `CREATE TABLE st_item (
		id {{ID}},
		name TEXT NOT NULL UNIQUE,
		weight {{REAL}},
		at {{TS}});
	CREATE INDEX st_item_weight ON st_item (weight)`},
	{Version: 2, SQL: `ALTER TABLE st_item ADD COLUMN note TEXT NOT NULL DEFAULT ''`},
}}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for range 2 {
			if err := db.Migrate(ctx, testSchema); err != nil {
				t.Fatal(err)
			}
		}
		v, err := db.Versions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v["storetest"] != 2 {
			t.Fatalf("version = %d, want 2", v["storetest"])
		}
		if _, err := db.W.Exec(`INSERT INTO st_item (name, weight, note) VALUES ($1, $2, $3)`, "a", 1.5, "n"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrateRejectsDuplicateVersion(t *testing.T) {
	db := storetest.SQLite(t)
	bad := store.Schema{Component: "dup", Migrations: []store.Migration{{Version: 1, SQL: "SELECT 1"}, {Version: 1, SQL: "SELECT 2"}}}
	if err := db.Migrate(context.Background(), bad); err == nil {
		t.Fatal("want error for duplicate migration version")
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(`INSERT INTO st_item (name) VALUES ($1)`, "x"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var n int
		if err := db.R.QueryRow(`SELECT count(*) FROM st_item`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("rolled-back row visible: %d rows", n)
		}
	})
}

// TestInTxCancelledSaysSo: a transaction whose context ends before its
// commit reports the context's end, not database/sql's "transaction has
// already been committed or rolled back", and stores nothing.
func TestInTxCancelledSaysSo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.Migrate(context.Background(), testSchema); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(`INSERT INTO st_item (name) VALUES ($1)`, "x"); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		var n int
		if err := db.R.QueryRow(`SELECT count(*) FROM st_item`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("cancelled transaction stored %d rows", n)
		}
	})
}

// TestInDurableTxSyncsItsCommit: on SQLite a durable transaction runs
// with synchronous=FULL (2) and the writer returns to NORMAL (1) after
// it, committed or not; on PostgreSQL commits are synchronous anyway.
func TestInDurableTxSyncsItsCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		setting := func(q interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}) string {
			var v string
			query := `PRAGMA synchronous`
			if db.Dialect == store.Postgres {
				query = `SHOW synchronous_commit`
			}
			if err := q.QueryRowContext(ctx, query).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		want, after := "2", "1"
		if db.Dialect == store.Postgres {
			want, after = "on", "on"
		}
		boom := errors.New("boom")
		for _, fail := range []bool{false, true} {
			err := db.InDurableTx(ctx, func(tx *store.Tx) error {
				if got := setting(tx); got != want {
					t.Fatalf("inside a durable transaction: %s, want %s", got, want)
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO st_item (name) VALUES ($1)`, fmt.Sprint("durable ", fail)); err != nil {
					return err
				}
				if fail {
					return boom
				}
				return nil
			})
			if fail != errors.Is(err, boom) || (!fail && err != nil) {
				t.Fatalf("fail %v: %v", fail, err)
			}
			if got := setting(db.W); got != after {
				t.Fatalf("after a durable transaction: %s, want %s", got, after)
			}
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM st_item`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d rows %v", n, err)
		}
	})
}

func TestTimestampsRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		now := store.Now()
		if _, err := db.W.Exec(`INSERT INTO st_item (name, at) VALUES ($1, $2)`, "t", now); err != nil {
			t.Fatal(err)
		}
		var got time.Time
		if err := db.R.QueryRow(`SELECT at FROM st_item WHERE name = $1`, "t").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(now) {
			t.Fatalf("got %v, want %v", got, now)
		}
	})
}

func TestCopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		const total = 2503 // not a multiple of the SQLite batch
		var n int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			n, err = db.Copy(ctx, tx, "st_item", []string{"name", "weight"}, func(yield func([]any) error) error {
				row := make([]any, 2)
				for i := range total {
					row[0], row[1] = "n"+itoa(i), float64(i)
					if err := yield(row); err != nil {
						return err
					}
				}
				return nil
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != total {
			t.Fatalf("copied %d, want %d", n, total)
		}
		var cnt int
		var sum float64
		if err := db.R.QueryRow(`SELECT count(*), sum(weight) FROM st_item`).Scan(&cnt, &sum); err != nil {
			t.Fatal(err)
		}
		if cnt != total || sum != float64(total*(total-1)/2) {
			t.Fatalf("count %d sum %v", cnt, sum)
		}
	})
}

func TestCopyFailureLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, testSchema); err != nil {
			t.Fatal(err)
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := db.Copy(ctx, tx, "st_item", []string{"name"}, func(yield func([]any) error) error {
				for i := range 1000 {
					if err := yield([]any{"dup" + itoa(i%600)}); err != nil { // unique violation at row 600
						return err
					}
				}
				return nil
			})
			return err
		})
		if err == nil {
			t.Fatal("want unique violation")
		}
		var cnt int
		if err := db.R.QueryRow(`SELECT count(*) FROM st_item`).Scan(&cnt); err != nil {
			t.Fatal(err)
		}
		if cnt != 0 {
			t.Fatalf("%d rows survived a failed copy", cnt)
		}
	})
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[p:])
}

func TestBackup(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	if err := db.Migrate(ctx, testSchema); err != nil {
		t.Fatal(err)
	}
	db.W.Exec(`INSERT INTO st_item (name) VALUES ('kept')`)
	out := storetest.TempPath(t, "copy.db")
	if n, err := db.Backup(ctx, out); err != nil || n == 0 {
		t.Fatalf("backup: %d %v", n, err)
	}
	if _, err := db.Backup(ctx, out); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	cp, err := store.Open(ctx, store.Options{DSN: out})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var name string
	if err := cp.R.QueryRow(`SELECT name FROM st_item`).Scan(&name); err != nil || name != "kept" {
		t.Fatalf("copy holds %q, %v", name, err)
	}
}
