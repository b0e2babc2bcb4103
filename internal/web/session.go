package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/web/kit"
)

func clientIP(r *http.Request) string { return kit.ClientIP(r) }

// safeNext keeps redirects after login on this site: only a clean
// absolute path without a host passes. Browsers drop tabs and newlines
// from URLs and read a backslash as a slash, so "/\t/evil.example" and
// "/\\evil.example" would leave the site; anything with a control
// character, a backslash, a scheme or a host becomes "/".
func safeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 2048 {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	return next
}

type loginData struct {
	Name string
	Next string
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	if principal(r).Authenticated() {
		return kit.Redirect(w, r, safeNext(r.URL.Query().Get("next")))
	}
	pg := s.page(r, "login", loginData{Next: r.URL.Query().Get("next")})
	pg.Title = i18n.T(pg.Lang, "login.title")
	s.render(w, r, "login", http.StatusOK, pg)
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	pw := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := clientIP(r)
	pg := s.page(r, "login", loginData{Name: name, Next: next})
	pg.Title = i18n.T(pg.Lang, "login.title")
	if len(name) > 64 || len(pw) > 1024 {
		pg.Error = i18n.T(pg.Lang, "login.bad")
		s.render(w, r, "login", http.StatusBadRequest, pg)
		return nil
	}
	// Attempts are counted before the password is checked, so parallel
	// attempts cannot pass a limit together, and refused callers never
	// reach the (memory-hungry) hash. The lock is per account and
	// address, so that a stranger cannot lock an account out for everyone;
	// a much higher per-account limit stops guessing spread over many
	// addresses.
	pair := name + "\x00" + ip
	if ok, wait := s.byIP.Attempt(ip); !ok {
		pg.Error = i18n.T(pg.Lang, "login.too_many", minutes(wait))
		s.render(w, r, "login", http.StatusTooManyRequests, pg)
		return nil
	}
	if ok, wait := s.byPair.Attempt(pair); !ok {
		s.byIP.Undo(ip)
		pg.Error = i18n.T(pg.Lang, "login.account_locked", minutes(wait))
		s.render(w, r, "login", http.StatusTooManyRequests, pg)
		return nil
	}
	if ok, wait := s.byAccount.Attempt(name); !ok {
		s.byIP.Undo(ip)
		s.byPair.Undo(pair)
		pg.Error = i18n.T(pg.Lang, "login.account_locked", minutes(wait))
		s.render(w, r, "login", http.StatusTooManyRequests, pg)
		return nil
	}
	u, err := auth.Authenticate(r.Context(), s.db, name, pw)
	if err != nil {
		if !errors.Is(err, auth.ErrBadLogin) {
			// The request ended while it waited for a hashing slot: not
			// a wrong password, so it does not count.
			s.byIP.Undo(ip)
			s.byPair.Undo(pair)
			s.byAccount.Undo(name)
			return err
		}
		if err := auth.RecordFailedLogin(r.Context(), s.db, name, ip); err != nil {
			s.log.Warn("audit failed login", "err", err)
		}
		pg.Error = i18n.T(pg.Lang, "login.bad")
		s.render(w, r, "login", http.StatusUnauthorized, pg)
		return nil
	}
	s.byPair.Reset(pair)
	s.byIP.Undo(ip)
	s.byAccount.Undo(name)
	sess, err := auth.NewSession(r.Context(), s.db, u, ip, r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.opt.SecureCookie, MaxAge: int(auth.SessionTTL.Seconds())})
	return kit.Redirect(w, r, next)
}

func minutes(d time.Duration) string {
	return fmt.Sprint(int(d.Minutes()) + 1)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	auth.EndSession(r.Context(), s.db, session(r).token)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1, SameSite: http.SameSiteLaxMode, Secure: s.opt.SecureCookie})
	return kit.Redirect(w, r, "/login")
}

