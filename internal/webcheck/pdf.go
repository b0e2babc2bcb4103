package webcheck

import (
	"fmt"
	"io"
	"strings"
	"time"
	"zhihui/internal/neterr"

	"github.com/go-pdf/fpdf"

	"zhihui/internal/pdffont"
)

// ReportInfo labels a report: who owns the site and which round it is.
type ReportInfo struct {
	SiteName string
	OrgName  string
	Round    string
	Demo     bool
}

var cst = time.FixedZone("CST", 8*3600)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format("2006-01-02 15:04:05")
}

// WritePDF writes an A4 report of r in Chinese with English labels: the
// 2015 verdict with its veto reasons and deductions, the 2019 100-point
// breakdown, and the evidence behind every point lost (URL, status, time,
// snippet, found-on pages), then the broken links and the columns.
func WritePDF(w io.Writer, r *Result, info ReportInfo) error {
	pdf := pdffont.New("P")
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetTitle("政府网站检查报告 "+r.URL, true)
	pdf.SetCreator("zhihui", true)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(pdffont.Family, "", 8)
		pdf.SetTextColor(100, 100, 100)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s  第 %d/{nb} 页", r.URL, pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	const lh = 5.5
	text := func(size float64, s string) {
		pdf.SetFont(pdffont.Family, "", size)
		pdffont.MultiCell(pdf, 0, lh*size/10, s)
	}
	heading := func(s string) {
		pdf.Ln(3)
		pdf.SetFillColor(221, 235, 247)
		pdf.SetFont(pdffont.Family, "", 12)
		pdf.CellFormat(0, 8, s, "", 1, "L", true, 0, "")
		pdf.Ln(1)
	}
	kv := func(k, v string) {
		pdf.SetFont(pdffont.Family, "", 9)
		pdf.SetTextColor(80, 80, 80)
		pdf.CellFormat(45, lh, k, "", 0, "L", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
		pdffont.MultiCell(pdf, 0, lh, v)
	}
	evidence := func(es []Evidence, total int) {
		pdf.SetFont(pdffont.Family, "", 8)
		for i, e := range es {
			if i == 5 {
				pdffont.MultiCell(pdf, 0, 4.5, fmt.Sprintf("    … 共 %d 条证据，完整列表见Excel报告 / %d items in all, see the Excel report", total, total))
				break
			}
			line := "    · " + e.URL
			if e.Status != 0 {
				line += fmt.Sprintf("  [%d]", e.Status)
			}
			if !e.Time.IsZero() {
				line += "  " + fmtTime(e.Time)
			}
			if e.Err != "" {
				w := neterr.Words(e.Err)
				line += "\n      " + clip(w.Zh, 160) + "\n      " + clip(w.En, 160)
			}
			if e.Note.Zh != "" {
				line += "\n      " + clip(e.Note.Zh, 160)
				if e.Note.En != e.Note.Zh {
					line += "\n      " + clip(e.Note.En, 160)
				}
			}
			if e.Snippet != "" {
				line += "\n      " + clip(e.Snippet, 160)
			}
			if len(e.FoundOn) > 0 {
				line += "\n      见于 found on: " + strings.Join(e.FoundOn[:min(3, len(e.FoundOn))], "  ")
			}
			pdffont.MultiCell(pdf, 0, 4.5, line)
		}
	}

	title := "政府网站检查报告"
	if info.Demo {
		title += "（演示数据）"
	}
	text(18, title)
	text(10, "Government website inspection report")
	pdf.Ln(2)
	name := info.SiteName
	if name == "" {
		name = r.Home.Title
	}
	kv("网站 Site", name+"  "+r.URL)
	if info.OrgName != "" {
		kv("主管单位 Owner", info.OrgName)
	}
	if info.Round != "" {
		kv("评估批次 Round", info.Round)
	}
	kv("检查时间 Inspected", fmtTime(r.Started)+" — "+fmtTime(r.Finished)+"（北京时间）")
	kv("页面与链接 Pages, links", fmt.Sprintf("%d 个页面，%d 处链接（%d 个不同链接），%d 个失效链接", r.Pages, r.LinkOccurrences, r.UniqueLinks, len(r.BrokenLinks)))
	if bt := r.BudgetText(); bt.Zh != "" {
		kv("页面上限 Page budget", bt.Zh)
	}
	s := r.Availability.Summary
	kv("可用性 Availability", fmt.Sprintf("监测 %d 次，失败 %d 次（%.1f%%）", s.Total, s.Failures, s.Percent))

	vt := r.Verdict.VerdictText()
	heading(fmt.Sprintf("2015年普查结论：%s（%s）", vt.Zh, vt.En))
	if len(r.Verdict.Reasons) > 0 {
		for _, t := range r.Verdict.Reasons {
			text(9, "不合格原因 Reason: "+t.Zh+" / "+t.En)
		}
	}
	for _, l := range r.Verdict.Vetoes {
		text(10, fmt.Sprintf("单项否决 Veto：%s（指标值 %g）", l.Zh, l.Value))
		evidence(l.Evidence, l.EvidenceTotal)
	}
	if len(r.Verdict.NotAssessed) > 0 {
		var ns []string
		for _, n := range r.Verdict.NotAssessed {
			ns = append(ns, n.Zh)
		}
		text(8, "未评估 Not assessed: "+strings.Join(ns, "；"))
	}
	text(10, fmt.Sprintf("扣分合计 Deductions: %g 分", r.Verdict.Deducted))
	for _, l := range r.Verdict.Deductions {
		text(9, fmt.Sprintf("  −%g  %s（指标值 %g）", l.Points, l.Zh, l.Value))
		evidence(l.Evidence, l.EvidenceTotal)
	}

	heading(fmt.Sprintf("2019年百分制得分：%g / %g", r.Score.Total, r.Score.Max))
	for _, ind := range r.Score.Indicators {
		pdf.SetFont(pdffont.Family, "", 10)
		pdf.CellFormat(120, 6, ind.Zh+" "+ind.En, "B", 0, "L", false, 0, "")
		pdf.CellFormat(0, 6, fmt.Sprintf("%g / %g", ind.Score, ind.Max), "B", 1, "R", false, 0, "")
		for _, l := range ind.Losses {
			text(9, fmt.Sprintf("  −%g  %s（指标值 %g）", l.Points, l.Zh, l.Value))
			evidence(l.Evidence, l.EvidenceTotal)
		}
		if len(ind.Unknown) > 0 {
			var ns []string
			for _, n := range ind.Unknown {
				ns = append(ns, n.Zh)
			}
			text(8, "  未评估 Not assessed: "+strings.Join(ns, "；"))
		}
	}

	if len(r.BrokenLinks) > 0 {
		heading(fmt.Sprintf("失效链接 Broken links（%d）", len(r.BrokenLinks)))
		for i, b := range r.BrokenLinks {
			if i == 60 {
				text(8, fmt.Sprintf("… 另有 %d 个，见Excel报告 / %d more in the Excel report", len(r.BrokenLinks)-60, len(r.BrokenLinks)-60))
				break
			}
			why := b.Err
			if why == "" {
				why = fmt.Sprint(b.Status)
			}
			where := ""
			if b.OnHomepage {
				where = " [首页]"
			}
			line := fmt.Sprintf("%s  (%s)%s  %s", b.URL, why, where, fmtTime(b.CheckedAt))
			if len(b.FoundOn) > 0 {
				line += "\n    见于 " + strings.Join(b.FoundOn[:min(2, len(b.FoundOn))], "  ")
			}
			text(8, line)
		}
	}
	if len(r.Columns) > 0 {
		heading(fmt.Sprintf("栏目 Columns（%d）", len(r.Columns)))
		for _, c := range r.Columns {
			text(8, fmt.Sprintf("%s  %s  最新 %s（%d天/时限%d天）  %s", c.Title, columnStatusZh(c.Status), dateOrEmpty(c.Latest), c.AgeDays, c.LimitDays, c.URL))
		}
	}
	if pdf.Err() {
		return fmt.Errorf("webcheck: pdf: %w", pdf.Error())
	}
	return writePDF(pdf, w)
}

func writePDF(pdf *fpdf.Fpdf, w io.Writer) error {
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("webcheck: pdf: %w", err)
	}
	return nil
}

func columnStatusZh(s string) string {
	switch s {
	case "ok":
		return "正常"
	case "stale":
		return "未及时更新"
	case "empty":
		return "空白"
	case "undated":
		return "无日期条目"
	case "unreachable":
		return "无法访问"
	}
	return "未知"
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
