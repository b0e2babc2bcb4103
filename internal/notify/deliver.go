package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Inserter enqueues a job inside a store transaction (*jobs.Engine).
type Inserter interface {
	InsertTx(ctx context.Context, tx *store.Tx, args jobs.Args, opts *jobs.InsertOpts) (jobs.Inserted, error)
}

// Service is the notifications of one application: [Service.Send]
// records messages and, once [Service.UseMail] has given it the
// application's job engine, enqueues the e-mail of those who want it.
// Each application (and each test) has its own; nothing about e-mail is
// kept per process. The web core puts the server's service into every
// request's context and the job engine into every job's (see
// [WithService]), so domain code sends with [Send].
type Service struct {
	out atomic.Pointer[outbox]
}

type outbox struct {
	ins     Inserter
	dialect store.Dialect
}

// NewService returns a service that records messages in-app only until
// UseMail turns e-mail on.
func NewService() *Service { return &Service{} }

// UseMail turns e-mail on for s: messages enqueue their e-mail through
// ins, a job engine on a store of dialect d. App.OpenJobs calls it when
// an SMTP server is configured; UseMail(nil, "") turns it off.
func (s *Service) UseMail(ins Inserter, d store.Dialect) {
	if ins == nil {
		s.out.Store(nil)
		return
	}
	s.out.Store(&outbox{ins: ins, dialect: d})
}

// MailEnabled reports whether s sends e-mail (false for a nil service).
func (s *Service) MailEnabled() bool { return s != nil && s.out.Load() != nil }

func (s *Service) outboxFor(tx *store.Tx) Inserter {
	if s == nil {
		return nil
	}
	o := s.out.Load()
	if o == nil || o.dialect != tx.Dialect {
		return nil
	}
	return o.ins
}

type serviceKey struct{}

// WithService returns ctx carrying s: [Send] and [Sender] use the
// service of their context.
func WithService(ctx context.Context, s *Service) context.Context {
	if s == nil {
		return ctx
	}
	return context.WithValue(ctx, serviceKey{}, s)
}

// FromContext returns the service ctx carries, nil when none (a nil
// service records in-app only).
func FromContext(ctx context.Context) *Service {
	s, _ := ctx.Value(serviceKey{}).(*Service)
	return s
}

// MailArgs is the job that e-mails messages to their user: one message
// sent at once, or the day's digest.
type MailArgs struct {
	User     int64   `json:"user"`
	Messages []int64 `json:"messages"`
	// Digest is the Shanghai date (YYYY-MM-DD) of a digest, "" for a
	// single message.
	Digest string `json:"digest,omitempty"`
}

// Kind names the job.
func (MailArgs) Kind() string { return "notify_mail" }

// DigestArgs is the periodic job that sends the daily digests.
type DigestArgs struct{}

// Kind names the job.
func (DigestArgs) Kind() string { return "notify_digest" }

// MailAttempts is how often a mail job is tried before it is given up
// (River's backoff spreads them over about a day and a half).
const MailAttempts = 12

func mailOpts() *jobs.InsertOpts { return &jobs.InsertOpts{MaxAttempts: MailAttempts} }

// DigestHour is the hour (Asia/Shanghai) from which each day's digest goes out.
const DigestHour = 8

// Sender delivers e-mail for the job engine.
type Sender struct {
	DB     *store.DB
	Mailer *Mailer
	// BaseURL is where users reach Zhihui ("https://zhihui.example.cn"),
	// put in front of links in e-mail; empty leaves them as paths.
	BaseURL string
	Log     *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Notify is the application's service, whose job engine the digest
	// enqueues its e-mail on (nil: the service of the job's context).
	Notify *Service
}

func (s *Sender) service(ctx context.Context) *Service {
	if s.Notify != nil {
		return s.Notify
	}
	return FromContext(ctx)
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Register adds the mail worker and the hourly digest check to r.
func (s *Sender) Register(r *jobs.Registry) {
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[MailArgs]) error { return s.Deliver(ctx, j.Args) })
	jobs.Handle(r, func(ctx context.Context, j *jobs.Job[DigestArgs]) error {
		n, err := s.Digest(ctx)
		if n > 0 && s.Log != nil {
			s.Log.Info("notification digests enqueued", "users", n)
		}
		return err
	})
	r.Every("notify_digest", time.Hour, true, func() (jobs.Args, *jobs.InsertOpts) {
		return DigestArgs{}, &jobs.InsertOpts{UniqueOpts: jobs.UniqueOpts{ByPeriod: time.Hour}}
	})
}

