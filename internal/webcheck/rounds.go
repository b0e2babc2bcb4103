package webcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Round is one inspection round (评估批次): a set of sites inspected under
// one scoring scheme, with a rectification deadline for the problems found.
type Round struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Scheme       string    `json:"-"` // YAML
	DeadlineDays int       `json:"deadline_days"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
	Demo         bool      `json:"demo"`
	Jobs         JobCounts `json:"jobs"`
}

// JobCounts counts a round's crawl jobs by status.
type JobCounts struct {
	Queued  int `json:"queued"`
	Running int `json:"running"`
	Done    int `json:"done"`
	Failed  int `json:"failed"`
}

// Total is the number of jobs.
func (c JobCounts) Total() int { return c.Queued + c.Running + c.Done + c.Failed }

// Finished reports whether no job is waiting or running.
func (c JobCounts) Finished() bool { return c.Queued+c.Running == 0 }

// ParsedScheme returns the round's scoring scheme.
func (r *Round) ParsedScheme() (*Scheme, error) {
	if strings.TrimSpace(r.Scheme) == "" {
		return DefaultScheme(), nil
	}
	return ParseScheme([]byte(r.Scheme))
}

// RoundInput is what a user enters to start a round.
type RoundInput struct {
	Name         string  `json:"name"`
	Scheme       string  `json:"scheme,omitempty"` // YAML; empty = the built-in scheme
	SiteIDs      []int64 `json:"site_ids"`         // empty = every site the caller may inspect
	DeadlineDays int     `json:"deadline_days"`    // rectification deadline; default 30
}

// Job purposes.
const (
	PurposeRound   = "round"   // part of a round's ranking
	PurposeRecheck = "recheck" // re-inspection to confirm rectification
)

// Job statuses.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// CreateRound starts a round: one queued crawl job per site, enqueued
// with e (the job engine, *jobs.Engine) in the same transaction; with e
// nil only the rows are written and the hourly sweep enqueues them.
// scopes are the caller's org paths where it may inspect (nil =
// everywhere); every site must lie within them.
func CreateRound(ctx context.Context, db *store.DB, e Enqueuer, actor audit.Actor, in RoundInput, scopes []string) (*Round, error) {
	var errs i18n.Errors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		errs = append(errs, i18n.Errorf("批次名称不能为空", "round name is required").OnField("name"))
	}
	if in.DeadlineDays == 0 {
		in.DeadlineDays = 30
	}
	if in.DeadlineDays < 1 || in.DeadlineDays > 365 {
		errs = append(errs, i18n.Errorf("整改期限应在1至365天之间", "the rectification deadline must be 1 to 365 days").OnField("deadline_days"))
	}
	if strings.TrimSpace(in.Scheme) != "" {
		if _, err := ParseScheme([]byte(in.Scheme)); err != nil {
			var we *i18n.Error
			if errors.As(err, &we) {
				errs = append(errs, we.OnField("scheme"))
			} else {
				errs = append(errs, i18n.Errorf("评分方案无效", "invalid scoring scheme").OnField("scheme"))
			}
		}
	} else {
		in.Scheme = string(defaultScheme)
	}
	f := SiteFilter{Scopes: scopes}
	if len(in.SiteIDs) > 0 {
		f.IDs = in.SiteIDs
	}
	sites, err := ListSites(ctx, db, f)
	if err != nil {
		return nil, err
	}
	if len(in.SiteIDs) > 0 && len(sites) != len(uniqueIDs(in.SiteIDs)) {
		errs = append(errs, i18n.Errorf("所选网站不存在或不在您的管理范围内", "a chosen site does not exist or is outside your scope").OnField("site_ids"))
	}
	if len(sites) == 0 && len(errs) == 0 {
		errs = append(errs, i18n.Errorf("没有可检查的网站", "there are no sites to inspect").OnField("site_ids"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var id int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_round (name, scheme, deadline_days, created_by, created_by_id, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, in.Name, in.Scheme, in.DeadlineDays, actor.Name, actor.UserID, now).Scan(&id); err != nil {
			return err
		}
		_, err := db.Copy(ctx, tx, "webcheck_job", []string{"round_id", "site_id", "purpose", "status", "created_at"}, func(yield func([]any) error) error {
			for _, s := range sites {
				if err := yield([]any{id, s.ID, PurposeRound, JobQueued, now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := enqueueRound(ctx, e, tx, id); err != nil {
			return err
		}
		ids := make([]int64, len(sites))
		for i, s := range sites {
			ids[i] = s.ID
		}
		return audit.Record(ctx, tx, actor, "create", "webcheck_round", fmt.Sprint(id), "/41/", nil,
			map[string]any{"name": in.Name, "deadline_days": in.DeadlineDays, "site_ids": ids})
	})
	if err != nil {
		return nil, fmt.Errorf("webcheck: create round: %w", err)
	}
	return GetRound(ctx, db, id)
}

func uniqueIDs(ids []int64) []int64 {
	c := slices.Clone(ids)
	slices.Sort(c)
	return slices.Compact(c)
}

const roundCols = `id, name, scheme, deadline_days, created_by, created_at, demo`

func scanRound(sc interface{ Scan(...any) error }) (Round, error) {
	var r Round
	err := sc.Scan(&r.ID, &r.Name, &r.Scheme, &r.DeadlineDays, &r.CreatedBy, &r.CreatedAt, &r.Demo)
	r.CreatedAt = r.CreatedAt.UTC()
	return r, err
}

// GetRound loads a round with its job counts.
func GetRound(ctx context.Context, db *store.DB, id int64) (*Round, error) {
	r, err := scanRound(db.R.QueryRowContext(ctx, `SELECT `+roundCols+` FROM webcheck_round WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webcheck: round %d: %w", id, err)
	}
	counts, err := jobCounts(ctx, db)
	if err != nil {
		return nil, err
	}
	r.Jobs = counts[r.ID]
	return &r, nil
}

