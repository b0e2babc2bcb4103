package ecstat

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/module"
	"zhihui/internal/pdffont"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

// Publishing the tables: a chart of the breakdown shown, the county ×
// section table a page at a time, and the PDF of the tables by region and
// by industry with their precision marks.

// pageRows is how many cells a results page lists at a time.
const pageRows = 100

// pager is one page of a result table with links to its neighbours.
type pager struct {
	Page, Pages, From, To, Total int
	Prev, Next                   string
}

// pageOf cuts cells to the page asked for (?page=N, from 1) and builds the
// links to the neighbouring pages from base (a path with its query).
func pageOf(r *http.Request, cells []dom.Cell, base url.Values, path string) ([]dom.Cell, pager) {
	p := pager{Total: len(cells), Pages: (len(cells) + pageRows - 1) / pageRows, Page: 1}
	if n, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && n > 1 {
		p.Page = n
	}
	if p.Pages == 0 {
		p.Pages = 1
	}
	p.Page = min(p.Page, p.Pages)
	lo := (p.Page - 1) * pageRows
	hi := min(lo+pageRows, len(cells))
	p.From, p.To = lo+1, hi
	if len(cells) == 0 {
		p.From = 0
	}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return path + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return cells[lo:hi], p
}

// resultsChart draws the totals of cells (suppressed cells left out,
// cells to use with caution in a lighter colour) with their 95 %
// intervals as error bars.
func resultsChart(r *http.Request, res *dom.Results, cells []dom.Cell) map[string]any {
	lang := kit.Lang(r)
	var names []string
	var bars, low, span []any
	for _, c := range cells {
		if c.Mark == "suppressed" {
			continue
		}
		n := c.DisplayName(lang)
		if c.Section != "" {
			n += " " + c.Section
		}
		names = append(names, n)
		color := "#2b6cb0"
		if c.Mark == "caution" {
			color = "#d69e2e"
		}
		bars = append(bars, map[string]any{"value": round(c.Total), "itemStyle": map[string]any{"color": color}})
		low = append(low, round(max(c.Low, 0)))
		span = append(span, round(c.High-max(c.Low, 0)))
	}
	return map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{},
		"grid":    map[string]any{"left": 60, "right": 20, "bottom": 80, "top": 40},
		"xAxis":   map[string]any{"type": "category", "data": names, "axisLabel": map[string]any{"rotate": 45}},
		"yAxis":   map[string]any{"type": "value", "name": res.Unit},
		"series": []any{
			map[string]any{"type": "bar", "name": kit.T(r, "ecstat.col.total"), "data": bars},
			// The interval as an invisible base and a visible span.
			map[string]any{"type": "bar", "stack": "ci", "name": kit.T(r, "ecstat.ci"), "data": low, "itemStyle": map[string]any{"color": "transparent"}, "tooltip": map[string]any{"show": false}, "barWidth": 4},
			map[string]any{"type": "bar", "stack": "ci", "name": kit.T(r, "ecstat.ci"), "data": span, "itemStyle": map[string]any{"color": "#4a5568"}, "barWidth": 4},
		},
	}
}

