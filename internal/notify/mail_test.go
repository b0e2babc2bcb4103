package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is what the test server was given.
type received struct {
	From string
	To   []string
	Data []byte
	User string
}

// backend is a real SMTP server's store: it keeps every message.
type backend struct {
	mu   sync.Mutex
	msgs []received
	// fail is how many more messages the server refuses (451) before it
	// accepts again.
	fail int
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b   *backend
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "zhihui" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.cur.User = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.From = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.To = append(s.cur.To, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	d, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.Data = d
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.fail > 0 {
		s.b.fail--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.b.msgs = append(s.b.msgs, s.cur)
	return nil
}
func (s *session) Reset()        { s.cur = received{User: s.cur.User} }
func (s *session) Logout() error { return nil }

func (b *backend) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// startServer runs an SMTP server on a loopback port, offering STARTTLS
// with a fresh certificate when withTLS; it returns the server's port and
// the roots that trust it.
func startServer(t *testing.T, withTLS bool) (*backend, string, *x509.CertPool) {
	t.Helper()
	be := &backend{}
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	var roots *x509.CertPool
	if withTLS {
		cert, pool := selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		roots = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return be, port, roots
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSendOverSTARTTLS(t *testing.T) {
	t.Parallel()
	be, port, roots := startServer(t, true)
	cfg, err := ParseSMTP("smtp://zhihui:s3cret@127.0.0.1:" + port + "?from=noreply@zhihui.example")
	if err != nil {
		t.Fatal(err)
	}
	// The test allows loopback explicitly; the operator's default refuses it.
	m := &Mailer{SMTP: cfg, AllowPrivate: true, TLS: &tls.Config{RootCAs: roots}}
	msg := Mail{To: []string{"reporter@example.cn"}, Subject: "催报：2024年报表已过截止日期", Body: "您负责的单位中有 3 个尚未提交。\nhttps://zhihui.example/reporting"}
	if err := m.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := be.all()
	if len(got) != 1 {
		t.Fatalf("%d messages", len(got))
	}
	r := got[0]
	if r.From != "noreply@zhihui.example" || len(r.To) != 1 || r.To[0] != "reporter@example.cn" || r.User != "zhihui" {
		t.Fatalf("envelope %+v", r)
	}
	pm, err := mail.ReadMessage(strings.NewReader(string(r.Data)))
	if err != nil {
		t.Fatal(err)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(pm.Header.Get("Subject"))
	if err != nil || subj != msg.Subject {
		t.Errorf("subject %q %v", subj, err)
	}
	raw, err := io.ReadAll(pm.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := decodeBase64Lines(string(raw))
	if err != nil || body != msg.Body {
		t.Errorf("body %q %v", body, err)
	}
}

func TestSendRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	be, port, roots := startServer(t, true)
	cfg, err := ParseSMTP("smtp://zhihui:s3cret@127.0.0.1:" + port + "?from=noreply@zhihui.example")
	if err != nil {
		t.Fatal(err)
	}
	m := &Mailer{SMTP: cfg, TLS: &tls.Config{RootCAs: roots}}
	err = m.Send(context.Background(), Mail{To: []string{"a@example.cn"}, Subject: "x", Body: "y"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("sent to loopback without permission: %v", err)
	}
	if n := len(be.all()); n != 0 {
		t.Fatalf("the server got %d messages", n)
	}
}

func TestSendKeepsPasswordOffCleartext(t *testing.T) {
	t.Parallel()
	be, port, _ := startServer(t, false)
	cfg, err := ParseSMTP("smtp://zhihui:s3cret@127.0.0.1:" + port + "?from=noreply@zhihui.example")
	if err != nil {
		t.Fatal(err)
	}
	m := &Mailer{SMTP: cfg, AllowPrivate: true}
	err = m.Send(context.Background(), Mail{To: []string{"a@example.cn"}, Subject: "x", Body: "y"})
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") || len(be.all()) != 0 {
		t.Fatalf("password over clear text: %v", err)
	}
	// Without credentials, a plain relay is fine.
	m.SMTP.User, m.SMTP.Password = "", ""
	if err := m.Send(context.Background(), Mail{To: []string{"a@example.cn"}, Subject: "x", Body: "y"}); err != nil || len(be.all()) != 1 {
		t.Fatalf("plain relay: %v", err)
	}
	// Header injection through a recipient is refused.
	if err := m.Send(context.Background(), Mail{To: []string{"a@example.cn\r\nBcc: b@example.cn"}, Subject: "x", Body: "y"}); err == nil {
		t.Fatal("a recipient with a line break was accepted")
	}
}

func TestParseSMTP(t *testing.T) {
	good, err := ParseSMTP("smtps://u:p%40ss@mail.example.cn?from=Zhihui%20%3Cnoreply@example.cn%3E")
	if err != nil || good.Port != "465" || !good.Implicit || good.Password != "p@ss" || good.From != "noreply@example.cn" || good.Host != "mail.example.cn" {
		t.Fatalf("%+v %v", good, err)
	}
	for _, bad := range []string{"", "http://x?from=a@b.cn", "smtp://?from=a@b.cn", "smtp://mail.example.cn", "smtp://mail.example.cn:99999?from=a@b.cn", "smtp://mail.example.cn?from=not-an-address"} {
		if _, err := ParseSMTP(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "p@ss") {
			t.Errorf("%q: error repeats the password", bad)
		}
	}
}

func decodeBase64Lines(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(s))
	return string(b), err
}
