package supervise

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// urger is the office user pressing units in these tests (no account of
// the tests', so that nobody told is the actor).
var urger = audit.Actor{UserID: 999, Name: "office"}

// account creates a user holding role at the unit code.
func account(t *testing.T, db *store.DB, name string, role auth.Role, code string) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: name, Password: "a-long-test-password"})
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.AddGrant(ctx, db, office, u.ID, role, code); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func unread(t *testing.T, db *store.DB, u int64) []notify.Notification {
	t.Helper()
	ns, err := notify.List(context.Background(), db, u, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.Notification
	for _, n := range ns {
		if n.ReadAt == nil {
			out = append(out, n)
		}
	}
	return out
}

// TestRemindTellsPeople: the daily reminder gives each person of the
// items' unit and of the unit above one message counting their overdue
// and nearly due items, once a day. The item due on 26 February 2015 is
// nearly due on the 16th only because Spring Festival (18–24 February)
// leaves three working days: the calendar counts.
func TestRemindTellsPeople(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2015-02-16")
		all := []string{province}
		rep := account(t, db, "rep-zz", auth.Reporter, "4101")
		county := account(t, db, "rep-zy", auth.Reporter, "410102")
		off := account(t, db, "office-41", auth.Office, "41")
		other := account(t, db, "rep-kf", auth.Reporter, "4102")
		_, err := s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4101"}, Start: "2015-02-16", Due: "2015-02-26"})
		must(t, err)
		_, err = s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"4101"}, Start: "2015-01-05", Due: "2015-02-13"})
		must(t, err)
		if n, err := s.Remind(ctx); err != nil || n != 2 {
			t.Fatalf("remind: %d %v", n, err)
		}
		for _, u := range []int64{rep, off} {
			ns := unread(t, db, u)
			if len(ns) != 1 || ns[0].Kind != KindRemind || ns[0].Link != "/supervise?status=red" ||
				!strings.Contains(ns[0].In("zh-CN"), "1 项已超过办结时限，1 项距办结时限不足 5 个工作日") {
				t.Fatalf("user %d: %+v", u, ns)
			}
		}
		for _, u := range []int64{county, other} {
			if ns := unread(t, db, u); len(ns) != 0 {
				t.Fatalf("user %d was told: %+v", u, ns)
			}
		}
		if n, err := s.Remind(ctx); err != nil || n != 0 || len(unread(t, db, rep)) != 1 {
			t.Fatalf("same day again: %d %v", n, err)
		}
	})
}

// TestUrge: the office presses a unit on an item; the timeline and the
// audit log record it, the unit's people and their superiors are told,
// nobody outside; closed items and other subtrees are refused.
func TestUrge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db, "2015-03-02")
		all := []string{province}
		rep := account(t, db, "rep-zy", auth.Reporter, "410102")
		city := account(t, db, "appr-zz", auth.Approver, "4101")
		other := account(t, db, "rep-kf", auth.Reporter, "410202")
		ids, err := s.Create(ctx, office, all, NewItem{Year: 2015, TaskID: firstTask(), Units: []string{"410102"}, Due: "2015-06-30"})
		must(t, err)
		id := ids[0]
		if _, err := s.Urge(ctx, urger, []string{pathOf(t, db, "4102")}, id, "请加快"); !IsOutside(err) {
			t.Fatalf("urge outside the caller's subtree: %v", err)
		}
		n, err := s.Urge(ctx, urger, all, id, "请于月底前报送进展")
		if err != nil || n != 2 {
			t.Fatalf("urge: %d %v", n, err)
		}
		for _, u := range []int64{rep, city} {
			ns := unread(t, db, u)
			if len(ns) != 1 || ns[0].Kind != KindUrge || !strings.Contains(ns[0].In("zh-CN"), "请于月底前报送进展") || !strings.Contains(ns[0].In("en"), "Urged") {
				t.Fatalf("user %d: %+v", u, ns)
			}
		}
		if ns := unread(t, db, other); len(ns) != 0 {
			t.Fatalf("outside user told: %+v", ns)
		}
		tl, err := s.Timeline(ctx, all, id)
		if err != nil || tl[len(tl)-1].Kind != "urge" || tl[len(tl)-1].Body != "请于月底前报送进展" || tl[len(tl)-1].ActorName != urger.Name {
			t.Fatalf("timeline: %+v %v", tl, err)
		}
		var audited int
		if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = 'urge' AND entity_id = $1`, fmt.Sprint(id)).Scan(&audited); err != nil || audited != 1 {
			t.Fatalf("audited %d %v", audited, err)
		}
		if _, err := s.Urge(ctx, urger, all, id, strings.Repeat("长", MaxUrgeNote+1)); err == nil {
			t.Fatal("an overlong note was accepted")
		}
		must(t, s.Close(ctx, office, all, id, "完成"))
		if _, err := s.Urge(ctx, urger, all, id, ""); err == nil || !strings.Contains(err.Error(), "已办结") {
			t.Fatalf("urging a closed item: %v", err)
		}
	})
}
