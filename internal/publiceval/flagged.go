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
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Reviews of a flagged rating by the office.
const (
	ReviewPending  = ""         // not reviewed yet
	ReviewReleased = "released" // counted after all: a 差评 opens its case
	ReviewAbuse    = "abuse"    // confirmed as abuse: stays out of the figures
)

// ReviewNames name the reviews.
var ReviewNames = map[string]i18n.Text{
	ReviewPending:  {Zh: "待审核", En: "To review"},
	ReviewReleased: {Zh: "已放行计入统计", En: "Released into the figures"},
	ReviewAbuse:    {Zh: "已确认为恶意", En: "Confirmed as abuse"},
}

// Flagged is a suspicious rating as the office reviews it: no identity,
// the address only as its network.
type Flagged struct {
	ID        int64
	TargetKey string
	Target    string
	OrgCode   string
	OrgPath   string
	Level     int
	Comment   string
	Channel   string
	Network   string
	Flags     []string // what flagged it (kept after a release)
	Review    string
	CaseID    int64
	CreatedAt time.Time
}

// FlagFilter selects flagged ratings.
type FlagFilter struct {
	Scopes []string
	Flag   string // "" any
	Review string // "all", or a review ("" is pending)
	Period *Period
	Limit  int // ≤ 0: MaxFlagged
	Offset int
}

// MaxFlagged bounds one page of flagged ratings (and an export).
const MaxFlagged = 5000

// FlaggedRatings lists the flagged ratings of the scopes (ever flagged:
// released ones keep their flags in review_flags), newest first, with
// the number matching.
func FlaggedRatings(ctx context.Context, db *store.DB, f FlagFilter) ([]Flagged, int, error) {
	if len(f.Scopes) == 0 {
		return nil, 0, nil
	}
	args := store.Args{}
	var parts []string
	for _, p := range f.Scopes {
		parts = append(parts, "r.org_path LIKE "+args.Add(p+"%"))
	}
	where := `(` + strings.Join(parts, " OR ") + `) AND (r.flags <> '' OR r.review_flags <> '')`
	if f.Review != "all" {
		where += ` AND r.review = ` + args.Add(f.Review)
	}
	if f.Flag != "" {
		p := args.Add("%" + f.Flag + "%")
		where += ` AND (r.flags LIKE ` + p + ` OR r.review_flags LIKE ` + p + `)`
	}
	if f.Period != nil {
		where += ` AND r.month >= ` + args.Add(f.Period.From) + ` AND r.month <= ` + args.Add(f.Period.To)
	}
	var total int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating r WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("publiceval: flagged: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxFlagged {
		limit = MaxFlagged
	}
	rows, err := db.R.QueryContext(ctx, `SELECT r.id, t.tkey, t.name, t.org_code, r.org_path, r.level, r.comment, r.channel, r.net, r.flags, r.review_flags, r.review,
		COALESCE(c.id, 0), r.created_at FROM publiceval_rating r JOIN publiceval_target t ON t.id = r.target_id
		LEFT JOIN publiceval_case c ON c.rating_id = r.id WHERE `+where+` ORDER BY r.created_at DESC, r.id DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(max(0, f.Offset)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("publiceval: flagged: %w", err)
	}
	defer rows.Close()
	var out []Flagged
	for rows.Next() {
		var x Flagged
		var flags, old string
		if err := rows.Scan(&x.ID, &x.TargetKey, &x.Target, &x.OrgCode, &x.OrgPath, &x.Level, &x.Comment, &x.Channel, &x.Network, &flags, &old, &x.Review, &x.CaseID, &x.CreatedAt); err != nil {
			return nil, 0, err
		}
		if flags == "" {
			flags = old
		}
		if flags != "" {
			x.Flags = strings.Split(flags, ",")
		}
		out = append(out, x)
	}
	return out, total, rows.Err()
}

// ErrReviewed refuses a second review of a flagged rating.
var ErrReviewed = i18n.Errorf("这条评价已经审核过", "this rating has been reviewed already")

// Review decides on flagged rating id: ReviewReleased counts it after all
// (its flags kept apart; a 差评 opens its case for the unit), ReviewAbuse
// confirms it stays out. allowed says whether the caller may act for the
// rating's unit; the decision and its reason are audited.
func (s *Service) Review(ctx context.Context, a audit.Actor, id int64, decision, reason string, allowed func(path string) bool) error {
	reason = strings.TrimSpace(reason)
	if decision != ReviewReleased && decision != ReviewAbuse {
		return i18n.Errorf("请选择放行或确认为恶意", "choose to release it or confirm it as abuse").OnField("decision")
	}
	if reason == "" || len([]rune(reason)) > 500 {
		return i18n.Errorf("请填写审核理由（最多 500 字）", "give the reason for the decision (at most 500 characters)").OnField("reason")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var r Rating
		var flags, review, tkey string
		err := tx.QueryRowContext(ctx, `SELECT r.id, r.target_id, t.tkey, r.org_path, r.month, r.level, r.flags, r.review, r.created_at
			FROM publiceval_rating r JOIN publiceval_target t ON t.id = r.target_id WHERE r.id = $1`, id).
			Scan(&r.ID, &r.TargetID, &tkey, &r.OrgPath, &r.Month, &r.Level, &flags, &review, &r.CreatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("publiceval: rating %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if !allowed(r.OrgPath) {
			return ErrOutside
		}
		if flags == "" || review != ReviewPending {
			return ErrReviewed
		}
		r.Flags = strings.Split(flags, ",")
		before := map[string]any{"flags": flags, "review": review}
		if decision == ReviewAbuse {
			if _, err := tx.ExecContext(ctx, `UPDATE publiceval_rating SET review = $1, reviewed_at = $2 WHERE id = $3`, ReviewAbuse, s.now(), id); err != nil {
				return err
			}
			return audit.Record(ctx, tx, a, "confirm_abuse", "publiceval_rating", strconv.FormatInt(id, 10), r.OrgPath, before,
				map[string]any{"review": ReviewAbuse, "reason": reason})
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE publiceval_rating SET flags = '', review = $1, review_flags = $2, reviewed_at = $3 WHERE id = $4`, ReviewReleased, flags, now, id); err != nil {
			return err
		}
		old := Contribution(rowOf(r), nil)
		r.Flags = nil
		var cs *caseRow
		if IsBad(r.Level) {
			t, err := s.target(ctx, tkey)
			if err != nil {
				return err
			}
			set, err := LoadSettings(ctx, tx)
			if err != nil {
				return err
			}
			c, err := s.openCase(ctx, tx, set, r, t, now)
			if err != nil {
				return err
			}
			r.CaseID, cs = c.ID, &c
		}
		if err := addMonth(ctx, tx, r.Month, r.TargetID, r.OrgPath, Contribution(rowOf(r), cs).Sub(old)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "release", "publiceval_rating", strconv.FormatInt(id, 10), r.OrgPath, before,
			map[string]any{"review": ReviewReleased, "reason": reason, "case_id": r.CaseID})
	})
}
