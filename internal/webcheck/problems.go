package webcheck

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Problem statuses: the rectification workflow (整改). The owner marks an
// open or reopened problem fixed; a re-check confirms it (closed) or
// reopens it.
const (
	ProblemOpen     = "open"
	ProblemFixed    = "fixed"
	ProblemClosed   = "closed"
	ProblemReopened = "reopened"
)

// Problem schemes: where the lost points come from.
const (
	SchemeVeto2015   = "2015-veto"
	SchemeDeduct2015 = "2015"
	SchemeScore2019  = "2019"
)

// maxProblemEvidence bounds the evidence copied into a problem; the full
// list stays in the inspection.
const maxProblemEvidence = 20

// Problem is one veto or one lost point of an inspection, assigned to the
// site's owner unit with a deadline.
type Problem struct {
	ID            int64      `json:"id"`
	SiteID        int64      `json:"site_id"`
	SiteName      string     `json:"site_name"`
	SiteURL       string     `json:"site_url"`
	InspectionID  int64      `json:"inspection_id"`
	RoundID       int64      `json:"round_id"`
	Scheme        string     `json:"scheme"`
	Indicator     string     `json:"indicator,omitempty"`
	Rule          string     `json:"rule"`
	Metric        string     `json:"metric"`
	TitleZh       string     `json:"title_zh"`
	TitleEn       string     `json:"title_en"`
	Points        float64    `json:"points"`
	Value         float64    `json:"value"`
	Evidence      []Evidence `json:"evidence"`
	EvidenceTotal int        `json:"evidence_total"`
	OrgCode       string     `json:"org_code"`
	OrgName       string     `json:"org_name"`
	OrgPath       string     `json:"org_path"`
	Deadline      time.Time  `json:"deadline"`
	Status        string     `json:"status"`
	FixNote       string     `json:"fix_note,omitempty"`
	FixedAt       *time.Time `json:"fixed_at,omitempty"`
	FixedBy       string     `json:"fixed_by,omitempty"`
	// CheckNote is what the office wrote when it closed or reopened the
	// problem, as written.
	CheckNote string `json:"check_note,omitempty"`
	// CheckKey and CheckArgs are what a re-check found (catalogue key
	// RecheckFixed or RecheckStill and its arguments), rendered in the
	// reader's language by [Problem.Check].
	CheckKey   string     `json:"check_key,omitempty"`
	CheckArgs  []string   `json:"check_args,omitempty"`
	CheckedAt  *time.Time `json:"checked_at,omitempty"`
	CheckedBy  string     `json:"checked_by,omitempty"`
	RecheckJob int64      `json:"recheck_job,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Catalogue keys of what a re-check found: RecheckFixed takes the
// re-check's inspection id, RecheckStill that and the indicator's value.
const (
	RecheckFixed = "webcheck.recheck.fixed"
	RecheckStill = "webcheck.recheck.still"
)

// Check is the note of the problem's last check in lang: what a re-check
// found, or what the office wrote.
func (p Problem) Check(lang string) string {
	if p.CheckKey == "" {
		return p.CheckNote
	}
	args := make([]any, len(p.CheckArgs))
	for i, a := range p.CheckArgs {
		args[i] = a
	}
	return i18n.T(lang, p.CheckKey, args...)
}

// Re-check notes as earlier releases stored them, one "中文 / English"
// string in check_note.
var (
	legacyFixed = regexp.MustCompile(`^复查（检查 #(\d+)）确认已整改 / re-check \(inspection #\d+\) confirms the fix$`)
	legacyStill = regexp.MustCompile(`^复查（检查 #(\d+)）仍存在：指标值 (\S+) / re-check \(inspection #\d+\) still finds it: value \S+$`)
)

