package monitor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"zhihui/internal/i18n"

	"zhihui/internal/store"
)

// WriteHook runs inside the transaction of every value write (SaveValues
// and import commits) after the values and aggregates are written and
// before the commit. An error rolls the whole write back; a
// i18n.Errors reaches the caller as it is. Feature packages use it to
// refuse writes to locked data and to check rules on what was written.
type WriteHook func(ctx context.Context, db *store.DB, tx *store.Tx, w *WriteSet) error

var writeHooks struct {
	sync.RWMutex
	list  []WriteHook
	check []WriteHook
}

// AddCheckHook registers h to run also on an import's preview, before
// anything is written, so that what a commit would refuse (values in a
// locked report) is said per row already. h must only read: the values of
// the preview are not in the store.
func AddCheckHook(h WriteHook) {
	writeHooks.Lock()
	defer writeHooks.Unlock()
	writeHooks.check = append(writeHooks.check, h)
}

var errCheckDone = errors.New("monitor: check done")

// runCheckHooks runs the check hooks over b in a transaction that is
// rolled back; a i18n.Errors is returned as it is.
func runCheckHooks(ctx context.Context, db *store.DB, b *batch) error {
	writeHooks.RLock()
	hs := append([]WriteHook(nil), writeHooks.check...)
	writeHooks.RUnlock()
	if len(hs) == 0 || len(b.rows) == 0 {
		return nil
	}
	var found error
	err := db.InTx(ctx, func(tx *store.Tx) error {
		w := &WriteSet{b: b, tx: tx}
		for _, h := range hs {
			if err := h(ctx, db, tx, w); err != nil {
				var ve i18n.Errors
				if !errors.As(err, &ve) {
					return err
				}
				found = err
			}
		}
		return errCheckDone
	})
	if err != nil && !errors.Is(err, errCheckDone) {
		return err
	}
	return found
}

// AddWriteHook registers h for every later write on every store.
func AddWriteHook(h WriteHook) {
	writeHooks.Lock()
	defer writeHooks.Unlock()
	writeHooks.list = append(writeHooks.list, h)
}

func runWriteHooks(ctx context.Context, db *store.DB, tx *store.Tx, b *batch) error {
	writeHooks.RLock()
	hs := append([]WriteHook(nil), writeHooks.list...)
	writeHooks.RUnlock()
	if len(hs) == 0 || len(b.rows) == 0 {
		return nil
	}
	w := &WriteSet{b: b, tx: tx}
	for _, h := range hs {
		if err := h(ctx, db, tx, w); err != nil {
			return err
		}
	}
	return nil
}

// WriteSet is what one write stores or deletes.
type WriteSet struct {
	b  *batch
	tx *store.Tx
}

// Written is one value of a write.
type Written struct {
	Row     int // 1-based position in the caller's input
	Element string
	OrgUnit string
	OrgPath string
	Period  string
	Deleted bool
	Sheet   string // worksheet of an import, "" otherwise
}

// Len is the number of values written.
func (w *WriteSet) Len() int { return len(w.b.rows) }

// Elements lists the element codes the write touches.
func (w *WriteSet) Elements() []string { return elementCodes(w.b) }

// Periods lists the period ids the write touches.
func (w *WriteSet) Periods() []string { return append([]string(nil), w.b.peIDs...) }

// Each calls fn for every value written until fn returns false.
func (w *WriteSet) Each(fn func(Written) bool) {
	for i := range w.b.rows {
		r := &w.b.rows[i]
		v := Written{Row: int(r.src) + 1, Element: w.b.els[r.el].Code, OrgUnit: r.unit.code, OrgPath: r.unit.path, Period: w.b.peIDs[r.pe], Deleted: r.del}
		if w.b.sheets != nil {
			// an import: rows are the file's, sheets by name
			v.Row = int(r.src)
			if int(r.sheet) < len(w.b.sheets) {
				v.Sheet = w.b.sheets[r.sheet]
			}
		}
		if !fn(v) {
			return
		}
	}
}

// UnitPeriod names one (org unit, period).
type UnitPeriod struct{ OrgUnit, Period string }

// Stored reads, within the write's transaction, the numeric values of
// elements at the given (unit, period) pairs: what the store will hold
// once the write commits.
func (w *WriteSet) Stored(ctx context.Context, elements []string, at []UnitPeriod) (map[UnitPeriod]map[string]float64, error) {
	out := map[UnitPeriod]map[string]float64{}
	if len(elements) == 0 || len(at) == 0 {
		return out, nil
	}
	byPe := map[string][]string{}
	for _, up := range at {
		byPe[up.Period] = append(byPe[up.Period], up.OrgUnit)
	}
	pes := make([]string, 0, len(byPe))
	for p := range byPe {
		pes = append(pes, p)
	}
	sort.Strings(pes)
	for _, pe := range pes {
		codes := byPe[pe]
		for start := 0; start < len(codes); start += 400 {
			chunk := codes[start:min(len(codes), start+400)]
			args := []any{pe}
			for _, e := range elements {
				args = append(args, e)
			}
			for _, c := range chunk {
				args = append(args, c)
			}
			q := `SELECT e.code, o.code, v.value FROM monitor_value v JOIN monitor_element e ON e.id = v.element_id JOIN monitor_ou o ON o.id = v.ou_id
				WHERE v.pe = $1 AND v.value IS NOT NULL AND e.code IN (` + store.Placeholders(2, len(elements)) + `) AND o.code IN (` + store.Placeholders(2+len(elements), len(chunk)) + `)`
			rows, err := w.tx.QueryContext(ctx, q, args...)
			if err != nil {
				return nil, fmt.Errorf("monitor: read written values: %w", err)
			}
			for rows.Next() {
				var el, ou string
				var v float64
				if err := rows.Scan(&el, &ou, &v); err != nil {
					rows.Close()
					return nil, err
				}
				k := UnitPeriod{ou, pe}
				if out[k] == nil {
					out[k] = map[string]float64{}
				}
				out[k][el] = v
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Pending returns the values a read import would write, in file order, so
// that other checks (validation rules) can look at them before a commit.
func (im *Import) Pending() []Value {
	if im.b == nil {
		return nil
	}
	out := make([]Value, 0, len(im.b.rows))
	for i := range im.b.rows {
		r := &im.b.rows[i]
		e := im.b.els[r.el]
		v := Value{DataElement: e.Code, OrgUnit: r.unit.code, Period: im.b.peIDs[r.pe], Comment: r.comment}
		if !r.del {
			if e.Numeric() {
				v.Value = fmtNum(r.num)
			} else {
				v.Value = r.text
			}
		}
		out = append(out, v)
	}
	return out
}
