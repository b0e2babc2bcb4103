package reporting

import (
	"context"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestInboxMovesToNotify: an installation upgraded from reporting's
// schema 1 keeps every notification, read or not, in notify's inbox, and
// reporting's old table is gone.
func TestInboxMovesToNotify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v1 := store.Schema{Component: Schema.Component, Migrations: Schema.Migrations[:1]}
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, v1); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 3, 1, 2, 3, 4, 0, time.UTC)
		read := at.Add(time.Hour)
		for _, r := range []struct {
			user     int64
			kind, zh string
			link     string
			readAt   any
		}{
			{7, "returned", "中原区 2019年 的“县级信息化年报”被退回：请核实", "/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019", nil},
			{7, "reminder", "催报：已过截止日期", "/reporting/completeness?ds=COUNTY_ANNUAL", read},
			{8, "reminder", "催报：另一位", "", nil},
		} {
			if _, err := db.W.ExecContext(ctx, `INSERT INTO reporting_notification (user_id, kind, text_zh, text_en, link, created_at, read_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				r.user, r.kind, r.zh, "in English", r.link, at, r.readAt); err != nil {
				t.Fatal(err)
			}
		}
		// the upgrade: the core's notify schema, then reporting 2
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, Schema); err != nil {
			t.Fatal(err)
		}
		ns, err := notify.List(ctx, db, 7, 10)
		if err != nil || len(ns) != 2 {
			t.Fatalf("user 7's inbox = %+v, %v", ns, err)
		}
		if ns[0].Kind != "reporting.returned" || ns[0].ReadAt != nil || ns[0].In("zh-CN") != "中原区 2019年 的“县级信息化年报”被退回：请核实" ||
			ns[0].In("en") != "in English" || ns[0].Link != "/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019" || !ns[0].CreatedAt.Equal(at) {
			t.Errorf("unread message = %+v", ns[0])
		}
		if ns[1].Kind != "reporting.reminder" || ns[1].ReadAt == nil || !ns[1].ReadAt.Equal(read) {
			t.Errorf("read message = %+v", ns[1])
		}
		if n, err := notify.Unread(ctx, db, 8); err != nil || n != 1 {
			t.Errorf("user 8 unread = %d, %v", n, err)
		}
		if _, err := db.R.ExecContext(ctx, `SELECT 1 FROM reporting_notification`); err == nil {
			t.Error("reporting_notification still exists")
		}
	})
}
