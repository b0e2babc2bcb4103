package publiceval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/webcheck"
)

// Target kinds: a registered website (its key is "site-<id>", owned by the
// site's unit), a page of one, an information-disclosure item, a service.
const (
	KindSite       = "site"
	KindPage       = "page"
	KindDisclosure = "disclosure"
	KindService    = "service"
)

// KindNames names the target kinds.
var KindNames = map[string]i18n.Text{
	KindSite:       {Zh: "政府网站", En: "Website"},
	KindPage:       {Zh: "网页栏目", En: "Page"},
	KindDisclosure: {Zh: "政府信息公开", En: "Information disclosure"},
	KindService:    {Zh: "政务服务事项", En: "Service"},
}

// Target is what the public rates; its owner unit handles its 差评.
type Target struct {
	ID      int64  `json:"id"`
	Key     string `json:"key"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	URL     string `json:"url"`
	OrgCode string `json:"org_code"`
	OrgPath string `json:"org_path"`
	Demo    bool   `json:"demo"`
}

// ErrNoTarget is the answer for a target key nobody registered.
var ErrNoTarget = i18n.Errorf("评价对象不存在", "there is nothing registered to rate under that name").OnField("target")

const targetCols = "id, tkey, kind, name, url, org_code, org_path, demo"

func scanTarget(s interface{ Scan(...any) error }) (Target, error) {
	var t Target
	err := s.Scan(&t.ID, &t.Key, &t.Kind, &t.Name, &t.URL, &t.OrgCode, &t.OrgPath, &t.Demo)
	return t, err
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// SiteKey is the target key of webcheck site id.
func SiteKey(id int64) string { return "site-" + strconv.FormatInt(id, 10) }

// Resolve returns the target under key. A registered website's target
// ("site-<id>") is created on first use from the site registry.
func Resolve(ctx context.Context, db *store.DB, key string) (Target, error) {
	t, err := scanTarget(db.R.QueryRowContext(ctx, `SELECT `+targetCols+` FROM publiceval_target WHERE tkey = $1`, key))
	if err == nil {
		return t, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("publiceval: target %q: %w", key, err)
	}
	id, ok := strings.CutPrefix(key, "site-")
	n, perr := strconv.ParseInt(id, 10, 64)
	if !ok || perr != nil || n <= 0 {
		return t, ErrNoTarget
	}
	site, err := webcheck.GetSite(ctx, db, n)
	if errors.Is(err, store.ErrNotFound) {
		return t, ErrNoTarget
	}
	if err != nil {
		return t, err
	}
	name := site.Name
	if name == "" {
		name = site.URL
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO publiceval_target (tkey, kind, name, url, site_id, org_code, org_path, demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tkey) DO NOTHING`,
			key, KindSite, name, site.URL, site.ID, site.OrgCode, site.OrgPath, site.Demo, store.Now())
		return err
	})
	if err != nil {
		return t, fmt.Errorf("publiceval: site target %q: %w", key, err)
	}
	changed()
	return Resolve(ctx, db, key)
}

// NewTarget is a page, disclosure item or service an office registers.
type NewTarget struct {
	Kind    string
	Name    string
	URL     string
	OrgCode string
	Demo    bool
}

