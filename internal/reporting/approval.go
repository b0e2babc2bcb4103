package reporting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Approval states of a (data set, unit, period). No row means nothing
// was entered through the form yet (Open).
const (
	Open      = "open"
	Draft     = "draft"
	Submitted = "submitted"
	Returned  = "returned"
	Approved  = "approved"
)

// StateNames in Chinese and English.
var StateNames = map[string]i18n.Text{
	Open:      {Zh: "未填报", En: "Not started"},
	Draft:     {Zh: "草稿", En: "Draft"},
	Submitted: {Zh: "已提交待审核", En: "Submitted"},
	Returned:  {Zh: "已退回", En: "Returned"},
	Approved:  {Zh: "已审核（锁定）", En: "Approved (locked)"},
}

// Approval is the workflow state of one report.
type Approval struct {
	DataSet     string     `json:"dataset"`
	OrgUnit     string     `json:"org_unit"`
	OrgPath     string     `json:"org_path"`
	Period      string     `json:"period"`
	State       string     `json:"state"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	SubmittedBy int64      `json:"submitted_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	DecidedBy   int64      `json:"decided_by,omitempty"`
	Comment     string     `json:"comment,omitempty"`
}

// Editable reports whether the form may still be changed by its reporter.
func (a Approval) Editable() bool {
	return a.State == Open || a.State == Draft || a.State == Returned
}

const apCols = "dataset, ou, ou_path, pe, state, submitted_at, submitted_by, decided_at, decided_by, comment"

func scanApproval(s interface{ Scan(...any) error }) (Approval, error) {
	var a Approval
	var sub, dec sql.NullTime
	err := s.Scan(&a.DataSet, &a.OrgUnit, &a.OrgPath, &a.Period, &a.State, &sub, &a.SubmittedBy, &dec, &a.DecidedBy, &a.Comment)
	if sub.Valid {
		t := sub.Time
		a.SubmittedAt = &t
	}
	if dec.Valid {
		t := dec.Time
		a.DecidedAt = &t
	}
	return a, err
}

func getApproval(ctx context.Context, q querier, ds string, u orgunit.Unit, pe string) (Approval, error) {
	a, err := scanApproval(q.QueryRowContext(ctx, "SELECT "+apCols+" FROM reporting_approval WHERE dataset = $1 AND pe = $2 AND ou = $3", ds, pe, u.Code))
	if errors.Is(err, sql.ErrNoRows) {
		return Approval{DataSet: ds, OrgUnit: u.Code, OrgPath: u.Path, Period: pe, State: Open}, nil
	}
	return a, err
}

// GetApproval returns the state of (ds, u, pe); Open when nothing was
// entered yet.
func GetApproval(ctx context.Context, db *store.DB, ds string, u orgunit.Unit, pe string) (Approval, error) {
	return getApproval(ctx, db.R, ds, u, pe)
}

// Form is what a reporter sees for one (data set, unit, period).
type Form struct {
	DataSet  DataSet
	Unit     orgunit.Unit
	Period   period.Period
	Due      time.Time
	Approval Approval
	Elements []monitor.Element
	Values   map[string]string // element code -> stored value
	Comments map[string]string
	// Violations are the rule violations stored for this unit and period.
	Violations []Violation
}

// OpenForm loads the form for (d, u, p) with its stored values.
func OpenForm(ctx context.Context, db *store.DB, d DataSet, u orgunit.Unit, p period.Period) (*Form, error) {
	if !d.Assigned(u) {
		return nil, i18n.Errorf("%s 不填报“%s”", "%s does not report %s", u.Name, d.Name)
	}
	if p.Type != d.PType() {
		return nil, i18n.Errorf("报告期 %s 与表单周期不符", "period %s does not match the form", p.ID())
	}
	f := &Form{DataSet: d, Unit: u, Period: p, Due: d.Due(p), Values: map[string]string{}, Comments: map[string]string{}}
	els, err := elementIndex(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, c := range d.Elements {
		if e, ok := els[c]; ok {
			f.Elements = append(f.Elements, e)
		}
	}
	vals, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: d.Elements, OrgUnits: []string{u.Code}, Periods: []string{p.ID()}})
	if err != nil {
		return nil, err
	}
	for _, v := range vals {
		f.Values[v.DataElement] = v.Value.Value
		f.Comments[v.DataElement] = v.Comment
	}
	if f.Approval, err = GetApproval(ctx, db, d.Code, u, p.ID()); err != nil {
		return nil, err
	}
	if f.Violations, err = Violations(ctx, db, ViolationFilter{Root: u.Path, Exact: true, Periods: []string{p.ID()}, Rules: rulesFor(ctx, db, d)}); err != nil {
		return nil, err
	}
	return f, nil
}

