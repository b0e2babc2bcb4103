package calendar

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"zhihui/internal/audit"
	"zhihui/internal/store"
)

// Schema owns the office's years: calendar_years names a year and its
// source, calendar_days lists its days. A stored year replaces the
// embedded year of the same number.
var Schema = store.Schema{Component: "calendar", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE calendar_years (
	year INTEGER PRIMARY KEY,
	source TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at {{TS}} NOT NULL);
CREATE TABLE calendar_days (
	day TEXT PRIMARY KEY,
	year INTEGER NOT NULL REFERENCES calendar_years(year) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('off', 'work')),
	name TEXT NOT NULL);
CREATE INDEX calendar_days_year ON calendar_days (year)`}}}

// Querier runs read queries: a *sql.DB, *sql.Tx or *store.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Load returns the embedded calendar with the office's stored years
// added (a stored year replaces the embedded one).
func Load(ctx context.Context, db *store.DB) (*Calendar, error) {
	years, err := StoredYears(ctx, db)
	if err != nil {
		return nil, err
	}
	return Embedded().With(years...), nil
}

// StoredYears lists the years the office stored, in order.
func StoredYears(ctx context.Context, db *store.DB) ([]Year, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT y.year, y.source, d.day, d.kind, d.name
		FROM calendar_years y LEFT JOIN calendar_days d ON d.year = y.year ORDER BY y.year, d.day`)
	if err != nil {
		return nil, fmt.Errorf("calendar: load years: %w", err)
	}
	defer rows.Close()
	var out []Year
	for rows.Next() {
		var (
			y               int
			src             string
			day, kind, name sql.NullString
		)
		if err := rows.Scan(&y, &src, &day, &kind, &name); err != nil {
			return nil, fmt.Errorf("calendar: load years: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Year != y {
			out = append(out, Year{Year: y, Source: src, Stored: true})
		}
		if day.Valid {
			last := &out[len(out)-1]
			last.Days = append(last.Days, Day{Date: day.String, Kind: Kind(kind.String), Name: name.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("calendar: load years: %w", err)
	}
	return out, nil
}

// SaveYear stores y, replacing what was stored for its year, and audits
// the change (before: what the calendar said of the year until now).
func SaveYear(ctx context.Context, db *store.DB, actor audit.Actor, y Year) error {
	cur, err := Load(ctx, db)
	if err != nil {
		return err
	}
	before, had := cur.Year(y.Year)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_days WHERE year = $1`, y.Year); err != nil {
			return fmt.Errorf("calendar: save %d: %w", y.Year, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_years WHERE year = $1`, y.Year); err != nil {
			return fmt.Errorf("calendar: save %d: %w", y.Year, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_years (year, source, updated_by, updated_at) VALUES ($1, $2, $3, $4)`,
			y.Year, y.Source, actor.Name, store.Now()); err != nil {
			return fmt.Errorf("calendar: save %d: %w", y.Year, err)
		}
		for _, d := range y.Days {
			if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_days (day, year, kind, name) VALUES ($1, $2, $3, $4)`,
				d.Date, y.Year, string(d.Kind), d.Name); err != nil {
				return fmt.Errorf("calendar: save %s: %w", d.Date, err)
			}
		}
		var prev any
		action := "create"
		if had {
			prev, action = before, "update"
		}
		y.Stored = true
		return audit.Record(ctx, tx, actor, action, "calendar_year", strconv.Itoa(y.Year), "", prev, y)
	})
	if err != nil {
		return err
	}
	SetDefault(cur.With(y))
	return nil
}
