// Package orgunit keeps the organisation hierarchy Zhihui works over: the
// Henan statistical divisions (province → city → county → township →
// village), the provincial departments, and groups such as the 省直管县
// pilot counties. Codes are NBS division codes; each unit stores its
// materialised path so that a subtree is a prefix range.
package orgunit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Kinds of unit.
const (
	Province   = "province"
	City       = "city"
	County     = "county"
	Township   = "township"
	Village    = "village"
	Department = "department"
)

// LevelOf maps a division kind to its level (1–5). Departments sit at
// level 2, beside the cities, under the province.
var LevelOf = map[string]int{Province: 1, City: 2, County: 3, Township: 4, Village: 5, Department: 2}

// KindNames are the kinds in Chinese and English.
var KindNames = map[string]i18n.Text{
	Province:   {Zh: "省", En: "Province"},
	City:       {Zh: "市", En: "City"},
	County:     {Zh: "县（市、区）", En: "County"},
	Township:   {Zh: "乡镇（街道）", En: "Township"},
	Village:    {Zh: "村（社区）", En: "Village"},
	Department: {Zh: "省直部门", En: "Department"},
}

// Root is the province's code.
const Root = "41"

// Unit is one org unit.
type Unit struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en,omitempty"`
	Kind       string `json:"kind"`
	Level      int    `json:"level"`
	Parent     string `json:"parent,omitempty"`
	Path       string `json:"path"`
	ChildCount int    `json:"child_count"`
}

