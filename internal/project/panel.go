package project

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// PanelSchema owns what the draws know about experts besides the pool
// itself — the periods they are unavailable, their recent ties with
// units, the reason each expert was left out of a draw — and the calls
// for pilots and awards with their applications, panels and scores.
var PanelSchema = store.Schema{Component: "project_panel", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE project_absence (
	id {{ID}},
	expert_id BIGINT NOT NULL REFERENCES project_expert (id),
	from_date TEXT NOT NULL,
	to_date TEXT NOT NULL,
	reason TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_absence_expert ON project_absence (expert_id);
CREATE TABLE project_tie (
	id {{ID}},
	expert_id BIGINT NOT NULL REFERENCES project_expert (id),
	kind TEXT NOT NULL,
	unit_code TEXT NOT NULL,
	unit_path TEXT {{C}} NOT NULL,
	unit_name TEXT NOT NULL,
	until_date TEXT NOT NULL,
	note TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_tie_expert ON project_tie (expert_id);
CREATE TABLE project_exclusion (
	draw_kind TEXT NOT NULL,
	draw_id BIGINT NOT NULL,
	expert_id BIGINT NOT NULL REFERENCES project_expert (id),
	reason TEXT NOT NULL,
	detail TEXT NOT NULL
);
CREATE INDEX project_exclusion_draw ON project_exclusion (draw_kind, draw_id);
CREATE TABLE project_call (
	id {{ID}},
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL,
	org_code TEXT NOT NULL,
	org_path TEXT {{C}} NOT NULL,
	org_name TEXT NOT NULL,
	levels TEXT NOT NULL,
	categories TEXT NOT NULL,
	deadline TEXT NOT NULL,
	criteria TEXT NOT NULL,
	field TEXT NOT NULL,
	panel_size INTEGER NOT NULL,
	status TEXT NOT NULL,
	seed BIGINT NOT NULL,
	candidates TEXT NOT NULL,
	drawn_at {{TS}},
	published_at {{TS}},
	result_note TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	demo INTEGER NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_call_org ON project_call (org_path);
CREATE TABLE project_application (
	id {{ID}},
	call_id BIGINT NOT NULL REFERENCES project_call (id),
	unit_code TEXT NOT NULL,
	unit_path TEXT {{C}} NOT NULL,
	unit_name TEXT NOT NULL,
	unit_level TEXT NOT NULL,
	project_id BIGINT REFERENCES project_project (id),
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	applicant_id BIGINT NOT NULL,
	applicant_name TEXT NOT NULL,
	status TEXT NOT NULL,
	check_note TEXT NOT NULL,
	checked_by TEXT NOT NULL,
	checked_at {{TS}},
	rank INTEGER,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_application_call ON project_application (call_id);
CREATE INDEX project_application_unit ON project_application (unit_path);
CREATE TABLE project_app_document (
	id {{ID}},
	application_id BIGINT NOT NULL REFERENCES project_application (id),
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	data {{BLOB}} NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX project_app_document_app ON project_app_document (application_id);
CREATE TABLE project_call_seat (
	id {{ID}},
	call_id BIGINT NOT NULL REFERENCES project_call (id),
	expert_id BIGINT NOT NULL REFERENCES project_expert (id),
	position INTEGER NOT NULL
);
CREATE INDEX project_call_seat_call ON project_call_seat (call_id);
CREATE INDEX project_call_seat_expert ON project_call_seat (expert_id);
CREATE TABLE project_call_score (
	seat_id BIGINT NOT NULL REFERENCES project_call_seat (id),
	application_id BIGINT NOT NULL REFERENCES project_application (id),
	scores TEXT NOT NULL,
	total BIGINT NOT NULL,
	opinion TEXT NOT NULL,
	scored_at {{TS}} NOT NULL,
	PRIMARY KEY (seat_id, application_id)
);
`}, {Version: 2, SQL: callSchemaV2}}}

// Reasons an expert of the field is left out of a draw, in the order
// they are checked (the first that applies is recorded).
const (
	ExUnavailable = "unavailable" // not available in the pool
	ExAbsent      = "absent"      // inside a period the expert is unavailable
	ExEmployer    = "employer"    // works for the applicant
	ExDeclared    = "declared"    // declared a conflict with the applicant
	ExRecused     = "recused"     // recused from an application of the applicant within the window
	ExEmployed    = "employed"    // employed by the applicant within the window
	ExWorked      = "worked"      // worked on a project of the applicant within the window
	ExReviewed    = "reviewed"    // reviewed another project of the applicant within the window
)

// ExclusionReasons lists the reasons in the order they are checked.
var ExclusionReasons = []string{ExUnavailable, ExAbsent, ExEmployer, ExDeclared, ExRecused, ExEmployed, ExWorked, ExReviewed}

// Tie kinds an expert's recent ties with a unit may have.
const (
	TieEmployed = "employed" // the expert worked for the unit
	TieWorked   = "worked"   // the expert worked on a project of the unit (consultant, contractor, supervisor)
)

// TieKinds lists the tie kinds.
var TieKinds = []string{TieEmployed, TieWorked}

// DefaultTieYears is how many years back a tie counts until the office
// sets another window.
const DefaultTieYears = 3

// Absence is a period an expert cannot review: a draw on a day inside
// it (both ends included) skips the expert.
type Absence struct {
	ID        int64     `json:"id"`
	ExpertID  int64     `json:"expert_id"`
	From      string    `json:"from"` // YYYY-MM-DD
	To        string    `json:"to"`
	Reason    string    `json:"reason"`
	ActorName string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// Tie is an expert's tie with a unit that ended on Until (empty while it
// lasts): a draw for an applicant at or under the unit skips the expert
// while the tie is within the office's window of years.
type Tie struct {
	ID        int64     `json:"id"`
	ExpertID  int64     `json:"expert_id"`
	Kind      string    `json:"kind"`
	Unit      string    `json:"unit"`
	UnitPath  string    `json:"-"`
	UnitName  string    `json:"unit_name"`
	Until     string    `json:"until"`
	Note      string    `json:"note"`
	ActorName string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// PastReview is an expert's seat on an earlier panel: for a project
// review, the project's owner; for a call, an application's unit.
type PastReview struct {
	ExpertID  int64
	Unit      string
	Project   int64 // the project reviewed, 0 for an application without one
	Date      string
	What      string // the project's or application's name
	DrawKind  string
	DrawID    int64
	Reference string
}

// Applicant is the unit whose work a panel reviews.
type Applicant struct {
	Code, Path, Name string
	// Project is the project under review, whose own earlier reviews
	// are no tie (0: none).
	Project int64
}

// ApplicantOf is the owner of p as an applicant.
func ApplicantOf(p *Project) Applicant {
	return Applicant{Code: p.Owner, Path: p.OwnerPath, Name: p.OwnerName, Project: p.ID}
}

// Record is what a draw knows about one expert beyond the pool entry.
type Record struct {
	Absences []Absence
	Ties     []Tie
	Reviews  []PastReview
	// Recusals are the expert's recusals from applications to calls: Unit
	// the applicant, What the application's title, Reference the reason,
	// Date the day declared, DrawID the call.
	Recusals []PastReview
}

// Exclusion is why one expert of the field was left out of a draw.
type Exclusion struct {
	ExpertID   int64  `json:"expert_id"`
	ExpertName string `json:"expert_name"`
	Reason     string `json:"reason"`
	// Detail names what the reason rests on: the period, the unit and
	// date of a tie, the project reviewed.
	Detail string `json:"detail"`
}

// Screen says why expert e with record rec may not sit on a panel drawn
// on day (YYYY-MM-DD) for app, with ties counted from since (the same
// day years back) — or "" when e may. The checks run in the order of
// ExclusionReasons.
func Screen(e Expert, rec Record, app Applicant, day, since string) (reason, detail string) {
	if !e.Available {
		return ExUnavailable, ""
	}
	for _, a := range rec.Absences {
		if a.From <= day && day <= a.To {
			return ExAbsent, a.From + "—" + a.To + " " + a.Reason
		}
	}
	under := func(code string) bool { return code != "" && strings.Contains(app.Path, "/"+code+"/") }
	if c := Conflict(e, &Project{Owner: app.Code, OwnerName: app.Name, OwnerPath: app.Path}); c != "" {
		if c == "employer" {
			return ExEmployer, e.Employer
		}
		return ExDeclared, strings.Join(e.Conflicts, "、")
	}
	// A recusal is a conflict the expert declared with the applicant on
	// an earlier panel; like a tie it counts within the window.
	for _, r := range rec.Recusals {
		if r.Unit == app.Code && r.Date >= since {
			return ExRecused, r.Date + " " + r.What + "：" + r.Reference
		}
	}
	for _, kind := range []string{TieEmployed, TieWorked} {
		for _, t := range rec.Ties {
			if t.Kind == kind && under(t.Unit) && (t.Until == "" || t.Until >= since) {
				until := t.Until
				if until == "" {
					until = "—"
				}
				return kind, t.UnitName + " " + until
			}
		}
	}
	for _, r := range rec.Reviews {
		if r.Unit == app.Code && r.Date >= since && (app.Project == 0 || r.Project != app.Project) {
			return ExReviewed, r.Date + " " + r.What
		}
	}
	return "", ""
}

// yearsBack is day (YYYY-MM-DD) n years earlier (29 February becomes 28).
func yearsBack(day string, n int) string {
	t, err := time.Parse(dateLayout, day)
	if err != nil {
		return day
	}
	y := t.AddDate(-n, 0, 0)
	if y.Day() != t.Day() {
		y = y.AddDate(0, 0, -y.Day())
	}
	return y.Format(dateLayout)
}

// TieYears is the office's window of years within which ties and earlier
// reviews keep an expert off a panel.
func (s *Service) TieYears(ctx context.Context) (int, error) {
	return s.tieYears(ctx, s.DB.R)
}

func (s *Service) tieYears(ctx context.Context, q querier) (int, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM project_setting WHERE name = 'tie_years'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultTieYears, nil
	}
	if err != nil {
		return 0, fmt.Errorf("project: tie years: %w", err)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return DefaultTieYears, nil
	}
	return n, nil
}

// SetTieYears sets the window of years (0 to 10; 0 counts only ties that
// still last) within which ties keep an expert off a panel.
func (s *Service) SetTieYears(ctx context.Context, a audit.Actor, n int) error {
	if n < 0 || n > 10 {
		return i18n.Errorf("回避年限应为 0 至 10 年：%d", "the window must be 0 to 10 years: %d", n).OnField("tie_years")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.tieYears(ctx, tx)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_setting WHERE name = 'tie_years'`); err != nil {
			return fmt.Errorf("project: tie years: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_setting (name, value) VALUES ('tie_years', $1)`, strconv.Itoa(n)); err != nil {
			return fmt.Errorf("project: tie years: %w", err)
		}
		return audit.Record(ctx, tx, a, "tie_years", "project_setting", "tie_years", "/"+orgunit.Root+"/", before, n)
	})
}

// Expert returns pool entry id.
func (s *Service) Expert(ctx context.Context, id int64) (Expert, error) {
	e, err := scanExpert(s.DB.R.QueryRowContext(ctx, `SELECT `+expertCols+` FROM project_expert WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("project: expert %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("project: expert: %w", err)
	}
	return e, nil
}

// checkDate reads a YYYY-MM-DD date of field.
func checkDate(s, field, zh, en string) (string, error) {
	s = strings.TrimSpace(s)
	if _, err := time.Parse(dateLayout, s); err != nil || len(s) != 10 {
		return "", i18n.Errorf("%[1]s应写作 YYYY-MM-DD：%[3]q", "the %[2]s should be written YYYY-MM-DD: %[3]q", zh, en, s).OnField(field)
	}
	return s, nil
}

// checkAbsence checks and tidies an absence's dates and reason.
func checkAbsence(from, to, reason string) (string, string, string, error) {
	var err error
	if from, err = checkDate(from, "from", "开始日期", "first day"); err != nil {
		return "", "", "", err
	}
	if to, err = checkDate(to, "to", "结束日期", "last day"); err != nil {
		return "", "", "", err
	}
	if to < from {
		return "", "", "", i18n.Errorf("结束日期 %s 早于开始日期 %s", "the last day %s is before the first day %s", to, from).OnField("to")
	}
	if reason, err = limitText(reason, 200, "reason", "原因", "reason"); err != nil {
		return "", "", "", err
	}
	if reason == "" {
		return "", "", "", i18n.Errorf("请填写不能参加评审的原因", "say why the expert is unavailable").OnField("reason")
	}
	return from, to, reason, nil
}

// AddAbsence records that expert id is unavailable from from to to
// (YYYY-MM-DD, both included) for reason.
func (s *Service) AddAbsence(ctx context.Context, a audit.Actor, id int64, from, to, reason string) (int64, error) {
	from, to, reason, err := checkAbsence(from, to, reason)
	if err != nil {
		return 0, err
	}
	e, err := s.Expert(ctx, id)
	if err != nil {
		return 0, err
	}
	var aid int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_absence (expert_id, from_date, to_date, reason, actor_name, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
			e.ID, from, to, reason, a.Name, s.now()).Scan(&aid); err != nil {
			return fmt.Errorf("project: absence: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "project_absence", strconv.FormatInt(aid, 10), "/"+orgunit.Root+"/", nil,
			map[string]any{"expert": e.ID, "name": e.Name, "from": from, "to": to, "reason": reason})
	})
	return aid, err
}

// checkTie checks a tie's kind, unit, end date and note, and returns
// the unit with the tidied date and note.
func (s *Service) checkTie(ctx context.Context, kind, code, until, note string) (orgunit.Unit, string, string, error) {
	if !slices.Contains(TieKinds, kind) {
		return orgunit.Unit{}, "", "", i18n.Errorf("请选择关系类型", "choose the kind of tie").OnField("kind")
	}
	code = strings.TrimSpace(code)
	u, err := orgunit.Get(ctx, s.DB, code)
	if errors.Is(err, store.ErrNotFound) || code == "" {
		return orgunit.Unit{}, "", "", i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", code).OnField("unit")
	}
	if err != nil {
		return orgunit.Unit{}, "", "", err
	}
	if strings.TrimSpace(until) != "" {
		if until, err = checkDate(until, "until", "结束日期", "end date"); err != nil {
			return orgunit.Unit{}, "", "", err
		}
	} else {
		until = ""
	}
	if note, err = limitText(note, 200, "note", "说明", "note"); err != nil {
		return orgunit.Unit{}, "", "", err
	}
	return u, until, note, nil
}

// AddTie records expert id's tie of kind with the unit of code, ended on
// until (YYYY-MM-DD; empty while it lasts).
func (s *Service) AddTie(ctx context.Context, a audit.Actor, id int64, kind, code, until, note string) (int64, error) {
	u, until, note, err := s.checkTie(ctx, kind, code, until, note)
	if err != nil {
		return 0, err
	}
	e, err := s.Expert(ctx, id)
	if err != nil {
		return 0, err
	}
	var tid int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_tie (expert_id, kind, unit_code, unit_path, unit_name, until_date, note, actor_name, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) RETURNING id`, e.ID, kind, u.Code, u.Path, u.Name, until, note, a.Name, s.now()).Scan(&tid); err != nil {
			return fmt.Errorf("project: tie: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "project_tie", strconv.FormatInt(tid, 10), u.Path, nil,
			map[string]any{"expert": e.ID, "name": e.Name, "kind": kind, "unit": u.Code, "until": until, "note": note})
	})
	return tid, err
}

// ExpertRecord returns what the draws know about expert id: absences,
// ties and earlier seats, newest first.
func (s *Service) ExpertRecord(ctx context.Context, id int64) (Record, error) {
	recs, err := s.records(ctx, s.DB.R, []int64{id})
	if err != nil {
		return Record{}, err
	}
	r := recs[id]
	slices.Reverse(r.Absences)
	slices.Reverse(r.Ties)
	slices.SortStableFunc(r.Reviews, func(a, b PastReview) int { return strings.Compare(b.Date, a.Date) })
	slices.Reverse(r.Recusals)
	return r, nil
}

// records loads the absences, ties and earlier seats of the experts ids.
func (s *Service) records(ctx context.Context, q querier, ids []int64) (map[int64]Record, error) {
	out := map[int64]Record{}
	if len(ids) == 0 {
		return out, nil
	}
	var args store.Args
	in := store.In(&args, ids)
	rows, err := q.QueryContext(ctx, `SELECT id, expert_id, from_date, to_date, reason, actor_name, created_at FROM project_absence WHERE expert_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: absences: %w", err)
	}
	for rows.Next() {
		var a Absence
		if err := rows.Scan(&a.ID, &a.ExpertID, &a.From, &a.To, &a.Reason, &a.ActorName, &a.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: absences: %w", err)
		}
		r := out[a.ExpertID]
		r.Absences = append(r.Absences, a)
		out[a.ExpertID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT id, expert_id, kind, unit_code, unit_path, unit_name, until_date, note, actor_name, created_at FROM project_tie WHERE expert_id IN (`+in+`) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: ties: %w", err)
	}
	for rows.Next() {
		var t Tie
		if err := rows.Scan(&t.ID, &t.ExpertID, &t.Kind, &t.Unit, &t.UnitPath, &t.UnitName, &t.Until, &t.Note, &t.ActorName, &t.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: ties: %w", err)
		}
		r := out[t.ExpertID]
		r.Ties = append(r.Ties, t)
		out[t.ExpertID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT st.expert_id, a.unit_code, COALESCE(a.project_id, 0), a.title, x.reason, st.call_id, x.declared_at FROM project_call_recusal x
		JOIN project_call_seat st ON st.id = x.seat_id JOIN project_application a ON a.id = x.application_id WHERE st.expert_id IN (`+in+`) ORDER BY x.declared_at, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: earlier recusals: %w", err)
	}
	for rows.Next() {
		var p PastReview
		var at time.Time
		if err := rows.Scan(&p.ExpertID, &p.Unit, &p.Project, &p.What, &p.Reference, &p.DrawID, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: earlier recusals: %w", err)
		}
		p.Date, p.DrawKind = at.In(shanghai).Format(dateLayout), "call"
		r := out[p.ExpertID]
		r.Recusals = append(r.Recusals, p)
		out[p.ExpertID] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	past, err := s.pastReviews(ctx, q, in, args)
	if err != nil {
		return nil, err
	}
	for _, p := range past {
		r := out[p.ExpertID]
		r.Reviews = append(r.Reviews, p)
		out[p.ExpertID] = r
	}
	return out, nil
}

// pastReviews are the seats of the experts (in, args: an IN list) on
// project panels and call panels.
func (s *Service) pastReviews(ctx context.Context, q querier, in string, args store.Args) ([]PastReview, error) {
	var out []PastReview
	rows, err := q.QueryContext(ctx, `SELECT st.expert_id, p.owner_code, p.id, p.name, r.id, r.created_at FROM project_seat st
		JOIN project_review r ON r.id = st.review_id JOIN project_project p ON p.id = r.project_id WHERE st.expert_id IN (`+in+`) ORDER BY r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: earlier seats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p PastReview
		var at time.Time
		if err := rows.Scan(&p.ExpertID, &p.Unit, &p.Project, &p.What, &p.DrawID, &at); err != nil {
			return nil, fmt.Errorf("project: earlier seats: %w", err)
		}
		p.Date, p.DrawKind = at.In(shanghai).Format(dateLayout), "review"
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	more, err := s.pastCallSeats(ctx, q, in, args)
	if err != nil {
		return nil, err
	}
	return append(out, more...), nil
}

// screenField returns, among the experts of field in id order, the ids
// of those who may sit on a panel for every applicant in apps on the
// service's today, and why each other expert of the field may not.
func (s *Service) screenField(ctx context.Context, q querier, field string, apps []Applicant) ([]int64, []Exclusion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+expertCols+` FROM project_expert WHERE (',' || fields || ',') LIKE $1 ORDER BY id`, "%,"+field+",%")
	if err != nil {
		return nil, nil, fmt.Errorf("project: draw: %w", err)
	}
	var experts []Expert
	var ids []int64
	for rows.Next() {
		e, err := scanExpert(rows)
		if err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("project: draw: %w", err)
		}
		experts = append(experts, e)
		ids = append(ids, e.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	recs, err := s.records(ctx, q, ids)
	if err != nil {
		return nil, nil, err
	}
	years, err := s.tieYears(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	day := s.Today()
	since := yearsBack(day, years)
	var cands []int64
	var excluded []Exclusion
	for _, e := range experts {
		reason, detail := "", ""
		for _, app := range apps {
			if reason, detail = Screen(e, recs[e.ID], app, day, since); reason != "" {
				if len(apps) > 1 && reason != ExUnavailable && reason != ExAbsent {
					detail = app.Name + "：" + detail
				}
				break
			}
		}
		if len(apps) == 0 && !e.Available {
			reason = ExUnavailable
		}
		if reason != "" {
			excluded = append(excluded, Exclusion{ExpertID: e.ID, ExpertName: e.Name, Reason: reason, Detail: detail})
			continue
		}
		cands = append(cands, e.ID)
	}
	return cands, excluded, nil
}

// recordExclusions stores why each expert of excluded was left out of
// draw id of kind ("review" or "call").
func recordExclusions(ctx context.Context, tx *store.Tx, kind string, id int64, excluded []Exclusion) error {
	for _, x := range excluded {
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_exclusion (draw_kind, draw_id, expert_id, reason, detail) VALUES ($1,$2,$3,$4,$5)`,
			kind, id, x.ExpertID, x.Reason, x.Detail); err != nil {
			return fmt.Errorf("project: exclusions: %w", err)
		}
	}
	return nil
}

// Exclusions returns why each expert of the field was left out of draw
// id of kind ("review" or "call"), in expert order.
func (s *Service) Exclusions(ctx context.Context, kind string, id int64) ([]Exclusion, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT x.expert_id, e.name, x.reason, x.detail FROM project_exclusion x JOIN project_expert e ON e.id = x.expert_id
		WHERE x.draw_kind = $1 AND x.draw_id = $2 ORDER BY x.expert_id`, kind, id)
	if err != nil {
		return nil, fmt.Errorf("project: exclusions: %w", err)
	}
	defer rows.Close()
	out := []Exclusion{}
	for rows.Next() {
		var x Exclusion
		if err := rows.Scan(&x.ExpertID, &x.ExpertName, &x.Reason, &x.Detail); err != nil {
			return nil, fmt.Errorf("project: exclusions: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// exclusionMap is excluded as the audit record's map of expert id to reason.
func exclusionMap(excluded []Exclusion) map[string]string {
	m := map[string]string{}
	for _, x := range excluded {
		m[strconv.FormatInt(x.ExpertID, 10)] = x.Reason
	}
	return m
}
