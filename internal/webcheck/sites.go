package webcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/extract"
)

// Site kinds: the tiers of the government website system that the
// evaluation ranks separately.
const (
	KindPortal     = "portal"     // 省政府门户网站
	KindDepartment = "department" // 省直部门网站
	KindCity       = "city"       // 市级政府网站
	KindCounty     = "county"     // 县级政府网站
)

// Kinds lists the site kinds in display order.
var Kinds = []string{KindPortal, KindDepartment, KindCity, KindCounty}

// KindNames are the kinds in Chinese and English.
var KindNames = map[string]i18n.Text{
	KindPortal:     {Zh: "省级门户", En: "Provincial portal"},
	KindDepartment: {Zh: "部门网站", En: "Department site"},
	KindCity:       {Zh: "市级网站", En: "City site"},
	KindCounty:     {Zh: "县级网站", En: "County site"},
}

// ParseKind accepts a kind code or its Chinese or English name.
func ParseKind(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, k := range Kinds {
		n := KindNames[k]
		if strings.EqualFold(s, k) || s == n.Zh || strings.EqualFold(s, n.En) {
			return k, true
		}
	}
	switch s {
	case "省政府门户", "门户", "省级": // common short forms
		return KindPortal, true
	case "部门", "省直部门":
		return KindDepartment, true
	case "市", "市级", "地市":
		return KindCity, true
	case "县", "县级", "县区":
		return KindCounty, true
	}
	return "", false
}

// Site is a government website under evaluation, owned by an org unit.
type Site struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	OrgCode   string    `json:"org_code"`
	OrgName   string    `json:"org_name"`
	OrgPath   string    `json:"org_path"`
	Demo      bool      `json:"demo"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// SiteInput is what a user enters for a site.
type SiteInput struct {
	URL     string `json:"url"`
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	OrgCode string `json:"org_code"`
	// AllowPrivate accepts sites at private, loopback and link-local
	// addresses (the operator's --allow-private); never from the user.
	AllowPrivate bool `json:"-"`
}

// NormalizeSiteURL checks that s is an absolute http(s) URL of a site and
// returns its canonical form; a missing scheme means http.
func NormalizeSiteURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" || u.RawQuery != "" {
		return "", false
	}
	n := extract.Normalize(u)
	return n, n != ""
}

// check validates in and resolves its owner unit. Errors name the field.
func (in *SiteInput) check(ctx context.Context, db *store.DB) (orgunit.Unit, []*i18n.Error) {
	var errs []*i18n.Error
	var unit orgunit.Unit
	in.Name = strings.TrimSpace(in.Name)
	in.OrgCode = strings.TrimSpace(in.OrgCode)
	if u, ok := NormalizeSiteURL(in.URL); ok {
		in.URL = u
		if !in.AllowPrivate {
			if e := publicSite(ctx, u); e != nil {
				errs = append(errs, e.OnField("url"))
			}
		}
	} else {
		errs = append(errs, i18n.Errorf("网址无效：%q（应为 http:// 或 https:// 开头的网站地址）", "invalid URL %q (want an http:// or https:// site address)", in.URL).OnField("url"))
	}
	if in.Name == "" {
		errs = append(errs, i18n.Errorf("网站名称不能为空", "site name is required").OnField("name"))
	} else if len([]rune(in.Name)) > 100 {
		errs = append(errs, i18n.Errorf("网站名称过长（最多100字）", "site name too long (100 characters at most)").OnField("name"))
	}
	if k, ok := ParseKind(in.Kind); ok {
		in.Kind = k
	} else {
		errs = append(errs, i18n.Errorf("网站类型无效：%q（应为 portal、department、city 或 county）", "invalid site kind %q (want portal, department, city or county)", in.Kind).OnField("kind"))
	}
	if in.OrgCode == "" {
		errs = append(errs, i18n.Errorf("主管单位代码不能为空", "owner unit code is required").OnField("org_code"))
	} else {
		u, err := orgunit.Get(ctx, db, in.OrgCode)
		switch {
		case errors.Is(err, orgunit.ErrNotFound):
			errs = append(errs, i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", in.OrgCode).OnField("org_code"))
		case err != nil:
			errs = append(errs, i18n.Errorf("无法读取单位 %q", "cannot read org unit %q", in.OrgCode).OnField("org_code"))
		default:
			unit = u
		}
	}
	return unit, errs
}

const siteCols = `s.id, s.url, s.name, s.kind, s.org_code, COALESCE(o.name, ''), s.org_path, s.demo, s.created_at, s.updated_at`
const siteFrom = ` FROM webcheck_site s LEFT JOIN orgunit o ON o.code = s.org_code`

func scanSite(sc interface{ Scan(...any) error }) (Site, error) {
	var s Site
	err := sc.Scan(&s.ID, &s.URL, &s.Name, &s.Kind, &s.OrgCode, &s.OrgName, &s.OrgPath, &s.Demo, &s.CreatedAt, &s.UpdatedAt)
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, err
}

// GetSite loads one site.
func GetSite(ctx context.Context, db *store.DB, id int64) (*Site, error) {
	s, err := scanSite(db.R.QueryRowContext(ctx, `SELECT `+siteCols+siteFrom+` WHERE s.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webcheck: site %d: %w", id, err)
	}
	return &s, nil
}

