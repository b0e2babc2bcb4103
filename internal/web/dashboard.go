package web

import (
	"encoding/csv"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"zhihui/internal/auth"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/progress"
	"zhihui/internal/reporting"
	"zhihui/internal/spreadsheet"
)

func templateEscape(s string) string { return html.EscapeString(s) }

func writeCSV(w http.ResponseWriter, name string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write([]byte("\xef\xbb\xbf")) // BOM, so spreadsheet programs read UTF-8
	cw := csv.NewWriter(w)
	for _, r := range rows {
		cw.Write(spreadsheet.Row(slices.Clone(r)))
	}
	cw.Flush()
}

// card is one target on the dashboard.
type card struct {
	reporting.TargetProgress
	Badge     string
	Spark     map[string]any
	RealNote  string
	GoalBasis string
}

// dxOption is one selectable element or indicator.
type dxOption struct {
	Code, Name, Unit string
	Published        bool
}

type regionValue struct {
	Unit  orgunit.Unit
	Value float64
	Has   bool
}

type dashboardView struct {
	Unit    orgunit.Unit
	Parents []orgunit.Unit
	Cards   []card
	Options []dxOption
	DX      string
	DXName  string
	DXUnit  string
	Year    int
	Years   []int
	Map     map[string]any
	Regions []regionValue
	Trend   map[string]any
	Ranking map[string]any
	Target  string
	Targets []card // progress of one target at each region
	Public  bool
	Demo    reporting.DemoStatus
	Query   template.URL // dx, ou and year of what is on screen, encoded
}

