// Package auth knows Zhihui's users: argon2id passwords, server-side
// sessions, API tokens, roles held at org units (a role at a unit covers
// its whole subtree) and the checks built on them.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Role is what a user may do at an org unit and below.
type Role string

const (
	Admin      Role = "admin"
	Office     Role = "office"
	Reporter   Role = "reporter"
	Approver   Role = "approver"
	Leader     Role = "leader"
	Expert     Role = "expert"
	Evaluator  Role = "evaluator"
	Enterprise Role = "enterprise"
)

// Roles lists every role in display order.
var Roles = []Role{Admin, Office, Reporter, Approver, Leader, Expert, Evaluator, Enterprise}

// RoleNames are the roles in Chinese and English.
var RoleNames = map[Role]i18n.Text{
	Admin:      {Zh: "系统管理员", En: "Administrator"},
	Office:     {Zh: "信息化办公室", En: "Informatization office"},
	Reporter:   {Zh: "填报员", En: "Reporter"},
	Approver:   {Zh: "审核员", En: "Approver"},
	Leader:     {Zh: "领导", En: "Leader"},
	Expert:     {Zh: "评审专家", En: "Review expert"},
	Evaluator:  {Zh: "第三方评估机构", En: "Third-party evaluator"},
	Enterprise: {Zh: "企业用户", En: "Enterprise"},
}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", i18n.Errorf("未知角色 %q", "unknown role %q", s)
}

// Grant is one role held at one unit.
type Grant struct {
	Role      Role      `json:"role"`
	OrgCode   string    `json:"org_code"`
	OrgName   string    `json:"org_name"`
	OrgPath   string    `json:"org_path"`
	GrantedAt time.Time `json:"granted_at"`
}

// User is an account.
type User struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	DisplayName string    `json:"display_name"`
	Lang        string    `json:"lang"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	Grants      []Grant   `json:"grants"`
}

// Principal is who is making a request: a user with its grants, or the
// anonymous public (nil User).
type Principal struct {
	User *User
}

// Anonymous is the public visitor.
var Anonymous = &Principal{}

// Authenticated reports whether p is a logged-in user.
func (p *Principal) Authenticated() bool { return p != nil && p.User != nil }

// Actor is p as an audit actor.
func (p *Principal) Actor(ip string) audit.Actor {
	if !p.Authenticated() {
		return audit.Actor{Name: "public", IP: ip}
	}
	return audit.Actor{UserID: p.User.ID, Name: p.User.Name, IP: ip}
}

// Has reports whether p holds any of roles anywhere.
func (p *Principal) Has(roles ...Role) bool {
	if !p.Authenticated() {
		return false
	}
	for _, g := range p.User.Grants {
		for _, r := range roles {
			if g.Role == r {
				return true
			}
		}
	}
	return false
}

// Covers reports whether p holds one of roles at the unit whose path is
// path or at one of its ancestors. Admin covers every role.
func (p *Principal) Covers(path string, roles ...Role) bool {
	if !p.Authenticated() || path == "" {
		return false
	}
	for _, g := range p.User.Grants {
		if !orgunit.InSubtree(path, g.OrgPath) {
			continue
		}
		if g.Role == Admin {
			return true
		}
		for _, r := range roles {
			if g.Role == r {
				return true
			}
		}
	}
	return false
}

// Scopes returns the org paths at which p holds one of roles (admin
// counts for all), with nested paths removed. Empty means nowhere.
func (p *Principal) Scopes(roles ...Role) []string {
	if !p.Authenticated() {
		return []string{}
	}
	var paths []string
	for _, g := range p.User.Grants {
		ok := g.Role == Admin
		for _, r := range roles {
			ok = ok || g.Role == r
		}
		if ok {
			paths = append(paths, g.OrgPath)
		}
	}
	out := []string{}
	for _, a := range paths {
		nested := false
		for _, b := range paths {
			if a != b && strings.HasPrefix(a, b) {
				nested = true
			}
		}
		dup := false
		for _, o := range out {
			dup = dup || o == a
		}
		if !nested && !dup {
			out = append(out, a)
		}
	}
	return out
}

// Home is the unit a user works at: the highest unit among its grants.
func (p *Principal) Home() string {
	if !p.Authenticated() || len(p.User.Grants) == 0 {
		return orgunit.Root
	}
	best := p.User.Grants[0]
	for _, g := range p.User.Grants[1:] {
		if len(g.OrgPath) < len(best.OrgPath) {
			best = g
		}
	}
	return best.OrgCode
}

// Schema owns the account tables.
var Schema = store.Schema{Component: "auth", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE auth_user (
	id {{ID}},
	name TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	lang TEXT NOT NULL DEFAULT '',
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{TS}} NOT NULL,
	password_changed_at {{TS}} NOT NULL);
CREATE TABLE auth_grant (
	user_id BIGINT NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
	role TEXT NOT NULL,
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	granted_at {{TS}} NOT NULL,
	PRIMARY KEY (user_id, role, org_code));
CREATE INDEX auth_grant_path ON auth_grant (org_path);
CREATE TABLE auth_session (
	id_hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
	csrf TEXT NOT NULL,
	created_at {{TS}} NOT NULL,
	expires_at {{TS}} NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '');
CREATE INDEX auth_session_user ON auth_session (user_id);
CREATE TABLE auth_token (
	id {{ID}},
	hash TEXT NOT NULL UNIQUE,
	user_id BIGINT NOT NULL REFERENCES auth_user (id) ON DELETE CASCADE,
	name TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	last_used_at {{TS}})`}, {Version: 2, SQL: `
ALTER TABLE auth_token ADD COLUMN expires_at {{TS}};
CREATE INDEX auth_token_user ON auth_token (user_id)`}}}

