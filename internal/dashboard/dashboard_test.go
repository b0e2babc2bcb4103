package dashboard

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestYearsFollowTheData checks that the years offered and the year shown
// come from the stored figures, not from fixed demo years, on both stores.
func TestYearsFollowTheData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, monitor.Schema, reporting.Schema); err != nil {
			t.Fatal(err)
		}
		if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
			t.Fatal(err)
		}
		if err := monitor.InstallCatalog(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := reporting.Install(ctx, db); err != nil {
			t.Fatal(err)
		}
		// BB_URBAN_CAP at two cities in 2016 and 2018, at the province
		// alone in 2019
		var vals []monitor.Value
		for _, v := range []struct{ ou, pe, v string }{{"4101", "2016", "50"}, {"4102", "2016", "20"}, {"4101", "2018", "100"}, {"41", "2019", "120"}} {
			vals = append(vals, monitor.Value{DataElement: "BB_URBAN_CAP", OrgUnit: v.ou, Period: v.pe, Value: v.v})
		}
		if err := monitor.SaveValues(ctx, db, audit.System, vals); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2024, 6, 1, 0, 0, 0, 0, period.Shanghai)
		for _, c := range []struct {
			ask, want int
		}{{0, 2018}, {2019, 2019}, {2016, 2016}, {2017, 2018}, {2030, 2018}} {
			v, err := Build(ctx, db, Query{Unit: "41", DX: "BB_URBAN_CAP", Year: c.ask, Lang: "zh-CN", Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(v.Years, []int{2016, 2018, 2019}) || v.Year != c.want {
				t.Errorf("asked %d: years %v, year %d; want [2016 2018 2019], %d", c.ask, v.Years, v.Year, c.want)
			}
		}
		// at a city: its own and its counties' years
		v, err := Build(ctx, db, Query{Unit: "4102", DX: "BB_URBAN_CAP", Lang: "zh-CN", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(v.Years, []int{2016}) || v.Year != 2016 {
			t.Errorf("4102: years %v, year %d", v.Years, v.Year)
		}
		// no figures at all: every year from the plan's base year, the last shown
		v, err = Build(ctx, db, Query{Unit: "4103", DX: "BB_URBAN_CAP", Lang: "zh-CN", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Years) != 2024-FirstYear+1 || v.Years[0] != FirstYear || v.Year != 2024 {
			t.Errorf("4103 without figures: years %v, year %d", v.Years, v.Year)
		}
		// a county has its dashboard (its townships ranked, no map); a
		// township is refused, bilingually
		cv, err := Build(ctx, db, Query{Unit: "410102", DX: "BB_URBAN_CAP", Lang: "en", Now: now})
		if err != nil {
			t.Fatalf("county dashboard: %v", err)
		}
		if cv.Map != nil || len(cv.Regions) == 0 || cv.Regions[0].Unit.Level != 4 {
			t.Errorf("county dashboard: map %v, %d regions", cv.Map, len(cv.Regions))
		}
		if _, err := Build(ctx, db, Query{Unit: "410102001", Lang: "en", Now: now}); err == nil || !strings.Contains(err.Error(), "a county") {
			t.Errorf("a township dashboard: %v", err)
		}
	})
}
