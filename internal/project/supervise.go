package project

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
)

// Process supervision (过程监管), after the US IT Dashboard: the office
// sets a project's baseline — start, end and cost, and the planned date of
// each milestone — and may rebaseline it later with a reason, keeping
// every version; the owner unit reports what it now projects and what
// actually happened. Cost and schedule variance against the current
// baseline, with the office's amber and red thresholds, and the risk
// rating give the project's light; a red project needs an action plan
// and the office's follow-up review. Ratings older than the configured
// number of days are reported to the office by a daily job.

// Milestone is one milestone: planned by the baseline, projected and
// actual as reported; dates are YYYY-MM-DD, "" when unknown.
type Milestone struct {
	Name      string `json:"name"`
	Planned   string `json:"planned"`
	Projected string `json:"projected,omitempty"`
	Actual    string `json:"actual,omitempty"`
}

// Baseline is one version of a project's baseline.
type Baseline struct {
	Version    int         `json:"version"`
	Start      string      `json:"start"`
	End        string      `json:"end"`
	Cost       Money       `json:"cost"`
	Milestones []Milestone `json:"milestones"`
	Reason     string      `json:"reason"`
	ActorName  string      `json:"actor"`
	At         time.Time   `json:"at"`
}

// Progress is what the owner unit reports: projected and actual dates
// and costs, and the milestones' projected and actual dates.
type Progress struct {
	ProjectedEnd  string      `json:"projected_end"`
	ProjectedCost *Money      `json:"projected_cost"`
	ActualStart   string      `json:"actual_start"`
	ActualEnd     string      `json:"actual_end"`
	ActualCost    *Money      `json:"actual_cost"`
	Milestones    []Milestone `json:"milestones"`
	ActorName     string      `json:"actor"`
	At            time.Time   `json:"at"`
}

// Thresholds are the office's settings: a variance of at least Amber
// percent is amber, of at least Red percent red; a rating older than
// StaleDays days is stale.
type Thresholds struct {
	Amber     int `json:"amber"`
	Red       int `json:"red"`
	StaleDays int `json:"stale_days"`
}

// DefaultThresholds are used until the office sets its own.
var DefaultThresholds = Thresholds{Amber: 5, Red: 10, StaleDays: 90}

// Action is an action plan of a red project and its follow-up review.
type Action struct {
	ID         int64      `json:"id"`
	Plan       string     `json:"plan"`
	ReviewDue  string     `json:"review_due"`
	ActorName  string     `json:"actor"`
	At         time.Time  `json:"at"`
	Review     string     `json:"review"`
	ReviewedBy string     `json:"reviewed_by"`
	ReviewedAt *time.Time `json:"reviewed_at"`
}

// Open reports whether the action plan still awaits its review.
func (a Action) Open() bool { return a.ReviewedAt == nil }

// Supervision is the supervision state of one project.
type Supervision struct {
	Baselines []Baseline `json:"baselines"` // newest first
	Progress  *Progress  `json:"progress"`
	Actions   []Action   `json:"actions"` // newest first
	Variance  Variance   `json:"variance"`
}

// Current is the baseline in force, nil before any.
func (s *Supervision) Current() *Baseline {
	if len(s.Baselines) == 0 {
		return nil
	}
	return &s.Baselines[0]
}

// Variance is a project's cost and schedule variance against its
// current baseline, in percent (positive: over cost, late), with lights.
type Variance struct {
	HasCost       bool    `json:"has_cost"`
	Cost          float64 `json:"cost"`
	CostLight     string  `json:"cost_light"`
	HasSchedule   bool    `json:"has_schedule"`
	Schedule      float64 `json:"schedule"`
	ScheduleLight string  `json:"schedule_light"`
	RiskLight     string  `json:"risk_light"`
	// Light is the worst of the three: "red", "amber", "green" or ""
	// (nothing to judge yet).
	Light string `json:"light"`
}

const dateLayout = "2006-01-02"

func parseDate(s, field string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return "", i18n.Errorf("日期应写作 YYYY-MM-DD：%q", "a date is written YYYY-MM-DD: %q", s).OnField(field)
	}
	return d.Format(dateLayout), nil
}

func days(a, b string) float64 {
	ta, _ := time.Parse(dateLayout, a)
	tb, _ := time.Parse(dateLayout, b)
	return tb.Sub(ta).Hours() / 24
}

