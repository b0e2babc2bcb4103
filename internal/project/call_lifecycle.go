package project

import (
	"context"
	"database/sql"
	"encoding/json"
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

// The life of a call besides the round itself: the office edits a call
// until its panel is drawn and may withdraw it with a reason until its
// results are published; a call whose deadline has passed closes by
// itself (CloseExpired, run by a periodic job); an expert may recuse
// themselves from one application of their panel; the office corrects or
// removes the absences and ties the draws consult.

// callSchemaV2 adds the withdrawal of calls and the experts' recusals
// (a migration of PanelSchema).
const callSchemaV2 = `
ALTER TABLE project_call ADD COLUMN withdraw_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE project_call ADD COLUMN withdrawn_at {{TS}};
CREATE INDEX project_call_status ON project_call (status, deadline);
CREATE TABLE project_call_recusal (
	seat_id BIGINT NOT NULL REFERENCES project_call_seat (id),
	application_id BIGINT NOT NULL REFERENCES project_application (id),
	reason TEXT NOT NULL,
	declared_at {{TS}} NOT NULL,
	PRIMARY KEY (seat_id, application_id)
);
`

// CallEdit is what the office may change on a call.
type CallEdit struct {
	Title, Description string
	Levels, Categories []string
	Deadline           string // YYYY-MM-DD; a holiday moves to the next working day
	Criteria           string // see ParseCriteria
	Field              string
	PanelSize          int
}

// EditOf is the call as the edit form starts from.
func EditOf(c *Call) CallEdit {
	return CallEdit{Title: c.Title, Description: c.Description, Levels: c.Levels, Categories: c.Categories, Deadline: c.Deadline,
		Criteria: CriteriaText(c.Criteria), Field: c.Field, PanelSize: c.PanelSize}
}

// Editable reports whether the office may still edit the call: until its
// panel is drawn.
func (c *Call) Editable() bool { return c.Status == CallOpen || c.Status == CallClosed }

// Withdrawable reports whether the office may still withdraw the call:
// until its results are published.
func (c *Call) Withdrawable() bool {
	return c.Status == CallOpen || c.Status == CallClosed || c.Status == CallReview
}

// EditCall changes call id of the office with scopes, before its panel is
// drawn. The levels and categories that decide eligibility stay as they
// are once a unit has applied; a new deadline may not have passed, and a
// closed call given a new deadline takes applications again. The change
// is audited with what it was before.
func (s *Service) EditCall(ctx context.Context, a audit.Actor, scopes []string, id int64, e CallEdit) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.managed(ctx, tx, scopes, id)
		if err != nil {
			return err
		}
		if !c.Editable() {
			return i18n.Errorf("评审专家已抽取或通知已撤回、结果已公布，通知不能再修改", "the panel has been drawn, or the call was withdrawn or published; it can no longer change").WithCode("not_editable")
		}
		nc := NewCall{Kind: c.Kind, Title: e.Title, Description: e.Description, Org: c.Org, Levels: e.Levels, Categories: e.Categories,
			Deadline: e.Deadline, Criteria: e.Criteria, Field: e.Field, PanelSize: e.PanelSize}
		crit, deadline, err := s.checkCall(&nc, c.Deadline)
		if err != nil {
			return err
		}
		slices.Sort(nc.Levels)
		slices.Sort(nc.Categories)
		was := slices.Clone(c.Levels)
		slices.Sort(was)
		wasCats := slices.Clone(c.Categories)
		slices.Sort(wasCats)
		if !slices.Equal(was, nc.Levels) || !slices.Equal(wasCats, nc.Categories) {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_application WHERE call_id = $1`, id).Scan(&n); err != nil {
				return fmt.Errorf("project: edit call: %w", err)
			}
			if n > 0 {
				return i18n.Errorf("已有 %d 项申报，申报层级和类别不能再改", "%d applications have come in; the levels and categories can no longer change", n).OnField("levels")
			}
		}
		status := c.Status
		if c.Status == CallClosed && deadline != c.Deadline {
			status = CallOpen // a new deadline takes applications again
		}
		body, _ := json.Marshal(crit)
		if _, err := tx.ExecContext(ctx, `UPDATE project_call SET title = $1, description = $2, levels = $3, categories = $4, deadline = $5, criteria = $6,
			field = $7, panel_size = $8, status = $9 WHERE id = $10`, nc.Title, nc.Description, strings.Join(nc.Levels, ","), strings.Join(nc.Categories, ","),
			deadline, string(body), nc.Field, nc.PanelSize, status, id); err != nil {
			return fmt.Errorf("project: edit call: %w", err)
		}
		return audit.Record(ctx, tx, a, "update", "project_call", strconv.FormatInt(id, 10), c.OrgPath,
			map[string]any{"title": c.Title, "description": c.Description, "levels": c.Levels, "categories": c.Categories, "deadline": c.Deadline,
				"criteria": c.Criteria, "field": c.Field, "panel_size": c.PanelSize, "status": c.Status},
			map[string]any{"title": nc.Title, "description": nc.Description, "levels": nc.Levels, "categories": nc.Categories, "deadline": deadline,
				"criteria": crit, "field": nc.Field, "panel_size": nc.PanelSize, "status": status})
	})
}

// WithdrawCall withdraws call id of the office with scopes for reason,
// until its results are published: it takes no more applications and its
// panel stops scoring. The applicants are told; the withdrawal is audited.
func (s *Service) WithdrawCall(ctx context.Context, a audit.Actor, scopes []string, id int64, reason string) error {
	reason, err := requiredText(reason, 500, "reason", "撤回理由", "reason", i18n.Errorf("请填写撤回理由", "say why the call is withdrawn"))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.managed(ctx, tx, scopes, id)
		if err != nil {
			return err
		}
		if !c.Withdrawable() {
			return i18n.Errorf("结果已公布或通知已撤回，不能撤回", "the results are published or the call is already withdrawn; it cannot be withdrawn").WithCode("not_withdrawable")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_call SET status = $1, withdraw_reason = $2, withdrawn_at = $3 WHERE id = $4`,
			CallWithdrawn, reason, s.now(), id); err != nil {
			return fmt.Errorf("project: withdraw call: %w", err)
		}
		apps, err := s.applications(ctx, tx, nil, id)
		if err != nil {
			return err
		}
		if err := notifyWithdrawn(ctx, tx, a, c, apps, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "withdraw", "project_call", strconv.FormatInt(id, 10), c.OrgPath,
			map[string]any{"status": c.Status}, map[string]any{"status": CallWithdrawn, "reason": reason})
	})
}