// SiteFilter selects sites. Scopes are org paths (the caller's subtrees);
// nil means everywhere, empty means nowhere.
type SiteFilter struct {
	Scopes []string
	Kind   string
	Query  string // name or URL substring
	IDs    []int64
	Limit  int // at most this many sites; 0: all
}

// scopeSQL appends "(path in subtree) OR …" for scopes to q; col is the
// path column. It returns the condition and the new args.
func scopeSQL(col string, scopes []string, args []any) (string, []any) {
	if scopes == nil {
		return "TRUE", args
	}
	if len(scopes) == 0 {
		return "FALSE", args
	}
	var parts []string
	for _, p := range scopes {
		lo, hi := orgunit.SubtreeRange(p)
		a := store.Args(args)
		parts = append(parts, "("+col+" >= "+a.Add(lo)+" AND "+col+" < "+a.Add(hi)+")")
		args = a
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// ListSites returns the sites matching f, by kind then path then name.
func ListSites(ctx context.Context, db *store.DB, f SiteFilter) ([]Site, error) {
	cond, scope := scopeSQL("s.org_path", f.Scopes, nil)
	args := store.Args(scope)
	q := `SELECT ` + siteCols + siteFrom + ` WHERE ` + cond
	if f.Kind != "" {
		q += " AND s.kind = " + args.Add(f.Kind)
	}
	if f.Query != "" {
		p := args.Add("%" + strings.ToLower(f.Query) + "%")
		q += " AND (LOWER(s.name) LIKE " + p + " OR LOWER(s.url) LIKE " + p + ")"
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, nil
		}
		q += " AND s.id IN (" + store.In(&args, f.IDs) + ")"
	}
	q += ` ORDER BY CASE s.kind WHEN 'portal' THEN 0 WHEN 'department' THEN 1 WHEN 'city' THEN 2 ELSE 3 END, s.org_path, s.name`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("webcheck: list sites: %w", err)
	}
	defer rows.Close()
	var out []Site
	for rows.Next() {
		s, err := scanSite(rows)
		if err != nil {
			return nil, fmt.Errorf("webcheck: list sites: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CreateSite registers a site. allowed says whether the caller may act for
// the owner unit's path; a refused unit is a user error on org_code.
func CreateSite(ctx context.Context, db *store.DB, actor audit.Actor, in SiteInput, allowed func(path string) bool) (*Site, error) {
	unit, errs := in.check(ctx, db)
	if len(errs) > 0 {
		return nil, i18n.Errors(errs)
	}
	if allowed != nil && !allowed(unit.Path) {
		return nil, i18n.Errors{outsideScope(in.OrgCode).OnField("org_code")}
	}
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webcheck_site WHERE url = $1`, in.URL).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return i18n.Errors{i18n.Errorf("网址 %s 已登记", "URL %s is already registered", in.URL).OnField("url")}
		}
		now := store.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_site (url, name, kind, org_code, org_path, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.URL, in.Name, in.Kind, unit.Code, unit.Path, now).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "create", "webcheck_site", fmt.Sprint(id), unit.Path, nil, in)
	})
	if err != nil {
		var el i18n.Errors
		if errors.As(err, &el) {
			return nil, el
		}
		return nil, fmt.Errorf("webcheck: create site: %w", err)
	}
	return GetSite(ctx, db, id)
}

// UpdateSite changes a site. allowed must accept the new owner unit too.
func UpdateSite(ctx context.Context, db *store.DB, actor audit.Actor, id int64, in SiteInput, allowed func(path string) bool) (*Site, error) {
	old, err := GetSite(ctx, db, id)
	if err != nil {
		return nil, err
	}
	unit, errs := in.check(ctx, db)
	if len(errs) > 0 {
		return nil, i18n.Errors(errs)
	}
	if allowed != nil && !allowed(unit.Path) {
		return nil, i18n.Errors{outsideScope(in.OrgCode).OnField("org_code")}
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webcheck_site WHERE url = $1 AND id <> $2`, in.URL, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return i18n.Errors{i18n.Errorf("网址 %s 已登记", "URL %s is already registered", in.URL).OnField("url")}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webcheck_site SET url = $1, name = $2, kind = $3, org_code = $4, org_path = $5, updated_at = $6 WHERE id = $7`,
			in.URL, in.Name, in.Kind, unit.Code, unit.Path, store.Now(), id); err != nil {
			return err
		}
		if old.OrgPath != unit.Path {
			// Open problems follow the site to its new owner.
			if _, err := tx.ExecContext(ctx, `UPDATE webcheck_problem SET org_code = $1, org_path = $2 WHERE site_id = $3`, unit.Code, unit.Path, id); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "update", "webcheck_site", fmt.Sprint(id), unit.Path,
			SiteInput{URL: old.URL, Name: old.Name, Kind: old.Kind, OrgCode: old.OrgCode}, in)
	})
	if err != nil {
		var el i18n.Errors
		if errors.As(err, &el) {
			return nil, el
		}
		return nil, fmt.Errorf("webcheck: update site %d: %w", id, err)
	}
	return GetSite(ctx, db, id)
}

func outsideScope(code string) *i18n.Error {
	return i18n.Errorf("单位 %s 不在您的管理范围内", "org unit %s is outside your scope", code)
}

// siteLookup bounds the name lookup made when a site is registered.
const siteLookup = 3 * time.Second

// publicSite refuses a site whose host is, or resolves to, a non-public
// address (loopback, private, link-local …): inspections would reach into
// the operator's own network. A name that does not resolve now is
// accepted; the crawler's dial-time guard still applies to it.
func publicSite(ctx context.Context, site string) *i18n.Error {
	u, err := url.Parse(site)
	if err != nil {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	refuse := func(what string) *i18n.Error {
		return i18n.Errorf("网址 %s 指向内部网络地址（%s），不能登记为受检网站", "the URL %s points into a private network (%s) and cannot be registered for inspection", site, what)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !crawl.IsPublic(a) {
			return refuse(a.String())
		}
		return nil
	}
	if a, numeric := crawl.LooseIPv4(host); numeric {
		// A browser reads 2130706433 or 0x7f.1 as an address.
		if !a.IsValid() {
			return i18n.Errorf("网址 %s 的主机部分是数字但不是有效的地址", "the host of the URL %s is numeric but not a valid address", site)
		}
		if !crawl.IsPublic(a) {
			return refuse(host + " → " + a.String())
		}
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return refuse(host)
	}
	lctx, cancel := context.WithTimeout(ctx, siteLookup)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(lctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !crawl.IsPublic(a) {
			return refuse(host + " → " + a.String())
		}
	}
	return nil
}