// light is the colour of a variance v (percent) under th.
func (th Thresholds) light(v float64) string {
	switch {
	case v >= float64(th.Red):
		return "red"
	case v >= float64(th.Amber):
		return "amber"
	}
	return "green"
}

var lightRank = map[string]int{"": 0, "green": 1, "amber": 2, "yellow": 2, "red": 3}

// ComputeVariance is the variance of progress pr against baseline b under
// th, with the light of risk rating risk (0: not rated). The cost is the
// actual cost when known, else the projected one; the end likewise.
func ComputeVariance(b *Baseline, pr *Progress, risk int, th Thresholds) Variance {
	var v Variance
	if rl := Light(risk); rl != "" {
		v.RiskLight = map[string]string{"red": "red", "yellow": "amber", "green": "green"}[rl]
	}
	if b != nil && pr != nil {
		cost := pr.ActualCost
		if cost == nil {
			cost = pr.ProjectedCost
		}
		if cost != nil && b.Cost > 0 {
			v.HasCost = true
			v.Cost = math.Round(float64(*cost-b.Cost)/float64(b.Cost)*1000) / 10
			v.CostLight = th.light(v.Cost)
		}
		end := pr.ActualEnd
		if end == "" {
			end = pr.ProjectedEnd
		}
		if end != "" {
			if dur := days(b.Start, b.End); dur > 0 {
				v.HasSchedule = true
				v.Schedule = math.Round(days(b.End, end)/dur*1000) / 10
				v.ScheduleLight = th.light(v.Schedule)
			}
		}
	}
	for _, l := range []string{v.CostLight, v.ScheduleLight, v.RiskLight} {
		if lightRank[l] > lightRank[v.Light] {
			v.Light = l
		}
	}
	return v
}

