package webcheck

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"zhihui/internal/calendar"

	"zhihui/internal/audit"
	"zhihui/internal/store"
)

// Job is a claimed crawl job: inspect one site for a round or a re-check.
type Job struct {
	ID           int64
	RoundID      int64
	SiteID       int64
	Purpose      string
	Attempts     int
	SiteURL      string
	Scheme       string // the round's scheme YAML
	DeadlineDays int
}

// StateKey is the key of the job's saved crawl state.
func (j *Job) StateKey() string { return fmt.Sprintf("job:%d", j.ID) }

// ErrLeaseLost is returned when a worker's lease on a job has passed to
// another worker (it expired and the job was claimed again).
var ErrLeaseLost = errors.New("webcheck: job lease lost")

// MaxAttempts is how many times a job is claimed before it is failed (a
// site that kills its worker every time must not block the queue).
const MaxAttempts = 5

// Heartbeat extends worker's lease on job id. It returns ErrLeaseLost when
// the job is no longer the worker's.
func Heartbeat(ctx context.Context, db *store.DB, id int64, worker string, lease time.Duration) error {
	var n int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		res, err := tx.ExecContext(ctx, `UPDATE webcheck_job SET lease_until = $1, heartbeat_at = $2 WHERE id = $3 AND claimed_by = $4 AND status = $5`,
			now.Add(lease), now, id, worker, JobRunning)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("webcheck: heartbeat job %d: %w", id, err)
	}
	if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// ReleaseJob puts a job the worker stops early (shutting down) back in the
// queue; its crawl state stays, so the next claimer resumes.
func ReleaseJob(ctx context.Context, db *store.DB, id int64, worker string) error {
	_, err := db.W.ExecContext(ctx, `UPDATE webcheck_job SET status = $1, claimed_by = '', lease_until = NULL WHERE id = $2 AND claimed_by = $3 AND status = $4`,
		JobQueued, id, worker, JobRunning)
	if err != nil {
		return fmt.Errorf("webcheck: release job %d: %w", id, err)
	}
	return nil
}

// FailJob marks a job failed with a reason.
func FailJob(ctx context.Context, db *store.DB, id int64, worker, reason string) error {
	_, err := db.W.ExecContext(ctx, `UPDATE webcheck_job SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND claimed_by = $5 AND status = $6`,
		JobFailed, reason, store.Now(), id, worker, JobRunning)
	if err != nil {
		return fmt.Errorf("webcheck: fail job %d: %w", id, err)
	}
	return nil
}

// CompleteJob stores the result of a job the worker still holds, in one
// transaction: the inspection, the job's status, the problems it raises
// (round jobs) or the re-check outcomes (re-check jobs), and the removal of
// the crawl state. It returns ErrLeaseLost, saving nothing, when the job
// was taken over.
func CompleteJob(ctx context.Context, db *store.DB, j *Job, worker string, r *Result) (int64, error) {
	var inspID int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		var st, by string
		err := tx.QueryRowContext(ctx, `SELECT status, claimed_by FROM webcheck_job WHERE id = $1`+forUpdate(db), j.ID).Scan(&st, &by)
		if err != nil {
			return err
		}
		if st != JobRunning || by != worker {
			return ErrLeaseLost
		}
		roundID := j.RoundID
		inspID, err = insertInspection(ctx, tx, j.SiteID, roundID, j.ID, j.Purpose, false, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webcheck_job SET status = $1, finished_at = $2, inspection_id = $3, lease_until = NULL WHERE id = $4`,
			JobDone, now, inspID, j.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webcheck_crawl_state WHERE key = $1`, j.StateKey()); err != nil {
			return err
		}
		actor := audit.Actor{Name: "worker:" + worker}
		switch j.Purpose {
		case PurposeRound:
			return raiseProblems(ctx, tx, actor, j.SiteID, inspID, roundID, rectifyBy(now, j.DeadlineDays), r)
		case PurposeRecheck:
			return applyRecheck(ctx, tx, actor, j.ID, inspID, r)
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrLeaseLost) {
			return 0, err
		}
		return 0, fmt.Errorf("webcheck: complete job %d: %w", j.ID, err)
	}
	return inspID, nil
}

func forUpdate(db *store.DB) string {
	if db.Dialect == store.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// JobInfo is a job as listed for users.
type JobInfo struct {
	ID           int64      `json:"id"`
	RoundID      int64      `json:"round_id"`
	SiteID       int64      `json:"site_id"`
	Purpose      string     `json:"purpose"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	ClaimedBy    string     `json:"claimed_by,omitempty"`
	LeaseUntil   *time.Time `json:"lease_until,omitempty"`
	InspectionID int64      `json:"inspection_id,omitempty"`
	Error        string     `json:"error,omitempty"`
}

// GetJob loads a job.
func GetJob(ctx context.Context, db *store.DB, id int64) (*JobInfo, error) {
	var j JobInfo
	var lease sql.NullTime
	err := db.R.QueryRowContext(ctx, `SELECT id, round_id, site_id, purpose, status, attempts, claimed_by, lease_until, COALESCE(inspection_id, 0), error
		FROM webcheck_job WHERE id = $1`, id).Scan(&j.ID, &j.RoundID, &j.SiteID, &j.Purpose, &j.Status, &j.Attempts, &j.ClaimedBy, &lease, &j.InspectionID, &j.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webcheck: job %d: %w", id, err)
	}
	if lease.Valid {
		t := lease.Time.UTC()
		j.LeaseUntil = &t
	}
	return &j, nil
}

// RecordRoundResult stores r as site's result in a round without a
// worker: an inspection made elsewhere (by hand, by another tool) or a
// generated one. It finishes the site's queued job in the round, or adds a
// finished job, and raises the problems, in one transaction.
func RecordRoundResult(ctx context.Context, db *store.DB, actor audit.Actor, roundID, siteID int64, r *Result) (int64, error) {
	var inspID int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		var days int
		if err := tx.QueryRowContext(ctx, `SELECT deadline_days FROM webcheck_round WHERE id = $1`, roundID).Scan(&days); err != nil {
			return err
		}
		var jobID int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM webcheck_job WHERE round_id = $1 AND site_id = $2 AND purpose = $3 AND status = $4`,
			roundID, siteID, PurposeRound, JobQueued).Scan(&jobID)
		if err != nil {
			return err
		}
		if jobID == 0 {
			if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_job (round_id, site_id, purpose, status, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				roundID, siteID, PurposeRound, JobRunning, now).Scan(&jobID); err != nil {
				return err
			}
		}
		inspID, err = insertInspection(ctx, tx, siteID, roundID, jobID, PurposeRound, false, r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webcheck_job SET status = $1, claimed_by = $2, started_at = COALESCE(started_at, $3), finished_at = $3, inspection_id = $4 WHERE id = $5`,
			JobDone, actor.Name, now, inspID, jobID); err != nil {
			return err
		}
		return raiseProblems(ctx, tx, actor, siteID, inspID, roundID, rectifyBy(now, days), r)
	})
	if err != nil {
		return 0, fmt.Errorf("webcheck: record result: %w", err)
	}
	return inspID, nil
}

// rectifyBy is the rectification deadline of problems found at now: days
// calendar days later, moved to the next working day when that falls on a
// weekend or public holiday (calendar.Default).
func rectifyBy(now time.Time, days int) time.Time {
	return calendar.Default().Postpone(now.AddDate(0, 0, days))
}
