package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/journey/browser"
	"zhihui/internal/notify"
	"zhihui/internal/plan"
	"zhihui/internal/supervise"
)

// mailServer is an SMTP server in the test that refuses every message
// (451, a temporary failure) until it is told to accept.
type mailServer struct {
	mu     sync.Mutex
	refuse bool
	to     []string
	url    string
}

func (m *mailServer) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{m: m}, nil }

func (m *mailServer) setRefuse(v bool) {
	m.mu.Lock()
	m.refuse = v
	m.mu.Unlock()
}

func (m *mailServer) got() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.to...)
}

type mailSession struct {
	m  *mailServer
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
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.refuse {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mail system busy, try later"}
	}
	s.m.to = append(s.m.to, s.to...)
	return nil
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

// TestFailedJobOnTheJobList: the mail server refuses, so the e-mail of
// the office's 催办 to two county reporters fails and waits to be retried.
// The provincial office, from the home page, follows 后台任务, filters
// the jobs waiting to retry and sees both e-mails with their attempts and
// the server's error; it cancels one, and once the mail server is back it
// retries the other, which completes. What is stored agrees: one job
// cancelled, one completed after failed attempts, one e-mail received.
func TestFailedJobOnTheJobList(t *testing.T) {
	t.Parallel()
	// as Each, with a mail server of its own for each store's site
	browser.Path(t)
	for _, st := range []Store{SQLite, Postgres} {
		t.Run(string(st), func(t *testing.T) {
			t.Parallel()
			ms := startMailServer(t)
			// No automatic retry during the journey: the office retries
			// the failed e-mail by hand.
			failedJobJourney(t, Start(t, st, Options{Jobs: true, SMTP: ms.url, RetryAfter: 24 * time.Hour}), ms)
		})
	}
}

// startMailServer starts an SMTP server on 127.0.0.1 that refuses mail
// until told to accept it.
func startMailServer(t *testing.T) *mailServer {
	ms := &mailServer{refuse: true}
	srv := smtp.NewServer(ms)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	ms.url = "smtp://" + ln.Addr().String() + "?from=zhihui@example.cn"
	return ms
}

func failedJobJourney(t *testing.T, s *Site, ms *mailServer) {
	{
		ctx := context.Background()
		st := string(s.Store)
		s.User("ban", "省督查办", auth.Office, "41")
		var reps []*auth.User
		for _, n := range []string{"zya", "zyb"} {
			u := s.User(n+st, "中原区填报员", auth.Reporter, "410102")
			if err := notify.SaveSettings(ctx, s.DB, audit.Actor{Name: u.Name}, u.ID, notify.Settings{Email: u.Name + "@example.cn",
				Modes: map[string]notify.Mode{supervise.KindUrge: notify.Email}}); err != nil {
				t.Fatal(err)
			}
			reps = append(reps, u)
		}
		svc := supervise.New(s.DB)
		if _, err := svc.Create(ctx, audit.Actor{Name: "ban"}, []string{"/41/"}, supervise.NewItem{Year: svc.Today().Year(),
			TaskID: plan.Default().Tasks(plan.TaskFilter{})[0].ID, Title: "推进县级政务云建设", Units: []string{"410102"},
			Due: supervise.FormatDate(svc.Today().AddDate(0, 2, 0))}); err != nil {
			t.Fatal(err)
		}

		// The office presses 催办; the mail server refuses its e-mails.
		o := browser.NewTab(t, s.URL)
		o.Login("ban", Password)
		o.Follow("督查督办")
		o.Follow("推进县级政务云建设")
		o.Press("催办")
		o.WaitText("已催办")

		// The office opens 后台任务 and filters the jobs waiting to retry
		// until both e-mails show there with the server's answer.
		o.Home()
		o.Follow("后台任务")
		o.WaitText("后台任务")
		mailJobs := func() map[int64]jobs.Info {
			list, err := s.Jobs.List(ctx, jobs.Filter{Kinds: []string{notify.MailArgs{}.Kind()}})
			if err != nil {
				t.Fatal(err)
			}
			by := map[int64]jobs.Info{}
			for _, j := range list {
				var a notify.MailArgs
				if err := json.Unmarshal([]byte(j.Args), &a); err != nil {
					t.Fatal(err)
				}
				by[a.User] = j
			}
			return by
		}
		row := func(j jobs.Info) string { return fmt.Sprintf("%d 发送通知邮件", j.ID) }
		for {
			o.Fill("状态", "等待重试")
			o.Press("筛选")
			if js := mailJobs(); len(js) == 2 && o.Has(row(js[reps[0].ID])) && o.Has(row(js[reps[1].ID])) {
				break
			}
		}
		if !o.Has("451") || !o.Has("等待重试") {
			t.Fatalf("the job list does not show the failure: %s", o.Text("main"))
		}
		js := mailJobs()
		a, b := js[reps[0].ID], js[reps[1].ID]

		// It cancels the e-mail to the second reporter.
		o.Press(fmt.Sprintf("取消 %d", b.ID))
		o.WaitText("任务已取消")
		if got := normSpace(o.Text("main")); !strings.Contains(got, row(b)+" 已取消") {
			t.Fatalf("after cancelling: %s", got)
		}

		// The mail server is back; the office retries the first e-mail
		// and finds it among the completed jobs.
		ms.setRefuse(false)
		o.Fill("状态", "等待重试")
		o.Press("筛选")
		o.Press(fmt.Sprintf("重试 %d", a.ID))
		o.WaitText("任务已安排重试")
		for {
			o.Fill("状态", "已完成")
			o.Press("筛选")
			if o.Has(row(a)) {
				break
			}
		}
		if got := normSpace(o.Text("main")); !strings.Contains(got, row(a)+" 已完成") {
			t.Fatalf("completed jobs: %s", got)
		}

		// What is stored agrees with the page.
		ga, err := s.Jobs.Get(ctx, a.ID)
		if err != nil || ga.State != jobs.State("completed") || ga.Attempt < 2 || len(ga.Errors) == 0 || !strings.Contains(ga.Errors[0].Error, "451") {
			t.Fatalf("retried job: %+v %v", ga, err)
		}
		gb, err := s.Jobs.Get(ctx, b.ID)
		if err != nil || gb.State != jobs.State("cancelled") {
			t.Fatalf("cancelled job: %+v %v", gb, err)
		}
		var mailed int
		if err := s.DB.R.QueryRowContext(ctx, s.DB.Rebind(`SELECT count(*) FROM notify_message WHERE mailed_at IS NOT NULL AND user_id = $1`), reps[0].ID).Scan(&mailed); err != nil {
			t.Fatal(err)
		}
		if mailed != 1 {
			t.Fatalf("%d messages of the first reporter marked mailed", mailed)
		}
		for _, to := range ms.got() {
			if to == reps[1].Name+"@example.cn" {
				t.Fatalf("the cancelled e-mail went out: %v", ms.got())
			}
		}
		found := false
		for _, to := range ms.got() {
			found = found || to == reps[0].Name+"@example.cn"
		}
		if !found {
			t.Fatalf("the retried e-mail did not arrive: %v", ms.got())
		}
	}
}
