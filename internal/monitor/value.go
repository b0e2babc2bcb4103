package monitor

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Value is one data value as clients send it, in DHIS2's shape. An empty
// Value deletes the stored value.
type Value struct {
	DataElement string `json:"dataElement"`
	OrgUnit     string `json:"orgUnit"`
	Period      string `json:"period"`
	Value       string `json:"value"`
	Comment     string `json:"comment,omitempty"`
}

// MaxCommentLen is the longest comment a value may carry, in characters.
const MaxCommentLen = 1000

// StoredValue is a value as stored, with who changed it last and when.
type StoredValue struct {
	Value
	UpdatedBy int64     `json:"updatedBy"`
	UpdatedAt time.Time `json:"lastUpdated"`
}

// row is a validated value, compact so that a million fit in little memory.
type row struct {
	el      int32 // index into batch.els
	pe      int32 // index into batch.pes
	unit    *ou
	num     float64
	fx      int64 // num in units of 10^-scale of its element
	text    string
	comment string
	del     bool
	src     int32 // index of the input it came from
	sheet   int16 // worksheet of an import it came from
}

// batch is a set of validated rows with the elements and periods they use.
type batch struct {
	sheets []string // an import's worksheet names by index; nil for other writes
	els    []*Element
	elIdx  map[string]int32
	pes    []period.Period
	peIDs  []string
	peIdx  map[string]int32
	rows   []row
}

func newBatch() *batch {
	return &batch{elIdx: map[string]int32{}, peIdx: map[string]int32{}}
}

func (b *batch) element(e *Element) int32 {
	if i, ok := b.elIdx[e.Code]; ok {
		return i
	}
	b.els = append(b.els, e)
	b.elIdx[e.Code] = int32(len(b.els) - 1)
	return int32(len(b.els) - 1)
}

func (b *batch) period(p period.Period) int32 {
	id := p.ID()
	if i, ok := b.peIdx[id]; ok {
		return i
	}
	b.pes = append(b.pes, p)
	b.peIDs = append(b.peIDs, id)
	b.peIdx[id] = int32(len(b.pes) - 1)
	return int32(len(b.pes) - 1)
}

// ParseNumber reads a number the way people type it in reports: optional
// thousands separators (1,234.5), full-width digits, surrounding spaces.
func ParseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false
		}
		return v, true
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		case r == '－' || r == '−':
			return '-'
		case r == ',' || r == '，':
			return -1
		}
		return r
	}, s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// CheckValue validates raw as a value of e for period p, returning the
// number (for numeric types) or text to store.
func CheckValue(e *Element, raw string) (num float64, text string, err *i18n.Error) {
	raw = strings.TrimSpace(raw)
	switch e.ValueType {
	case Text:
		if len(raw) > 5000 {
			return 0, "", i18n.Errorf("文本过长（最多 5000 字节）", "text too long (at most 5000 bytes)")
		}
		return 0, raw, nil
	case Boolean:
		switch strings.ToLower(raw) {
		case "1", "true", "是", "yes", "y":
			return 1, "", nil
		case "0", "false", "否", "no", "n":
			return 0, "", nil
		}
		return 0, "", i18n.Errorf("%q 不是是/否值（可填 是、否、1、0）", "%q is not a yes/no value (use 1, 0, true, false)", raw)
	}
	s := raw
	if e.ValueType == Percent {
		s = strings.TrimSuffix(strings.TrimSuffix(s, "%"), "％")
	}
	v, ok := ParseNumber(s)
	if !ok {
		return 0, "", i18n.Errorf("%q 不是数字", "%q is not a number", raw)
	}
	if e.ValueType == Integer && v != math.Trunc(v) {
		return 0, "", i18n.Errorf("%q 不是整数", "%q is not a whole number", raw)
	}
	if _, ok := toFixed(v, e.Scale()); !ok {
		if math.Abs(v) > maxExact(e.Scale()) {
			return 0, "", i18n.Errorf("%q 超出可精确保存的范围（绝对值不超过 %s）", "%q is too large to be kept exactly (at most %s in absolute value)", raw, fmtNum(maxExact(e.Scale())))
		}
		return 0, "", i18n.Errorf("%q 的小数超过 %d 位", "%q has more than %d decimal places", raw, e.Scale())
	}
	if e.Min != nil && v < *e.Min {
		return 0, "", i18n.Errorf("%s 小于下限 %s", "%s is below the minimum %s", fmtNum(v), fmtNum(*e.Min))
	}
	if e.Max != nil && v > *e.Max {
		return 0, "", i18n.Errorf("%s 大于上限 %s", "%s is above the maximum %s", fmtNum(v), fmtNum(*e.Max))
	}
	return v, "", nil
}