// CheckField validates one raw entry of element code for the form: what
// the form shows next to the field as the reporter types.
func CheckField(ctx context.Context, db *store.DB, d DataSet, code, raw string) *i18n.Error {
	if !d.Has(code) {
		return i18n.Errorf("数据元 %s 不在表单中", "data element %s is not on the form", code)
	}
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	e, err := monitor.GetElement(ctx, db, code)
	if err != nil {
		return i18n.Errorf("未知的数据元 %s", "unknown data element %s", code)
	}
	_, _, ue := monitor.CheckValue(&e, raw)
	return ue
}

func transition(ctx context.Context, tx *store.Tx, a Approval, state string, actor audit.Actor, comment string, now time.Time) error {
	before := a
	a.State = state
	switch state {
	case Submitted:
		a.SubmittedAt, a.SubmittedBy = &now, actor.UserID
		a.DecidedAt, a.DecidedBy = nil, 0
	case Approved, Returned:
		a.DecidedAt, a.DecidedBy = &now, actor.UserID
	}
	if comment != "" || state == Submitted || state == Approved {
		a.Comment = comment
	}
	var sub, dec any
	if a.SubmittedAt != nil {
		sub = *a.SubmittedAt
	}
	if a.DecidedAt != nil {
		dec = *a.DecidedAt
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reporting_approval (dataset, ou, ou_path, pe, state, submitted_at, submitted_by, decided_at, decided_by, comment, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (dataset, pe, ou) DO UPDATE SET state = excluded.state, submitted_at = excluded.submitted_at, submitted_by = excluded.submitted_by,
		decided_at = excluded.decided_at, decided_by = excluded.decided_by, comment = excluded.comment, updated_at = excluded.updated_at`,
		a.DataSet, a.OrgUnit, a.OrgPath, a.Period, a.State, sub, a.SubmittedBy, dec, a.DecidedBy, a.Comment, now); err != nil {
		return fmt.Errorf("reporting: save approval: %w", err)
	}
	action := state
	if before.State == Approved && state == Returned {
		action = "reopen"
	}
	return audit.Record(ctx, tx, actor, action, "report", a.DataSet+"/"+a.OrgUnit+"/"+a.Period, a.OrgPath, before, a)
}

// SaveForm writes the form's values (an empty entry deletes the stored
// value) and marks the report a draft. It refuses a submitted or approved
// report. Rule violations found are stored and returned with the form.
func SaveForm(ctx context.Context, db *store.DB, actor audit.Actor, d DataSet, u orgunit.Unit, p period.Period, entries map[string]string) error {
	a, err := GetApproval(ctx, db, d.Code, u, p.ID())
	if err != nil {
		return err
	}
	if !a.Editable() {
		return lockedError(d, u, p, a.State)
	}
	codes := make([]string, 0, len(entries))
	for c := range entries {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	var vals []monitor.Value
	var errs []*i18n.Error
	for _, c := range codes {
		if ue := CheckField(ctx, db, d, c, entries[c]); ue != nil {
			errs = append(errs, ue.OnField(c))
			continue
		}
		vals = append(vals, monitor.Value{DataElement: c, OrgUnit: u.Code, Period: p.ID(), Value: strings.TrimSpace(entries[c])})
	}
	if len(errs) > 0 {
		return i18n.Errors(errs)
	}
	if err := monitor.SaveValues(ctx, db, actor, vals); err != nil {
		return err
	}
	if a.State == Draft {
		return nil
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		return transition(ctx, tx, a, Draft, actor, a.Comment, store.Now())
	})
}

func lockedError(d DataSet, u orgunit.Unit, p period.Period, state string) *i18n.Error {
	if state == Approved {
		return i18n.Errorf("%s %s 的“%s”已审核通过并锁定，如需修改请联系审核人重新开放",
			"%s, %s: %s has been approved and is locked; ask an approver to re-open it", u.Name, p.Label("zh-CN"), d.Name)
	}
	return i18n.Errorf("%s %s 的“%s”已提交，等待审核；如需修改请联系审核人退回",
		"%s, %s: %s has been submitted for approval; ask an approver to return it to change it", u.Name, p.Label("zh-CN"), d.Name)
}

// Submit hands the report to the approvers. It is refused when a
// high-importance validation rule is violated.
func Submit(ctx context.Context, db *store.DB, actor audit.Actor, d DataSet, u orgunit.Unit, p period.Period) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		a, err := getApproval(ctx, tx, d.Code, u, p.ID())
		if err != nil {
			return err
		}
		if !a.Editable() {
			return lockedError(d, u, p, a.State)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM reporting_violation v JOIN reporting_rule r ON r.code = v.rule_code
			WHERE v.ou = $1 AND v.pe = $2 AND r.importance = 'high'`, u.Code, p.ID()).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return i18n.Errorf("有 %d 条重要校验规则未通过，请修正后再提交", "%d high-importance validation rules fail; fix them before submitting", n)
		}
		return transition(ctx, tx, a, Submitted, actor, "", store.Now())
	})
}