// DisplayName is the unit's name in lang.
func (u Unit) DisplayName(lang string) string {
	if strings.HasPrefix(lang, "en") && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

// Ancestors returns the codes above u, root first.
func (u Unit) Ancestors() []string { return PathCodes(u.Path[:len(u.Path)-len(u.Code)-1]) }

// PathCodes splits a path "/41/4101/" into its codes.
func PathCodes(path string) []string {
	var out []string
	for _, c := range strings.Split(path, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// InSubtree reports whether path lies at or under the unit whose path is root.
func InSubtree(path, root string) bool { return root != "" && strings.HasPrefix(path, root) }

// SubtreeRange returns [lo, hi) such that lo <= p < hi exactly when p has
// the prefix path. Paths are ASCII and end in '/', so hi replaces the
// final '/' by the next byte, '0'.
func SubtreeRange(path string) (lo, hi string) {
	return path, path[:len(path)-1] + "0"
}

// Group is a named set of units.
type Group struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	NameEn  string   `json:"name_en"`
	Members []string `json:"members"`
}

// Schema owns the org unit tables.
var Schema = store.Schema{Component: "orgunit", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE orgunit (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL,
	level INTEGER NOT NULL,
	parent_code TEXT,
	path TEXT {{C}} NOT NULL UNIQUE,
	child_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX orgunit_parent ON orgunit (parent_code, code);
CREATE INDEX orgunit_level ON orgunit (level, path);
CREATE INDEX orgunit_name ON orgunit (name);
CREATE TABLE orgunit_group (
	code TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '');
CREATE TABLE orgunit_group_member (
	group_code TEXT NOT NULL REFERENCES orgunit_group (code) ON DELETE CASCADE,
	unit_code TEXT NOT NULL REFERENCES orgunit (code),
	PRIMARY KEY (group_code, unit_code));
CREATE INDEX orgunit_group_member_unit ON orgunit_group_member (unit_code)`}}}

// ErrNotFound is returned for unknown codes.
var ErrNotFound = fmt.Errorf("orgunit: %w", store.ErrNotFound)

const cols = "code, name, name_en, kind, level, COALESCE(parent_code, ''), path, child_count"

func scan(s interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	err := s.Scan(&u.Code, &u.Name, &u.NameEn, &u.Kind, &u.Level, &u.Parent, &u.Path, &u.ChildCount)
	return u, err
}

func scanAll(rows *sql.Rows, err error) ([]Unit, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		u, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Get returns the unit with code.
func Get(ctx context.Context, db *store.DB, code string) (Unit, error) {
	u, err := scan(db.R.QueryRowContext(ctx, "SELECT "+cols+" FROM orgunit WHERE code = $1", code))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: %s", ErrNotFound, code)
	}
	return u, err
}

// GetMany returns the units with the given codes, in no particular order;
// unknown codes are left out.
func GetMany(ctx context.Context, db *store.DB, codes []string) ([]Unit, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	var out []Unit
	for start := 0; start < len(codes); start += 500 {
		chunk := codes[start:min(len(codes), start+500)]
		var args store.Args
		us, err := scanAll(db.R.QueryContext(ctx, "SELECT "+cols+" FROM orgunit WHERE code IN ("+store.In(&args, chunk)+")", args...))
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
	}
	return out, nil
}

// Children returns the direct children of code, ordered by code.
func Children(ctx context.Context, db *store.DB, code string) ([]Unit, error) {
	return scanAll(db.R.QueryContext(ctx, "SELECT "+cols+" FROM orgunit WHERE parent_code = $1 ORDER BY code", code))
}

// Descendants returns the units under the unit at path (not the unit
// itself) at the given level (0 = any level), ordered by path, at most limit
// (0 = no limit).
func Descendants(ctx context.Context, db *store.DB, path string, level, limit int) ([]Unit, error) {
	lo, hi := SubtreeRange(path)
	q := "SELECT " + cols + " FROM orgunit WHERE path > $1 AND path < $2"
	args := []any{lo, hi}
	if level > 0 {
		q = "SELECT " + cols + " FROM orgunit WHERE level = $3 AND path > $1 AND path < $2"
		args = append(args, level)
	}
	q += " ORDER BY path"
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	return scanAll(db.R.QueryContext(ctx, q, args...))
}

// CountDescendants counts the units under path at level (0 = any).
func CountDescendants(ctx context.Context, db *store.DB, path string, level int) (int, error) {
	lo, hi := SubtreeRange(path)
	var n int
	var err error
	if level > 0 {
		err = db.R.QueryRowContext(ctx, "SELECT count(*) FROM orgunit WHERE level = $3 AND path > $1 AND path < $2", lo, hi, level).Scan(&n)
	} else {
		err = db.R.QueryRowContext(ctx, "SELECT count(*) FROM orgunit WHERE path > $1 AND path < $2", lo, hi).Scan(&n)
	}
	return n, err
}

// CountKind counts the units of a kind (City, Department, …) in the
// subtree at path, the unit itself excluded. Departments sit at the
// cities' level; counting by kind keeps them apart.
func CountKind(ctx context.Context, db *store.DB, path, kind string) (int, error) {
	lo, hi := SubtreeRange(path)
	var n int
	err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM orgunit WHERE kind = $3 AND path > $1 AND path < $2", lo, hi, kind).Scan(&n)
	return n, err
}

// Search finds units whose code starts with q or whose name contains q,
// optionally within the subtree at path, best matches first: exact code,
// then code prefix, then higher levels.
func Search(ctx context.Context, db *store.DB, q, within string, limit int) ([]Unit, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if within == "" {
		within = "/"
	}
	lo, hi := SubtreeRange(within)
	if within == "/" {
		lo, hi = "/", "0"
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(q) + "%"
	codeLo, codeHi := q, q+"\x7f"
	rows, err := db.R.QueryContext(ctx, "SELECT "+cols+` FROM orgunit
		WHERE path >= $1 AND path < $2 AND ((code >= $3 AND code < $4) OR name LIKE $5 ESCAPE '\')
		ORDER BY CASE WHEN code = $6 THEN 0 WHEN code >= $3 AND code < $4 THEN 1 WHEN name = $6 THEN 1 ELSE 2 END, level, code
		LIMIT `+fmt.Sprint(limit), lo, hi, codeLo, codeHi, like, q)
	return scanAll(rows, err)
}

// Groups returns every group with its members.
func Groups(ctx context.Context, db *store.DB) ([]Group, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT g.code, g.name, g.name_en, COALESCE(m.unit_code, '')
		FROM orgunit_group g LEFT JOIN orgunit_group_member m ON m.group_code = g.code ORDER BY g.code, m.unit_code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		var m string
		if err := rows.Scan(&g.Code, &g.Name, &g.NameEn, &m); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Code != g.Code {
			out = append(out, g)
		}
		if m != "" {
			out[len(out)-1].Members = append(out[len(out)-1].Members, m)
		}
	}
	return out, rows.Err()
}

// GroupsOf returns the groups code belongs to.
func GroupsOf(ctx context.Context, db *store.DB, code string) ([]Group, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT g.code, g.name, g.name_en FROM orgunit_group g
		JOIN orgunit_group_member m ON m.group_code = g.code WHERE m.unit_code = $1 ORDER BY g.code`, code)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Group
	for rows.Next() {
		var g Group
		if err := rows.Scan(&g.Code, &g.Name, &g.NameEn); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}
