package app

import (
	"context"
	"errors"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

// TestNotFoundIsOneError: every package's "no such thing" answers both
// to its own sentinel and to store.ErrNotFound, on both stores.
func TestNotFoundIsOneError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, Schemas()...); err != nil {
			t.Fatal(err)
		}
		lookups := []struct {
			name     string
			sentinel error
			err      func() error
		}{
			{"monitor element", monitor.ErrNotFound, func() error { _, err := monitor.GetElement(ctx, db, "NO_SUCH"); return err }},
			{"org unit", orgunit.ErrNotFound, func() error { _, err := orgunit.Get(ctx, db, "4199999"); return err }},
			{"data set", reporting.ErrNotFound, func() error { _, err := reporting.GetDataSet(ctx, db, "NO_SUCH"); return err }},
			{"site", webcheck.ErrNotFound, func() error { _, err := webcheck.GetSite(ctx, db, 987654); return err }},
			{"user", auth.ErrNotFound, func() error { _, err := auth.GetUser(ctx, db, 987654); return err }},
			{"dataset", evalstore.ErrNotFound, func() error { _, err := evalstore.GetDataset(ctx, db, 987654); return err }},
		}
		for _, l := range lookups {
			err := l.err()
			if !errors.Is(err, l.sentinel) || !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %v is not both %v and store.ErrNotFound", l.name, err, l.sentinel)
			}
		}
	})
}
