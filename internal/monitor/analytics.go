package monitor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor/formula"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Query asks for analytics in DHIS2's terms: data (element and indicator
// codes), periods and org units, each a list of selectors.
type Query struct {
	DX []string // element or indicator codes
	PE []string // period ids ("2015", "2015Q3", "201507") or relative periods ("LAST_12_MONTHS")
	OU []string // unit codes, optionally with "LEVEL-n" or "CHILDREN"
	// Scopes are the org paths the caller may see; nil means everywhere.
	// A unit outside every scope makes the query fail with ErrForbidden.
	Scopes []string
	// PublishedOnly refuses data that is not flagged published (for
	// anonymous callers).
	PublishedOnly bool
	// Now anchors relative periods; zero means the current time.
	Now time.Time
	// MaxCells bounds dx × pe × ou below the store-wide limit (for
	// anonymous callers); zero means the store-wide limit.
	MaxCells int
}

// AnonymousMaxCells is what one anonymous analytics query may ask for: the
// 181 counties × 12 months × 9 data items fit.
const AnonymousMaxCells = 20000

// Row is one figure of a result.
type Row struct {
	DX    string  `json:"dx"`
	PE    string  `json:"pe"`
	OU    string  `json:"ou"`
	Value float64 `json:"value"`
}

// Item describes a code in a result.
type Item struct {
	Name   string `json:"name"`
	NameEn string `json:"name_en,omitempty"`
	Kind   string `json:"kind"` // element, indicator, period, orgunit
	Unit   string `json:"unit,omitempty"`
	// ValueType is set for data elements (monitor.Number … Boolean).
	ValueType string `json:"value_type,omitempty"`
	// Direction is set for indicators (higher or lower is better).
	Direction string `json:"direction,omitempty"`
	Decimals  int    `json:"decimals,omitempty"`
	Level     int    `json:"level,omitempty"`
}

// Dimensions lists the resolved codes of each dimension in order.
type Dimensions struct {
	DX []string `json:"dx"`
	PE []string `json:"pe"`
	OU []string `json:"ou"`
}

// Meta describes a result's codes.
type Meta struct {
	Items      map[string]Item `json:"items"`
	Dimensions Dimensions      `json:"dimensions"`
}

// Result is an analytics answer: one row per (dx, pe, ou) that has a
// value, ordered as the dimensions are.
type Result struct {
	Rows []Row `json:"rows"`
	Meta Meta  `json:"metaData"`
}

// Get returns the value at (dx, pe, ou), if any.
func (r *Result) Get(dx, pe, ou string) (float64, bool) {
	for _, x := range r.Rows {
		if x.DX == dx && x.PE == pe && x.OU == ou {
			return x.Value, true
		}
	}
	return 0, false
}

// ErrForbidden is returned when a query names a unit outside the caller's
// scopes or unpublished data to an anonymous caller.
var ErrForbidden = errors.New("monitor: not allowed")

// maxCells bounds dx × pe × ou of one query.
const maxCells = 500000

