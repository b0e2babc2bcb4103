package monitor

import (
	"context"
	"fmt"
	"sync"

	"zhihui/internal/store"
)

// ou is an org unit as the monitor keys it.
type ou struct {
	id     int64
	code   string
	parent int64 // 0 at the root
	level  int
	path   string
}

// unitIndex maps org unit codes to interned ids and back. It is filled
// from monitor_ou, which copies the orgunit table the first time a unit is
// needed; ids never change once given.
type unitIndex struct {
	mu     sync.RWMutex
	byCode map[string]*ou
	byID   map[int64]*ou
	// ancestors caches, per unit id, the ids of the unit and its ancestors
	// that hold aggregates (villages hold none), nearest first.
	anc map[int64][]int64
	// kids lists each unit's children, built on first use.
	kids map[int64][]int64
}

// children returns the ids of u's child units.
func (x *unitIndex) children(id int64) []int64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.kids == nil {
		x.kids = map[int64][]int64{}
		for _, u := range x.byID {
			if u.parent != 0 {
				x.kids[u.parent] = append(x.kids[u.parent], u.id)
			}
		}
	}
	return x.kids[id]
}

var indexes sync.Map // *store.DB -> *unitIndex

func units(db *store.DB) *unitIndex {
	v, _ := indexes.LoadOrStore(db, &unitIndex{byCode: map[string]*ou{}, byID: map[int64]*ou{}, anc: map[int64][]int64{}})
	return v.(*unitIndex)
}

// leafLevel is the level whose units keep no aggregate rows of their own.
const leafLevel = 5

// lookup returns the units for codes, interning any that monitor_ou does
// not know yet; unknown org unit codes are left out of the result.
func (x *unitIndex) lookup(ctx context.Context, db *store.DB, codes ...string) (map[string]*ou, error) {
	out := make(map[string]*ou, len(codes))
	missing := false
	x.mu.RLock()
	for _, c := range codes {
		if u, ok := x.byCode[c]; ok {
			out[c] = u
		} else {
			missing = true
		}
	}
	x.mu.RUnlock()
	if !missing {
		return out, nil
	}
	if err := x.sync(ctx, db); err != nil {
		return nil, err
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	for _, c := range codes {
		if u, ok := x.byCode[c]; ok {
			out[c] = u
		}
	}
	return out, nil
}

// find returns the unit with code if the index holds it, without
// touching the store.
func (x *unitIndex) find(code string) *ou {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byCode[code]
}

// get returns one unit by code.
func (x *unitIndex) get(ctx context.Context, db *store.DB, code string) (*ou, bool, error) {
	m, err := x.lookup(ctx, db, code)
	if err != nil {
		return nil, false, err
	}
	u, ok := m[code]
	return u, ok, nil
}

func (x *unitIndex) byIDs(id int64) *ou {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byID[id]
}

// sync copies every org unit missing from monitor_ou into it (in its own
// transaction, so the ids survive whatever happens to the caller's) and
// reloads the index.
func (x *unitIndex) sync(ctx context.Context, db *store.DB) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.kids = nil
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO monitor_ou (code, parent_code, level, path)
			SELECT o.code, COALESCE(o.parent_code, ''), o.level, o.path FROM orgunit o
			WHERE NOT EXISTS (SELECT 1 FROM monitor_ou m WHERE m.code = o.code) ORDER BY o.path
			ON CONFLICT (code) DO NOTHING`)
		return err
	})
	if err != nil {
		return fmt.Errorf("monitor: intern org units: %w", err)
	}
	rows, err := db.W.QueryContext(ctx, "SELECT id, code, parent_code, level, path FROM monitor_ou")
	if err != nil {
		return fmt.Errorf("monitor: load org units: %w", err)
	}
	defer rows.Close()
	parents := map[int64]string{}
	for rows.Next() {
		var u ou
		var parent string
		if err := rows.Scan(&u.id, &u.code, &parent, &u.level, &u.path); err != nil {
			return err
		}
		if old, ok := x.byCode[u.code]; ok {
			u = *old
		} else {
			p := &u
			x.byCode[u.code] = p
			x.byID[u.id] = p
		}
		parents[u.id] = parent
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for id, pc := range parents {
		if p, ok := x.byCode[pc]; ok {
			x.byID[id].parent = p.id
		}
	}
	return nil
}

// aggUnits returns the ids of the units whose aggregates a value at u
// feeds: u itself unless it is a village, then every ancestor.
func (x *unitIndex) aggUnits(u *ou) []int64 {
	if x == nil {
		return nil
	}
	x.mu.RLock()
	a, ok := x.anc[u.id]
	x.mu.RUnlock()
	if ok {
		return a
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []int64
	for cur := u; cur != nil; {
		if cur.level < leafLevel {
			out = append(out, cur.id)
		}
		if cur.parent == 0 {
			break
		}
		cur = x.byID[cur.parent]
	}
	x.anc[u.id] = out
	return out
}

// InternUnits gives every org unit its integer id in monitor_ou now
// rather than on first use; bulk loaders that write monitor_value
// directly call it first and read the ids from monitor_ou.
func InternUnits(ctx context.Context, db *store.DB) error {
	return units(db).sync(ctx, db)
}
