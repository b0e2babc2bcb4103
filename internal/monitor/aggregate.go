package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"zhihui/internal/i18n"
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
// lowered, raised, or deleted, that cell is recomputed (see recompute).
// Very large rewrites rebuild the element's cells per year.

type aggKey struct {
	el, pe int32 // element id; index into deltas.pes
	ou     int32
}

type delta struct {
	sum     int64 // in units of 10^-scale of the element
	cnt     int64
	min     int64
	max     int64
	lastPe  string
	last    int64
	recheck bool  // a stored value changed or went away
	oldMin  int64 // smallest and largest replaced or deleted value
	oldMax  int64
	deleted bool // a value went away
	over    bool // a sum left the int64 range
}

func newDelta() *delta {
	return &delta{min: math.MaxInt64, max: math.MinInt64, oldMin: math.MaxInt64, oldMax: math.MinInt64}
}

// addExact is a+b, setting *over when it leaves the int64 range.
func addExact(a, b int64, over *bool) int64 {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		*over = true
	}
	return s
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
	// with is a WITH clause of data-modifying statements (PostgreSQL
	// only), numbered $1 … $len(withArgs), that flush sends as part of
	// its first statement.
	with     string
	withArgs []any
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
func (d *deltas) add(r *row, old *int64) {
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
		one.sum, one.last = r.fx, r.fx
		one.min, one.max = r.fx, r.fx
		if old == nil {
			one.cnt = 1
		}
	}
	if old != nil {
		// values lie within ±(2^53−1): their difference cannot overflow
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
	c.sum = addExact(c.sum, o.sum, &c.over)
	c.cnt += o.cnt
	c.min = min(c.min, o.min)
	c.max = max(c.max, o.max)
	switch {
	case o.lastPe > c.lastPe:
		c.lastPe, c.last = o.lastPe, o.last
	case o.lastPe == c.lastPe:
		c.last = addExact(c.last, o.last, &c.over)
	}
	c.recheck = c.recheck || o.recheck
	c.oldMin = min(c.oldMin, o.oldMin)
	c.oldMax = max(c.oldMax, o.oldMax)
	c.deleted = c.deleted || o.deleted
	c.over = c.over || o.over
}