// CheckPeriod parses id and checks that it has e's period type.
func CheckPeriod(e *Element, id string) (period.Period, *i18n.Error) {
	p, err := period.Parse(strings.TrimSpace(id))
	if err != nil {
		var ue *i18n.Error
		if errors.As(err, &ue) {
			return p, ue
		}
		return p, i18n.Errorf("无效的报告期 %q", "invalid period %q", id)
	}
	if p.Type != e.PType() {
		return p, &i18n.Error{Text: i18n.Text{
			Zh: fmt.Sprintf("数据元 %s 按%s报送，报告期 %s 不符", e.Code, e.PType().Zh(), p.ID()),
			En: fmt.Sprintf("data element %s is reported %s; period %s does not match", e.Code, e.PType(), p.ID()),
		}}
	}
	return p, nil
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// maxFixed is the largest magnitude of a value in fixed point: beyond
// 2^53 a float64 no longer holds every integer, so a stored value could
// not be read back exactly.
const maxFixed = 1<<53 - 1

var pow10 = [...]float64{1, 10, 100, 1000, 10000}

// maxExact is the largest magnitude a value with scale decimals may have.
func maxExact(scale int) float64 { return maxFixed / pow10[scale] }

// toFixed is v in units of 10^-scale, exact: false when v has more
// decimals than scale, is NaN or infinite, or lies beyond ±maxExact.
// Values are stored as float64; for any value that passes, the float64
// nearest its decimal form turns back into the same integer, so
// aggregates of these integers equal the sum of the stored values.
func toFixed(v float64, scale int) (int64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	x := math.Round(v * pow10[scale])
	if math.Abs(x) > maxFixed || x/pow10[scale] != v {
		return 0, false
	}
	return int64(x), true
}

// fixedOf is toFixed for stored values, with an error naming the value.
func fixedOf(v float64, scale int) (int64, error) {
	x, ok := toFixed(v, scale)
	if !ok {
		return 0, fmt.Errorf("monitor: stored value %s cannot be held exactly with %d decimals", fmtNum(v), scale)
	}
	return x, nil
}

// fromFixed is x units of 10^-scale as a float64 (for display).
func fromFixed(x int64, scale int) float64 { return float64(x) / pow10[scale] }

// SaveValues validates vals and writes them in one transaction together
// with every aggregate they change and their audit entries. Nothing is
// written if any value is invalid: the error is then a i18n.Errors
// listing every problem with its 1-based position in vals as the row.
// When the same (element, unit, period) appears twice, the later wins.
// Concurrent writers to the same value: the last to commit wins, and the
// audit log holds both changes.
func SaveValues(ctx context.Context, db *store.DB, actor audit.Actor, vals []Value) error {
	b, errs, err := prepare(ctx, db, vals)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return i18n.Errors(errs)
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		_, err := write(ctx, db, tx, actor, b)
		return err
	})
}

