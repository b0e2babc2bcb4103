package notify

// The e-mail side: a mailer that sends plain-text UTF-8 mail through one
// SMTP server, refusing servers at private addresses unless the operator
// allows them.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/webcheck/crawl"
)

// SMTP is where mail goes: parsed from a URL
// smtp://user:pass@host:port?from=addr (STARTTLS when the server offers
// it, required when a password is given) or smtps://… (TLS from the
// first byte, port 465 by default).
type SMTP struct {
	Host     string
	Port     string
	User     string
	Password string
	From     string
	Implicit bool // smtps: TLS from the start
}

// ParseSMTP reads an SMTP URL; the error says what is wrong without
// repeating the password.
func ParseSMTP(raw string) (SMTP, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return SMTP{}, errors.New("notify: the SMTP setting is not a URL (smtp://user:pass@host:port?from=addr)")
	}
	var s SMTP
	switch u.Scheme {
	case "smtp":
		s.Port = "587"
	case "smtps":
		s.Port, s.Implicit = "465", true
	default:
		return SMTP{}, fmt.Errorf("notify: the SMTP setting must start with smtp:// or smtps://, not %q", u.Scheme)
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return SMTP{}, errors.New("notify: the SMTP setting names no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return SMTP{}, fmt.Errorf("notify: SMTP port %q is not a port number", p)
		}
		s.Port = p
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	from := u.Query().Get("from")
	if from == "" {
		return SMTP{}, errors.New("notify: the SMTP setting needs ?from=address (the sender of the platform's mail)")
	}
	a, err := mail.ParseAddress(from)
	if err != nil {
		return SMTP{}, fmt.Errorf("notify: the SMTP sender %q is not an e-mail address", from)
	}
	s.From = a.Address
	return s, nil
}

// Mail is one e-mail: plain text in UTF-8.
type Mail struct {
	To      []string
	Subject string
	Body    string
}

// Mailer sends messages through one SMTP server.
type Mailer struct {
	SMTP SMTP
	// AllowPrivate lets the mailer reach a server at a loopback, private or
	// link-local address (the same rule as the crawler's --allow-private).
	AllowPrivate bool
	// TLS, when set, is used for STARTTLS and smtps (tests give their own
	// roots); nil verifies the server against the system roots.
	TLS *tls.Config
	// Timeout bounds one delivery; 0 is 30 seconds.
	Timeout time.Duration
}

// Send delivers m. The connection is refused before it is made when the
// server's address is private and AllowPrivate is not set.
func (ml *Mailer) Send(ctx context.Context, m Mail) error {
	if len(m.To) == 0 {
		return errors.New("notify: a message without recipients")
	}
	for _, to := range m.To {
		if _, err := mail.ParseAddress(to); err != nil || strings.ContainsAny(to, "\r\n") {
			return fmt.Errorf("notify: %q is not an e-mail address", to)
		}
	}
	timeout := ml.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(ml.SMTP.Host, ml.SMTP.Port)
	conn, err := crawl.Dialer(ml.AllowPrivate).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("notify: connect to the SMTP server %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tcfg := ml.tlsConfig()
	if ml.SMTP.Implicit {
		conn = tls.Client(conn, tcfg)
	}
	c, err := smtp.NewClient(conn, ml.SMTP.Host)
	if err != nil {
		return fmt.Errorf("notify: SMTP greeting from %s: %w", addr, err)
	}
	defer c.Close()
	if !ml.SMTP.Implicit {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tcfg); err != nil {
				return fmt.Errorf("notify: STARTTLS with %s: %w", addr, err)
			}
		} else if ml.SMTP.Password != "" {
			return fmt.Errorf("notify: %s offers no STARTTLS; the password is not sent in clear text", addr)
		}
	}
	if ml.SMTP.User != "" {
		if err := c.Auth(smtp.PlainAuth("", ml.SMTP.User, ml.SMTP.Password, ml.SMTP.Host)); err != nil {
			return fmt.Errorf("notify: SMTP login at %s: %w", addr, err)
		}
	}
	if err := c.Mail(ml.SMTP.From); err != nil {
		return fmt.Errorf("notify: SMTP sender: %w", err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("notify: SMTP recipient %s: %w", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: SMTP data: %w", err)
	}
	if _, err := w.Write(compose(ml.SMTP.From, m, time.Now())); err != nil {
		return fmt.Errorf("notify: SMTP data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: SMTP data: %w", err)
	}
	return c.Quit()
}

func (ml *Mailer) tlsConfig() *tls.Config {
	if ml.TLS != nil {
		c := ml.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = ml.SMTP.Host
		}
		return c
	}
	return &tls.Config{ServerName: ml.SMTP.Host, MinVersion: tls.VersionTLS12}
}

// compose writes m as an RFC 5322 message: UTF-8 headers encoded as
// RFC 2047 words, the body in base64 lines of 76 characters.
func compose(from string, m Mail, now time.Time) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", from)
	hdr("To", strings.Join(m.To, ", "))
	hdr("Subject", mime.BEncoding.Encode("UTF-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject)))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="UTF-8"`)
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