// Errors callers check for.
var (
	ErrBadLogin  = i18n.Errorf("用户名或密码错误", "wrong user name or password")
	ErrNoSession = errors.New("auth: no such session")
	ErrNotFound  = fmt.Errorf("auth: no such user: %w", store.ErrNotFound)
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,31}$`)

// ValidatePassword enforces the password policy: at least 8 characters,
// not all digits, not the user name, not on the list of common passwords.
func ValidatePassword(name, pw string) error {
	if utf8.RuneCountInString(pw) < 8 {
		return i18n.Errorf("密码至少需要 8 个字符", "the password needs at least 8 characters").OnField("password")
	}
	if strings.Trim(pw, "0123456789") == "" {
		return i18n.Errorf("密码不能全是数字", "the password must not be all digits").OnField("password")
	}
	if strings.EqualFold(pw, name) {
		return i18n.Errorf("密码不能与用户名相同", "the password must differ from the user name").OnField("password")
	}
	if len(pw) > 256 {
		return i18n.Errorf("密码过长", "the password is too long").OnField("password")
	}
	if IsCommonPassword(pw) {
		return i18n.Errorf("这个密码太常见，很容易被猜到，请换一个", "this password is too common and easily guessed: choose another").OnField("password")
	}
	return nil
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Name        string
	DisplayName string
	Password    string
	Lang        string
}

// CreateUser adds an account.
func CreateUser(ctx context.Context, db *store.DB, actor audit.Actor, n NewUser) (*User, error) {
	n.Name = strings.TrimSpace(n.Name)
	if !nameRE.MatchString(n.Name) {
		return nil, i18n.Errorf("用户名须为 2–32 个小写字母、数字或 . _ -，以字母或数字开头",
			"the user name must be 2–32 lower-case letters, digits or . _ -, starting with a letter or digit").OnField("name")
	}
	if err := ValidatePassword(n.Name, n.Password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	if n.DisplayName == "" {
		n.DisplayName = n.Name
	}
	u := &User{Name: n.Name, DisplayName: n.DisplayName, Lang: n.Lang, CreatedAt: store.Now()}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var exists int
		tx.QueryRowContext(ctx, "SELECT count(*) FROM auth_user WHERE name = $1", n.Name).Scan(&exists)
		if exists > 0 {
			return i18n.Errorf("用户名 %s 已存在", "the user name %s is taken", n.Name).OnField("name")
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO auth_user (name, display_name, password_hash, lang, created_at, password_changed_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, u.Name, u.DisplayName, hash, u.Lang, u.CreatedAt).Scan(&u.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "user", fmt.Sprint(u.ID), "", nil, u)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

const userCols = "id, name, display_name, lang, disabled, created_at"

func scanUser(s interface{ Scan(...any) error }) (*User, error) {
	u := &User{}
	err := s.Scan(&u.ID, &u.Name, &u.DisplayName, &u.Lang, &u.Disabled, &u.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return u, err
}

func loadGrants(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, u *User) error {
	rows, err := q.QueryContext(ctx, `SELECT g.role, g.org_code, COALESCE(o.name, g.org_code), g.org_path, g.granted_at
		FROM auth_grant g LEFT JOIN orgunit o ON o.code = g.org_code WHERE g.user_id = $1 ORDER BY g.org_path, g.role`, u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	u.Grants = nil
	for rows.Next() {
		var g Grant
		if err := rows.Scan(&g.Role, &g.OrgCode, &g.OrgName, &g.OrgPath, &g.GrantedAt); err != nil {
			return err
		}
		u.Grants = append(u.Grants, g)
	}
	return rows.Err()
}

// GetUser returns the user with id and its grants.
func GetUser(ctx context.Context, db *store.DB, id int64) (*User, error) {
	u, err := scanUser(db.R.QueryRowContext(ctx, "SELECT "+userCols+" FROM auth_user WHERE id = $1", id))
	if err != nil {
		return nil, err
	}
	return u, loadGrants(ctx, db.R, u)
}

// UserByName returns the user called name and its grants.
func UserByName(ctx context.Context, db *store.DB, name string) (*User, error) {
	u, err := scanUser(db.R.QueryRowContext(ctx, "SELECT "+userCols+" FROM auth_user WHERE name = $1", name))
	if err != nil {
		return nil, err
	}
	return u, loadGrants(ctx, db.R, u)
}

// ListUsers returns users with at least one grant inside one of scopes

// SearchUsers returns at most limit accounts whose login or display name
// holds q and that hold a grant within scopes (nil: everywhere), by name.
// At most a few hundred matching accounts are looked at.
func SearchUsers(ctx context.Context, db *store.DB, q string, scopes []string, limit int) ([]*User, error) {
	q = strings.TrimSpace(q)
	if q == "" || limit <= 0 {
		return nil, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
	rows, err := db.R.QueryContext(ctx, "SELECT "+userCols+` FROM auth_user
		WHERE LOWER(name) LIKE $1 ESCAPE '\' OR LOWER(display_name) LIKE $1 ESCAPE '\' ORDER BY name LIMIT 300`, like)
	if err != nil {
		return nil, err
	}
	var found []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*User
	for _, u := range found {
		if err := loadGrants(ctx, db.R, u); err != nil {
			return nil, err
		}
		if scopes == nil || visible(u, scopes) {
			out = append(out, u)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// (nil: every user), ordered by name.
func ListUsers(ctx context.Context, db *store.DB, scopes []string) ([]*User, error) {
	rows, err := db.R.QueryContext(ctx, "SELECT "+userCols+" FROM auth_user ORDER BY name")
	if err != nil {
		return nil, err
	}
	var all []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, u)
	}
	rows.Close()
	var out []*User
	for _, u := range all {
		if err := loadGrants(ctx, db.R, u); err != nil {
			return nil, err
		}
		if scopes == nil || visible(u, scopes) {
			out = append(out, u)
		}
	}
	return out, nil
}

