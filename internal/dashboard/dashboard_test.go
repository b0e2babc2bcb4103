package dashboard

import (
	"context"
	"slices"
	"strconv"
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

// TestFirstViewShowsVariation: opened without a choice, the dashboard
// shows the indicator whose cities differ most, in its latest year with
// figures, not one where every city is at 100 %.
func TestFirstViewShowsVariation(t *testing.T) {
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
		root, _ := orgunit.Get(ctx, db, "41")
		cities, err := mapRegions(ctx, db, root)
		if err != nil || len(cities) < 10 {
			t.Fatalf("cities: %d %v", len(cities), err)
		}
		// every village has broadband everywhere (100 %); fibre to the
		// home differs from city to city, in 2017 more than in 2016
		var vals []monitor.Value
		add := func(el, ou, pe string, v int) {
			vals = append(vals, monitor.Value{DataElement: el, OrgUnit: ou, Period: pe, Value: strconv.Itoa(v)})
		}
		for i, c := range cities {
			for _, y := range []string{"2016", "2017"} {
				add("ADMIN_VILLAGES", c.Code, y, 100+i)
				add("ADMIN_VILLAGES_BB", c.Code, y, 100+i)
				add("HOUSEHOLDS_URBAN", c.Code, y, 1000)
			}
			add("FTTH_URBAN_HOUSEHOLDS", c.Code, "2016", 500+10*i)
			add("FTTH_URBAN_HOUSEHOLDS", c.Code, "2017", 300+40*i)
		}
		if err := monitor.SaveValues(ctx, db, audit.System, vals); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2024, 6, 1, 0, 0, 0, 0, period.Shanghai)
		v, err := Build(ctx, db, Query{Unit: "41", Lang: "zh-CN", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		if v.DX != "FTTH_URBAN_HOUSEHOLD_RATE" || v.Year != 2017 {
			t.Fatalf("first view: %s %d, want FTTH_URBAN_HOUSEHOLD_RATE 2017", v.DX, v.Year)
		}
		distinct := map[float64]bool{}
		for _, r := range v.Regions {
			if r.Has {
				distinct[r.Value] = true
			}
		}
		if len(distinct) < len(cities)/2 {
			t.Fatalf("the map of the first view shows %d distinct values over %d cities", len(distinct), len(cities))
		}
		// an asked-for indicator is kept
		if v, err = Build(ctx, db, Query{Unit: "41", DX: "BB_VILLAGE_RATE", Lang: "zh-CN", Now: now}); err != nil || v.DX != "BB_VILLAGE_RATE" {
			t.Fatalf("asked BB_VILLAGE_RATE: %v %v", v.DX, err)
		}
	})
}