// dashboardData builds the dashboard for r; publishedOnly limits it to
// published data (the public page).
func (s *Server) dashboardData(r *http.Request, publishedOnly bool) (*dashboardView, error) {
	ctx := r.Context()
	lg := lang(r)
	code := r.FormValue("ou")
	if code == "" {
		code = orgunit.Root
	}
	u, err := orgunit.Get(ctx, s.db, code)
	if err != nil || u.Level > 2 || u.Kind == orgunit.Department {
		return nil, i18n.Errorf("仪表盘只能查看全省或省辖市", "the dashboard shows the province or a city")
	}
	// Unpublished figures are shown only for units the caller is
	// responsible for (any role at the unit or above); everywhere else the
	// dashboard shows what the public sees.
	if !principal(r).Covers(u.Path, auth.Roles...) {
		publishedOnly = true
	}
	v := &dashboardView{Unit: u, Public: publishedOnly, Demo: s.opt.DemoProgress.Status()}
	if u.Code != orgunit.Root {
		root, _ := orgunit.Get(ctx, s.db, orgunit.Root)
		v.Parents = []orgunit.Unit{root}
	}
	for y := reporting.DemoFrom; y <= reporting.DemoTo; y++ {
		v.Years = append(v.Years, y)
	}
	v.Year, _ = strconv.Atoi(r.FormValue("year"))
	if v.Year < reporting.DemoFrom || v.Year > 2100 {
		v.Year = reporting.DemoTo
	}
	// Target cards at the unit.
	tps, err := reporting.Progress(ctx, s.db, reporting.ProgressQuery{Units: []string{u.Code}, PublishedOnly: publishedOnly})
	if err != nil {
		return nil, err
	}
	for _, tp := range tps {
		v.Cards = append(v.Cards, makeCard(tp, lg))
	}
	// Selectable data.
	els, err := monitor.Elements(ctx, s.db)
	if err != nil {
		return nil, err
	}
	inds, err := monitor.Indicators(ctx, s.db)
	if err != nil {
		return nil, err
	}
	for _, i := range inds {
		if !publishedOnly || i.Published {
			v.Options = append(v.Options, dxOption{i.Code, i.DisplayName(lg), i.Unit, i.Published})
		}
	}
	for _, e := range els {
		if e.Numeric() && (!publishedOnly || e.Published) {
			v.Options = append(v.Options, dxOption{e.Code, e.DisplayName(lg), e.Unit, e.Published})
		}
	}
	v.DX = r.FormValue("dx")
	found := false
	for _, o := range v.Options {
		if o.Code == v.DX {
			found, v.DXName, v.DXUnit = true, o.Name, o.Unit
		}
	}
	if !found && len(v.Options) > 0 {
		v.DX = "BB_VILLAGE_RATE"
		for _, o := range v.Options {
			if o.Code == v.DX {
				found, v.DXName, v.DXUnit = true, o.Name, o.Unit
			}
		}
		if !found {
			v.DX, v.DXName, v.DXUnit = v.Options[0].Code, v.Options[0].Name, v.Options[0].Unit
		}
	}
	v.Query = template.URL(url.Values{"dx": {v.DX}, "ou": {u.Code}, "year": {strconv.Itoa(v.Year)}}.Encode())
	// Regions: cities (济源 stands for 4190) or a city's counties.
	regions, err := mapRegions(r, s, u)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, x := range regions {
		codes = append(codes, x.Code)
	}
	year := strconv.Itoa(v.Year)
	if len(codes) > 0 && v.DX != "" {
		res, err := monitor.Analytics(ctx, s.db, monitor.Query{DX: []string{v.DX}, PE: []string{year}, OU: codes, PublishedOnly: publishedOnly})
		if err != nil {
			return nil, err
		}
		var data []map[string]any
		for _, x := range regions {
			val, ok := res.Get(v.DX, year, x.Code)
			v.Regions = append(v.Regions, regionValue{x, val, ok})
			if ok {
				data = append(data, map[string]any{"name": x.Name, "value": round(val)})
			}
		}
		v.Map = map[string]any{"data": data, "title": v.DXName + " · " + year, "unit": v.DXUnit}
		if u.Code != orgunit.Root {
			v.Map["map"] = "henan-counties"
			v.Map["city"] = u.Code
		} else {
			v.Map["links"] = cityLinks(regions, "/dashboard?dx="+v.DX+"&year="+year+"&ou=")
		}
		if publishedOnly {
			delete(v.Map, "links")
		}
		ranked := append([]regionValue(nil), v.Regions...)
		sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].Value > ranked[j].Value })
		var names []string
		var vals []float64
		for i := len(ranked) - 1; i >= 0; i-- {
			if ranked[i].Has {
				names = append(names, ranked[i].Unit.Name)
				vals = append(vals, round(ranked[i].Value))
			}
		}
		v.Ranking = map[string]any{
			"grid":    map[string]any{"left": 90, "right": 24, "top": 24, "bottom": 24},
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "value", "name": v.DXUnit},
			"yAxis":   map[string]any{"type": "category", "data": names},
			"series":  []any{map[string]any{"type": "bar", "data": vals, "itemStyle": map[string]any{"color": "#0b5cad"}}},
		}
	}
	// Trend at the unit.
	if v.DX != "" {
		var pes []string
		for _, y := range v.Years {
			pes = append(pes, strconv.Itoa(y))
		}
		res, err := monitor.Analytics(ctx, s.db, monitor.Query{DX: []string{v.DX}, PE: pes, OU: []string{u.Code}, PublishedOnly: publishedOnly})
		if err != nil {
			return nil, err
		}
		var vals []any
		for _, p := range pes {
			if x, ok := res.Get(v.DX, p, u.Code); ok {
				vals = append(vals, round(x))
			} else {
				vals = append(vals, nil)
			}
		}
		v.Trend = map[string]any{
			"grid":    map[string]any{"left": 56, "right": 24, "top": 32, "bottom": 32},
			"tooltip": map[string]any{"trigger": "axis"},
			"xAxis":   map[string]any{"type": "category", "data": pes},
			"yAxis":   map[string]any{"type": "value", "name": v.DXUnit, "scale": true},
			"series":  []any{map[string]any{"type": "line", "name": v.DXName, "data": vals, "connectNulls": true}},
		}
	}
	// One target across the regions.
	v.Target = r.FormValue("target")
	if v.Target == "" && len(v.Cards) > 0 {
		v.Target = v.Cards[0].Target.Code
	}
	if v.Target != "" && len(codes) > 0 {
		rows, err := reporting.Progress(ctx, s.db, reporting.ProgressQuery{Units: codes, Targets: []string{v.Target}, PublishedOnly: publishedOnly})
		if err != nil {
			return nil, err
		}
		for _, tp := range rows {
			v.Targets = append(v.Targets, makeCard(tp, lg))
		}
	}
	return v, nil
}

