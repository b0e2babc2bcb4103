package publiceval

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

var shanghai = period.Shanghai

// Case states. A 差评 case starts new (待联系); the unit contacts the
// rater, triages it (立行立改, 限期整改, 解释说明: handling; 申诉: appeal, for
// the office to review), answers the rater and records the rater's
// satisfaction (closed). An appeal upheld marks the rating malicious
// (excluded, kept out of statistics); a rejected one goes back to
// contacted for another triage.
const (
	StateNew       = "new"
	StateContacted = "contacted"
	StateHandling  = "handling"
	StateAppeal    = "appeal"
	StateAnswered  = "answered"
	StateClosed    = "closed"
	StateExcluded  = "excluded"
)

// StateNames name the states.
var StateNames = map[string]i18n.Text{
	StateNew:       {Zh: "待联系", En: "To contact"},
	StateContacted: {Zh: "待分类处置", En: "To triage"},
	StateHandling:  {Zh: "整改中", En: "Being rectified"},
	StateAppeal:    {Zh: "申诉待审", En: "Appeal under review"},
	StateAnswered:  {Zh: "已答复待回访", En: "Answered, awaiting the rater's view"},
	StateClosed:    {Zh: "已办结", En: "Closed"},
	StateExcluded:  {Zh: "恶意差评（不计入统计）", En: "Malicious (not counted)"},
}

// Triage kinds.
const (
	TriageImmediate = "immediate" // 立行立改
	TriageDeadline  = "deadline"  // 限期整改
	TriageExplain   = "explain"   // 解释说明
	TriageAppeal    = "appeal"    // 申诉
)

// TriageNames name the triage kinds.
var TriageNames = map[string]i18n.Text{
	TriageImmediate: {Zh: "立行立改", En: "Fix at once"},
	TriageDeadline:  {Zh: "限期整改", En: "Fix within a deadline"},
	TriageExplain:   {Zh: "解释说明", En: "Explain"},
	TriageAppeal:    {Zh: "申诉", En: "Appeal"},
}

// Satisfaction with the handling, as the rater says on the call-back.
const (
	SatisfactionYes = "satisfied"
	SatisfactionNo  = "unsatisfied"
)