func jobCounts(ctx context.Context, db *store.DB) (map[int64]JobCounts, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT round_id, status, COUNT(*) FROM webcheck_job WHERE purpose = $1 GROUP BY round_id, status`, PurposeRound)
	if err != nil {
		return nil, fmt.Errorf("webcheck: job counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]JobCounts{}
	for rows.Next() {
		var id int64
		var st string
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			return nil, err
		}
		c := out[id]
		switch st {
		case JobQueued:
			c.Queued = n
		case JobRunning:
			c.Running = n
		case JobDone:
			c.Done = n
		case JobFailed:
			c.Failed = n
		}
		out[id] = c
	}
	return out, rows.Err()
}

// ListRounds returns every round, newest first.
func ListRounds(ctx context.Context, db *store.DB) ([]Round, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+roundCols+` FROM webcheck_round ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("webcheck: rounds: %w", err)
	}
	defer rows.Close()
	var out []Round
	for rows.Next() {
		r, err := scanRound(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	counts, err := jobCounts(ctx, db)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Jobs = counts[out[i].ID]
	}
	return out, nil
}

// RankRow is one site in a round's ranking.
type RankRow struct {
	Rank         int     `json:"rank"`      // among all sites of the round with a result; 0 = none yet
	KindRank     int     `json:"kind_rank"` // among sites of the same kind
	Site         Site    `json:"site"`
	JobStatus    string  `json:"job_status"`
	JobError     Text    `json:"job_error,omitzero"`
	InspectionID int64   `json:"inspection_id,omitempty"`
	Score        float64 `json:"score"`
	Pass         bool    `json:"pass"`
	Deducted     float64 `json:"deducted"`
	Pages        int     `json:"pages"`
	BrokenLinks  int     `json:"broken_links"`
	OpenProblems int     `json:"open_problems"`
	// Vetoes are the 2015 census vetoes the site's result triggered: any
	// one fails the site whatever its 2019 score.
	Vetoes []i18n.Text `json:"vetoes,omitempty"`
}