func visible(u *User, scopes []string) bool {
	for _, g := range u.Grants {
		for _, s := range scopes {
			if orgunit.InSubtree(g.OrgPath, s) {
				return true
			}
		}
	}
	return false
}

// CanManage reports whether p may administer user u: p must be an admin
// covering every unit where u holds a role (or u holds none and p is a
// province-level admin).
func (p *Principal) CanManage(u *User) bool {
	if !p.Has(Admin) {
		return false
	}
	if len(u.Grants) == 0 {
		return p.Covers("/"+orgunit.Root+"/", Admin)
	}
	for _, g := range u.Grants {
		if !p.Covers(g.OrgPath, Admin) {
			return false
		}
	}
	return true
}

// AddGrant gives user id role at org.
func AddGrant(ctx context.Context, db *store.DB, actor audit.Actor, id int64, role Role, orgCode string) error {
	if _, err := ParseRole(string(role)); err != nil {
		return err
	}
	unit, err := orgunit.Get(ctx, db, orgCode)
	if err != nil {
		return i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", orgCode).OnField("org")
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		g := Grant{Role: role, OrgCode: unit.Code, OrgName: unit.Name, OrgPath: unit.Path, GrantedAt: store.Now()}
		res, err := tx.ExecContext(ctx, `INSERT INTO auth_grant (user_id, role, org_code, org_path, granted_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (user_id, role, org_code) DO NOTHING`, id, string(role), unit.Code, unit.Path, g.GrantedAt)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, actor, "grant", "user", fmt.Sprint(id), unit.Path, nil, g)
	})
}

