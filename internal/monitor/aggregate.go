package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"

	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Aggregates. A cell (element, period P, unit U) summarises every value
// of the element whose period lies within P and whose unit lies in the
// subtree of U (U included): sum, count, min, max, and the latest period
// with the sum of the values at it. Villages (the leaves) have no cells;
// their values are the raw values.
//
// Writes keep cells exact in the same transaction. Sums and counts move by
// deltas; min and max move by deltas while values are added or move
// outward; when a value that may have been a cell's min, max or latest is
// lowered, raised, or deleted, that cell is recomputed from its children's
// cells and the raw values of its own unit and village children, deepest
// units first. Very large rewrites rebuild the element's cells per year.

type aggKey struct {
	el, pe int32 // element id; index into deltas.pes
	ou     int32
}

type delta struct {
	sum     float64
	cnt     int64
	min     float64
	max     float64
	lastPe  string
	last    float64
	recheck bool    // a stored value changed or went away
	oldMin  float64 // smallest and largest replaced or deleted value
	oldMax  float64
	deleted bool // a value went away
}

func newDelta() *delta {
	return &delta{min: math.Inf(1), max: math.Inf(-1), oldMin: math.Inf(1), oldMax: math.Inf(-1)}
}

// baseKey is (element id, batch period index, nearest aggregate unit).
type baseKey struct {
	el, pe int32
	ou     int32
}

type deltas struct {
	b        *batch
	base     map[baseKey]*delta
	lastKey  baseKey
	lastBase *delta
	pes      []string
	peIdx    map[string]int32
	// periods each batch period rolls up into, itself first
	up    map[int32][]int32
	cells map[aggKey]*delta
	ptype map[int32]period.Type
	x     *unitIndex
}

func newDeltas(x *unitIndex, b *batch) *deltas {
	return &deltas{x: x, b: b, base: map[baseKey]*delta{}, peIdx: map[string]int32{}, up: map[int32][]int32{}, cells: map[aggKey]*delta{}, ptype: map[int32]period.Type{}}
}

func (d *deltas) periodIdx(p period.Period) int32 {
	id := p.ID()
	if i, ok := d.peIdx[id]; ok {
		return i
	}
	d.pes = append(d.pes, id)
	d.peIdx[id] = int32(len(d.pes) - 1)
	d.ptype[int32(len(d.pes)-1)] = p.Type
	return int32(len(d.pes) - 1)
}

func (d *deltas) rollup(bp int32) []int32 {
	if u, ok := d.up[bp]; ok {
		return u
	}
	p := d.b.pes[bp]
	out := []int32{d.periodIdx(p)}
	for _, a := range p.Ancestors() {
		out = append(out, d.periodIdx(a))
	}
	d.up[bp] = out
	return out
}

// add records r replacing old (nil when there was none). Rows are first
// summed per (element, period, nearest aggregate unit); flush spreads
// those sums up the unit and period hierarchies, so that a million
// village values cost a million cheap additions and a few hundred
// thousand map updates, not sixteen million.
func (d *deltas) add(r *row, old *float64) {
	e := d.b.els[r.el]
	pe := d.b.peIDs[r.pe]
	chain := d.x.aggUnits(r.unit)
	if len(chain) == 0 {
		return
	}
	k := baseKey{int32(e.ID), r.pe, int32(chain[0])}
	c := d.lastBase
	if c == nil || d.lastKey != k {
		c = d.base[k]
		if c == nil {
			c = newDelta()
			d.base[k] = c
		}
		d.lastKey, d.lastBase = k, c
	}
	one := newDelta()
	if !r.del {
		one.sum, one.last = r.num, r.num
		one.min, one.max = r.num, r.num
		if old == nil {
			one.cnt = 1
		}
	}
	if old != nil {
		one.sum -= *old
		one.last -= *old
		one.recheck = true
		one.oldMin, one.oldMax = *old, *old
		if r.del {
			one.cnt = -1
			one.deleted = true
		}
	}
	one.lastPe = pe
	c.merge(one)
}

