package ecstat

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestInfoCompositionIsConfigurable: until the office sets one, the
// composition is the default (goods and services from the survey, the
// telecom series); the office's composition is stored in order with its
// categories, audited with before and after, and information consumption
// follows it — goods and services add up their own parts and the survey
// part's standard error is that of its items estimated together; bad
// compositions are refused with the component named and change nothing.
func TestInfoCompositionIsConfigurable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 1500)
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
		for n, x := range sample {
			if err := Submit(ctx, db, office, s, x.Enterprise, map[string]string{TradesOnline: "是", Platform: "third", EcomSales: fmt.Sprint(10 + n%3), EcomPurchases: "0",
				OnlineRetail: "1", InfoGoods: fmt.Sprint(1 + n%7), InfoServices: fmt.Sprint(2 + n%5)}, false); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range []monitor.Element{
			{Code: TelecomSeries, Name: "电信业务总量", NameEn: "Telecom business volume", ValueType: monitor.Number, Aggregation: monitor.None, Unit: "亿元", PeriodType: "yearly"},
			{Code: "SOFTWARE_REVENUE", Name: "软件业务收入", NameEn: "Software revenue", ValueType: monitor.Number, Aggregation: monitor.None, Unit: "亿元", PeriodType: "yearly"},
			{Code: "MONTHLY_X", Name: "月度指标", ValueType: monitor.Number, Aggregation: monitor.None, PeriodType: "monthly"},
		} {
			if _, err := monitor.SaveElement(ctx, db, office, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := monitor.SaveValues(ctx, db, office, []monitor.Value{{DataElement: TelecomSeries, OrgUnit: "41", Period: "2016", Value: "800"},
			{DataElement: "SOFTWARE_REVENUE", OrgUnit: "41", Period: "2016", Value: "120.5"}}); err != nil {
			t.Fatal(err)
		}
		parts, err := InfoComposition(ctx, db)
		if err != nil || len(parts) != 3 || parts[2].Code != TelecomSeries || parts[2].Category != InfoServicesCategory ||
			!strings.Contains(parts[2].Source.Zh, "电信业务总量（TELECOM_BUSINESS_VOLUME）") || !strings.Contains(parts[0].Source.En, "Spending on information goods (INFO_GOODS)") {
			t.Fatalf("default composition %+v %v", parts, err)
		}
		before, err := InfoConsumption(ctx, db, 2016, 2016)
		if err != nil {
			t.Fatal(err)
		}
		goods, _ := Estimate(ctx, db, s, InfoGoods, ByCity, Ratio)
		services, _ := Estimate(ctx, db, s, InfoServices, ByCity, Ratio)
		both, _ := Estimate(ctx, db, s, "INFO_CONSUMPTION", ByCity, Ratio)
		b := before[0]
		if math.Abs(b.Goods-goods.Province.Total) > 1e-9 || math.Abs(b.Services-services.Province.Total-800) > 1e-9 || math.Abs(b.SE-both.Province.SE) > 1e-9 {
			t.Fatalf("default 2016: %+v", b)
		}

		// Bad compositions.
		for _, c := range []struct {
			parts []InfoPart
			want  string
		}{
			{nil, "at least one"},
			{[]InfoPart{{Kind: FromSurvey, Code: "NOPE", Category: InfoGoodsCategory}}, `component 1: no survey has a money item "NOPE"`},
			{[]InfoPart{{Kind: FromSurvey, Code: TradesOnline, Category: InfoGoodsCategory}}, "money item"},
			{[]InfoPart{{Kind: FromSurvey, Code: InfoGoods, Category: InfoGoodsCategory}, {Kind: FromMonitor, Code: "MONTHLY_X", Category: InfoServicesCategory}}, "component 2: monitoring has no yearly"},
			{[]InfoPart{{Kind: FromSurvey, Code: InfoGoods, Category: "other"}}, "category"},
			{[]InfoPart{{Kind: "guess", Code: InfoGoods, Category: InfoGoodsCategory}}, "kind"},
			{[]InfoPart{{Kind: FromSurvey, Code: InfoGoods, Category: InfoGoodsCategory}, {Kind: FromSurvey, Code: "info_goods", Category: InfoServicesCategory}}, "twice"},
		} {
			err := SaveInfoComposition(ctx, db, office, c.parts)
			var ue *i18n.Error
			if !errors.As(err, &ue) || !strings.Contains(ue.En, c.want) || ue.Zh == "" {
				t.Errorf("%+v: %v, want %q", c.parts, err, c.want)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_info_part`); n != 0 {
			t.Fatalf("a refused composition stored %d parts", n)
		}

		// The office's composition: information services from the survey
		// and software revenue, the telecom series left out; goods from
		// the survey's goods and online retail sales.
		mine := []InfoPart{
			{Kind: FromSurvey, Code: InfoGoods, Category: InfoGoodsCategory},
			{Kind: FromSurvey, Code: OnlineRetail, Category: InfoGoodsCategory, Name: i18n.Text{Zh: "网络零售中的信息产品"}},
			{Kind: FromSurvey, Code: InfoServices, Category: InfoServicesCategory},
			{Kind: FromMonitor, Code: "software_revenue", Category: InfoServicesCategory, Name: i18n.Text{Zh: "软件和信息服务", En: "Software and information services"}},
		}
		if err := SaveInfoComposition(ctx, db, office, mine); err != nil {
			t.Fatal(err)
		}
		parts, err = InfoComposition(ctx, db)
		if err != nil || len(parts) != 4 || parts[1].Code != OnlineRetail || parts[1].Name.Zh != "网络零售中的信息产品" || parts[1].Name.En != "网络零售中的信息产品" ||
			parts[3].Code != "SOFTWARE_REVENUE" || parts[3].Kind != FromMonitor || !strings.Contains(parts[3].Source.Zh, "软件业务收入（SOFTWARE_REVENUE）") ||
			parts[0].Name.Zh != "信息产品消费支出" {
			t.Fatalf("stored composition %+v %v", parts, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'ecstat_info_composition' AND before_json LIKE '%TELECOM_BUSINESS_VOLUME%' AND after_json LIKE '%SOFTWARE_REVENUE%'`); n != 1 {
			t.Fatalf("%d audit rows of the composition with before and after", n)
		}
		after, err := InfoConsumption(ctx, db, 2016, 2016)
		if err != nil || len(after) != 1 || len(after[0].Parts) != 4 {
			t.Fatalf("%+v %v", after, err)
		}
		retail, _ := Estimate(ctx, db, s, OnlineRetail, ByCity, Ratio)
		a := after[0]
		if math.Abs(a.Goods-goods.Province.Total-retail.Province.Total) > 1e-9 || math.Abs(a.Services-services.Province.Total-120.5) > 1e-9 ||
			math.Abs(a.Total-a.Goods-a.Services) > 1e-9 || !a.Complete || *a.Parts[3].Value != 120.5 || a.Total == b.Total {
			t.Fatalf("2016 with the office's composition: %+v (before %+v)", a, b)
		}
		// The survey part's SE: goods, online retail and services together.
		c, ok, err := sumEstimate(ctx, db, s, []string{InfoGoods, OnlineRetail, InfoServices})
		if err != nil || !ok || a.SE != c.SE || a.SE <= 0 || math.Abs(c.Total-goods.Province.Total-retail.Province.Total-services.Province.Total) > 1e-6 {
			t.Fatalf("survey part: SE %v, together %+v %v %v", a.SE, c, ok, err)
		}
	})
}