// parseMilestones reads one milestone a line: "name date [date [date]]",
// the dates being, for a baseline, the planned one, for progress, the
// projected and the actual one. Errors name the line.
func parseMilestones(text string, dates int, field string) ([]Milestone, error) {
	var out []Milestone
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r", ""), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(out) >= 50 {
			return nil, i18n.Errorf("里程碑最多 50 个", "at most 50 milestones").OnField(field)
		}
		// the trailing fields that are dates; the rest is the name
		k := len(f)
		var ds []string
		for k > 1 && len(ds) < dates {
			d, err := parseDate(f[k-1], field)
			if err != nil {
				break
			}
			ds = append([]string{d}, ds...)
			k--
		}
		name := strings.Join(f[:k], " ")
		if len(ds) == 0 || len([]rune(name)) > 100 {
			return nil, i18n.Errorf("第 %d 行应为“里程碑名称 日期”（日期写作 YYYY-MM-DD）：%q", "line %d must be “milestone date” (dates written YYYY-MM-DD): %q", i+1, line).OnField(field)
		}
		m := Milestone{Name: name}
		if dates == 1 {
			m.Planned = ds[0]
		} else {
			m.Projected = ds[0]
			if len(ds) > 1 {
				m.Actual = ds[1]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// NewBaseline is what the office enters: dates YYYY-MM-DD, milestones one
// a line ("name YYYY-MM-DD").
type NewBaseline struct {
	Start, End string
	Cost       Money
	Milestones string
	Reason     string
}

// SetBaseline records a new baseline version of project id in scopes. The
// first is the baseline; each later one is a rebaseline and needs a reason.
func (s *Service) SetBaseline(ctx context.Context, a audit.Actor, scopes []string, id int64, n NewBaseline) error {
	start, err := parseDate(n.Start, "start")
	if err != nil {
		return err
	}
	end, err := parseDate(n.End, "end")
	if err != nil {
		return err
	}
	if start == "" || end == "" {
		return i18n.Errorf("请填写基线的开始和完成日期", "enter the baseline's start and end dates").OnField("start")
	}
	if end <= start {
		return i18n.Errorf("完成日期应晚于开始日期", "the end must be after the start").OnField("end")
	}
	if n.Cost <= 0 {
		return i18n.Errorf("基线投资应大于 0（万元）", "the baseline cost must be more than 0 (10,000 yuan)").OnField("cost")
	}
	ms, err := parseMilestones(n.Milestones, 1, "milestones")
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Planned < start || m.Planned > end {
			return i18n.Errorf("里程碑“%s”的计划日期 %s 不在基线的开始和完成日期之间", "the milestone %q is planned for %s, outside the baseline's start and end", m.Name, m.Planned).OnField("milestones")
		}
	}
	reason, err := limitText(n.Reason, 2000, "reason", "调整理由", "reason")
	if err != nil {
		return err
	}
	msJSON, _ := json.Marshal(ms)
	return s.writeTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		var version int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM project_baseline WHERE project_id = $1`, id).Scan(&version); err != nil {
			return fmt.Errorf("project: baseline: %w", err)
		}
		version++
		if version > 1 && reason == "" {
			return i18n.Errorf("重新设定基线须说明理由", "a rebaseline needs a reason").OnField("reason")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_baseline (project_id, version, start_date, end_date, cost, milestones, reason, actor_name, at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, id, version, start, end, int64(n.Cost), string(msJSON), reason, a.Name, s.now()); err != nil {
			return fmt.Errorf("project: baseline: %w", err)
		}
		kind, body := "baseline", fmt.Sprintf("基线：%s 至 %s，投资 %s 万元", start, end, n.Cost.Wan())
		if version > 1 {
			kind, body = "rebaseline", fmt.Sprintf("第 %d 次调整基线：%s 至 %s，投资 %s 万元。理由：%s", version-1, start, end, n.Cost.Wan(), reason)
		}
		if err := s.event(ctx, tx, a, id, kind, p.Stage, body); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, kind, "project", strconv.FormatInt(id, 10), p.OwnerPath, nil,
			map[string]any{"version": version, "start": start, "end": end, "cost": n.Cost.Wan(), "milestones": ms, "reason": reason})
	})
}

// NewProgress is what the owner unit reports: dates YYYY-MM-DD, amounts in
// 万元 (nil: unknown), milestones one a line ("name projected [actual]").
type NewProgress struct {
	ProjectedEnd  string
	ProjectedCost *Money
	ActualStart   string
	ActualEnd     string
	ActualCost    *Money
	Milestones    string
}

// ReportProgress replaces the reported progress of project id in scopes.
// The project needs a baseline first.
func (s *Service) ReportProgress(ctx context.Context, a audit.Actor, scopes []string, id int64, n NewProgress) error {
	var pr Progress
	var err error
	if pr.ProjectedEnd, err = parseDate(n.ProjectedEnd, "projected_end"); err != nil {
		return err
	}
	if pr.ActualStart, err = parseDate(n.ActualStart, "actual_start"); err != nil {
		return err
	}
	if pr.ActualEnd, err = parseDate(n.ActualEnd, "actual_end"); err != nil {
		return err
	}
	for _, m := range []*Money{n.ProjectedCost, n.ActualCost} {
		if m != nil && *m < 0 {
			return i18n.Errorf("金额不能为负数", "an amount cannot be negative").OnField("projected_cost")
		}
	}
	pr.ProjectedCost, pr.ActualCost = n.ProjectedCost, n.ActualCost
	if pr.Milestones, err = parseMilestones(n.Milestones, 2, "progress_milestones"); err != nil {
		return err
	}
	pr.ActorName, pr.At = a.Name, s.now()
	return s.writeTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_baseline WHERE project_id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("project: progress: %w", err)
		}
		if n == 0 {
			return i18n.Errorf("项目尚无基线，请先由信息化办公室设定基线", "the project has no baseline yet; the office sets it first")
		}
		body, _ := json.Marshal(pr)
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_progress WHERE project_id = $1`, id); err != nil {
			return fmt.Errorf("project: progress: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_progress (project_id, body, at) VALUES ($1,$2,$3)`, id, string(body), pr.At); err != nil {
			return fmt.Errorf("project: progress: %w", err)
		}
		text := "进展："
		if pr.ProjectedEnd != "" {
			text += "预计完成 " + pr.ProjectedEnd + "；"
		}
		if pr.ProjectedCost != nil {
			text += "预计投资 " + pr.ProjectedCost.Wan() + " 万元；"
		}
		if pr.ActualEnd != "" {
			text += "实际完成 " + pr.ActualEnd + "；"
		}
		if pr.ActualCost != nil {
			text += "实际投资 " + pr.ActualCost.Wan() + " 万元；"
		}
		if err := s.event(ctx, tx, a, id, "progress", p.Stage, strings.TrimSuffix(text, "；")); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "progress", "project", strconv.FormatInt(id, 10), p.OwnerPath, nil, pr)
	})
}

