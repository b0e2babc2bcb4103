package ecstat

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-pdf/fpdf"

	dom "zhihui/internal/ecstat"
	"zhihui/internal/i18n"
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

// pdfTable draws a table that wraps long cells onto several lines and
// repeats its header at the top of every page it continues on.
type pdfTable struct {
	pdf    *fpdf.Fpdf
	widths []float64
	aligns []string
	head   []string
	title  string // the table's heading, repeated (continued) with the header
	lineH  float64
}

// lines wraps each cell to its column.
func (tb *pdfTable) lines(cells []string) ([][]string, int) {
	out := make([][]string, len(cells))
	n := 1
	for i, x := range cells {
		out[i] = pdffont.Lines(tb.pdf, x, tb.widths[i]-2*tb.pdf.GetCellMargin())
		if len(out[i]) == 0 {
			out[i] = []string{""}
		}
		n = max(n, len(out[i]))
	}
	return out, n
}

// fits reports whether h more millimetres fit above the bottom margin.
func (tb *pdfTable) fits(h float64) bool {
	_, ph := tb.pdf.GetPageSize()
	_, _, _, bottom := tb.pdf.GetMargins()
	return tb.pdf.GetY()+h <= ph-bottom
}

func (tb *pdfTable) cells(cells []string, fill bool, aligns []string) {
	pdf := tb.pdf
	ls, n := tb.lines(cells)
	h := float64(n) * tb.lineH
	x, y := pdf.GetX(), pdf.GetY()
	for i, col := range ls {
		if fill {
			pdf.Rect(x, y, tb.widths[i], h, "F")
		}
		pdf.Line(x, y+h, x+tb.widths[i], y+h)
		for j, line := range col {
			pdf.SetXY(x, y+float64(j)*tb.lineH)
			pdf.CellFormat(tb.widths[i], tb.lineH, line, "", 0, aligns[i], false, 0, "")
		}
		x += tb.widths[i]
	}
	left, _, _, _ := pdf.GetMargins()
	pdf.SetXY(left, y+h)
}

// header draws the table's header row (after its title when continued).
func (tb *pdfTable) header(continued bool) {
	pdf := tb.pdf
	if continued {
		pdf.SetFont(pdffont.Family, "", 9)
		pdf.CellFormat(0, 6, tb.title, "", 1, "L", false, 0, "")
	}
	pdf.SetFont(pdffont.Family, "", 8)
	pdf.SetFillColor(235, 235, 235)
	center := make([]string, len(tb.head))
	for i := range center {
		center[i] = "C"
	}
	tb.cells(tb.head, true, center)
}

// row draws one row, starting a new page (with the header again) when it
// does not fit on this one.
func (tb *pdfTable) row(cells []string, shade bool) {
	_, n := tb.lines(cells)
	if !tb.fits(float64(n) * tb.lineH) {
		tb.pdf.AddPage()
		tb.header(true)
	}
	tb.pdf.SetFont(pdffont.Family, "", 8)
	if shade {
		tb.pdf.SetFillColor(245, 245, 245)
	}
	tb.cells(cells, shade, tb.aligns)
}

// resultsPDF writes the tables of target item by region (cities and
// counties), by industry section and by county × section, with their
// precision marks (CV above 15 % flagged, above 30 % or fewer than three
// respondents suppressed), and the methods, as an A4 PDF in the reader's
// language; long names wrap and every page of a table repeats its header.
func (h handlers) resultsPDF(w http.ResponseWriter, r *http.Request) error {
	s, err := h.loadSurvey(r)
	if err != nil {
		return err
	}
	item, _, est := resultsQuery(r)
	var tables []*dom.Results
	for _, by := range []string{dom.ByCity, dom.ByCounty, dom.BySection, dom.ByCountySection} {
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
	var buf bytes.Buffer
	if err := writeResultsPDF(&buf, kit.Lang(r), s, tables, d); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"estimates-%s-%s.pdf\"", s.Period(), tables[0].Target.Code))
	_, err = w.Write(buf.Bytes())
	return err
}

// writeResultsPDF writes the PDF of tables (the same target by several
// breakdowns) of survey s drawn with design d, in lang.
func writeResultsPDF(w io.Writer, lang string, s *dom.Survey, tables []*dom.Results, d *dom.Design) error {
	t := func(key string, args ...any) string { return i18n.T(lang, key, args...) }
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
	unit := "（" + tables[0].Unit + "）"
	if lang == "en" {
		unit = " (" + tables[0].Unit + ")"
	}
	figures := func(c dom.Cell) []string {
		out := []string{"", "", "", "", strconv.Itoa(c.Respondents)}
		switch c.Mark {
		case "suppressed":
			out[0] = t("ecstat.pdf.suppressed_" + c.Reason)
		default:
			out[0] = fmt.Sprintf("%.2f", c.Total)
			if c.Mark == "caution" {
				out[0] += " *"
			}
			out[1] = fmt.Sprintf("%.2f", c.SE)
			out[2] = fmt.Sprintf("%.1f%%", 100*c.CV)
			out[3] = fmt.Sprintf("%.2f – %.2f", c.Low, c.High)
		}
		return out
	}
	figHead := []string{t("ecstat.col.total") + unit, t("ecstat.col.se"), t("ecstat.col.cv"), t("ecstat.ci"), t("ecstat.col.respondents")}
	for _, res := range tables {
		tb := &pdfTable{pdf: pdf, title: t("ecstat.by."+res.By) + " " + t("ecstat.pdf.continued"), lineH: 5}
		if res.By == dom.ByCountySection {
			tb.widths = []float64{40, 16, 26, 22, 16, 42, 18}
			tb.head = append([]string{t("ecstat.col.county"), t("ecstat.col.section")}, figHead...)
			tb.aligns = []string{"L", "L", "R", "R", "R", "R", "R"}
		} else {
			tb.widths = []float64{56, 26, 22, 16, 42, 18}
			tb.head = append([]string{t("ecstat.col.domain")}, figHead...)
			tb.aligns = []string{"L", "R", "R", "R", "R", "R"}
		}
		pdf.Ln(3)
		if !tb.fits(8 + 3*tb.lineH) {
			pdf.AddPage()
		}
		pdf.SetFont(pdffont.Family, "", 12)
		pdf.SetFillColor(221, 235, 247)
		pdf.CellFormat(0, 8, t("ecstat.by."+res.By), "", 1, "L", true, 0, "")
		tb.header(false)
		name := func(c dom.Cell) []string {
			if res.By == dom.ByCountySection {
				return []string{c.DisplayName(lang), c.Section}
			}
			return []string{c.DisplayName(lang)}
		}
		prov := res.Province
		tb.row(append(name(prov), figures(prov)...), true)
		for _, c := range res.Cells {
			tb.row(append(name(c), figures(c)...), false)
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
	return pdf.Output(w)
}

// publishAuthzCases is the row of the PDF: readers of the estimates.
func publishAuthzCases() []module.AuthzCase {
	return []module.AuthzCase{
		{Pattern: "GET /ecstat/surveys/{id}/results.pdf", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey-pub") + "/results.pdf?item=ECOM_TURNOVER", nil
		}, Want: module.AnyRole(http.StatusOK, http.StatusSeeOther, Readers...)},
	}
}