// AddTarget registers a target for a unit; allowed says whether the
// caller may act for the unit's path. Its key is "<kind>-<id>".
func AddTarget(ctx context.Context, db *store.DB, a audit.Actor, n NewTarget, allowed func(path string) bool) (Target, error) {
	n.Name = strings.TrimSpace(n.Name)
	n.URL = strings.TrimSpace(n.URL)
	if _, ok := KindNames[n.Kind]; !ok || n.Kind == KindSite {
		return Target{}, i18n.Errorf("请选择类别：网页栏目、政府信息公开或政务服务事项", "choose a kind: page, information disclosure or service").OnField("kind")
	}
	if n.Name == "" || len([]rune(n.Name)) > 100 {
		return Target{}, i18n.Errorf("请填写名称（最多 100 字）", "enter a name (at most 100 characters)").OnField("name")
	}
	if n.URL != "" {
		u, err := url.Parse(n.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Target{}, i18n.Errorf("网址应以 http:// 或 https:// 开头", "the address starts with http:// or https://").OnField("url")
		}
	}
	unit, err := orgunit.Get(ctx, db, strings.TrimSpace(n.OrgCode))
	if err != nil {
		return Target{}, i18n.Errorf("没有代码为「%s」的单位", "there is no unit with code %q", n.OrgCode).OnField("org")
	}
	if !allowed(unit.Path) {
		return Target{}, i18n.Errorf("您不能为「%s」登记评价对象", "you may not register targets for %s", unit.Name).OnField("org")
	}
	var t Target
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		tmp := fmt.Sprintf("new-%d", time.Now().UnixNano())
		if err := tx.QueryRowContext(ctx, `INSERT INTO publiceval_target (tkey, kind, name, url, org_code, org_path, demo, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, tmp, n.Kind, n.Name, n.URL, unit.Code, unit.Path, n.Demo, store.Now()).Scan(&id); err != nil {
			return err
		}
		key := n.Kind + "-" + strconv.FormatInt(id, 10)
		if _, err := tx.ExecContext(ctx, `UPDATE publiceval_target SET tkey = $1 WHERE id = $2`, key, id); err != nil {
			return err
		}
		t = Target{ID: id, Key: key, Kind: n.Kind, Name: n.Name, URL: n.URL, OrgCode: unit.Code, OrgPath: unit.Path, Demo: n.Demo}
		return audit.Record(ctx, tx, a, "create", "publiceval_target", key, unit.Path, nil, t)
	})
	if err != nil {
		return Target{}, fmt.Errorf("publiceval: add target: %w", err)
	}
	changed()
	return t, nil
}

// MaxTargets bounds a list of targets.
const MaxTargets = 500

// Targets lists the rateable targets: the registered websites (whether
// or not rated yet) and the other targets, filtered by kind and a name or
// address substring, at most [MaxTargets].
func Targets(ctx context.Context, db *store.DB, kind, q string) ([]Target, error) {
	var out []Target
	seen := map[string]bool{}
	args := store.Args{}
	cond := "TRUE"
	if kind != "" {
		cond += " AND kind = " + args.Add(kind)
	}
	if q != "" {
		p := args.Add("%" + strings.ToLower(q) + "%")
		cond += " AND (LOWER(name) LIKE " + p + " OR LOWER(url) LIKE " + p + ")"
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+targetCols+` FROM publiceval_target WHERE `+cond+` ORDER BY kind, org_path, name LIMIT `+strconv.Itoa(MaxTargets), args...)
	if err != nil {
		return nil, fmt.Errorf("publiceval: targets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, fmt.Errorf("publiceval: targets: %w", err)
		}
		seen[t.Key] = true
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if kind == "" || kind == KindSite {
		sites, err := webcheck.ListSites(ctx, db, webcheck.SiteFilter{Query: q})
		if err != nil {
			return nil, err
		}
		for _, s := range sites {
			if len(out) >= MaxTargets {
				break
			}
			if k := SiteKey(s.ID); !seen[k] {
				name := s.Name
				if name == "" {
					name = s.URL
				}
				out = append(out, Target{Key: k, Kind: KindSite, Name: name, URL: s.URL, OrgCode: s.OrgCode, OrgPath: s.OrgPath, Demo: s.Demo})
			}
		}
	}
	return out, nil
}

// Settings are what the office configures.
type Settings struct {
	// ContactDays is the first-contact time of a 差评 in working days.
	ContactDays int `json:"contact_days"`
	// RectifyDays is the rectification time of 限期整改 and 解释说明
	// in working days (立行立改: one working day).
	RectifyDays int `json:"rectify_days"`
	// Origins are further origins (https://host) allowed to embed the
	// widget, beyond the addresses of the targets themselves.
	Origins []string `json:"origins"`
}

// DefaultSettings apply until the office changes them.
var DefaultSettings = Settings{ContactDays: 1, RectifyDays: 5}

// LoadSettings reads the settings.
func LoadSettings(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}) (Settings, error) {
	s := DefaultSettings
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM publiceval_setting WHERE name = 'settings'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("publiceval: settings: %w", err)
	}
	if err := jsonUnmarshal(v, &s); err != nil {
		return DefaultSettings, fmt.Errorf("publiceval: settings: %w", err)
	}
	return s, nil
}

// SaveSettings checks and stores s.
func SaveSettings(ctx context.Context, db *store.DB, a audit.Actor, s Settings) error {
	if s.ContactDays < 1 || s.ContactDays > 10 {
		return i18n.Errorf("首次联系时限应为 1 至 10 个工作日", "the first-contact time is 1 to 10 working days").OnField("contact_days")
	}
	if s.RectifyDays < 1 || s.RectifyDays > 30 {
		return i18n.Errorf("整改时限应为 1 至 30 个工作日", "the rectification time is 1 to 30 working days").OnField("rectify_days")
	}
	var origins []string
	for _, o := range s.Origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		norm, ok := OriginOf(o)
		if !ok {
			return i18n.Errorf("「%s」不是网站地址（如 https://www.henan.gov.cn）", "%q is not a site address (such as https://www.henan.gov.cn)", clip(o, 60)).OnField("origins")
		}
		origins = append(origins, norm)
	}
	if len(origins) > 200 {
		return i18n.Errorf("最多 200 个嵌入网站", "at most 200 embedding sites").OnField("origins")
	}
	s.Origins = origins
	defer changed()
	return db.InTx(ctx, func(tx *store.Tx) error {
		before, err := LoadSettings(ctx, tx)
		if err != nil {
			return err
		}
		v, err := jsonMarshal(s)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO publiceval_setting (name, value) VALUES ('settings', $1)
			ON CONFLICT (name) DO UPDATE SET value = excluded.value`, v); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "publiceval_setting", "settings", "/"+orgunit.Root+"/", before, s)
	})
}

// OriginOf returns the origin (scheme://host[:port]) of an address.
func OriginOf(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// Allowed reports whether a page at origin may send ratings for t: the
// target's own site or one of the configured origins.
func (s Settings) Allowed(t Target, origin string) bool {
	o, ok := OriginOf(origin)
	if !ok {
		return false
	}
	if to, ok := OriginOf(t.URL); ok && to == o {
		return true
	}
	for _, x := range s.Origins {
		if x == o {
			return true
		}
	}
	return false
}
