package reporting

import (
	"context"
	"sort"
	"time"

	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// DueReport is one report a unit owes: the form for a period that has
// ended, with its state and deadline.
type DueReport struct {
	DataSet DataSet
	Unit    orgunit.Unit
	Period  period.Period
	Due     time.Time
	State   string
	Comment string // the approver's comment when returned
	Overdue bool   // past its deadline and not yet submitted
}

// Open reports whether the reporter still has to act on r (not started,
// draft or returned).
func (r DueReport) Open() bool { return r.State == Open || r.State == Draft || r.State == Returned }

// DueBack is how many ended periods of each form Due looks back over.
const DueBack = 3

// Due lists the reports units owe at now: for every form a unit reports,
// the last DueBack periods that have ended, each with its state. Reports
// still to be done come first, overdue before due, then by deadline.
func Due(ctx context.Context, db *store.DB, units []orgunit.Unit, now time.Time) ([]DueReport, error) {
	sets, err := DataSets(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []DueReport
	for _, u := range units {
		for _, d := range sets {
			if !d.Assigned(u) {
				continue
			}
			// The running period is not due yet: start from the last ended one.
			last := period.Of(d.PType(), now).Add(-1)
			for k := 0; k < DueBack; k++ {
				p := last.Add(-k)
				a, err := GetApproval(ctx, db, d.Code, u, p.ID())
				if err != nil {
					return nil, err
				}
				r := DueReport{DataSet: d, Unit: u, Period: p, Due: d.Due(p), State: a.State}
				if a.State == Returned {
					r.Comment = a.Comment
				}
				r.Overdue = r.Open() && now.After(r.Due)
				out = append(out, r)
			}
		}
	}
	rank := func(r DueReport) int {
		switch {
		case r.Overdue:
			return 0
		case r.Open():
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := rank(out[i]), rank(out[j]); a != b {
			return a < b
		}
		return out[i].Due.Before(out[j].Due)
	})
	return out, nil
}
