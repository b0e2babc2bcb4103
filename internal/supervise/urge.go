package supervise

import (
	"context"
	"fmt"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
)

// Kinds of notification supervision sends (see package notify).
var (
	// KindRemind is the daily reminder of a person's nearly due and
	// overdue items.
	KindRemind = notify.DefineKind("supervise.remind", "notify.kind.supervise.remind", false)
	// KindUrge is the office's 催办 on one item; it cannot be turned off.
	KindUrge = notify.DefineKind("supervise.urge", "notify.kind.supervise.urge", true)
)

// superiorRoles are the roles of a unit's superiors that hear of its items.
var superiorRoles = []auth.Role{auth.Reporter, auth.Approver, auth.Office, auth.Leader}

// recipients are the people of an item's responsible unit (reporters
// whose grant covers it) and their superiors (the people of the unit
// above it).
func recipients(it *Item) []notify.Recipient {
	return []notify.Recipient{notify.Covering(auth.Reporter, it.UnitPath), notify.Superiors(it.UnitPath, superiorRoles...)}
}

// ItemLink is the page of item id.
func ItemLink(id int64) string { return fmt.Sprintf("/supervise/items/%d", id) }

func itemArgs(it *Item) []any {
	return []any{it.Title, it.UnitName, it.Due}
}

// MaxUrgeNote is the longest note a 催办 may carry.
const MaxUrgeNote = 500

// Urge presses the responsible unit of an open or returned item (催办):
// the note is recorded on the item's timeline, audited, and sent through
// notify to the unit's people and their superiors. scopes are the
// caller's office subtrees. It returns how many people were told.
func (s *Service) Urge(ctx context.Context, a audit.Actor, scopes []string, id int64, note string) (int, error) {
	note = strings.TrimSpace(note)
	if len([]rune(note)) > MaxUrgeNote {
		return 0, i18n.Errorf("催办说明过长（最多 %d 字）", "the note is too long (%d characters at most)", MaxUrgeNote).OnField("note")
	}
	n := 0
	err := s.step(ctx, scopes, id, func(tx *store.Tx, it *Item) error {
		if it.Stage == Closed {
			return &i18n.Error{Text: i18n.Text{
				Zh: fmt.Sprintf("事项 %d 已办结，不能催办", it.ID),
				En: fmt.Sprintf("item %d is closed and cannot be urged", it.ID)}, Field: "stage"}
		}
		if err := addEvent(ctx, tx, s.stamp(), a, id, "urge", note, it.Percent, "", ""); err != nil {
			return err
		}
		text := note
		if text == "" {
			text = "—"
		}
		var err error
		n, err = notify.Send(ctx, tx, notify.Message{Kind: KindUrge, Key: "notify.supervise.urge",
			Args: append(itemArgs(it), text), Link: ItemLink(id), To: recipients(it), Except: a.UserID})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "urge", "supervise_item", fmt.Sprint(id), it.UnitPath, nil, map[string]any{"note": note, "told": n})
	})
	return n, err
}
