package ecstat

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// The register summary (ecstat_register_cell) holds, for every county ×
// industry section × size class × above-threshold flag × year of birth ×
// year of closing, the number of enterprises, their revenue and the sum
// of the squares of their revenue, exactly. Every write to the register
// (an import, a closing, the demo) changes it in the same transaction, so
// the design of a survey reads its strata and frame totals from a few
// thousand rows instead of the million rows of the register.
// [CheckRegisterSummary] compares it with a recomputation from the
// register, [RepairRegisterSummary] rewrites it from one.

// cellKey is one row of the register summary.
type cellKey struct {
	county, section, size string
	above                 bool
	born, closed          int
}

// active reports whether the cell's enterprises are in the register in
// year.
func (k cellKey) active(year int) bool {
	return k.born <= year && (k.closed == 0 || k.closed > year)
}

func keyOf(e *Enterprise) cellKey {
	return cellKey{county: e.OrgCode, section: e.Section, size: e.Size, above: e.AboveScale, born: e.BornYear, closed: e.ClosedYear}
}

// cellSum is a cell's count, revenue and sum of squared revenue
// (hundredths of 万元, and their squares), exact.
type cellSum struct {
	city    string
	units   int64
	revenue big.Int
	sq      big.Int
}

// cells is a set of summary rows (or of changes to them).
type cells map[cellKey]*cellSum

// add counts an enterprise of key k, city and revenue rev sign times
// (+1 added to the register, -1 taken out). tmp is scratch space.
func (c cells) add(k cellKey, city string, rev int64, sign int64, tmp *big.Int) {
	s := c[k]
	if s == nil {
		s = &cellSum{city: city}
		c[k] = s
	}
	s.units += sign
	tmp.SetInt64(rev)
	if sign < 0 {
		s.revenue.Sub(&s.revenue, tmp)
	} else {
		s.revenue.Add(&s.revenue, tmp)
	}
	tmp.Mul(tmp, tmp)
	if sign < 0 {
		s.sq.Sub(&s.sq, tmp)
	} else {
		s.sq.Add(&s.sq, tmp)
	}
}

// enterprise counts e sign times.
func (c cells) enterprise(e *Enterprise, sign int64, tmp *big.Int) {
	c.add(keyOf(e), e.CityCode, int64(e.Revenue), sign, tmp)
}

// zero reports whether s counts nothing.
func (s *cellSum) zero() bool {
	return s.units == 0 && s.revenue.Sign() == 0 && s.sq.Sign() == 0
}

// SummaryDiff is one row where the stored register summary and a
// recomputation from the register differ.
type SummaryDiff struct {
	County  string `json:"county"`
	Section string `json:"section"`
	Size    string `json:"size"`
	Above   bool   `json:"above_scale"`
	Born    int    `json:"born_year"`
	Closed  int    `json:"closed_year"`
	// Stored and Recomputed: enterprises, revenue (hundredths of 万元)
	// and its sum of squares, as decimal strings.
	Stored     [3]string `json:"stored"`
	Recomputed [3]string `json:"recomputed"`
}

func (s *cellSum) strings() [3]string {
	if s == nil {
		return [3]string{"0", "0", "0"}
	}
	return [3]string{strconv.FormatInt(s.units, 10), s.revenue.String(), s.sq.String()}
}

// diff lists the rows where c (stored) and o (recomputed) differ, in key
// order; a row missing on one side counts as zero there.
func (c cells) diff(o cells) []SummaryDiff {
	var out []SummaryDiff
	seen := map[cellKey]bool{}
	cmpRow := func(k cellKey) {
		if seen[k] {
			return
		}
		seen[k] = true
		a, b := c[k], o[k]
		sa, sb := a.strings(), b.strings()
		if sa != sb {
			out = append(out, SummaryDiff{County: k.county, Section: k.section, Size: k.size, Above: k.above, Born: k.born, Closed: k.closed, Stored: sa, Recomputed: sb})
		}
	}
	for k := range c {
		cmpRow(k)
	}
	for k := range o {
		cmpRow(k)
	}
	slices.SortFunc(out, func(a, b SummaryDiff) int {
		return cmp.Or(cmp.Compare(a.County, b.County), cmp.Compare(a.Section, b.Section), cmp.Compare(a.Size, b.Size),
			cmp.Compare(b2i(a.Above), b2i(b.Above)), cmp.Compare(a.Born, b.Born), cmp.Compare(a.Closed, b.Closed))
	})
	return out
}