// CloseExpired closes every open call whose deadline (its last day, in
// Asia/Shanghai) has passed, tells each call's office, and returns how
// many it closed. The periodic job of the calls module runs it; running
// it twice closes nothing twice.
func (s *Service) CloseExpired(ctx context.Context) (int, error) {
	today := s.Today()
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id FROM project_call WHERE status = $1 AND deadline < $2 ORDER BY id`, CallOpen, today)
	if err != nil {
		return 0, fmt.Errorf("project: expired calls: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("project: expired calls: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			c, err := s.getCall(ctx, tx, id)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE project_call SET status = $1 WHERE id = $2 AND status = $3 AND deadline < $4`, CallClosed, id, CallOpen, today)
			if err != nil {
				return fmt.Errorf("project: close expired call: %w", err)
			}
			if k, err := res.RowsAffected(); err != nil || k == 0 {
				return err // another process closed it, or the office moved the deadline
			}
			n++
			if err := notifyExpired(ctx, tx, c); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.System, "close", "project_call", strconv.FormatInt(id, 10), c.OrgPath,
				map[string]any{"status": c.Status}, map[string]any{"status": CallClosed, "deadline": c.Deadline, "why": "deadline_passed"})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Recusal is an expert's declared conflict with one application of their
// panel: the expert does not score it.
type Recusal struct {
	SeatID        int64     `json:"seat_id"`
	Position      int       `json:"position"`
	ApplicationID int64     `json:"application_id"`
	Reason        string    `json:"reason"`
	DeclaredAt    time.Time `json:"declared_at"`
}