// Decide approves a submitted report, or returns it to the reporter with
// a comment (required).
func Decide(ctx context.Context, db *store.DB, actor audit.Actor, d DataSet, u orgunit.Unit, p period.Period, approve bool, comment string) error {
	comment = strings.TrimSpace(comment)
	if !approve && comment == "" {
		return i18n.Errorf("退回时请填写意见", "a comment is required to return a report").OnField("comment")
	}
	if err := checkCommentLen(comment); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		a, err := getApproval(ctx, tx, d.Code, u, p.ID())
		if err != nil {
			return err
		}
		if a.State != Submitted {
			return &i18n.Error{Text: i18n.Text{Zh: "只能审核已提交的报表（当前状态：" + StateNames[a.State].Zh + "）", En: "only submitted reports can be approved or returned (state: " + StateNames[a.State].En + ")"}}
		}
		state := Returned
		if approve {
			state = Approved
		}
		if err := transition(ctx, tx, a, state, actor, comment, store.Now()); err != nil {
			return err
		}
		if a.SubmittedBy == 0 {
			return nil
		}
		if !approve {
			return tell(ctx, tx, KindReturned, "notify.reporting.returned", a.SubmittedBy, actor, d, u, p, comment)
		}
		return tell(ctx, tx, KindApproved, "notify.reporting.approved", a.SubmittedBy, actor, d, u, p)
	})
}

// Kinds of notification the reporting cycle sends (see package notify).
var (
	KindReturned = notify.DefineKind("reporting.returned", "notify.kind.reporting.returned", true)
	KindApproved = notify.DefineKind("reporting.approved", "notify.kind.reporting.approved", false)
	KindReopened = notify.DefineKind("reporting.reopened", "notify.kind.reporting.reopened", true)
	KindReminder = notify.DefineKind("reporting.reminder", "notify.kind.reporting.reminder", false)
)

// tell notifies the reporter who submitted d for u and p, inside tx; the
// message's arguments are the unit, the period, the data set and extra.
func tell(ctx context.Context, tx *store.Tx, kind, key string, user int64, actor audit.Actor, d DataSet, u orgunit.Unit, p period.Period, extra ...any) error {
	args := append([]any{unitText(u), periodText(p), i18n.Text{Zh: d.Name, En: d.DisplayName("en")}}, extra...)
	_, err := notify.Send(ctx, tx, notify.Message{
		Kind: kind, Key: key, Args: args, Link: formLink(d.Code, u.Code, p.ID()),
		To: []notify.Recipient{notify.Users(user)}, Except: actor.UserID,
	})
	return err
}

func unitText(u orgunit.Unit) i18n.Text { return i18n.Text{Zh: u.Name, En: u.NameEn} }

func periodText(p period.Period) i18n.Text {
	return i18n.Text{Zh: p.Label("zh-CN"), En: p.Label("en")}
}

// Reopen unlocks an approved report (state returned) so that it can be
// corrected; a reason is required and the change is audited.
func Reopen(ctx context.Context, db *store.DB, actor audit.Actor, d DataSet, u orgunit.Unit, p period.Period, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return i18n.Errorf("重新开放时请填写原因", "a reason is required to re-open a report").OnField("comment")
	}
	if err := checkCommentLen(reason); err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		a, err := getApproval(ctx, tx, d.Code, u, p.ID())
		if err != nil {
			return err
		}
		if a.State != Approved {
			return i18n.Errorf("只能重新开放已审核的报表", "only approved reports can be re-opened")
		}
		if err := transition(ctx, tx, a, Returned, actor, reason, store.Now()); err != nil {
			return err
		}
		if a.SubmittedBy == 0 {
			return nil
		}
		return tell(ctx, tx, KindReopened, "notify.reporting.reopened", a.SubmittedBy, actor, d, u, p, reason)
	})
}

