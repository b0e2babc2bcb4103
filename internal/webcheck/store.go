package webcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/probe"
)

// Schema owns the webcheck tables: inspected sites, availability probes,
// inspection results (full JSON plus the figures lists are sorted by) and
// saved crawl state for resumable inspections.
var Schema = store.Schema{Component: "webcheck", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE webcheck_site (
	id {{ID}},
	url TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	org_code TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL
);
CREATE TABLE webcheck_probe (
	site_id BIGINT NOT NULL REFERENCES webcheck_site(id) ON DELETE CASCADE,
	at {{TS}} NOT NULL,
	status INTEGER NOT NULL,
	elapsed_ms BIGINT NOT NULL,
	ok BOOLEAN NOT NULL,
	error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webcheck_probe_site_at ON webcheck_probe (site_id, at);
CREATE TABLE webcheck_inspection (
	id {{ID}},
	site_id BIGINT NOT NULL REFERENCES webcheck_site(id) ON DELETE CASCADE,
	started_at {{TS}} NOT NULL,
	finished_at {{TS}} NOT NULL,
	pages INTEGER NOT NULL,
	links BIGINT NOT NULL,
	broken_links INTEGER NOT NULL,
	pass BOOLEAN NOT NULL,
	deducted {{REAL}} NOT NULL,
	score {{REAL}} NOT NULL,
	result TEXT NOT NULL
);
CREATE INDEX webcheck_inspection_site ON webcheck_inspection (site_id, started_at);
CREATE TABLE webcheck_crawl_state (
	key TEXT PRIMARY KEY,
	saved_at {{TS}} NOT NULL,
	state TEXT NOT NULL
);
`}}}

// ErrNotFound is returned when a site or inspection does not exist.
var ErrNotFound = fmt.Errorf("webcheck: not found: %w", sql.ErrNoRows)

// SaveSite records a site to inspect, or updates its name and org unit when
// the URL is already known, and returns its id.
func SaveSite(ctx context.Context, db *store.DB, url, name, orgCode string) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO webcheck_site (url, name, org_code, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (url) DO UPDATE SET name = excluded.name, org_code = excluded.org_code
			RETURNING id`, url, name, orgCode, store.Now()).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("webcheck: save site %s: %w", url, err)
	}
	return id, nil
}

// SaveProbes appends availability probes of a site (bulk: COPY on
// PostgreSQL).
func SaveProbes(ctx context.Context, db *store.DB, siteID int64, rs []probe.Result) error {
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := db.Copy(ctx, tx, "webcheck_probe", []string{"site_id", "at", "status", "elapsed_ms", "ok", "error"},
			func(yield func(row []any) error) error {
				for _, r := range rs {
					if err := yield([]any{siteID, r.Time.UTC().Truncate(time.Microsecond), r.Status, r.ElapsedMS, r.OK, r.Err}); err != nil {
						return err
					}
				}
				return nil
			})
		return err
	})
	if err != nil {
		return fmt.Errorf("webcheck: save probes: %w", err)
	}
	return nil
}

// Probes returns a site's probes taken at or after since, oldest first —
// the history that [Options.ProbeHistory] takes.
func Probes(ctx context.Context, db *store.DB, siteID int64, since time.Time) ([]probe.Result, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT p.at, p.status, p.elapsed_ms, p.ok, p.error, s.url
		FROM webcheck_probe p JOIN webcheck_site s ON s.id = p.site_id
		WHERE p.site_id = $1 AND p.at >= $2 ORDER BY p.at`, siteID, since.UTC())
	if err != nil {
		return nil, fmt.Errorf("webcheck: probes: %w", err)
	}
	defer rows.Close()
	var out []probe.Result
	for rows.Next() {
		var r probe.Result
		if err := rows.Scan(&r.Time, &r.Status, &r.ElapsedMS, &r.OK, &r.Err, &r.URL); err != nil {
			return nil, fmt.Errorf("webcheck: probes: %w", err)
		}
		r.Time = r.Time.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webcheck: probes: %w", err)
	}
	return out, nil
}

// SaveInspection stores an inspection result of a site and returns its id.
func SaveInspection(ctx context.Context, db *store.DB, siteID int64, r *Result) (int64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("webcheck: encode inspection: %w", err)
	}
	var id int64
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO webcheck_inspection
			(site_id, started_at, finished_at, pages, links, broken_links, pass, deducted, score, result)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			siteID, r.Started.UTC().Truncate(time.Microsecond), r.Finished.UTC().Truncate(time.Microsecond), r.Pages, r.LinkOccurrences,
			len(r.BrokenLinks), r.Verdict.Pass, r.Verdict.Deducted, r.Score.Total, string(b)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("webcheck: save inspection: %w", err)
	}
	return id, nil
}

// Inspection loads a stored inspection result. Metric evidence is not kept
// (it is repeated in the verdict and score losses).
func Inspection(ctx context.Context, db *store.DB, id int64) (*Result, error) {
	var s string
	err := db.R.QueryRowContext(ctx, `SELECT result FROM webcheck_inspection WHERE id = $1`, id).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webcheck: inspection %d: %w", id, err)
	}
	var r Result
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, fmt.Errorf("webcheck: decode inspection %d: %w", id, err)
	}
	return &r, nil
}

// DBStateStore is a [crawl.StateStore] in the webcheck_crawl_state table,
// one row per Key (e.g. the site URL or a job id).
type DBStateStore struct {
	DB  *store.DB
	Key string
}

// Load implements [crawl.StateStore].
func (s DBStateStore) Load(ctx context.Context) (*crawl.State, error) {
	var b string
	err := s.DB.R.QueryRowContext(ctx, `SELECT state FROM webcheck_crawl_state WHERE key = $1`, s.Key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, crawl.ErrNoState
	}
	if err != nil {
		return nil, fmt.Errorf("webcheck: load crawl state: %w", err)
	}
	var st crawl.State
	if err := json.Unmarshal([]byte(b), &st); err != nil {
		return nil, fmt.Errorf("webcheck: decode crawl state: %w", err)
	}
	return &st, nil
}

// Save implements [crawl.StateStore].
func (s DBStateStore) Save(ctx context.Context, st *crawl.State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("webcheck: encode crawl state: %w", err)
	}
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webcheck_crawl_state (key, saved_at, state) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET saved_at = excluded.saved_at, state = excluded.state`, s.Key, store.Now(), string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("webcheck: save crawl state: %w", err)
	}
	return nil
}