// stale reports whether a cell whose stored state after the delta is
// (mn, mx, cnt) may be inexact: a deleted value, or a replaced value that
// was its minimum or maximum. Sums, counts and the latest period's sum
// are exact under deltas; min and max are exact unless the value that
// held them moved inward; the latest period may move back only when a
// value is deleted.
func (c *delta) stale(mn, mx, cnt int64) bool {
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

// errTooLarge is the answer to a write after which a total would leave
// the int64 range of the aggregates.
var errTooLarge = i18n.Errorf("写入后合计超出可精确保存的范围（%d 个最小单位）", "after this write a total would exceed what can be kept exactly (%d units of the smallest decimal)", int64(math.MaxInt64))

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

// upsertAggSQL adds n cell deltas, numbering parameters from $from.
func upsertAggSQL(d store.Dialect, n, from int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO monitor_agg (element_id, pe, ou_id, sum, cnt, min, max, last_pe, last) VALUES ")
	b.WriteString(store.Tuples(from, n, 9))
	fmt.Fprintf(&b, ` ON CONFLICT (element_id, pe, ou_id) DO UPDATE SET
		sum = monitor_agg.sum + excluded.sum,
		cnt = monitor_agg.cnt + excluded.cnt,
		min = %s(monitor_agg.min, excluded.min),
		max = %s(monitor_agg.max, excluded.max),
		last = CASE WHEN excluded.last_pe > monitor_agg.last_pe THEN excluded.last
			WHEN excluded.last_pe = monitor_agg.last_pe THEN monitor_agg.last + excluded.last ELSE monitor_agg.last END,
		last_pe = CASE WHEN excluded.last_pe > monitor_agg.last_pe THEN excluded.last_pe ELSE monitor_agg.last_pe END`,
		dialect(d).least(), dialect(d).greatest())
	return store.Rebind(d, b.String())
}

// flush applies every cell delta once, then recomputes the cells a changed
// or deleted value may have left inexact.
func (d *deltas) flush(ctx context.Context, db *store.DB, tx *store.Tx) error {
	d.expand()
	with, withArgs := d.with, d.withArgs
	d.with, d.withArgs = "", nil
	if len(d.cells) == 0 {
		if with != "" {
			if _, err := tx.ExecContext(ctx, with+" SELECT 1", withArgs...); err != nil {
				return fmt.Errorf("monitor: write values: %w", err)
			}
		}
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
		if c.over {
			return errTooLarge
		}
		// without a new value min and max stay MaxInt64 and MinInt64,
		// which LEAST and GREATEST leave the stored bounds alone for
		mn, mx := c.min, c.max
		args = append(args, int64(k.el), d.pes[k.pe], int64(k.ou), c.sum, c.cnt, mn, mx, c.lastPe, c.last)
		if len(args) < per*9 && i < len(keys)-1 {
			continue
		}
		n := len(args) / 9
		var rows *sql.Rows
		var err error
		switch {
		case with != "":
			// the value writes go with the first cells
			q := with + " " + upsertAggSQL(db.Dialect, n, len(withArgs)+1)
			all := append(withArgs, args...)
			with, withArgs = "", nil
			if returning == "" {
				_, err = tx.ExecContext(ctx, q, all...)
			} else {
				rows, err = tx.QueryContext(ctx, q+returning, all...)
			}
		case n == per && returning == "":
			if full == nil {
				if full, err = tx.PrepareContext(ctx, upsertAggSQL(db.Dialect, per, 1)); err != nil {
					return fmt.Errorf("monitor: prepare aggregates: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		case returning == "":
			_, err = tx.ExecContext(ctx, upsertAggSQL(db.Dialect, n, 1), args...)
		default:
			rows, err = tx.QueryContext(ctx, upsertAggSQL(db.Dialect, n, 1)+returning, args...)
		}
		if store.IsOutOfRange(err) {
			return errTooLarge
		}
		if err != nil {
			return fmt.Errorf("monitor: upsert aggregates: %w", err)
		}
		if rows != nil {
			for rows.Next() {
				var el, ou, cnt int64
				var pe, lastPe string
				var mn, mx, sum, last int64
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
			if err := rows.Err(); store.IsOutOfRange(err) {
				return errTooLarge
			} else if err != nil {
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

func (d *deltas) rebuildTouched(ctx context.Context, db *store.DB, tx *store.Tx, keys []aggKey) error {
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

// recompute sets the given cells exactly. A cell at the element's own
// period type is the sum of its non-village children's cells at that
// period and the raw values there of its unit and of its village
// children; a cell at a longer period is the sum of the unit's cells at
// the periods one type shorter that make it up (a year of its two
// half-years, a quarter of its three months). Every cell's part that is
// not itself being recomputed is read in one query for all cells at once;
// the recomputed cells are then added into the cells they make up in
// memory, shortest periods and deepest units first, so that the whole
// recompute costs one read and one write.
func (d *deltas) recompute(ctx context.Context, db *store.DB, tx *store.Tx, keys []aggKey, known map[aggKey]Cell) error {
	x := units(db)
	sort.Slice(keys, func(i, j int) bool {
		if a, b := d.ptype[keys[i].pe], d.ptype[keys[j].pe]; a != b {
			return a < b
		}
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
	set := make(map[aggKey]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	var todo []aggKey
	for _, k := range keys {
		if _, ok := known[k]; !ok {
			todo = append(todo, k)
		}
	}
	own := make([]Cell, len(todo))
	if err := d.readOwnParts(ctx, db, tx, elByID, todo, set, own); err != nil {
		return err
	}
	done := make(map[aggKey]Cell, len(keys))
	for k, c := range known {
		if set[k] {
			done[k] = c
		}
	}
	for i, k := range todo {
		done[k] = own[i]
	}
	// When k is reached, every recomputed cell that makes it up has
	// already been added into it. Known cells are complete as they are.
	feed := func(k, into aggKey) {
		if _, ok := known[into]; ok || !set[into] {
			return
		}
		c := done[into]
		c.merge(done[k])
		done[into] = c
	}
	for _, k := range keys {
		pt := d.ptype[k.pe]
		if pt == elByID[int64(k.el)].PType() {
			feed(k, aggKey{k.el, k.pe, int32(x.byIDs(int64(k.ou)).parent)})
		}
		if up, ok := d.longer(k.pe); ok {
			feed(k, aggKey{k.el, up, k.ou})
		}
	}
	var args []any
	var gone []aggKey
	for _, k := range keys {
		c := done[k]
		if c.over {
			return errTooLarge
		}
		if c.Count == 0 {
			gone = append(gone, k)
			continue
		}
		args = append(args, int64(k.el), d.pes[k.pe], int64(k.ou), c.Sum, c.Count, c.Min, c.Max, c.LastPeriod, c.Last)
	}
	for start := 0; start < len(args); start += 300 * 9 {
		chunk := args[start:min(len(args), start+300*9)]
		if _, err := tx.ExecContext(ctx, setAggSQL(db.Dialect, len(chunk)/9), chunk...); err != nil {
			if store.IsOutOfRange(err) {
				return errTooLarge
			}
			return fmt.Errorf("monitor: recompute aggregate: %w", err)
		}
	}
	for _, k := range gone {
		if _, err := tx.ExecContext(ctx, "DELETE FROM monitor_agg WHERE element_id = $1 AND pe = $2 AND ou_id = $3", int64(k.el), d.pes[k.pe], int64(k.ou)); err != nil {
			return fmt.Errorf("monitor: recompute aggregate: %w", err)
		}
	}
	return nil
}

// longer returns the index of the period one type longer than pes[i]
// that contains it, when the write touched it.
func (d *deltas) longer(i int32) (int32, bool) {
	if d.ptype[i] >= period.Year {
		return 0, false
	}
	p, err := period.Parse(d.pes[i])
	if err != nil {
		return 0, false
	}
	up, _ := p.In(p.Type + 1)
	j, ok := d.peIdx[up.ID()]
	return j, ok
}

// readOwnParts merges into own[i] the part of cell keys[i] that is not
// itself being recomputed (set): at the element's period type the stored
// cells of its non-village children outside set and the raw values at
// that period of its own unit and its village children; at a longer
// period the stored cells outside set of its unit at the periods one type
// shorter within it. Each is a key lookup; the lookups of every cell go
// in one statement (several on SQLite, whose statements take a bounded
// number of parameters).
func (d *deltas) readOwnParts(ctx context.Context, db *store.DB, q querier, els map[int64]*Element, keys []aggKey, set map[aggKey]bool, own []Cell) error {
	x := units(db)
	// lookups of (cell index, element, period, unit): cells in
	// monitor_agg, raw values in monitor_value
	type lookups struct {
		i, el, ou []int64
		pe        []string
	}
	var agg, raw lookups
	add := func(l *lookups, i int, el int64, pe string, ou int64) {
		l.i = append(l.i, int64(i))
		l.el = append(l.el, el)
		l.pe = append(l.pe, pe)
		l.ou = append(l.ou, ou)
	}
	recomputed := func(k aggKey, pe string) bool {
		j, ok := d.peIdx[pe]
		return ok && set[aggKey{k.el, j, k.ou}]
	}
	for i, k := range keys {
		e := els[int64(k.el)]
		pe := d.pes[k.pe]
		p, err := period.Parse(pe)
		if err != nil {
			return err
		}
		if p.Type > e.PType() {
			for _, c := range p.Children(p.Type - 1) {
				if id := c.ID(); !recomputed(k, id) {
					add(&agg, i, e.ID, id, int64(k.ou))
				}
			}
			continue
		}
		add(&raw, i, e.ID, pe, int64(k.ou))
		for _, c := range x.children(int64(k.ou)) {
			switch {
			case x.byIDs(c).level >= leafLevel:
				add(&raw, i, e.ID, pe, c)
			case !set[aggKey{k.el, k.pe, int32(c)}]:
				add(&agg, i, e.ID, pe, c)
			}
		}
	}
	// PostgreSQL takes each list as four arrays, so the statement text
	// never changes and its prepared statement is reused; SQLite takes a
	// VALUES list of at most per lookups of each kind.
	per := 100000
	if db.Dialect != store.Postgres {
		per = 2000
	}
	for a, r := 0, 0; a < len(agg.i) || r < len(raw.i); {
		na, nr := min(per, len(agg.i)-a), min(per, len(raw.i)-r)
		var stmt string
		var args []any
		if db.Dialect == store.Postgres {
			stmt = `WITH ak AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[]) AS t(i, el, pe, ou)),
				rk AS (SELECT * FROM unnest($5::bigint[], $6::bigint[], $7::text[], $8::bigint[]) AS t(i, el, pe, ou))
				SELECT ak.i, a.sum, a.cnt, a.min, a.max, a.last_pe, a.last, CAST(NULL AS DOUBLE PRECISION) FROM ak CROSS JOIN monitor_agg a
					WHERE a.element_id = ak.el AND a.pe = ak.pe AND a.ou_id = ak.ou
				UNION ALL
				SELECT rk.i, 0, 1, 0, 0, v.pe, 0, v.value FROM rk CROSS JOIN monitor_value v
					WHERE v.element_id = rk.el AND v.pe = rk.pe AND v.ou_id = rk.ou AND v.value IS NOT NULL`
			args = []any{agg.i[a : a+na], agg.el[a : a+na], agg.pe[a : a+na], agg.ou[a : a+na],
				raw.i[r : r+nr], raw.el[r : r+nr], raw.pe[r : r+nr], raw.ou[r : r+nr]}
		} else {
			// CROSS JOIN makes SQLite walk the lookups and probe the
			// table's key, rather than the other way round.
			values := func(l *lookups, from, n int) string {
				var b strings.Builder
				for j := from; j < from+n; j++ {
					if j > from {
						b.WriteByte(',')
					}
					b.WriteString("(?,?,?,?)")
					args = append(args, l.i[j], l.el[j], l.pe[j], l.ou[j])
				}
				return b.String()
			}
			var with, sel []string
			if na > 0 {
				with = append(with, "ak(i, el, pe, ou) AS (VALUES "+values(&agg, a, na)+")")
				sel = append(sel, `SELECT ak.i, a.sum, a.cnt, a.min, a.max, a.last_pe, a.last, NULL FROM ak CROSS JOIN monitor_agg a
					WHERE a.element_id = ak.el AND a.pe = ak.pe AND a.ou_id = ak.ou`)
			}
			if nr > 0 {
				with = append(with, "rk(i, el, pe, ou) AS (VALUES "+values(&raw, r, nr)+")")
				sel = append(sel, `SELECT rk.i, 0, 1, 0, 0, v.pe, 0, v.value FROM rk CROSS JOIN monitor_value v
					WHERE v.element_id = rk.el AND v.pe = rk.pe AND v.ou_id = rk.ou AND v.value IS NOT NULL`)
			}
			stmt = "WITH " + strings.Join(with, ", ") + " " + strings.Join(sel, " UNION ALL ")
		}
		a, r = a+na, r+nr
		if err := mergeRows(ctx, q, stmt, args, own, func(i int) int { return els[int64(keys[i].el)].Scale() }); err != nil {
			return err
		}
	}
	return nil
}

// mergeRows runs a query whose rows are (cell index, cell, raw value)
// and merges each row into own[index]: the raw value when it is not
// null, in units of 10^-scale(index), else the cell.
func mergeRows(ctx context.Context, q querier, stmt string, args []any, own []Cell, scale func(i int) int) error {
	rows, err := q.QueryContext(ctx, stmt, args...)
	if err != nil {
		return fmt.Errorf("monitor: recompute aggregates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var o Cell
		var raw sql.NullFloat64
		if err := rows.Scan(&i, &o.Sum, &o.Count, &o.Min, &o.Max, &o.LastPeriod, &o.Last, &raw); err != nil {
			return fmt.Errorf("monitor: recompute aggregates: %w", err)
		}
		if raw.Valid {
			x, err := fixedOf(raw.Float64, scale(i))
			if err != nil {
				return err
			}
			o.Sum, o.Min, o.Max, o.Last = x, x, x, x
		}
		own[i].merge(o)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("monitor: recompute aggregates: %w", err)
	}
	return nil
}

// setAggSQL stores n cells as they are (not as deltas).
func setAggSQL(d store.Dialect, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO monitor_agg (element_id, pe, ou_id, sum, cnt, min, max, last_pe, last) VALUES ")
	b.WriteString(store.Tuples(1, n, 9))
	b.WriteString(` ON CONFLICT (element_id, pe, ou_id) DO UPDATE SET sum = excluded.sum, cnt = excluded.cnt,
		min = excluded.min, max = excluded.max, last_pe = excluded.last_pe, last = excluded.last`)
	return store.Rebind(d, b.String())
}

// Cell is one aggregate: what the values of an element within a period
// and a subtree add up to. Sum, Min, Max and Last are exact integers in
// units of 10^-Scale (see [Element.Scale]).
type Cell struct {
	Sum        int64  `json:"sum"`
	Count      int64  `json:"count"`
	Min        int64  `json:"min"`
	Max        int64  `json:"max"`
	LastPeriod string `json:"last_period"`
	Last       int64  `json:"last"`
	Scale      int    `json:"scale"`
	over       bool   // a sum left the int64 range
}

func (c *Cell) merge(o Cell) {
	if o.Count == 0 {
		return
	}
	if c.Count == 0 {
		*c = o
		return
	}
	c.Sum = addExact(c.Sum, o.Sum, &c.over)
	c.Count += o.Count
	c.Min = min(c.Min, o.Min)
	c.Max = max(c.Max, o.Max)
	switch {
	case o.LastPeriod > c.LastPeriod:
		c.LastPeriod, c.Last = o.LastPeriod, o.Last
	case o.LastPeriod == c.LastPeriod:
		c.Last = addExact(c.Last, o.Last, &c.over)
	}
	c.over = c.over || o.over
}

func (c *Cell) addValue(pe string, v int64) {
	c.merge(Cell{Sum: v, Count: 1, Min: v, Max: v, LastPeriod: pe, Last: v, Scale: c.Scale})
}

// Value is the cell's figure under aggregation agg; false when there is
// none (no values, several under aggregation none, or a total too large
// to be exact). The figure is always finite.
func (c Cell) Value(agg string) (float64, bool) {
	if c.Count == 0 || c.over {
		return 0, false
	}
	switch agg {
	case Sum:
		return fromFixed(c.Sum, c.Scale), true
	case Average:
		return float64(c.Sum) / float64(c.Count) / pow10[c.Scale], true
	case Min:
		return fromFixed(c.Min, c.Scale), true
	case Max:
		return fromFixed(c.Max, c.Scale), true
	case Last:
		return fromFixed(c.Last, c.Scale), true
	case None:
		if c.Count == 1 {
			return fromFixed(c.Sum, c.Scale), true
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

// rebuildYear recomputes every cell of element e for the periods of year
// y from the raw values, replacing what was there. It reads the year's
// values in key order and keeps only that year's cells in memory.
func rebuildYear(ctx context.Context, db *store.DB, tx *store.Tx, e *Element, y int) error {
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
		fx, err := fixedOf(v, e.Scale())
		if err != nil {
			rows.Close()
			return fmt.Errorf("%w (%s/%s)", err, e.Code, pe)
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
		r := row{el: 0, pe: b.period(p), unit: u, num: v, fx: fx}
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
	return db.InTx(ctx, func(tx *store.Tx) error {
		for i := range els {
			e := &els[i]
			if len(codes) > 0 && !want[e.Code] {
				continue
			}
			if err := rebuildElement(ctx, db, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// RebuildStale recomputes the aggregates of every element listed in
// monitor_agg_stale (all elements, after the schema moved to exact
// aggregates) and empties the list, in one transaction. A stored value
// that cannot be held exactly is first moved to monitor_value_setaside
// with the reason; the returned count says how many were. It does nothing
// when the list is empty, so it runs at every start.
func RebuildStale(ctx context.Context, db *store.DB) (setAside int, err error) {
	var n int
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM monitor_agg_stale").Scan(&n); err != nil {
		return 0, fmt.Errorf("monitor: stale aggregates: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	els, err := Elements(ctx, db)
	if err != nil {
		return 0, err
	}
	if _, err := units(db).lookup(ctx, db, "41"); err != nil {
		return 0, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		stale := map[int64]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT element_id FROM monitor_agg_stale")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			stale[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := store.Now()
		for i := range els {
			e := &els[i]
			if !stale[e.ID] {
				continue
			}
			if e.Numeric() {
				k, err := setAsideInexact(ctx, tx, e, now)
				if err != nil {
					return err
				}
				setAside += k
			}
			if err := rebuildElement(ctx, db, tx, e); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM monitor_agg_stale")
		return err
	})
	return setAside, err
}

// setAsideInexact moves the stored values of e that cannot be held
// exactly to monitor_value_setaside.
func setAsideInexact(ctx context.Context, tx *store.Tx, e *Element, now time.Time) (int, error) {
	type key struct {
		pe string
		ou int64
		v  float64
	}
	var bad []key
	rows, err := tx.QueryContext(ctx, "SELECT pe, ou_id, value FROM monitor_value WHERE element_id = $1 AND value IS NOT NULL", e.ID)
	if err != nil {
		return 0, fmt.Errorf("monitor: check stored values: %w", err)
	}
	for rows.Next() {
		var k key
		if err := rows.Scan(&k.pe, &k.ou, &k.v); err != nil {
			rows.Close()
			return 0, err
		}
		if _, ok := toFixed(k.v, e.Scale()); !ok {
			bad = append(bad, k)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, k := range bad {
		reason := fmt.Sprintf("cannot be held exactly with %d decimals within ±%s", e.Scale(), fmtNum(maxExact(e.Scale())))
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_value_setaside (element_id, pe, ou_id, value, comment, updated_by, updated_at, reason, set_aside_at)
			SELECT element_id, pe, ou_id, value, comment, updated_by, updated_at, $4, $5 FROM monitor_value WHERE element_id = $1 AND pe = $2 AND ou_id = $3`,
			e.ID, k.pe, k.ou, reason, now); err != nil {
			return 0, fmt.Errorf("monitor: set value aside: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM monitor_value WHERE element_id = $1 AND pe = $2 AND ou_id = $3", e.ID, k.pe, k.ou); err != nil {
			return 0, fmt.Errorf("monitor: set value aside: %w", err)
		}
	}
	return len(bad), nil
}

// rebuildElement recomputes every aggregate of e from its stored values.
func rebuildElement(ctx context.Context, db *store.DB, tx *store.Tx, e *Element) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM monitor_agg WHERE element_id = $1", e.ID); err != nil {
		return err
	}
	var yLo, yHi sql.NullString
	if err := tx.QueryRowContext(ctx, "SELECT min(pe), max(pe) FROM monitor_value WHERE element_id = $1", e.ID).Scan(&yLo, &yHi); err != nil {
		return err
	}
	if !yLo.Valid {
		return nil
	}
	var a, b int
	fmt.Sscanf(yLo.String[:4], "%d", &a)
	fmt.Sscanf(yHi.String[:4], "%d", &b)
	for y := a; y <= b; y++ {
		if err := rebuildYear(ctx, db, tx, e, y); err != nil {
			return err
		}
	}
	return nil
}
