package ecstat

import (
	"context"

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
// survey its draw rotated from or, for a fresh draw, of the previous drawn
// survey of the same frequency ([PreviousDrawn]); From is nil when there
// is none.
func Rotation(ctx context.Context, db *store.DB, s *Survey, scopes []string) (*RotationDiff, error) {
	d, err := GetDesign(ctx, db, s.ID)
	if err != nil {
		return nil, err
	}
	from := d.RotateFrom
	if from == 0 {
		id, ok, err := PreviousDrawn(ctx, db, s)
		if err != nil {
			return nil, err
		}
		if !ok {
			return &RotationDiff{}, nil
		}
		from = id
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