// RemoveGrant takes role at org away from user id.
func RemoveGrant(ctx context.Context, db *store.DB, actor audit.Actor, id int64, role Role, orgCode string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var path string
		err := tx.QueryRowContext(ctx, "SELECT org_path FROM auth_grant WHERE user_id = $1 AND role = $2 AND org_code = $3", id, string(role), orgCode).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_grant WHERE user_id = $1 AND role = $2 AND org_code = $3", id, string(role), orgCode); err != nil {
			return err
		}
		var left int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_grant WHERE user_id = $1", id).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			if err := revokeAll(ctx, tx, actor, id, "last role removed"); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "revoke", "user", fmt.Sprint(id), path, Grant{Role: role, OrgCode: orgCode, OrgPath: path}, nil)
	})
}

// SetDisabled enables or disables an account; disabling ends its sessions.
func SetDisabled(ctx context.Context, db *store.DB, actor audit.Actor, id int64, disabled bool) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE auth_user SET disabled = $1 WHERE id = $2", disabled, id); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, "DELETE FROM auth_session WHERE user_id = $1", id); err != nil {
				return err
			}
			if err := revokeAll(ctx, tx, actor, id, "disabled"); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "update", "user", fmt.Sprint(id), "", map[string]bool{"disabled": !disabled}, map[string]bool{"disabled": disabled})
	})
}

// SetLang stores a user's language.
func SetLang(ctx context.Context, db *store.DB, actor audit.Actor, id int64, lang string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var old string
		tx.QueryRowContext(ctx, "SELECT lang FROM auth_user WHERE id = $1", id).Scan(&old)
		if _, err := tx.ExecContext(ctx, "UPDATE auth_user SET lang = $1 WHERE id = $2", lang, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "update", "user", fmt.Sprint(id), "", map[string]string{"lang": old}, map[string]string{"lang": lang})
	})
}

// SetPassword replaces a password. When old is not nil it must match the
// current one (users changing their own). All other sessions end.
func SetPassword(ctx context.Context, db *store.DB, actor audit.Actor, id int64, old *string, pw string, keepSession string) error {
	var name, hash string
	if err := db.R.QueryRowContext(ctx, "SELECT name, password_hash FROM auth_user WHERE id = $1", id).Scan(&name, &hash); err != nil {
		return ErrNotFound
	}
	if old != nil && !CheckPassword(hash, *old) {
		return i18n.Errorf("当前密码不正确", "the current password is wrong").OnField("old")
	}
	if err := ValidatePassword(name, pw); err != nil {
		return err
	}
	nh, err := HashPassword(pw)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE auth_user SET password_hash = $1, password_changed_at = $2 WHERE id = $3", nh, store.Now(), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_session WHERE user_id = $1 AND id_hash <> $2", id, hashToken(keepSession)); err != nil {
			return err
		}
		if err := revokeAll(ctx, tx, actor, id, "password changed"); err != nil {
			return err
		}
		// The audit entry records that the password changed, never the hash.
		return audit.Record(ctx, tx, actor, "password", "user", fmt.Sprint(id), "", nil, map[string]string{"password": "changed"})
	})
}

// Authenticate checks a name and password. It takes the same time whether
// or not the user exists.
func Authenticate(ctx context.Context, db *store.DB, name, pw string) (*User, error) {
	var id int64
	var hash string
	var disabled bool
	err := db.R.QueryRowContext(ctx, "SELECT id, password_hash, disabled FROM auth_user WHERE name = $1", name).Scan(&id, &hash, &disabled)
	if err != nil {
		hash = dummyHash()
		id = 0
	}
	ok, herr := checkPassword(ctx, hash, pw)
	if herr != nil {
		return nil, herr
	}
	if !ok || disabled || id == 0 {
		return nil, ErrBadLogin
	}
	return GetUser(ctx, db, id)
}

