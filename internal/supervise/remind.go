package supervise

import (
	"context"
	"fmt"
	"net/url"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
)

// Reminder is the author of automatic reminders on timelines (shown as
// the catalogue's supervise.reminder in the reader's language).
var Reminder = audit.Actor{Name: "督查督办提醒"}

// Remind records a reminder (催办) on the timeline of every open item that
// is overdue or whose deadline is within WarnDays working days, at most
// one a day per item, and returns how many it recorded. Then each person
// of those items' units and of the units above them (see recipients) gets
// one message through notify counting their overdue and nearly due items,
// instead of one per item. It is the daily job of the module.
func (s *Service) Remind(ctx context.Context) (int, error) {
	root := []string{"/41/"}
	items, err := s.Items(ctx, Filter{Scopes: root, Limit: -1})
	if err != nil {
		return 0, err
	}
	today := FormatDate(s.Today())
	n := 0
	people := map[int64]*reminded{}
	for _, it := range items {
		if it.Light != Red && it.Light != Blue {
			continue
		}
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			var last string
			err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(due_after), '') FROM supervise_event WHERE item_id = $1 AND kind = 'remind'`, it.ID).Scan(&last)
			if err != nil {
				return err
			}
			if last >= today {
				return nil
			}
			body := i18n.Text{Zh: "距办结时限不足，请抓紧办理", En: "the deadline is close"}
			if it.Light == Red {
				body = i18n.Text{Zh: "已超过办结时限，请尽快办结", En: "past its deadline"}
			}
			// due_after holds the reminder's date, so one a day.
			if _, err := addEventText(ctx, tx, s.stamp(), Reminder, it.ID, "remind", body, it.Percent, it.Due, today); err != nil {
				return err
			}
			users, err := notify.Resolve(ctx, tx, recipients(it)...)
			if err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, Reminder, "remind", "supervise_item", fmt.Sprint(it.ID), it.UnitPath, nil, map[string]any{"light": it.Light, "on": today}); err != nil {
				return err
			}
			n++
			for _, u := range users {
				r := people[u]
				if r == nil {
					r = &reminded{}
					people[u] = r
				}
				if it.Light == Red {
					r.red++
				} else {
					r.blue++
				}
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("supervise: remind item %d: %w", it.ID, err)
		}
	}
	if len(people) == 0 {
		return n, nil
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for u, r := range people {
			status := Red
			if r.red == 0 {
				status = Blue
			}
			_, err := notify.Send(ctx, tx, notify.Message{Kind: KindRemind, Key: "notify.supervise.remind",
				Args: []any{r.red, r.blue, s.WarnDays}, Link: "/supervise?" + url.Values{"status": {status}}.Encode(),
				To: []notify.Recipient{notify.Users(u)}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("supervise: tell people of reminders: %w", err)
	}
	return n, nil
}

// reminded counts one person's items reminded today.
type reminded struct{ red, blue int }
