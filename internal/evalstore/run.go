package evalstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// RunInput says where an index run may take its figures from. The API
// (POST /api/v1/index/run), the regional index pages and `zhihui index
// run` all resolve their sources through [ResolveRun].
type RunInput struct {
	Framework *evaluate.Framework
	// Source is FromMonitor, FromDataset, or "" to choose: monitoring
	// when, for Units, it has a year with figures for every
	// monitor-sourced indicator of the framework (Year among those years
	// when Year is set) and either every indicator is monitor-sourced or
	// Dataset fills in the rest; Dataset otherwise.
	Source string
	// Dataset is the uploaded or stored dataset given with the run, nil
	// for none. Monitoring runs take from it the indicators monitoring
	// lacks and fill monitoring's gaps.
	Dataset DataSource
	// Units are the units a monitoring run reads; empty means the
	// Dataset's units when a dataset is given, the 18 city-level units
	// (see [Regions]) otherwise.
	Units []string
	// Year is the year the caller wants to see (0: any).
	Year int
	// Scopes are the org paths the caller may see monitoring figures for
	// (nil: everywhere).
	Scopes []string
}

// RunData is what [ResolveRun] found.
type RunData struct {
	// Data are the figures to run the framework on.
	Data *evaluate.Dataset
	// Source is FromMonitor or FromDataset.
	Source string
	// From says, for a monitoring run, where each indicator's figures came
	// from (FromMonitor, FromDataset, FromBoth, FromNone); nil otherwise.
	From map[string]string
	// Dropped lists the years a monitoring run left out because some
	// indicator had no figure at all in them.
	Dropped []int
	// MonitorYears are the years, newest first, in which monitoring has
	// figures for every monitor-sourced indicator over the units; set
	// whenever monitoring was considered (Source "" or FromMonitor).
	MonitorYears []int
}

// ErrNoData is returned by [ResolveRun] when neither monitoring nor a
// dataset can supply the run.
var ErrNoData = errors.New("evalstore: no data for the index run")

