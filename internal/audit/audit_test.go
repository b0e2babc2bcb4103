package audit_test

import (
	"context"
	"database/sql"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestRecordAndSearch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, audit.Schema); err != nil {
			t.Fatal(err)
		}
		alice := audit.Actor{UserID: 1, Name: "alice", IP: "10.0.0.1"}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := audit.Record(ctx, tx, alice, "create", "user", "7", "/41/4101/", nil, map[string]string{"name": "bob"}); err != nil {
				return err
			}
			return audit.Record(ctx, tx, alice, "update", "user", "7", "/41/4102/", map[string]string{"name": "bob"}, map[string]string{"name": "robert"})
		})
		if err != nil {
			t.Fatal(err)
		}
		all, more, err := audit.Search(ctx, db, audit.Filter{})
		if err != nil || len(all) != 2 || more {
			t.Fatalf("all: %d %v %v", len(all), more, err)
		}
		if all[0].Action != "update" || string(all[0].Before) != `{"name":"bob"}` || string(all[0].After) != `{"name":"robert"}` {
			t.Fatalf("newest first with before/after: %+v", all[0])
		}
		got, _, _ := audit.Search(ctx, db, audit.Filter{Text: "robert"})
		if len(got) != 1 || got[0].Action != "update" {
			t.Fatalf("text search: %+v", got)
		}
		got, _, _ = audit.Search(ctx, db, audit.Filter{Scopes: []string{"/41/4101/"}})
		if len(got) != 1 || got[0].OrgPath != "/41/4101/" {
			t.Fatalf("scoped: %+v", got)
		}
		got, _, _ = audit.Search(ctx, db, audit.Filter{Scopes: []string{}})
		if len(got) != 0 {
			t.Fatalf("empty scope sees %d", len(got))
		}
		got, more, _ = audit.Search(ctx, db, audit.Filter{Limit: 1})
		if len(got) != 1 || !more {
			t.Fatalf("paging: %d %v", len(got), more)
		}
		// A rolled-back change leaves no audit entry.
		db.InTx(ctx, func(tx *store.Tx) error {
			audit.Record(ctx, tx, alice, "delete", "user", "7", "", nil, nil)
			return sql.ErrTxDone
		})
		got, _, _ = audit.Search(ctx, db, audit.Filter{Action: "delete"})
		if len(got) != 0 {
			t.Fatal("audit entry of a rolled-back change survived")
		}
	})
}
