package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Settings are one user's notification settings: the e-mail address and
// the mode of each kind (kinds without an entry are [InApp]).
type Settings struct {
	Email string          `json:"email"`
	Modes map[string]Mode `json:"modes"`
}

// Mode returns the mode of kind.
func (s Settings) Mode(kind string) Mode {
	if m, ok := s.Modes[kind]; ok {
		return m
	}
	return InApp
}

// GetSettings reads a user's settings.
func GetSettings(ctx context.Context, db *store.DB, user int64) (Settings, error) {
	s := Settings{Modes: map[string]Mode{}}
	err := db.R.QueryRowContext(ctx, `SELECT email FROM notify_setting WHERE user_id = $1`, user).Scan(&s.Email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("notify: settings: %w", err)
	}
	rows, err := db.R.QueryContext(ctx, `SELECT kind, mode FROM notify_pref WHERE user_id = $1`, user)
	if err != nil {
		return s, fmt.Errorf("notify: settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, m string
		if err := rows.Scan(&k, &m); err != nil {
			return s, err
		}
		s.Modes[k] = Mode(m)
	}
	return s, rows.Err()
}

// MaxEmail is the longest e-mail address accepted.
const MaxEmail = 254

// SaveSettings replaces a user's settings after checking them: a valid
// address (or none), known kinds, known modes, mandatory kinds not off,
// and e-mail modes only with an address. The change is audited.
func SaveSettings(ctx context.Context, db *store.DB, actor audit.Actor, user int64, s Settings) error {
	email := strings.TrimSpace(s.Email)
	if email != "" {
		a, err := mail.ParseAddress(email)
		if err != nil || a.Address != email || len(email) > MaxEmail || strings.ContainsAny(email, "\r\n") {
			return i18n.Errorf("电子邮件地址格式不正确：%q", "%q is not an e-mail address", email).OnField("email")
		}
	}
	for kind, m := range s.Modes {
		k, ok := kindOf(kind)
		if !ok {
			return i18n.Errorf("未知的通知类型：%q", "unknown kind of notification: %q", kind).OnField("kind")
		}
		switch m {
		case InApp, Email, Digest:
		case Off:
			if k.Mandatory {
				return (&i18n.Error{Text: i18n.Text{
					Zh: fmt.Sprintf("“%s”类通知不能关闭", i18n.T("zh-CN", k.Label)),
					En: fmt.Sprintf("notifications of kind “%s” cannot be turned off", i18n.T("en", k.Label)),
				}}).OnField("mode_" + kind)
			}
		default:
			return i18n.Errorf("未知的接收方式：%q", "unknown way of receiving: %q", string(m)).OnField("mode_" + kind)
		}
		if (m == Email || m == Digest) && email == "" {
			return i18n.Errorf("选择邮件接收前请先填写电子邮件地址", "enter an e-mail address before choosing e-mail").OnField("email")
		}
	}
	before, err := GetSettings(ctx, db, user)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO notify_setting (user_id, email, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at`, user, email, store.Now())
		if err != nil {
			return fmt.Errorf("notify: save settings: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM notify_pref WHERE user_id = $1`, user); err != nil {
			return err
		}
		for kind, m := range s.Modes {
			if m == InApp {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_pref (user_id, kind, mode) VALUES ($1, $2, $3)`, user, kind, string(m)); err != nil {
				return fmt.Errorf("notify: save settings: %w", err)
			}
		}
		after := Settings{Email: email, Modes: s.Modes}
		return audit.Record(ctx, tx, actor, "update", "notify_setting", fmt.Sprint(user), "", before, after)
	})
}
