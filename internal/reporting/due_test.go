package reporting

import (
	"context"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestDue lists a county's quarterly and annual reports of the last
// ended periods with their states; what is still to do comes first.
func TestDue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		u := unit(t, db, "410102")
		q, err := GetDataSet(ctx, db, "COUNTY_QUARTERLY")
		if err != nil {
			t.Fatal(err)
		}
		// 2024-11-10: 2024Q3 is due on 2024-10-15 (overdue), 2024Q4 runs.
		now := time.Date(2024, 11, 10, 0, 0, 0, 0, time.UTC)
		if err := Submit(ctx, db, audit.Actor{Name: "t"}, q, u, period.MustParse("2024Q2")); err != nil {
			t.Fatal(err)
		}
		got, err := Due(ctx, db, []orgunit.Unit{u}, now)
		if err != nil {
			t.Fatal(err)
		}
		// Two county forms, DueBack periods each.
		if len(got) != 2*DueBack {
			t.Fatalf("%d reports, want %d", len(got), 2*DueBack)
		}
		states := map[string]string{}
		for _, r := range got {
			states[r.DataSet.Code+" "+r.Period.ID()] = r.State
			if r.Unit.Code != "410102" {
				t.Errorf("report for %s", r.Unit.Code)
			}
		}
		if states["COUNTY_QUARTERLY 2024Q2"] != Submitted || states["COUNTY_QUARTERLY 2024Q3"] != Open || states["COUNTY_ANNUAL 2023"] != Open {
			t.Fatalf("states %v", states)
		}
		if _, ok := states["COUNTY_QUARTERLY 2024Q4"]; ok {
			t.Fatal("the running quarter is listed as due")
		}
		// Overdue first, the submitted report last.
		if !got[0].Overdue || got[len(got)-1].State != Submitted || got[len(got)-1].Overdue {
			t.Fatalf("order: first %+v, last %+v", got[0].Period, got[len(got)-1].Period)
		}
	})
}
