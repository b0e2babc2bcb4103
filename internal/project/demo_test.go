package project

import (
	"context"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestLoadDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		for range 2 { // idempotent
			if err := LoadDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		all := []string{province}
		ps, total, err := s.List(ctx, Filter{Scopes: all})
		if err != nil || total != 320 || len(ps) != 50 {
			t.Fatalf("%d projects (%d on the page): %v", total, len(ps), err)
		}
		stages := map[string]bool{}
		levels := map[string]bool{}
		for page := 1; page <= 7; page++ {
			ps, _, _ := s.List(ctx, Filter{Scopes: all, Page: page})
			for _, p := range ps {
				stages[p.Stage], levels[p.Level] = true, true
				if !p.Demo {
					t.Fatalf("project %s is not marked as demo data", p.Number)
				}
			}
		}
		if len(stages) < 7 || len(levels) != 3 {
			t.Errorf("stages %v levels %v", stages, levels)
		}
		_, n, err := s.Experts(ctx, ExpertFilter{})
		if err != nil || n != 120 {
			t.Fatalf("%d experts: %v", n, err)
		}
		as, err := s.Assignments(ctx, DemoExpertAccount)
		if err != nil || len(as) != 2 || !as[0].Open || as[1].Open {
			t.Fatalf("the demo expert's assignments: %+v %v", as, err)
		}
		revs, err := s.Reviews(ctx, as[1].Project.ID)
		if err != nil || len(revs) != 1 || revs[0].Mean() == "" || !revs[0].Reproduces() {
			t.Fatalf("finished review: %+v %v", revs, err)
		}
		// The planted near duplicates are found.
		dups := 0
		for page := 1; page <= 7; page++ {
			ps, _, _ := s.List(ctx, Filter{Scopes: all, Page: page})
			for _, p := range ps {
				if p.Number[len(p.Number)-3:] == "008" || p.Number[len(p.Number)-3:] == "061" {
					ms, err := s.SimilarTo(ctx, all, p, 3)
					if err != nil || len(ms) == 0 || ms[0].Score < 0.3 {
						t.Errorf("planted duplicate %s: %+v %v", p.Name, ms, err)
					}
					dups++
				}
			}
		}
		if dups != 2 {
			t.Errorf("%d planted duplicates looked at", dups)
		}
	})
}
