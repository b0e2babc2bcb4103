package ecstat

import (
	"context"
	"errors"
	"math"
	"sort"
	"strconv"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	zplan "zhihui/internal/plan"
	"zhihui/internal/store"
)

// Information consumption (信息消费) is built, as CAICT accounts it, from
// information goods (信息产品消费) and information services (信息服务消费).
// Which survey items and which published series held in monitoring make
// up each is the composition: the office sets it (see
// [SaveInfoComposition]), stored and audited; until it does, the default
// is enterprises' spending on information goods and on information
// services, estimated by the survey, and telecommunication services, which
// the published telecom series (电信业务总量, reported by the
// communications administration) measures.

// Component kinds.
const (
	FromSurvey    = "survey"    // a survey estimate with its standard error
	FromMonitor   = "published" // a published series held in monitoring
	TelecomSeries = "TELECOM_BUSINESS_VOLUME"
	// InfoServiceShare is the plan indicator of §4 (information services'
	// share of service-sector value added).
	InfoServiceShare = "INFO_SERVICE_VA_SHARE"
)

// Categories of information consumption.
const (
	InfoGoodsCategory    = "goods"    // 信息产品消费
	InfoServicesCategory = "services" // 信息服务消费
)

// InfoCategories are the categories in the order they are shown.
var InfoCategories = []string{InfoGoodsCategory, InfoServicesCategory}

// InfoPart is one component of information consumption: a survey item or
// a published series of monitoring, counted as information goods or as
// information services, with its name and where its figure comes from.
type InfoPart struct {
	Code     string    `json:"code"`
	Kind     string    `json:"kind"`
	Category string    `json:"category"`
	Name     i18n.Text `json:"name"`
	Source   i18n.Text `json:"source"`
}

// DefaultInfoParts are the composition until the office sets one.
func DefaultInfoParts() []InfoPart {
	return []InfoPart{
		{Code: InfoGoods, Kind: FromSurvey, Category: InfoGoodsCategory, Name: i18n.Text{Zh: "信息产品消费（企业）", En: "Information goods (enterprises)"}},
		{Code: InfoServices, Kind: FromSurvey, Category: InfoServicesCategory, Name: i18n.Text{Zh: "信息服务消费（企业）", En: "Information services (enterprises)"}},
		{Code: TelecomSeries, Kind: FromMonitor, Category: InfoServicesCategory, Name: i18n.Text{Zh: "通信服务消费", En: "Telecommunication services"}},
	}
}

// InfoValue is a component's figure for a year (亿元).
type InfoValue struct {
	Value *float64
	SE    float64
	CV    float64
	Mark  string
}

// InfoYear is information consumption in one year with its composition
// and the plan's targets of §4 (扩大信息消费需求) for that year.
type InfoYear struct {
	Year   int
	Survey *Survey // the annual survey used; nil when the year has none
	Parts  []InfoValue
	// Total adds the parts that have a figure; Complete says all have.
	// Goods and Services are the parts of each category (信息产品消费,
	// 信息服务消费) that have a figure.
	Total           float64
	Goods, Services float64
	Complete        bool
	// SE and CV are the survey part's (the survey items of the
	// composition estimated together, CV relative to the total); the
	// published series have no sampling error.
	SE, CV float64
	// Ecom is the survey's e-commerce turnover estimate, EcomPublished the
	// reported series in monitoring, Target the plan's e-commerce target of
	// the year (§2.3/§4) and Met whether the estimate reaches it.
	Ecom          *float64
	EcomPublished *float64
	Target        *zplan.TargetValue
	Met           *bool
	// Share is the plan indicator of information services' share of the
	// service sector (%), from monitoring.
	Share *float64
}

// CVPercent is the survey part's CV in percent.
func (y InfoYear) CVPercent() float64 { return 100 * y.CV }

func fp(v float64) *float64 { return &v }

// InfoConsumption builds information consumption for every year from
// first to last with the stored composition ([InfoComposition]).
func InfoConsumption(ctx context.Context, db *store.DB, first, last int) ([]InfoYear, error) {
	parts, err := InfoComposition(ctx, db)
	if err != nil {
		return nil, err
	}
	return InfoConsumptionOf(ctx, db, parts, first, last)
}

