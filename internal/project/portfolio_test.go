package project

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestPortfolioDashboard: every grouping adds up to the total, exactly;
// the by-unit table lists the children of the caller's unit; lights come
// from the baselines, progress and ratings; another city's caller sees
// none of it.
func TestPortfolioDashboard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setupPortfolio(t, db)
		all := []string{province}
		type p struct {
			owner, cat, est string
			year            int
		}
		var ids []int64
		for _, x := range []p{{"4101", "new", "1000.0001", 2015}, {"410102", "upgrade", "200.5", 2015}, {"4101", "om", "30", 2016}, {"4102", "new", "0.0001", 2016}, {"41", "new", "5000", 2014}} {
			ids = append(ids, register(t, s, all, NewProject{Name: "项目" + x.owner + x.cat, Owner: x.owner, Category: x.cat, Funding: "财政", Estimate: wan(t, x.est), Year: x.year}))
		}
		th := DefaultThresholds
		// red by cost: 15 % over
		if err := s.SetBaseline(ctx, office, all, ids[0], NewBaseline{Start: "2015-04-01", End: "2015-12-31", Cost: wan(t, "1000")}); err != nil {
			t.Fatal(err)
		}
		c := wan(t, "1150")
		if err := s.ReportProgress(ctx, owner, all, ids[0], NewProgress{ProjectedCost: &c}); err != nil {
			t.Fatal(err)
		}
		// amber by rating
		if err := s.Rate(ctx, office, all, ids[1], 3, "总体可控"); err != nil {
			t.Fatal(err)
		}
		d, err := s.Portfolio(ctx, Filter{Scopes: all}, th)
		if err != nil {
			t.Fatal(err)
		}
		if d.Total.Count != 5 || d.Total.Estimate != wan(t, "6230.5002") {
			t.Fatalf("total: %+v", d.Total)
		}
		for name, bs := range map[string][]Bucket{"stage": d.ByStage, "unit": d.ByUnit, "level": d.ByLevel, "category": d.ByCategory, "year": d.ByYear} {
			var sum Bucket
			for _, b := range bs {
				sum.add(b)
			}
			if sum != (Bucket{Count: d.Total.Count, Estimate: d.Total.Estimate}) {
				t.Errorf("by %s adds up to %+v, not %+v", name, sum, d.Total)
			}
		}
		if len(d.ByUnit) != 3 || d.ByUnit[0].Name != "本级" || d.ByUnit[1].Key != "4101" || d.ByUnit[1].Count != 3 || d.ByUnit[1].Estimate != wan(t, "1230.5001") || d.ByUnit[2].Key != "4102" {
			t.Fatalf("by unit: %+v", d.ByUnit)
		}
		if d.ByYear[0].Key != "2014" || d.ByCategory[0].Key != "new" || d.ByCategory[0].Count != 3 {
			t.Fatalf("by year %+v, by category %+v", d.ByYear, d.ByCategory)
		}
		if d.Lights != (Lights{Red: 1, Amber: 1, None: 3}) || d.Risks[3] != 1 || len(d.Watch) != 2 || d.Watch[0].ID != ids[0] || d.Watch[0].Variance.Cost != 15 {
			t.Fatalf("lights %+v risks %v watch %+v", d.Lights, d.Risks, d.Watch)
		}
		// The city's caller: its own projects, by district.
		d, err = s.Portfolio(ctx, Filter{Scopes: []string{"/41/4101/"}, Year: 2015}, th)
		if err != nil || d.Total.Count != 2 || d.Unit == nil || d.Unit.Code != "4101" || len(d.ByUnit) != 2 || d.ByUnit[1].Key != "410102" {
			t.Fatalf("city: %+v %v", d, err)
		}
		d, err = s.Portfolio(ctx, Filter{Scopes: []string{"/41/4103/"}}, th)
		if err != nil || d.Total.Count != 0 || len(d.Watch) != 0 {
			t.Fatalf("another city: %+v %v", d, err)
		}
	})
}

// TestPublication: only published projects appear on the public page,
// with only the fields the office chose; pages are bounded whatever the
// visitor asks; publishing is audited.
func TestPublication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setupPortfolio(t, db)
		all := []string{province}
		var ids []int64
		for i := 0; i < 30; i++ {
			ids = append(ids, register(t, s, all, NewProject{Name: "公开测试项目" + string(rune('A'+i)), Owner: "4101", Category: "new", Funding: "财政",
				Estimate: wan(t, "12.5"), Summary: "项目概要内容"}))
		}
		pg, err := s.Public(ctx, PublicQuery{}, DefaultThresholds)
		if err != nil || pg.Total != 0 || len(pg.Projects) != 0 {
			t.Fatalf("nothing published: %+v %v", pg, err)
		}
		if err := s.PublishProject(ctx, office, []string{"/41/4102/"}, ids[0], true); !IsOutside(err) {
			t.Fatalf("published from outside: %v", err)
		}
		for _, id := range ids[:25] {
			if err := s.PublishProject(ctx, office, all, id, true); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PublishProject(ctx, office, all, ids[0], false); err != nil {
			t.Fatal(err)
		}
		pg, err = s.Public(ctx, PublicQuery{Limit: 1000, Page: 1}, DefaultThresholds)
		if err != nil || pg.Total != 24 || len(pg.Projects) != PublicPerPage || pg.Pages != 2 {
			t.Fatalf("bounded page: total %d, %d rows, %d pages, %v", pg.Total, len(pg.Projects), pg.Pages, err)
		}
		b, _ := json.Marshal(pg.Projects[0])
		if !strings.Contains(string(b), `"estimate":"12.5"`) || strings.Contains(string(b), "summary") || strings.Contains(string(b), "number") {
			t.Fatalf("default fields: %s", b)
		}
		if err := s.SetPublishedFields(ctx, office, []string{"summary", "bogus"}); err == nil {
			t.Fatal("an unknown field accepted")
		}
		if err := s.SetPublishedFields(ctx, office, []string{"summary", "number"}); err != nil {
			t.Fatal(err)
		}
		pg, err = s.Public(ctx, PublicQuery{Q: "公开测试项目" + string(rune('A'+24)), Page: 99}, DefaultThresholds)
		if err != nil || pg.Total != 1 || pg.Page != PublicMaxPages {
			t.Fatalf("search: %+v %v", pg, err)
		}
		pg, _ = s.Public(ctx, PublicQuery{Q: "公开测试项目" + string(rune('A'+24))}, DefaultThresholds)
		b, _ = json.Marshal(pg.Projects[0])
		if !strings.Contains(string(b), "项目概要内容") || strings.Contains(string(b), "estimate") || pg.ByStage != nil {
			t.Fatalf("chosen fields: %s %+v", b, pg.ByStage)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('publish', 'unpublish', 'public_fields')`).Scan(&n); err != nil || n != 27 {
			t.Fatalf("audited: %d %v", n, err)
		}
	})
}
