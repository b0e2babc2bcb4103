package monitor

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/spreadsheet"
	"zhihui/internal/store"
)

// Export formats.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// table is a header and rows of cells, written as CSV or XLSX.
type table struct {
	pre    [][]string // lines above the header (XLSX and CSV alike)
	header []string
	rows   [][]any
}

func (t *table) write(w io.Writer, format, sheet string) error {
	switch format {
	case CSV:
		if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil { // BOM so Excel reads UTF-8
			return err
		}
		cw := csv.NewWriter(w)
		for _, p := range t.pre {
			cw.Write(spreadsheet.Row(slices.Clone(p)))
		}
		cw.Write(spreadsheet.Row(slices.Clone(t.header)))
		rec := make([]string, len(t.header))
		for _, r := range t.rows {
			for i := range rec {
				rec[i] = ""
				if i < len(r) {
					rec[i] = cellText(spreadsheet.Value(r[i]))
				}
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case XLSX:
		f := excelize.NewFile()
		defer f.Close()
		f.SetSheetName("Sheet1", sheet)
		sw, err := f.NewStreamWriter(sheet)
		if err != nil {
			return err
		}
		n := 1
		for _, p := range t.pre {
			vals := make([]any, len(p))
			for i, c := range p {
				vals[i] = spreadsheet.Text(c)
			}
			cellRef, _ := excelize.CoordinatesToCellName(1, n)
			if err := sw.SetRow(cellRef, vals); err != nil {
				return err
			}
			n++
		}
		head := make([]any, len(t.header))
		for i, h := range t.header {
			head[i] = spreadsheet.Text(h)
		}
		cellRef, _ := excelize.CoordinatesToCellName(1, n)
		if err := sw.SetRow(cellRef, head); err != nil {
			return err
		}
		for _, r := range t.rows {
			n++
			cellRef, _ := excelize.CoordinatesToCellName(1, n)
			vals := make([]any, len(r))
			for i, v := range r {
				vals[i] = spreadsheet.Value(v)
			}
			if err := sw.SetRow(cellRef, vals); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return f.Write(w)
	}
	return i18n.Errorf("未知的导出格式 %q（csv 或 xlsx）", "unknown export format %q (csv or xlsx)", format)
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	}
	return fmt.Sprint(v)
}

// WriteAnalytics writes r as a table (one row per figure: data, period,
// unit, names, value) in format csv or xlsx.
func WriteAnalytics(w io.Writer, r *Result, format, lang string) error {
	t := &table{header: []string{"dx", "数据/Data", "pe", "报告期/Period", "ou", "单位/Org unit", "值/Value", "计量单位/Unit"}}
	for _, x := range r.Rows {
		dx, pe, ou := r.Meta.Items[x.DX], r.Meta.Items[x.PE], r.Meta.Items[x.OU]
		t.rows = append(t.rows, []any{x.DX, i18n.Text{Zh: dx.Name, En: dx.NameEn}.In(lang), x.PE, i18n.Text{Zh: pe.Name, En: pe.NameEn}.In(lang),
			x.OU, i18n.Text{Zh: ou.Name, En: ou.NameEn}.In(lang), x.Value, dx.Unit})
	}
	return t.write(w, format, "analytics")
}

// WriteValues writes raw values in the long import shape, so an export
// can be edited and imported again.
func WriteValues(w io.Writer, vals []StoredValue, format string) error {
	t := &table{header: []string{"dataElement", "orgUnit", "period", "value", "comment", "lastUpdated"}}
	for _, v := range vals {
		t.rows = append(t.rows, []any{v.DataElement, v.OrgUnit, v.Period, v.Value.Value, v.Comment, v.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z")})
	}
	return t.write(w, format, "dataValues")
}

// TemplateOptions say what a blank report sheet holds.
type TemplateOptions struct {
	Root     string   // unit whose subtree the rows list
	Level    int      // level of the rows (0: the root's children)
	Elements []string // element codes, the columns
	Period   string
	MaxRows  int // 0: 60,000
}

// WriteTemplate writes a blank wide report sheet (统计报表) as XLSX: the
// 填报单位 and 报告期 lines, a header of 单位代码, 单位名称 and one column
// per element (name and unit), then one row per unit at the chosen level
// under root. The file imports as it is once filled in.
func WriteTemplate(ctx context.Context, db *store.DB, w io.Writer, o TemplateOptions) error {
	root, err := orgunit.Get(ctx, db, o.Root)
	if err != nil {
		return i18n.Errorf("未知的单位 %q", "unknown org unit %q", o.Root)
	}
	var els []Element
	for _, c := range o.Elements {
		e, err := GetElement(ctx, db, c)
		if err != nil {
			return i18n.Errorf("未知的数据元 %q", "unknown data element %q", c)
		}
		els = append(els, e)
	}
	if len(els) == 0 {
		return i18n.Errorf("请至少选择一个数据元", "choose at least one data element")
	}
	for _, e := range els {
		if _, perr := CheckPeriod(&e, o.Period); perr != nil {
			return perr
		}
	}
	level := o.Level
	if level == 0 {
		level = root.Level + 1
	}
	limit := o.MaxRows
	if limit <= 0 {
		limit = 60000
	}
	var us []orgunit.Unit
	if level == root.Level {
		us = []orgunit.Unit{root}
	} else {
		us, err = orgunit.Descendants(ctx, db, root.Path, level, limit)
		if err != nil {
			return err
		}
	}
	return writeReportSheet(w, root, els, o.Period, us)
}

// headerGroup is a run of element columns under one parent header cell.
type headerGroup struct {
	parent   string   // "" for a column without a parent
	children []string // each element's name below the parent, with its unit
}

// groupHeaders puts consecutive elements whose names share a leading part
// (城镇家庭户数, 城镇家庭宽带用户数 → 城镇家庭) under one parent, as 统计报表
// group their columns; the rest stand alone.
func groupHeaders(els []Element) []headerGroup {
	withUnit := func(name, unit string) string {
		if unit == "" {
			return name
		}
		return name + "（" + unit + "）"
	}
	var out []headerGroup
	for i := 0; i < len(els); {
		best, end := "", i+1
		for j := i + 1; j < len(els); j++ {
			p := commonPrefix(els[i].Name, els[j].Name)
			if best != "" {
				p = commonPrefix(best, els[j].Name)
			}
			if utf8.RuneCountInString(p) < 2 || p == els[j].Name || p == els[i].Name {
				break
			}
			best, end = p, j+1
		}
		if best == "" {
			out = append(out, headerGroup{children: []string{withUnit(els[i].Name, els[i].Unit)}})
			i++
			continue
		}
		g := headerGroup{parent: best}
		for _, e := range els[i:end] {
			g.children = append(g.children, withUnit(strings.TrimPrefix(e.Name, best), e.Unit))
		}
		out = append(out, g)
		i = end
	}
	return out
}

func commonPrefix(a, b string) string {
	ra, rb := []rune(a), []rune(b)
	n := 0
	for n < len(ra) && n < len(rb) && ra[n] == rb[n] {
		n++
	}
	return string(ra[:n])
}

// writeReportSheet writes a blank 统计报表 as XLSX: a title, the 填报单位 /
// 报告期 / 计量单位 line, a two-row header with grouped columns merged and
// units in brackets, the 甲/乙/1/2… column-number row, then one row per
// unit. Filled in, it imports as it is.
func writeReportSheet(w io.Writer, root orgunit.Unit, els []Element, pe string, us []orgunit.Unit) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "报表"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	label := pe
	if p, err := period.Parse(pe); err == nil {
		label = p.Label("zh-CN")
	}
	last, _ := excelize.ColumnNumberToName(len(els) + 2)
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border: []excelize.Border{{Type: "left", Style: 1}, {Type: "right", Style: 1}, {Type: "top", Style: 1}, {Type: "bottom", Style: 1}}})
	text, _ := f.NewStyle(&excelize.Style{NumFmt: 49}) // codes stay text
	set := func(cell string, v any) {
		f.SetCellValue(sheet, cell, v)
	}
	set("A1", root.Name+label+"信息化统计报表")
	f.MergeCell(sheet, "A1", last+"1")
	f.SetCellStyle(sheet, "A1", "A1", bold)
	set("A2", "填报单位："+root.Name+"　　报告期："+label+"　　计量单位：见表头")
	f.MergeCell(sheet, "A2", last+"2")
	set("A3", "单位名称")
	f.MergeCell(sheet, "A3", "A4")
	set("B3", "代码")
	f.MergeCell(sheet, "B3", "B4")
	col := 3
	for _, g := range groupHeaders(els) {
		first, _ := excelize.ColumnNumberToName(col)
		if g.parent == "" {
			set(first+"3", g.children[0])
			f.MergeCell(sheet, first+"3", first+"4")
			col++
			continue
		}
		lastCol, _ := excelize.ColumnNumberToName(col + len(g.children) - 1)
		set(first+"3", g.parent)
		f.MergeCell(sheet, first+"3", lastCol+"3")
		for _, c := range g.children {
			name, _ := excelize.ColumnNumberToName(col)
			set(name+"4", c)
			col++
		}
	}
	f.SetCellStyle(sheet, "A3", last+"4", head)
	nums := []any{"甲", "乙"}
	for i := range els {
		nums = append(nums, strconv.Itoa(i+1))
	}
	f.SetSheetRow(sheet, "A5", &nums)
	f.SetCellStyle(sheet, "A5", last+"5", head)
	for i, u := range us {
		row := []any{u.Name, u.Code}
		f.SetSheetRow(sheet, "A"+strconv.Itoa(6+i), &row)
	}
	if len(us) > 0 {
		f.SetCellStyle(sheet, "B6", "B"+strconv.Itoa(5+len(us)), text)
	}
	f.SetColWidth(sheet, "A", "A", 18)
	f.SetColWidth(sheet, "B", "B", 14)
	if len(els) > 0 {
		f.SetColWidth(sheet, "C", last, 16)
	}
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 5, TopLeftCell: "C6", ActivePane: "bottomRight"})
	return f.Write(w)
}
