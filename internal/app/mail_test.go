package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/notify"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

// inbox is an SMTP server's store of messages.
type inbox struct {
	mu  sync.Mutex
	rcp []string
}

func (b *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{b: b}, nil }

type mailSession struct {
	b  *inbox
	to []string
}

func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *mailSession) Data(r io.Reader) error {
	if _, err := io.ReadAll(r); err != nil {
		return err
	}
	s.b.mu.Lock()
	s.b.rcp = append(s.b.rcp, s.to...)
	s.b.mu.Unlock()
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

func (b *inbox) got() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.rcp...)
}

// mailApp starts an SMTP server and an App on db whose job engine
// mails through it (as serve and worker do with --smtp), and makes a
// user rep who wants e-mail at once for approved reports.
func mailApp(t *testing.T, db *store.DB) (*App, *inbox, int64) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, Schemas()...); err != nil {
		t.Fatal(err)
	}
	be := &inbox{}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c := Config{SMTP: "smtp://" + ln.Addr().String() + "?from=zhihui@example.cn", SMTPAllowPrivate: true, BaseURL: "https://zhihui.example.cn"}
	mailer, err := c.Mailer()
	if err != nil {
		t.Fatal(err)
	}
	a := &App{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: Modules()}
	e, err := a.OpenJobs(ctx, jobs.Config{PollInterval: 100 * time.Millisecond}, module.JobEnv{Mail: mailer, BaseURL: c.BaseURL})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Notify.MailEnabled() {
		t.Fatal("e-mail is off")
	}
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		e.Stop(sctx)
	})
	actor := audit.Actor{Name: "test"}
	u, err := auth.CreateUser(ctx, db, actor, auth.NewUser{Name: "rep", Password: "a-long-test-password"})
	if err != nil {
		t.Fatal(err)
	}
	if err := notify.SaveSettings(ctx, db, actor, u.ID, notify.Settings{Email: "rep@example.cn", Modes: map[string]notify.Mode{reporting.KindApproved: notify.Email}}); err != nil {
		t.Fatal(err)
	}
	return a, be, u.ID
}

// approve sends user the approval notice as code of app a does: with the
// app's notifications in its context (a request or a job).
func approve(t *testing.T, a *App, user int64) {
	t.Helper()
	ctx := notify.WithService(context.Background(), a.Notify)
	err := a.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := notify.Send(ctx, tx, notify.Message{Kind: reporting.KindApproved, Key: "notify.reporting.approved",
			Args: []any{"中原区", "2019年", "县级信息化年报"}, Link: "/reporting", To: []notify.Recipient{notify.Users(user)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMailWiring: --smtp as serve and worker read it turns e-mail on for
// the App's notifications and the job engine App.OpenJobs builds: a
// notification sent by a feature reaches the App's SMTP server. Two Apps
// in one process, each with its own server, mail only through their own;
// bad settings are refused before anything starts.
func TestMailWiring(t *testing.T) {
	for _, bad := range []Config{{SMTP: "mail.example.cn:25"}, {SMTP: "smtp://mail.example.cn"}, {SMTP: "smtp://mail.example.cn?from=a@example.cn", BaseURL: "zhihui.example.cn"}} {
		if _, err := bad.Mailer(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if m, err := (&Config{}).Mailer(); m != nil || err != nil {
		t.Fatalf("no --smtp: %v %v", m, err)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		other := storetest.SQLite(t)
		if db.Dialect == store.Postgres {
			other = storetest.Postgres(t)
		}
		a, boxA, userA := mailApp(t, db)
		b, boxB, userB := mailApp(t, other)
		if a.Notify == b.Notify {
			t.Fatal("two apps share their notifications")
		}
		approve(t, a, userA)
		testwait.Until(t, "the e-mail of app a", func() bool { return len(boxA.got()) > 0 })
		approve(t, b, userB)
		approve(t, b, userB)
		testwait.Until(t, "the e-mails of app b", func() bool { return len(boxB.got()) == 2 })
		if got := strings.Join(boxA.got(), ","); got != "rep@example.cn" {
			t.Fatalf("app a's server got mail for %s", got)
		}
		// app a's server never saw b's mail
		if n := len(boxA.got()); n != 1 {
			t.Fatalf("app a's server got %d mails, want 1", n)
		}
	})
}
