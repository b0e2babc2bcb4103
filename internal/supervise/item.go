package supervise

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/calendar"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/store"
)

// ErrOutside refuses an item or unit outside the caller's subtree.
var ErrOutside = errors.New("supervise: outside the caller's units")

// Stages of an item. Moves are only along [Edges].
const (
	Open     = "open"     // issued, being worked on (办理中)
	Returned = "returned" // sent back after review (退办)
	Closed   = "closed"   // finished after review (办结)
)

// Edges are the allowed stage moves: a returned item goes back to open
// when its unit reports again; closing needs an open item.
var Edges = map[string][]string{Open: {Returned, Closed}, Returned: {Open}}

// CanMove reports whether an item may move from stage from to stage to.
func CanMove(from, to string) bool {
	for _, s := range Edges[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Lights, worst first.
const (
	Red    = "red"    // overdue
	Yellow = "yellow" // behind schedule, returned or a milestone missed
	Blue   = "blue"   // deadline within WarnDays working days
	Green  = "green"  // on track
	Done   = "closed" // closed
)

// Milestone is a dated step of an item with the percent it should have
// reached by then.
type Milestone struct {
	Date    string `json:"date"`
	Percent int    `json:"percent"`
	Text    string `json:"text"`
}

// Item is one work item issued to one responsible unit.
type Item struct {
	ID           int64       `json:"id"`
	BatchID      int64       `json:"batch_id,omitempty"`
	Year         int         `json:"year"`
	TaskID       string      `json:"task"`
	Section      string      `json:"section"`
	Title        string      `json:"title"`
	Lead         string      `json:"lead"`
	Unit         string      `json:"unit"`
	UnitPath     string      `json:"unit_path"`
	UnitKind     string      `json:"unit_kind"`
	UnitName     string      `json:"unit_name"`
	Assist       []string    `json:"assist"`
	Deliverables string      `json:"deliverables"`
	Milestones   []Milestone `json:"milestones"`
	Targets      []string    `json:"targets"`
	Cadence      string      `json:"cadence"`
	Start        string      `json:"start"`
	Due          string      `json:"due"`
	OriginalDue  string      `json:"original_due"`
	DueDays      int         `json:"due_days,omitempty"`
	Stage        string      `json:"stage"`
	Percent      int         `json:"percent"`
	// ExtensionPending is the new deadline asked for, if a request waits.
	ExtensionPending string    `json:"extension_pending,omitempty"`
	ClosedOn         string    `json:"closed_on,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Light and LightWhy are computed when the item is read.
	Light    string `json:"status"`
	LightWhy string `json:"status_reason"`
}

// Service runs the module's operations over db with a working-day
// calendar and a clock.
type Service struct {
	DB *store.DB
	// Cal counts working days; nil is the installation's calendar
	// (calendar.Default: the embedded years and those the office entered).
	Cal Calendar
	Now func() time.Time
	// WarnDays is N of the blue light: the deadline is within N working days.
	WarnDays int
	// Inputs score the assessment's parts whose figures come from other
	// modules, by scheme source (DefaultInputs).
	Inputs map[string]Input
}

// New returns a service over db with the installation's working-day
// calendar (holidays and 调休 working weekends included), the system clock
// and a five-working-day warning.
func New(db *store.DB) *Service {
	return &Service{DB: db, Now: time.Now, WarnDays: 5, Inputs: DefaultInputs()}
}

// Calendar is the calendar the service counts working days with.
func (s *Service) Calendar() Calendar {
	if s.Cal != nil {
		return s.Cal
	}
	return calendar.Default()
}

// Today is the service's current date in Shanghai.
func (s *Service) Today() time.Time { return day(s.Now()) }

// ComputeLight returns the item's light on today and the reason for it.
func ComputeLight(it *Item, today time.Time, cal Calendar, warnDays int) (string, string) {
	if it.Stage == Closed {
		return Done, "closed"
	}
	due, err := ParseDate(it.Due)
	if err != nil {
		return Red, "bad_deadline"
	}
	today = day(today)
	if today.After(due) {
		return Red, "overdue"
	}
	if it.Stage == Returned {
		return Yellow, "returned"
	}
	for _, m := range it.Milestones {
		if md, err := ParseDate(m.Date); err == nil && today.After(md) && it.Percent < m.Percent {
			return Yellow, "milestone_missed"
		}
	}
	if start, err := ParseDate(it.Start); err == nil && today.After(start) {
		total := cal.WorkingDaysBetween(start, due)
		done := cal.WorkingDaysBetween(start, today)
		// Behind the straight line by more than ten points.
		if total > 0 && it.Percent*total+10*total < 100*done {
			return Yellow, "behind_schedule"
		}
	}
	if cal.WorkingDaysBetween(today, due) <= warnDays {
		return Blue, "due_soon"
	}
	return Green, "on_track"
}

// NewItem is what the office issues.
type NewItem struct {
	Year   int    `json:"year"`
	TaskID string `json:"task"`
	Title  string `json:"title"` // the task's title when empty
	// Units are the responsible units; Fanout "cities" or "counties"
	// issues one item to each city or county under Within (the province
	// when empty) instead.
	Units        []string    `json:"units"`
	Fanout       string      `json:"fanout"`
	Within       string      `json:"within"`
	Lead         string      `json:"lead"` // the task's lead department when empty
	Assist       []string    `json:"assist"`
	Deliverables string      `json:"deliverables"`
	Milestones   []Milestone `json:"milestones"`
	Targets      []string    `json:"targets"` // the task's targets when empty
	Cadence      string      `json:"cadence"` // monthly (default) or quarterly
	Start        string      `json:"start"`   // today when empty
	Due          string      `json:"due"`     // a date, or
	DueDays      int         `json:"due_days"`
}

// Create issues n to its units, one item per unit, and returns their ids.
// Every unit must lie in scopes (the caller's office subtrees).
func (s *Service) Create(ctx context.Context, a audit.Actor, scopes []string, n NewItem) ([]int64, error) {
	task, ok := plan.Default().Task(strings.TrimSpace(n.TaskID))
	if !ok {
		return nil, i18n.Errorf("规划中没有任务 %q", "the plan has no task %q", n.TaskID).OnField("task")
	}
	if n.Year < 2013 || n.Year > 2100 {
		return nil, i18n.Errorf("年度应在 2013 至 2100 之间：%d", "the year must be between 2013 and 2100: %d", n.Year).OnField("year")
	}
	title := strings.TrimSpace(n.Title)
	if title == "" {
		title = task.TitleZh
	}
	if len([]rune(title)) > 500 {
		return nil, i18n.Errorf("标题过长（最多 500 字）", "the title is too long (500 characters at most)").OnField("title")
	}
	lead := strings.TrimSpace(n.Lead)
	if lead == "" {
		lead = task.Lead
	}
	targets := n.Targets
	if len(targets) == 0 {
		targets = task.Targets
	}
	cadence := n.Cadence
	switch cadence {
	case "":
		cadence = "monthly"
	case "monthly", "quarterly":
	default:
		return nil, i18n.Errorf("报送周期应为 monthly 或 quarterly：%q", "the cadence must be monthly or quarterly: %q", cadence).OnField("cadence")
	}
	start := s.Today()
	if strings.TrimSpace(n.Start) != "" {
		t, err := ParseDate(strings.TrimSpace(n.Start))
		if err != nil {
			return nil, i18n.Errorf("开始日期应为 YYYY-MM-DD：%q", "the start date must be YYYY-MM-DD: %q", n.Start).OnField("start")
		}
		start = t
	}
	var due time.Time
	switch {
	case strings.TrimSpace(n.Due) != "" && n.DueDays != 0:
		return nil, i18n.Errorf("办结时限填日期或工作日数之一", "give the deadline as a date or as working days, not both").OnField("due")
	case strings.TrimSpace(n.Due) != "":
		t, err := ParseDate(strings.TrimSpace(n.Due))
		if err != nil {
			return nil, i18n.Errorf("办结时限应为 YYYY-MM-DD：%q", "the deadline must be YYYY-MM-DD: %q", n.Due).OnField("due")
		}
		due = t
	case n.DueDays > 0 && n.DueDays <= 1000:
		due = s.Calendar().AddWorkingDays(start, n.DueDays)
	default:
		return nil, i18n.Errorf("请填写办结时限（日期或 1–1000 个工作日）", "give a deadline (a date or 1–1000 working days)").OnField("due")
	}
	if due.Before(start) {
		return nil, i18n.Errorf("办结时限 %s 早于开始日期 %s", "the deadline %s is before the start %s", FormatDate(due), FormatDate(start)).OnField("due")
	}
	for i, m := range n.Milestones {
		t, err := ParseDate(m.Date)
		if err != nil || m.Percent < 0 || m.Percent > 100 || strings.TrimSpace(m.Text) == "" {
			return nil, i18n.Errorf("第 %d 个节点应有日期（YYYY-MM-DD）、0–100 的进度和说明", "milestone %d needs a date (YYYY-MM-DD), a percent 0–100 and a text", i+1).OnField("milestones")
		}
		if t.Before(start) || t.After(due) {
			return nil, i18n.Errorf("第 %d 个节点 %s 不在开始日期和办结时限之间", "milestone %d (%s) is not between the start and the deadline", i+1, m.Date).OnField("milestones")
		}
	}
	units, err := s.targetUnits(ctx, n)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if !inScopes(u.Path, scopes) {
			return nil, fmt.Errorf("%w: %s", ErrOutside, u.Code)
		}
	}
	for _, c := range n.Assist {
		if _, err := orgunit.Get(ctx, s.DB, c); err != nil {
			return nil, i18n.Errorf("协办单位 %q 不存在", "no assisting unit %q", c).OnField("assist")
		}
	}
	ms, _ := json.Marshal(nonNilMs(n.Milestones))
	var ids []int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := s.stamp()
		var batch sql.NullInt64
		for _, u := range units {
			var id int64
			err := tx.QueryRowContext(ctx, `INSERT INTO supervise_item (batch_id, year, task_id, section, title, lead_code, unit_code, unit_path, unit_kind,
				assist, deliverables, milestones, targets, cadence, start_on, due_on, original_due_on, due_days, stage, percent, extension_pending, closed_on, created_at, updated_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$16,$17,$18,0,'','',$19,$19) RETURNING id`,
				batch, n.Year, task.ID, task.Section, title, lead, u.Code, u.Path, u.Kind,
				strings.Join(n.Assist, ","), strings.TrimSpace(n.Deliverables), string(ms), strings.Join(targets, ","), cadence,
				FormatDate(start), FormatDate(due), n.DueDays, Open, now).Scan(&id)
			if err != nil {
				return fmt.Errorf("supervise: create item: %w", err)
			}
			if len(units) > 1 && !batch.Valid {
				batch = sql.NullInt64{Int64: id, Valid: true}
				if _, err := tx.ExecContext(ctx, `UPDATE supervise_item SET batch_id = $1 WHERE id = $1`, id); err != nil {
					return err
				}
			}
			if err := addEvent(ctx, tx, s.stamp(), a, id, "issue", title, 0, "", FormatDate(due)); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, a, "create", "supervise_item", fmt.Sprint(id), u.Path, nil,
				map[string]any{"task": task.ID, "unit": u.Code, "due": FormatDate(due), "year": n.Year}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

func nonNilMs(m []Milestone) []Milestone {
	if m == nil {
		return []Milestone{}
	}
	return m
}

// targetUnits resolves the units n is issued to.
func (s *Service) targetUnits(ctx context.Context, n NewItem) ([]orgunit.Unit, error) {
	if n.Fanout != "" {
		kind, level := orgunit.City, 2
		switch n.Fanout {
		case "cities":
		case "counties":
			kind, level = orgunit.County, 3
		default:
			return nil, i18n.Errorf("批量下达应为 cities 或 counties：%q", "issue to all must be cities or counties: %q", n.Fanout).OnField("fanout")
		}
		within := n.Within
		if within == "" {
			within = orgunit.Root
		}
		root, err := orgunit.Get(ctx, s.DB, within)
		if err != nil {
			return nil, i18n.Errorf("单位 %q 不存在", "no unit %q", within).OnField("within")
		}
		all, err := orgunit.Descendants(ctx, s.DB, root.Path, level, 0)
		if err != nil {
			return nil, err
		}
		var out []orgunit.Unit
		for _, u := range all {
			if u.Kind == kind {
				out = append(out, u)
			}
		}
		if len(out) == 0 {
			return nil, i18n.Errorf("%s 下没有可下达的单位", "there are no units to issue to under %s", within).OnField("fanout")
		}
		return out, nil
	}
	if len(n.Units) == 0 {
		return nil, i18n.Errorf("请选择责任单位", "choose the responsible units").OnField("units")
	}
	if len(n.Units) > 500 {
		return nil, i18n.Errorf("一次最多下达 500 个单位", "at most 500 units at once").OnField("units")
	}
	seen := map[string]bool{}
	var out []orgunit.Unit
	for _, c := range n.Units {
		c = strings.TrimSpace(c)
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		u, err := orgunit.Get(ctx, s.DB, c)
		if err != nil {
			return nil, i18n.Errorf("责任单位 %q 不存在", "no responsible unit %q", c).OnField("units")
		}
		out = append(out, u)
	}
	if len(out) == 0 {
		return nil, i18n.Errorf("请选择责任单位", "choose the responsible units").OnField("units")
	}
	return out, nil
}

func inScopes(path string, scopes []string) bool {
	for _, sc := range scopes {
		if orgunit.InSubtree(path, sc) {
			return true
		}
	}
	return false
}

const itemCols = `i.id, COALESCE(i.batch_id, 0), i.year, i.task_id, i.section, i.title, i.lead_code, i.unit_code, i.unit_path, i.unit_kind,
	COALESCE(o.name, i.unit_code), i.assist, i.deliverables, i.milestones, i.targets, i.cadence, i.start_on, i.due_on, i.original_due_on, i.due_days,
	i.stage, i.percent, i.extension_pending, i.closed_on, i.created_at, i.updated_at`

const itemFrom = ` FROM supervise_item i LEFT JOIN orgunit o ON o.code = i.unit_code`

func scanItem(sc interface{ Scan(...any) error }) (*Item, error) {
	var it Item
	var assist, ms, targets string
	if err := sc.Scan(&it.ID, &it.BatchID, &it.Year, &it.TaskID, &it.Section, &it.Title, &it.Lead, &it.Unit, &it.UnitPath, &it.UnitKind,
		&it.UnitName, &assist, &it.Deliverables, &ms, &targets, &it.Cadence, &it.Start, &it.Due, &it.OriginalDue, &it.DueDays,
		&it.Stage, &it.Percent, &it.ExtensionPending, &it.ClosedOn, &it.CreatedAt, &it.UpdatedAt); err != nil {
		return nil, err
	}
	it.Assist = split(assist)
	it.Targets = split(targets)
	if err := json.Unmarshal([]byte(ms), &it.Milestones); err != nil {
		return nil, fmt.Errorf("supervise: item %d milestones: %w", it.ID, err)
	}
	return &it, nil
}

func split(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// Item returns one item with its light, if it lies in scopes.
func (s *Service) Item(ctx context.Context, scopes []string, id int64) (*Item, error) {
	it, err := scanItem(s.DB.R.QueryRowContext(ctx, `SELECT `+itemCols+itemFrom+` WHERE i.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("supervise: item %d: %w", id, err)
	}
	if !inScopes(it.UnitPath, scopes) {
		return nil, ErrOutside
	}
	it.Light, it.LightWhy = ComputeLight(it, s.Today(), s.Calendar(), s.WarnDays)
	return it, nil
}

// Filter selects items.
type Filter struct {
	Scopes []string // the caller's subtrees; nothing when empty
	Unit   string   // a unit code: its subtree
	Light  string   // red, yellow, blue, green or closed
	Year   int
	// Limit caps the list at MaxList (0 or above MaxList is MaxList); a
	// negative Limit reads every item, for the assessment and reminders.
	Limit int
}

// MaxList bounds one list.
const MaxList = 5000

// Items lists the items matching f, worst light first, then by deadline.
func (s *Service) Items(ctx context.Context, f Filter) ([]*Item, error) {
	if len(f.Scopes) == 0 {
		return []*Item{}, nil
	}
	var a store.Args
	var scope []string
	for _, sc := range f.Scopes {
		lo, hi := orgunit.SubtreeRange(sc)
		scope = append(scope, "(i.unit_path >= "+a.Add(lo)+" AND i.unit_path < "+a.Add(hi)+")")
	}
	where := []string{"(" + strings.Join(scope, " OR ") + ")"}
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			return nil, i18n.Errorf("单位 %q 不存在", "no unit %q", f.Unit).OnField("unit")
		}
		lo, hi := orgunit.SubtreeRange(u.Path)
		where = append(where, "i.unit_path >= "+a.Add(lo)+" AND i.unit_path < "+a.Add(hi))
	}
	if f.Year != 0 {
		where = append(where, "i.year = "+a.Add(f.Year))
	}
	switch f.Light {
	case "":
	case Done:
		where = append(where, "i.stage = "+a.Add(Closed))
	case Red, Yellow, Blue, Green:
		where = append(where, "i.stage <> "+a.Add(Closed))
	default:
		return nil, i18n.Errorf("状态应为 red、yellow、blue、green 或 closed：%q", "the status must be red, yellow, blue, green or closed: %q", f.Light).OnField("status")
	}
	limit := f.Limit
	if limit == 0 || limit > MaxList {
		limit = MaxList
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+itemCols+itemFrom+` WHERE `+strings.Join(where, " AND ")+` ORDER BY i.due_on, i.id`, a...)
	if err != nil {
		return nil, fmt.Errorf("supervise: list items: %w", err)
	}
	defer rows.Close()
	today := s.Today()
	cal := Memo(s.Calendar())
	out := []*Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		it.Light, it.LightWhy = ComputeLight(it, today, cal, s.WarnDays)
		if f.Light != "" && it.Light != f.Light {
			continue
		}
		out = append(out, it)
		if len(out) == limit {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return lightRank[out[i].Light] < lightRank[out[j].Light] })
	return out, nil
}

var lightRank = map[string]int{Red: 0, Yellow: 1, Blue: 2, Green: 3, Done: 4}

// UnitOverdue is one unit's overdue items.
type UnitOverdue struct {
	Unit     string  `json:"unit"`
	UnitName string  `json:"unit_name"`
	Items    []*Item `json:"items"`
}

// Overdue lists the overdue (red) items in scopes grouped by unit, the
// unit with the most first.
func (s *Service) Overdue(ctx context.Context, scopes []string, year int) ([]UnitOverdue, error) {
	items, err := s.Items(ctx, Filter{Scopes: scopes, Light: Red, Year: year})
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	var out []UnitOverdue
	for _, it := range items {
		i, ok := idx[it.Unit]
		if !ok {
			i = len(out)
			idx[it.Unit] = i
			out = append(out, UnitOverdue{Unit: it.Unit, UnitName: it.UnitName})
		}
		out[i].Items = append(out[i].Items, it)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if len(out[i].Items) != len(out[j].Items) {
			return len(out[i].Items) > len(out[j].Items)
		}
		return out[i].Unit < out[j].Unit
	})
	return out, nil
}

// stamp is the service clock's current instant as stored (UTC,
// microseconds): the time of timeline events and decisions.
func (s *Service) stamp() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }
