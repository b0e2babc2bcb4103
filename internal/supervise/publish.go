package supervise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// States of a published assessment: open for appeals (申诉期) until its
// appeal deadline, then final once the office closes it.
const (
	PubAppeal = "appeal"
	PubFinal  = "final"
)

// Appeal states.
const (
	AppealOpen     = "open"
	AppealUpheld   = "upheld"
	AppealRejected = "rejected"
)

// MaxAdjust bounds one bonus or penalty (加减分), in points of the total.
const MaxAdjust = 20

// DefaultAppealDays is the appeal window after publication, in working days.
const DefaultAppealDays = 10

// Publication is one published version of a year's assessment of a
// group: the scores as they were published, never recomputed. A new
// version replaces it on the page only when the office publishes again,
// and every version stays readable.
type Publication struct {
	Year        int         `json:"year"`
	Group       string      `json:"group"`
	Version     int         `json:"version"`
	State       string      `json:"state"`
	PublishedAt time.Time   `json:"published_at"`
	PublishedBy string      `json:"published_by"`
	AppealUntil string      `json:"appeal_until"`
	FinalAt     *time.Time  `json:"final_at,omitempty"`
	Result      *Assessment `json:"result"`
}

// Adjustment is a bonus (positive) or penalty (negative) on one unit's
// total for a year, with its reason and evidence.
type Adjustment struct {
	ID       int64     `json:"id"`
	Year     int       `json:"year"`
	Group    string    `json:"group"`
	Unit     string    `json:"unit"`
	Points   float64   `json:"points"`
	Reason   string    `json:"reason"`
	Evidence string    `json:"evidence,omitempty"`
	AppealID int64     `json:"appeal_id,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// Appeal is a unit's objection (申诉) to its published score.
type Appeal struct {
	ID        int64      `json:"id"`
	Year      int        `json:"year"`
	Group     string     `json:"group"`
	Unit      string     `json:"unit"`
	UnitName  string     `json:"unit_name"`
	UnitPath  string     `json:"-"`
	Text      string     `json:"text"`
	By        string     `json:"by"`
	At        time.Time  `json:"at"`
	State     string     `json:"state"`
	Decision  string     `json:"decision,omitempty"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

func checkGroup(group string) error {
	if _, ok := Groups[group]; !ok {
		return i18n.Errorf("考核组应为 city、county 或 department：%q", "the group must be city, county or department: %q", group).OnField("group")
	}
	return nil
}

// publication reads the latest version of year's publication of group, or
// nil when it was never published.
func publication(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, year int, group string) (*Publication, error) {
	var p Publication
	var res string
	var final sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT year, grp, version, state, published_at, published_by, appeal_until, final_at, result
		FROM supervise_publication WHERE year = $1 AND grp = $2 ORDER BY version DESC LIMIT 1`, year, group).
		Scan(&p.Year, &p.Group, &p.Version, &p.State, &p.PublishedAt, &p.PublishedBy, &p.AppealUntil, &final, &res)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("supervise: publication: %w", err)
	}
	p.PublishedAt = p.PublishedAt.UTC()
	if final.Valid {
		t := final.Time.UTC()
		p.FinalAt = &t
	}
	if err := json.Unmarshal([]byte(res), &p.Result); err != nil {
		return nil, fmt.Errorf("supervise: publication %d/%s v%d: %w", year, group, p.Version, err)
	}
	return &p, nil
}

// Published returns the latest published version of year's assessment of
// group with the rows of scopes, or nil when it was never published.
func (s *Service) Published(ctx context.Context, scopes []string, year int, group string) (*Publication, error) {
	if err := checkGroup(group); err != nil {
		return nil, err
	}
	p, err := publication(ctx, s.DB.R, year, group)
	if err != nil || p == nil {
		return p, err
	}
	paths, err := unitPaths(ctx, s.DB, p.Result.Rows)
	if err != nil {
		return nil, err
	}
	rows := p.Result.Rows[:0:0]
	for _, r := range p.Result.Rows {
		if inScopes(paths[r.Unit], scopes) {
			rows = append(rows, r)
		}
	}
	p.Result.Rows = rows
	return p, nil
}

// Versions lists every published version of year's assessment of group,
// newest first, without their rows.
func (s *Service) Versions(ctx context.Context, year int, group string) ([]Publication, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT version, state, published_at, published_by, appeal_until FROM supervise_publication
		WHERE year = $1 AND grp = $2 ORDER BY version DESC`, year, group)
	if err != nil {
		return nil, fmt.Errorf("supervise: versions: %w", err)
	}
	defer rows.Close()
	var out []Publication
	for rows.Next() {
		p := Publication{Year: year, Group: group}
		if err := rows.Scan(&p.Version, &p.State, &p.PublishedAt, &p.PublishedBy, &p.AppealUntil); err != nil {
			return nil, fmt.Errorf("supervise: versions: %w", err)
		}
		p.PublishedAt = p.PublishedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

func unitPaths(ctx context.Context, db *store.DB, rows []Row) (map[string]string, error) {
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Unit
	}
	us, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, u := range us {
		out[u.Code] = u.Path
	}
	return out, nil
}

func errFinal(year int, group string) error {
	return userErr(fmt.Sprintf("%d 年%s考核结果已终审，不能再更改", year, groupZh[group]), fmt.Sprintf("the %d assessment of %s is final and cannot change", year, group))
}

var groupZh = map[string]string{"city": "省辖市", "county": "县（市、区）", "department": "省直部门"}

// Publish computes year's assessment of group (adjustments included) and
// publishes it as a new version, open for appeals for appealDays working
// days. A final year cannot be published again.
func (s *Service) Publish(ctx context.Context, a audit.Actor, schemes *Schemes, year int, group string, appealDays int) (*Publication, error) {
	if err := checkGroup(group); err != nil {
		return nil, err
	}
	if appealDays < 1 || appealDays > 30 {
		return nil, i18n.Errorf("申诉期应为 1 到 30 个工作日", "the appeal window must be 1 to 30 working days").OnField("appeal_days")
	}
	res, err := s.Assess(ctx, schemes, []string{"/" + orgunit.Root + "/"}, year, group)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	until := FormatDate(s.Calendar().AddWorkingDays(s.Today(), appealDays))
	var out *Publication
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("supervise_publication/%d/%s", year, group)); err != nil {
			return err
		}
		prev, err := publication(ctx, tx, year, group)
		if err != nil {
			return err
		}
		version := 1
		if prev != nil {
			if prev.State == PubFinal {
				return errFinal(year, group)
			}
			version = prev.Version + 1
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supervise_publication (year, grp, version, state, published_at, published_by, appeal_until, result)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, year, group, version, PubAppeal, now, a.Name, until, string(body)); err != nil {
			return err
		}
		out = &Publication{Year: year, Group: group, Version: version, State: PubAppeal, PublishedAt: now, PublishedBy: a.Name, AppealUntil: until, Result: res}
		var before any
		if prev != nil {
			before = map[string]any{"version": prev.Version, "scores": scoreMap(prev.Result)}
		}
		return audit.Record(ctx, tx, a, "publish", "supervise_assessment", fmt.Sprintf("%d/%s", year, group), "/"+orgunit.Root+"/",
			before, map[string]any{"version": version, "appeal_until": until, "scores": scoreMap(res)})
	})
	return out, err
}