// prepare validates vals into a batch.
func prepare(ctx context.Context, db *store.DB, vals []Value) (*batch, []*i18n.Error, error) {
	els, err := elementMap(ctx, db.R)
	if err != nil {
		return nil, nil, err
	}
	codes := make([]string, 0, len(vals))
	seen := map[string]bool{}
	for _, v := range vals {
		c := strings.TrimSpace(v.OrgUnit)
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	us, err := units(db).lookup(ctx, db, codes...)
	if err != nil {
		return nil, nil, err
	}
	b := newBatch()
	var errs []*i18n.Error
	for i, v := range vals {
		rowNo := i + 1
		e, ok := els[strings.TrimSpace(v.DataElement)]
		if !ok {
			errs = append(errs, i18n.Errorf("未知的数据元 %q", "unknown data element %q", v.DataElement).At(rowNo, "dataElement"))
			continue
		}
		u, ok := us[strings.TrimSpace(v.OrgUnit)]
		if !ok {
			errs = append(errs, i18n.Errorf("未知的组织机构代码 %q", "unknown org unit code %q", v.OrgUnit).At(rowNo, "orgUnit"))
			continue
		}
		p, perr := CheckPeriod(&e, v.Period)
		if perr != nil {
			errs = append(errs, perr.At(rowNo, "period"))
			continue
		}
		r := row{unit: u, comment: strings.TrimSpace(v.Comment), src: int32(i)}
		if utf8.RuneCountInString(r.comment) > MaxCommentLen {
			errs = append(errs, i18n.Errorf("备注过长（最多 %d 字）", "comment too long (%d characters at most)", MaxCommentLen).At(rowNo, "comment"))
			continue
		}
		if strings.TrimSpace(v.Value) == "" {
			r.del = true
		} else {
			num, text, verr := CheckValue(&e, v.Value)
			if verr != nil {
				errs = append(errs, verr.At(rowNo, "value"))
				continue
			}
			r.num, r.text = num, text
			r.fx, _ = toFixed(num, e.Scale())
		}
		if j, ok := b.elIdx[e.Code]; ok {
			r.el = j
		} else {
			ec := e
			r.el = b.element(&ec)
		}
		r.pe = b.period(p)
		b.rows = append(b.rows, r)
	}
	return b, errs, nil
}

// WriteResult counts what a write did.
type WriteResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Deleted   int `json:"deleted"`
	Unchanged int `json:"unchanged"`
}

// auditEach is the largest number of new values audited one by one; a
// larger batch of new values is audited as one entry listing its extent
// (updates and deletions are always audited one by one, with before and
// after).
const auditEach = 1000

type oldValue struct {
	num     sql.NullFloat64
	text    sql.NullString
	comment string
}

