package project

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// omImportCols are the columns of an O&M request list: the Chinese header
// first, then the English one. Columns marked * are required.
var omImportCols = []importCol{
	{"year", "年度*", "year"},
	{"owner", "单位代码*", "owner"},
	{"system", "信息系统*", "system"},
	{"amount", "申请金额（万元）*", "amount"},
	{"last_actual", "上年实际支出（万元）", "last actual"},
	{"basis", "测算依据", "basis"},
}

// OMImportHeader is the header row of the O&M import template.
func OMImportHeader() []string { return headerRow(omImportCols) }

// omRaw is one parsed row of an O&M list before its system is resolved.
type omRaw struct {
	Row     int
	Owner   string
	System  string // the system's number in the catalogue or its name
	N       NewOM
	ownerCo string // the header of the owner column, for errors
	sysCol  string
}

// parseOMGrid maps the header of grid and parses each row's cells; it
// needs no store. Errors name their row and column.
func parseOMGrid(grid [][]string) ([]omRaw, []*i18n.Error) {
	if len(grid) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件是空的", "the file is empty")}
	}
	if len(grid) > MaxImportRows+1 {
		return nil, []*i18n.Error{i18n.Errorf("一次最多导入 %d 份申请", "at most %d requests can be imported at once", MaxImportRows)}
	}
	cols, errs := mapColumns(omImportCols, grid[0])
	if len(errs) > 0 {
		return nil, errs
	}
	colName, cell := cols.name, cols.cell
	var out []omRaw
	for n, rec := range grid[1:] {
		row := n + 2
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		raw := omRaw{Row: row, Owner: cell(rec, "owner"), System: cell(rec, "system"), ownerCo: colName["owner"], sysCol: colName["system"]}
		raw.N.Basis = cell(rec, "basis")
		bad := false
		fail := func(e *i18n.Error, field string) {
			errs = append(errs, e.At(row, colName[field]))
			bad = true
		}
		if y, err := strconv.Atoi(cell(rec, "year")); err != nil || y < 2013 || y > 2100 {
			fail(i18n.Errorf("年度应为 2013 至 2100 之间的整数：%q", "the year must be a whole number from 2013 to 2100: %q", cell(rec, "year")), "year")
		} else {
			raw.N.Year = y
		}
		if raw.Owner == "" {
			fail(i18n.Errorf("请填写单位代码", "the unit code is required"), "owner")
		}
		if raw.System == "" {
			fail(i18n.Errorf("请填写信息系统（目录中的编号或名称）", "the system is required (its number or name in the catalogue)"), "system")
		}
		if m, err := ParseWan(cell(rec, "amount")); err != nil {
			fail(asUserError(err), "amount")
		} else if m <= 0 {
			fail(i18n.Errorf("申请金额应大于 0（万元）", "the amount asked must be more than 0 (10,000 yuan)"), "amount")
		} else {
			raw.N.Amount = m
		}
		if v := cell(rec, "last_actual"); v != "" {
			if m, err := ParseWan(v); err != nil {
				fail(asUserError(err), "last_actual")
			} else {
				raw.N.LastActual = &m
			}
		}
		if len([]rune(raw.N.Basis)) > 2000 {
			fail(i18n.Errorf("测算依据过长（最多 2000 字）", "the basis is too long (2000 characters at most)"), "basis")
		}
		if !bad {
			out = append(out, raw)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件中没有申请", "the file holds no request")}
	}
	return out, nil
}

func asUserError(err error) *i18n.Error {
	var ue *i18n.Error
	if errors.As(err, &ue) {
		return ue
	}
	return i18n.Errorf("无法读取：%v", "cannot read: %v", err)
}

// OMImportRow is one checked request of a list with its input row.
type OMImportRow struct {
	Row int
	N   NewOM
}

