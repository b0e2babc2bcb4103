package webcheck

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"zhihui/internal/i18n"
	"zhihui/internal/neterr"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/spreadsheet"
)

// Sheet names of the XLSX report, in order.
var reportSheets = []string{"概要 Summary", "单项否决 Vetoes", "2019评分 Score", "失效链接 Broken links", "栏目 Columns", "证据 Evidence"}

// WriteXLSX writes r as an Excel workbook: a summary, the 2015 vetoes and
// deductions, the 2019 indicator scores, every broken link with the pages
// it was found on, every column with its freshness, and the evidence
// behind each point lost.
func WriteXLSX(w io.Writer, r *Result) error {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", reportSheets[0]); err != nil {
		return fmt.Errorf("webcheck: xlsx: %w", err)
	}
	for _, s := range reportSheets[1:] {
		if _, err := x.NewSheet(s); err != nil {
			return fmt.Errorf("webcheck: xlsx: %w", err)
		}
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}})
	if err != nil {
		return fmt.Errorf("webcheck: xlsx: %w", err)
	}
	var werr error
	put := func(sheet string, rows [][]any, widths ...float64) {
		if werr != nil {
			return
		}
		sw, err := x.NewStreamWriter(sheet)
		if err != nil {
			werr = err
			return
		}
		for i, wd := range widths {
			if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
				werr = err
				return
			}
		}
		for i, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			var opts []excelize.RowOpts
			if i == 0 && sheet != reportSheets[0] {
				opts = append(opts, excelize.RowOpts{StyleID: bold})
			}
			safe := make([]any, len(row))
			for j, v := range row {
				safe[j] = spreadsheet.Value(v)
			}
			if err := sw.SetRow(cell, safe, opts...); err != nil {
				werr = err
				return
			}
		}
		werr = sw.Flush()
	}

	v := r.Verdict
	vt := v.VerdictText()
	summary := [][]any{
		{"项目 Item", "值 Value"},
		{"网站 Site", r.URL},
		{"标题 Title", r.Home.Title},
		{"开始时间 Started (北京时间 Beijing time)", fmtTime(r.Started)},
		{"结束时间 Finished (北京时间 Beijing time)", fmtTime(r.Finished)},
		{"抓取页面 Pages crawled", r.Pages},
		{"链接数 Links found", r.LinkOccurrences},
		{"不同链接 Distinct links", r.UniqueLinks},
		{"失效链接 Broken links", len(r.BrokenLinks)},
		{"2015普查结论 2015 verdict", vt.Zh + " / " + vt.En},
		{"否决原因 Reasons", joinReasons(v.Reasons, true) + "\n" + joinReasons(v.Reasons, false)},
		{"2015扣分 2015 deductions", v.Deducted},
		{"2019得分 2019 score", fmt.Sprintf("%g / %g", r.Score.Total, r.Score.Max)},
		{"首页最新信息 Homepage latest", dateOrEmpty(r.Home.Latest) + " " + r.Home.Item},
		{"政府网站标识码 Site code", r.Home.Marks.SiteCode},
		{"ICP备案 ICP", r.Home.Marks.ICP},
		{"公安备案 PSB filing", r.Home.Marks.PSB},
		{"HTTPS", fmt.Sprintf("available=%v valid=%v expires=%s %s", r.TLS.Available, r.TLS.Valid, dateOrEmpty(r.TLS.NotAfter), r.TLS.Err)},
		{"IPv6", strings.TrimSpace(r.IPv6.Status + " " + strings.Join(r.IPv6.Addrs, ",") + " " + bilingual(r.IPv6.Reason))},
		{"可用性监测 Probes", fmt.Sprintf("%d 次，失败 %d 次（%.1f%%）", r.Availability.Summary.Total, r.Availability.Summary.Failures, r.Availability.Summary.Percent)},
	}
	if bt := r.BudgetText(); bt.Zh != "" {
		// right after the page counts, which it qualifies
		summary = slices.Insert(summary, 6, []any{"页面上限 Page budget", bt.Zh + "\n" + bt.En})
	}
	put(reportSheets[0], summary, 28, 100)

	vetoes := [][]any{{"类型 Type", "规则 Rule", "说明（中文）", "Description", "指标值 Value", "扣分 Points"}}
	for _, l := range v.Vetoes {
		vetoes = append(vetoes, []any{"单项否决 veto", l.Rule, l.Zh, l.En, l.Value, ""})
	}
	for _, rl := range v.NotAssessed {
		vetoes = append(vetoes, []any{"未评估 not assessed", rl.ID, rl.Zh, rl.En, "", ""})
	}
	for _, l := range v.Deductions {
		vetoes = append(vetoes, []any{"扣分 deduction", l.Rule, l.Zh, l.En, l.Value, l.Points})
	}
	put(reportSheets[1], vetoes, 18, 22, 50, 50, 12, 10)

	score := [][]any{{"指标 Indicator", "名称", "Name", "满分 Max", "得分 Score", "扣分规则 Rule", "说明", "指标值 Value", "扣分 Points"}}
	for _, ind := range r.Score.Indicators {
		score = append(score, []any{ind.ID, ind.Zh, ind.En, ind.Max, ind.Score, "", "", "", ""})
		for _, l := range ind.Losses {
			score = append(score, []any{"", "", "", "", "", l.Rule, l.Zh, l.Value, l.Points})
		}
		for _, rl := range ind.Unknown {
			score = append(score, []any{"", "", "", "", "", rl.ID, rl.Zh + "（未评估 not assessed）", "", ""})
		}
	}
	score = append(score, []any{"合计 Total", "", "", r.Score.Max, r.Score.Total})
	put(reportSheets[2], score, 16, 20, 24, 10, 10, 22, 50, 12, 10)

	broken := [][]any{{"链接 URL", "状态 Status", "错误 Error", "首页 On homepage", "外部 External", "出现次数 Occurrences", "所在页面 Found on"}}
	for _, b := range r.BrokenLinks {
		broken = append(broken, []any{b.URL, b.Status, b.Err, yesNo(b.OnHomepage), yesNo(b.External), b.FoundCount, strings.Join(b.FoundOn, "\n")})
	}
	put(reportSheets[3], broken, 60, 10, 30, 12, 10, 12, 80)

	cols := [][]any{{"栏目 Title", "类型 Kind", "状态 Status", "最新日期 Latest", "天数 Age (days)", "时限 Limit (days)", "条目 Items", "链接 URL", "发现于 Found on", "说明 Snippet"}}
	for _, c := range r.Columns {
		cols = append(cols, []any{c.Title, string(c.Kind), c.Status, dateOrEmpty(c.Latest), c.AgeDays, c.LimitDays, c.Items, c.URL, c.FoundOn, strings.TrimSpace(bilingual(c.Note) + " " + c.Snippet)})
	}
	put(reportSheets[4], cols, 16, 12, 12, 12, 10, 10, 8, 50, 40, 50)

	ev := [][]any{{"方案 Scheme", "规则 Rule", "扣分 Points", "链接 URL", "状态 Status", "时间 Time (北京时间 Beijing time)", "摘录 Snippet", "所在页面 Found on"}}
	addEv := func(scheme, rule string, points any, es []Evidence) {
		for _, e := range es {
			t := ""
			if !e.Time.IsZero() {
				t = fmtTime(e.Time)
			}
			snip := strings.TrimSpace(bilingual(e.Note) + " " + e.Snippet)
			if e.Err != "" {
				w := neterr.Words(e.Err)
				snip = strings.TrimSpace(w.Zh + " / " + w.En + " " + snip)
			}
			ev = append(ev, []any{scheme, rule, points, e.URL, e.Status, t, snip, strings.Join(e.FoundOn, "\n")})
		}
	}
	for _, l := range v.Vetoes {
		addEv("2015 否决", l.Rule, "否决", l.Evidence)
	}
	for _, l := range v.Deductions {
		addEv("2015 扣分", l.Rule, l.Points, l.Evidence)
	}
	for _, ind := range r.Score.Indicators {
		for _, l := range ind.Losses {
			addEv("2019 "+ind.ID, l.Rule, l.Points, l.Evidence)
		}
	}
	put(reportSheets[5], ev, 14, 22, 8, 60, 8, 20, 60, 60)
	if werr != nil {
		return fmt.Errorf("webcheck: xlsx: %w", werr)
	}
	if _, err := x.WriteTo(w); err != nil {
		return fmt.Errorf("webcheck: xlsx: %w", err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "是 yes"
	}
	return "否 no"
}

// bilingual writes t for the reports, which are read in both languages:
// "中文 / English", or the one text when both are the same.
func bilingual(t i18n.Text) string {
	if t.En == "" || t.En == t.Zh {
		return t.Zh
	}
	return t.Zh + " / " + t.En
}