// Case is a 差评 case as its handlers see it; the rater's identity is
// only masked here (see [Service.Identity]).
type Case struct {
	ID             int64      `json:"id"`
	RatingID       int64      `json:"rating_id"`
	OrgCode        string     `json:"org_code"`
	OrgPath        string     `json:"-"`
	State          string     `json:"state"`
	ContactDue     time.Time  `json:"contact_due"`
	ContactedAt    *time.Time `json:"contacted_at,omitempty"`
	Triage         string     `json:"triage"`
	RectifyDue     string     `json:"rectify_due"`
	Answer         string     `json:"answer"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	Satisfaction   string     `json:"satisfaction"`
	AppealReason   string     `json:"appeal_reason"`
	AppealDecision string     `json:"appeal_decision"`
	CreatedAt      time.Time  `json:"created_at"`
	// From the rating.
	TargetKey  string `json:"target"`
	TargetName string `json:"target_name"`
	Level      int    `json:"level"`
	Tags       []string
	Comment    string `json:"comment"`
	CaseNo     string `json:"case_no"`
	MaskedName string `json:"rater_name"`
	MaskedTel  string `json:"rater_phone"`
}

// Overdue reports whether a deadline of the case has passed at now.
func (c Case) Overdue(now time.Time) bool {
	switch c.State {
	case StateNew:
		return now.After(c.ContactDue)
	case StateHandling:
		return c.RectifyDue != "" && MonthDay(now) > c.RectifyDue
	}
	return false
}

// Event is one step on a case's timeline.
type Event struct {
	At   time.Time
	Kind string
	// Actor is the account that took the step, or one of the actor codes
	// (ActorPublic …) for steps nobody's account took; see [Event.Who].
	Actor string
	// Body is what the actor wrote (the note, the answer, the reason).
	Body string
	// Code is the step's choice, rendered in the reader's language: the
	// level of a bad rating received, the triage, the rater's
	// satisfaction, the deadline an overdue alert is about. "" on rows
	// written before codes were stored, whose Body holds all.
	Code string
	// Due is the rectification deadline a triage set (YYYY-MM-DD).
	Due string
}

// The actors of steps nobody's account took, stored as codes (account
// names never start with "@") and named in the reader's language by
// [ActorName].
const (
	ActorPublic   = "@public"        // the rater: a bad rating opened the case
	ActorAlert    = "@overdue_alert" // the hourly overdue check
	ActorBulletin = "@bulletin"      // the monthly bulletin job
	ActorDemo     = "@demo"          // the demo data
)

// legacyActors are the "中文 / English" actor names written before the
// codes, read as their codes (a migration rewrites them; this keeps rows
// written by an older process meanwhile readable).
var legacyActors = map[string]string{
	"公众 / public":             ActorPublic,
	"好差评超时提醒 / overdue alert": ActorAlert,
	"月度通报 / monthly bulletin": ActorBulletin,
	"演示数据 / demo":             ActorDemo,
}

// ActorName names a stored actor in lang: an actor code by the
// catalogue (publiceval.actor.public …), an account by its name.
func ActorName(stored, lang string) string {
	if c, ok := legacyActors[stored]; ok {
		stored = c
	}
	if code, ok := strings.CutPrefix(stored, "@"); ok {
		return i18n.T(lang, "publiceval.actor."+code)
	}
	return stored
}

// Who names the step's actor in lang.
func (e Event) Who(lang string) string { return ActorName(e.Actor, lang) }

// Detail is the step's choice in lang followed by what the actor wrote.
func (e Event) Detail(lang string) string {
	var choice string
	switch e.Kind {
	case "open":
		if n, err := strconv.Atoi(e.Code); err == nil {
			choice = Levels[n].In(lang)
		}
	case "overdue":
		if e.Code != "" {
			choice = i18n.T(lang, "publiceval.overdue_"+e.Code)
		}
	case "triage":
		if t, ok := TriageNames[e.Code]; ok {
			choice = t.In(lang)
		}
	case "satisfaction":
		if e.Code != "" {
			choice = i18n.T(lang, "publiceval.rater_"+e.Code)
		}
	}
	if e.Body == legacyOverdue["contact"] || e.Body == legacyOverdue["rectify"] {
		return i18n.Split(e.Body).In(lang)
	}
	out := strings.TrimSpace(choice + " " + e.Body)
	if e.Due != "" {
		out += " → " + e.Due
	}
	return out
}

// legacyStep reads a triage or call-back step written before codes were
// stored ("限期整改 TEXT → 2026-03-10", "不满意 TEXT") as its code, its
// deadline and the text, as migration 6 rewrites them; this keeps rows
// written by an older process meanwhile in the reader's language.
func legacyStep(e *Event) {
	if e.Code != "" {
		return
	}
	switch e.Kind {
	case "triage":
		for _, k := range []string{TriageImmediate, TriageDeadline, TriageExplain} {
			rest, ok := strings.CutPrefix(e.Body, TriageNames[k].Zh+" ")
			if !ok {
				continue
			}
			i := strings.LastIndex(rest, " → ")
			if i < 0 {
				continue
			}
			if due := rest[i+len(" → "):]; len(due) == 10 && due[4] == '-' && due[7] == '-' {
				e.Code, e.Body, e.Due = k, rest[:i], due
				return
			}
		}
		e.Code = TriageAppeal
	case "satisfaction":
		for code, zh := range map[string]string{SatisfactionYes: "满意", SatisfactionNo: "不满意"} {
			if e.Body == zh {
				e.Code, e.Body = code, ""
				return
			}
			if rest, ok := strings.CutPrefix(e.Body, zh+" "); ok {
				e.Code, e.Body = code, rest
				return
			}
		}
	}
}

// legacyOverdue are the "中文 / English" texts of overdue alerts written
// before their codes.
var legacyOverdue = map[string]string{
	"contact": "已超过首次联系时限 / past the first-contact deadline",
	"rectify": "已超过整改时限 / past the rectification deadline",
}

func (s *Service) openCase(ctx context.Context, tx *store.Tx, set Settings, r Rating, t Target, at time.Time) (caseRow, error) {
	due := s.contactDue(set, at)
	c := caseRow{State: StateNew, ContactDue: due}
	err := s.queryRow(ctx, tx, qCase, r.ID, t.OrgCode, t.OrgPath, StateNew, due, at).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("publiceval: open case: %w", err)
	}
	_, err = s.exec(ctx, tx, qEvent, c.ID, at, ActorPublic, strconv.Itoa(r.Level))
	return c, err
}

const caseCols = `c.id, c.rating_id, c.org_code, c.org_path, c.state, c.contact_due, c.contacted_at, c.triage, c.rectify_due,
	c.answer, c.answered_at, c.satisfaction, c.appeal_reason, c.appeal_decision, c.created_at,
	t.tkey, t.name, r.level, r.tags, r.comment, COALESCE(r.case_no, ''), r.rater_name, r.rater_phone`

const caseFrom = ` FROM publiceval_case c JOIN publiceval_rating r ON r.id = c.rating_id JOIN publiceval_target t ON t.id = r.target_id`

func scanCase(sc interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var tags, name, phone string
	err := sc.Scan(&c.ID, &c.RatingID, &c.OrgCode, &c.OrgPath, &c.State, &c.ContactDue, &c.ContactedAt, &c.Triage, &c.RectifyDue,
		&c.Answer, &c.AnsweredAt, &c.Satisfaction, &c.AppealReason, &c.AppealDecision, &c.CreatedAt,
		&c.TargetKey, &c.TargetName, &c.Level, &tags, &c.Comment, &c.CaseNo, &name, &phone)
	if tags != "" {
		c.Tags = strings.Split(tags, ",")
	}
	c.MaskedName, c.MaskedTel = MaskName(name), MaskPhone(phone)
	c.ContactDue, c.CreatedAt = c.ContactDue.UTC(), c.CreatedAt.UTC()
	return c, err
}

// CaseFilter selects cases: Scopes are org paths (the caller's subtrees).
type CaseFilter struct {
	Scopes []string
	State  string // "" all, or a state, or "open" (not closed or excluded)
	Limit  int    // ≤ 0: MaxCases
}

// MaxCases bounds a list of cases.
const MaxCases = 1000

// Cases lists the cases in the scopes, newest first.
func Cases(ctx context.Context, db *store.DB, f CaseFilter) ([]Case, error) {
	if len(f.Scopes) == 0 {
		return nil, nil
	}
	args := store.Args{}
	var parts []string
	for _, p := range f.Scopes {
		parts = append(parts, "c.org_path LIKE "+args.Add(p+"%"))
	}
	q := `SELECT ` + caseCols + caseFrom + ` WHERE (` + strings.Join(parts, " OR ") + `)`
	switch f.State {
	case "":
	case "open":
		q += ` AND c.state NOT IN ('closed', 'excluded')`
	default:
		q += ` AND c.state = ` + args.Add(f.State)
	}
	if f.Limit <= 0 || f.Limit > MaxCases {
		f.Limit = MaxCases
	}
	q += ` ORDER BY c.id DESC LIMIT ` + strconv.Itoa(f.Limit)
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("publiceval: cases: %w", err)
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("publiceval: cases: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ErrNoCase is the answer for an unknown case.
var ErrNoCase = fmt.Errorf("publiceval: no such case: %w", store.ErrNotFound)

// GetCase loads one case.
func GetCase(ctx context.Context, db *store.DB, id int64) (Case, error) {
	c, err := scanCase(db.R.QueryRowContext(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNoCase
	}
	return c, err
}

// Timeline lists a case's steps, oldest first.
func Timeline(ctx context.Context, db *store.DB, id int64) ([]Event, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT at, kind, actor_name, body, code, due FROM publiceval_event WHERE case_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("publiceval: timeline: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Kind, &e.Actor, &e.Body, &e.Code, &e.Due); err != nil {
			return nil, err
		}
		legacyStep(&e)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Identity is the rater's real name and phone.
type Identity struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

// Identity returns the rater's identity of case id to a handler of the
// case (allowed answers for the case's unit path) and records the access
// in the audit log.
func (s *Service) Identity(ctx context.Context, a audit.Actor, id int64, allowed func(path string) bool) (Identity, error) {
	var who Identity
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var path string
		err := tx.QueryRowContext(ctx, `SELECT c.org_path, r.rater_name, r.rater_phone FROM publiceval_case c
			JOIN publiceval_rating r ON r.id = c.rating_id WHERE c.id = $1`, id).Scan(&path, &who.Name, &who.Phone)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoCase
		}
		if err != nil {
			return err
		}
		if !allowed(path) {
			return ErrOutside
		}
		return audit.Record(ctx, tx, a, "view_identity", "publiceval_case", strconv.FormatInt(id, 10), path, nil, map[string]string{"named": strconv.FormatBool(who.Name != "")})
	})
	return who, err
}

// ErrOutside refuses a case outside the caller's units.
var ErrOutside = errors.New("publiceval: the case is outside the caller's units")

// Step is one action on a case.
type Step struct {
	Kind string // contact, triage, answer, satisfaction, appeal
	// Triage kind (triage), appeal decision "upheld"/"rejected" (appeal),
	// satisfaction (satisfaction).
	Choice string
	Text   string
}

// Do applies step to case id for actor; allowed answers whether the
// caller may act for the case's unit path with the step's roles (the web
// layer checks handlers for most steps, the office for appeal
// decisions). The case, its timeline, the month figures and the audit
// log change in one transaction.
func (s *Service) Do(ctx context.Context, a audit.Actor, id int64, step Step, allowed func(path string) bool) error {
	step.Text = strings.TrimSpace(step.Text)
	if len([]rune(step.Text)) > 2000 {
		return i18n.Errorf("说明最多 2000 字", "the text may have at most 2000 characters").OnField("text")
	}
	now := s.now()
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var c caseRow
		var path, month, flags, orgCode string
		var target int64
		var r row
		err := tx.QueryRowContext(ctx, `SELECT c.id, c.state, c.contact_due, c.contacted_at, c.rectify_due, c.answered_at, c.satisfaction,
			c.org_path, c.org_code, r.month, r.target_id, r.level, r.flags, r.excluded
			FROM publiceval_case c JOIN publiceval_rating r ON r.id = c.rating_id WHERE c.id = $1`, id).Scan(
			&c.ID, &c.State, &c.ContactDue, &c.ContactedAt, &c.RectifyDue, &c.AnsweredAt, &c.Satisfaction,
			&path, &orgCode, &month, &target, &r.Level, &flags, &r.Excluded)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoCase
		}
		if err != nil {
			return err
		}
		if !allowed(path) {
			return ErrOutside
		}
		r.Flagged = flags != ""
		before := Contribution(r, &c)
		beforeState := c.State
		wrong := func() error {
			return i18n.Errorf("该案件当前状态为「%[1]s」，不能进行此操作", "the case is %[2]s; this step does not apply", StateNames[c.State].Zh, StateNames[c.State].En)
		}
		var triage, answer, appealReason, decision, code, due string
		body := step.Text
		switch step.Kind {
		case "contact":
			if c.State != StateNew {
				return wrong()
			}
			if step.Text == "" {
				return i18n.Errorf("请记录联系情况", "note how the rater was contacted").OnField("text")
			}
			c.State, c.ContactedAt = StateContacted, &now
		case "triage":
			if c.State != StateContacted {
				return wrong()
			}
			if _, ok := TriageNames[step.Choice]; !ok {
				return i18n.Errorf("请选择处置方式", "choose how the case is handled").OnField("choice")
			}
			triage = step.Choice
			if step.Choice == TriageAppeal {
				if step.Text == "" {
					return i18n.Errorf("申诉须说明理由", "an appeal needs its reason").OnField("text")
				}
				c.State, appealReason = StateAppeal, step.Text
				break
			}
			set, err := LoadSettings(ctx, tx)
			if err != nil {
				return err
			}
			days := set.RectifyDays
			if step.Choice == TriageImmediate {
				days = 1
			}
			c.State, c.RectifyDue = StateHandling, MonthDay(s.cal().AddWorkingDays(now, days))
			code, due = triage, c.RectifyDue
		case "answer":
			if c.State != StateHandling {
				return wrong()
			}
			if step.Text == "" {
				return i18n.Errorf("请填写给评价人的答复", "write the answer to the rater").OnField("text")
			}
			c.State, c.AnsweredAt, answer = StateAnswered, &now, step.Text
		case "satisfaction":
			if c.State != StateAnswered {
				return wrong()
			}
			if step.Choice != SatisfactionYes && step.Choice != SatisfactionNo {
				return i18n.Errorf("请选择评价人对处理结果是否满意", "choose whether the rater is satisfied with the handling").OnField("choice")
			}
			c.State, c.Satisfaction = StateClosed, step.Choice
			code = step.Choice
		case "appeal":
			if c.State != StateAppeal {
				return wrong()
			}
			if step.Text == "" {
				return i18n.Errorf("请写明审核意见", "write the reason for the decision").OnField("text")
			}
			switch step.Choice {
			case "upheld":
				c.State, r.Excluded, decision = StateExcluded, true, "upheld"
				if _, err := tx.ExecContext(ctx, `UPDATE publiceval_rating SET excluded = TRUE WHERE id = (SELECT rating_id FROM publiceval_case WHERE id = $1)`, id); err != nil {
					return err
				}
			case "rejected":
				c.State, decision = StateContacted, "rejected"
			default:
				return i18n.Errorf("请选择审核结论", "choose the decision").OnField("choice")
			}
		default:
			return i18n.Errorf("未知的操作", "unknown step")
		}
		q := `UPDATE publiceval_case SET state = $1, contacted_at = $2, rectify_due = $3, answered_at = $4, satisfaction = $5, updated_at = $6`
		args := []any{c.State, c.ContactedAt, c.RectifyDue, c.AnsweredAt, c.Satisfaction, now}
		if triage != "" {
			q += `, triage = ` + store.Placeholders(len(args)+1, 1)
			args = append(args, triage)
		}
		if answer != "" {
			q += `, answer = ` + store.Placeholders(len(args)+1, 1)
			args = append(args, answer)
		}
		if appealReason != "" {
			q += `, appeal_reason = ` + store.Placeholders(len(args)+1, 1)
			args = append(args, appealReason)
		}
		if decision != "" {
			q += `, appeal_decision = ` + store.Placeholders(len(args)+1, 1)
			args = append(args, decision)
		}
		q += ` WHERE id = ` + store.Placeholders(len(args)+1, 1)
		args = append(args, id)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("publiceval: update case: %w", err)
		}
		kind := step.Kind
		if decision != "" {
			kind = "appeal_" + decision
		}
		if triage == TriageAppeal {
			code = triage
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO publiceval_event (case_id, at, kind, actor_name, body, code, due) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			id, now, kind, a.Name, body, code, due); err != nil {
			return err
		}
		if err := addMonth(ctx, tx, month, target, path, Contribution(r, &c).Sub(before)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, kind, "publiceval_case", strconv.FormatInt(id, 10), path,
			map[string]string{"state": beforeState}, map[string]string{"state": c.State, "choice": step.Choice, "text": step.Text})
	})
}

// KindOverdue is the notification of a 差评 case past a deadline.
var KindOverdue = notify.DefineKind("publiceval.overdue", "publiceval.notify.kind_overdue", true)

// Alerter is the author of overdue alerts on timelines.
var Alerter = audit.Actor{Name: ActorAlert}

// Alert is an overdue case found by [Service.Alerts].
type Alert struct {
	CaseID  int64
	OrgCode string
	OrgPath string
	Kind    string // contact or rectify
}

// Alerts records, once per case and deadline, an overdue alert on the
// timeline of every case past its first-contact or rectification
// deadline, and returns them (for notifications). It is the module's
// periodic job.
func (s *Service) Alerts(ctx context.Context) ([]Alert, error) {
	now := s.now()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, org_code, org_path, state, alerted FROM publiceval_case
		WHERE (state = 'new' AND contact_due < $1) OR (state = 'handling' AND rectify_due < $2) ORDER BY id LIMIT 5000`, now, MonthDay(now))
	if err != nil {
		return nil, fmt.Errorf("publiceval: overdue cases: %w", err)
	}
	var todo []Alert
	for rows.Next() {
		var a Alert
		var state, alerted string
		if err := rows.Scan(&a.CaseID, &a.OrgCode, &a.OrgPath, &state, &alerted); err != nil {
			rows.Close()
			return nil, err
		}
		a.Kind = "contact"
		if state == StateHandling {
			a.Kind = "rectify"
		}
		if !strings.Contains(","+alerted+",", ","+a.Kind+",") {
			todo = append(todo, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, a := range todo {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE publiceval_case SET alerted = CASE WHEN alerted = '' THEN $1 ELSE alerted || ',' || $1 END
				WHERE id = $2 AND (',' || alerted || ',') NOT LIKE $3`, a.Kind, a.CaseID, "%,"+a.Kind+",%")
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another worker got there first
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO publiceval_event (case_id, at, kind, actor_name, body, code) VALUES ($1, $2, 'overdue', $3, '', $4)`,
				a.CaseID, now, Alerter.Name, a.Kind); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, Alerter, "overdue_"+a.Kind, "publiceval_case", strconv.FormatInt(a.CaseID, 10), a.OrgPath, nil, map[string]any{"deadline": a.Kind}); err != nil {
				return err
			}
			// the unit's handlers and the level above it
			_, err = notify.Send(ctx, tx, notify.Message{Kind: KindOverdue, Key: "publiceval.notify.overdue_" + a.Kind,
				Args: []any{strconv.FormatInt(a.CaseID, 10)}, Link: "/publiceval/cases/" + strconv.FormatInt(a.CaseID, 10),
				To: []notify.Recipient{notify.Covering(auth.Reporter, a.OrgPath), notify.Covering(auth.Approver, a.OrgPath), notify.Superiors(a.OrgPath, auth.Approver, auth.Office)}})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("publiceval: alert case %d: %w", a.CaseID, err)
		}
	}
	return todo, nil
}