// ReadOMImport reads an O&M request list (XLSX or CSV; the first sheet, a
// header row, one request a row) and checks every row: the unit must be
// one of scopes, the system in the catalogue and the unit's. It returns
// the rows when all are valid, otherwise every error with its row and
// column; nothing is written.
func (s *Service) ReadOMImport(ctx context.Context, scopes []string, name string, r io.Reader) ([]OMImportRow, []*i18n.Error, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImportFile+1))
	if err != nil {
		return nil, nil, err
	}
	grid, errs, err := readGrid(name, b)
	if err != nil || len(errs) > 0 {
		return nil, errs, err
	}
	raws, errs := parseOMGrid(grid)
	if len(errs) > 0 {
		return nil, errs, nil
	}
	bySys := map[string]map[string][]int64{} // owner code → name/number → ids
	units := map[string]*orgunit.Unit{}
	var out []OMImportRow
	for _, raw := range raws {
		u, ok := units[raw.Owner]
		if !ok {
			got, err := orgunit.Get(ctx, s.DB, raw.Owner)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, nil, err
			}
			if err == nil {
				u = &got
			}
			units[raw.Owner] = u
		}
		if u == nil {
			errs = append(errs, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", raw.Owner).At(raw.Row, raw.ownerCo))
			continue
		}
		if !covered(u.Path, scopes) {
			errs = append(errs, i18n.Errorf("单位 %s 不在您的管辖范围内", "unit %s is outside your units", u.Code).At(raw.Row, raw.ownerCo))
			continue
		}
		m, ok := bySys[u.Code]
		if !ok {
			m = map[string][]int64{}
			rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name FROM project_system WHERE owner_code = $1`, u.Code)
			if err != nil {
				return nil, nil, fmt.Errorf("project: om import: %w", err)
			}
			for rows.Next() {
				var id int64
				var name string
				if err := rows.Scan(&id, &name); err != nil {
					rows.Close()
					return nil, nil, fmt.Errorf("project: om import: %w", err)
				}
				m[strings.TrimSpace(name)] = append(m[strings.TrimSpace(name)], id)
				m["#"+strconv.FormatInt(id, 10)] = []int64{id}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, nil, err
			}
			bySys[u.Code] = m
		}
		ids := m[raw.System]
		if id, err := strconv.ParseInt(strings.TrimPrefix(raw.System, "#"), 10, 64); err == nil {
			ids = m["#"+strconv.FormatInt(id, 10)]
		}
		switch len(ids) {
		case 0:
			errs = append(errs, i18n.Errorf("单位 %[1]s 的信息系统目录中没有系统 %[2]q（须先在目录中登记，且属于该单位）",
				"the catalogue holds no system %[2]q of unit %[1]s (it must be registered there, as the unit's)", u.Code, raw.System).At(raw.Row, raw.sysCol))
			continue
		case 1:
		default:
			errs = append(errs, i18n.Errorf("单位 %[1]s 有多个名为 %[2]q 的系统，请填写系统编号", "unit %[1]s has several systems called %[2]q; give the system's number", u.Code, raw.System).At(raw.Row, raw.sysCol))
			continue
		}
		n := raw.N
		n.SystemID = ids[0]
		out = append(out, OMImportRow{Row: raw.Row, N: n})
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	return out, nil, nil
}

// ImportOM stores every row in one transaction: all of them, or none
// when one fails (the error names its row).
func (s *Service) ImportOM(ctx context.Context, a audit.Actor, scopes []string, rows []OMImportRow) ([]int64, error) {
	ns := make([]NewOM, len(rows))
	at := make([]int, len(rows))
	for i, r := range rows {
		ns[i], at[i] = r.N, r.Row
	}
	return s.submitOMs(ctx, a, scopes, ns, at, nil)
}

// PreviewOM checks rows as ImportOM would and returns the requests it
// would store, with their flags and without ids; nothing is written.
func (s *Service) PreviewOM(ctx context.Context, a audit.Actor, scopes []string, rows []OMImportRow) ([]*OMRequest, error) {
	ns := make([]NewOM, len(rows))
	at := make([]int, len(rows))
	for i, r := range rows {
		ns[i], at[i] = r.N, r.Row
	}
	var out []*OMRequest
	_, err := s.submitOMs(ctx, a, scopes, ns, at, &out)
	return out, err
}
