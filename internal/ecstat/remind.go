package ecstat

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// KindRemind is the reminder of a survey that is still to be answered.
var KindRemind = notify.DefineKind("ecstat.remind", "ecstat.notify.kind_remind", false)

// Reminder stages: the first reminder, RemindDays working days before
// the deadline, and the last, on the deadline's day.
const (
	StageBefore = "before"
	StageDue    = "due"
)

// DefaultRemindDays is the working days before the deadline that the first
// reminder goes out when the office gives none.
const DefaultRemindDays = 3

// Reminder is the author of reminders in the audit log: a name in no
// language, which the log shows in the reader's (catalogue key
// audit.actor.ecstat_reminder).
var Reminder = audit.Actor{Name: "ecstat_reminder"}

// RemindArgs is the job that sends the reminders due ([Remind]): hourly,
// and at once when the office sets a deadline.
type RemindArgs struct{}

// Kind names the job.
func (RemindArgs) Kind() string { return "ecstat_remind" }

// Enqueuer enqueues a job inside a store transaction (*jobs.Engine).
type Enqueuer interface {
	InsertTx(ctx context.Context, tx *store.Tx, args jobs.Args, opts *jobs.InsertOpts) (jobs.Inserted, error)
}

// SetSchedule sets survey id's deadline (YYYY-MM-DD) and the working days
// before it that the first reminder goes out (0–20; 0 reminds on the
// deadline's day only), audited. With a job engine e, a reminder run is
// enqueued in the same transaction, so that reminders already due go out
// at once (nil: the hourly run sends them).
func SetSchedule(ctx context.Context, db *store.DB, e Enqueuer, a audit.Actor, id int64, deadline string, remindDays int) error {
	deadline = strings.TrimSpace(deadline)
	d, err := calendar.ParseDate(deadline)
	if err != nil {
		return i18n.Errorf("截止日期应为 YYYY-MM-DD 格式的日期：%q", "the deadline must be a date as YYYY-MM-DD: %q", deadline).OnField("deadline")
	}
	deadline = calendar.Format(d)
	if remindDays < 0 || remindDays > 20 {
		return i18n.Errorf("提前提醒的工作日数应在 0–20 之间：%d", "the working days to remind before the deadline must be 0 to 20: %d", remindDays).OnField("remind_days")
	}
	s, err := GetSurvey(ctx, db, id)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE ecstat_survey SET deadline = $1, remind_days = $2 WHERE id = $3`, deadline, remindDays, id); err != nil {
			return fmt.Errorf("ecstat: set schedule: %w", err)
		}
		if err := audit.Record(ctx, tx, a, "update", "ecstat_survey", strconv.FormatInt(id, 10), "/41/",
			map[string]any{"deadline": s.Deadline, "remind_days": s.RemindDays}, map[string]any{"deadline": deadline, "remind_days": remindDays}); err != nil {
			return err
		}
		if e != nil {
			if _, err := e.InsertTx(ctx, tx, RemindArgs{}, &jobs.InsertOpts{MaxAttempts: 3}); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemindStage is the reminder stage of survey s on day now: StageDue on
// its deadline, StageBefore from RemindDays working days before it, ""
// otherwise (no deadline, too early, or past it).
func RemindStage(s *Survey, now time.Time, cal *calendar.Calendar) string {
	if s.Deadline == "" {
		return ""
	}
	d, err := calendar.ParseDate(s.Deadline)
	if err != nil {
		return ""
	}
	today, due := calendar.Format(now), calendar.Format(d)
	switch {
	case today == due:
		return StageDue
	case today > due:
		return ""
	case cal.WorkingDaysBetween(now, d) <= s.RemindDays:
		return StageBefore
	}
	return ""
}

// Remind sends the reminders due on day now by calendar cal: for every
// survey in its reminder stage ([RemindStage]), every sampled enterprise
// that has not answered and has not been reminded at this stage gets one
// message on its linked accounts, and the county staff (reporters) of its
// unit and the units above one message per survey counting theirs; each
// reminded enterprise is recorded with the time (see [Reminders]). It
// returns how many enterprises it reminded. It is the module's job.
func Remind(ctx context.Context, db *store.DB, now time.Time, cal *calendar.Calendar) (int, error) {
	surveys, err := Surveys(ctx, db)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, s := range surveys {
		stage := RemindStage(s, now, cal)
		if stage == "" {
			continue
		}
		n, err := remindSurvey(ctx, db, s, stage)
		if err != nil {
			return total, fmt.Errorf("ecstat: remind survey %d: %w", s.ID, err)
		}
		total += n
	}
	return total, nil
}

func remindSurvey(ctx context.Context, db *store.DB, s *Survey, stage string) (int, error) {
	// The stage is recorded with the deadline it reminds of, so that a
	// deadline moved later reminds again.
	key := stage + "@" + s.Deadline
	open, err := Nonrespondents(ctx, db, s.ID, []string{"/" + orgunit.Root + "/"})
	if err != nil || len(open) == 0 {
		return 0, err
	}
	done := map[int64]bool{}
	rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id FROM ecstat_reminder WHERE survey_id = $1 AND stage = $2`, s.ID, key)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		done[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	accounts := map[int64][]int64{}
	rows, err = db.R.QueryContext(ctx, `SELECT a.enterprise_id, a.user_id FROM ecstat_account a JOIN ecstat_sample s ON s.enterprise_id = a.enterprise_id WHERE s.survey_id = $1`, s.ID)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var e, u int64
		if err := rows.Scan(&e, &u); err != nil {
			rows.Close()
			return 0, err
		}
		accounts[e] = append(accounts[e], u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	name := i18n.Text{Zh: s.Name, En: s.Name}
	per := periodText(s.Year, s.Quarter)
	n := 0
	err = db.InTx(ctx, func(tx *store.Tx) error {
		counties := map[string]int{}
		now := store.Now()
		for _, e := range open {
			if done[e.ID] {
				continue
			}
			got := 0
			if ids := accounts[e.ID]; len(ids) > 0 {
				var err error
				got, err = notify.Send(ctx, tx, notify.Message{Kind: KindRemind, Key: "ecstat.notify.remind_firm",
					Args: []any{name, per, e.Name, s.Deadline},
					Link: fmt.Sprintf("/ecstat/surveys/%d/forms/%d", s.ID, e.ID), To: []notify.Recipient{notify.Users(ids...)}})
				if err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_reminder (survey_id, enterprise_id, stage, sent_at, recipients) VALUES ($1, $2, $3, $4, $5)`,
				s.ID, e.ID, key, now, got); err != nil {
				return err
			}
			counties[e.OrgPath]++
			n++
		}
		// County staff: one message per person, counting the reminded
		// enterprises of every unit they cover.
		people := map[int64]int{}
		for path, c := range counties {
			users, err := notify.Resolve(ctx, tx, notify.Covering(auth.Reporter, path))
			if err != nil {
				return err
			}
			for _, u := range users {
				people[u] += c
			}
		}
		ids := make([]int64, 0, len(people))
		for u := range people {
			ids = append(ids, u)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, u := range ids {
			if _, err := notify.Send(ctx, tx, notify.Message{Kind: KindRemind, Key: "ecstat.notify.remind_county",
				Args: []any{name, per, s.Deadline, people[u]},
				Link: fmt.Sprintf("/ecstat/surveys/%d/nonrespondents", s.ID), To: []notify.Recipient{notify.Users(u)}}); err != nil {
				return err
			}
		}
		if n == 0 {
			return nil
		}
		return audit.Record(ctx, tx, Reminder, "remind", "ecstat_survey", strconv.FormatInt(s.ID, 10), "/41/", nil,
			map[string]any{"stage": stage, "enterprises": n, "deadline": s.Deadline})
	})
	return n, err
}

// Reminded is one reminder of an enterprise: its stage, the deadline it
// reminded of, when, and to how many of the enterprise's accounts.
type Reminded struct {
	Stage      string
	Deadline   string
	SentAt     time.Time
	Recipients int
}

// Reminders returns the reminders survey id has sent, by enterprise,
// oldest first.
func Reminders(ctx context.Context, db *store.DB, id int64) (map[int64][]Reminded, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id, stage, sent_at, recipients FROM ecstat_reminder WHERE survey_id = $1 ORDER BY sent_at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: reminders: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Reminded{}
	for rows.Next() {
		var e int64
		var r Reminded
		if err := rows.Scan(&e, &r.Stage, &r.SentAt, &r.Recipients); err != nil {
			return nil, err
		}
		r.Stage, r.Deadline, _ = strings.Cut(r.Stage, "@")
		out[e] = append(out[e], r)
	}
	return out, rows.Err()
}
