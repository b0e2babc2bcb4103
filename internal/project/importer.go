package project

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// MaxImportFile bounds an uploaded project list; MaxImportRows its rows.
const (
	MaxImportFile = 8 << 20
	MaxImportRows = 5000
)

// importCols are the columns of a project list, by field: the Chinese
// header first, then the English one. Columns marked * are required.
var importCols = []importCol{
	{"number", "项目编号", "number"},
	{"name", "项目名称*", "name"},
	{"owner", "建设单位代码*", "owner"},
	{"level", "项目层级", "level"},
	{"category", "项目类别*", "category"},
	{"funding", "资金来源*", "funding"},
	{"year", "年度", "year"},
	{"estimate", "估算（万元）*", "estimate"},
	{"summary", "项目概要", "summary"},
	{"content", "建设内容", "content"},
	{"functions", "主要功能", "functions"},
}

// ImportHeader is the header row of the import template.
func ImportHeader() []string { return headerRow(importCols) }

// importCol is one column of an imported list: the field it fills, its
// Chinese header (a trailing * marks a required column) and its English
// header.
type importCol struct{ field, zh, en string }

// headerRow is the Chinese header row of a list of cols, as templates
// give it.
func headerRow(cols []importCol) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.zh
	}
	return out
}

// columns is a header row mapped onto the fields of a list.
type columns struct {
	idx  map[string]int    // field → column index
	name map[string]string // field → the header as written, for errors
}

// mapColumns maps the header row head onto cols: a header matches a
// column by its Chinese header with or without the *, or its English one
// in any case. Unknown headers and missing required columns are errors
// on row 1, in both languages.
func mapColumns(cols []importCol, head []string) (columns, []*i18n.Error) {
	m := columns{idx: map[string]int{}, name: map[string]string{}}
	var errs []*i18n.Error
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		found := false
		for _, c := range cols {
			if h == c.zh || h == strings.TrimSuffix(c.zh, "*") || strings.EqualFold(h, c.en) {
				m.idx[c.field], m.name[c.field] = i, h
				found = true
			}
		}
		if !found && h != "" {
			errs = append(errs, i18n.Errorf("未知的列 %q", "unknown column %q", h).At(1, h))
		}
	}
	for _, c := range cols {
		if _, ok := m.idx[c.field]; !ok && strings.HasSuffix(c.zh, "*") {
			errs = append(errs, i18n.Errorf("缺少列「%[1]s」", "the column %[2]q is missing", strings.TrimSuffix(c.zh, "*"), c.en).At(1, ""))
		}
	}
	return m, errs
}

// cell is the trimmed value of field in rec ("" when the column is
// missing or the row short).
func (m columns) cell(rec []string, field string) string {
	i, ok := m.idx[field]
	if !ok || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// Words a cell may hold for a level or category, Chinese or English.
var (
	levelWords    = map[string]string{"省级": "province", "市级": "city", "县级": "county", "province": "province", "city": "city", "county": "county"}
	categoryWords = map[string]string{"新建": "new", "升级改造": "upgrade", "升级": "upgrade", "运维": "om", "运行维护": "om", "new": "new", "upgrade": "upgrade", "om": "om"}
)

// ImportRow is one checked project of a list, with its input row.
type ImportRow struct {
	Row     int
	Project NewProject
	unit    orgunit.Unit
}

// ReadImport reads a project list (XLSX or CSV; the first sheet, a header
// row, one project a row) and checks every row against the store and
// scopes (the caller's subtrees). It returns the rows when all are valid,
// otherwise every error found with its row and column; nothing is written.
func (s *Service) ReadImport(ctx context.Context, scopes []string, name string, r io.Reader) ([]ImportRow, []*i18n.Error, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImportFile+1))
	if err != nil {
		return nil, nil, err
	}
	grid, errs, err := readGrid(name, b)
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	return s.checkGrid(ctx, scopes, grid)
}

// readGrid reads the first sheet of an XLSX file or a CSV file (UTF-8,
// with or without a byte-order mark) named name into rows of cells; a
// file it cannot read gives a bilingual error, nothing else.
func readGrid(name string, b []byte) ([][]string, []*i18n.Error, error) {
	if len(b) > MaxImportFile {
		return nil, []*i18n.Error{i18n.Errorf("文件过大（最大 %d MB）", "the file is too large (at most %d MB)", MaxImportFile>>20)}, nil
	}
	var grid [][]string
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 32 << 20})
		if err != nil {
			return nil, []*i18n.Error{i18n.Errorf("无法读取 XLSX 文件：%v", "cannot read the XLSX file: %v", err)}, nil
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, []*i18n.Error{i18n.Errorf("工作簿中没有工作表", "the workbook has no sheet")}, nil
		}
		if grid, err = f.GetRows(sheets[0]); err != nil {
			return nil, []*i18n.Error{i18n.Errorf("无法读取工作表：%v", "cannot read the sheet: %v", err)}, nil
		}
	case ".csv":
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(b) {
			return nil, []*i18n.Error{i18n.Errorf("CSV 文件应为 UTF-8 编码", "the CSV file must be UTF-8 encoded")}, nil
		}
		cr := csv.NewReader(bytes.NewReader(b))
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, []*i18n.Error{i18n.Errorf("CSV 格式错误：%v", "malformed CSV: %v", pe.Err).At(pe.Line, "")}, nil
			}
			if err != nil {
				return nil, nil, err
			}
			grid = append(grid, rec)
			if len(grid) > MaxImportRows+1 {
				break
			}
		}
	default:
		return nil, []*i18n.Error{i18n.Errorf("请上传 XLSX 或 CSV 文件", "upload an XLSX or CSV file")}, nil
	}
	return grid, nil, nil
}