// Thresholds returns the office's thresholds, or the defaults.
func (s *Service) Thresholds(ctx context.Context) (Thresholds, error) {
	th := DefaultThresholds
	var body string
	err := s.DB.R.QueryRowContext(ctx, `SELECT value FROM project_setting WHERE name = 'thresholds'`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return th, nil
	}
	if err != nil {
		return th, fmt.Errorf("project: thresholds: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &th); err != nil {
		return DefaultThresholds, nil
	}
	return th, nil
}

// SetThresholds stores the office's thresholds.
func (s *Service) SetThresholds(ctx context.Context, a audit.Actor, th Thresholds) error {
	if th.Amber < 1 || th.Amber > 100 || th.Red <= th.Amber || th.Red > 500 {
		return i18n.Errorf("黄灯阈值应在 1–100 之间，红灯阈值应大于黄灯阈值且不超过 500（%%）", "the amber threshold must be 1–100 and the red one above it, at most 500 (%%)").OnField("amber")
	}
	if th.StaleDays < 7 || th.StaleDays > 730 {
		return i18n.Errorf("评级过期天数应在 7 至 730 之间", "a rating goes stale after 7 to 730 days").OnField("stale_days")
	}
	before, err := s.Thresholds(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(th)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_setting WHERE name = 'thresholds'`); err != nil {
			return fmt.Errorf("project: thresholds: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_setting (name, value) VALUES ('thresholds', $1)`, string(body)); err != nil {
			return fmt.Errorf("project: thresholds: %w", err)
		}
		return audit.Record(ctx, tx, a, "thresholds", "project_setting", "thresholds", "/41/", before, th)
	})
}

// Supervise returns the supervision state of project p (the caller has
// seen it) with its variance under th.
func (s *Service) Supervise(ctx context.Context, p *Project, th Thresholds) (*Supervision, error) {
	sv := &Supervision{}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT version, start_date, end_date, cost, milestones, reason, actor_name, at FROM project_baseline
		WHERE project_id = $1 ORDER BY version DESC`, p.ID)
	if err != nil {
		return nil, fmt.Errorf("project: baselines: %w", err)
	}
	for rows.Next() {
		var b Baseline
		var cost int64
		var ms string
		if err := rows.Scan(&b.Version, &b.Start, &b.End, &cost, &ms, &b.Reason, &b.ActorName, &b.At); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: baselines: %w", err)
		}
		b.Cost = Money(cost)
		_ = json.Unmarshal([]byte(ms), &b.Milestones)
		sv.Baselines = append(sv.Baselines, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var body string
	err = s.DB.R.QueryRowContext(ctx, `SELECT body FROM project_progress WHERE project_id = $1`, p.ID).Scan(&body)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("project: progress: %w", err)
	}
	if err == nil {
		sv.Progress = &Progress{}
		if err := json.Unmarshal([]byte(body), sv.Progress); err != nil {
			return nil, fmt.Errorf("project: progress: %w", err)
		}
	}
	if sv.Actions, err = s.actions(ctx, p.ID); err != nil {
		return nil, err
	}
	sv.Variance = ComputeVariance(sv.Current(), sv.Progress, p.Risk, th)
	return sv, nil
}

func (s *Service) actions(ctx context.Context, id int64) ([]Action, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, plan, review_due, actor_name, at, review, reviewed_by, reviewed_at FROM project_action
		WHERE project_id = $1 ORDER BY id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("project: actions: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var x Action
		var at sql.NullTime
		if err := rows.Scan(&x.ID, &x.Plan, &x.ReviewDue, &x.ActorName, &x.At, &x.Review, &x.ReviewedBy, &at); err != nil {
			return nil, fmt.Errorf("project: actions: %w", err)
		}
		if at.Valid {
			t := at.Time
			x.ReviewedAt = &t
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ActionCheck is the rule of red projects: while the light is red, an
// action plan is needed, and the latest one must have had its follow-up
// review once its review date has passed. It blocks submitting a gate.
func ActionCheck(sv *Supervision, today string) Check {
	c := Check{Key: "action_plan", Blocks: "submit", OK: true,
		Text: i18n.Text{Zh: "红灯项目已制定整改计划，到期已跟踪复核", En: "a red project has an action plan, reviewed when due"}}
	if sv.Variance.Light != "red" {
		return c
	}
	if len(sv.Actions) == 0 {
		c.OK = false
		c.Text = i18n.Text{Zh: "项目亮红灯，须制定整改计划", En: "the project is red: an action plan is required"}
		return c
	}
	if last := sv.Actions[0]; last.Open() && last.ReviewDue < today {
		c.OK = false
		c.Text = i18n.Text{Zh: "整改计划的跟踪复核已于 " + last.ReviewDue + " 到期，须由信息化办公室复核", En: "the follow-up review of the action plan was due on " + last.ReviewDue + "; the office must review it"}
	}
	return c
}

// AddAction records the owner unit's action plan for project id in scopes,
// with the date of its follow-up review.
func (s *Service) AddAction(ctx context.Context, a audit.Actor, scopes []string, id int64, plan, reviewDue string) error {
	plan, err := limitText(plan, 5000, "plan", "整改计划", "action plan")
	if err != nil {
		return err
	}
	if plan == "" {
		return i18n.Errorf("请填写整改计划", "the action plan is required").OnField("plan")
	}
	due, err := parseDate(reviewDue, "review_due")
	if err != nil {
		return err
	}
	if due == "" || due < s.Today() {
		return i18n.Errorf("请填写不早于今天的跟踪复核日期", "enter a follow-up review date from today on").OnField("review_due")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_action (project_id, plan, review_due, actor_name, at, review, reviewed_by)
			VALUES ($1,$2,$3,$4,$5,'','')`, id, plan, due, a.Name, s.now()); err != nil {
			return fmt.Errorf("project: action: %w", err)
		}
		if err := s.event(ctx, tx, a, id, "action", p.Stage, "整改计划（"+due+" 跟踪复核）："+plan); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "action", "project", strconv.FormatInt(id, 10), p.OwnerPath, nil, map[string]any{"plan": plan, "review_due": due})
	})
}