// Analytics answers q from the aggregates. Indicators are computed from
// the aggregated figures of their elements at each (period, unit), never
// by averaging lower-level ratios.
func Analytics(ctx context.Context, db *store.DB, q Query) (*Result, error) {
	if len(q.DX) == 0 || len(q.PE) == 0 || len(q.OU) == 0 {
		return nil, i18n.Errorf("请同时指定 dx、pe 和 ou", "dx, pe and ou are all required")
	}
	now := q.Now
	if now.IsZero() {
		now = time.Now()
	}
	pes, err := ResolvePeriods(q.PE, now)
	if err != nil {
		return nil, err
	}
	ous, err := ResolveOrgUnits(ctx, db, q.OU)
	if err != nil {
		return nil, err
	}
	if q.Scopes != nil {
		for _, u := range ous {
			ok := false
			for _, s := range q.Scopes {
				ok = ok || orgunit.InSubtree(u.Path, s)
			}
			if !ok {
				return nil, fmt.Errorf("%w: %s", ErrForbidden, u.Code)
			}
		}
	}
	els, err := elementMap(ctx, db.R)
	if err != nil {
		return nil, err
	}
	inds, err := listIndicators(ctx, db.R)
	if err != nil {
		return nil, err
	}
	indMap := map[string]Indicator{}
	for _, i := range inds {
		indMap[i.Code] = i
	}
	res := &Result{Meta: Meta{Items: map[string]Item{}}}
	type dxItem struct {
		el  *Element
		ind *Indicator
		ex  *formula.Expr
	}
	var dxs []dxItem
	need := map[string]*Element{}
	for _, c := range q.DX {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if e, ok := els[c]; ok {
			if !e.Numeric() {
				return nil, i18n.Errorf("文本型数据元 %s 不能用于分析", "text element %s cannot be analysed", c)
			}
			if q.PublishedOnly && !e.Published {
				return nil, fmt.Errorf("%w: %s is not published", ErrForbidden, c)
			}
			ec := e
			dxs = append(dxs, dxItem{el: &ec})
			need[c] = &ec
			res.Meta.Items[c] = Item{Name: e.Name, NameEn: e.NameEn, Kind: "element", Unit: e.Unit, ValueType: e.ValueType}
			res.Meta.Dimensions.DX = append(res.Meta.Dimensions.DX, c)
			continue
		}
		ind, ok := indMap[c]
		if !ok {
			return nil, i18n.Errorf("未知的数据元或指标 %q", "unknown data element or indicator %q", c)
		}
		if q.PublishedOnly && !ind.Published {
			return nil, fmt.Errorf("%w: %s is not published", ErrForbidden, c)
		}
		ex, err := formula.Parse(ind.Formula)
		if err != nil {
			return nil, fmt.Errorf("monitor: indicator %s: %w", c, err)
		}
		for _, ec := range ex.Codes() {
			e, ok := els[ec]
			if !ok {
				return nil, i18n.Errorf("指标 %s 引用了不存在的数据元 %s", "indicator %s refers to the unknown element %s", c, ec)
			}
			e2 := e
			need[ec] = &e2
		}
		ic := ind
		dxs = append(dxs, dxItem{ind: &ic, ex: ex})
		res.Meta.Items[c] = Item{Name: ind.Name, NameEn: ind.NameEn, Kind: "indicator", Unit: ind.Unit, Direction: ind.Direction, Decimals: ind.Decimals}
		res.Meta.Dimensions.DX = append(res.Meta.Dimensions.DX, c)
	}
	if len(dxs) == 0 {
		return nil, i18n.Errorf("dx 为空", "dx is empty")
	}
	limit := maxCells
	if q.MaxCells > 0 && q.MaxCells < limit {
		limit = q.MaxCells
	}
	if n := len(dxs) * len(pes) * len(ous); n > limit {
		if limit < maxCells {
			return nil, i18n.Errorf("查询过大：数据×周期×单位为 %d，未登录时最多 %d；请缩小范围或登录后查询", "the query is too large: data × periods × units is %d, at most %d without logging in; narrow it or log in", n, limit)
		}
		return nil, i18n.Errorf("查询过大：数据×周期×单位为 %d，最多 %d", "the query is too large: data × periods × units is %d, at most %d", n, limit)
	}
	for _, p := range pes {
		res.Meta.Items[p.ID()] = Item{Name: p.Label("zh-CN"), NameEn: p.Label("en"), Kind: "period"}
		res.Meta.Dimensions.PE = append(res.Meta.Dimensions.PE, p.ID())
	}
	var codes []string
	for _, u := range ous {
		res.Meta.Items[u.Code] = Item{Name: u.Name, NameEn: u.NameEn, Kind: "orgunit", Level: u.Level}
		res.Meta.Dimensions.OU = append(res.Meta.Dimensions.OU, u.Code)
		codes = append(codes, u.Code)
	}
	x := units(db)
	ids, err := x.lookup(ctx, db, codes...)
	if err != nil {
		return nil, err
	}
	elist := make([]*Element, 0, len(need))
	for _, e := range need {
		elist = append(elist, e)
	}
	cells, err := readCells(ctx, db, elist, pes, ous, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range dxs {
		for _, p := range pes {
			for _, u := range ous {
				var v float64
				var ok bool
				if d.el != nil {
					c := cells[cellKey{d.el.Code, p.ID(), u.Code}]
					v, ok = c.Value(d.el.Aggregation)
				} else {
					v, ok = d.ex.Eval(func(code string) (float64, bool) {
						e := need[code]
						c := cells[cellKey{code, p.ID(), u.Code}]
						return c.Value(e.Aggregation)
					})
				}
				// a formula may divide by zero: no figure, never Inf or NaN
				if ok && !math.IsNaN(v) && !math.IsInf(v, 0) {
					code := ""
					if d.el != nil {
						code = d.el.Code
					} else {
						code = d.ind.Code
					}
					res.Rows = append(res.Rows, Row{DX: code, PE: p.ID(), OU: u.Code, Value: v})
				}
			}
		}
	}
	return res, nil
}

type cellKey struct{ el, pe, ou string }

// readCells fetches the cells of elements × periods × units: aggregate
// rows for units that have them, the raw values of villages.
func readCells(ctx context.Context, db *store.DB, els []*Element, pes []period.Period, ous []orgunit.Unit, ids map[string]*ou) (map[cellKey]Cell, error) {
	out := map[cellKey]Cell{}
	var aggIDs, leafIDs []any
	codeOf := map[int64]string{}
	for _, u := range ous {
		o, ok := ids[u.Code]
		if !ok {
			continue
		}
		codeOf[o.id] = u.Code
		if o.level >= leafLevel {
			leafIDs = append(leafIDs, o.id)
		} else {
			aggIDs = append(aggIDs, o.id)
		}
	}
	for _, e := range els {
		var pids []any
		var sub []any
		subOf := map[string][]string{} // raw period -> requested periods containing it
		for _, p := range pes {
			if p.Type < e.PType() {
				continue
			}
			pids = append(pids, p.ID())
			for _, c := range p.Children(e.PType()) {
				if _, seen := subOf[c.ID()]; !seen {
					sub = append(sub, c.ID())
				}
				subOf[c.ID()] = append(subOf[c.ID()], p.ID())
			}
		}
		if len(pids) == 0 {
			continue
		}
		for start := 0; start < len(aggIDs); start += 500 {
			chunk := aggIDs[start:min(len(aggIDs), start+500)]
			args := append([]any{e.ID}, pids...)
			args = append(args, chunk...)
			rows, err := db.R.QueryContext(ctx, store.Rebind(db.Dialect, "SELECT pe, ou_id, sum, cnt, min, max, last_pe, last FROM monitor_agg WHERE element_id = $1 AND pe IN ("+
				store.Placeholders(2, len(pids))+") AND ou_id IN ("+store.Placeholders(2+len(pids), len(chunk))+")"), args...)
			if err != nil {
				return nil, fmt.Errorf("monitor: read aggregates: %w", err)
			}
			for rows.Next() {
				var pe string
				var id int64
				c := Cell{Scale: e.Scale()}
				if err := rows.Scan(&pe, &id, &c.Sum, &c.Count, &c.Min, &c.Max, &c.LastPeriod, &c.Last); err != nil {
					rows.Close()
					return nil, err
				}
				out[cellKey{e.Code, pe, codeOf[id]}] = c
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		for start := 0; start < len(leafIDs); start += 400 {
			chunk := leafIDs[start:min(len(leafIDs), start+400)]
			for ps := 0; ps < len(sub); ps += 400 {
				pchunk := sub[ps:min(len(sub), ps+400)]
				args := append([]any{e.ID}, pchunk...)
				args = append(args, chunk...)
				rows, err := db.R.QueryContext(ctx, store.Rebind(db.Dialect, "SELECT pe, ou_id, value FROM monitor_value WHERE element_id = $1 AND pe IN ("+
					store.Placeholders(2, len(pchunk))+") AND ou_id IN ("+store.Placeholders(2+len(pchunk), len(chunk))+") AND value IS NOT NULL"), args...)
				if err != nil {
					return nil, fmt.Errorf("monitor: read values: %w", err)
				}
				for rows.Next() {
					var pe string
					var id int64
					var v float64
					if err := rows.Scan(&pe, &id, &v); err != nil {
						rows.Close()
						return nil, err
					}
					x, err := fixedOf(v, e.Scale())
					if err != nil {
						rows.Close()
						return nil, err
					}
					for _, want := range subOf[pe] {
						k := cellKey{e.Code, want, codeOf[id]}
						c := out[k]
						c.Scale = e.Scale()
						c.addValue(pe, x)
						out[k] = c
					}
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// ResolveOrgUnits turns org unit selectors into units: plain codes, plus
// "LEVEL-n" (every unit at level n under the given codes) or "CHILDREN"
// (the children of the given codes). Codes default to the province when
// only a keyword is given.
func ResolveOrgUnits(ctx context.Context, db *store.DB, sel []string) ([]orgunit.Unit, error) {
	var codes []string
	level, children := 0, false
	for _, s := range sel {
		s = strings.TrimSpace(s)
		switch {
		case s == "":
		case strings.HasPrefix(s, "LEVEL-"):
			n, err := strconv.Atoi(s[len("LEVEL-"):])
			if err != nil || n < 1 || n > 5 {
				return nil, i18n.Errorf("无效的层级 %q（LEVEL-1 至 LEVEL-5）", "invalid level %q (LEVEL-1 to LEVEL-5)", s)
			}
			level = n
		case s == "CHILDREN":
			children = true
		default:
			codes = append(codes, s)
		}
	}
	if len(codes) == 0 {
		codes = []string{orgunit.Root}
	}
	roots, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return nil, err
	}
	byCode := map[string]orgunit.Unit{}
	for _, u := range roots {
		byCode[u.Code] = u
	}
	var out []orgunit.Unit
	seen := map[string]bool{}
	addAll := func(us []orgunit.Unit) {
		for _, u := range us {
			if !seen[u.Code] {
				seen[u.Code] = true
				out = append(out, u)
			}
		}
	}
	for _, c := range codes {
		u, ok := byCode[c]
		if !ok {
			return nil, i18n.Errorf("未知的组织机构 %q", "unknown org unit %q", c)
		}
		switch {
		case level > 0:
			if u.Level == level {
				addAll([]orgunit.Unit{u})
				continue
			}
			ds, err := orgunit.Descendants(ctx, db, u.Path, level, 0)
			if err != nil {
				return nil, err
			}
			addAll(ds)
		case children:
			ks, err := orgunit.Children(ctx, db, u.Code)
			if err != nil {
				return nil, err
			}
			addAll(ks)
		default:
			addAll([]orgunit.Unit{u})
		}
	}
	return out, nil
}

// relative maps relative period names to (type, count, include current).
var relative = map[string]struct {
	t       period.Type
	n       int
	current bool
}{
	"THIS_MONTH":         {period.Month, 1, true},
	"LAST_MONTH":         {period.Month, 1, false},
	"LAST_3_MONTHS":      {period.Month, 3, false},
	"LAST_6_MONTHS":      {period.Month, 6, false},
	"LAST_12_MONTHS":     {period.Month, 12, false},
	"THIS_QUARTER":       {period.Quarter, 1, true},
	"LAST_QUARTER":       {period.Quarter, 1, false},
	"LAST_4_QUARTERS":    {period.Quarter, 4, false},
	"THIS_SIX_MONTH":     {period.HalfYear, 1, true},
	"LAST_SIX_MONTH":     {period.HalfYear, 1, false},
	"LAST_2_SIXMONTHS":   {period.HalfYear, 2, false},
	"THIS_YEAR":          {period.Year, 1, true},
	"LAST_YEAR":          {period.Year, 1, false},
	"LAST_5_YEARS":       {period.Year, 5, false},
	"LAST_10_YEARS":      {period.Year, 10, false},
	"MONTHS_THIS_YEAR":   {period.Month, 0, true},
	"QUARTERS_THIS_YEAR": {period.Quarter, 0, true},
}

// RelativePeriods lists the relative period names ResolvePeriods knows.
func RelativePeriods() []string {
	out := make([]string, 0, len(relative))
	for k := range relative {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ResolvePeriods turns period selectors into periods: ids as they are,
// relative names counted back from now (LAST_12_MONTHS is the twelve
// months before the current one, oldest first).
func ResolvePeriods(sel []string, now time.Time) ([]period.Period, error) {
	var out []period.Period
	seen := map[string]bool{}
	add := func(p period.Period) {
		if !seen[p.ID()] {
			seen[p.ID()] = true
			out = append(out, p)
		}
	}
	for _, s := range sel {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if r, ok := relative[s]; ok {
			cur := period.Of(r.t, now)
			switch {
			case r.n == 0: // every period of the type so far this year
				for _, p := range (period.Period{Type: period.Year, Year: cur.Year, N: 1}).Children(r.t) {
					if !cur.Before(p) {
						add(p)
					}
				}
			case r.current:
				add(cur)
			default:
				for k := r.n; k >= 1; k-- {
					add(cur.Add(-k))
				}
			}
			continue
		}
		p, err := period.Parse(s)
		if err != nil {
			return nil, err
		}
		add(p)
	}
	if len(out) == 0 {
		return nil, i18n.Errorf("pe 为空", "pe is empty")
	}
	return out, nil
}
