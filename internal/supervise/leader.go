package supervise

import (
	"context"

	"zhihui/internal/orgunit"
	"zhihui/internal/progress"
	"zhihui/internal/reporting"
)

// Standing is a unit's place in one year's assessment of its group: the
// published version's row when the year is published, else the live
// computation's.
type Standing struct {
	Year      int    `json:"year"`
	Group     string `json:"group"`
	Published bool   `json:"published"`
	Version   int    `json:"version,omitempty"`
	Of        int    `json:"of"` // units ranked in the group
	Row       *Row   `json:"row,omitempty"`
}

// UnitView is what a leader reads about one city, county or department:
// the lights of its items this year, its standing this year and last
// year, its overdue items and its plan targets at risk.
type UnitView struct {
	Unit      orgunit.Unit               `json:"unit"`
	Year      int                        `json:"year"`
	Lights    map[string]int             `json:"lights"`
	Standings []Standing                 `json:"standings"`
	Overdue   []*Item                    `json:"overdue"`
	AtRisk    []reporting.TargetProgress `json:"at_risk"`
}

// ForUnit assembles the leader's view of unit for year; the unit must lie
// in scopes.
func (s *Service) ForUnit(ctx context.Context, schemes *Schemes, scopes []string, code string, year int) (*UnitView, error) {
	u, err := orgunit.Get(ctx, s.DB, code)
	if err != nil {
		return nil, err
	}
	if !inScopes(u.Path, scopes) {
		return nil, ErrOutside
	}
	v := &UnitView{Unit: u, Year: year, Lights: map[string]int{}}
	items, err := s.Items(ctx, Filter{Scopes: []string{u.Path}, Year: year, Limit: -1})
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		v.Lights[it.Light]++
	}
	red, err := s.Items(ctx, Filter{Scopes: []string{u.Path}, Light: Red, Limit: 200})
	if err != nil {
		return nil, err
	}
	v.Overdue = red
	group := ""
	for g, kind := range Groups {
		if kind == u.Kind {
			group = g
		}
	}
	if group != "" {
		for _, y := range []int{year, year - 1} {
			st := Standing{Year: y, Group: group}
			var a *Assessment
			p, err := s.Published(ctx, []string{"/" + orgunit.Root + "/"}, y, group)
			if err != nil {
				return nil, err
			}
			if p != nil {
				a, st.Published, st.Version = p.Result, true, p.Version
			} else if _, ok := schemes.For(y); ok {
				if a, err = s.Assess(ctx, schemes, []string{"/" + orgunit.Root + "/"}, y, group); err != nil {
					return nil, err
				}
			}
			if a != nil {
				for i := range a.Rows {
					if a.Rows[i].Rank > 0 {
						st.Of++
					}
					if a.Rows[i].Unit == u.Code {
						r := a.Rows[i]
						st.Row = &r
					}
				}
			}
			v.Standings = append(v.Standings, st)
		}
	}
	tps, err := reporting.Progress(ctx, s.DB, reporting.ProgressQuery{Units: []string{u.Code}, ToYear: max(year, 2020)})
	if err != nil {
		return nil, err
	}
	for _, tp := range tps {
		if tp.Status == progress.Warning || tp.Status == progress.Behind {
			v.AtRisk = append(v.AtRisk, tp)
		}
	}
	return v, nil
}

// TargetsOf reads the item's linked plan targets live from monitoring at
// the item's unit: the latest figure, the goal and the status.
func (s *Service) TargetsOf(ctx context.Context, it *Item) ([]reporting.TargetProgress, error) {
	if len(it.Targets) == 0 {
		return nil, nil
	}
	return reporting.Progress(ctx, s.DB, reporting.ProgressQuery{Units: []string{it.Unit}, ToYear: max(it.Year, 2020), Targets: it.Targets})
}