// dummyHash is hashed against when the user does not exist, so that a
// login takes as long either way.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a password anyone has")
	return h
})

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// SessionTTL is how long a session lives without use.
const SessionTTL = 12 * time.Hour

// Session is a logged-in browser.
type Session struct {
	Token string // only known right after creation
	CSRF  string
	User  *User
}

// NewSession starts a session for user id and audits the login.
func NewSession(ctx context.Context, db *store.DB, u *User, ip, ua string) (*Session, error) {
	s := &Session{Token: randomToken(32), CSRF: randomToken(24), User: u}
	now := store.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_session WHERE expires_at < $1", now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO auth_session (id_hash, user_id, csrf, created_at, expires_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, hashToken(s.Token), u.ID, s.CSRF, now, now.Add(SessionTTL), ip, truncate(ua, 200)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{UserID: u.ID, Name: u.Name, IP: ip}, "login", "user", fmt.Sprint(u.ID), "", nil, nil)
	})
	return s, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// LookupSession returns the session for a cookie token, extending its life.
func LookupSession(ctx context.Context, db *store.DB, token string) (*Session, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	var uid int64
	var csrf string
	var exp time.Time
	h := hashToken(token)
	err := db.R.QueryRowContext(ctx, "SELECT user_id, csrf, expires_at FROM auth_session WHERE id_hash = $1", h).Scan(&uid, &csrf, &exp)
	if err != nil || exp.Before(time.Now()) {
		return nil, ErrNoSession
	}
	u, err := GetUser(ctx, db, uid)
	if err != nil || u.Disabled {
		return nil, ErrNoSession
	}
	// Slide the expiry at most once a minute to keep writes rare.
	if time.Until(exp) < SessionTTL-time.Minute {
		db.W.ExecContext(ctx, "UPDATE auth_session SET expires_at = $1 WHERE id_hash = $2", store.Now().Add(SessionTTL), h)
	}
	return &Session{CSRF: csrf, User: u}, nil
}

// EndSession logs a session out.
func EndSession(ctx context.Context, db *store.DB, token string) error {
	_, err := db.W.ExecContext(ctx, "DELETE FROM auth_session WHERE id_hash = $1", hashToken(token))
	return err
}

// DefaultTokenTTL is how long an API token lives unless its creator says
// otherwise.
const DefaultTokenTTL = 90 * 24 * time.Hour

// MaxTokensPerUser bounds how many live tokens one account may hold.
const MaxTokensPerUser = 50

// Token is an API token as listed to its owner: never the secret itself.
type Token struct {
	ID        int64
	UserID    int64
	Name      string
	CreatedAt time.Time
	LastUsed  *time.Time
	ExpiresAt *time.Time // nil: never
}

// Expired reports whether the token can no longer be used.
func (t Token) Expired(now time.Time) bool { return t.ExpiresAt != nil && !t.ExpiresAt.After(now) }

// NewToken creates an API token for user id that expires after
// DefaultTokenTTL and returns it; only its hash is stored.
func NewToken(ctx context.Context, db *store.DB, actor audit.Actor, id int64, name string) (string, error) {
	return CreateToken(ctx, db, actor, id, name, store.Now().Add(DefaultTokenTTL))
}

