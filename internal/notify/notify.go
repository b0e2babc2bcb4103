// Package notify is Zhihui's one way to tell people something: every
// feature calls [Send] inside the transaction of the change it reports,
// so that a notification exists only if the change commits. Send records
// one in-app message per recipient (the inbox: [List], [Unread],
// [MarkRead], [Open], [MarkAllRead]) and, when the installation has an
// SMTP server (--smtp) and the recipient asked for it, enqueues the e-mail
// as a job (see [MailArgs]); a daily digest collects the rest for those
// who prefer one e-mail a day (see [Sender.Digest]).
//
// Messages are bilingual: a catalogue key and its arguments are stored
// and rendered in the reader's language when shown or mailed; the link is
// a path built by the caller in Go.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Schema owns the notification tables.
//
//   - notify_message: one in-app message to one user (the inbox); mailed_at
//     is set once it went out by e-mail, alone or in a digest.
//   - notify_setting: a user's e-mail address and the Shanghai date of
//     their last digest.
//   - notify_pref: how a user wants each kind of message (see [Mode]).
//
// It is a core schema, migrated before every module: reporting's inbox
// rows were moved here by reporting's migration 2.
var Schema = store.Schema{Component: "notify", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE notify_message (
	id {{ID}},
	user_id BIGINT NOT NULL,
	kind TEXT NOT NULL,
	msg_key TEXT NOT NULL DEFAULT '',
	args TEXT NOT NULL DEFAULT '[]',
	text_zh TEXT NOT NULL DEFAULT '',
	text_en TEXT NOT NULL DEFAULT '',
	link TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	read_at {{TS}},
	mailed_at {{TS}});
CREATE INDEX notify_message_user ON notify_message (user_id, read_at);
CREATE TABLE notify_setting (
	user_id BIGINT PRIMARY KEY,
	email TEXT NOT NULL DEFAULT '',
	digest_on TEXT NOT NULL DEFAULT '',
	updated_at {{TS}} NOT NULL);
CREATE TABLE notify_pref (
	user_id BIGINT NOT NULL,
	kind TEXT NOT NULL,
	mode TEXT NOT NULL,
	PRIMARY KEY (user_id, kind))`}}}

// ErrNotFound is returned for a message that is not the caller's.
var ErrNotFound = fmt.Errorf("notify: %w", store.ErrNotFound)

// Mode is how a user wants one kind of message.
type Mode string

const (
	// InApp records the message in the inbox only (the default).
	InApp Mode = "inapp"
	// Email records it and sends it by e-mail at once.
	Email Mode = "email"
	// Digest records it and includes it, if still unread, in one e-mail a day.
	Digest Mode = "digest"
	// Off records nothing; mandatory kinds cannot be turned off.
	Off Mode = "off"
)

// Modes lists the modes in the order the preferences form offers them.
var Modes = []Mode{InApp, Email, Digest, Off}

// Kind is a kind of message users can set a preference for.
type Kind struct {
	Name string // "reporting.returned"
	// Label is the catalogue key naming the kind on the preferences form.
	Label string
	// Mandatory kinds are always recorded in the inbox: Off is not
	// offered for them (a returned report or a 催办 must not be missed).
	Mandatory bool
}

var (
	kindsMu sync.RWMutex
	kinds   []Kind
)

// KindNotice is a general notice from the platform.
var KindNotice = DefineKind("notify.notice", "notify.kind.notice", false)

// DefineKind declares a kind of message and returns its name; features
// call it once, in a package variable. Defining a name twice panics.
func DefineKind(name, label string, mandatory bool) string {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	for _, k := range kinds {
		if k.Name == name {
			panic("notify: kind " + name + " defined twice")
		}
	}
	kinds = append(kinds, Kind{Name: name, Label: label, Mandatory: mandatory})
	return name
}

// Kinds lists the defined kinds, sorted by name.
func Kinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := append([]Kind(nil), kinds...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func kindOf(name string) (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// Recipient names who receives a message; see [Users], [Covering] and
// [Superiors].
type Recipient struct {
	users     []int64
	role      auth.Role
	unitPath  string
	superiors bool
	roles     []auth.Role
}

// Users are the given accounts.
func Users(ids ...int64) Recipient { return Recipient{users: ids} }

// Covering are the users holding role at the unit with materialised path
// unitPath or at one of its ancestors (those whose grant covers it).
func Covering(role auth.Role, unitPath string) Recipient {
	return Recipient{role: role, unitPath: unitPath}
}

// Superiors are the users holding a grant at the parent unit of the unit
// with path unitPath (the level above it), restricted to roles when any
// are given.
func Superiors(unitPath string, roles ...auth.Role) Recipient {
	return Recipient{unitPath: unitPath, superiors: true, roles: roles}
}

// Message is one notification to send.
type Message struct {
	// Kind is a name returned by [DefineKind]; the recipients'
	// preferences for it apply.
	Kind string
	// Key is the catalogue key of the text: a format string whose verbs
	// are all %s, filled with Args.
	Key string
	// Args fill Key; an i18n.Text is shown in the reader's language, any
	// other value as fmt prints it.
	Args []any
	// Link is the path the message points to, built in Go ("/reporting/form?…").
	Link string
	To   []Recipient
	// Except is a user not to tell (the one who caused the message).
	Except int64
}

// Notification is one message in a user's inbox.
type Notification struct {
	ID     int64  `json:"id"`
	UserID int64  `json:"user_id"`
	Kind   string `json:"kind"`
	Key    string `json:"key,omitempty"`
	// Args are the message's arguments in both languages.
	Args []i18n.Text `json:"args,omitempty"`
	// Text is the message as rendered when it was sent (messages moved
	// from the former reporting inbox have only this).
	Text      i18n.Text  `json:"text"`
	Link      string     `json:"link,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// In renders the message in lang: from its catalogue key when the
// catalogue knows it, otherwise the text stored when it was sent.
func (n Notification) In(lang string) string {
	if n.Key != "" {
		if c, err := i18n.Catalog(); err == nil {
			if _, ok := c[n.Key]; ok {
				return render(lang, n.Key, n.Args)
			}
		}
	}
	return n.Text.In(lang)
}

func render(lang, key string, args []i18n.Text) string {
	a := make([]any, len(args))
	for i, x := range args {
		a[i] = x.In(lang)
	}
	return i18n.T(lang, key, a...)
}

func bilingual(args []any) []i18n.Text {
	out := make([]i18n.Text, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case i18n.Text:
			out[i] = v
		case *i18n.Text:
			out[i] = *v
		default:
			s := fmt.Sprint(v)
			out[i] = i18n.Text{Zh: s, En: s}
		}
	}
	return out
}