// Ranking ranks every site of a round by its 2019 score (ties: fewer 2015
// deductions, then name) and returns the rows within scopes (nil = all).
// Ranks are over the whole round, so a unit sees its true place.
func Ranking(ctx context.Context, db *store.DB, roundID int64, scopes []string) ([]RankRow, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT j.status, j.error, COALESCE(i.id, 0), COALESCE(i.score, 0), COALESCE(i.pass, FALSE), COALESCE(i.deducted, 0),
		COALESCE(i.pages, 0), COALESCE(i.broken_links, 0), `+siteCols+`
		FROM webcheck_job j JOIN webcheck_site s ON s.id = j.site_id LEFT JOIN orgunit o ON o.code = s.org_code
		LEFT JOIN webcheck_inspection i ON i.id = j.inspection_id
		WHERE j.round_id = $1 AND j.purpose = $2`, roundID, PurposeRound)
	if err != nil {
		return nil, fmt.Errorf("webcheck: ranking: %w", err)
	}
	defer rows.Close()
	var all []RankRow
	for rows.Next() {
		var r RankRow
		s := &r.Site
		var jobErr string
		if err := rows.Scan(&r.JobStatus, &jobErr, &r.InspectionID, &r.Score, &r.Pass, &r.Deducted, &r.Pages, &r.BrokenLinks,
			&s.ID, &s.URL, &s.Name, &s.Kind, &s.OrgCode, &s.OrgName, &s.OrgPath, &s.Demo, &s.CreatedAt, &s.UpdatedAt); err != nil {
			return nil, fmt.Errorf("webcheck: ranking: %w", err)
		}
		if jobErr != "" {
			r.JobError = JobErrorText(jobErr)
		}
		all = append(all, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vetoes := map[int64][]i18n.Text{}
	vrow, err := db.R.QueryContext(ctx, `SELECT inspection_id, title_zh, title_en FROM webcheck_problem WHERE round_id = $1 AND scheme = $2 ORDER BY id`, roundID, SchemeVeto2015)
	if err != nil {
		return nil, fmt.Errorf("webcheck: ranking: %w", err)
	}
	for vrow.Next() {
		var id int64
		var t i18n.Text
		if err := vrow.Scan(&id, &t.Zh, &t.En); err != nil {
			vrow.Close()
			return nil, err
		}
		vetoes[id] = append(vetoes[id], t)
	}
	vrow.Close()
	if err := vrow.Err(); err != nil {
		return nil, err
	}
	open := map[int64]int{}
	prow, err := db.R.QueryContext(ctx, `SELECT site_id, COUNT(*) FROM webcheck_problem WHERE round_id = $1 AND status IN ('open', 'reopened') GROUP BY site_id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("webcheck: ranking: %w", err)
	}
	defer prow.Close()
	for prow.Next() {
		var id int64
		var n int
		if err := prow.Scan(&id, &n); err != nil {
			return nil, err
		}
		open[id] = n
	}
	slices.SortFunc(all, func(a, b RankRow) int {
		ha, hb := a.InspectionID != 0, b.InspectionID != 0
		switch {
		case ha != hb:
			if ha {
				return -1
			}
			return 1
		case a.Score != b.Score:
			if a.Score > b.Score {
				return -1
			}
			return 1
		case a.Deducted != b.Deducted:
			if a.Deducted < b.Deducted {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Site.Name, b.Site.Name)
	})
	kindN := map[string]int{}
	out := make([]RankRow, 0, len(all))
	for i := range all {
		r := &all[i]
		if r.InspectionID != 0 {
			r.Rank = i + 1
			kindN[r.Site.Kind]++
			r.KindRank = kindN[r.Site.Kind]
		}
		r.OpenProblems = open[r.Site.ID]
		if r.InspectionID != 0 {
			r.Vetoes = vetoes[r.InspectionID]
		}
		if inScopes(r.Site.OrgPath, scopes) {
			out = append(out, *r)
		}
	}
	return out, nil
}

func inScopes(path string, scopes []string) bool {
	if scopes == nil {
		return true
	}
	for _, s := range scopes {
		if strings.HasPrefix(path, s) {
			return true
		}
	}
	return false
}

// TrendPoint summarises one round over the sites in scope.
type TrendPoint struct {
	RoundID  int64     `json:"round_id"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created_at"`
	Sites    int       `json:"sites"`
	AvgScore float64   `json:"avg_score"`
	Passed   int       `json:"passed"`
}

