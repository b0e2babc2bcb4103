package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// State is a job's state in River's table.
type State = rivertype.JobState

// The states a job goes through.
const (
	Available = rivertype.JobStateAvailable
	Scheduled = rivertype.JobStateScheduled
	Running   = rivertype.JobStateRunning
	Retryable = rivertype.JobStateRetryable
	Completed = rivertype.JobStateCompleted
	Cancelled = rivertype.JobStateCancelled
	Discarded = rivertype.JobStateDiscarded
	Pending   = rivertype.JobStatePending
)

// States lists every state, in the order the job list offers them.
var States = []State{Running, Available, Scheduled, Retryable, Discarded, Cancelled, Completed, Pending}

// Info is one job as the job list shows it.
type Info struct {
	ID          int64
	Kind        string
	Queue       string
	State       State
	Attempt     int
	MaxAttempts int
	Args        string
	Created     time.Time
	Scheduled   time.Time
	Attempted   *time.Time
	Finalized   *time.Time
	// Errors are the attempts' errors, oldest first.
	Errors []AttemptError
}

// AttemptError is the error of one attempt: Error as River stored it;
// User the user errors (*i18n.Error) it carried, in their kept form, and
// Cause their technical cause.
type AttemptError struct {
	At      time.Time
	Attempt int
	Error   string
	User    []i18n.Kept
	Cause   string
}

// Message is the attempt's error in lang: its user errors in that
// language (and the technical cause, if any), or the error as stored —
// for errors of earlier releases, stored as "中文 (English)", the
// language's half.
func (a AttemptError) Message(lang string) string {
	if len(a.User) == 0 {
		return i18n.SplitError(a.Error).In(lang)
	}
	parts := make([]string, len(a.User))
	for i, k := range a.User {
		parts[i] = k.Message(lang)
	}
	s := strings.Join(parts, "; ")
	if a.Cause != "" {
		s += ": " + a.Cause
	}
	return s
}

// LastError is the newest attempt's error in lang, "" when none failed.
func (i Info) LastError(lang string) string {
	if len(i.Errors) == 0 {
		return ""
	}
	return i.Errors[len(i.Errors)-1].Message(lang)
}

// Retryable says whether the list offers "retry": a job that is not
// running and not waiting to run already.
func (i Info) CanRetry() bool {
	switch i.State {
	case Discarded, Cancelled, Completed, Retryable, Scheduled:
		return true
	}
	return false
}

// CanCancel says whether the list offers "cancel".
func (i Info) CanCancel() bool {
	switch i.State {
	case Available, Scheduled, Retryable, Running, Pending:
		return true
	}
	return false
}

func info(r *rivertype.JobRow) Info {
	i := Info{ID: r.ID, Kind: r.Kind, Queue: r.Queue, State: r.State, Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		Args: string(r.EncodedArgs), Created: r.CreatedAt, Scheduled: r.ScheduledAt, Attempted: r.AttemptedAt, Finalized: r.FinalizedAt}
	for _, e := range r.Errors {
		i.Errors = append(i.Errors, attemptError(e))
	}
	return i
}

// Filter narrows the job list.
type Filter struct {
	States []State
	Kinds  []string
	Limit  int // default 200, at most 10,000
}

// List returns jobs, newest first.
func (e *Engine) List(ctx context.Context, f Filter) ([]Info, error) {
	n := f.Limit
	if n <= 0 {
		n = 200
	}
	n = min(n, 10000)
	p := river.NewJobListParams().First(n).OrderBy(river.JobListOrderByID, river.SortOrderDesc)
	if len(f.States) > 0 {
		p = p.States(f.States...)
	}
	if len(f.Kinds) > 0 {
		p = p.Kinds(f.Kinds...)
	}
	res, err := e.c.JobList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]Info, len(res.Jobs))
	for k, r := range res.Jobs {
		out[k] = info(r)
	}
	return out, nil
}

// Get returns one job; the error wraps store.ErrNotFound when there is
// no such job.
func (e *Engine) Get(ctx context.Context, id int64) (Info, error) {
	r, err := e.c.JobGet(ctx, id)
	if err != nil {
		return Info{}, wrap("get", id, err)
	}
	return info(r), nil
}

// Retry makes a finished, failed or waiting job run as soon as possible
// (a running job is left alone).
func (e *Engine) Retry(ctx context.Context, id int64) (Info, error) {
	r, err := e.c.JobRetry(ctx, id)
	if err != nil {
		return Info{}, wrap("retry", id, err)
	}
	return info(r), nil
}

// Cancel cancels a job that has not finished; a running job's context is
// cancelled (on PostgreSQL also in another process) and it is not retried.
func (e *Engine) Cancel(ctx context.Context, id int64) (Info, error) {
	r, err := e.c.JobCancel(ctx, id)
	if err != nil {
		return Info{}, wrap("cancel", id, err)
	}
	return info(r), nil
}

func wrap(op string, id int64, err error) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return fmt.Errorf("jobs: %s %d: %w", op, id, store.ErrNotFound)
	}
	return fmt.Errorf("jobs: %s %d: %w", op, id, err)
}