// write stores b within tx: raw values, aggregates, audit.
func write(ctx context.Context, db *store.DB, tx *store.Tx, actor audit.Actor, b *batch) (WriteResult, error) {
	var res WriteResult
	if len(b.rows) == 0 {
		return res, nil
	}
	// Group rows by (element, period, unit); of rows with the same key
	// the later input wins.
	sortRows(b.rows)
	kept := b.rows[:0]
	for i, r := range b.rows {
		if i+1 < len(b.rows) && sameKey(&r, &b.rows[i+1]) {
			continue
		}
		kept = append(kept, r)
	}
	b.rows = kept
	// Serialise writers per element so aggregates stay exact (a no-op
	// on SQLite, whose single writer does that already).
	ids := make([]int64, len(b.els))
	for i, e := range b.els {
		ids[i] = e.ID
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if err := tx.Lock(ctx, "monitor.element/"+strconv.FormatInt(id, 10)); err != nil {
			return res, err
		}
	}
	now := store.Now()
	agg := newDeltas(units(db), b)
	var fresh, changed []int // indexes into b.rows
	olds := map[int]oldValue{}
	for start := 0; start < len(b.rows); {
		end := start
		for end < len(b.rows) && b.rows[end].el == b.rows[start].el && b.rows[end].pe == b.rows[start].pe {
			end++
		}
		group := b.rows[start:end]
		e := b.els[group[0].el]
		peID := b.peIDs[group[0].pe]
		existing, err := loadExisting(ctx, db.Dialect, tx, e.ID, peID, group)
		if err != nil {
			return res, err
		}
		for i := range group {
			idx := start + i
			r := &b.rows[idx]
			old, had := existing[r.unit.id]
			switch {
			case r.del && !had:
				res.Unchanged++
				continue
			case r.del:
				res.Deleted++
				changed = append(changed, idx)
				olds[idx] = old
			case !had:
				res.Created++
				fresh = append(fresh, idx)
			default:
				same := old.comment == r.comment
				if e.Numeric() {
					same = same && old.num.Valid && old.num.Float64 == r.num
				} else {
					same = same && old.text.String == r.text
				}
				if same {
					res.Unchanged++
					continue
				}
				res.Updated++
				changed = append(changed, idx)
				olds[idx] = old
			}
			if e.Numeric() {
				var o *int64
				if had && old.num.Valid {
					x, err := fixedOf(old.num.Float64, e.Scale())
					if err != nil {
						return res, fmt.Errorf("%w (%s/%s/%s)", err, e.Code, r.unit.code, peID)
					}
					o = &x
				}
				agg.add(r, o)
			}
		}
		start = end
	}
	// Raw values: new ones in bulk, changed ones one by one. On
	// PostgreSQL a small write sends them with the aggregate upsert, as
	// data-modifying WITH clauses of its statement: a round trip fewer.
	merged := db.Dialect == store.Postgres && len(fresh)+len(changed) <= 16
	var w withClause
	if len(fresh) > 0 {
		// Numbers without comments, the bulk case, skip the columns
		// their defaults fill.
		short := true
		for _, idx := range fresh {
			r := &b.rows[idx]
			if r.comment != "" || !b.els[r.el].Numeric() {
				short = false
				break
			}
		}
		cols := []string{"element_id", "pe", "ou_id", "value", "updated_by", "updated_at", "text_value", "comment"}
		if short {
			cols = cols[:6]
		}
		insert := db.Copy
		switch {
		case merged:
			insert = func(_ context.Context, _ *store.Tx, table string, cols []string, rows func(yield func([]any) error) error) (int64, error) {
				q, args, err := insertSQL(table, cols, rows)
				if q != "" {
					w.add(q, args...)
				}
				return 0, err
			}
		case len(fresh) < 64:
			insert = smallInsert
		}
		_, err := insert(ctx, tx, "monitor_value", cols, func(yield func([]any) error) error {
			vals := make([]any, len(cols))
			for _, idx := range fresh {
				r := &b.rows[idx]
				e := b.els[r.el]
				vals[0], vals[1], vals[2], vals[4], vals[5] = e.ID, b.peIDs[r.pe], r.unit.id, actor.UserID, now
				if e.Numeric() {
					vals[3] = r.num
				} else {
					vals[3] = nil
				}
				if !short {
					vals[6], vals[7] = nil, r.comment
					if !e.Numeric() {
						vals[6] = r.text
					}
				}
				if err := yield(vals); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("monitor: insert values: %w", err)
		}
	}
	if len(changed) > 0 {
		// Statements are prepared for many rows; a few go straight
		// through (the driver keeps its own statement cache).
		const updSQL = `UPDATE monitor_value SET value = $4, text_value = $5, comment = $6, updated_by = $7, updated_at = $8
			WHERE element_id = $1 AND pe = $2 AND ou_id = $3`
		const delSQL = `DELETE FROM monitor_value WHERE element_id = $1 AND pe = $2 AND ou_id = $3`
		type execer interface {
			ExecContext(ctx context.Context, args ...any) (sql.Result, error)
		}
		var upd, del execer = direct{tx, updSQL}, direct{tx, delSQL}
		if merged {
			upd, del = deferred{&w, updSQL}, deferred{&w, delSQL}
		} else if len(changed) > 20 {
			u, err := tx.PrepareContext(ctx, updSQL)
			if err != nil {
				return res, err
			}
			defer u.Close()
			d, err := tx.PrepareContext(ctx, delSQL)
			if err != nil {
				return res, err
			}
			defer d.Close()
			upd, del = u, d
		}
		for _, idx := range changed {
			r := &b.rows[idx]
			e := b.els[r.el]
			var err error
			if r.del {
				_, err = del.ExecContext(ctx, e.ID, b.peIDs[r.pe], r.unit.id)
			} else if e.Numeric() {
				_, err = upd.ExecContext(ctx, e.ID, b.peIDs[r.pe], r.unit.id, r.num, nil, r.comment, actor.UserID, now)
			} else {
				_, err = upd.ExecContext(ctx, e.ID, b.peIDs[r.pe], r.unit.id, nil, r.text, r.comment, actor.UserID, now)
			}
			if err != nil {
				return res, fmt.Errorf("monitor: update value: %w", err)
			}
		}
	}
	// Audit, in the same statement as the values when they go together.
	record := func(ex audit.Execer) error {
		for _, idx := range changed {
			r := &b.rows[idx]
			e := b.els[r.el]
			before := auditValue(e, b.peIDs[r.pe], r.unit.code, olds[idx])
			var after any
			action := "delete"
			if !r.del {
				action = "update"
				after = rowValue(e, b.peIDs[r.pe], r)
			}
			if err := audit.Record(ctx, ex, actor, action, "datavalue", e.Code+"/"+r.unit.code+"/"+b.peIDs[r.pe], r.unit.path, before, after); err != nil {
				return err
			}
		}
		if len(fresh) <= auditEach {
			for _, idx := range fresh {
				r := &b.rows[idx]
				e := b.els[r.el]
				if err := audit.Record(ctx, ex, actor, "create", "datavalue", e.Code+"/"+r.unit.code+"/"+b.peIDs[r.pe], r.unit.path, nil, rowValue(e, b.peIDs[r.pe], r)); err != nil {
					return err
				}
			}
		} else {
			summary := map[string]any{"created": len(fresh), "elements": elementCodes(b), "periods": b.peIDs}
			if err := audit.Record(ctx, ex, actor, "create", "datavalueset", fmt.Sprintf("%d values", len(fresh)), commonPath(b, fresh), nil, summary); err != nil {
				return err
			}
		}
		return nil
	}
	if merged {
		if err := record(&w); err != nil {
			return res, err
		}
	}
	agg.with, agg.withArgs = w.sql(), w.args
	if err := agg.flush(ctx, db, tx); err != nil {
		return res, err
	}
	if err := runWriteHooks(ctx, db, tx, b); err != nil {
		return res, err
	}
	if !merged {
		if err := record(tx); err != nil {
			return res, err
		}
	}
	return res, nil
}

// direct runs one statement on tx, shaped like a prepared *sql.Stmt.
type direct struct {
	tx  *store.Tx
	sql string
}

func (d direct) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return d.tx.ExecContext(ctx, d.sql, args...)
}

// deferred adds a statement to a WITH clause instead of running it.
type deferred struct {
	w   *withClause
	sql string
}

func (d deferred) ExecContext(_ context.Context, args ...any) (sql.Result, error) {
	d.w.add(d.sql, args...)
	return nil, nil
}

// withClause collects data-modifying statements to run as the WITH
// clause of another statement (PostgreSQL), renumbering their parameters.
type withClause struct {
	parts []string
	args  []any
}

func (w *withClause) add(stmt string, args ...any) {
	off := len(w.args)
	stmt = placeholder.ReplaceAllStringFunc(stmt, func(m string) string {
		n, _ := strconv.Atoi(m[1:])
		return "$" + strconv.Itoa(n+off)
	})
	w.parts = append(w.parts, fmt.Sprintf("w%d AS (%s)", len(w.parts), stmt))
	w.args = append(w.args, args...)
}

// ExecContext adds a statement (audit.Execer).
func (w *withClause) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	w.add(query, args...)
	return nil, nil
}

