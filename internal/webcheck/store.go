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
// inspection rounds and their crawl jobs (claimed by workers under a
// lease), inspection results (full JSON plus the figures lists are sorted
// by), saved crawl state for resumable inspections, and the problems a
// result raises for its owner to rectify.
var Schema = store.Schema{Component: "webcheck", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE webcheck_site (
	id {{ID}},
	url TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	kind TEXT NOT NULL DEFAULT 'department',
	org_code TEXT NOT NULL DEFAULT '',
	org_path TEXT {{C}} NOT NULL DEFAULT '',
	demo BOOLEAN NOT NULL DEFAULT FALSE,
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);
CREATE INDEX webcheck_site_path ON webcheck_site (org_path);
CREATE TABLE webcheck_probe (
	site_id BIGINT NOT NULL REFERENCES webcheck_site(id) ON DELETE CASCADE,
	at {{TS}} NOT NULL,
	status INTEGER NOT NULL,
	elapsed_ms BIGINT NOT NULL,
	ok BOOLEAN NOT NULL,
	error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webcheck_probe_site_at ON webcheck_probe (site_id, at);
CREATE TABLE webcheck_round (
	id {{ID}},
	name TEXT NOT NULL,
	scheme TEXT NOT NULL,
	deadline_days INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	created_by_id BIGINT NOT NULL DEFAULT 0,
	created_at {{TS}} NOT NULL,
	demo BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE webcheck_job (
	id {{ID}},
	round_id BIGINT NOT NULL REFERENCES webcheck_round(id) ON DELETE CASCADE,
	site_id BIGINT NOT NULL REFERENCES webcheck_site(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	claimed_by TEXT NOT NULL DEFAULT '',
	lease_until {{TS}},
	heartbeat_at {{TS}},
	created_at {{TS}} NOT NULL,
	started_at {{TS}},
	finished_at {{TS}},
	inspection_id BIGINT,
	error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webcheck_job_claim ON webcheck_job (status, id);
CREATE INDEX webcheck_job_round ON webcheck_job (round_id, site_id);
CREATE TABLE webcheck_inspection (
	id {{ID}},
	site_id BIGINT NOT NULL REFERENCES webcheck_site(id) ON DELETE CASCADE,
	round_id BIGINT REFERENCES webcheck_round(id) ON DELETE CASCADE,
	job_id BIGINT,
	purpose TEXT NOT NULL DEFAULT 'round',
	demo BOOLEAN NOT NULL DEFAULT FALSE,
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
CREATE INDEX webcheck_inspection_round ON webcheck_inspection (round_id, score);
CREATE TABLE webcheck_crawl_state (
	key TEXT PRIMARY KEY,
	saved_at {{TS}} NOT NULL,
	state TEXT NOT NULL
);
CREATE TABLE webcheck_problem (
	id {{ID}},
	site_id BIGINT NOT NULL REFERENCES webcheck_site(id) ON DELETE CASCADE,
	inspection_id BIGINT NOT NULL REFERENCES webcheck_inspection(id) ON DELETE CASCADE,
	round_id BIGINT REFERENCES webcheck_round(id) ON DELETE CASCADE,
	scheme TEXT NOT NULL,
	indicator TEXT NOT NULL DEFAULT '',
	rule TEXT NOT NULL,
	metric TEXT NOT NULL,
	title_zh TEXT NOT NULL,
	title_en TEXT NOT NULL,
	points {{REAL}} NOT NULL,
	value {{REAL}} NOT NULL,
	evidence TEXT NOT NULL,
	evidence_total INTEGER NOT NULL,
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	deadline {{TS}} NOT NULL,
	status TEXT NOT NULL,
	fix_note TEXT NOT NULL DEFAULT '',
	fixed_at {{TS}},
	fixed_by TEXT NOT NULL DEFAULT '',
	check_note TEXT NOT NULL DEFAULT '',
	checked_at {{TS}},
	checked_by TEXT NOT NULL DEFAULT '',
	recheck_job BIGINT,
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);
CREATE INDEX webcheck_problem_path ON webcheck_problem (org_path, status);
CREATE INDEX webcheck_problem_site ON webcheck_problem (site_id, status);
`}, {Version: 2, SQL: `
ALTER TABLE webcheck_problem ADD COLUMN check_key TEXT NOT NULL DEFAULT '';
ALTER TABLE webcheck_problem ADD COLUMN check_args TEXT NOT NULL DEFAULT '';
`}}}

// ErrNotFound is returned when a site or inspection does not exist.
var ErrNotFound = fmt.Errorf("webcheck: %w", store.ErrNotFound)

// SaveProbes appends availability probes of a site (bulk: COPY on
// PostgreSQL).
func SaveProbes(ctx context.Context, db *store.DB, siteID int64, rs []probe.Result) error {
	err := db.InTx(ctx, func(tx *store.Tx) error {
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

// SaveInspection stores an inspection result of a site outside any round
// (a one-off inspection) and returns its id.
func SaveInspection(ctx context.Context, db *store.DB, siteID int64, r *Result) (int64, error) {
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = insertInspection(ctx, tx, siteID, 0, 0, "oneoff", false, r)
		return err
	})
	return id, err
}

func insertInspection(ctx context.Context, tx *store.Tx, siteID, roundID, jobID int64, purpose string, demo bool, r *Result) (int64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("webcheck: encode inspection: %w", err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO webcheck_inspection
		(site_id, round_id, job_id, purpose, demo, started_at, finished_at, pages, links, broken_links, pass, deducted, score, result)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		siteID, nullID(roundID), nullID(jobID), purpose, demo, r.Started.UTC().Truncate(time.Microsecond), r.Finished.UTC().Truncate(time.Microsecond), r.Pages, r.LinkOccurrences,
		len(r.BrokenLinks), r.Verdict.Pass, r.Verdict.Deducted, r.Score.Total, string(b)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("webcheck: save inspection: %w", err)
	}
	return id, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
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
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webcheck_crawl_state (key, saved_at, state) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET saved_at = excluded.saved_at, state = excluded.state`, s.Key, store.Now(), string(b))
		return err
	})
	if err != nil {
		return fmt.Errorf("webcheck: save crawl state: %w", err)
	}
	return nil
}