// Deliver sends the e-mail of a. A user without an address or disabled
// since gets nothing (the job completes); a failing server returns the
// error, and the job engine tries again later.
func (s *Sender) Deliver(ctx context.Context, a MailArgs) error {
	if s.Mailer == nil {
		return jobs.Cancel(errors.New("notify: no SMTP server is configured"))
	}
	u, err := auth.GetUser(ctx, s.DB, a.User)
	if err != nil {
		if errors.Is(err, auth.ErrNotFound) {
			return nil
		}
		return err
	}
	st, err := GetSettings(ctx, s.DB, a.User)
	if err != nil {
		return err
	}
	if u.Disabled || st.Email == "" || len(a.Messages) == 0 {
		return nil
	}
	ns, err := messages(ctx, s.DB, a.User, a.Messages)
	if err != nil {
		return err
	}
	if len(ns) == 0 {
		return nil
	}
	m := s.Compose(u, st.Email, a.Digest, ns)
	if err := s.Mailer.Send(ctx, m); err != nil {
		return err
	}
	var args store.Args
	q := `UPDATE notify_message SET mailed_at = ` + args.Add(store.Now()) + ` WHERE user_id = ` + args.Add(a.User) +
		` AND id IN (` + store.In(&args, a.Messages) + `)`
	if _, err := s.DB.W.ExecContext(ctx, q, args...); err != nil {
		// the mail went out; a retry would send it twice
		if s.Log != nil {
			s.Log.Warn("notify: mark mailed", "user", a.User, "err", err)
		}
	}
	return nil
}

// messages loads the messages ids of user, oldest first.
func messages(ctx context.Context, db *store.DB, user int64, ids []int64) ([]Notification, error) {
	var a store.Args
	q := `SELECT ` + cols + ` FROM notify_message WHERE user_id = ` + a.Add(user) + ` AND id IN (` + store.In(&a, ids) + `) ORDER BY id`
	rows, err := db.R.QueryContext(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("notify: messages: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		n, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Compose writes the e-mail of messages ns to u at address to, in u's
// language: one message, or the digest of date digest.
func (s *Sender) Compose(u *auth.User, to, digest string, ns []Notification) Mail {
	lang := i18n.Normalize(u.Lang)
	var b strings.Builder
	name := u.DisplayName
	if name == "" {
		name = u.Name
	}
	b.WriteString(i18n.T(lang, "notify.mail.greeting", name) + "\n\n")
	for _, n := range ns {
		b.WriteString("• " + n.In(lang) + "\n")
		if n.Link != "" {
			b.WriteString("  " + strings.TrimRight(s.BaseURL, "/") + n.Link + "\n")
		}
		b.WriteString("  " + n.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04") + "\n\n")
	}
	b.WriteString(i18n.T(lang, "notify.mail.footer") + "\n")
	subject := i18n.T(lang, "notify.mail.subject", ns[0].In(lang))
	if digest != "" {
		subject = i18n.T(lang, "notify.mail.digest_subject", digest, fmt.Sprint(len(ns)))
	}
	return Mail{To: []string{to}, Subject: subject, Body: b.String()}
}

// Digest enqueues, once per Shanghai day from DigestHour on, one e-mail
// per user who prefers a digest for some kind and has an address: their
// unread messages of those kinds not mailed yet. It returns how many
// digests it enqueued.
func (s *Sender) Digest(ctx context.Context) (int, error) {
	now := s.now().In(period.Shanghai)
	if now.Hour() < DigestHour {
		return 0, nil
	}
	today := now.Format("2006-01-02")
	rows, err := s.DB.R.QueryContext(ctx, `SELECT DISTINCT p.user_id FROM notify_pref p
		JOIN notify_setting st ON st.user_id = p.user_id
		WHERE p.mode = $1 AND st.email <> '' AND st.digest_on < $2 ORDER BY p.user_id`, string(Digest), today)
	if err != nil {
		return 0, fmt.Errorf("notify: digest: %w", err)
	}
	var users []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return 0, err
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		sent := false
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			// claim the day first: of two processes, one digests the user
			res, err := tx.ExecContext(ctx, `UPDATE notify_setting SET digest_on = $1 WHERE user_id = $2 AND digest_on < $1`, today, u)
			if err != nil {
				return err
			}
			if c, _ := res.RowsAffected(); c == 0 {
				return nil
			}
			rows, err := tx.QueryContext(ctx, `SELECT m.id FROM notify_message m JOIN notify_pref p ON p.user_id = m.user_id AND p.kind = m.kind
				WHERE m.user_id = $1 AND p.mode = $2 AND m.read_at IS NULL AND m.mailed_at IS NULL ORDER BY m.id`, u, string(Digest))
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			out := s.service(ctx).outboxFor(tx)
			if out == nil {
				return errors.New("notify: digest without a mail engine")
			}
			if _, err := out.InsertTx(ctx, tx, MailArgs{User: u, Messages: ids, Digest: today}, mailOpts()); err != nil {
				return err
			}
			sent = true
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("notify: digest of user %d: %w", u, err)
		}
		if sent {
			n++
		}
	}
	return n, nil
}