// PassRate is the share of sites that passed, in percent.
func (t TrendPoint) PassRate() float64 {
	if t.Sites == 0 {
		return 0
	}
	return float64(t.Passed) * 100 / float64(t.Sites)
}

// Trends returns, per round (oldest first), the average 2019 score and the
// number of sites passing the 2015 census over the sites within scopes.
func Trends(ctx context.Context, db *store.DB, scopes []string) ([]TrendPoint, error) {
	cond, args := scopeSQL("s.org_path", scopes, nil)
	rows, err := db.R.QueryContext(ctx, `SELECT r.id, r.name, r.created_at, COUNT(i.id), COALESCE(AVG(i.score), 0), SUM(CASE WHEN i.pass THEN 1 ELSE 0 END)
		FROM webcheck_round r JOIN webcheck_inspection i ON i.round_id = r.id AND i.purpose = 'round'
		JOIN webcheck_site s ON s.id = i.site_id
		WHERE `+cond+` GROUP BY r.id, r.name, r.created_at ORDER BY r.created_at, r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("webcheck: trends: %w", err)
	}
	defer rows.Close()
	var out []TrendPoint
	for rows.Next() {
		var t TrendPoint
		if err := rows.Scan(&t.RoundID, &t.Name, &t.Created, &t.Sites, &t.AvgScore, &t.Passed); err != nil {
			return nil, fmt.Errorf("webcheck: trends: %w", err)
		}
		t.AvgScore = round2(t.AvgScore)
		out = append(out, t)
	}
	return out, rows.Err()
}

// InspectionInfo is a stored inspection without its full result.
type InspectionInfo struct {
	ID        int64     `json:"id"`
	SiteID    int64     `json:"site_id"`
	RoundID   int64     `json:"round_id,omitempty"`
	RoundName string    `json:"round_name,omitempty"`
	Purpose   string    `json:"purpose"`
	Demo      bool      `json:"demo"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Pages     int       `json:"pages"`
	Broken    int       `json:"broken_links"`
	Pass      bool      `json:"pass"`
	Deducted  float64   `json:"deducted"`
	Score     float64   `json:"score"`
}

const inspCols = `i.id, i.site_id, COALESCE(i.round_id, 0), COALESCE(r.name, ''), i.purpose, i.demo, i.started_at, i.finished_at, i.pages, i.broken_links, i.pass, i.deducted, i.score`
const inspFrom = ` FROM webcheck_inspection i LEFT JOIN webcheck_round r ON r.id = i.round_id`

func scanInspection(sc interface{ Scan(...any) error }) (InspectionInfo, error) {
	var x InspectionInfo
	err := sc.Scan(&x.ID, &x.SiteID, &x.RoundID, &x.RoundName, &x.Purpose, &x.Demo, &x.Started, &x.Finished, &x.Pages, &x.Broken, &x.Pass, &x.Deducted, &x.Score)
	x.Started, x.Finished = x.Started.UTC(), x.Finished.UTC()
	return x, err
}

// GetInspection loads a stored inspection's summary and full result.
func GetInspection(ctx context.Context, db *store.DB, id int64) (*InspectionInfo, *Result, error) {
	x, err := scanInspection(db.R.QueryRowContext(ctx, `SELECT `+inspCols+inspFrom+` WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("webcheck: inspection %d: %w", id, err)
	}
	r, err := Inspection(ctx, db, id)
	if err != nil {
		return nil, nil, err
	}
	return &x, r, nil
}

// SiteInspections lists a site's inspections, oldest first.
func SiteInspections(ctx context.Context, db *store.DB, siteID int64) ([]InspectionInfo, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+inspCols+inspFrom+` WHERE i.site_id = $1 ORDER BY i.started_at, i.id`, siteID)
	if err != nil {
		return nil, fmt.Errorf("webcheck: site inspections: %w", err)
	}
	defer rows.Close()
	var out []InspectionInfo
	for rows.Next() {
		x, err := scanInspection(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