// InfoConsumptionOf builds information consumption for every year from
// first to last out of parts: the latest drawn annual survey of the year
// gives the survey items (ratio estimator, province), monitoring the
// published series, the plan its targets. Each year's Parts follow parts.
func InfoConsumptionOf(ctx context.Context, db *store.DB, parts []InfoPart, first, last int) ([]InfoYear, error) {
	surveys, err := Surveys(ctx, db)
	if err != nil {
		return nil, err
	}
	byYear := map[int]*Survey{}
	for _, s := range surveys {
		if s.Quarter != 0 {
			continue
		}
		if _, err := GetDesign(ctx, db, s.ID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			return nil, err
		}
		if old := byYear[s.Year]; old == nil || s.ID > old.ID {
			byYear[s.Year] = s
		}
	}
	var pes []string
	for y := first; y <= last; y++ {
		pes = append(pes, strconv.Itoa(y))
	}
	// Each series on its own: a catalogue without one of them leaves its
	// figures out instead of failing the page.
	series := map[string]map[string]float64{}
	codes := []string{PlanEcomElement, InfoServiceShare}
	var surveyItems []string
	for _, p := range parts {
		if p.Kind == FromMonitor {
			codes = append(codes, p.Code)
		} else {
			surveyItems = append(surveyItems, p.Code)
		}
	}
	for _, code := range codes {
		a, err := monitor.Analytics(ctx, db, monitor.Query{DX: []string{code}, PE: pes, OU: []string{orgunit.Root}})
		var ue *i18n.Error
		if errors.As(err, &ue) {
			continue
		}
		if err != nil {
			return nil, err
		}
		series[code] = map[string]float64{}
		for _, pe := range pes {
			if x, ok := a.Get(code, pe, orgunit.Root); ok {
				series[code][pe] = x
			}
		}
	}
	get := func(code, pe string) (float64, bool) {
		x, ok := series[code][pe]
		return x, ok
	}
	tgt, _ := zplan.Default().Target(PlanEcomElement)
	var out []InfoYear
	for y := first; y <= last; y++ {
		pe := strconv.Itoa(y)
		iy := InfoYear{Year: y, Survey: byYear[y], Complete: true}
		est := map[string]*Cell{}
		var surveyPart *Cell
		if s := iy.Survey; s != nil {
			codes := append(append([]string(nil), surveyItems...), "ECOM_TURNOVER")
			for _, code := range codes {
				r, err := Estimate(ctx, db, s, code, ByCity, Ratio)
				var ue *i18n.Error
				if errors.As(err, &ue) {
					continue // the survey lacks the item
				}
				if err != nil {
					return nil, err
				}
				if r.Province.Respondents > 0 {
					c := r.Province
					est[code] = &c
				}
			}
			if len(surveyItems) > 0 {
				c, ok, err := sumEstimate(ctx, db, s, surveyItems)
				if err != nil {
					return nil, err
				}
				if ok {
					surveyPart = &c
				}
			}
		}
		for _, p := range parts {
			var v InfoValue
			if p.Kind == FromSurvey {
				if c := est[p.Code]; c != nil {
					v = InfoValue{Value: fp(c.Total), SE: c.SE, CV: c.CV, Mark: c.Mark}
				}
			} else if x, ok := get(p.Code, pe); ok {
				v.Value = fp(x)
			}
			if v.Value == nil {
				iy.Complete = false
			} else {
				iy.Total += *v.Value
				if p.Category == InfoGoodsCategory {
					iy.Goods += *v.Value
				} else {
					iy.Services += *v.Value
				}
			}
			iy.Parts = append(iy.Parts, v)
		}
		if c := surveyPart; c != nil {
			iy.SE = c.SE
			if iy.Total > 0 {
				iy.CV = c.SE / iy.Total
			}
		}
		if c := est["ECOM_TURNOVER"]; c != nil {
			iy.Ecom = fp(c.Total)
		}
		if x, ok := get(PlanEcomElement, pe); ok {
			iy.EcomPublished = fp(x)
		}
		if x, ok := get(InfoServiceShare, pe); ok {
			iy.Share = fp(x)
		}
		for i := range tgt.Values {
			if tv := tgt.Values[i]; tv.Year == y && tv.Value != nil {
				iy.Target = &tgt.Values[i]
				if iy.Ecom != nil {
					met := meets(*iy.Ecom, tv.Comparison, *tv.Value)
					iy.Met = &met
				}
			}
		}
		out = append(out, iy)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out, nil
}

// meets compares a figure with a target value.
func meets(v float64, cmp string, t float64) bool {
	switch cmp {
	case ">":
		return v > t
	case "<":
		return v < t
	case "<=":
		return v <= t
	case "=":
		return math.Abs(v-t) < 1e-9
	}
	return v >= t
}

// Reached says whether the year's e-commerce estimate meets its target:
// "yes", "no", or "" when there is no target or no estimate.
func (y InfoYear) Reached() string {
	switch {
	case y.Met == nil:
		return ""
	case *y.Met:
		return "yes"
	}
	return "no"
}