// ResolveRun decides where an index run takes its figures from and reads
// them. Errors a caller can act on are bilingual (*i18n.Error); when no
// source can supply the run it returns an error wrapping [ErrNoData] (also
// bilingual), which pages may answer with an empty state instead.
func ResolveRun(ctx context.Context, db *store.DB, in RunInput) (*RunData, error) {
	fw := in.Framework
	switch in.Source {
	case "", FromMonitor, FromDataset:
	default:
		return nil, i18n.Errorf("数据来源应为 monitor 或 dataset，而不是 %q", "source must be monitor or dataset, not %q", in.Source).OnField("source")
	}
	codes := MonitorCodes(fw)
	out := &RunData{}
	if in.Source == FromMonitor && len(codes) == 0 {
		return nil, i18n.Errorf("指标体系 %s 没有取自监测数据的指标（source: monitor:代码）", "framework %s has no indicator read from monitoring (source: monitor:CODE)", fw.ID).OnField("source")
	}
	if in.Source != FromDataset && len(codes) > 0 {
		var mapped []string
		for _, id := range fw.IndicatorIDs() {
			if codes[id] != "" {
				mapped = append(mapped, id)
			}
		}
		md, err := Monitor{DB: db, Codes: codes, Scopes: in.Scopes}.Values(ctx, mapped, in.Units, nil)
		if err != nil {
			return nil, err
		}
		out.MonitorYears = CoveredYears(md, mapped, md.Units)
		if in.Source == "" && len(out.MonitorYears) > 0 && (in.Year == 0 || slices.Contains(out.MonitorYears, in.Year)) &&
			(in.Dataset != nil || len(mapped) == len(fw.Indicators)) {
			in.Source = FromMonitor
		}
	}
	if in.Source == FromMonitor {
		units := in.Units
		if len(units) == 0 && in.Dataset == nil {
			cities, _, err := Regions()
			if err != nil {
				return nil, err
			}
			for _, u := range cities {
				units = append(units, u.Code)
			}
		}
		m, err := LoadForFramework(ctx, fw, &Monitor{DB: db, Scopes: in.Scopes}, in.Dataset, units, nil)
		if err != nil {
			return nil, err
		}
		out.Data, out.Source, out.From, out.Dropped = m.Data, FromMonitor, m.From, m.Dropped
		return out, nil
	}
	if in.Dataset == nil {
		return nil, noData{i18n.Errorf("缺少数据（data、dataset 或 source=monitor）", "data are required (data, dataset or source=monitor)").OnField("data")}
	}
	d, err := in.Dataset.Values(ctx, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	out.Data, out.Source = d, FromDataset
	return out, nil
}

// noData is a bilingual error that also wraps ErrNoData.
type noData struct{ ue *i18n.Error }

func (e noData) Error() string   { return e.ue.Error() }
func (e noData) Unwrap() []error { return []error{e.ue, ErrNoData} }

// Complete checks that a run has something to compute: every indicator
// has figures from somewhere, and some unit and year remain.
func (d *RunData) Complete(fw *evaluate.Framework) error {
	var none []string
	for _, id := range fw.IndicatorIDs() {
		if d.From != nil && d.From[id] == FromNone {
			none = append(none, id)
		}
	}
	if len(none) > 0 {
		return i18n.Errorf("指标 %s 既没有监测数据，也不在所给数据中；请用 dataset 或 data 补足", "indicators %s have neither monitoring figures nor values in the data given; add them with dataset or data", strings.Join(none, ", ")).OnField("dataset")
	}
	if d.Data == nil || len(d.Data.Units) == 0 || len(d.Data.Years) == 0 {
		if d.Source == FromMonitor {
			return i18n.Errorf("监测数据中没有可计算的数据", "monitoring has no figures to compute the index on").OnField("source")
		}
		return i18n.Errorf("数据集中没有可计算的数据", "the dataset has no figures to compute the index on").OnField("dataset")
	}
	return nil
}

// DefaultDataset picks the stored dataset a regional index of fw over the
// units of one level (the cities or the counties, see [Regions]) runs on
// when the caller names none: among datasets (newest first, as
// [Datasets] lists them; nil reads them) that have figures for every
// indicator of fw not read from monitoring and cover at least half of
// units, a real dataset before a synthetic one, then the newest. It
// returns ErrNotFound when none fits.
func DefaultDataset(ctx context.Context, db *store.DB, fw *evaluate.Framework, units []string, datasets []DatasetInfo) (DatasetInfo, error) {
	if datasets == nil {
		var err error
		if datasets, err = Datasets(ctx, db); err != nil {
			return DatasetInfo{}, err
		}
	}
	codes := MonitorCodes(fw)
	var need []string
	for _, id := range fw.IndicatorIDs() {
		if codes[id] == "" {
			need = append(need, id)
		}
	}
	level := map[string]bool{}
	for _, u := range units {
		level[u] = true
	}
	ordered := slices.Clone(datasets)
	slices.SortStableFunc(ordered, func(a, b DatasetInfo) int {
		switch {
		case a.Synthetic == b.Synthetic:
			return 0
		case !a.Synthetic:
			return -1
		}
		return 1
	})
	for _, d := range ordered {
		if d.Units*2 < len(units) {
			continue
		}
		ok, err := fits(ctx, db, d.ID, need, level, len(units))
		if err != nil {
			return DatasetInfo{}, err
		}
		if ok {
			return d, nil
		}
	}
	return DatasetInfo{}, ErrNotFound
}

// fits reports whether dataset id covers at least half of the n units of
// level and has a figure of every series in need.
func fits(ctx context.Context, db *store.DB, id int64, need []string, level map[string]bool, n int) (bool, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT unit FROM evaluate_dataset_unit WHERE dataset_id = $1`, id)
	if err != nil {
		return false, fmt.Errorf("evalstore: dataset units: %w", err)
	}
	in := 0
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return false, err
		}
		if level[u] {
			in++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if in*2 < n {
		return false, nil
	}
	for _, series := range need {
		var one int
		err := db.R.QueryRowContext(ctx, `SELECT 1 FROM evaluate_value WHERE dataset_id = $1 AND series = $2 LIMIT 1`, id, series).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("evalstore: dataset series: %w", err)
		}
	}
	return true, nil
}