// CreateToken creates an API token for user id that expires at expires (the
// zero time: never) and returns it; only its hash is stored.
func CreateToken(ctx context.Context, db *store.DB, actor audit.Actor, id int64, name string, expires time.Time) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "api"
	}
	if utf8.RuneCountInString(name) > 64 {
		return "", i18n.Errorf("令牌名称最多 64 个字符", "a token name has at most 64 characters").OnField("name")
	}
	now := store.Now()
	var exp any
	if !expires.IsZero() {
		if !expires.After(now) {
			return "", i18n.Errorf("到期时间必须晚于现在", "the expiry must be in the future").OnField("expires")
		}
		exp = expires.UTC()
	}
	t := "zh_" + randomToken(32)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_token WHERE user_id = $1 AND (expires_at IS NULL OR expires_at > $2)", id, now).Scan(&n); err != nil {
			return err
		}
		if n >= MaxTokensPerUser {
			return i18n.Errorf("每个账号最多 %d 个有效令牌，请先撤销不用的令牌", "an account holds at most %d live tokens: revoke unused ones first", MaxTokensPerUser)
		}
		var tid int64
		if err := tx.QueryRowContext(ctx, "INSERT INTO auth_token (hash, user_id, name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			hashToken(t), id, name, now, exp).Scan(&tid); err != nil {
			return err
		}
		after := map[string]any{"token_id": tid, "token_name": name}
		if exp != nil {
			after["expires_at"] = expires.UTC().Format(time.RFC3339)
		} else {
			after["expires_at"] = "never"
		}
		return audit.Record(ctx, tx, actor, "token", "user", fmt.Sprint(id), "", nil, after)
	})
	if err != nil {
		return "", err
	}
	return t, nil
}

// Tokens lists user id's tokens, newest first, expired ones included.
func Tokens(ctx context.Context, db *store.DB, id int64) ([]Token, error) {
	rows, err := db.R.QueryContext(ctx, "SELECT id, user_id, name, created_at, last_used_at, expires_at FROM auth_token WHERE user_id = $1 ORDER BY id DESC", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var last, exp sql.NullTime
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &last, &exp); err != nil {
			return nil, err
		}
		if last.Valid {
			v := last.Time
			t.LastUsed = &v
		}
		if exp.Valid {
			v := exp.Time
			t.ExpiresAt = &v
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ErrNoToken is returned when revoking a token the user does not have.
var ErrNoToken = fmt.Errorf("auth: no such token: %w", store.ErrNotFound)

// RevokeToken deletes token tokenID of user id.
func RevokeToken(ctx context.Context, db *store.DB, actor audit.Actor, id, tokenID int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, "SELECT name FROM auth_token WHERE id = $1 AND user_id = $2", tokenID, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoToken
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_token WHERE id = $1", tokenID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "token_revoke", "user", fmt.Sprint(id), "", map[string]any{"token_id": tokenID, "token_name": name}, nil)
	})
}

// revokeAll deletes every token of user id inside tx; why goes to the audit.
func revokeAll(ctx context.Context, tx *store.Tx, actor audit.Actor, id int64, why string) error {
	res, err := tx.ExecContext(ctx, "DELETE FROM auth_token WHERE user_id = $1", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return audit.Record(ctx, tx, actor, "token_revoke", "user", fmt.Sprint(id), "", map[string]any{"tokens": n}, map[string]string{"reason": why})
	}
	return nil
}

// tokenTouchEvery is how often a token's last use is written at most.
const tokenTouchEvery = time.Hour

// LookupToken returns the user an API token belongs to. Expired tokens and
// tokens of disabled users are refused.
func LookupToken(ctx context.Context, db *store.DB, token string) (*User, error) {
	var uid int64
	var last, exp sql.NullTime
	h := hashToken(token)
	if err := db.R.QueryRowContext(ctx, "SELECT user_id, last_used_at, expires_at FROM auth_token WHERE hash = $1", h).Scan(&uid, &last, &exp); err != nil {
		return nil, ErrNoSession
	}
	now := time.Now()
	if exp.Valid && !exp.Time.After(now) {
		return nil, ErrNoSession
	}
	u, err := GetUser(ctx, db, uid)
	if err != nil || u.Disabled {
		return nil, ErrNoSession
	}
	if !last.Valid || now.Sub(last.Time) > tokenTouchEvery {
		db.W.ExecContext(ctx, "UPDATE auth_token SET last_used_at = $1 WHERE hash = $2", store.Now(), h)
	}
	return u, nil
}

// RecordFailedLogin writes a failed login to the audit log: the name tried
// (which may not exist) and the address.
func RecordFailedLogin(ctx context.Context, db *store.DB, name, ip string) error {
	return audit.Record(ctx, db.W, audit.Actor{Name: truncate(name, 64), IP: ip}, "login_failed", "user", "", "", nil, map[string]string{"name": truncate(name, 64)})
}
