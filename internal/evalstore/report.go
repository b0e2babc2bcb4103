package evalstore

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/evaluate"
	"zhihui/internal/pdffont"
	"zhihui/internal/period"
	"zhihui/internal/spreadsheet"
)

// ReportPDF writes an enterprise's self-assessment report as an A4 PDF
// with Chinese text: score, stage, dimension scores, strengths and
// weaknesses, and the peer benchmarks (nil when there are no peers).
// place is the name of the enterprise's city or county.
func ReportPDF(w io.Writer, a *Assessment, place string, byIndustry, byCity *evaluate.PeerBenchmark) error {
	q := evaluate.EnterpriseQuestionnaire()
	pdf := pdffont.New("P")
	pdf.SetTitle("企业信息化水平评测报告 "+a.Name, true)
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AddPage()
	pdf.SetFont(pdffont.Family, "", 18)
	pdf.CellFormat(0, 12, "企业信息化水平评测报告", "", 1, "C", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 10)
	pdf.CellFormat(0, 6, q.Name.Zh, "", 1, "C", false, 0, "")
	pdf.Ln(4)
	line := func(label, value string) {
		pdf.SetFont(pdffont.Family, "", 10)
		pdf.CellFormat(40, 7, label, "", 0, "L", false, 0, "")
		pdffont.MultiCell(pdf, 0, 7, value)
	}
	line("企业名称", a.Name)
	line("统一社会信用代码", a.CreditCode)
	line("所属行业", a.Industry+" "+IndustryName(a.Industry).Zh)
	line("所在地区", place)
	line("评估年度", fmt.Sprint(a.Year))
	line("提交时间", a.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04")+"（北京时间）")
	pdf.Ln(3)
	pdf.SetFont(pdffont.Family, "", 14)
	pdf.CellFormat(0, 10, fmt.Sprintf("综合得分 %.1f 分 · 发展阶段：%s", a.Result.Score, a.Result.Stage.Name.Zh), "", 1, "L", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 11)
	pdf.CellFormat(0, 8, "各维度得分", "", 1, "L", false, 0, "")
	pdf.SetFont(pdffont.Family, "", 10)
	names := map[string]string{}
	for _, d := range a.Result.Dimensions {
		names[d.ID] = d.Name.Zh
		pdf.CellFormat(50, 7, d.Name.Zh, "1", 0, "L", false, 0, "")
		v := float64(d.Score)
		pdf.CellFormat(20, 7, fmt.Sprintf("%.1f", v), "1", 0, "R", false, 0, "")
		// a bar proportional to the score
		x, y := pdf.GetXY()
		pdf.SetFillColor(11, 92, 173)
		pdf.Rect(x+2, y+1.5, v*0.9, 4, "F")
		pdf.Ln(7)
	}
	pdf.Ln(3)
	list := func(ids []string) string {
		var out []string
		for _, id := range ids {
			out = append(out, names[id])
		}
		if len(out) == 0 {
			return "无"
		}
		return strings.Join(out, "、")
	}
	line("优势维度", list(a.Result.Strengths))
	line("薄弱维度", list(a.Result.Weaknesses))
	pdf.Ln(3)
	pdf.SetFont(pdffont.Family, "", 11)
	pdf.CellFormat(0, 8, "同类企业对标", "", 1, "L", false, 0, "")
	bench := func(label string, b *evaluate.PeerBenchmark) {
		if b == nil {
			line(label, "暂无可对标的同类企业")
			return
		}
		line(label, fmt.Sprintf("超过 %.0f%% 的同类企业（同组 %d 家，中位数 %.1f 分）", b.Percentile, b.Peers, b.Median))
	}
	bench("同行业", byIndustry)
	bench("同城市", byCity)
	pdf.Ln(4)
	pdf.SetFont(pdffont.Family, "", 8)
	pdffont.MultiCell(pdf, 0, 5, "说明：本报告依据企业自评问卷生成，问卷结构参照 GB/T 23020-2013《工业企业信息化和工业化融合评估规范》，题目、权重与阶段划分为本平台的自评工具，不代表标准原文或官方评定结论。")
	if a.Synthetic {
		pdffont.MultiCell(pdf, 0, 5, "本记录为合成的演示数据。")
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("evalstore: report: %w", err)
	}
	return pdf.Output(w)
}

// DistributionXLSX writes the assessments (one row each) and their
// distribution by city and industry as a workbook. cityName names city
// codes.
func DistributionXLSX(w io.Writer, as []*Assessment, cityName func(code string) string) error {
	f := excelize.NewFile()
	defer f.Close()
	const list = "评估记录"
	f.SetSheetName("Sheet1", list)
	set := func(sheet string, row int, vals ...any) {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		for i, v := range vals {
			vals[i] = spreadsheet.Value(v)
		}
		f.SetSheetRow(sheet, cell, &vals)
	}
	set(list, 1, "编号", "企业名称", "统一社会信用代码", "行业代码", "行业", "城市", "所在地代码", "年度", "得分", "阶段", "合成演示数据", "提交时间（北京时间）")
	for i, a := range as {
		set(list, i+2, a.ID, a.Name, a.CreditCode, a.Industry, IndustryName(a.Industry).Zh, cityName(a.City()), a.OrgCode, a.Year,
			a.Result.Score, a.Result.Stage.Name.Zh, a.Synthetic, a.CreatedAt.In(period.Shanghai).Format("2006-01-02 15:04"))
	}
	byCity, byInd := Distribution(as)
	stages := evaluate.EnterpriseQuestionnaire().Stages
	write := func(sheet, head string, cells []Cell, name func(string) string) {
		f.NewSheet(sheet)
		hdr := []any{head, "名称", "企业数", "平均得分"}
		for _, s := range stages {
			hdr = append(hdr, s.Name.Zh)
		}
		set(sheet, 1, hdr...)
		for i, c := range cells {
			row := []any{c.Key, name(c.Key), c.Count, float64(int(c.Mean*10+0.5)) / 10}
			for _, s := range stages {
				row = append(row, c.Stages[s.ID])
			}
			set(sheet, i+2, row...)
		}
	}
	write("按地区", "城市代码", byCity, cityName)
	write("按行业", "行业代码", byInd, func(c string) string { return IndustryName(c).Zh })
	if err := f.Write(w); err != nil {
		return fmt.Errorf("evalstore: xlsx: %w", err)
	}
	return nil
}
