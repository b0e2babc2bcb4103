package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var badgeKind = notify.DefineKind("test.badge", "notify.title", false)

// TestNotificationBadge: the top bar counts the user's unread messages,
// the inbox shows them in the reader's language, opening one marks it
// read and follows its link, and marking all read clears the count.
func TestNotificationBadge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		rep, rc := e.user(t, "rep", auth.Reporter, "410102")
		other, _ := e.user(t, "rep2", auth.Reporter, "410103")
		for _, u := range []int64{rep.ID, rep.ID, other.ID} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := notify.Send(ctx, tx, notify.Message{Kind: badgeKind, Key: "notify.reporting.approved",
					Args: []any{"中原区", "2019年", "县级信息化年报"}, Link: "/reporting", To: []notify.Recipient{notify.Users(u)}})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		rec := e.do(t, rc, "GET", "/plan", nil)
		if rec.Code != ok || !strings.Contains(rec.Body.String(), `<span class="notify-count">2<`) || !strings.Contains(rec.Body.String(), `href="/notifications"`) {
			t.Fatalf("badge on another page: %d", rec.Code)
		}
		// Visitors have no messages link.
		if rec := e.do(t, client{}, "GET", "/plan", nil); strings.Contains(rec.Body.String(), "notify-link") {
			t.Error("anonymous page shows the notifications link")
		}
		rec = e.do(t, rc, "GET", "/notifications", nil)
		if rec.Code != ok || strings.Count(rec.Body.String(), "县级信息化年报”已审核通过") != 2 || !strings.Contains(rec.Body.String(), "2 条未读") {
			t.Fatalf("list: %d %s", rec.Code, rec.Body.String())
		}
		ns, err := notify.List(ctx, db, rep.ID, 10)
		if err != nil || len(ns) != 2 {
			t.Fatalf("list: %v %v", ns, err)
		}
		if rec = e.do(t, rc, "GET", "/notifications/"+itoa(ns[0].ID), nil); rec.Code != redirect || rec.Header().Get("Location") != "/reporting" {
			t.Fatalf("open one: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if rec = e.do(t, rc, "GET", "/plan", nil); !strings.Contains(rec.Body.String(), `<span class="notify-count">1<`) {
			t.Fatal("badge after reading one")
		}
		// another user's message does not exist for this one
		others, _ := notify.List(ctx, db, other.ID, 10)
		if rec = e.do(t, rc, "GET", "/notifications/"+itoa(others[0].ID), nil); rec.Code != 404 {
			t.Fatalf("opening another user's message: %d", rec.Code)
		}
		if rec = e.do(t, rc, "POST", "/notifications/read", url.Values{}); rec.Code != redirect {
			t.Fatalf("mark all read: %d", rec.Code)
		}
		if rec = e.do(t, rc, "GET", "/plan", nil); strings.Contains(rec.Body.String(), "notify-count") || !strings.Contains(rec.Body.String(), "notify-link") {
			t.Fatal("badge after reading all")
		}
		if n, _ := notify.Unread(ctx, db, other.ID); n != 1 {
			t.Fatalf("another user's messages changed: %d unread", n)
		}
		// the export holds the messages
		if rec = e.do(t, rc, "GET", "/notifications/export", nil); rec.Code != ok || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
	})
}

// TestNotificationSettings: the account page offers every kind with its
// modes (no "off" for mandatory kinds), saves them, and shows a wrong
// address again with a bilingual error, keeping what was entered.
func TestNotificationSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		rep, rc := e.user(t, "rep", auth.Reporter, "410102")
		rec := e.do(t, rc, "GET", "/account", nil)
		body := rec.Body.String()
		if rec.Code != ok || !strings.Contains(body, `action="/account/notifications"`) || !strings.Contains(body, `name="mode_reporting.returned"`) {
			t.Fatalf("account page: %d", rec.Code)
		}
		// the returned-report select offers no "off"
		sel := body[strings.Index(body, `name="mode_reporting.returned"`):]
		sel = sel[:strings.Index(sel, "</select>")]
		if strings.Contains(sel, `value="off"`) || !strings.Contains(sel, `value="digest"`) {
			t.Fatalf("mandatory kind's choices: %s", sel)
		}
		rec = e.do(t, rc, "POST", "/account/notifications", url.Values{"email": {"rep@example.cn"}, "mode_reporting.approved": {"digest"}, "mode_reporting.reminder": {"off"}})
		if rec.Code != redirect {
			t.Fatalf("save: %d %s", rec.Code, rec.Body.String())
		}
		st, err := notify.GetSettings(ctx, db, rep.ID)
		if err != nil || st.Email != "rep@example.cn" || st.Mode("reporting.approved") != notify.Digest || st.Mode("reporting.reminder") != notify.Off {
			t.Fatalf("saved %+v %v", st, err)
		}
		rec = e.do(t, rc, "POST", "/account/notifications", url.Values{"email": {"rep at example"}, "mode_reporting.approved": {"email"}})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "电子邮件地址格式不正确") || !strings.Contains(rec.Body.String(), `value="rep at example"`) {
			t.Fatalf("bad address: %d", rec.Code)
		}
		if st, _ := notify.GetSettings(ctx, db, rep.ID); st.Email != "rep@example.cn" {
			t.Fatalf("a refused form changed the settings: %+v", st)
		}
		rec = e.do(t, rc, "POST", "/account/notifications", url.Values{"email": {""}, "mode_reporting.returned": {"off"}})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "不能关闭") {
			t.Fatalf("mandatory kind off: %d", rec.Code)
		}
	})
}