// setLang switches the language: stored on the account when logged in,
// in a cookie otherwise.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) error {
	l := i18n.Normalize(r.PostFormValue("lang"))
	p := principal(r)
	if p.Authenticated() {
		if err := auth.SetLang(r.Context(), s.db, p.Actor(clientIP(r)), p.User.ID, l); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 86400, SameSite: http.SameSiteLaxMode, Secure: s.opt.SecureCookie})
	return kit.Redirect(w, r, safeNext(r.PostFormValue("back")))
}

// accountView is the account page: the caller's API tokens and, right
// after creation, the one new token's secret (shown once, never stored).
type accountView struct {
	Tokens   []tokenRow
	NewToken string
	Name     string // the new-token form's values after an error
	Expires  string
	// Notify is the notification settings form (see account_notify.go).
	Notify *notifyForm
}

// ExpiryChoices are the lifetimes offered for a new token.
func (accountView) ExpiryChoices() []string { return []string{"30d", "90d", "365d", "never"} }

type tokenRow struct {
	auth.Token
	Expired bool
}

func (s *Server) accountPage(r *http.Request, v accountView) (*Page, error) {
	p := principal(r)
	ts, err := auth.Tokens(r.Context(), s.db, p.User.ID)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, t := range ts {
		v.Tokens = append(v.Tokens, tokenRow{Token: t, Expired: t.Expired(now)})
	}
	if v.Expires == "" {
		v.Expires = "90d"
	}
	if v.Notify == nil {
		st, err := notify.GetSettings(r.Context(), s.db, p.User.ID)
		if err != nil {
			return nil, err
		}
		v.Notify = newNotifyForm(st, s.opt.Notify.MailEnabled())
	}
	pg := s.page(r, "account", v)
	pg.Title = i18n.T(pg.Lang, "account.title")
	return pg, nil
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) error {
	pg, err := s.accountPage(r, accountView{})
	if err != nil {
		return err
	}
	s.render(w, r, "account", http.StatusOK, pg)
	return nil
}

// tokenCreate makes an API token for the caller and shows it once on the
// account page (answered directly, so that it never appears in a URL).
func (s *Server) tokenCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	v := accountView{Name: r.PostFormValue("name"), Expires: r.PostFormValue("expires")}
	exp, err := auth.ParseExpiry(v.Expires, time.Now())
	if err == nil {
		v.NewToken, err = auth.CreateToken(r.Context(), s.db, p.Actor(clientIP(r)), p.User.ID, v.Name, exp)
	}
	status := http.StatusOK
	if v.NewToken != "" {
		v.Name, v.Expires = "", ""
	}
	ue, isUser := kit.UserError(err)
	if err != nil && !isUser {
		return err
	}
	pg, perr := s.accountPage(r, v)
	if perr != nil {
		return perr
	}
	if isUser {
		pg.Error = ue.Message(pg.Lang)
		status = http.StatusBadRequest
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, "account", status, pg)
	return nil
}

func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	// an unknown token: auth.ErrNoToken wraps store.ErrNotFound (404)
	if err := auth.RevokeToken(r.Context(), s.db, p.Actor(clientIP(r)), p.User.ID, id); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/account?flash=token_revoked")
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	old := r.PostFormValue("old")
	pw := r.PostFormValue("password")
	pg, err := s.accountPage(r, accountView{})
	if err != nil {
		return err
	}
	if pw != r.PostFormValue("confirm") {
		pg.Error = i18n.T(pg.Lang, "account.mismatch")
		s.render(w, r, "account", http.StatusBadRequest, pg)
		return nil
	}
	if err := auth.SetPassword(r.Context(), s.db, p.Actor(clientIP(r)), p.User.ID, &old, pw, session(r).token); err != nil {
		ue, ok := kit.UserError(err)
		if !ok {
			return err
		}
		pg.Error = ue.Message(pg.Lang)
		s.render(w, r, "account", http.StatusBadRequest, pg)
		return nil
	}
	return kit.Redirect(w, r, "/account?flash=password_changed")
}