// querier is a transaction or a connection pool.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// readCells reads the stored summary rows of enterprises active in year
// (0: every row).
func readCells(ctx context.Context, q querier, year int) (cells, error) {
	query := `SELECT org_code, section, size, above_scale, born_year, closed_year, city_code, units, revenue, revenue_sq FROM ecstat_register_cell`
	var args []any
	if year != 0 {
		query += ` WHERE born_year <= $1 AND (closed_year = 0 OR closed_year > $1)`
		args = append(args, year)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("ecstat: register summary: %w", err)
	}
	defer rows.Close()
	out := cells{}
	for rows.Next() {
		var k cellKey
		var above int
		var rev int64
		var sq string
		s := &cellSum{}
		if err := rows.Scan(&k.county, &k.section, &k.size, &above, &k.born, &k.closed, &s.city, &s.units, &rev, &sq); err != nil {
			return nil, err
		}
		k.above = above == 1
		s.revenue.SetInt64(rev)
		if _, ok := s.sq.SetString(sq, 10); !ok {
			return nil, fmt.Errorf("ecstat: register summary: sum of squares %q", sq)
		}
		out[k] = s
	}
	return out, rows.Err()
}

// recomputeCells works the summary out from the register itself.
func recomputeCells(ctx context.Context, q querier) (cells, error) {
	rows, err := q.QueryContext(ctx, `SELECT org_code, section, size, above_scale, born_year, closed_year, city_code, revenue FROM ecstat_enterprise`)
	if err != nil {
		return nil, fmt.Errorf("ecstat: recompute register summary: %w", err)
	}
	defer rows.Close()
	out := cells{}
	var tmp big.Int
	// The few distinct codes are shared, not allocated per row.
	intern := map[string]string{}
	in := func(b []byte) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		intern[s] = s
		return s
	}
	var county, section, size, city sql.RawBytes
	for rows.Next() {
		var k cellKey
		var above int
		var rev int64
		if err := rows.Scan(&county, &section, &size, &above, &k.born, &k.closed, &city, &rev); err != nil {
			return nil, err
		}
		k.county, k.section, k.size, k.above = in(county), in(section), in(size), above == 1
		out.add(k, in(city), rev, 1, &tmp)
	}
	return out, rows.Err()
}

// writeCells replaces the whole stored summary with c.
func writeCells(ctx context.Context, tx *store.Tx, c cells) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM ecstat_register_cell`); err != nil {
		return err
	}
	keys := make([]cellKey, 0, len(c))
	for k, s := range c {
		if !s.zero() {
			keys = append(keys, k)
		}
	}
	// In key order: the table's key grows at its end.
	slices.SortFunc(keys, func(a, b cellKey) int {
		return cmp.Or(cmp.Compare(a.county, b.county), cmp.Compare(a.section, b.section), cmp.Compare(a.size, b.size),
			cmp.Compare(b2i(a.above), b2i(b.above)), cmp.Compare(a.born, b.born), cmp.Compare(a.closed, b.closed))
	})
	_, err := tx.Copy(ctx, "ecstat_register_cell", []string{"org_code", "section", "size", "above_scale", "born_year", "closed_year", "city_code",
		"units", "revenue", "revenue_sq"}, func(yield func([]any) error) error {
		row := make([]any, 10)
		for _, k := range keys {
			s := c[k]
			if s.units < 0 || s.revenue.Sign() < 0 || s.sq.Sign() < 0 || !s.revenue.IsInt64() {
				return errSummaryOutOfStep
			}
			row[0], row[1], row[2], row[3], row[4], row[5], row[6] = k.county, k.section, k.size, b2i(k.above), k.born, k.closed, s.city
			row[7], row[8], row[9] = s.units, s.revenue.Int64(), s.sq.String()
			if err := yield(row); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("ecstat: write register summary: %w", err)
	}
	return nil
}

// errSummaryOutOfStep: applying a write to the summary left a negative
// count or sum, which only a summary that no longer matches the register
// can give.
var errSummaryOutOfStep = i18n.Errorf("名录汇总与名录库不一致，请运行 zhihui enterprises summary --repair 修复",
	"the register summary no longer matches the register; run zhihui enterprises summary --repair")

// applyCells adds the changes d to the stored summary, in the transaction
// that writes the register (which holds the register lock and called
// [ensureCells] before its first write to the register).
func applyCells(ctx context.Context, tx *store.Tx, d cells) error {
	if len(d) == 0 {
		return nil
	}
	// Few rows (a closing, a small import): row by row; many: the whole
	// summary (a few thousand rows) is read and written again.
	if len(d) > 64 {
		cur, err := readCells(ctx, tx, 0)
		if err != nil {
			return err
		}
		for k, s := range d {
			c := cur[k]
			if c == nil {
				c = &cellSum{city: s.city}
				cur[k] = c
			}
			c.units += s.units
			c.revenue.Add(&c.revenue, &s.revenue)
			c.sq.Add(&c.sq, &s.sq)
			if s.city != "" {
				c.city = s.city
			}
		}
		return writeCells(ctx, tx, cur)
	}
	for k, s := range d {
		if s.zero() {
			continue
		}
		var units, rev int64
		var sqs string
		err := tx.QueryRowContext(ctx, `SELECT units, revenue, revenue_sq FROM ecstat_register_cell
			WHERE org_code = $1 AND section = $2 AND size = $3 AND above_scale = $4 AND born_year = $5 AND closed_year = $6`,
			k.county, k.section, k.size, b2i(k.above), k.born, k.closed).Scan(&units, &rev, &sqs)
		exists := err == nil
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		var sum cellSum
		sum.units = units + s.units
		sum.revenue.SetInt64(rev)
		sum.revenue.Add(&sum.revenue, &s.revenue)
		if _, ok := sum.sq.SetString(cmp.Or(sqs, "0"), 10); !ok {
			return fmt.Errorf("ecstat: register summary: sum of squares %q", sqs)
		}
		sum.sq.Add(&sum.sq, &s.sq)
		if sum.units < 0 || sum.revenue.Sign() < 0 || sum.sq.Sign() < 0 || !sum.revenue.IsInt64() {
			return errSummaryOutOfStep
		}
		switch {
		case sum.zero():
			_, err = tx.ExecContext(ctx, `DELETE FROM ecstat_register_cell
				WHERE org_code = $1 AND section = $2 AND size = $3 AND above_scale = $4 AND born_year = $5 AND closed_year = $6`,
				k.county, k.section, k.size, b2i(k.above), k.born, k.closed)
		case exists:
			_, err = tx.ExecContext(ctx, `UPDATE ecstat_register_cell SET units = $7, revenue = $8, revenue_sq = $9
				WHERE org_code = $1 AND section = $2 AND size = $3 AND above_scale = $4 AND born_year = $5 AND closed_year = $6`,
				k.county, k.section, k.size, b2i(k.above), k.born, k.closed, sum.units, sum.revenue.Int64(), sum.sq.String())
		default:
			_, err = tx.ExecContext(ctx, `INSERT INTO ecstat_register_cell (org_code, section, size, above_scale, born_year, closed_year, city_code, units, revenue, revenue_sq)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				k.county, k.section, k.size, b2i(k.above), k.born, k.closed, s.city, sum.units, sum.revenue.Int64(), sum.sq.String())
		}
		if err != nil {
			return fmt.Errorf("ecstat: register summary: %w", err)
		}
	}
	return nil
}

