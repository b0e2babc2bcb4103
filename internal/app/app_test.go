package app

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

// TestBootstrapTwice checks that a second start loads nothing twice.
func TestBootstrapTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, Schemas()...); err != nil {
			t.Fatal(err)
		}
		a := &App{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: Modules()}
		for range 2 {
			if err := a.Bootstrap(ctx); err != nil {
				t.Fatal(err)
			}
			if err := a.LoadDemo(ctx); err != nil {
				t.Fatal(err)
			}
		}
		a.Wait()
		// The evaluation demo data are loaded once.
		ds, err := evalstore.Datasets(ctx, db)
		if err != nil || len(ds) != 4 {
			t.Fatalf("%d demo datasets (%v)", len(ds), err)
		}
		n, err := orgunit.CountDescendants(ctx, db, "/41/", 0)
		if err != nil || n != 55163+29 {
			t.Fatalf("units under 41: %d (%v)", n, err)
		}
		users, err := auth.ListUsers(ctx, db, nil)
		if err != nil || len(users) != len(DemoUsers) {
			t.Fatalf("%d users, want %d (%v)", len(users), len(DemoUsers), err)
		}
		for _, u := range users {
			if len(u.Grants) != 1 {
				t.Errorf("%s has %d grants", u.Name, len(u.Grants))
			}
		}
		sites, err := webcheck.ListSites(ctx, db, webcheck.SiteFilter{})
		if err != nil || len(sites) != len(webcheck.DemoSites) {
			t.Fatalf("%d demo sites, want %d (%v)", len(sites), len(webcheck.DemoSites), err)
		}
		// Every department the plan names is an org unit.
		if _, err := orgunit.Get(ctx, db, "41D-GXT"); err != nil {
			t.Fatal(err)
		}
	})
}
