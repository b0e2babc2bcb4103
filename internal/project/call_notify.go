package project

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
)

// Notification kinds of calls for pilots and awards.
var (
	// KindApplied tells the office a unit applied to its call.
	KindApplied = notify.DefineKind("project.call_applied", "project.notify.kind.call_applied", false)
	// KindChecked tells the applicant unit the eligibility decision.
	KindChecked = notify.DefineKind("project.call_checked", "project.notify.kind.call_checked", true)
	// KindCallAssigned tells an expert a call's applications wait for the scores.
	KindCallAssigned = notify.DefineKind("project.call_assigned", "project.notify.kind.call_assigned", true)
	// KindPublished tells the applicants the results are published.
	KindPublished = notify.DefineKind("project.call_published", "project.notify.kind.call_published", true)
	// KindWithdrawn tells the applicants the office withdrew the call.
	KindWithdrawn = notify.DefineKind("project.call_withdrawn", "project.notify.kind.call_withdrawn", true)
	// KindRecusalUndone tells an expert the office undid their recusal,
	// so the application waits for their score.
	KindRecusalUndone = notify.DefineKind("project.call_recusal_undone", "project.notify.kind.call_recusal_undone", true)
	// KindExpired tells the office its call closed at the deadline.
	KindExpired = notify.DefineKind("project.call_expired", "project.notify.kind.call_expired", false)
)

// CallLink is the address of call id's page; ApplicationLink that of an
// application; ResultLink that of the public results.
func CallLink(id int64) string        { return "/calls/" + strconv.FormatInt(id, 10) }
func ApplicationLink(id int64) string { return "/calls/applications/" + strconv.FormatInt(id, 10) }
func ResultLink(id int64) string      { return "/results/" + strconv.FormatInt(id, 10) }

// applicants are the people told about an application: whoever filed it
// and the reporters and approvers of its unit.
func applicants(x *Application) []notify.Recipient {
	to := []notify.Recipient{notify.Covering(auth.Reporter, x.UnitPath), notify.Covering(auth.Approver, x.UnitPath)}
	if x.ApplicantID > 0 {
		to = append(to, notify.Users(x.ApplicantID))
	}
	return to
}

func notifyApplied(ctx context.Context, tx *store.Tx, a audit.Actor, c *Call, unit, title string, id int64) error {
	_, err := notify.Send(ctx, tx, notify.Message{Kind: KindApplied, Key: "project.notify.call_applied",
		Args: []any{unit, title, c.Title}, Link: ApplicationLink(id),
		To: []notify.Recipient{notify.Covering(auth.Office, c.OrgPath)}, Except: a.UserID})
	return err
}

func notifyChecked(ctx context.Context, tx *store.Tx, a audit.Actor, c *Call, x *Application, eligible bool, note string) error {
	verdict := i18n.Text{Zh: "符合申报条件", En: "eligible"}
	if !eligible {
		verdict = i18n.Text{Zh: "不符合申报条件", En: "not eligible"}
	}
	if note == "" {
		note = "—"
	}
	_, err := notify.Send(ctx, tx, notify.Message{Kind: KindChecked, Key: "project.notify.call_checked",
		Args: []any{x.Title, c.Title, verdict, note}, Link: ApplicationLink(x.ID), To: applicants(x), Except: a.UserID})
	return err
}

func notifyPublished(ctx context.Context, tx *store.Tx, a audit.Actor, c *Call, apps []*Application) error {
	for _, x := range apps {
		if _, err := notify.Send(ctx, tx, notify.Message{Kind: KindPublished, Key: "project.notify.call_published",
			Args: []any{c.Title, x.Title}, Link: ResultLink(c.ID), To: applicants(x), Except: a.UserID}); err != nil {
			return err
		}
	}
	return nil
}

func notifyWithdrawn(ctx context.Context, tx *store.Tx, a audit.Actor, c *Call, apps []*Application, reason string) error {
	for _, x := range apps {
		if _, err := notify.Send(ctx, tx, notify.Message{Kind: KindWithdrawn, Key: "project.notify.call_withdrawn",
			Args: []any{c.Title, x.Title, reason}, Link: CallLink(c.ID), To: applicants(x), Except: a.UserID}); err != nil {
			return err
		}
	}
	return nil
}

func notifyExpired(ctx context.Context, tx *store.Tx, c *Call) error {
	_, err := notify.Send(ctx, tx, notify.Message{Kind: KindExpired, Key: "project.notify.call_expired",
		Args: []any{c.Title, c.Deadline}, Link: CallLink(c.ID), To: []notify.Recipient{notify.Covering(auth.Office, c.OrgPath)}})
	return err
}

// notifyCallAssigned tells the experts with accounts that the call's
// applications wait for their scores.
func (s *Service) notifyCallAssigned(ctx context.Context, tx *store.Tx, a audit.Actor, c *Call, accounts []string) error {
	ids, err := s.expertUsers(ctx, accounts)
	if err != nil || len(ids) == 0 {
		return err
	}
	_, err = notify.Send(ctx, tx, notify.Message{Kind: KindCallAssigned, Key: "project.notify.call_assigned",
		Args: []any{c.Title}, Link: "/calls/reviews", To: []notify.Recipient{notify.Users(ids...)}, Except: a.UserID})
	return err
}

// notifyRecusalUndone tells the expert with account of seat on call c
// that the office undid their recusal from the application title.
func (s *Service) notifyRecusalUndone(ctx context.Context, tx *store.Tx, a audit.Actor, c *Call, seat int64, account, title, reason string) error {
	ids, err := s.expertUsers(ctx, []string{account})
	if err != nil || len(ids) == 0 {
		return err
	}
	_, err = notify.Send(ctx, tx, notify.Message{Kind: KindRecusalUndone, Key: "project.notify.call_recusal_undone",
		Args: []any{title, c.Title, reason}, Link: SeatLink(c.ID, seat), To: []notify.Recipient{notify.Users(ids...)}, Except: a.UserID})
	return err
}

// SeatLink is the address of an expert's seat on call id.
func SeatLink(id, seat int64) string {
	return CallLink(id) + "/seats/" + strconv.FormatInt(seat, 10)
}

// pastCallSeats are the experts' seats on call panels, one per eligible
// application of the call (the unit it came from).
func (s *Service) pastCallSeats(ctx context.Context, q querier, in string, args store.Args) ([]PastReview, error) {
	rows, err := q.QueryContext(ctx, `SELECT st.expert_id, a.unit_code, COALESCE(a.project_id, 0), a.title, c.id, c.drawn_at FROM project_call_seat st
		JOIN project_call c ON c.id = st.call_id JOIN project_application a ON a.call_id = c.id
		WHERE a.status = 'eligible' AND c.drawn_at IS NOT NULL AND st.expert_id IN (`+in+`) ORDER BY c.id, a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: earlier call seats: %w", err)
	}
	defer rows.Close()
	var out []PastReview
	for rows.Next() {
		var p PastReview
		var at time.Time
		if err := rows.Scan(&p.ExpertID, &p.Unit, &p.Project, &p.What, &p.DrawID, &at); err != nil {
			return nil, fmt.Errorf("project: earlier call seats: %w", err)
		}
		p.Date, p.DrawKind = at.In(shanghai).Format(dateLayout), "call"
		out = append(out, p)
	}
	return out, rows.Err()
}
