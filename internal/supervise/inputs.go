package supervise

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/publiceval"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/webcheck"
)

// Measure is one unit's figure from another module for one part of the
// assessment: a score from 0 to 100 and the counts it was made from.
type Measure struct {
	Score  float64        `json:"score"`
	Counts map[string]int `json:"counts,omitempty"`
}

// An Input scores the units of one group for a year from the figures of
// another module, read as they stood on asOf (YYYY-MM-DD, in the next
// year once the year is over). A unit left
// out of the answer has no figures and is "not assessed", never zero.
type Input func(ctx context.Context, db *store.DB, year int, asOf string, units []orgunit.Unit) (map[string]Measure, error)

// DefaultInputs are the inputs by scheme source: plan targets from
// monitoring, reporting completeness and timeliness, website inspection.
// "supervise" is this module's own work items (see Score); a source
// without an input (public evaluation until it provides one) is not
// assessed.
func DefaultInputs() map[string]Input {
	return map[string]Input{"monitor": MonitorInput, "reporting": ReportingInput, "webcheck": WebcheckInput, "publiceval": PublicInput}
}

// ancestorAt returns the code at level of path ("/41/4101/410102/") or "".
func ancestorAt(path string, level int) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if level < 1 || level > len(parts) {
		return ""
	}
	return parts[level-1]
}

// MonitorInput scores a unit by its plan targets: for every target with a
// goal and figures at the unit up to the year, its completion towards
// the goal (capped at 100 %); the score is their mean. Counts: targets
// met, on track, warning, behind.
func MonitorInput(ctx context.Context, db *store.DB, year int, _ string, units []orgunit.Unit) (map[string]Measure, error) {
	codes := make([]string, len(units))
	for i, u := range units {
		codes[i] = u.Code
	}
	out := map[string]Measure{}
	if len(codes) == 0 {
		return out, nil
	}
	tps, err := reporting.Progress(ctx, db, reporting.ProgressQuery{Units: codes, ToYear: year})
	if err != nil {
		return nil, fmt.Errorf("supervise: monitor input: %w", err)
	}
	sums := map[string]float64{}
	counts := map[string]map[string]int{}
	for _, tp := range tps {
		if tp.Goal == nil || len(tp.Series) == 0 {
			continue
		}
		c := math.Max(0, math.Min(1, tp.Assessment.Completion))
		sums[tp.Unit.Code] += c * 100
		if counts[tp.Unit.Code] == nil {
			counts[tp.Unit.Code] = map[string]int{}
		}
		counts[tp.Unit.Code][string(tp.Status)]++
		counts[tp.Unit.Code]["targets"]++
	}
	for code, cs := range counts {
		out[code] = Measure{Score: round2(sums[code] / float64(cs["targets"])), Counts: cs}
	}
	return out, nil
}

// ReportingInput scores a unit by the reports its subtree owed in the
// year: for every data set and every period of the year due by asOf, the
// reports expected from the unit and the units under it, those received
// (submitted or approved, by asOf) and those received by the due date.
// The score is the mean of the received and on-time shares, in percent.
// Counts: expected, received, on_time.
func ReportingInput(ctx context.Context, db *store.DB, year int, asOf string, units []orgunit.Unit) (map[string]Measure, error) {
	out := map[string]Measure{}
	if len(units) == 0 {
		return out, nil
	}
	level := units[0].Level
	byCode := map[string]orgunit.Unit{}
	for _, u := range units {
		byCode[u.Code] = u
	}
	end, err := time.ParseInLocation("2006-01-02", asOf, period.Shanghai)
	if err != nil {
		return nil, fmt.Errorf("supervise: reporting input: %w", err)
	}
	end = end.AddDate(0, 0, 1)
	sets, err := reporting.DataSets(ctx, db)
	if err != nil {
		return nil, err
	}
	yp := period.Period{Type: period.Year, Year: year, N: 1}
	expect, got, onTime := map[string]int{}, map[string]int{}, map[string]int{}
	counted := map[string]map[int]int{} // unit → level → units of d's kinds under it
	for _, d := range sets {
		var pes []period.Period
		for _, p := range yp.Children(d.PType()) {
			if !d.Due(p).After(end) {
				pes = append(pes, p)
			}
		}
		if len(pes) == 0 {
			continue
		}
		// Reports expected per period from each unit's subtree.
		for _, u := range units {
			n, err := expectedUnder(ctx, db, d, u, counted)
			if err != nil {
				return nil, err
			}
			expect[u.Code] += n * len(pes)
		}
		due := map[string]time.Time{}
		ids := make([]string, len(pes))
		for i, p := range pes {
			ids[i] = p.ID()
			due[p.ID()] = d.Due(p)
		}
		var a store.Args
		q := `SELECT ou_path, pe, submitted_at FROM reporting_approval WHERE dataset = ` + a.Add(d.Code) +
			` AND pe IN (` + store.In(&a, ids) + `) AND state IN ('submitted', 'approved')`
		rows, err := db.R.QueryContext(ctx, q, a...)
		if err != nil {
			return nil, fmt.Errorf("supervise: reporting input: %w", err)
		}
		for rows.Next() {
			var path, pe string
			var at *time.Time
			if err := rows.Scan(&path, &pe, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("supervise: reporting input: %w", err)
			}
			code := ancestorAt(path, level)
			if _, ok := byCode[code]; !ok {
				continue
			}
			if at == nil || !at.Before(end) {
				continue
			}
			got[code]++
			if !at.After(due[pe]) {
				onTime[code]++
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, err
		}
		rows.Close()
	}
	for code, n := range expect {
		if n == 0 {
			continue
		}
		// A report counted twice (never: one row per data set, period and
		// unit) could not push a share above 100 %; clamp anyway so that a
		// unit moved between parents mid-year cannot either.
		r := math.Min(float64(got[code]), float64(n))
		t := math.Min(float64(onTime[code]), float64(n))
		out[code] = Measure{Score: round2((r + t) * 50 / float64(n)),
			Counts: map[string]int{"expected": n, "received": got[code], "on_time": onTime[code]}}
	}
	return out, nil
}

// expectedUnder counts the units in u's subtree (u included) that report d.
func expectedUnder(ctx context.Context, db *store.DB, d reporting.DataSet, u orgunit.Unit, memo map[string]map[int]int) (int, error) {
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
		if memo[u.Code] == nil {
			memo[u.Code] = map[int]int{}
		}
		c, ok := memo[u.Code][l]
		if !ok {
			var err error
			if c, err = orgunit.CountDescendants(ctx, db, u.Path, l); err != nil {
				return 0, err
			}
			memo[u.Code][l] = c
		}
		n += c
	}
	return n, nil
}

