package project

import (
	"context"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestLoadPortfolioDemo: the demo holds O&M requests over two years, the
// first reviewed, the second with outliers of every planted kind; red and
// amber projects on the dashboard; published projects with the chosen
// fields. Loading twice adds nothing.
func TestLoadPortfolioDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		for range 2 {
			if err := LoadDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
			if err := LoadPortfolioDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		all := []string{province}
		first, tot1, err := s.ListOM(ctx, OMFilter{Scopes: all, Year: DemoOMYear - 1, PerPage: 500})
		if err != nil || tot1.Count != 40 || tot1.Approved == 0 {
			t.Fatalf("first year: %+v %v", tot1, err)
		}
		for _, r := range first {
			if r.Status == OMSubmitted || !r.Demo {
				t.Fatalf("first year not reviewed or not demo: %+v", r)
			}
		}
		_, tot2, err := s.ListOM(ctx, OMFilter{Scopes: all, Year: DemoOMYear})
		if err != nil || tot2.Count <= 40 || tot2.Flagged == 0 || tot2.Approved != 0 {
			t.Fatalf("second year: %+v %v", tot2, err)
		}
		for _, code := range []string{FlagOverLastYear, FlagOverCatalogue, FlagOverInvestment, FlagRetired, FlagDuplicate} {
			if _, tot, err := s.ListOM(ctx, OMFilter{Scopes: all, Year: DemoOMYear, Flag: code}); err != nil || tot.Count == 0 {
				t.Errorf("no %s outlier in the demo: %v", code, err)
			}
		}
		d, err := s.Portfolio(ctx, Filter{Scopes: all}, DefaultThresholds)
		if err != nil || d.Total.Count != 320 || d.Lights.Red == 0 || d.Lights.Amber == 0 || d.Lights.Green == 0 || len(d.OM) != 2 {
			t.Fatalf("dashboard: %+v %+v %v", d.Total, d.Lights, err)
		}
		pg, err := s.Public(ctx, PublicQuery{}, DefaultThresholds)
		if err != nil || pg.Total < 10 || len(pg.Fields) != 6 || pg.Projects[0].Estimate == nil || pg.Projects[0].Summary != "" {
			t.Fatalf("public: %+v %v", pg, err)
		}
	})
}
