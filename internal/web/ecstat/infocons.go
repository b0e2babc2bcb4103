package ecstat

import (
	"fmt"
	"net/http"
	"time"

	"zhihui/internal/module"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/period"
	"zhihui/internal/web/kit"
)

// The information-consumption page: the estimate built from its
// components year by year, each component's source, and the plan's
// targets of §4 beside it.

type infoPartView struct {
	dom.InfoPart
	Name, Source, Category string
}

type infoView struct {
	Years     []dom.InfoYear
	Parts     []infoPartView
	Chart     map[string]any
	ExportURL string
	Lang      string
	CanEdit   bool
}

// infoYears is the span of years shown: the plan's (2014–2020) widened to
// the years surveyed and the current year; with the composition used.
func (h handlers) infoYears(r *http.Request) ([]dom.InfoPart, []dom.InfoYear, error) {
	first, last := 2014, 2020
	surveys, err := dom.Surveys(r.Context(), h.k.DB)
	if err != nil {
		return nil, nil, err
	}
	for _, s := range surveys {
		first, last = min(first, s.Year), max(last, s.Year)
	}
	last = min(last, time.Now().In(period.Shanghai).Year())
	parts, err := dom.InfoComposition(r.Context(), h.k.DB)
	if err != nil {
		return nil, nil, err
	}
	years, err := dom.InfoConsumptionOf(r.Context(), h.k.DB, parts, first, last)
	return parts, years, err
}

func partViews(r *http.Request, parts []dom.InfoPart) []infoPartView {
	lang := kit.Lang(r)
	var out []infoPartView
	for _, p := range parts {
		out = append(out, infoPartView{InfoPart: p, Name: p.Name.In(lang), Source: p.Source.In(lang), Category: kit.T(r, "ecstat.info.cat."+p.Category)})
	}
	return out
}

func (h handlers) infoConsumption(w http.ResponseWriter, r *http.Request) error {
	parts, years, err := h.infoYears(r)
	if err != nil {
		return err
	}
	v := infoView{Years: years, ExportURL: "/ecstat/infoconsumption/export", Lang: kit.Lang(r), Parts: partViews(r, parts), CanEdit: coversProvince(r)}
	v.Chart = infoChart(r, years, v.Parts)
	return h.render(w, r, "infocons", http.StatusOK, kit.T(r, "ecstat.info.title"), v, nil)
}

// infoChart stacks the components by year, with the e-commerce turnover
// estimate and the plan's targets as a line and points.
func infoChart(r *http.Request, years []dom.InfoYear, parts []infoPartView) map[string]any {
	var xs []string
	for _, y := range years {
		xs = append(xs, fmt.Sprint(y.Year))
	}
	var series []any
	for i, p := range parts {
		var data []any
		for _, y := range years {
			if v := y.Parts[i].Value; v != nil {
				data = append(data, round(*v))
			} else {
				data = append(data, nil)
			}
		}
		series = append(series, map[string]any{"type": "bar", "stack": "info", "name": p.Name, "data": data})
	}
	var ecom, target []any
	for _, y := range years {
		if y.Ecom != nil {
			ecom = append(ecom, round(*y.Ecom))
		} else {
			ecom = append(ecom, nil)
		}
		if y.Target != nil && y.Target.Value != nil {
			target = append(target, *y.Target.Value)
		} else {
			target = append(target, nil)
		}
	}
	series = append(series,
		map[string]any{"type": "line", "name": kit.T(r, "ecstat.info.ecom"), "data": ecom, "connectNulls": true},
		map[string]any{"type": "scatter", "name": kit.T(r, "ecstat.info.target"), "data": target, "symbolSize": 14, "symbol": "diamond"})
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"type": "scroll"},
		"grid":    map[string]any{"left": 60, "right": 20, "bottom": 30, "top": 50},
		"xAxis":   map[string]any{"type": "category", "data": xs},
		"yAxis":   map[string]any{"type": "value", "name": "亿元"},
		"series":  series,
	}
}

func (h handlers) infoExport(w http.ResponseWriter, r *http.Request) error {
	parts, years, err := h.infoYears(r)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	head := []string{kit.T(r, "ecstat.year")}
	for _, p := range parts {
		head = append(head, p.Name.In(lang)+"（亿元）")
	}
	head = append(head, kit.T(r, "ecstat.info.total"), kit.T(r, "ecstat.info.cat.goods"), kit.T(r, "ecstat.info.cat.services"), kit.T(r, "ecstat.col.se"), kit.T(r, "ecstat.col.cv"), kit.T(r, "ecstat.info.ecom"),
		kit.T(r, "ecstat.info.ecom_published"), kit.T(r, "ecstat.info.target"), kit.T(r, "ecstat.info.met"), kit.T(r, "ecstat.info.share"))
	opt := func(v *float64) any {
		if v == nil {
			return ""
		}
		return round(*v)
	}
	var rows [][]any
	for _, y := range years {
		row := []any{y.Year}
		for _, p := range y.Parts {
			row = append(row, opt(p.Value))
		}
		total := any("")
		if y.Total > 0 {
			total = round(y.Total)
		}
		t, met := "", ""
		if y.Target != nil {
			t = y.Target.Display
		}
		if y.Met != nil {
			met = yesNo(r, *y.Met)
		}
		row = append(row, total, round(y.Goods), round(y.Services), round(y.SE), round(100*y.CV), opt(y.Ecom), opt(y.EcomPublished), t, met, opt(y.Share))
		rows = append(rows, row)
	}
	return kit.XLSX(w, "information-consumption.xlsx", head, rows)
}

// infoAuthzCases are the rows of the information-consumption page and
// its export: readers of the estimates.
func infoAuthzCases() []module.AuthzCase {
	const see, ok = http.StatusSeeOther, http.StatusOK
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/infoconsumption", Request: module.Get("/ecstat/infoconsumption"), Want: module.AnyRole(ok, see, Readers...)},
		{Pattern: "GET /ecstat/infoconsumption/export", Request: module.Get("/ecstat/infoconsumption/export"), Want: module.AnyRole(ok, see, Readers...)},
	}
}