// Recusals returns the recusals on the panel of call id (positions only;
// the seats name the experts for the office).
func (s *Service) Recusals(ctx context.Context, id int64) ([]Recusal, error) {
	return s.recusals(ctx, s.DB.R, `st.call_id = $1`, id)
}

func (s *Service) recusals(ctx context.Context, q querier, where string, arg any) ([]Recusal, error) {
	rows, err := q.QueryContext(ctx, `SELECT x.seat_id, st.position, x.application_id, x.reason, x.declared_at
		FROM project_call_recusal x JOIN project_call_seat st ON st.id = x.seat_id WHERE `+where+` ORDER BY x.application_id, st.position`, arg)
	if err != nil {
		return nil, fmt.Errorf("project: recusals: %w", err)
	}
	defer rows.Close()
	var out []Recusal
	for rows.Next() {
		var r Recusal
		if err := rows.Scan(&r.SeatID, &r.Position, &r.ApplicationID, &r.Reason, &r.DeclaredAt); err != nil {
			return nil, fmt.Errorf("project: recusals: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Recuse records that the expert whose account is account, on seat id,
// has a conflict with eligible application app of the seat's call and
// will not score it, for reason, while the panel scores. A score the
// expert gave it before is removed. The application is then ranked on
// the other experts' scores. Audited.
func (s *Service) Recuse(ctx context.Context, a audit.Actor, account string, id, app int64, reason string) error {
	reason, err := requiredText(reason, 500, "reason", "回避理由", "reason", i18n.Errorf("请说明需要回避的原因", "say what the conflict is"))
	if err != nil {
		return err
	}
	as, target, err := s.reviewing(ctx, account, id, app, i18n.Errorf("评审已结束，不能再声明回避", "the review is over; no recusal can be declared"))
	if err != nil {
		return err
	}
	if _, ok := as.Recused[app]; ok {
		return i18n.Errorf("您已声明回避“%s”", "you have already recused yourself from %q", target.Title)
	}
	before := as.Mine[app]
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_call_score WHERE seat_id = $1 AND application_id = $2`, id, app); err != nil {
			return fmt.Errorf("project: recuse: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_call_recusal (seat_id, application_id, reason, declared_at) VALUES ($1,$2,$3,$4)`,
			id, app, reason, s.now()); err != nil {
			return fmt.Errorf("project: recuse: %w", err)
		}
		return audit.Record(ctx, tx, a, "recuse", "project_application", strconv.FormatInt(app, 10), target.UnitPath,
			map[string]any{"seat": id, "scores": before.Scores, "total": before.Total},
			map[string]any{"seat": id, "position": as.Seat.Position, "reason": reason})
	})
}

// UndoRecusal removes, for reason, the recusal of the expert on seat of
// call id from application app, on behalf of the office of the call (scopes),
// while the panel scores: the expert is to score the application after
// all, and later draws no longer leave the expert out for it. The expert
// is told; the undoing is audited with the recusal it removes.
func (s *Service) UndoRecusal(ctx context.Context, a audit.Actor, scopes []string, id, seat, app int64, reason string) error {
	reason, err := requiredText(reason, 500, "reason", "撤销理由", "reason", i18n.Errorf("请说明撤销回避的理由", "say why the recusal is undone"))
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var callID int64
		var position int
		var account string
		err := tx.QueryRowContext(ctx, `SELECT st.call_id, st.position, e.account FROM project_call_seat st JOIN project_expert e ON e.id = st.expert_id WHERE st.id = $1`, seat).
			Scan(&callID, &position, &account)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && callID != id) {
			return fmt.Errorf("project: seat %d of call %d: %w", seat, id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("project: undo recusal: %w", err)
		}
		c, err := s.managed(ctx, tx, scopes, callID)
		if err != nil {
			return err
		}
		var rc Recusal
		var title, unitPath string
		err = tx.QueryRowContext(ctx, `SELECT x.reason, x.declared_at, a.title, a.unit_path FROM project_call_recusal x JOIN project_application a ON a.id = x.application_id
			WHERE x.seat_id = $1 AND x.application_id = $2`, seat, app).Scan(&rc.Reason, &rc.DeclaredAt, &title, &unitPath)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("project: recusal of seat %d from application %d: %w", seat, app, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("project: undo recusal: %w", err)
		}
		if c.Status != CallReview {
			return i18n.Errorf("评审已结束，回避不能再撤销", "the review is over; the recusal can no longer be undone").WithCode("review_over")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_call_recusal WHERE seat_id = $1 AND application_id = $2`, seat, app); err != nil {
			return fmt.Errorf("project: undo recusal: %w", err)
		}
		if err := s.notifyRecusalUndone(ctx, tx, a, c, seat, account, title, reason); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "undo_recusal", "project_application", strconv.FormatInt(app, 10), unitPath,
			map[string]any{"seat": seat, "position": position, "reason": rc.Reason, "declared_at": rc.DeclaredAt},
			map[string]any{"seat": seat, "position": position, "reason": reason})
	})
}

// Absence returns absence id.
func (s *Service) Absence(ctx context.Context, id int64) (Absence, error) {
	var a Absence
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, expert_id, from_date, to_date, reason, actor_name, created_at FROM project_absence WHERE id = $1`, id).
		Scan(&a.ID, &a.ExpertID, &a.From, &a.To, &a.Reason, &a.ActorName, &a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("project: absence %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("project: absence: %w", err)
	}
	return a, nil
}

// absenceOf returns absence aid if it belongs to expert id.
func (s *Service) absenceOf(ctx context.Context, id, aid int64) (Absence, error) {
	ab, err := s.Absence(ctx, aid)
	if err == nil && ab.ExpertID != id {
		err = fmt.Errorf("project: absence %d of expert %d: %w", aid, id, store.ErrNotFound)
	}
	return ab, err
}

// UpdateAbsence changes absence aid of expert id to from–to (YYYY-MM-DD,
// both included) for reason. Draws already made keep the reasons they
// recorded. Audited with what it was before.
func (s *Service) UpdateAbsence(ctx context.Context, a audit.Actor, id, aid int64, from, to, reason string) error {
	from, to, reason, err := checkAbsence(from, to, reason)
	if err != nil {
		return err
	}
	return s.changeAbsence(ctx, a, id, aid, &Absence{From: from, To: to, Reason: reason})
}

// DeleteAbsence removes absence aid of expert id. Audited with what it was.
func (s *Service) DeleteAbsence(ctx context.Context, a audit.Actor, id, aid int64) error {
	return s.changeAbsence(ctx, a, id, aid, nil)
}

// changeAbsence replaces the period and reason of absence aid of expert
// id with next's, or removes it when next is nil; audited with what it
// was before.
func (s *Service) changeAbsence(ctx context.Context, a audit.Actor, id, aid int64, next *Absence) error {
	ab, err := s.absenceOf(ctx, id, aid)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		action, after := "delete", any(nil)
		if next == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM project_absence WHERE id = $1`, aid); err != nil {
				return fmt.Errorf("project: absence: %w", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE project_absence SET from_date = $1, to_date = $2, reason = $3 WHERE id = $4`, next.From, next.To, next.Reason, aid); err != nil {
				return fmt.Errorf("project: absence: %w", err)
			}
			action, after = "update", map[string]any{"expert": id, "from": next.From, "to": next.To, "reason": next.Reason}
		}
		return audit.Record(ctx, tx, a, action, "project_absence", strconv.FormatInt(aid, 10), "/"+orgunit.Root+"/",
			map[string]any{"expert": id, "from": ab.From, "to": ab.To, "reason": ab.Reason}, after)
	})
}