func scoreMap(a *Assessment) map[string]any {
	m := map[string]any{}
	for _, r := range a.Rows {
		if r.Score != nil {
			m[r.Unit] = *r.Score
		}
	}
	return m
}

// Finalize closes year's published assessment of group (终审): no more
// appeals, adjustments or versions. Refused while an appeal is open or
// before the appeal window ends.
func (s *Service) Finalize(ctx context.Context, a audit.Actor, year int, group string) error {
	if err := checkGroup(group); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("supervise_publication/%d/%s", year, group)); err != nil {
			return err
		}
		p, err := publication(ctx, tx, year, group)
		if err != nil {
			return err
		}
		switch {
		case p == nil:
			return userErr(fmt.Sprintf("%d 年%s考核结果尚未发布", year, groupZh[group]), fmt.Sprintf("the %d assessment of %s has not been published", year, group))
		case p.State == PubFinal:
			return errFinal(year, group)
		case FormatDate(s.Today()) <= p.AppealUntil:
			return i18n.Errorf("申诉期至 %s，期满后才能终审", "appeals are open until %s; the result can be made final after that", p.AppealUntil)
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM supervise_appeal WHERE year = $1 AND grp = $2 AND state = $3`, year, group, AppealOpen).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return i18n.Errorf("还有 %d 件申诉未处理", "%d appeals are still open", open)
		}
		now := s.stamp()
		if _, err := tx.ExecContext(ctx, `UPDATE supervise_publication SET state = $1, final_at = $2 WHERE year = $3 AND grp = $4 AND version = $5`,
			PubFinal, now, year, group, p.Version); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "finalize", "supervise_assessment", fmt.Sprintf("%d/%s", year, group), "/"+orgunit.Root+"/",
			map[string]any{"state": p.State}, map[string]any{"state": PubFinal, "version": p.Version})
	})
}

// groupUnit reads unit and checks that it belongs to group and to scopes.
func groupUnit(ctx context.Context, db *store.DB, scopes []string, group, unit string) (orgunit.Unit, error) {
	if err := checkGroup(group); err != nil {
		return orgunit.Unit{}, err
	}
	u, err := orgunit.Get(ctx, db, strings.TrimSpace(unit))
	if err != nil {
		return u, i18n.Errorf("未知的单位 %q", "unknown unit %q", unit).OnField("unit")
	}
	if u.Kind != Groups[group] {
		return u, userErr(fmt.Sprintf("%s 不属于考核组%s", u.Name, groupZh[group]), fmt.Sprintf("%s is not in the %s group", u.Name, group)).OnField("unit")
	}
	if !inScopes(u.Path, scopes) {
		return u, ErrOutside
	}
	return u, nil
}

// Adjust records a bonus or penalty (加减分) on unit's total for year,
// with its reason and evidence. It shows in the live assessment at once
// and in the published one only once the office publishes again.
func (s *Service) Adjust(ctx context.Context, a audit.Actor, scopes []string, year int, group, unit string, points float64, reason, evidence string) (int64, error) {
	u, err := groupUnit(ctx, s.DB, scopes, group, unit)
	if err != nil {
		return 0, err
	}
	reason, evidence = strings.TrimSpace(reason), strings.TrimSpace(evidence)
	switch {
	case points == 0 || math.IsNaN(points) || math.Abs(points) > MaxAdjust:
		return 0, i18n.Errorf("加减分应在 -%d 到 %d 之间且不为 0", "the points must be between -%d and %d and not 0", MaxAdjust, MaxAdjust).OnField("points")
	case reason == "":
		return 0, i18n.Errorf("请写明加减分理由", "give the reason for the points").OnField("reason")
	case len([]rune(reason)) > 500 || len([]rune(evidence)) > 2000:
		return 0, i18n.Errorf("理由最多 500 字，依据最多 2000 字", "the reason is at most 500 characters and the evidence 2000").OnField("reason")
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		id, err = s.adjust(ctx, tx, a, year, group, u, round2(points), reason, evidence, 0)
		return err
	})
	return id, err
}

func (s *Service) adjust(ctx context.Context, tx *store.Tx, a audit.Actor, year int, group string, u orgunit.Unit, points float64, reason, evidence string, appeal int64) (int64, error) {
	if err := tx.Lock(ctx, fmt.Sprintf("supervise_publication/%d/%s", year, group)); err != nil {
		return 0, err
	}
	p, err := publication(ctx, tx, year, group)
	if err != nil {
		return 0, err
	}
	if p != nil && p.State == PubFinal {
		return 0, errFinal(year, group)
	}
	var before float64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(sum(points), 0) FROM supervise_adjustment WHERE year = $1 AND grp = $2 AND unit_code = $3`,
		year, group, u.Code).Scan(&before); err != nil {
		return 0, err
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO supervise_adjustment (year, grp, unit_code, unit_path, points, reason, evidence, appeal_id, actor_id, actor_name, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, year, group, u.Code, u.Path, points, reason, evidence, appeal,
		a.UserID, a.Name, s.stamp()).Scan(&id); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, a, "adjust", "supervise_assessment", fmt.Sprintf("%d/%s/%s", year, group, u.Code), u.Path,
		map[string]any{"adjustment_total": before},
		map[string]any{"adjustment_total": round2(before + points), "points": points, "reason": reason, "evidence": evidence})
}