// checkGrid maps the header and checks each row.
func (s *Service) checkGrid(ctx context.Context, scopes []string, grid [][]string) ([]ImportRow, []*i18n.Error, error) {
	if len(grid) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件是空的", "the file is empty")}, nil
	}
	if len(grid) > MaxImportRows+1 {
		return nil, []*i18n.Error{i18n.Errorf("一次最多导入 %d 个项目", "at most %d projects can be imported at once", MaxImportRows)}, nil
	}
	cols, errs := mapColumns(importCols, grid[0])
	if len(errs) > 0 {
		return nil, errs, nil
	}
	colName, cell := cols.name, cols.cell
	var out []ImportRow
	numbers := map[string]int{}
	for n, rec := range grid[1:] {
		row := n + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		np := NewProject{Number: cell(rec, "number"), Name: cell(rec, "name"), Owner: cell(rec, "owner"), Funding: cell(rec, "funding"),
			Summary: cell(rec, "summary"), Content: cell(rec, "content"), Functions: cell(rec, "functions")}
		bad := false
		fail := func(e *i18n.Error, field string) {
			errs = append(errs, e.At(row, colName[field]))
			bad = true
		}
		if v := cell(rec, "level"); v != "" {
			if np.Level = levelWords[strings.ToLower(v)]; np.Level == "" {
				fail(i18n.Errorf("项目层级应为 省级、市级 或 县级：%q", "the level must be 省级 (province), 市级 (city) or 县级 (county): %q", v), "level")
			}
		}
		if v := cell(rec, "category"); categoryWords[strings.ToLower(v)] == "" {
			fail(i18n.Errorf("项目类别应为 新建、升级改造 或 运维：%q", "the category must be 新建 (new), 升级改造 (upgrade) or 运维 (O&M): %q", v), "category")
		} else {
			np.Category = categoryWords[strings.ToLower(v)]
		}
		if v := cell(rec, "year"); v != "" {
			y, err := strconv.Atoi(v)
			if err != nil {
				fail(i18n.Errorf("年度应为整数：%q", "the year must be a whole number: %q", v), "year")
			}
			np.Year = y
		}
		if m, err := ParseWan(cell(rec, "estimate")); err != nil {
			var ue *i18n.Error
			if errors.As(err, &ue) {
				fail(ue, "estimate")
			}
		} else {
			np.Estimate = m
		}
		if bad {
			continue
		}
		u, err := s.check(ctx, s.DB.R, &np)
		if err != nil {
			var ue *i18n.Error
			if !errors.As(err, &ue) {
				return nil, nil, err
			}
			fail(ue, ue.Field)
			continue
		}
		if !covered(u.Path, scopes) {
			fail(i18n.Errorf("单位 %s 不在您的管辖范围内", "unit %s is outside your units", u.Code), "owner")
			continue
		}
		if np.Number != "" {
			if prev, ok := numbers[np.Number]; ok {
				fail(i18n.Errorf("项目编号 %[1]s 与第 %[2]d 行重复", "the project number %[1]s repeats row %[2]d", np.Number, prev), "number")
				continue
			}
			numbers[np.Number] = row
		}
		out = append(out, ImportRow{Row: row, Project: np, unit: u})
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	if len(out) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件中没有项目", "the file holds no project")}, nil
	}
	return out, nil, nil
}

// Import registers every row in one transaction: all of them, or none
// when one fails (the error names its row).
func (s *Service) Import(ctx context.Context, a audit.Actor, rows []ImportRow) ([]int64, error) {
	var ids []int64
	ns := make([]NewProject, len(rows))
	for i, r := range rows {
		ns[i] = r.Project
	}
	sigs := signAll(ns)
	err := s.writeTx(ctx, func(tx *store.Tx) error {
		for i, r := range rows {
			id, err := s.insert(ctx, tx, a, r.unit, r.Project, sigs[i])
			if err != nil {
				var ue *i18n.Error
				if errors.As(err, &ue) {
					return ue.At(r.Row, ue.Field)
				}
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}