// resultsPDF writes the tables of target item by region (cities and
// counties) and by industry section, with their precision marks, and the
// methods, as an A4 PDF in the reader's language.
func (h handlers) resultsPDF(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	item, _, est := resultsQuery(r)
	var tables []*dom.Results
	for _, by := range []string{dom.ByCity, dom.ByCounty, dom.BySection} {
		res, err := h.estimate(r, s, item, by, est)
		if err != nil {
			return err
		}
		tables = append(tables, res)
	}
	d, err := dom.GetDesign(r.Context(), h.k.DB, s.ID)
	if err != nil {
		return err
	}
	lang := kit.Lang(r)
	t := func(key string, args ...any) string { return kit.T(r, key, args...) }
	pdf := pdffont.New("P")
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	target := tables[0].Target.DisplayName(lang)
	title := s.Name + " · " + target
	pdf.SetTitle(title, true)
	pdf.SetCreator("zhihui", true)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(pdffont.Family, "", 8)
		pdf.SetTextColor(100, 100, 100)
		pdf.CellFormat(0, 5, t("ecstat.pdf.page", pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	pdf.SetFont(pdffont.Family, "", 15)
	pdffont.MultiCell(pdf, 0, 8, title)
	pdf.SetFont(pdffont.Family, "", 9)
	pdffont.MultiCell(pdf, 0, 5, t("ecstat.pdf.meta", s.PeriodText(lang), t("ecstat.estimator."+tables[0].Estimator), tables[0].Respondents, tables[0].Sampled,
		store.Now().In(period.Shanghai).Format("2006-01-02 15:04")))
	pdf.Ln(2)
	widths := []float64{56, 26, 22, 16, 42, 18}
	head := []string{t("ecstat.col.domain"), t("ecstat.col.total") + "（" + tables[0].Unit + "）", t("ecstat.col.se"), t("ecstat.col.cv"), t("ecstat.ci"), t("ecstat.col.respondents")}
	row := func(c dom.Cell, unit string, shade bool) {
		name := c.DisplayName(lang)
		if c.Section != "" {
			name += " " + c.Section
		}
		cells := []string{name, "", "", "", "", strconv.Itoa(c.Respondents)}
		switch c.Mark {
		case "suppressed":
			cells[1] = t("ecstat.pdf.suppressed_" + c.Reason)
		default:
			cells[1] = fmt.Sprintf("%.2f", c.Total)
			if c.Mark == "caution" {
				cells[1] += " *"
			}
			cells[2] = fmt.Sprintf("%.2f", c.SE)
			cells[3] = fmt.Sprintf("%.1f%%", 100*c.CV)
			cells[4] = fmt.Sprintf("%.2f – %.2f", c.Low, c.High)
		}
		if shade {
			pdf.SetFillColor(245, 245, 245)
		}
		for i, x := range cells {
			align := "R"
			if i == 0 {
				align = "L"
			}
			pdf.CellFormat(widths[i], 6, x, "B", 0, align, shade, 0, "")
		}
		pdf.Ln(-1)
	}
	for _, res := range tables {
		pdf.Ln(3)
		pdf.SetFont(pdffont.Family, "", 12)
		pdf.SetFillColor(221, 235, 247)
		pdf.CellFormat(0, 8, t("ecstat.by."+res.By), "", 1, "L", true, 0, "")
		pdf.SetFont(pdffont.Family, "", 8)
		pdf.SetFillColor(235, 235, 235)
		for i, x := range head {
			pdf.CellFormat(widths[i], 6, x, "B", 0, "C", true, 0, "")
		}
		pdf.Ln(-1)
		row(res.Province, res.Unit, true)
		for _, c := range res.Cells {
			row(c, res.Unit, false)
		}
	}
	pdf.Ln(3)
	pdf.SetFont(pdffont.Family, "", 9)
	pdffont.MultiCell(pdf, 0, 5, t("ecstat.pdf.marks"))
	pdf.Ln(2)
	pdf.SetFont(pdffont.Family, "", 12)
	pdf.CellFormat(0, 8, t("ecstat.methods"), "", 1, "L", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 9)
	rot := t("ecstat.methods_no_rotation")
	if d.RotateFrom != 0 {
		rot = t("ecstat.rotation_done", d.KeepPercent(), d.RotateFrom, d.Kept, d.Rotated)
	}
	pdffont.MultiCell(pdf, 0, 5, t("ecstat.methods_design", d.FrameSize, len(d.Strata), d.Certainty, d.SampleSize, d.Seed)+" "+t("ecstat.method."+d.Method)+". "+rot)
	pdffont.MultiCell(pdf, 0, 5, t("ecstat.methods_aux"))
	pdffont.MultiCell(pdf, 0, 5, t("ecstat.methods_text"))
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"estimates-%s-%s.pdf\"", s.Period(), tables[0].Target.Code))
	_, err = w.Write(buf.Bytes())
	return err
}

// publishAuthzCases is the row of the PDF: readers of the estimates.
func publishAuthzCases() []module.AuthzCase {
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/surveys/{id}/results.pdf", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey-pub") + "/results.pdf?item=ECOM_TURNOVER", nil
		}, Want: module.AnyRole(http.StatusOK, http.StatusSeeOther, Readers...)},
	}
}
