package project

import "context"

// ApplicationsOf returns call id, which the caller must see with its view
// scopes (see CallFor), and the applications to it the caller may read, in
// the order they came: every one when the caller's manage scopes (the
// office's) cover the call's unit, otherwise those of units within view —
// an applicant unit reads its own.
func (s *Service) ApplicationsOf(ctx context.Context, view, manage []string, id int64) (*Call, []*Application, error) {
	c, err := s.CallFor(ctx, view, id)
	if err != nil {
		return nil, nil, err
	}
	sc := view
	if covered(c.OrgPath, manage) {
		sc = nil
	}
	apps, err := s.Applications(ctx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	return c, apps, nil
}