// Send records m for its recipients inside tx, following each one's
// preference for m.Kind, and enqueues the e-mail of those who want it at
// once when ctx carries a service with e-mail on (see [WithService] and
// [Service.UseMail]). It returns how many users received the message in
// their inbox. Disabled accounts are skipped.
func Send(ctx context.Context, tx *store.Tx, m Message) (int, error) {
	return FromContext(ctx).Send(ctx, tx, m)
}

// Send records m for its recipients inside tx, following each one's
// preference for m.Kind, and enqueues the e-mail of those who want it at
// once when s has e-mail on. A nil service records in-app only.
func (s *Service) Send(ctx context.Context, tx *store.Tx, m Message) (int, error) {
	k, ok := kindOf(m.Kind)
	if !ok {
		return 0, fmt.Errorf("notify: unknown kind %q", m.Kind)
	}
	if m.Key == "" {
		return 0, errors.New("notify: a message needs a catalogue key")
	}
	if m.Link != "" && (!strings.HasPrefix(m.Link, "/") || strings.HasPrefix(m.Link, "//")) {
		return 0, fmt.Errorf("notify: the link %q is not a path", m.Link)
	}
	users, err := resolve(ctx, tx, m.To)
	if err != nil {
		return 0, err
	}
	delete(users, m.Except)
	if len(users) == 0 {
		return 0, nil
	}
	ids := make([]int64, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	modes, emails, err := prefsOf(ctx, tx, m.Kind, ids)
	if err != nil {
		return 0, err
	}
	args := bilingual(m.Args)
	argsJSON, _ := json.Marshal(args)
	text := i18n.Text{Zh: render("zh-CN", m.Key, args), En: render("en", m.Key, args)}
	now := store.Now()
	out := s.outboxFor(tx)
	n := 0
	for _, u := range ids {
		mode := modes[u]
		if mode == "" {
			mode = InApp
		}
		if mode == Off && !k.Mandatory {
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO notify_message (user_id, kind, msg_key, args, text_zh, text_en, link, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			u, m.Kind, m.Key, string(argsJSON), text.Zh, text.En, m.Link, now).Scan(&id)
		if err != nil {
			return n, fmt.Errorf("notify: record: %w", err)
		}
		n++
		if mode == Email && emails[u] != "" && out != nil {
			if _, err := out.InsertTx(ctx, tx, MailArgs{User: u, Messages: []int64{id}}, mailOpts()); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Resolve returns the ids of the enabled users to names, sorted, as Send
// would reach them (before preferences and Except).
func Resolve(ctx context.Context, tx *store.Tx, to ...Recipient) ([]int64, error) {
	users, err := resolve(ctx, tx, to)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// resolve turns recipients into the set of enabled users they name.
func resolve(ctx context.Context, tx *store.Tx, to []Recipient) (map[int64]bool, error) {
	users := map[int64]bool{}
	add := func(q string, a *store.Args) error {
		rows, err := tx.QueryContext(ctx, q, (*a)...)
		if err != nil {
			return fmt.Errorf("notify: recipients: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			users[id] = true
		}
		return rows.Err()
	}
	const enabled = `SELECT DISTINCT g.user_id FROM auth_grant g JOIN auth_user u ON u.id = g.user_id WHERE u.disabled = FALSE AND `
	for _, r := range to {
		switch {
		case len(r.users) > 0:
			var a store.Args
			if err := add(`SELECT id FROM auth_user WHERE disabled = FALSE AND id IN (`+store.In(&a, r.users)+`)`, &a); err != nil {
				return nil, err
			}
		case r.superiors:
			parent := Parent(r.unitPath)
			if parent == "" {
				continue
			}
			var a store.Args
			q := enabled + `g.org_path = ` + a.Add(parent)
			if len(r.roles) > 0 {
				q += ` AND g.role IN (` + store.In(&a, roleNames(r.roles)) + `)`
			}
			if err := add(q, &a); err != nil {
				return nil, err
			}
		case r.unitPath != "":
			anc := Ancestors(r.unitPath)
			if len(anc) == 0 {
				continue
			}
			var a store.Args
			q := enabled + `g.role = ` + a.Add(string(r.role)) + ` AND g.org_path IN (` + store.In(&a, anc) + `)`
			if err := add(q, &a); err != nil {
				return nil, err
			}
		}
	}
	return users, nil
}

func roleNames(rs []auth.Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// Ancestors returns the materialised paths of the unit at path and of
// every unit above it ("/41/4101/" → "/41/", "/41/4101/").
func Ancestors(path string) []string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var out []string
	cur := "/"
	for _, p := range parts {
		if p == "" {
			continue
		}
		cur += p + "/"
		out = append(out, cur)
	}
	return out
}

// Parent returns the path of the unit above the one at path, "" for the
// root.
func Parent(path string) string {
	a := Ancestors(path)
	if len(a) < 2 {
		return ""
	}
	return a[len(a)-2]
}

// prefsOf returns the users' modes for kind and the e-mail addresses of
// those who set one.
func prefsOf(ctx context.Context, tx *store.Tx, kind string, users []int64) (map[int64]Mode, map[int64]string, error) {
	modes, emails := map[int64]Mode{}, map[int64]string{}
	var a store.Args
	k := a.Add(kind)
	in := store.In(&a, users)
	rows, err := tx.QueryContext(ctx, `SELECT user_id, mode FROM notify_pref WHERE kind = `+k+` AND user_id IN (`+in+`)`, a...)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: preferences: %w", err)
	}
	for rows.Next() {
		var u int64
		var m string
		if err := rows.Scan(&u, &m); err != nil {
			rows.Close()
			return nil, nil, err
		}
		modes[u] = Mode(m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var b store.Args
	rows, err = tx.QueryContext(ctx, `SELECT user_id, email FROM notify_setting WHERE email <> '' AND user_id IN (`+store.In(&b, users)+`)`, b...)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: addresses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u int64
		var e string
		if err := rows.Scan(&u, &e); err != nil {
			return nil, nil, err
		}
		emails[u] = e
	}
	return modes, emails, rows.Err()
}

const cols = `id, user_id, kind, msg_key, args, text_zh, text_en, link, created_at, read_at`

func scan(sc interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var args string
	var read sql.NullTime
	if err := sc.Scan(&n.ID, &n.UserID, &n.Kind, &n.Key, &args, &n.Text.Zh, &n.Text.En, &n.Link, &n.CreatedAt, &read); err != nil {
		return n, err
	}
	if args != "" && args != "[]" {
		if err := json.Unmarshal([]byte(args), &n.Args); err != nil {
			return n, fmt.Errorf("notify: message %d: arguments: %w", n.ID, err)
		}
	}
	if read.Valid {
		t := read.Time
		n.ReadAt = &t
	}
	return n, nil
}

// MaxList is the most messages [List] returns.
const MaxList = 200

// List returns a user's messages, unread first, newest first; at most
// limit of them (1 … MaxList; other values mean 50).
func List(ctx context.Context, db *store.DB, user int64, limit int) ([]Notification, error) {
	if limit <= 0 || limit > MaxList {
		limit = 50
	}
	rows, err := db.R.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM notify_message
		WHERE user_id = $1 ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, id DESC LIMIT %d`, cols, limit), user)
	if err != nil {
		return nil, fmt.Errorf("notify: list: %w", err)
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

// Unread counts a user's unread messages.
func Unread(ctx context.Context, db *store.DB, user int64) (int, error) {
	var n int
	err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM notify_message WHERE user_id = $1 AND read_at IS NULL", user).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks message id of user read; another user's message is not
// found ([ErrNotFound]).
func MarkRead(ctx context.Context, db *store.DB, user, id int64) error {
	_, err := Open(ctx, db, user, id)
	return err
}

// Open marks message id of user read and returns it, so that the reader
// can follow its link; another user's message is not found.
func Open(ctx context.Context, db *store.DB, user, id int64) (Notification, error) {
	var n Notification
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE notify_message SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL", store.Now(), id, user); err != nil {
			return fmt.Errorf("notify: mark read: %w", err)
		}
		var err error
		n, err = scan(tx.QueryRowContext(ctx, `SELECT `+cols+` FROM notify_message WHERE id = $1 AND user_id = $2`, id, user))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: message %d", ErrNotFound, id)
		}
		return err
	})
	return n, err
}

// MarkAllRead marks every unread message of user read and returns how
// many there were.
func MarkAllRead(ctx context.Context, db *store.DB, user int64) (int64, error) {
	res, err := db.W.ExecContext(ctx, "UPDATE notify_message SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL", store.Now(), user)
	if err != nil {
		return 0, fmt.Errorf("notify: mark all read: %w", err)
	}
	return res.RowsAffected()
}
