package supervise

import (
	"fmt"
	"io"

	"zhihui/internal/pdffont"
	"zhihui/internal/period"
)

// NoticePDF writes the assessment notice (考核结果通报) of a as an A4 PDF
// in Chinese: ranks, totals, each part's score and the bonuses and
// penalties with their reasons. pub is the publication a comes from, or
// nil for a live computation, which the notice then says is unpublished.
func NoticePDF(w io.Writer, a *Assessment, pub *Publication, adj []Adjustment) error {
	pdf := pdffont.New("L")
	title := fmt.Sprintf("%d 年度信息化工作目标考核结果通报（%s）", a.Year, groupZh[a.Group])
	pdf.SetTitle(title, true)
	pdf.SetMargins(12, 12, 12)
	pdf.SetAutoPageBreak(true, 12)
	pdf.AddPage()
	pdf.SetFont(pdffont.Family, "", 16)
	pdf.CellFormat(0, 10, title, "", 1, "C", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 9)
	var status string
	switch {
	case pub == nil:
		status = "实时测算结果，尚未发布，不作为正式考核结果"
	case pub.State == PubFinal:
		status = fmt.Sprintf("第 %d 版 · %s 发布 · 已终审", pub.Version, pub.PublishedAt.In(period.Shanghai).Format("2006-01-02 15:04"))
	default:
		status = fmt.Sprintf("第 %d 版 · %s 发布 · 申诉期至 %s", pub.Version, pub.PublishedAt.In(period.Shanghai).Format("2006-01-02 15:04"), pub.AppealUntil)
	}
	pdf.CellFormat(0, 6, status, "", 1, "C", false, 0, "")
	pdf.CellFormat(0, 6, fmt.Sprintf("督办事项按截至 %s 的办理结果计分，其他部分按截至 %s 的数据计分；未考核的部分不计零分。", a.Cutoff, a.InputsAsOf), "", 1, "C", false, 0, "")
	pdf.Ln(2)

	widths := []float64{14, 60, 22, 18}
	heads := []string{"名次", "单位", "总分", "加减分"}
	rest := 273.0 - 114
	pw := rest / float64(max(1, len(a.Scheme.Parts)))
	for _, p := range a.Scheme.Parts {
		widths = append(widths, pw)
		heads = append(heads, fmt.Sprintf("%s（%g）", p.NameZh, p.Weight))
	}
	header := func() {
		pdf.SetFont(pdffont.Family, "", 8)
		pdf.SetFillColor(230, 236, 245)
		for i, h := range heads {
			pdf.CellFormat(widths[i], 8, fitText(pdf.GetStringWidth, h, widths[i]-1), "1", 0, "C", true, 0, "")
		}
		pdf.Ln(-1)
	}
	header()
	pdf.SetFont(pdffont.Family, "", 9)
	num := func(v *float64) string {
		if v == nil {
			return "未考核"
		}
		return fmt.Sprintf("%.2f", *v)
	}
	for _, r := range a.Rows {
		if pdf.GetY() > 190 {
			pdf.AddPage()
			header()
			pdf.SetFont(pdffont.Family, "", 9)
		}
		rank := "—"
		if r.Rank > 0 {
			rank = fmt.Sprint(r.Rank)
		}
		adjust := ""
		if r.Adjust != 0 {
			adjust = fmt.Sprintf("%+.2f", r.Adjust)
		}
		cells := []string{rank, r.UnitName, num(r.Score), adjust}
		for _, p := range r.Parts {
			cells = append(cells, num(p.Score))
		}
		for i, c := range cells {
			align := "R"
			if i == 1 {
				align = "L"
			}
			pdf.CellFormat(widths[i], 7, fitText(pdf.GetStringWidth, c, widths[i]-1), "1", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	if len(adj) > 0 {
		pdf.Ln(4)
		pdf.SetFont(pdffont.Family, "", 11)
		pdf.CellFormat(0, 8, "加减分事项", "", 1, "L", false, 0, "")
		pdf.SetFont(pdffont.Family, "", 9)
		names := map[string]string{}
		for _, r := range a.Rows {
			names[r.Unit] = r.UnitName
		}
		for _, x := range adj {
			name, ok := names[x.Unit]
			if !ok {
				continue
			}
			line := fmt.Sprintf("%s %+.2f 分：%s", name, x.Points, x.Reason)
			if x.Evidence != "" {
				line += "（依据：" + x.Evidence + "）"
			}
			pdffont.MultiCell(pdf, 0, 6, line)
		}
	}
	return pdf.Output(w)
}

// fitText shortens s with an ellipsis until it is at most width wide.
func fitText(measure func(string) float64, s string, width float64) string {
	if measure(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && measure(string(r)+"…") > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