func (c *delta) merge(o *delta) {
	c.sum += o.sum
	c.cnt += o.cnt
	c.min = math.Min(c.min, o.min)
	c.max = math.Max(c.max, o.max)
	switch {
	case o.lastPe > c.lastPe:
		c.lastPe, c.last = o.lastPe, o.last
	case o.lastPe == c.lastPe:
		c.last += o.last
	}
	c.recheck = c.recheck || o.recheck
	c.oldMin = math.Min(c.oldMin, o.oldMin)
	c.oldMax = math.Max(c.oldMax, o.oldMax)
	c.deleted = c.deleted || o.deleted
}

// stale reports whether a cell whose stored state after the delta is
// (mn, mx, cnt) may be inexact: a deleted value, or a replaced value that
// was its minimum or maximum. Sums, counts and the latest period's sum
// are exact under deltas; min and max are exact unless the value that
// held them moved inward; the latest period may move back only when a
// value is deleted.
func (c *delta) stale(mn, mx float64, cnt int64) bool {
	return c.deleted || cnt <= 0 || mn >= c.oldMin || mx <= c.oldMax
}

// expand spreads the per-unit sums into every cell they feed.
func (d *deltas) expand() {
	for k, b := range d.base {
		u := d.x.byIDs(int64(k.ou))
		for _, ouID := range d.x.aggUnits(u) {
			for _, p := range d.rollup(k.pe) {
				ck := aggKey{k.el, p, int32(ouID)}
				c := d.cells[ck]
				if c == nil {
					c = newDelta()
					d.cells[ck] = c
				}
				c.merge(b)
			}
		}
	}
	clear(d.base)
	d.lastBase = nil
}

// sentinel bounds stand in for "no new value" in min/max columns.
const bigNum = 1e308

func (db dialect) least() string {
	if store.Dialect(db) == store.Postgres {
		return "LEAST"
	}
	return "min"
}

func (db dialect) greatest() string {
	if store.Dialect(db) == store.Postgres {
		return "GREATEST"
	}
	return "max"
}

type dialect store.Dialect

func upsertAggSQL(d store.Dialect, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO monitor_agg (element_id, pe, ou_id, sum, cnt, min, max, last_pe, last) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		o := i * 9
		fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", o+1, o+2, o+3, o+4, o+5, o+6, o+7, o+8, o+9)
	}
	fmt.Fprintf(&b, ` ON CONFLICT (element_id, pe, ou_id) DO UPDATE SET
		sum = monitor_agg.sum + excluded.sum,
		cnt = monitor_agg.cnt + excluded.cnt,
		min = %s(monitor_agg.min, excluded.min),
		max = %s(monitor_agg.max, excluded.max),
		last = CASE WHEN excluded.last_pe > monitor_agg.last_pe THEN excluded.last
			WHEN excluded.last_pe = monitor_agg.last_pe THEN monitor_agg.last + excluded.last ELSE monitor_agg.last END,
		last_pe = CASE WHEN excluded.last_pe > monitor_agg.last_pe THEN excluded.last_pe ELSE monitor_agg.last_pe END`,
		dialect(d).least(), dialect(d).greatest())
	return rebind(d, b.String())
}