// Adjustments lists year's adjustments of group's units in scopes.
func (s *Service) Adjustments(ctx context.Context, scopes []string, year int, group string) ([]Adjustment, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, year, grp, unit_code, unit_path, points, reason, evidence, appeal_id, actor_name, at
		FROM supervise_adjustment WHERE year = $1 AND grp = $2 ORDER BY id`, year, group)
	if err != nil {
		return nil, fmt.Errorf("supervise: adjustments: %w", err)
	}
	defer rows.Close()
	var out []Adjustment
	for rows.Next() {
		var x Adjustment
		var path string
		if err := rows.Scan(&x.ID, &x.Year, &x.Group, &x.Unit, &path, &x.Points, &x.Reason, &x.Evidence, &x.AppealID, &x.By, &x.At); err != nil {
			return nil, fmt.Errorf("supervise: adjustments: %w", err)
		}
		x.At = x.At.UTC()
		if inScopes(path, scopes) {
			out = append(out, x)
		}
	}
	return out, rows.Err()
}

// FileAppeal records unit's appeal against its published score while the
// appeal window is open; a unit has at most one open appeal per year.
func (s *Service) FileAppeal(ctx context.Context, a audit.Actor, scopes []string, year int, group, unit, text string) (int64, error) {
	u, err := groupUnit(ctx, s.DB, scopes, group, unit)
	if err != nil {
		return 0, err
	}
	text = strings.TrimSpace(text)
	if text == "" || len([]rune(text)) > 2000 {
		return 0, i18n.Errorf("请写明申诉理由（最多 2000 字）", "give the grounds of the appeal (at most 2000 characters)").OnField("text")
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, fmt.Sprintf("supervise_publication/%d/%s", year, group)); err != nil {
			return err
		}
		p, err := publication(ctx, tx, year, group)
		if err != nil {
			return err
		}
		switch {
		case p == nil:
			return userErr(fmt.Sprintf("%d 年%s考核结果尚未发布，不能申诉", year, groupZh[group]), fmt.Sprintf("the %d assessment of %s has not been published; there is nothing to appeal", year, group))
		case p.State == PubFinal:
			return errFinal(year, group)
		case FormatDate(s.Today()) > p.AppealUntil:
			return i18n.Errorf("申诉期已于 %s 结束", "the appeal window closed on %s", p.AppealUntil)
		}
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM supervise_appeal WHERE year = $1 AND grp = $2 AND unit_code = $3 AND state = $4`,
			year, group, u.Code, AppealOpen).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return i18n.Errorf("%s 已有一件申诉正在处理", "%s already has an appeal being handled", u.Name)
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO supervise_appeal (year, grp, unit_code, unit_path, text, actor_id, actor_name, at, state, decision, decided_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, '', '') RETURNING id`, year, group, u.Code, u.Path, text, a.UserID, a.Name, s.stamp(), AppealOpen).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "appeal", "supervise_appeal", fmt.Sprint(id), u.Path, nil,
			map[string]any{"year": year, "group": group, "unit": u.Code, "text": text, "published_version": p.Version})
	})
	return id, err
}

const appealCols = `a.id, a.year, a.grp, a.unit_code, COALESCE(o.name, a.unit_code), a.unit_path, a.text, a.actor_name, a.at, a.state, a.decision, a.decided_by, a.decided_at
	FROM supervise_appeal a LEFT JOIN orgunit o ON o.code = a.unit_code`

func scanAppeal(sc interface{ Scan(...any) error }) (Appeal, error) {
	var x Appeal
	var dec sql.NullTime
	err := sc.Scan(&x.ID, &x.Year, &x.Group, &x.Unit, &x.UnitName, &x.UnitPath, &x.Text, &x.By, &x.At, &x.State, &x.Decision, &x.DecidedBy, &dec)
	x.At = x.At.UTC()
	if dec.Valid {
		t := dec.Time.UTC()
		x.DecidedAt = &t
	}
	return x, err
}

// Appeals lists year's appeals of group's units in scopes, oldest first.
func (s *Service) Appeals(ctx context.Context, scopes []string, year int, group string) ([]Appeal, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+appealCols+` WHERE a.year = $1 AND a.grp = $2 ORDER BY a.id`, year, group)
	if err != nil {
		return nil, fmt.Errorf("supervise: appeals: %w", err)
	}
	defer rows.Close()
	var out []Appeal
	for rows.Next() {
		x, err := scanAppeal(rows)
		if err != nil {
			return nil, fmt.Errorf("supervise: appeals: %w", err)
		}
		if inScopes(x.UnitPath, scopes) {
			out = append(out, x)
		}
	}
	return out, rows.Err()
}

// DecideAppeal upholds or rejects an open appeal with the office's
// reasons; an upheld appeal may carry an adjustment of the unit's total
// (points, 0 for none), recorded with the appeal. The published result
// changes only when the office publishes a new version.
func (s *Service) DecideAppeal(ctx context.Context, a audit.Actor, scopes []string, id int64, uphold bool, decision string, points float64) error {
	decision = strings.TrimSpace(decision)
	if decision == "" || len([]rune(decision)) > 2000 {
		return i18n.Errorf("请写明处理意见（最多 2000 字）", "give the decision's reasons (at most 2000 characters)").OnField("decision")
	}
	if math.IsNaN(points) || math.Abs(points) > MaxAdjust || (!uphold && points != 0) {
		return i18n.Errorf("加减分应在 -%d 到 %d 之间，驳回的申诉不加减分", "the points must be between -%d and %d, and a rejected appeal carries none", MaxAdjust, MaxAdjust).OnField("points")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		x, err := scanAppeal(tx.QueryRowContext(ctx, `SELECT `+appealCols+` WHERE a.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if !inScopes(x.UnitPath, scopes) {
			return ErrOutside
		}
		if x.State != AppealOpen {
			return i18n.Errorf("申诉 %d 已处理", "appeal %d has already been decided", id)
		}
		state := AppealRejected
		if uphold {
			state = AppealUpheld
		}
		res, err := tx.ExecContext(ctx, `UPDATE supervise_appeal SET state = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND state = $6`,
			state, decision, a.Name, s.stamp(), id, AppealOpen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return i18n.Errorf("申诉 %d 已处理", "appeal %d has already been decided", id)
		}
		if err := audit.Record(ctx, tx, a, "appeal_"+state, "supervise_appeal", fmt.Sprint(id), x.UnitPath,
			map[string]any{"state": AppealOpen}, map[string]any{"state": state, "decision": decision, "points": points}); err != nil {
			return err
		}
		if points == 0 {
			return nil
		}
		u := orgunit.Unit{Code: x.Unit, Path: x.UnitPath}
		_, err = s.adjust(ctx, tx, a, x.Year, x.Group, u, round2(points), fmt.Sprintf("申诉 %d：%s", id, decision), x.Text, id)
		return err
	})
}

