package supervise

import (
	"context"
	"fmt"

	"zhihui/internal/audit"
	"zhihui/internal/store"
)

// Reminder is the author of automatic reminders on timelines.
var Reminder = audit.Actor{Name: "督查督办提醒 / supervision reminder"}

// Remind records a reminder (催办) on the timeline of every open item that
// is overdue or whose deadline is within WarnDays working days, at most
// one a day per item, and returns how many it recorded. With each entry
// the people of the item's unit and their superiors are told through
// notify. It is the daily job of the module.
func (s *Service) Remind(ctx context.Context) (int, error) {
	root := []string{"/41/"}
	items, err := s.Items(ctx, Filter{Scopes: root, Limit: -1})
	if err != nil {
		return 0, err
	}
	today := FormatDate(s.Today())
	n := 0
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
			body := "距办结时限不足，请抓紧办理 / the deadline is close"
			if it.Light == Red {
				body = "已超过办结时限，请尽快办结 / past its deadline"
			}
			// due_after holds the reminder's date, so one a day.
			if err := addEvent(ctx, tx, s.stamp(), Reminder, it.ID, "remind", body, it.Percent, it.Due, today); err != nil {
				return err
			}
			if err := s.remindPeople(ctx, tx, it); err != nil {
				return err
			}
			n++
			return audit.Record(ctx, tx, Reminder, "remind", "supervise_item", fmt.Sprint(it.ID), it.UnitPath, nil, map[string]any{"light": it.Light, "on": today})
		})
		if err != nil {
			return n, fmt.Errorf("supervise: remind item %d: %w", it.ID, err)
		}
	}
	return n, nil
}