// ReviewAction records the office's follow-up review of the latest open
// action plan of project id in scopes.
func (s *Service) ReviewAction(ctx context.Context, a audit.Actor, scopes []string, id int64, review string) error {
	review, err := limitText(review, 5000, "review", "复核意见", "review")
	if err != nil {
		return err
	}
	if review == "" {
		return i18n.Errorf("请填写复核意见", "the review is required").OnField("review")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		var aid int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM project_action WHERE project_id = $1 AND reviewed_at IS NULL ORDER BY id DESC LIMIT 1`, id).Scan(&aid)
		if errors.Is(err, sql.ErrNoRows) {
			return i18n.Errorf("没有待复核的整改计划", "no action plan awaits its review")
		}
		if err != nil {
			return fmt.Errorf("project: review: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_action SET review = $1, reviewed_by = $2, reviewed_at = $3 WHERE id = $4`, review, a.Name, s.now(), aid); err != nil {
			return fmt.Errorf("project: review: %w", err)
		}
		if err := s.event(ctx, tx, a, id, "action_review", p.Stage, "整改跟踪复核："+review); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "action_review", "project", strconv.FormatInt(id, 10), p.OwnerPath, nil, map[string]any{"action": aid, "review": review})
	})
}

// KindStale tells the office a project's risk rating is stale.
var KindStale = notify.DefineKind("project.stale", "project.notify.kind.stale", false)

// StaleStages are the stages in which a project's risk is rated.
var StaleStages = []string{Implement, InitialAccept, FinalAccept}

