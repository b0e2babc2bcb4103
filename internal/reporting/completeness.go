package reporting

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Completeness counts the reports of one data set and period in one
// subtree: how many are expected, received (submitted or approved) and
// received on time.
type Completeness struct {
	Unit     orgunit.Unit `json:"unit"`
	Expected int          `json:"expected"`
	Received int          `json:"received"`
	OnTime   int          `json:"on_time"`
}

// Rate is the share received, in percent.
func (c Completeness) Rate() float64 {
	if c.Expected == 0 {
		return 0
	}
	return float64(c.Received) * 100 / float64(c.Expected)
}

// TimelyRate is the share received on time, in percent.
func (c Completeness) TimelyRate() float64 {
	if c.Expected == 0 {
		return 0
	}
	return float64(c.OnTime) * 100 / float64(c.Expected)
}

// expected counts the units under u (u included) that report d.
func expected(ctx context.Context, db *store.DB, d DataSet, u orgunit.Unit) (int, error) {
	n := 0
	if d.Assigned(u) {
		n++
	}
	for _, k := range d.OrgKinds {
		l := orgunit.LevelOf[k]
		if l <= u.Level {
			continue
		}
		if k == orgunit.Department || k == orgunit.City {
			// Level 2 mixes cities and departments: count by kind.
			us, err := orgunit.Descendants(ctx, db, u.Path, l, 0)
			if err != nil {
				return 0, err
			}
			for _, x := range us {
				if x.Kind == k {
					n++
				}
			}
			continue
		}
		c, err := orgunit.CountDescendants(ctx, db, u.Path, l)
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// CompletenessOf counts d's reports for period p in u's subtree and, when
// byChild, in the subtree of each of u's children (the rows of a table).
func CompletenessOf(ctx context.Context, db *store.DB, d DataSet, p period.Period, u orgunit.Unit, byChild bool) (Completeness, []Completeness, error) {
	one := func(x orgunit.Unit) (Completeness, error) {
		c := Completeness{Unit: x}
		var err error
		if c.Expected, err = expected(ctx, db, d, x); err != nil {
			return c, err
		}
		lo, hi := orgunit.SubtreeRange(x.Path)
		var onTime sql.NullInt64
		err = db.R.QueryRowContext(ctx, `SELECT count(*), sum(CASE WHEN submitted_at <= $5 THEN 1 ELSE 0 END) FROM reporting_approval
			WHERE dataset = $1 AND pe = $2 AND ou_path >= $3 AND ou_path < $4 AND state IN ('submitted', 'approved')`,
			d.Code, p.ID(), lo, hi, d.Due(p).UTC()).Scan(&c.Received, &onTime)
		c.OnTime = int(onTime.Int64)
		return c, err
	}
	total, err := one(u)
	if err != nil {
		return total, nil, fmt.Errorf("reporting: completeness: %w", err)
	}
	if !byChild {
		return total, nil, nil
	}
	kids, err := orgunit.Children(ctx, db, u.Code)
	if err != nil {
		return total, nil, err
	}
	var rows []Completeness
	for _, k := range kids {
		c, err := one(k)
		if err != nil {
			return total, nil, fmt.Errorf("reporting: completeness: %w", err)
		}
		if c.Expected > 0 {
			rows = append(rows, c)
		}
	}
	return total, rows, nil
}

// Overdue lists the units under u that report d and have not submitted
// period p although it is past due at now (up to limit; the count is of
// all of them).
func Overdue(ctx context.Context, db *store.DB, d DataSet, p period.Period, u orgunit.Unit, now time.Time, limit int) ([]orgunit.Unit, int, error) {
	if !now.After(d.Due(p)) {
		return nil, 0, nil
	}
	units, err := UnitsUnder(ctx, db, d, u)
	if err != nil {
		return nil, 0, err
	}
	lo, hi := orgunit.SubtreeRange(u.Path)
	rows, err := db.R.QueryContext(ctx, `SELECT ou FROM reporting_approval WHERE dataset = $1 AND pe = $2 AND ou_path >= $3 AND ou_path < $4 AND state IN ('submitted', 'approved')`,
		d.Code, p.ID(), lo, hi)
	if err != nil {
		return nil, 0, err
	}
	got := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, 0, err
		}
		got[c] = true
	}
	rows.Close()
	var out []orgunit.Unit
	n := 0
	for _, x := range units {
		if got[x.Code] {
			continue
		}
		n++
		if limit <= 0 || len(out) < limit {
			out = append(out, x)
		}
	}
	return out, n, nil
}

// RemindResult says whom a reminder reached.
type RemindResult struct {
	Overdue int      `json:"overdue"`
	Users   []string `json:"users"`
}

// Remind sends every reporter whose grants cover overdue units of d for
// p under u one notification naming how many of their units are overdue.
// The reminder is audited.
func Remind(ctx context.Context, db *store.DB, actor audit.Actor, d DataSet, p period.Period, u orgunit.Unit, now time.Time) (RemindResult, error) {
	var res RemindResult
	late, n, err := Overdue(ctx, db, d, p, u, now, 0)
	if err != nil {
		return res, err
	}
	res.Overdue = n
	if n == 0 {
		return res, nil
	}
	paths := make([]string, len(late))
	for i, x := range late {
		paths[i] = x.Path
	}
	sort.Strings(paths)
	// countUnder counts overdue paths with prefix g.
	countUnder := func(g string) int {
		i := sort.SearchStrings(paths, g)
		j := i
		for j < len(paths) && strings.HasPrefix(paths[j], g) {
			j++
		}
		return j - i
	}
	users, err := auth.ListUsers(ctx, db, nil)
	if err != nil {
		return res, err
	}
	type msg struct {
		user  *auth.User
		count int
		org   string
	}
	var msgs []msg
	for _, usr := range users {
		if usr.Disabled {
			continue
		}
		best := msg{user: usr}
		for _, g := range usr.Grants {
			if g.Role != auth.Reporter {
				continue
			}
			// A grant above u covers only the overdue units under u.
			root := g.OrgPath
			if orgunit.InSubtree(u.Path, g.OrgPath) {
				root = u.Path
			}
			if c := countUnder(root); c > best.count {
				best.count, best.org = c, g.OrgCode
			}
		}
		if best.count > 0 {
			msgs = append(msgs, best)
		}
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, m := range msgs {
			_, err := notify.Send(ctx, tx, notify.Message{
				Kind: KindReminder, Key: "notify.reporting.reminder",
				Args: []any{i18n.Text{Zh: d.Name, En: d.DisplayName("en")}, periodText(p), d.Due(p).Format("2006-01-02"), m.count},
				Link: completenessLink(d.Code, p.ID(), m.org),
				To:   []notify.Recipient{notify.Users(m.user.ID)},
			})
			if err != nil {
				return err
			}
			res.Users = append(res.Users, m.user.Name)
		}
		return audit.Record(ctx, tx, actor, "remind", "report", d.Code+"/"+u.Code+"/"+p.ID(), u.Path, nil,
			map[string]any{"overdue": n, "users": res.Users})
	})
	return res, err
}

// completenessLink is the completeness page of data set ds for period pe
// under unit ou.
func completenessLink(ds, pe, ou string) string {
	return "/reporting/completeness?" + url.Values{"ds": {ds}, "pe": {pe}, "ou": {ou}}.Encode()
}