// legacyRecheck reads a re-check note of an earlier release as its key
// and arguments; any other note is the office's, kept as written.
func legacyRecheck(note string) (key string, args []string, rest string) {
	if m := legacyFixed.FindStringSubmatch(note); m != nil {
		return RecheckFixed, m[1:], ""
	}
	if m := legacyStill.FindStringSubmatch(note); m != nil {
		return RecheckStill, m[1:], ""
	}
	return "", nil, note
}

// Title is the problem's rule in lang.
func (p *Problem) Title(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return p.TitleEn
	}
	return p.TitleZh
}

// Pending reports whether the owner still has to act.
func (p *Problem) Pending() bool { return p.Status == ProblemOpen || p.Status == ProblemReopened }

// Overdue reports whether the problem is pending past its deadline.
func (p *Problem) Overdue(now time.Time) bool { return p.Pending() && now.After(p.Deadline) }

// key identifies the rule behind a problem across inspections.
func problemKey(scheme, indicator, rule string) string { return scheme + "|" + indicator + "|" + rule }

// lossesOf lists every veto and lost point of r with its problem key.
func lossesOf(r *Result) map[string]struct {
	scheme, indicator string
	loss              Loss
} {
	out := map[string]struct {
		scheme, indicator string
		loss              Loss
	}{}
	add := func(scheme, ind string, l Loss) {
		out[problemKey(scheme, ind, l.Rule)] = struct {
			scheme, indicator string
			loss              Loss
		}{scheme, ind, l}
	}
	for _, l := range r.Verdict.Vetoes {
		add(SchemeVeto2015, "", l)
	}
	for _, l := range r.Verdict.Deductions {
		add(SchemeDeduct2015, "", l)
	}
	for _, ind := range r.Score.Indicators {
		for _, l := range ind.Losses {
			add(SchemeScore2019, ind.ID, l)
		}
	}
	return out
}

