package monitor

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
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
	t := &table{pre: [][]string{{"填报单位：" + root.Name}, {"报告期：" + o.Period}}}
	t.header = []string{"单位代码", "单位名称"}
	for _, e := range els {
		h := e.Name
		if e.Unit != "" {
			h += "（" + e.Unit + "）"
		}
		t.header = append(t.header, h)
	}
	for _, u := range us {
		t.rows = append(t.rows, []any{u.Code, u.Name})
	}
	return t.write(w, XLSX, "报表")
}