func round(x float64) float64 {
	s := strconv.FormatFloat(x, 'f', 2, 64)
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// mapRegions lists the regions drawn for u: its cities (济源市 for the
// 省直辖 group) or, for a city, its counties.
func mapRegions(r *http.Request, s *Server, u orgunit.Unit) ([]orgunit.Unit, error) {
	kids, err := orgunit.Children(r.Context(), s.db, u.Code)
	if err != nil {
		return nil, err
	}
	var out []orgunit.Unit
	for _, k := range kids {
		switch {
		case k.Kind == orgunit.Department:
		case k.Code == "4190":
			sub, err := orgunit.Children(r.Context(), s.db, k.Code)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		default:
			out = append(out, k)
		}
	}
	return out, nil
}

func cityLinks(us []orgunit.Unit, prefix string) map[string]string {
	m := map[string]string{}
	for _, u := range us {
		if u.Level == 2 {
			m[u.Name] = prefix + u.Code
		}
	}
	return m
}

func makeCard(tp reporting.TargetProgress, lg string) card {
	c := card{TargetProgress: tp, Badge: reporting.Badge(tp.Status)}
	var years []string
	var vals []float64
	for _, p := range tp.Series {
		years = append(years, strconv.Itoa(int(p.Year)))
		vals = append(vals, round(p.Value))
	}
	series := []any{map[string]any{"type": "line", "data": vals, "symbol": "none", "lineStyle": map[string]any{"width": 2}, "color": "#0b5cad"}}
	if tp.Goal != nil && tp.Base != nil {
		series = append(series, map[string]any{"type": "line", "symbol": "none", "lineStyle": map[string]any{"type": "dashed", "width": 1}, "color": "#6b7785",
			"data": pathLine(years, tp.Base.Year, tp.Base.Value, float64(tp.Goal.Year), tp.Goal.Value)})
	}
	c.Spark = map[string]any{
		"grid":    map[string]any{"left": 2, "right": 2, "top": 6, "bottom": 2},
		"tooltip": map[string]any{"trigger": "axis"},
		"xAxis":   map[string]any{"type": "category", "show": false, "data": years},
		"yAxis":   map[string]any{"type": "value", "show": false, "scale": true},
		"series":  series,
	}
	if tp.Goal != nil && (tp.Goal.Proxy || tp.Goal.Scaled) {
		c.GoalBasis = tp.Goal.Basis.In(lg)
	}
	return c
}

// pathLine is the planned straight path at each year label.
func pathLine(years []string, by, bv, gy, gv float64) []float64 {
	out := make([]float64, len(years))
	for i, y := range years {
		f, _ := strconv.ParseFloat(y, 64)
		t := (f - by) / (gy - by)
		if gy == by {
			t = 1
		}
		t = max(0, min(1, t))
		out[i] = round(bv + t*(gv-bv))
	}
	return out
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	v, err := s.dashboardData(r, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "dashboard", v)
	pg.Title = i18n.T(pg.Lang, "dashboard.title")
	if p := principal(r); p.Authenticated() {
		ns, _ := reporting.Notifications(r.Context(), s.db, p.User.ID, 5)
		pg.Data = struct {
			*dashboardView
			Notifications []reporting.Notification
		}{v, unread(ns)}
	}
	s.render(w, r, "dashboard/index", http.StatusOK, pg)
}

func unread(ns []reporting.Notification) []reporting.Notification {
	var out []reporting.Notification
	for _, n := range ns {
		if n.ReadAt == nil {
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) publicPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.dashboardData(r, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "public", v)
	pg.Title = i18n.T(pg.Lang, "public.title")
	s.render(w, r, "public/index", http.StatusOK, pg)
}

// dashboardExport writes a dashboard table as CSV or XLSX: what=regions
// (the map and ranking), trend, or progress (the target cards).
func (s *Server) dashboardExport(w http.ResponseWriter, r *http.Request) {
	v, err := s.dashboardData(r, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	format := r.FormValue("format")
	if format != "xlsx" {
		format = "csv"
	}
	lg := lang(r)
	switch r.FormValue("what") {
	case "progress":
		rows := [][]string{{"target", "name", "org_unit", "indicator", "base_year", "base", "actual_year", "actual", "goal_year", "goal", "progress_pct", "status", "forecast_2015", "forecast_2020", "met_year"}}
		for _, c := range append(v.Cards, v.Targets...) {
			row := []string{c.Target.Code, i18nName(lg, c.Target.NameZh, c.Target.NameEn), c.Unit.Code, c.Target.Indicator, "", "", "", "", "", "", "", c.StatusName.In(lg), "", "", ""}
			if c.Base != nil {
				row[4], row[5] = fnum(c.Base.Year), fnum(c.Base.Value)
			}
			if c.Goal != nil {
				row[6], row[7] = fnum(c.Assessment.ActualYear), fnum(c.Assessment.Actual)
				row[8], row[9], row[10] = strconv.Itoa(c.Goal.Year), fnum(c.Goal.Value), fmt.Sprintf("%.1f", c.Percent)
			}
			if c.Forecast != nil {
				row[12], row[13] = fnum(c.Forecast["2015"]), fnum(c.Forecast["2020"])
			}
			if c.MetYear != nil {
				row[14] = fmt.Sprintf("%.1f", *c.MetYear)
			}
			rows = append(rows, row)
		}
		writeCSV(w, "progress-"+v.Unit.Code+".csv", rows)
		return
	case "trend":
		var pes []string
		for _, y := range v.Years {
			pes = append(pes, strconv.Itoa(y))
		}
		res, err := monitor.Analytics(r.Context(), s.db, monitor.Query{DX: []string{v.DX}, PE: pes, OU: []string{v.Unit.Code}, PublishedOnly: v.Public})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeAnalytics(w, r, res, format, "trend-"+v.DX+"-"+v.Unit.Code)
		return
	default:
		var codes []string
		for _, x := range v.Regions {
			codes = append(codes, x.Unit.Code)
		}
		res, err := monitor.Analytics(r.Context(), s.db, monitor.Query{DX: []string{v.DX}, PE: []string{strconv.Itoa(v.Year)}, OU: codes, PublishedOnly: v.Public})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.writeAnalytics(w, r, res, format, "regions-"+v.DX+"-"+v.Unit.Code+"-"+strconv.Itoa(v.Year))
	}
}

func (s *Server) writeAnalytics(w http.ResponseWriter, r *http.Request, res *monitor.Result, format, name string) {
	if format == "xlsx" {
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	if err := monitor.WriteAnalytics(w, res, format, lang(r)); err != nil {
		s.log.Error("export", "err", err)
	}
}

func fnum(f float64) string { return strconv.FormatFloat(round(f), 'f', -1, 64) }

func i18nName(lg, zh, en string) string { return i18n.Text{Zh: zh, En: en}.In(lg) }

// demoStatus shows the background demo generation: a line for the demo
// banner that refreshes itself until the data is ready, or JSON.
func (s *Server) demoStatus(w http.ResponseWriter, r *http.Request) {
	st := s.opt.DemoProgress.Status()
	if strings.Contains(r.Header.Get("Accept"), "application/json") || r.FormValue("format") == "json" {
		writeJSON(w, http.StatusOK, st)
		return
	}
	lg := lang(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var msg string
	switch {
	case s.opt.DemoProgress == nil:
		msg = ""
	case st.Error != "":
		msg = i18n.T(lg, "demo.failed", st.Error)
	case st.Done:
		msg = i18n.T(lg, "demo.ready")
	default:
		msg = i18n.T(lg, "demo.progress", int(st.Progress), st.Stage)
		fmt.Fprintf(w, `<span class="demo-status" role="status" hx-get="/demo/status" hx-trigger="load delay:2s" hx-swap="outerHTML">%s</span>`, html.EscapeString(msg))
		return
	}
	fmt.Fprintf(w, `<span class="demo-status" role="status">%s</span>`, html.EscapeString(msg))
}

// apiProgress: GET /api/v1/progress?ou=CODE[,CODE…]; unpublished targets
// only when the caller holds a role over every unit asked for.
func (s *Server) apiProgress(w http.ResponseWriter, r *http.Request) {
	s.progressJSON(w, r, false)
}

// apiPublicProgress: GET /api/v1/public/progress — published targets only.
func (s *Server) apiPublicProgress(w http.ResponseWriter, r *http.Request) {
	s.progressJSON(w, r, true)
}

func (s *Server) progressJSON(w http.ResponseWriter, r *http.Request, published bool) {
	var units []string
	for _, c := range strings.Split(r.FormValue("ou"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			units = append(units, c)
		}
	}
	if len(units) > 200 {
		s.fail(w, r, i18n.Errorf("单位过多（最多 200 个）", "too many units (at most 200)"))
		return
	}
	if !published {
		// As on the dashboard: unpublished figures only for units the
		// caller holds a role over; a query reaching outside them gets
		// the published targets.
		codes := units
		if len(codes) == 0 {
			codes = []string{orgunit.Root}
		}
		us, err := orgunit.GetMany(r.Context(), s.db, codes)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := principal(r)
		for _, u := range us {
			if !p.Covers(u.Path, auth.Roles...) {
				published = true
			}
		}
	}
	tps, err := reporting.Progress(r.Context(), s.db, reporting.ProgressQuery{Units: units, PublishedOnly: published})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tps == nil {
		tps = []reporting.TargetProgress{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"progress": tps, "statuses": progress.StatusNames})
}