// raiseProblems records one problem per veto and lost point of r, owned by
// the site's unit.
func raiseProblems(ctx context.Context, tx *store.Tx, actor audit.Actor, siteID, inspID, roundID int64, deadline time.Time, r *Result) error {
	var code, path string
	if err := tx.QueryRowContext(ctx, `SELECT org_code, org_path FROM webcheck_site WHERE id = $1`, siteID).Scan(&code, &path); err != nil {
		return err
	}
	now := store.Now()
	n := 0
	// Stable order: vetoes, 2015 deductions, then 2019 indicators.
	type item struct {
		scheme, ind string
		l           Loss
	}
	var items []item
	for _, l := range r.Verdict.Vetoes {
		items = append(items, item{SchemeVeto2015, "", l})
	}
	for _, l := range r.Verdict.Deductions {
		items = append(items, item{SchemeDeduct2015, "", l})
	}
	for _, ind := range r.Score.Indicators {
		for _, l := range ind.Losses {
			items = append(items, item{SchemeScore2019, ind.ID, l})
		}
	}
	// One defect is one problem: a measurement that loses points under
	// both schemes (a stale homepage is a 2015 veto and a 2019 loss) is
	// raised once, under the first of them in the order above.
	seen := map[string]bool{}
	for _, it := range items {
		if it.l.Metric != "" {
			if seen[it.l.Metric] {
				continue
			}
			seen[it.l.Metric] = true
		}
		ev := it.l.Evidence
		if len(ev) > maxProblemEvidence {
			ev = ev[:maxProblemEvidence]
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_problem (site_id, inspection_id, round_id, scheme, indicator, rule, metric,
			title_zh, title_en, points, value, evidence, evidence_total, org_code, org_path, deadline, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) RETURNING id`,
			siteID, inspID, nullID(roundID), it.scheme, it.ind, it.l.Rule, it.l.Metric, it.l.Zh, it.l.En, it.l.Points, it.l.Value,
			string(b), it.l.EvidenceTotal, code, path, deadline.UTC().Truncate(time.Microsecond), ProblemOpen, now).Scan(&id); err != nil {
			return err
		}
		n++
	}
	return audit.Record(ctx, tx, actor, "raise", "webcheck_problems", fmt.Sprint(inspID), path, nil,
		map[string]any{"site_id": siteID, "inspection_id": inspID, "problems": n, "deadline": deadline.UTC().Format(time.RFC3339)})
}

// applyRecheck decides the problems waiting on re-check job jobID: a
// problem whose rule still loses points in r is reopened, otherwise closed.
func applyRecheck(ctx context.Context, tx *store.Tx, actor audit.Actor, jobID, inspID int64, r *Result) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, scheme, indicator, rule, status, org_path FROM webcheck_problem WHERE recheck_job = $1 AND status = $2`, jobID, ProblemFixed)
	if err != nil {
		return err
	}
	type pr struct {
		id                          int64
		scheme, ind, rule, st, path string
	}
	var ps []pr
	for rows.Next() {
		var p pr
		if err := rows.Scan(&p.id, &p.scheme, &p.ind, &p.rule, &p.st, &p.path); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	losses := lossesOf(r)
	now := store.Now()
	for _, p := range ps {
		next, key, args := ProblemClosed, RecheckFixed, []string{fmt.Sprint(inspID)}
		if l, still := losses[problemKey(p.scheme, p.ind, p.rule)]; still {
			next, key, args = ProblemReopened, RecheckStill, append(args, strconv.FormatFloat(l.loss.Value, 'g', -1, 64))
		}
		argsJSON, err := json.Marshal(args)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webcheck_problem SET status = $1, check_note = '', check_key = $2, check_args = $3, checked_at = $4, checked_by = $5, updated_at = $4, recheck_job = NULL WHERE id = $6`,
			next, key, string(argsJSON), now, actor.Name, p.id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "recheck", "webcheck_problem", fmt.Sprint(p.id), p.path,
			map[string]string{"status": p.st}, map[string]any{"status": next, "check_key": key, "check_args": args, "inspection_id": inspID}); err != nil {
			return err
		}
	}
	return nil
}

const problemCols = `p.id, p.site_id, s.name, s.url, p.inspection_id, COALESCE(p.round_id, 0), p.scheme, p.indicator, p.rule, p.metric,
	p.title_zh, p.title_en, p.points, p.value, p.evidence, p.evidence_total, p.org_code, COALESCE(o.name, ''), p.org_path, p.deadline, p.status,
	p.fix_note, p.fixed_at, p.fixed_by, p.check_note, p.check_key, p.check_args, p.checked_at, p.checked_by, COALESCE(p.recheck_job, 0), p.created_at, p.updated_at`
const problemFrom = ` FROM webcheck_problem p JOIN webcheck_site s ON s.id = p.site_id LEFT JOIN orgunit o ON o.code = p.org_code`

func scanProblem(sc interface{ Scan(...any) error }) (Problem, error) {
	var p Problem
	var ev, checkArgs string
	var fixed, checked sql.NullTime
	err := sc.Scan(&p.ID, &p.SiteID, &p.SiteName, &p.SiteURL, &p.InspectionID, &p.RoundID, &p.Scheme, &p.Indicator, &p.Rule, &p.Metric,
		&p.TitleZh, &p.TitleEn, &p.Points, &p.Value, &ev, &p.EvidenceTotal, &p.OrgCode, &p.OrgName, &p.OrgPath, &p.Deadline, &p.Status,
		&p.FixNote, &fixed, &p.FixedBy, &p.CheckNote, &p.CheckKey, &checkArgs, &checked, &p.CheckedBy, &p.RecheckJob, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(ev), &p.Evidence); err != nil {
		return p, fmt.Errorf("decode evidence: %w", err)
	}
	if checkArgs != "" {
		if err := json.Unmarshal([]byte(checkArgs), &p.CheckArgs); err != nil {
			return p, fmt.Errorf("decode check arguments: %w", err)
		}
	}
	if p.CheckKey == "" {
		p.CheckKey, p.CheckArgs, p.CheckNote = legacyRecheck(p.CheckNote)
	}
	if fixed.Valid {
		t := fixed.Time.UTC()
		p.FixedAt = &t
	}
	if checked.Valid {
		t := checked.Time.UTC()
		p.CheckedAt = &t
	}
	p.Deadline, p.CreatedAt, p.UpdatedAt = p.Deadline.UTC(), p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, nil
}

// ProblemFilter selects problems.
type ProblemFilter struct {
	Scopes       []string // org paths; nil = everywhere
	SiteID       int64
	RoundID      int64
	InspectionID int64
	Status       string    // one status, or "pending" for open and reopened
	OverdueAt    time.Time // when set, only pending problems past their deadline at this time
	Limit        int       // default 500
	Offset       int       // problems skipped (paging)
}

// problemWhere is the FROM … WHERE part of a problem query for f.
func problemWhere(f ProblemFilter) (string, []any) {
	cond, scope := scopeSQL("p.org_path", f.Scopes, nil)
	args := store.Args(scope)
	q := problemFrom + ` WHERE ` + cond
	if f.SiteID != 0 {
		q += " AND p.site_id = " + args.Add(f.SiteID)
	}
	if f.RoundID != 0 {
		q += " AND p.round_id = " + args.Add(f.RoundID)
	}
	if f.InspectionID != 0 {
		q += " AND p.inspection_id = " + args.Add(f.InspectionID)
	}
	switch f.Status {
	case "":
	case "pending":
		q += " AND p.status IN ('open', 'reopened')"
	default:
		q += " AND p.status = " + args.Add(f.Status)
	}
	if !f.OverdueAt.IsZero() {
		q += " AND p.status IN ('open', 'reopened') AND p.deadline < " + args.Add(f.OverdueAt.UTC())
	}
	return q, args
}

// CountProblems counts every problem matching f (its Limit and Offset
// aside): the true total beside a page of them.
func CountProblems(ctx context.Context, db *store.DB, f ProblemFilter) (int, error) {
	where, args := problemWhere(f)
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) `+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("webcheck: count problems: %w", err)
	}
	return n, nil
}

// ListProblems returns the problems matching f, most urgent first: at
// most Limit (default 500) of them, after skipping Offset.
func ListProblems(ctx context.Context, db *store.DB, f ProblemFilter) ([]Problem, error) {
	where, args := problemWhere(f)
	q := `SELECT ` + problemCols + where
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q += fmt.Sprintf(" ORDER BY CASE p.status WHEN 'reopened' THEN 0 WHEN 'open' THEN 1 WHEN 'fixed' THEN 2 ELSE 3 END, p.deadline, p.id LIMIT %d OFFSET %d", limit, max(f.Offset, 0))
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("webcheck: problems: %w", err)
	}
	defer rows.Close()
	var out []Problem
	for rows.Next() {
		p, err := scanProblem(rows)
		if err != nil {
			return nil, fmt.Errorf("webcheck: problems: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// GetProblem loads one problem.
func GetProblem(ctx context.Context, db *store.DB, id int64) (*Problem, error) {
	p, err := scanProblem(db.R.QueryRowContext(ctx, `SELECT `+problemCols+problemFrom+` WHERE p.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("webcheck: problem %d: %w", id, err)
	}
	return &p, nil
}

// Problem actions.
const (
	ActionFix     = "fix"     // owner: the problem is fixed
	ActionClose   = "close"   // evaluator: checked by hand, fixed
	ActionReopen  = "reopen"  // evaluator: checked by hand, not fixed
	ActionRecheck = "recheck" // evaluator: re-inspect the site to decide
)

// transitions lists the statuses each action may start from.
var transitions = map[string][]string{
	ActionFix:     {ProblemOpen, ProblemReopened},
	ActionClose:   {ProblemFixed},
	ActionReopen:  {ProblemFixed, ProblemClosed},
	ActionRecheck: {ProblemFixed},
}

// UpdateProblem applies an action with a note. A fix needs a note saying
// what was done. A re-check queues a re-inspection of the site (one job
// serves every fixed problem of the site waiting on it) and leaves the
// problem fixed until the job decides; its crawl job is enqueued with e
// (nil: the sweep enqueues it).
func UpdateProblem(ctx context.Context, db *store.DB, e Enqueuer, actor audit.Actor, id int64, action, note string) (*Problem, error) {
	from, ok := transitions[action]
	if !ok {
		return nil, i18n.Errorf("未知操作 %q", "unknown action %q", action).OnField("action")
	}
	note = strings.TrimSpace(note)
	if action == ActionFix && note == "" {
		return nil, i18n.Errorf("请说明整改情况", "describe what was fixed").OnField("note")
	}
	if len([]rune(note)) > 2000 {
		return nil, i18n.Errorf("说明过长（最多2000字）", "note too long (2000 characters at most)").OnField("note")
	}
	p, err := GetProblem(ctx, db, id)
	if err != nil {
		return nil, err
	}
	allowed := false
	for _, s := range from {
		allowed = allowed || p.Status == s
	}
	if !allowed {
		return nil, i18n.Errorf("问题当前状态为「%s」，不能执行此操作", "the problem is %s; this action does not apply", p.Status).OnField("action")
	}
	if action == ActionRecheck && p.RecheckJob != 0 {
		return nil, i18n.Errorf("已在复查中", "a re-check is already queued").OnField("action")
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		var res sql.Result
		var err error
		after := map[string]any{"action": action, "note": note}
		switch action {
		case ActionFix:
			res, err = tx.ExecContext(ctx, `UPDATE webcheck_problem SET status = $1, fix_note = $2, fixed_at = $3, fixed_by = $4, updated_at = $3 WHERE id = $5 AND status = $6`,
				ProblemFixed, note, now, actor.Name, id, p.Status)
			after["status"] = ProblemFixed
		case ActionClose, ActionReopen:
			next := map[string]string{ActionClose: ProblemClosed, ActionReopen: ProblemReopened}[action]
			res, err = tx.ExecContext(ctx, `UPDATE webcheck_problem SET status = $1, check_note = $2, check_key = '', check_args = '', checked_at = $3, checked_by = $4, updated_at = $3 WHERE id = $5 AND status = $6`,
				next, note, now, actor.Name, id, p.Status)
			after["status"] = next
		case ActionRecheck:
			var job int64
			err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM webcheck_job WHERE site_id = $1 AND purpose = $2 AND status = $3`,
				p.SiteID, PurposeRecheck, JobQueued).Scan(&job)
			if err != nil {
				return err
			}
			if job == 0 {
				if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_job (round_id, site_id, purpose, status, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
					p.RoundID, p.SiteID, PurposeRecheck, JobQueued, now).Scan(&job); err != nil {
					return err
				}
				if err := enqueueCrawls(ctx, e, tx, []int64{job}); err != nil {
					return err
				}
			}
			res, err = tx.ExecContext(ctx, `UPDATE webcheck_problem SET recheck_job = $1, check_note = $2, check_key = '', check_args = '', updated_at = $3 WHERE id = $4 AND status = $5`,
				job, note, now, id, p.Status)
			after["recheck_job"] = job
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return i18n.Errorf("问题状态已被他人更改，请刷新后重试", "the problem was changed meanwhile; reload and try again")
		}
		return audit.Record(ctx, tx, actor, action, "webcheck_problem", fmt.Sprint(id), p.OrgPath, map[string]string{"status": p.Status}, after)
	})
	if err != nil {
		var ue *i18n.Error
		if errors.As(err, &ue) {
			return nil, ue
		}
		return nil, fmt.Errorf("webcheck: update problem %d: %w", id, err)
	}
	return GetProblem(ctx, db, id)
}
