package evalstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// MonitorCodes maps the indicators of fw that read monitoring data
// (source: monitor:CODE) to their monitoring codes.
func MonitorCodes(fw *evaluate.Framework) map[string]string {
	out := map[string]string{}
	for i := range fw.Indicators {
		if c := fw.Indicators[i].MonitorCode(); c != "" {
			out[fw.Indicators[i].ID] = c
		}
	}
	return out
}

// FirstMonitorYear is the first year a monitoring-backed run asks for when
// the caller names no years: the base year of the 2013 plan.
const FirstMonitorYear = 2012

// Monitor reads yearly figures from the monitoring module as a
// [DataSource]. Codes maps a series (a framework indicator id) to a
// monitoring element or indicator code; series without a code are left
// out. Figures are read from the aggregates through [monitor.Analytics],
// so an indicator is always computed on aggregated figures.
type Monitor struct {
	DB    *store.DB
	Codes map[string]string
	// Scopes are the org paths the caller may see (nil: everywhere).
	// Units outside them are left out of the result, and the query
	// carries them so that the monitoring module checks them too.
	Scopes []string
	// Now bounds the default years (zero: the current time).
	Now time.Time
}

// Values returns the yearly figures of the mapped series for units and
// years. Empty units mean the 18 city-level units; empty years mean
// FirstMonitorYear through the current year. Only years that have at least
// one figure are kept.
func (m Monitor) Values(ctx context.Context, indicators, units []string, years []int) (*evaluate.Dataset, error) {
	if len(indicators) == 0 {
		for s := range m.Codes {
			indicators = append(indicators, s)
		}
		slices.Sort(indicators)
	}
	if len(units) == 0 {
		cities, _, err := Regions()
		if err != nil {
			return nil, err
		}
		for _, u := range cities {
			units = append(units, u.Code)
		}
	}
	if len(years) == 0 {
		now := m.Now
		if now.IsZero() {
			now = time.Now()
		}
		for y := FirstMonitorYear; y <= now.In(period.Shanghai).Year(); y++ {
			years = append(years, y)
		}
	}
	// Keep the units the caller may see, in the order asked for.
	found, err := orgunit.GetMany(ctx, m.DB, units)
	if err != nil {
		return nil, fmt.Errorf("evalstore: monitor units: %w", err)
	}
	paths := map[string]string{}
	for _, u := range found {
		paths[u.Code] = u.Path
	}
	var us []string
	for _, c := range units {
		p, ok := paths[c]
		if !ok {
			continue // not an org unit: the monitoring module has nothing for it
		}
		if m.Scopes != nil && !slices.ContainsFunc(m.Scopes, func(s string) bool { return orgunit.InSubtree(p, s) }) {
			continue
		}
		if !slices.Contains(us, c) {
			us = append(us, c)
		}
	}
	bySeries := map[string][]string{} // monitoring code → series
	var dx []string
	for _, s := range indicators {
		c, ok := m.Codes[s]
		if !ok {
			continue
		}
		if _, seen := bySeries[c]; !seen {
			dx = append(dx, c)
		}
		bySeries[c] = append(bySeries[c], s)
	}
	var pe []string
	for _, y := range years {
		pe = append(pe, strconv.Itoa(y))
	}
	var series []string
	for _, s := range indicators {
		if _, ok := m.Codes[s]; ok {
			series = append(series, s)
		}
	}
	type fig struct {
		unit, series string
		year         int
		v            float64
	}
	var figs []fig
	seenYear := map[int]bool{}
	if len(us) > 0 && len(dx) > 0 {
		res, err := monitor.Analytics(ctx, m.DB, monitor.Query{DX: dx, PE: pe, OU: us, Scopes: m.Scopes})
		if err != nil {
			var ue *i18n.Error
			if errors.As(err, &ue) {
				return nil, ue
			}
			return nil, fmt.Errorf("evalstore: monitoring data: %w", err)
		}
		for _, row := range res.Rows {
			y, err := strconv.Atoi(row.PE)
			if err != nil || math.IsNaN(row.Value) || math.IsInf(row.Value, 0) {
				continue
			}
			seenYear[y] = true
			for _, s := range bySeries[row.DX] {
				figs = append(figs, fig{row.OU, s, y, row.Value})
			}
		}
	}
	var ys []int
	for y := range seenYear {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	d := evaluate.NewDataset(us, series, ys)
	for _, f := range figs {
		if err := d.Set(f.unit, f.year, f.series, f.v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// Origin says where a series of a merged dataset came from.
const (
	FromMonitor = "monitor" // every figure from the monitoring module
	FromDataset = "dataset" // every figure from the stored dataset
	FromBoth    = "both"    // monitoring figures where present, the dataset elsewhere
	FromNone    = "none"    // no figure at all
)

// Merged is a dataset put together from monitoring figures and a stored
// dataset, with where each series came from.
type Merged struct {
	Data *evaluate.Dataset
	// From maps each series to FromMonitor, FromDataset, FromBoth or
	// FromNone, counted over every year (also the dropped ones).
	From map[string]string
	// Dropped lists years left out because some series had no figure in
	// them at all.
	Dropped []int
}

// Merge combines monitoring figures (mon, may be nil) with a stored
// dataset (data, may be nil) over the given series: a monitoring figure
// wins where both have one. The units are those of data followed by the
// units only mon has; groups come from data. Years in which a series has
// no figure at all are dropped (the engine cannot score them).
func Merge(series []string, mon, data *evaluate.Dataset) *Merged {
	var units []string
	groups := map[string]string{}
	yearSet := map[int]bool{}
	for _, d := range []*evaluate.Dataset{data, mon} {
		if d == nil {
			continue
		}
		for _, u := range d.Units {
			if !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
		for u, g := range d.Groups {
			if _, ok := groups[u]; !ok {
				groups[u] = g
			}
		}
		for _, y := range d.Years {
			yearSet[y] = true
		}
	}
	var years []int
	for y := range yearSet {
		years = append(years, y)
	}
	slices.Sort(years)
	value := func(d *evaluate.Dataset, u string, y int, s string) float64 {
		if d == nil || !d.HasSeries(s) {
			return math.NaN()
		}
		return d.Value(u, y, s)
	}
	// Keep the years in which every series has a figure somewhere.
	var keep, dropped []int
	for _, y := range years {
		ok := true
		for _, s := range series {
			any := false
			for _, u := range units {
				if !math.IsNaN(value(mon, u, y, s)) || !math.IsNaN(value(data, u, y, s)) {
					any = true
					break
				}
			}
			ok = ok && any
		}
		if ok {
			keep = append(keep, y)
		} else {
			dropped = append(dropped, y)
		}
	}
	out := &Merged{Data: evaluate.NewDataset(units, slices.Clone(series), keep), From: map[string]string{}, Dropped: dropped}
	for u, g := range groups {
		if slices.Contains(units, u) {
			out.Data.Groups[u] = g
		}
	}
	kept := map[int]bool{}
	for _, y := range keep {
		kept[y] = true
	}
	for _, s := range series {
		nm, nd := 0, 0 // counted over every year, kept or not
		for _, y := range years {
			for _, u := range units {
				v, fromMon := value(mon, u, y, s), true
				if math.IsNaN(v) {
					v, fromMon = value(data, u, y, s), false
				}
				if math.IsNaN(v) {
					continue
				}
				if fromMon {
					nm++
				} else {
					nd++
				}
				if kept[y] {
					out.Data.Set(u, y, s, v)
				}
			}
		}
		switch {
		case nm > 0 && nd > 0:
			out.From[s] = FromBoth
		case nm > 0:
			out.From[s] = FromMonitor
		case nd > 0:
			out.From[s] = FromDataset
		default:
			out.From[s] = FromNone
		}
	}
	return out
}

// Covers reports whether mon has a figure for every unit of units and
// every series of series in year.
func Covers(mon *evaluate.Dataset, series, units []string, year int) bool {
	if mon == nil || len(series) == 0 || len(units) == 0 || !slices.Contains(mon.Years, year) {
		return false
	}
	for _, s := range series {
		if !mon.HasSeries(s) {
			return false
		}
		for _, u := range units {
			if math.IsNaN(mon.Value(u, year, s)) {
				return false
			}
		}
	}
	return true
}

// CoveredYears lists the years, newest first, in which mon covers series
// for units (see [Covers]).
func CoveredYears(mon *evaluate.Dataset, series, units []string) []int {
	if mon == nil {
		return nil
	}
	var out []int
	for i := len(mon.Years) - 1; i >= 0; i-- {
		if Covers(mon, series, units, mon.Years[i]) {
			out = append(out, mon.Years[i])
		}
	}
	return out
}

// LoadForFramework reads the data a run of fw needs: the figures of its
// monitoring-sourced indicators from mon (when mon is not nil), the rest —
// and the gaps in the monitoring figures — from data (when not nil),
// over units and years (empty: all the sources have).
func LoadForFramework(ctx context.Context, fw *evaluate.Framework, mon *Monitor, data DataSource, units []string, years []int) (*Merged, error) {
	series := fw.IndicatorIDs()
	for i := range fw.Indicators {
		if den := fw.Indicators[i].Denominator; den != "" && !slices.Contains(series, den) {
			series = append(series, den)
		}
	}
	var md, dd *evaluate.Dataset
	var err error
	if data != nil {
		if dd, err = data.Values(ctx, series, units, years); err != nil {
			return nil, err
		}
		if len(units) == 0 {
			units = dd.Units
		}
	}
	if mon != nil {
		m := *mon
		m.Codes = MonitorCodes(fw)
		if len(m.Codes) > 0 {
			if md, err = m.Values(ctx, series, units, years); err != nil {
				return nil, err
			}
		}
	}
	if dd != nil && md != nil && mon.Scopes != nil {
		// The index is computed over the units the caller may see.
		in := map[string]bool{}
		for _, u := range md.Units {
			in[u] = true
		}
		ous, err := orgunit.GetMany(ctx, mon.DB, dd.Units)
		if err != nil {
			return nil, err
		}
		outside := map[string]bool{}
		for _, u := range ous {
			outside[u.Code] = !in[u.Code]
		}
		dd = Subset(dd, func(u string) bool { return !outside[u] })
	}
	return Merge(series, md, dd), nil
}

// Static is a dataset in memory (an uploaded CSV, say) as a DataSource.
type Static struct{ Data *evaluate.Dataset }

// Values returns the units of the dataset among units (all when empty);
// series and years are left to the caller.
func (s Static) Values(_ context.Context, _ []string, units []string, _ []int) (*evaluate.Dataset, error) {
	if len(units) == 0 {
		return s.Data, nil
	}
	return Subset(s.Data, func(u string) bool { return slices.Contains(units, u) }), nil
}