// flush applies every cell delta once, then recomputes the cells a changed
// or deleted value may have left inexact.
func (d *deltas) flush(ctx context.Context, db *store.DB, tx *sql.Tx) error {
	d.expand()
	if len(d.cells) == 0 {
		return nil
	}
	keys := make([]aggKey, 0, len(d.cells))
	for k := range d.cells {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.el != b.el {
			return a.el < b.el
		}
		if a.pe != b.pe {
			return d.pes[a.pe] < d.pes[b.pe]
		}
		return a.ou < b.ou
	})
	per := 3000
	if db.Dialect == store.SQLite {
		per = 300
	}
	anyRecheck := false
	for _, c := range d.cells {
		anyRecheck = anyRecheck || c.recheck
	}
	// When stored values changed, the upsert returns each cell's new
	// state so that only cells left inexact are recomputed.
	returning := ""
	if anyRecheck {
		returning = " RETURNING element_id, pe, ou_id, min, max, cnt, sum, last_pe, last"
	}
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, min(len(keys), per)*9)
	var recheck []aggKey
	// Cells left holding a single value need no query: that value is
	// their sum, min, max and latest.
	single := map[aggKey]Cell{}
	byKey := func(el int64, pe string, ou int64) (aggKey, bool) {
		i, ok := d.peIdx[pe]
		return aggKey{int32(el), i, int32(ou)}, ok
	}
	for i, k := range keys {
		c := d.cells[k]
		mn, mx := c.min, c.max
		if math.IsInf(mn, 1) {
			mn, mx = bigNum, -bigNum
		}
		args = append(args, int64(k.el), d.pes[k.pe], int64(k.ou), c.sum, c.cnt, mn, mx, c.lastPe, c.last)
		if len(args) < per*9 && i < len(keys)-1 {
			continue
		}
		n := len(args) / 9
		var rows *sql.Rows
		var err error
		switch {
		case n == per && returning == "":
			if full == nil {
				if full, err = tx.PrepareContext(ctx, upsertAggSQL(db.Dialect, per)); err != nil {
					return fmt.Errorf("monitor: prepare aggregates: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		case returning == "":
			_, err = tx.ExecContext(ctx, upsertAggSQL(db.Dialect, n), args...)
		default:
			rows, err = tx.QueryContext(ctx, upsertAggSQL(db.Dialect, n)+returning, args...)
		}
		if err != nil {
			return fmt.Errorf("monitor: upsert aggregates: %w", err)
		}
		if rows != nil {
			for rows.Next() {
				var el, ou, cnt int64
				var pe, lastPe string
				var mn, mx, sum, last float64
				if err := rows.Scan(&el, &pe, &ou, &mn, &mx, &cnt, &sum, &lastPe, &last); err != nil {
					rows.Close()
					return err
				}
				if k, ok := byKey(el, pe, ou); ok {
					if c := d.cells[k]; c != nil && c.recheck && c.stale(mn, mx, cnt) {
						if cnt == 1 && !c.deleted {
							single[k] = Cell{Sum: sum, Count: 1, Min: sum, Max: sum, LastPeriod: lastPe, Last: sum}
						}
						recheck = append(recheck, k)
					}
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("monitor: upsert aggregates: %w", err)
			}
		}
		args = args[:0]
	}
	if len(recheck) == 0 {
		return nil
	}
	if len(recheck) > rebuildOver {
		return d.rebuildTouched(ctx, db, tx, recheck)
	}
	return d.recompute(ctx, db, tx, recheck, single)
}

// rebuildOver is the number of possibly inexact cells above which an
// element's cells are rebuilt per year rather than one by one.
const rebuildOver = 5000

func (d *deltas) rebuildTouched(ctx context.Context, db *store.DB, tx *sql.Tx, keys []aggKey) error {
	years := map[int32]map[int]bool{}
	for _, k := range keys {
		p, _ := period.Parse(d.pes[k.pe])
		if years[k.el] == nil {
			years[k.el] = map[int]bool{}
		}
		years[k.el][p.Year] = true
	}
	for el, ys := range years {
		var e *Element
		for _, x := range d.b.els {
			if x.ID == int64(el) {
				e = x
			}
		}
		for y := range ys {
			if err := rebuildYear(ctx, db, tx, e, y); err != nil {
				return err
			}
		}
	}
	return nil
}

// recompute sets the given cells from their children, deepest units first.
func (d *deltas) recompute(ctx context.Context, db *store.DB, tx *sql.Tx, keys []aggKey, known map[aggKey]Cell) error {
	x := units(db)
	sort.Slice(keys, func(i, j int) bool {
		a, b := x.byIDs(int64(keys[i].ou)), x.byIDs(int64(keys[j].ou))
		if a.level != b.level {
			return a.level > b.level
		}
		return keys[i].ou < keys[j].ou
	})
	elByID := map[int64]*Element{}
	for _, e := range d.b.els {
		elByID[e.ID] = e
	}
	// Compute every cell first, deepest units first, each from its
	// children as they now are (recomputed children from memory), then
	// store them in one statement.
	done := make(map[aggKey]Cell, len(keys))
	var todo []aggKey
	for _, k := range keys {
		if c, ok := known[k]; ok {
			done[k] = c
		} else {
			todo = append(todo, k)
		}
	}
	for start := 0; start < len(todo); {
		// One round trip per unit level (and per 40 cells): the cells of
		// a level depend only on the levels below, already in done.
		level := x.byIDs(int64(todo[start].ou)).level
		end := start
		for end < len(todo) && end-start < 40 && x.byIDs(int64(todo[end].ou)).level == level {
			end++
		}
		if err := recomputeCells(ctx, db, tx, elByID, d.pes, todo[start:end], done); err != nil {
			return err
		}
		start = end
	}
	var args []any
	flushSet := func() error {
		if len(args) == 0 {
			return nil
		}
		_, err := tx.ExecContext(ctx, setAggSQL(db.Dialect, len(args)/9), args...)
		args = args[:0]
		return err
	}
	for _, k := range keys {
		c := done[k]
		if c.Count == 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM monitor_agg WHERE element_id = $1 AND pe = $2 AND ou_id = $3", int64(k.el), d.pes[k.pe], int64(k.ou)); err != nil {
				return fmt.Errorf("monitor: recompute aggregate: %w", err)
			}
			continue
		}
		args = append(args, int64(k.el), d.pes[k.pe], int64(k.ou), c.Sum, c.Count, c.Min, c.Max, c.LastPeriod, c.Last)
		if len(args) >= 300*9 {
			if err := flushSet(); err != nil {
				return fmt.Errorf("monitor: recompute aggregate: %w", err)
			}
		}
	}
	if err := flushSet(); err != nil {
		return fmt.Errorf("monitor: recompute aggregate: %w", err)
	}
	return nil
}

// recomputeCells computes keys (all at one unit level) from their
// children in one query: each child cell (taken from done when it was
// recomputed in this write) and the raw values of the unit itself and of
// its village children.
func recomputeCells(ctx context.Context, db *store.DB, q querier, els map[int64]*Element, pes []string, keys []aggKey, done map[aggKey]Cell) error {
	x := units(db)
	var parts []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	// in is "col IN (…)" on SQLite and "col = ANY($n)" on PostgreSQL,
	// whose statement text then stays the same from write to write, so
	// the driver's prepared statement and its plan are reused.
	in := func(col string, vs []any) string {
		if db.Dialect != store.Postgres {
			ph := make([]string, len(vs))
			for i, v := range vs {
				ph[i] = arg(v)
			}
			return col + " IN (" + strings.Join(ph, ",") + ")"
		}
		switch vs[0].(type) {
		case string:
			a := make([]string, len(vs))
			for i, v := range vs {
				a[i] = v.(string)
			}
			return col + " = ANY(" + arg(a) + ")"
		default:
			a := make([]int64, len(vs))
			for i, v := range vs {
				a[i] = v.(int64)
			}
			return col + " = ANY(" + arg(a) + ")"
		}
	}
	for i, k := range keys {
		e := els[int64(k.el)]
		p, err := period.Parse(pes[k.pe])
		if err != nil {
			return err
		}
		u := x.byIDs(int64(k.ou))
		var aggKids []any
		rawUnits := []any{u.id}
		for _, c := range x.children(u.id) {
			if x.byIDs(c).level >= leafLevel {
				rawUnits = append(rawUnits, c)
			} else {
				aggKids = append(aggKids, c)
			}
		}
		if len(aggKids) > 0 {
			parts = append(parts, fmt.Sprintf("SELECT %d, ou_id, sum, cnt, min, max, last_pe, last FROM monitor_agg WHERE element_id = %s AND pe = %s AND %s",
				i, arg(e.ID), arg(p.ID()), in("ou_id", aggKids)))
		}
		parts = append(parts, fmt.Sprintf("SELECT %d, 0, value, 1, value, value, pe, value FROM monitor_value WHERE element_id = %s AND %s AND %s AND value IS NOT NULL",
			i, arg(e.ID), in("pe", subPeriods(p, e.PType())), in("ou_id", rawUnits)))
	}
	rows, err := q.QueryContext(ctx, rebind(db.Dialect, strings.Join(parts, " UNION ALL ")), args...)
	if err != nil {
		return fmt.Errorf("monitor: recompute aggregates: %w", err)
	}
	defer rows.Close()
	cells := make([]Cell, len(keys))
	for rows.Next() {
		var i int
		var child int64
		var o Cell
		if err := rows.Scan(&i, &child, &o.Sum, &o.Count, &o.Min, &o.Max, &o.LastPeriod, &o.Last); err != nil {
			return err
		}
		if child > 0 {
			if oc, ok := done[aggKey{keys[i].el, keys[i].pe, int32(child)}]; ok {
				o = oc
			}
		}
		cells[i].merge(o)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, k := range keys {
		done[k] = cells[i]
	}
	return nil
}

// setAggSQL stores n cells as they are (not as deltas).
func setAggSQL(d store.Dialect, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO monitor_agg (element_id, pe, ou_id, sum, cnt, min, max, last_pe, last) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		o := i * 9
		fmt.Fprintf(&b, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", o+1, o+2, o+3, o+4, o+5, o+6, o+7, o+8, o+9)
	}
	b.WriteString(` ON CONFLICT (element_id, pe, ou_id) DO UPDATE SET sum = excluded.sum, cnt = excluded.cnt,
		min = excluded.min, max = excluded.max, last_pe = excluded.last_pe, last = excluded.last`)
	return rebind(d, b.String())
}

// Cell is one aggregate: what the values of an element within a period
// and a subtree add up to.
type Cell struct {
	Sum        float64 `json:"sum"`
	Count      int64   `json:"count"`
	Min        float64 `json:"min"`
	Max        float64 `json:"max"`
	LastPeriod string  `json:"last_period"`
	Last       float64 `json:"last"`
}

func (c *Cell) merge(o Cell) {
	if o.Count == 0 {
		return
	}
	if c.Count == 0 {
		*c = o
		return
	}
	c.Sum += o.Sum
	c.Count += o.Count
	c.Min = math.Min(c.Min, o.Min)
	c.Max = math.Max(c.Max, o.Max)
	switch {
	case o.LastPeriod > c.LastPeriod:
		c.LastPeriod, c.Last = o.LastPeriod, o.Last
	case o.LastPeriod == c.LastPeriod:
		c.Last += o.Last
	}
}

func (c *Cell) addValue(pe string, v float64) {
	c.merge(Cell{Sum: v, Count: 1, Min: v, Max: v, LastPeriod: pe, Last: v})
}

// Value is the cell's figure under aggregation agg; false when there is
// none (no values, or several under aggregation none).
func (c Cell) Value(agg string) (float64, bool) {
	if c.Count == 0 {
		return 0, false
	}
	switch agg {
	case Sum:
		return c.Sum, true
	case Average:
		return c.Sum / float64(c.Count), true
	case Min:
		return c.Min, true
	case Max:
		return c.Max, true
	case Last:
		return c.Last, true
	case None:
		if c.Count == 1 {
			return c.Sum, true
		}
	}
	return 0, false
}

// subPeriods are the ids of the periods of type t within p.
func subPeriods(p period.Period, t period.Type) []any {
	ch := p.Children(t)
	out := make([]any, len(ch))
	for i, c := range ch {
		out[i] = c.ID()
	}
	return out
}

func placeholders(from, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(ph, ",")
}

// cellFromChildren computes the cell (e, p, u) from the cells of u's
// non-village children at p and the raw values of u and its village
// children within p.
func cellFromChildren(ctx context.Context, db *store.DB, q querier, e *Element, p period.Period, u *ou, override func(ou int64) (Cell, bool)) (Cell, error) {
	var c Cell
	// add merges a row; child cells recomputed earlier in this write
	// (not yet stored) replace what the store holds for them.
	add := func(ouID int64, o Cell) {
		if ouID > 0 && override != nil {
			if oc, ok := override(ouID); ok {
				o = oc
			}
		}
		c.merge(o)
	}
	x := units(db)
	kids := x.children(u.id)
	var aggKids, rawUnits []any
	rawUnits = append(rawUnits, u.id)
	for _, k := range kids {
		if x.byIDs(k).level >= leafLevel {
			rawUnits = append(rawUnits, k)
		} else {
			aggKids = append(aggKids, k)
		}
	}
	pes := subPeriods(p, e.PType())
	if len(aggKids) <= 500 && len(rawUnits) <= 400 {
		// One round trip: the children's cells and the raw values together.
		args := []any{e.ID, p.ID()}
		stmt := ""
		if len(aggKids) > 0 {
			args = append(args, aggKids...)
			stmt = "SELECT ou_id, sum, cnt, min, max, last_pe, last FROM monitor_agg WHERE element_id = $1 AND pe = $2 AND ou_id IN (" + placeholders(3, len(aggKids)) + ") UNION ALL "
		}
		n := len(args)
		args = append(args, e.ID)
		args = append(args, pes...)
		args = append(args, rawUnits...)
		stmt += fmt.Sprintf("SELECT 0, value, 1, value, value, pe, value FROM monitor_value WHERE element_id = $%d AND pe IN (", n+1) + placeholders(n+2, len(pes)) +
			") AND ou_id IN (" + placeholders(n+2+len(pes), len(rawUnits)) + ") AND value IS NOT NULL"
		if len(aggKids) == 0 {
			args = args[2:]
			stmt = "SELECT 0, value, 1, value, value, pe, value FROM monitor_value WHERE element_id = $1 AND pe IN (" + placeholders(2, len(pes)) +
				") AND ou_id IN (" + placeholders(2+len(pes), len(rawUnits)) + ") AND value IS NOT NULL"
		}
		rows, err := q.QueryContext(ctx, rebind(db.Dialect, stmt), args...)
		if err != nil {
			return c, fmt.Errorf("monitor: read children: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var o Cell
			var id int64
			if err := rows.Scan(&id, &o.Sum, &o.Count, &o.Min, &o.Max, &o.LastPeriod, &o.Last); err != nil {
				return c, err
			}
			add(id, o)
		}
		return c, rows.Err()
	}
	for start := 0; start < len(aggKids); start += 500 {
		chunk := aggKids[start:min(len(aggKids), start+500)]
		args := append([]any{e.ID, p.ID()}, chunk...)
		rows, err := q.QueryContext(ctx, rebind(db.Dialect, "SELECT ou_id, sum, cnt, min, max, last_pe, last FROM monitor_agg WHERE element_id = $1 AND pe = $2 AND ou_id IN ("+placeholders(3, len(chunk))+")"), args...)
		if err != nil {
			return c, fmt.Errorf("monitor: read child aggregates: %w", err)
		}
		for rows.Next() {
			var o Cell
			var id int64
			if err := rows.Scan(&id, &o.Sum, &o.Count, &o.Min, &o.Max, &o.LastPeriod, &o.Last); err != nil {
				rows.Close()
				return c, err
			}
			add(id, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, err
		}
	}
	for start := 0; start < len(rawUnits); start += 400 {
		chunk := rawUnits[start:min(len(rawUnits), start+400)]
		args := append([]any{e.ID}, pes...)
		args = append(args, chunk...)
		rows, err := q.QueryContext(ctx, rebind(db.Dialect, "SELECT pe, value FROM monitor_value WHERE element_id = $1 AND pe IN ("+placeholders(2, len(pes))+
			") AND ou_id IN ("+placeholders(2+len(pes), len(chunk))+") AND value IS NOT NULL"), args...)
		if err != nil {
			return c, fmt.Errorf("monitor: read values: %w", err)
		}
		for rows.Next() {
			var pe string
			var v float64
			if err := rows.Scan(&pe, &v); err != nil {
				rows.Close()
				return c, err
			}
			c.addValue(pe, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return c, err
		}
	}
	return c, nil
}

// rebuildYear recomputes every cell of element e for the periods of year
// y from the raw values, replacing what was there. It reads the year's
// values in key order and keeps only that year's cells in memory.
func rebuildYear(ctx context.Context, db *store.DB, tx *sql.Tx, e *Element, y int) error {
	if !e.Numeric() {
		return nil
	}
	lo, hi := fmt.Sprintf("%04d", y), fmt.Sprintf("%04d", y+1)
	if _, err := tx.ExecContext(ctx, "DELETE FROM monitor_agg WHERE element_id = $1 AND pe >= $2 AND pe < $3", e.ID, lo, hi); err != nil {
		return fmt.Errorf("monitor: rebuild: %w", err)
	}
	rows, err := tx.QueryContext(ctx, "SELECT pe, ou_id, value FROM monitor_value WHERE element_id = $1 AND pe >= $2 AND pe < $3 AND value IS NOT NULL ORDER BY pe, ou_id", e.ID, lo, hi)
	if err != nil {
		return fmt.Errorf("monitor: rebuild: %w", err)
	}
	b := newBatch()
	b.element(e)
	x := units(db)
	d := newDeltas(x, b)
	for rows.Next() {
		var pe string
		var ouID int64
		var v float64
		if err := rows.Scan(&pe, &ouID, &v); err != nil {
			rows.Close()
			return err
		}
		p, err := period.Parse(pe)
		if err != nil {
			rows.Close()
			return err
		}
		u := x.byIDs(ouID)
		if u == nil {
			continue
		}
		r := row{el: 0, pe: b.period(p), unit: u, num: v}
		d.add(&r, nil)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return d.flush(ctx, db, tx)
}

// Rebuild recomputes every aggregate of the given elements (all when
// codes is empty) from the raw values, one year at a time, in one
// transaction. It is how aggregates are made after values were loaded by
// other means than [SaveValues], and a check of the incremental upkeep.
func Rebuild(ctx context.Context, db *store.DB, codes ...string) error {
	els, err := Elements(ctx, db)
	if err != nil {
		return err
	}
	if _, err := units(db).lookup(ctx, db, "41"); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, c := range codes {
		want[c] = true
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		for i := range els {
			e := &els[i]
			if len(codes) > 0 && !want[e.Code] {
				continue
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM monitor_agg WHERE element_id = $1", e.ID); err != nil {
				return err
			}
			var yLo, yHi sql.NullString
			if err := tx.QueryRowContext(ctx, "SELECT min(pe), max(pe) FROM monitor_value WHERE element_id = $1", e.ID).Scan(&yLo, &yHi); err != nil {
				return err
			}
			if !yLo.Valid {
				continue
			}
			var a, b int
			fmt.Sscanf(yLo.String[:4], "%d", &a)
			fmt.Sscanf(yHi.String[:4], "%d", &b)
			for y := a; y <= b; y++ {
				if err := rebuildYear(ctx, db, tx, e, y); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// rebind turns $1, $2, … into plain ? placeholders on SQLite when they
// appear in order. SQLite resolves every numbered parameter by walking a
// list of names, which makes statements with thousands of parameters
// quadratic to bind; anonymous ? parameters skip that.
func rebind(d store.Dialect, q string) string {
	if d != store.SQLite {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	next := 1
	for i := 0; i < len(q); i++ {
		if q[i] != '$' || i+1 >= len(q) || q[i+1] < '0' || q[i+1] > '9' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		n := 0
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			n = n*10 + int(q[j]-'0')
			j++
		}
		if n != next {
			return q // out of order: keep the numbered form
		}
		next++
		b.WriteByte('?')
		i = j - 1
	}
	return b.String()
}
