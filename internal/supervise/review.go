package supervise

import (
	"context"
	"sort"

	"zhihui/internal/orgunit"
	"zhihui/internal/progress"
	"zhihui/internal/reporting"
)

// ReviewRow is one plan target in the quarterly review (performance.gov
// style): the province's progress and forecast, how the cities stand on
// it, the cities furthest behind, and the work items that carry it.
type ReviewRow struct {
	Province reporting.TargetProgress `json:"province"`
	Cities   map[string]int           `json:"cities"` // status → cities
	Behind   []string                 `json:"behind"` // names of cities behind, worst first (up to 5)
	Items    []*Item                  `json:"items,omitempty"`
}

// riskOrder sorts statuses from most to least at risk.
var riskOrder = map[progress.Status]int{progress.Behind: 0, progress.Warning: 1, progress.NoData: 2, progress.OnTrack: 3, progress.Met: 4}

// Review lists the plan's targets at the province, most at risk first,
// with the cities' standing on each and (unless public) the year's work
// items linked to it. Public reviews read published indicators only and
// list no work items.
func (s *Service) Review(ctx context.Context, year int, public bool) ([]ReviewRow, error) {
	root, err := orgunit.Get(ctx, s.DB, orgunit.Root)
	if err != nil {
		return nil, err
	}
	level2, err := orgunit.Descendants(ctx, s.DB, root.Path, 2, 0)
	if err != nil {
		return nil, err
	}
	units := []string{orgunit.Root}
	for _, u := range level2 {
		if u.Kind == orgunit.City {
			units = append(units, u.Code)
		}
	}
	tps, err := reporting.Progress(ctx, s.DB, reporting.ProgressQuery{Units: units, ToYear: year, PublishedOnly: public})
	if err != nil {
		return nil, err
	}
	by := map[string]*ReviewRow{}
	var order []string
	type lag struct {
		name string
		pct  float64
	}
	lags := map[string][]lag{}
	for _, tp := range tps {
		code := tp.Target.Code
		if tp.Unit.Code == orgunit.Root {
			by[code] = &ReviewRow{Province: tp, Cities: map[string]int{}}
			order = append(order, code)
		}
	}
	for _, tp := range tps {
		r := by[tp.Target.Code]
		if tp.Unit.Code == orgunit.Root || r == nil {
			continue
		}
		r.Cities[string(tp.Status)]++
		if tp.Status == progress.Behind {
			lags[tp.Target.Code] = append(lags[tp.Target.Code], lag{tp.Unit.Name, tp.Percent})
		}
	}
	for code, ls := range lags {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].pct < ls[j].pct })
		for i := 0; i < len(ls) && i < 5; i++ {
			by[code].Behind = append(by[code].Behind, ls[i].name)
		}
	}
	if !public {
		items, err := s.Items(ctx, Filter{Scopes: []string{root.Path}, Year: year, Limit: -1})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			for _, t := range it.Targets {
				if r := by[t]; r != nil && len(r.Items) < 10 {
					r.Items = append(r.Items, it)
				}
			}
		}
	}
	out := make([]ReviewRow, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := riskOrder[out[i].Province.Status], riskOrder[out[j].Province.Status]
		if a != b {
			return a < b
		}
		return out[i].Province.Percent < out[j].Province.Percent
	})
	return out, nil
}