func formLink(ds, ou, pe string) string {
	return "/reporting/form?ds=" + ds + "&ou=" + ou + "&pe=" + pe
}

// ApprovalFilter selects reports.
type ApprovalFilter struct {
	Root    string   // org path; the subtree below it
	States  []string // any when empty
	DataSet string
	Periods []string
	Limit   int // default 500
}

// Approvals lists reports in a subtree, newest first.
func Approvals(ctx context.Context, db *store.DB, f ApprovalFilter) ([]Approval, error) {
	lo, hi := orgunit.SubtreeRange(f.Root)
	q := "SELECT " + apCols + " FROM reporting_approval WHERE ou_path >= $1 AND ou_path < $2"
	args := []any{lo, hi}
	add := func(col string, vals []string) {
		a := store.Args(args)
		q += " AND " + col + " IN (" + store.In(&a, vals) + ")"
		args = a
	}
	if len(f.States) > 0 {
		add("state", f.States)
	}
	if f.DataSet != "" {
		add("dataset", []string{f.DataSet})
	}
	if len(f.Periods) > 0 {
		add("pe", f.Periods)
	}
	limit := f.Limit
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	q += fmt.Sprintf(" ORDER BY updated_at DESC, ou_path LIMIT %d", limit)
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reporting: list approvals: %w", err)
	}
	defer rows.Close()
	var out []Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// lockHook refuses writes to values of an approved report, whichever way
// they come (form, API, import).
func lockHook(ctx context.Context, db *store.DB, tx *store.Tx, w *monitor.WriteSet) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM reporting_approval WHERE state = $1 LIMIT 1", Approved).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reporting: check locks: %w", err)
	}
	sets, err := listDataSets(ctx, tx)
	if err != nil {
		return err
	}
	inSet := map[string][]DataSet{}
	for _, d := range sets {
		for _, e := range d.Elements {
			inSet[e] = append(inSet[e], d)
		}
	}
	type key struct{ ds, ou, pe string }
	need := map[key]bool{}
	w.Each(func(v monitor.Written) bool {
		for _, d := range inSet[v.Element] {
			need[key{d.Code, v.OrgUnit, v.Period}] = true
		}
		return true
	})
	if len(need) == 0 {
		return nil
	}
	locked := map[key]bool{}
	keys := make([]key, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	for start := 0; start < len(keys); start += 300 {
		chunk := keys[start:min(len(keys), start+300)]
		var ors []string
		args := store.Args{Approved}
		for _, k := range chunk {
			ors = append(ors, "(dataset = "+args.Add(k.ds)+" AND ou = "+args.Add(k.ou)+" AND pe = "+args.Add(k.pe)+")")
		}
		rows, err := tx.QueryContext(ctx, "SELECT dataset, ou, pe FROM reporting_approval WHERE state = $1 AND ("+strings.Join(ors, " OR ")+")", args...)
		if err != nil {
			return fmt.Errorf("reporting: check locks: %w", err)
		}
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.ds, &k.ou, &k.pe); err != nil {
				rows.Close()
				return err
			}
			locked[k] = true
		}
		rows.Close()
	}
	if len(locked) == 0 {
		return nil
	}
	var errs []*i18n.Error
	w.Each(func(v monitor.Written) bool {
		for _, d := range inSet[v.Element] {
			if locked[key{d.Code, v.OrgUnit, v.Period}] {
				e := i18n.Errorf("%s 在 %s 报告期 %s 的值属于已审核锁定的“%s”，不能修改；请联系审核人重新开放",
					"%s for %s, period %s belongs to the approved (locked) report %s; ask an approver to re-open it",
					v.Element, v.OrgUnit, v.Period, d.Name).At(v.Row, "value")
				if v.Sheet != "" {
					e = e.InSheet(v.Sheet)
				}
				errs = append(errs, e)
				break
			}
		}
		return len(errs) < 100
	})
	return i18n.Errors(errs)
}

// MaxCommentLen is the longest approval comment or re-open reason, in
// characters.
const MaxCommentLen = 2000

func checkCommentLen(c string) error {
	if utf8.RuneCountInString(c) > MaxCommentLen {
		return i18n.Errorf("意见过长（最多 %d 字）", "comment too long (%d characters at most)", MaxCommentLen).OnField("comment")
	}
	return nil
}