// ensureCells works the summary out from the register when it is empty
// and the register is not (a database written before the summary was
// kept). A transaction that writes the register calls it, holding the
// register lock, before its first write.
func ensureCells(ctx context.Context, tx *store.Tx) error {
	var have, need bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM ecstat_register_cell), EXISTS (SELECT 1 FROM ecstat_enterprise)`).Scan(&have, &need); err != nil {
		return fmt.Errorf("ecstat: register summary: %w", err)
	}
	if have || !need {
		return nil
	}
	c, err := recomputeCells(ctx, tx)
	if err != nil {
		return err
	}
	return writeCells(ctx, tx, c)
}

// CheckRegisterSummary compares the stored register summary with a
// recomputation from the register, in one transaction that holds the
// register lock, and lists where they differ (none when they agree).
func CheckRegisterSummary(ctx context.Context, db *store.DB) ([]SummaryDiff, error) {
	var out []SummaryDiff
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		stored, err := readCells(ctx, tx, 0)
		if err != nil {
			return err
		}
		again, err := recomputeCells(ctx, tx)
		if err != nil {
			return err
		}
		out = stored.diff(again)
		return nil
	})
	return out, err
}

// RepairRegisterSummary rewrites the register summary from the register
// when it differs from a recomputation, audited with the number of rows
// that differed, and returns the differences it repaired.
func RepairRegisterSummary(ctx context.Context, db *store.DB, a audit.Actor) ([]SummaryDiff, error) {
	var out []SummaryDiff
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		stored, err := readCells(ctx, tx, 0)
		if err != nil {
			return err
		}
		again, err := recomputeCells(ctx, tx)
		if err != nil {
			return err
		}
		out = stored.diff(again)
		if len(out) == 0 {
			return nil
		}
		if err := writeCells(ctx, tx, again); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "repair", "ecstat_register", "summary", "/41/", nil, map[string]int{"rows_differing": len(out), "rows": len(again)})
	})
	return out, err
}

// stratumStats are the frame's count, revenue and sum of squared revenue
// of one stratum, from the summary.
type stratumStats struct {
	pop     int64
	revenue big.Int
	sq      big.Int
}

// sd is the stratum's standard deviation of revenue in 万元, from its
// exact sums: √((N·Σx² − (Σx)²) / (N(N−1))) / 100 (0 for fewer than two).
func (s *stratumStats) sd() float64 {
	if s.pop < 2 {
		return 0
	}
	var num, t big.Int
	num.Mul(big.NewInt(s.pop), &s.sq)
	t.Mul(&s.revenue, &s.revenue)
	num.Sub(&num, &t)
	if num.Sign() <= 0 {
		return 0
	}
	den := new(big.Int).Mul(big.NewInt(s.pop), big.NewInt(s.pop-1))
	v, _ := new(big.Rat).SetFrac(&num, den).Float64()
	return math.Sqrt(v) / 100
}

// revenueFloat is the stratum's revenue in 万元.
func (s *stratumStats) revenueFloat() float64 {
	v, _ := new(big.Rat).SetFrac(&s.revenue, big.NewInt(100)).Float64()
	return v
}