// NotifyStale tells the office covering each project being implemented
// whose latest risk rating is older than the thresholds' StaleDays (or
// that was never rated since it entered those stages) — once per stale
// period — and returns how many projects it reported.
func (s *Service) NotifyStale(ctx context.Context) (int, error) {
	th, err := s.Thresholds(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	cut := now.Add(-time.Duration(th.StaleDays) * 24 * time.Hour)
	var a store.Args
	q := `SELECT p.id, p.name, p.owner_path FROM project_project p
		WHERE p.stage IN (` + store.In(&a, StaleStages) + `) AND p.status <> 'completed' AND (p.stale_notified_at IS NULL OR p.stale_notified_at < ` + a.Add(cut) + `)`
	rows, err := s.DB.R.QueryContext(ctx, q, a...)
	if err != nil {
		return 0, fmt.Errorf("project: stale: %w", err)
	}
	type stale struct {
		id         int64
		name, path string
		last       sql.NullTime
	}
	var todo []stale
	var cands []stale
	for rows.Next() {
		var x stale
		if err := rows.Scan(&x.id, &x.name, &x.path); err != nil {
			rows.Close()
			return 0, fmt.Errorf("project: stale: %w", err)
		}
		cands = append(cands, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, x := range cands {
		err := s.DB.R.QueryRowContext(ctx, `SELECT at FROM project_rating WHERE project_id = $1 ORDER BY id DESC LIMIT 1`, x.id).Scan(&x.last.Time)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("project: stale: %w", err)
		}
		x.last.Valid = err == nil
		if !x.last.Valid || x.last.Time.Before(cut) {
			todo = append(todo, x)
		}
	}
	for _, x := range todo {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			since := i18n.Text{Zh: "从未评级", En: "never rated"}
			if x.last.Valid {
				d := x.last.Time.In(shanghai).Format(dateLayout)
				since = i18n.Text{Zh: "上次评级 " + d, En: "last rated on " + d}
			}
			if _, err := notify.Send(ctx, tx, notify.Message{Kind: KindStale, Key: "project.notify.stale",
				Args: []any{x.name, since, strconv.Itoa(th.StaleDays)}, Link: Link(x.id),
				To: []notify.Recipient{notify.Covering(auth.Office, x.path)}}); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE project_project SET stale_notified_at = $1 WHERE id = $2`, now, x.id)
			return err
		})
		if err != nil {
			return 0, fmt.Errorf("project: stale: %w", err)
		}
	}
	return len(todo), nil
}

// Today is the service's date in Shanghai, YYYY-MM-DD.
func (s *Service) Today() string { return s.Now().In(shanghai).Format(dateLayout) }

// SupervisedRow is a project with a baseline, for the office's list.
type SupervisedRow struct {
	ID       int64
	Number   string
	Name     string
	Owner    string
	Version  int
	End      string
	Cost     Money
	Risk     int
	Variance Variance
}

// MaxSupervised bounds the office's list.
const MaxSupervised = 500

// Supervised lists the projects in scopes that have a baseline, worst
// light first, at most MaxSupervised.
func (s *Service) Supervised(ctx context.Context, scopes []string, th Thresholds) ([]SupervisedRow, error) {
	if len(scopes) == 0 {
		return nil, ErrOutside
	}
	var a store.Args
	var sc []string
	for _, p := range scopes {
		sc = append(sc, "owner_path LIKE "+a.Add(p+"%"))
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+projectCols+` FROM project_project WHERE (`+strings.Join(sc, " OR ")+`)
		AND id IN (SELECT project_id FROM project_baseline) ORDER BY id LIMIT `+strconv.Itoa(MaxSupervised), a...)
	if err != nil {
		return nil, fmt.Errorf("project: supervised: %w", err)
	}
	var ps []*Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: supervised: %w", err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []SupervisedRow{}
	for _, p := range ps {
		sv, err := s.Supervise(ctx, p, th)
		if err != nil {
			return nil, err
		}
		b := sv.Current()
		out = append(out, SupervisedRow{ID: p.ID, Number: p.Number, Name: p.Name, Owner: p.OwnerName, Version: b.Version, End: b.End, Cost: b.Cost,
			Risk: p.Risk, Variance: sv.Variance})
	}
	slices.SortStableFunc(out, func(x, y SupervisedRow) int { return lightRank[y.Variance.Light] - lightRank[x.Variance.Light] })
	return out, nil
}

// ErrWholeNumber is the error of a field that needs a whole number.
func ErrWholeNumber(field string) error {
	return i18n.Errorf("请填写整数", "enter a whole number").OnField(field)
}

// MilestoneProjected is the projected date reported for milestone name.
func (s *Supervision) MilestoneProjected(name string) string {
	if s.Progress != nil {
		for _, m := range s.Progress.Milestones {
			if m.Name == name {
				return m.Projected
			}
		}
	}
	return ""
}

// MilestoneActual is the actual date reported for milestone name.
func (s *Supervision) MilestoneActual(name string) string {
	if s.Progress != nil {
		for _, m := range s.Progress.Milestones {
			if m.Name == name {
				return m.Actual
			}
		}
	}
	return ""
}
