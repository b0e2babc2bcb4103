package monitor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// ValueFilter selects raw values. Empty lists mean "any".
type ValueFilter struct {
	Elements []string
	OrgUnits []string
	Periods  []string
	// Children includes every unit in the subtrees of OrgUnits.
	Children bool
	// Scopes limit the units to these org paths (nil: no limit).
	Scopes []string
	Limit  int // at most MaxValues; <= 0 means MaxValues
}

// MaxValues bounds one DataValues answer.
const MaxValues = 200000

// DataValues returns stored values matching f, ordered by element, period
// and unit path.
func DataValues(ctx context.Context, db *store.DB, f ValueFilter) ([]StoredValue, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxValues {
		limit = MaxValues
	}
	var where []string
	var args store.Args
	arg := args.Add
	in := func(col string, vals []string) {
		where = append(where, col+" IN ("+store.In(&args, vals)+")")
	}
	if len(f.Elements) > 0 {
		in("e.code", f.Elements)
	}
	if len(f.Periods) > 0 {
		in("v.pe", f.Periods)
	}
	if len(f.OrgUnits) > 0 {
		if f.Children {
			us, err := orgunit.GetMany(ctx, db, f.OrgUnits)
			if err != nil {
				return nil, err
			}
			if len(us) == 0 {
				return nil, nil
			}
			var ors []string
			for _, u := range us {
				lo, hi := orgunit.SubtreeRange(u.Path)
				ors = append(ors, "(o.path >= "+arg(lo)+" AND o.path < "+arg(hi)+")")
			}
			where = append(where, "("+strings.Join(ors, " OR ")+")")
		} else {
			in("o.code", f.OrgUnits)
		}
	}
	if f.Scopes != nil {
		if len(f.Scopes) == 0 {
			return nil, nil
		}
		var ors []string
		for _, s := range f.Scopes {
			lo, hi := orgunit.SubtreeRange(s)
			ors = append(ors, "(o.path >= "+arg(lo)+" AND o.path < "+arg(hi)+")")
		}
		where = append(where, "("+strings.Join(ors, " OR ")+")")
	}
	q := `SELECT e.code, o.code, v.pe, v.value, v.text_value, v.comment, v.updated_by, v.updated_at
		FROM monitor_value v JOIN monitor_element e ON e.id = v.element_id JOIN monitor_ou o ON o.id = v.ou_id`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY e.code, v.pe, o.path LIMIT %d", limit)
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("monitor: read values: %w", err)
	}
	defer rows.Close()
	var out []StoredValue
	for rows.Next() {
		var s StoredValue
		var num *float64
		var text *string
		var at time.Time
		if err := rows.Scan(&s.DataElement, &s.OrgUnit, &s.Period, &num, &text, &s.Comment, &s.UpdatedBy, &at); err != nil {
			return nil, err
		}
		if num != nil {
			s.Value.Value = fmtNum(*num)
		} else if text != nil {
			s.Value.Value = *text
		}
		s.UpdatedAt = at
		out = append(out, s)
	}
	return out, rows.Err()
}
