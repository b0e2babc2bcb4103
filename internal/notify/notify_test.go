package notify

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

var (
	kindPlain = DefineKind("test.plain", "notify.kind.reporting.approved", false)
	kindMust  = DefineKind("test.must", "notify.kind.reporting.returned", true)
)

var tester = audit.Actor{Name: "tester"}

// setup migrates the tables Send reads and writes.
func setup(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Migrate(context.Background(), orgunit.Schema, audit.Schema, auth.Schema, Schema); err != nil {
		t.Fatal(err)
	}
}

// user creates an account holding role at path (none when role is "").
func user(t *testing.T, db *store.DB, name string, role auth.Role, path string) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, db, tester, auth.NewUser{Name: "user-" + name, Password: "a-long-test-password"})
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		code := path[strings.LastIndex(strings.TrimSuffix(path, "/"), "/")+1 : len(path)-1]
		if _, err := db.W.ExecContext(ctx, `INSERT INTO auth_grant (user_id, role, org_code, org_path, granted_at) VALUES ($1, $2, $3, $4, $5)`,
			u.ID, string(role), code, path, store.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return u.ID
}

func send(t *testing.T, db *store.DB, m Message) int {
	t.Helper()
	return sendVia(t, nil, db, m)
}

// sendVia sends m as code running with the application's service svc
// does: notify.Send with svc in the context.
func sendVia(t *testing.T, svc *Service, db *store.DB, m Message) int {
	t.Helper()
	var n int
	ctx := WithService(context.Background(), svc)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = Send(ctx, tx, m)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func inbox(t *testing.T, db *store.DB, u int64) []Notification {
	t.Helper()
	ns, err := List(context.Background(), db, u, 50)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func approved(to ...Recipient) Message {
	return Message{Kind: kindPlain, Key: "notify.reporting.approved",
		Args: []any{i18n.Text{Zh: "中原区", En: "Zhongyuan District"}, i18n.Text{Zh: "2019年", En: "2019"}, i18n.Text{Zh: "县级信息化年报", En: "County annual report"}},
		Link: "/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019", To: to}
}

// TestSendRecipients: explicit users, role holders covering a unit and
// the people of the parent unit, without disabled accounts, the one who
// caused the message, or those who turned the kind off (unless it is
// mandatory); a rolled-back change leaves no message.
func TestSendRecipients(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		county := "/41/4101/410102/"
		a := user(t, db, "a", auth.Reporter, county)
		b := user(t, db, "b", auth.Reporter, "/41/4101/")
		c := user(t, db, "c", auth.Approver, "/41/4101/")
		d := user(t, db, "d", auth.Office, "/41/")
		e := user(t, db, "e", auth.Reporter, county)
		f := user(t, db, "f", auth.Reporter, "/41/4101/410103/")
		if err := auth.SetDisabled(ctx, db, tester, e, true); err != nil {
			t.Fatal(err)
		}
		count := func(ids ...int64) []int {
			out := make([]int, len(ids))
			for i, id := range ids {
				n, err := Unread(ctx, db, id)
				if err != nil {
					t.Fatal(err)
				}
				out[i] = n
			}
			return out
		}
		if n := send(t, db, approved(Covering(auth.Reporter, county))); n != 2 {
			t.Fatalf("covering reached %d users", n)
		}
		if got := count(a, b, c, d, e, f); !equal(got, []int{1, 1, 0, 0, 0, 0}) {
			t.Fatalf("after covering: %v", got)
		}
		if n := send(t, db, approved(Superiors(county))); n != 2 {
			t.Fatalf("superiors reached %d users", n)
		}
		if n := send(t, db, approved(Superiors(county, auth.Approver))); n != 1 {
			t.Fatalf("approving superiors reached %d users", n)
		}
		if got := count(a, b, c, d, e, f); !equal(got, []int{1, 2, 2, 0, 0, 0}) {
			t.Fatalf("after superiors: %v", got)
		}
		// one message per user however many ways they are named; not the actor
		m := approved(Users(a, d, f), Covering(auth.Office, county), Superiors("/41/4101/"))
		m.Except = f
		if n := send(t, db, m); n != 2 {
			t.Fatalf("explicit reached %d users", n)
		}
		if got := count(a, b, c, d, e, f); !equal(got, []int{2, 2, 2, 1, 0, 0}) {
			t.Fatalf("after explicit: %v", got)
		}
		// the message reads in either language, with its link
		ns := inbox(t, db, d)
		if ns[0].In("zh-CN") != "中原区 2019年 的“县级信息化年报”已审核通过" || ns[0].In("en") != "Zhongyuan District, 2019: County annual report was approved" ||
			ns[0].Link != "/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019" || ns[0].Kind != kindPlain {
			t.Fatalf("message %+v: %q / %q", ns[0], ns[0].In("zh-CN"), ns[0].In("en"))
		}
		// preferences: off stops a plain kind, never a mandatory one
		if err := SaveSettings(ctx, db, tester, a, Settings{Modes: map[string]Mode{kindPlain: Off}}); err != nil {
			t.Fatal(err)
		}
		if err := SaveSettings(ctx, db, tester, a, Settings{Modes: map[string]Mode{kindMust: Off}}); err == nil {
			t.Fatal("a mandatory kind was turned off")
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO notify_pref (user_id, kind, mode) VALUES ($1, $2, 'off')`, a, kindMust); err != nil {
			t.Fatal(err)
		}
		send(t, db, approved(Users(a)))
		must := approved(Users(a))
		must.Kind = kindMust
		send(t, db, must)
		if ns := inbox(t, db, a); len(ns) != 3 || ns[0].Kind != kindMust {
			t.Fatalf("with the plain kind off: %+v", ns)
		}
		// a change that rolls back takes its message with it
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := Send(ctx, tx, approved(Users(d))); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || count(d)[0] != 1 {
			t.Fatalf("rolled back: %v, %d unread", err, count(d)[0])
		}
		// unknown kinds and links that are not paths are refused
		bad := approved(Users(d))
		bad.Kind = "nobody.defined.this"
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := Send(ctx, tx, bad); return err }); err == nil {
			t.Error("unknown kind accepted")
		}
		bad = approved(Users(d))
		bad.Link = "https://elsewhere.example/"
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := Send(ctx, tx, bad); return err }); err == nil {
			t.Error("absolute link accepted")
		}
		// the inbox: another user's message is not found; open marks read
		other := inbox(t, db, b)[0]
		if _, err := Open(ctx, db, a, other.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("opening another user's message: %v", err)
		}
		got, err := Open(ctx, db, b, other.ID)
		if err != nil || got.ReadAt == nil || got.Link != other.Link {
			t.Fatalf("open: %+v %v", got, err)
		}
		if n, err := MarkAllRead(ctx, db, b); err != nil || n != 1 {
			t.Fatalf("mark all read: %d %v", n, err)
		}
	})
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSettings: bad addresses and e-mail without an address are refused
// with bilingual errors; saved settings read back.
func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		u := user(t, db, "u", "", "")
		var ue *i18n.Error
		if err := SaveSettings(ctx, db, tester, u, Settings{Email: "not an address"}); !errors.As(err, &ue) || ue.Field != "email" || ue.Zh == "" || ue.En == "" {
			t.Fatalf("bad address: %v", err)
		}
		if err := SaveSettings(ctx, db, tester, u, Settings{Modes: map[string]Mode{kindPlain: Email}}); !errors.As(err, &ue) || ue.Field != "email" {
			t.Fatalf("e-mail without an address: %v", err)
		}
		if err := SaveSettings(ctx, db, tester, u, Settings{Email: "a@example.cn", Modes: map[string]Mode{kindPlain: "loud"}}); err == nil {
			t.Fatal("unknown mode accepted")
		}
		want := Settings{Email: "a@example.cn", Modes: map[string]Mode{kindPlain: Digest, kindMust: Email}}
		if err := SaveSettings(ctx, db, tester, u, want); err != nil {
			t.Fatal(err)
		}
		got, err := GetSettings(ctx, db, u)
		if err != nil || got.Email != want.Email || got.Mode(kindPlain) != Digest || got.Mode(kindMust) != Email || got.Mode("other") != InApp {
			t.Fatalf("settings = %+v, %v", got, err)
		}
	})
}

// immediately retries at once, so that retries need no waiting.
type immediately struct{}

func (immediately) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// mailEngine starts a job engine that delivers mail through the SMTP
// server at port, and turns e-mail on for the sender's service
// (s.Notify).
func mailEngine(t *testing.T, db *store.DB, port string, now func() time.Time) (*jobs.Engine, *Sender) {
	t.Helper()
	ctx := context.Background()
	cfg, err := ParseSMTP("smtp://127.0.0.1:" + port + "?from=noreply@zhihui.example")
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService()
	s := &Sender{DB: db, Mailer: &Mailer{SMTP: cfg, AllowPrivate: true}, BaseURL: "https://zhihui.example.cn/", Now: now, Notify: svc}
	r := jobs.NewRegistry()
	s.Register(r)
	e, err := jobs.Open(ctx, db, r, jobs.Config{PollInterval: 100 * time.Millisecond, RetryPolicy: immediately{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	svc.UseMail(e, db.Dialect)
	t.Cleanup(func() {
		if err := e.Stop(testwait.Context(t)); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return e, s
}

// waitFor polls cond until it holds or the test's budget ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testwait.Until(t, what, cond)
}

// decode returns a received message's recipient, subject and body.
func decode(t *testing.T, r received) (string, string, string) {
	t.Helper()
	pm, err := mail.ReadMessage(strings.NewReader(string(r.Data)))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(pm.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := decodeBase64Lines(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(r.To, ","), subj, body
}

// TestMailDelivery: a message goes out at once to those who want e-mail,
// in their language with the full link, and to nobody else; a failing
// server is tried again by the job engine until it accepts.
func TestMailDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		be, port, _ := startServer(t, false)
		// before 8:00, so that the digest job, which runs at the engine's
		// start, sends nothing yet
		early := time.Date(2026, 12, 3, 7, 0, 0, 0, period.Shanghai)
		e, ms := mailEngine(t, db, port, func() time.Time { return early })
		x := user(t, db, "x", auth.Reporter, "/41/4101/410102/")
		y := user(t, db, "y", auth.Reporter, "/41/4101/410102/")
		z := user(t, db, "z", auth.Reporter, "/41/4101/410102/")
		if err := auth.SetLang(ctx, db, tester, x, "en"); err != nil {
			t.Fatal(err)
		}
		for id, s := range map[int64]Settings{
			x: {Email: "x@example.cn", Modes: map[string]Mode{kindPlain: Email}},
			y: {Email: "y@example.cn"}, // in-app only
			z: {Email: "z@example.cn", Modes: map[string]Mode{kindPlain: Digest}},
		} {
			if err := SaveSettings(ctx, db, tester, id, s); err != nil {
				t.Fatal(err)
			}
		}
		if n := sendVia(t, ms.Notify, db, approved(Users(x, y, z))); n != 3 {
			t.Fatalf("recorded for %d users", n)
		}
		waitFor(t, "the e-mail", func() bool { return len(be.all()) == 1 })
		to, subj, body := decode(t, be.all()[0])
		if to != "x@example.cn" || subj != "[Zhihui] Zhongyuan District, 2019: County annual report was approved" ||
			!strings.Contains(body, "Dear user-x,") || !strings.Contains(body, "https://zhihui.example.cn/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019") {
			t.Fatalf("mail to %s: %q\n%s", to, subj, body)
		}
		waitFor(t, "the message marked mailed", func() bool {
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM notify_message WHERE mailed_at IS NOT NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n == 1
		})
		// the server refuses twice; the engine tries again
		be.mu.Lock()
		be.fail = 2
		be.mu.Unlock()
		sendVia(t, ms.Notify, db, approved(Users(x)))
		waitFor(t, "the e-mail after the failures", func() bool { return len(be.all()) == 2 })
		js, err := e.List(ctx, jobs.Filter{Kinds: []string{MailArgs{}.Kind()}})
		if err != nil || len(js) != 2 {
			t.Fatalf("mail jobs: %+v %v", js, err)
		}
		waitFor(t, "the job completed", func() bool {
			j, err := e.Get(ctx, js[0].ID)
			return err == nil && j.State == "completed"
		})
		j, _ := e.Get(ctx, js[0].ID)
		if j.Attempt != 3 || len(j.Errors) != 2 || !strings.Contains(j.Errors[0].Error, "451") {
			t.Fatalf("retried job: attempt %d, errors %+v", j.Attempt, j.Errors)
		}
		// code running without the application's service (a command, a
		// test) records in-app only: no third mail job
		send(t, db, approved(Users(x)))
		if js, err := e.List(ctx, jobs.Filter{Kinds: []string{MailArgs{}.Kind()}}); err != nil || len(js) != 2 {
			t.Fatalf("mail jobs after a send without the service: %d %v", len(js), err)
		}
		// nothing went to y (in-app) or z (digest) so far
		for _, r := range be.all() {
			if to, _, _ := decode(t, r); to != "x@example.cn" {
				t.Fatalf("mail to %s", to)
			}
		}
	})
}

// TestDigest: from 8:00 Shanghai time each day one e-mail per user who
// chose the digest, with their unread messages of those kinds, once.
func TestDigest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		be, port, _ := startServer(t, false)
		clock := time.Date(2026, 12, 3, 7, 30, 0, 0, period.Shanghai)
		_, s := mailEngine(t, db, port, func() time.Time { return clock })
		z := user(t, db, "z", auth.Reporter, "/41/4101/410102/")
		w := user(t, db, "w", auth.Reporter, "/41/4101/410102/")
		if err := SaveSettings(ctx, db, tester, z, Settings{Email: "z@example.cn", Modes: map[string]Mode{kindPlain: Digest}}); err != nil {
			t.Fatal(err)
		}
		if err := SaveSettings(ctx, db, tester, w, Settings{Email: "w@example.cn", Modes: map[string]Mode{kindPlain: Digest}}); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			sendVia(t, s.Notify, db, approved(Users(z)))
		}
		must := approved(Users(z))
		must.Kind = kindMust // in-app only for z: not in the digest
		sendVia(t, s.Notify, db, must)
		ns := inbox(t, db, z)
		if err := MarkRead(ctx, db, z, ns[len(ns)-1].ID); err != nil { // the oldest, read: left out
			t.Fatal(err)
		}
		if n, err := s.Digest(ctx); err != nil || n != 0 {
			t.Fatalf("before 8:00: %d %v", n, err)
		}
		clock = clock.Add(time.Hour)
		if n, err := s.Digest(ctx); err != nil || n != 1 { // w has nothing unread
			t.Fatalf("at 8:30: %d %v", n, err)
		}
		waitFor(t, "the digest", func() bool { return len(be.all()) == 1 })
		to, subj, body := decode(t, be.all()[0])
		if to != "z@example.cn" || subj != "【智慧河南】2026-12-03 每日消息摘要（2 条）" || strings.Count(body, "已审核通过") != 2 || strings.Contains(body, "被退回") {
			t.Fatalf("digest to %s: %q\n%s", to, subj, body)
		}
		if n, err := s.Digest(ctx); err != nil || n != 0 {
			t.Fatalf("again the same day: %d %v", n, err)
		}
		// the next day: only what arrived since
		sendVia(t, s.Notify, db, approved(Users(z)))
		clock = clock.Add(24 * time.Hour)
		if n, err := s.Digest(ctx); err != nil || n != 1 {
			t.Fatalf("next day: %d %v", n, err)
		}
		waitFor(t, "the second digest", func() bool { return len(be.all()) == 2 })
		if _, subj, body := decode(t, be.all()[1]); subj != "【智慧河南】2026-12-04 每日消息摘要（1 条）" || strings.Count(body, "已审核通过") != 1 {
			t.Fatalf("second digest %q\n%s", subj, body)
		}
	})
}

// recorder is a job engine that records what is enqueued on it.
type recorder struct{ jobs []MailArgs }

func (r *recorder) InsertTx(_ context.Context, _ *store.Tx, a jobs.Args, _ *jobs.InsertOpts) (jobs.Inserted, error) {
	r.jobs = append(r.jobs, a.(MailArgs))
	return jobs.Inserted{}, nil
}

// TestServicesAreSeparate: two applications in one process have their
// own notifications: each message's e-mail goes on the engine of the
// service in the sender's context, never on another's; a service without
// e-mail, or none, records in-app only.
func TestServicesAreSeparate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		x := user(t, db, "x", auth.Reporter, "/41/4101/410102/")
		if err := SaveSettings(ctx, db, tester, x, Settings{Email: "x@example.cn", Modes: map[string]Mode{kindPlain: Email}}); err != nil {
			t.Fatal(err)
		}
		a, b, off := NewService(), NewService(), NewService()
		ra, rb := &recorder{}, &recorder{}
		a.UseMail(ra, db.Dialect)
		b.UseMail(rb, db.Dialect)
		if !a.MailEnabled() || off.MailEnabled() || (*Service)(nil).MailEnabled() {
			t.Fatal("MailEnabled")
		}
		sendVia(t, a, db, approved(Users(x)))
		sendVia(t, b, db, approved(Users(x)))
		sendVia(t, b, db, approved(Users(x)))
		sendVia(t, off, db, approved(Users(x)))
		sendVia(t, nil, db, approved(Users(x)))
		if len(ra.jobs) != 1 || len(rb.jobs) != 2 {
			t.Fatalf("engine a got %d mail jobs, b %d; want 1 and 2", len(ra.jobs), len(rb.jobs))
		}
		if got := len(inbox(t, db, x)); got != 5 {
			t.Fatalf("inbox has %d messages, want 5", got)
		}
		b.UseMail(nil, "")
		sendVia(t, b, db, approved(Users(x)))
		if len(rb.jobs) != 2 || !a.MailEnabled() {
			t.Fatal("turning b's e-mail off touched a or still mailed")
		}
	})
}
