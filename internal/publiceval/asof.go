package publiceval

import (
	"context"
	"fmt"
	"time"

	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// The figures as they stood at a past moment (the annual assessment
// reads a year as of its cut-off, 31 March of the next year): a rating
// counts once it was recorded (imported ratings when they were imported,
// not when they were given); a flagged rating the office released counts
// from its review on; a case exists from its opening and its state is
// its timeline replayed up to the moment (first contact, triage and its
// deadline, answer, the rater's view, an appeal upheld or rejected), so
// that handling, reviews and appeals judged later leave a closed period's
// figures as they were.

// asOfRating is one rating (and its case) as read for [CountsAsOf].
type asOfRating struct {
	orgPath string
	rw      row
	cs      *caseRow
}

// ratingsAsOf reads the ratings of the subtree path over p recorded
// before end, with their cases' state replayed from their timelines up
// to end.
func ratingsAsOf(ctx context.Context, db *store.DB, path string, p Period, end time.Time) ([]asOfRating, error) {
	lo, hi := orgunit.SubtreeRange(path)
	where := ` WHERE r.org_path >= $1 AND r.org_path < $2 AND r.month >= $3 AND r.month <= $4 AND COALESCE(r.recorded_at, r.created_at) < $5`
	rows, err := db.R.QueryContext(ctx, `SELECT r.org_path, r.level, r.flags, r.review, r.reviewed_at, r.excluded,
		c.id, c.contact_due, c.created_at, c.rectify_due, c.satisfaction
		FROM publiceval_rating r LEFT JOIN publiceval_case c ON c.rating_id = r.id`+where, lo, hi, p.From, p.To, end)
	if err != nil {
		return nil, fmt.Errorf("publiceval: figures as of %s: %w", end.Format(time.RFC3339), err)
	}
	var out []asOfRating
	byCase := map[int64]int{}
	// what the case's columns say now, for steps of old rows without
	// their deadline or the rater's view
	type later struct{ due, sat string }
	now := map[int64]later{}
	for rows.Next() {
		var x asOfRating
		var flags, review string
		var reviewed *time.Time
		var cid *int64
		var cdue, ccreated *time.Time
		var due, sat *string
		if err := rows.Scan(&x.orgPath, &x.rw.Level, &flags, &review, &reviewed, &x.rw.Excluded, &cid, &cdue, &ccreated, &due, &sat); err != nil {
			rows.Close()
			return nil, err
		}
		// released after end: still flagged then
		x.rw.Flagged = flags != "" || (review == ReviewReleased && reviewed != nil && !reviewed.Before(end))
		if cid != nil && ccreated.Before(end) {
			// the case as opened; its timeline sets the rest, and whether
			// an appeal upheld by end kept the rating out
			x.cs = &caseRow{ID: *cid, State: StateNew, ContactDue: *cdue}
			x.rw.Excluded = false
			byCase[*cid] = len(out)
			now[*cid] = later{*due, *sat}
		}
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(byCase) == 0 {
		return out, nil
	}
	evs, err := db.R.QueryContext(ctx, `SELECT e.case_id, e.at, e.kind, e.body, e.code, e.due FROM publiceval_event e
		JOIN publiceval_case c ON c.id = e.case_id JOIN publiceval_rating r ON r.id = c.rating_id`+where+` AND e.at < $5 ORDER BY e.case_id, e.id`,
		lo, hi, p.From, p.To, end)
	if err != nil {
		return nil, fmt.Errorf("publiceval: timelines as of %s: %w", end.Format(time.RFC3339), err)
	}
	defer evs.Close()
	for evs.Next() {
		var id int64
		var e Event
		if err := evs.Scan(&id, &e.At, &e.Kind, &e.Body, &e.Code, &e.Due); err != nil {
			return nil, err
		}
		i, ok := byCase[id]
		if !ok {
			continue
		}
		legacyStep(&e)
		x := &out[i]
		c := x.cs
		at := e.At
		switch e.Kind {
		case "contact":
			c.State, c.ContactedAt = StateContacted, &at
		case "triage":
			if e.Code == TriageAppeal {
				c.State = StateAppeal
				break
			}
			c.State, c.RectifyDue = StateHandling, e.Due
			if c.RectifyDue == "" {
				c.RectifyDue = now[id].due
			}
		case "answer":
			c.State, c.AnsweredAt = StateAnswered, &at
		case "satisfaction":
			c.State, c.Satisfaction = StateClosed, e.Code
			if c.Satisfaction == "" {
				c.Satisfaction = now[id].sat
			}
		case "appeal_upheld":
			c.State, x.rw.Excluded = StateExcluded, true
		case "appeal_rejected":
			c.State = StateContacted
		}
	}
	return out, evs.Err()
}

// CountsAsOf sums the figures of the subtree path over p as they stood
// just before end (see the package's notes on figures as of a moment).
// Case volumes (办件量) have no history and are left out: Handled and
// RatedHandled are 0.
func CountsAsOf(ctx context.Context, db *store.DB, path string, p Period, end time.Time) (Counts, error) {
	rs, err := ratingsAsOf(ctx, db, path, p, end)
	var c Counts
	for _, x := range rs {
		c.Add(Contribution(x.rw, x.cs))
	}
	return c, err
}

// RankUnitsAsOf ranks the units directly under path (and the unit itself
// for its own targets) over p as [RankUnits] does, by the figures as
// they stood just before end; case volumes are left out (see
// [CountsAsOf]).
func RankUnitsAsOf(ctx context.Context, db *store.DB, path string, p Period, end time.Time) ([]RankRow, error) {
	rs, err := ratingsAsOf(ctx, db, path, p, end)
	if err != nil {
		return nil, err
	}
	by := map[string]*RankRow{}
	var order []string
	for _, x := range rs {
		code := childUnder(x.orgPath, path)
		if by[code] == nil {
			by[code] = &RankRow{Code: code}
			order = append(order, code)
		}
		by[code].Counts.Add(Contribution(x.rw, x.cs))
	}
	units, err := orgunit.GetMany(ctx, db, order)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if r := by[u.Code]; r != nil {
			r.Name, r.OrgCode = u.Name, u.Code
		}
	}
	out := make([]RankRow, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	return rank(out), nil
}