// sql is the clause, "" when it is empty.
func (w *withClause) sql() string {
	if len(w.parts) == 0 {
		return ""
	}
	return "WITH " + strings.Join(w.parts, ", ")
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// smallInsert is store.Copy's contract for a handful of rows: one plain
// multi-row INSERT, cheaper than starting a COPY.
func smallInsert(ctx context.Context, tx *store.Tx, table string, cols []string, rows func(yield func([]any) error) error) (int64, error) {
	q, args, err := insertSQL(table, cols, rows)
	if err != nil || q == "" {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, q, args...)
	return int64(len(args) / len(cols)), err
}

// insertSQL is one multi-row INSERT of rows, "" when there are none.
func insertSQL(table string, cols []string, rows func(yield func([]any) error) error) (string, []any, error) {
	var args store.Args
	var vals []string
	err := rows(func(row []any) error {
		vals = append(vals, "("+store.In(&args, row)+")")
		return nil
	})
	if err != nil || len(vals) == 0 {
		return "", nil, err
	}
	return "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.Join(vals, ","), args, nil
}

// sortRows orders rows by element, period, unit and input position.
func sortRows(rows []row) {
	slices.SortFunc(rows, func(a, c row) int {
		if x := cmp.Compare(a.el, c.el); x != 0 {
			return x
		}
		if x := cmp.Compare(a.pe, c.pe); x != 0 {
			return x
		}
		if x := cmp.Compare(a.unit.id, c.unit.id); x != 0 {
			return x
		}
		return cmp.Compare(a.src, c.src)
	})
}

func sameKey(a, c *row) bool { return a.el == c.el && a.pe == c.pe && a.unit.id == c.unit.id }

func elementCodes(b *batch) []string {
	out := make([]string, len(b.els))
	for i, e := range b.els {
		out[i] = e.Code
	}
	return out
}

// commonPath is the deepest path every listed row's unit lies under.
func commonPath(b *batch, idx []int) string {
	if len(idx) == 0 {
		return ""
	}
	p := b.rows[idx[0]].unit.path
	for _, i := range idx[1:] {
		q := b.rows[i].unit.path
		for !strings.HasPrefix(q, p) {
			p = p[:strings.LastIndex(p[:len(p)-1], "/")+1]
		}
	}
	return p
}

func rowValue(e *Element, pe string, r *row) Value {
	v := Value{DataElement: e.Code, OrgUnit: r.unit.code, Period: pe, Comment: r.comment}
	if e.Numeric() {
		v.Value = fmtNum(r.num)
	} else {
		v.Value = r.text
	}
	return v
}

func auditValue(e *Element, pe, unit string, o oldValue) Value {
	v := Value{DataElement: e.Code, OrgUnit: unit, Period: pe, Comment: o.comment}
	if o.num.Valid {
		v.Value = fmtNum(o.num.Float64)
	} else {
		v.Value = o.text.String
	}
	return v
}

// loadExisting returns the stored values of element e in period pe for the
// units of group: by key for small groups, the whole (element, period)
// slice for large ones.
func loadExisting(ctx context.Context, d store.Dialect, tx *store.Tx, el int64, pe string, group []row) (map[int64]oldValue, error) {
	out := map[int64]oldValue{}
	scan := func(rows *sql.Rows, err error) error {
		if err != nil {
			return fmt.Errorf("monitor: load values: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var o oldValue
			if err := rows.Scan(&id, &o.num, &o.text, &o.comment); err != nil {
				return err
			}
			out[id] = o
		}
		return rows.Err()
	}
	if len(group) > 200 {
		return out, scan(tx.QueryContext(ctx, `SELECT ou_id, value, text_value, comment FROM monitor_value WHERE element_id = $1 AND pe = $2`, el, pe))
	}
	for start := 0; start < len(group); start += 100 {
		chunk := group[start:min(len(group), start+100)]
		args := store.Args{el, pe}
		ids := make([]int64, len(chunk))
		for i, r := range chunk {
			ids[i] = r.unit.id
		}
		if err := scan(tx.QueryContext(ctx, store.Rebind(d, `SELECT ou_id, value, text_value, comment FROM monitor_value WHERE element_id = $1 AND pe = $2 AND ou_id IN (`+store.In(&args, ids)+`)`), args...)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckValues validates vals as SaveValues would, without writing: the
// dry run of a data value set.
func CheckValues(ctx context.Context, db *store.DB, vals []Value) ([]*i18n.Error, error) {
	_, errs, err := prepare(ctx, db, vals)
	return errs, err
}