// Tie returns tie id.
func (s *Service) Tie(ctx context.Context, id int64) (Tie, error) {
	var t Tie
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, expert_id, kind, unit_code, unit_path, unit_name, until_date, note, actor_name, created_at FROM project_tie WHERE id = $1`, id).
		Scan(&t.ID, &t.ExpertID, &t.Kind, &t.Unit, &t.UnitPath, &t.UnitName, &t.Until, &t.Note, &t.ActorName, &t.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("project: tie %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("project: tie: %w", err)
	}
	return t, nil
}

func (s *Service) tieOf(ctx context.Context, id, tid int64) (Tie, error) {
	t, err := s.Tie(ctx, tid)
	if err == nil && t.ExpertID != id {
		err = fmt.Errorf("project: tie %d of expert %d: %w", tid, id, store.ErrNotFound)
	}
	return t, err
}

// UpdateTie changes tie tid of expert id (see AddTie). Audited with what
// it was before.
func (s *Service) UpdateTie(ctx context.Context, a audit.Actor, id, tid int64, kind, code, until, note string) error {
	u, until, note, err := s.checkTie(ctx, kind, code, until, note)
	if err != nil {
		return err
	}
	return s.changeTie(ctx, a, id, tid, &Tie{Kind: kind, Unit: u.Code, UnitPath: u.Path, UnitName: u.Name, Until: until, Note: note})
}

// DeleteTie removes tie tid of expert id. Audited with what it was.
func (s *Service) DeleteTie(ctx context.Context, a audit.Actor, id, tid int64) error {
	return s.changeTie(ctx, a, id, tid, nil)
}

// changeTie replaces tie tid of expert id with next (checked), or removes
// it when next is nil; audited with what it was before, at the unit of
// the tie as it is after the change.
func (s *Service) changeTie(ctx context.Context, a audit.Actor, id, tid int64, next *Tie) error {
	t, err := s.tieOf(ctx, id, tid)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		action, after, path := "delete", any(nil), t.UnitPath
		if next == nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM project_tie WHERE id = $1`, tid); err != nil {
				return fmt.Errorf("project: tie: %w", err)
			}
		} else {
			if _, err := tx.ExecContext(ctx, `UPDATE project_tie SET kind = $1, unit_code = $2, unit_path = $3, unit_name = $4, until_date = $5, note = $6 WHERE id = $7`,
				next.Kind, next.Unit, next.UnitPath, next.UnitName, next.Until, next.Note, tid); err != nil {
				return fmt.Errorf("project: tie: %w", err)
			}
			action, path = "update", next.UnitPath
			after = map[string]any{"expert": id, "kind": next.Kind, "unit": next.Unit, "until": next.Until, "note": next.Note}
		}
		return audit.Record(ctx, tx, a, action, "project_tie", strconv.FormatInt(tid, 10), path,
			map[string]any{"expert": id, "kind": t.Kind, "unit": t.Unit, "until": t.Until, "note": t.Note}, after)
	})
}

// application is eligible application app of the assignment's call, or
// store.ErrNotFound.
func (as CallAssignment) application(app int64) (*Application, error) {
	for _, x := range as.Applications {
		if x.ID == app {
			return x, nil
		}
	}
	return nil, fmt.Errorf("project: application %d on seat %d: %w", app, as.Seat.ID, store.ErrNotFound)
}

// reviewing returns seat id of the expert whose account is account with
// its eligible application app while the panel scores; over is the
// refusal once the review is over.
func (s *Service) reviewing(ctx context.Context, account string, id, app int64, over *i18n.Error) (CallAssignment, *Application, error) {
	as, err := s.CallAssignment(ctx, account, id)
	if err != nil {
		return as, nil, err
	}
	if !as.Open {
		return as, nil, over
	}
	target, err := as.application(app)
	return as, target, err
}

// requiredText is text of field trimmed, at most n characters (see
// limitText) and not empty: missing is the error then, on the field.
func requiredText(text string, n int, field, zh, en string, missing *i18n.Error) (string, error) {
	text, err := limitText(text, n, field, zh, en)
	if err != nil {
		return "", err
	}
	if text == "" {
		return "", missing.OnField(field)
	}
	return text, nil
}