// applyAdjustments adds each unit's adjustments of year to its total
// (never below 0) and records them on the row.
func applyAdjustments(rows []Row, adj []Adjustment) {
	by := map[string]float64{}
	for _, x := range adj {
		by[x.Unit] += x.Points
	}
	for i := range rows {
		d, ok := by[rows[i].Unit]
		if !ok {
			continue
		}
		d = round2(d)
		rows[i].Adjust = d
		if rows[i].Score != nil {
			v := round2(math.Max(0, *rows[i].Score+d))
			rows[i].Score = &v
		}
	}
}

func userErr(zh, en string) *i18n.Error { return &i18n.Error{Text: i18n.Text{Zh: zh, En: en}} }

// LatestYear is the latest year up to this one with work items or a
// published assessment (this year when there are none): the year the
// assessment pages open on.
func (s *Service) LatestYear(ctx context.Context) (int, error) {
	now := s.Today().Year()
	var y sql.NullInt64
	err := s.DB.R.QueryRowContext(ctx, `SELECT max(y) FROM (SELECT max(year) AS y FROM supervise_item WHERE year <= $1
		UNION ALL SELECT max(year) AS y FROM supervise_publication WHERE year <= $1) t`, now).Scan(&y)
	if err != nil {
		return 0, fmt.Errorf("supervise: latest year: %w", err)
	}
	if !y.Valid {
		return now, nil
	}
	return int(y.Int64), nil
}