// WebcheckInput scores a unit by the websites of its subtree in the last
// inspection round started in the year (by asOf): the mean of their
// scores. Counts: sites inspected, passed.
func WebcheckInput(ctx context.Context, db *store.DB, year int, asOf string, units []orgunit.Unit) (map[string]Measure, error) {
	out := map[string]Measure{}
	if len(units) == 0 {
		return out, nil
	}
	rounds, err := webcheck.ListRounds(ctx, db)
	if err != nil {
		return nil, err
	}
	var round *webcheck.Round
	for i := range rounds { // newest first
		day := rounds[i].CreatedAt.In(period.Shanghai).Format("2006-01-02")
		if day <= asOf && strings.HasPrefix(day, strconv.Itoa(year)+"-") {
			round = &rounds[i]
			break
		}
	}
	if round == nil {
		return out, nil
	}
	rows, err := webcheck.Ranking(ctx, db, round.ID, nil)
	if err != nil {
		return nil, err
	}
	return siteMeasures(rows, units, round.ID), nil
}

// siteMeasures averages the inspected sites' scores by the unit of units
// whose subtree holds each site.
func siteMeasures(rows []webcheck.RankRow, units []orgunit.Unit, round int64) map[string]Measure {
	out := map[string]Measure{}
	if len(units) == 0 {
		return out
	}
	level := units[0].Level
	byCode := map[string]bool{}
	for _, u := range units {
		byCode[u.Code] = true
	}
	sum := map[string]float64{}
	n, pass := map[string]int{}, map[string]int{}
	for _, r := range rows {
		if r.InspectionID == 0 {
			continue
		}
		code := ancestorAt(r.Site.OrgPath, level)
		if !byCode[code] {
			continue
		}
		sum[code] += r.Score
		n[code]++
		if r.Pass {
			pass[code]++
		}
	}
	for code, k := range n {
		out[code] = Measure{Score: round2(sum[code] / float64(k)), Counts: map[string]int{"sites": k, "passed": pass[code], "round": int(round)}}
	}
	return out
}

// PublicInput scores a unit by the public's ratings (好差评) of the
// services, sites and disclosures of its subtree in the year: 80 % the
// satisfaction rate (非常满意, 满意 and 基本满意 among valid ratings;
// flagged and excluded ratings do not count) and 20 % the share of 差评
// cases rectified (the satisfaction rate alone when there were none).
// Units without a valid rating are not assessed. Counts: valid, good,
// cases, rectified. The figures are read as they stood at the end of
// asOf (YYYY-MM-DD, Asia/Shanghai): ratings recorded, flagged ratings
// released, cases opened and their handling and appeals up to then (see
// publiceval.RankUnitsAsOf), so that what happens after the cut-off does
// not change a closed year's assessment.
func PublicInput(ctx context.Context, db *store.DB, year int, asOf string, units []orgunit.Unit) (map[string]Measure, error) {
	out := map[string]Measure{}
	p, err := publiceval.ParsePeriod(strconv.Itoa(year))
	if err != nil {
		return nil, err
	}
	day, err := time.ParseInLocation("2006-01-02", asOf, period.Shanghai)
	if err != nil {
		return nil, fmt.Errorf("supervise: public evaluation input as of %q: %w", asOf, err)
	}
	end := day.AddDate(0, 0, 1)
	rank := publiceval.RankUnits
	if !end.After(time.Now()) {
		// a past cut-off: replay the figures up to it (the month rows
		// are the figures of now)
		rank = func(ctx context.Context, db *store.DB, path string, p publiceval.Period) ([]publiceval.RankRow, error) {
			return publiceval.RankUnitsAsOf(ctx, db, path, p, end)
		}
	}
	want := map[string]bool{}
	parents := map[string]bool{}
	for _, u := range units {
		want[u.Code] = true
		parents[u.Path[:strings.LastIndex(strings.TrimSuffix(u.Path, "/"), "/")+1]] = true
	}
	for parent := range parents {
		rows, err := rank(ctx, db, parent, p)
		if err != nil {
			return nil, fmt.Errorf("supervise: public evaluation input: %w", err)
		}
		for _, r := range rows {
			c := r.Counts
			if !want[r.Code] || c.Valid() == 0 {
				continue
			}
			score := c.Satisfaction().Percent()
			if c.Cases > 0 {
				score = 0.8*score + 0.2*c.RectifyRate().Percent()
			}
			out[r.Code] = Measure{Score: round2(score), Counts: map[string]int{"valid": int(c.Valid()), "good": int(c.Good()),
				"cases": int(c.Cases), "rectified": int(c.Rectified)}}
		}
	}
	return out, nil
}
