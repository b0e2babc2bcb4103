package ecstat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"zhihui/internal/store"
)

// RotationDiff compares a survey's sample with the sample it rotated
// from: the enterprises kept, those rotated in (new to the sample) and
// those rotated out (sampled last time, not now).
type RotationDiff struct {
	From          *Survey
	Kept, In, Out []Selected
}

// Rotation compares survey s's sample within scopes with the sample of the
// survey its draw rotated from or, for a fresh draw, of the latest drawn
// survey of the same frequency before it; From is nil when there is none.
func Rotation(ctx context.Context, db *store.DB, s *Survey, scopes []string) (*RotationDiff, error) {
	d, err := GetDesign(ctx, db, s.ID)
	if err != nil {
		return nil, err
	}
	from := d.RotateFrom
	if from == 0 {
		err := db.R.QueryRowContext(ctx, `SELECT v.id FROM ecstat_survey v JOIN ecstat_design d ON d.survey_id = v.id
			WHERE v.id <> $1 AND v.quarter = $2 AND (v.year < $3 OR v.year = $3 AND v.id < $1) ORDER BY v.year DESC, v.id DESC LIMIT 1`, s.ID, s.Quarter, s.Year).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return &RotationDiff{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ecstat: rotation: %w", err)
		}
	}
	prev, err := GetSurvey(ctx, db, from)
	if err != nil {
		return nil, err
	}
	now, err := Sample(ctx, db, s.ID, scopes, 0)
	if err != nil {
		return nil, err
	}
	before, err := Sample(ctx, db, from, scopes, 0)
	if err != nil {
		return nil, err
	}
	was := map[int64]bool{}
	for _, x := range before {
		was[x.ID] = true
	}
	is := map[int64]bool{}
	out := &RotationDiff{From: prev}
	for _, x := range now {
		is[x.ID] = true
		if was[x.ID] {
			out.Kept = append(out.Kept, x)
		} else {
			out.In = append(out.In, x)
		}
	}
	for _, x := range before {
		if !is[x.ID] {
			out.Out = append(out.Out, x)
		}
	}
	return out, nil
}
