package web

import (
	"encoding/csv"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"zhihui/internal/dashboard"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
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

// dashboardView is an assembled dashboard with what only the web shows:
// the demo generation's progress.
type dashboardView struct {
	*dashboard.View
	Demo reporting.DemoStatus
}

// Export is the address of an export of what is on screen (its data, unit
// and year): what is regions, trend or progress, format csv or xlsx, extra
// more query pairs. Built here so that templates never print a query.
func (v *dashboardView) Export(what, format string, extra ...string) template.URL {
	q := url.Values{"dx": {v.DX}, "ou": {v.Unit.Code}, "year": {strconv.Itoa(v.Year)}, "what": {what}, "format": {format}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return template.URL("/dashboard/export?" + q.Encode())
}

// dashboardData builds the dashboard for r; publishedOnly limits it to
// published data (the public page).
func (s *Server) dashboardData(r *http.Request, publishedOnly bool) (*dashboardView, error) {
	year, _ := strconv.Atoi(r.FormValue("year"))
	v, err := dashboard.Build(r.Context(), s.db, dashboard.Query{
		Unit: r.FormValue("ou"), DX: r.FormValue("dx"), Year: year, Target: r.FormValue("target"),
		Lang: lang(r), Caller: principal(r), PublishedOnly: publishedOnly,
	})
	if err != nil {
		return nil, err
	}
	return &dashboardView{View: v, Demo: s.opt.DemoProgress.Status()}, nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	v, err := s.dashboardData(r, false)
	if err != nil {
		return err
	}
	pg := s.page(r, "dashboard", v)
	pg.Title = i18n.T(pg.Lang, "dashboard.title")
	if p := principal(r); p.Authenticated() {
		ns, _ := notify.List(r.Context(), s.db, p.User.ID, 5)
		pg.Data = struct {
			*dashboardView
			Notifications []notify.Notification
		}{v, unread(ns)}
	}
	s.render(w, r, "dashboard/index", http.StatusOK, pg)
	return nil
}

func unread(ns []notify.Notification) []notify.Notification {
	var out []notify.Notification
	for _, n := range ns {
		if n.ReadAt == nil {
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) publicPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.dashboardData(r, true)
	if err != nil {
		return err
	}
	pg := s.page(r, "public", v)
	pg.Title = i18n.T(pg.Lang, "public.title")
	s.render(w, r, "public/index", http.StatusOK, pg)
	return nil
}

// dashboardExport writes a dashboard table as CSV or XLSX: what=regions
// (the map and ranking), trend, or progress (the target cards).
func (s *Server) dashboardExport(w http.ResponseWriter, r *http.Request) error {
	v, err := s.dashboardData(r, false)
	if err != nil {
		return err
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
		return nil
	case "trend":
		var pes []string
		for _, y := range v.Years {
			pes = append(pes, strconv.Itoa(y))
		}
		res, err := monitor.Analytics(r.Context(), s.db, monitor.Query{DX: []string{v.DX}, PE: pes, OU: []string{v.Unit.Code}, PublishedOnly: v.Public})
		if err != nil {
			return err
		}
		s.writeAnalytics(w, r, res, format, "trend-"+v.DX+"-"+v.Unit.Code)
		return nil
	default:
		var codes []string
		for _, x := range v.Regions {
			codes = append(codes, x.Unit.Code)
		}
		res, err := monitor.Analytics(r.Context(), s.db, monitor.Query{DX: []string{v.DX}, PE: []string{strconv.Itoa(v.Year)}, OU: codes, PublishedOnly: v.Public})
		if err != nil {
			return err
		}
		s.writeAnalytics(w, r, res, format, "regions-"+v.DX+"-"+v.Unit.Code+"-"+strconv.Itoa(v.Year))
		return nil
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

func fnum(f float64) string { return strconv.FormatFloat(dashboard.Round(f), 'f', -1, 64) }

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
