package monitor

import (
	"context"
	"testing"

	"zhihui/internal/plan"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestCatalogCoversEveryPlanTarget(t *testing.T) {
	c, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, e := range c.Elements {
		codes[e.Code] = true
	}
	for _, i := range c.Indicators {
		codes[i.Code] = true
	}
	ts := plan.Default().Targets()
	if len(ts) == 0 {
		t.Fatal("no targets")
	}
	for _, tg := range ts {
		if !codes[tg.Indicator] {
			t.Errorf("target %s: indicator %s is neither an element nor an indicator", tg.Code, tg.Indicator)
		}
	}
}

func TestCatalogMapsEveryActualSeries(t *testing.T) {
	c, err := DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := Actuals()
	if err != nil {
		t.Fatal(err)
	}
	all := map[string]CatalogElement{}
	for _, e := range c.Elements {
		all[e.Code] = e
	}
	vals, err := actualValues(c, all)
	if err != nil {
		t.Fatal(err)
	}
	mapped := map[string]bool{}
	for _, e := range c.Elements {
		for _, a := range e.Actuals {
			mapped[a.Code] = true
		}
	}
	for _, r := range rows {
		if !mapped[r.Code] {
			t.Errorf("series %s (%s) maps to no element", r.Code, r.NameZh)
		}
	}
	// 83 rows; two pairs name the same (element, unit, year) twice.
	if len(rows) != 83 || len(vals) != 81 {
		t.Errorf("%d rows gave %d values", len(rows), len(vals))
	}
}

func TestInstallCatalog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		if err := InstallCatalog(ctx, db); err != nil {
			t.Fatal(err)
		}
		// Idempotent, and keeps edits.
		e, err := GetElement(ctx, db, "ECOMMERCE_VOLUME")
		if err != nil {
			t.Fatal(err)
		}
		e.Name = "电子商务交易额（改）"
		if _, err := SaveElement(ctx, db, tester, e); err != nil {
			t.Fatal(err)
		}
		if err := InstallCatalog(ctx, db); err != nil {
			t.Fatal(err)
		}
		if e, _ := GetElement(ctx, db, "ECOMMERCE_VOLUME"); e.Name != "电子商务交易额（改）" {
			t.Errorf("install overwrote an edit: %q", e.Name)
		}
		var n int
		if err := db.R.QueryRow("SELECT count(*) FROM monitor_value").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 81 {
			t.Errorf("%d values loaded, want 81", n)
		}
		r, err := Analytics(ctx, db, Query{DX: []string{"INTERNET_USERS", "ELEC_MFG_REVENUE"}, PE: []string{"2023", "2021"}, OU: []string{"41"}})
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := r.Get("INTERNET_USERS", "2023", "41"); !ok || v != 13954.4 {
			t.Errorf("INTERNET_USERS 2023 = %v %v", v, ok)
		}
		if v, ok := r.Get("ELEC_MFG_REVENUE", "2021", "41"); !ok || v != 6022 {
			t.Errorf("ELEC_MFG_REVENUE 2021 = %v %v", v, ok)
		}
	})
}
