package ecstat

import (
	"context"
	"fmt"
	"math"
	"testing"

	"zhihui/internal/monitor"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestInfoConsumptionAddsItsComponents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		reg := loadSynthetic(t, db, 1500)
		_ = reg
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2016年调查", Period: "2016"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 200, Seed: 4}); err != nil {
			t.Fatal(err)
		}
		sample, err := Sample(ctx, db, id, all, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range sample {
			if err := Submit(ctx, db, office, s, x.Enterprise, map[string]string{TradesOnline: "否", Platform: "none", EcomSales: "0", EcomPurchases: "0",
				OnlineRetail: "0", InfoGoods: fmt.Sprint(1 + n%7), InfoServices: fmt.Sprint(2 + n%5)}, false); err != nil {
				t.Fatal(err)
			}
			n++
		}
		if _, err := monitor.SaveElement(ctx, db, office, monitor.Element{Code: TelecomSeries, Name: "电信业务总量", NameEn: "Telecom business volume",
			ValueType: monitor.Number, Aggregation: monitor.None, Unit: "亿元", PeriodType: "yearly"}); err != nil {
			t.Fatal(err)
		}
		if err := monitor.SaveValues(ctx, db, office, []monitor.Value{{DataElement: TelecomSeries, OrgUnit: "41", Period: "2016", Value: "812.5"},
			{DataElement: TelecomSeries, OrgUnit: "41", Period: "2017", Value: "900"}}); err != nil {
			t.Fatal(err)
		}
		years, err := InfoConsumption(ctx, db, 2015, 2017)
		if err != nil || len(years) != 3 {
			t.Fatalf("%+v %v", years, err)
		}
		y15, y16, y17 := years[0], years[1], years[2]
		if y15.Year != 2015 || y15.Complete || y15.Total != 0 || y15.Survey != nil || y15.Target == nil || y15.Met != nil {
			t.Fatalf("2015 (no survey, no series, a target): %+v", y15)
		}
		goods, err := Estimate(ctx, db, s, InfoGoods, ByCity, Ratio)
		if err != nil {
			t.Fatal(err)
		}
		services, _ := Estimate(ctx, db, s, InfoServices, ByCity, Ratio)
		both, _ := Estimate(ctx, db, s, "INFO_CONSUMPTION", ByCity, Ratio)
		want := goods.Province.Total + services.Province.Total + 812.5
		if !y16.Complete || y16.Survey == nil || y16.Survey.ID != id || math.Abs(y16.Total-want) > 1e-9 || *y16.Parts[2].Value != 812.5 ||
			*y16.Parts[0].Value != goods.Province.Total || y16.SE != both.Province.SE || y16.SE <= 0 || math.Abs(y16.CV-y16.SE/y16.Total) > 1e-12 {
			t.Fatalf("2016: %+v, want total %v", y16, want)
		}
		// 2017 has the published series only.
		if y17.Complete || y17.Total != 900 || y17.Parts[0].Value != nil || y17.SE != 0 {
			t.Fatalf("2017: %+v", y17)
		}
	})
}

func TestRotationListsFirmsInAndOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 1500)
		var ids []int64
		for _, y := range []string{"2016", "2017"} {
			id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: y, Period: y})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		s16, _ := GetSurvey(ctx, db, ids[0])
		s17, _ := GetSurvey(ctx, db, ids[1])
		if _, err := Draw(ctx, db, office, s16, DesignSpec{Method: Proportional, N: 150, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		if diff, err := Rotation(ctx, db, s16, all); err != nil || diff.From != nil {
			t.Fatalf("first survey: %+v %v", diff, err)
		}
		d, err := Draw(ctx, db, office, s17, DesignSpec{Method: Proportional, N: 150, Seed: 2, Keep: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		diff, err := Rotation(ctx, db, s17, all)
		if err != nil || diff.From == nil || diff.From.ID != s16.ID {
			t.Fatalf("%+v %v", diff, err)
		}
		a, _ := Sample(ctx, db, s16.ID, all, 0)
		b, _ := Sample(ctx, db, s17.ID, all, 0)
		if len(diff.Kept)+len(diff.In) != len(b) || len(diff.Kept)+len(diff.Out) != len(a) || len(diff.In) < d.Rotated || len(diff.In) == 0 || len(diff.Out) == 0 {
			t.Fatalf("kept %d in %d out %d; samples %d → %d; design kept %d rotated %d", len(diff.Kept), len(diff.In), len(diff.Out), len(a), len(b), d.Kept, d.Rotated)
		}
		was := map[int64]bool{}
		for _, x := range a {
			was[x.ID] = true
		}
		for _, x := range diff.In {
			if was[x.ID] {
				t.Fatalf("%s rotated in but sampled last year", x.CreditCode)
			}
		}
		for _, x := range diff.Out {
			if !was[x.ID] {
				t.Fatalf("%s rotated out but not sampled last year", x.CreditCode)
			}
		}
		// Within a county only the county's firms appear.
		part, err := Rotation(ctx, db, s17, []string{b[0].OrgPath})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range append(append(part.In, part.Out...), part.Kept...) {
			if x.OrgPath != b[0].OrgPath {
				t.Fatalf("%s outside the scope", x.CreditCode)
			}
		}
	})
}
