package webcheck

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// ImportResult counts what an import did.
type ImportResult struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
}

// importColumns are the columns of a site list, with the header names
// accepted for each.
var importColumns = []struct {
	key, zh string
	names   []string
}{
	{"name", "网站名称", []string{"name", "名称", "网站名称", "site"}},
	{"url", "网址", []string{"url", "网址", "地址", "网站地址", "域名"}},
	{"org_code", "主管单位代码", []string{"owner code", "owner", "org_code", "org", "主管单位代码", "单位代码", "主办单位代码", "主管单位"}},
	{"kind", "类型", []string{"kind", "类型", "网站类型"}},
}

const maxImportRows = 5000

// ReadSiteRows reads a site list from CSV (UTF-8, optional BOM) or XLSX
// (first sheet), chosen by the file name's extension or, failing that, by
// content. Columns are name, url, owner code, kind, in that order unless a
// header row names them.
func ReadSiteRows(filename string, r io.Reader) ([][]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, 20<<20))
	if err != nil {
		return nil, fmt.Errorf("webcheck: read import: %w", err)
	}
	isXLSX := strings.HasSuffix(strings.ToLower(filename), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04"))
	if isXLSX {
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, i18n.Errors{i18n.Errorf("无法读取Excel文件", "cannot read the Excel file")}
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, i18n.Errors{i18n.Errorf("Excel文件没有工作表", "the Excel file has no sheet")}
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, i18n.Errors{i18n.Errorf("无法读取工作表 %s", "cannot read sheet %s", sheets[0])}
		}
		return rows, nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rows, err := cr.ReadAll()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, i18n.Errors{i18n.Errorf("CSV格式错误：%v", "malformed CSV: %v", pe.Err).At(pe.StartLine, "")}
		}
		return nil, i18n.Errors{i18n.Errorf("CSV格式错误", "malformed CSV")}
	}
	return rows, nil
}

// ParseSiteRows turns rows into site inputs. It recognises an optional
// header row; errors carry the 1-based row and the column name.
func ParseSiteRows(rows [][]string) ([]SiteInput, []int, error) {
	order := []int{0, 1, 2, 3} // column index of name, url, org_code, kind
	first := 0
	if len(rows) > 0 {
		found := map[string]int{}
		for i, cell := range rows[0] {
			c := strings.ToLower(strings.TrimSpace(cell))
			for _, col := range importColumns {
				for _, n := range col.names {
					if c == n {
						found[col.key] = i
					}
				}
			}
		}
		if len(found) > 0 {
			var errs i18n.Errors
			for k, col := range importColumns {
				i, ok := found[col.key]
				if !ok {
					errs = append(errs, (&i18n.Error{Text: i18n.Text{Zh: "表头缺少「" + col.zh + "」列", En: "the header has no \"" + col.names[0] + "\" column"}}).At(1, col.names[0]))
				}
				order[k] = i
			}
			if len(errs) > 0 {
				return nil, nil, errs
			}
			first = 1
		}
	}
	cell := func(row []string, k int) string {
		if order[k] < len(row) {
			return strings.TrimSpace(row[order[k]])
		}
		return ""
	}
	var out []SiteInput
	var lines []int
	for i := first; i < len(rows); i++ {
		row := rows[i]
		blank := true
		for _, c := range row {
			blank = blank && strings.TrimSpace(c) == ""
		}
		if blank {
			continue
		}
		out = append(out, SiteInput{Name: cell(row, 0), URL: cell(row, 1), OrgCode: cell(row, 2), Kind: cell(row, 3)})
		lines = append(lines, i+1)
	}
	if len(out) == 0 {
		return nil, nil, i18n.Errors{i18n.Errorf("文件中没有网站", "the file lists no sites")}
	}
	if len(out) > maxImportRows {
		return nil, nil, i18n.Errors{i18n.Errorf("一次最多导入 %d 个网站", "at most %d sites per import", maxImportRows)}
	}
	return out, lines, nil
}

// fieldColumn names the import column of a SiteInput field.
var fieldColumn = map[string]string{"name": "name", "url": "url", "org_code": "owner code", "kind": "kind"}

// ImportSites registers or updates (by URL) every site in a CSV or XLSX
// list, all or nothing: when any row is wrong nothing is saved and every
// error is returned with its row and column.
//
// Sites at non-public addresses are refused unless allowPrivate is set.
func ImportSites(ctx context.Context, db *store.DB, actor audit.Actor, filename string, r io.Reader, allowed func(path string) bool, allowPrivate bool) (ImportResult, error) {
	var res ImportResult
	rows, err := ReadSiteRows(filename, r)
	if err != nil {
		return res, err
	}
	ins, lines, err := ParseSiteRows(rows)
	if err != nil {
		return res, err
	}
	var errs i18n.Errors
	units := make([]orgunit.Unit, len(ins))
	seen := map[string]int{}
	for i := range ins {
		ins[i].AllowPrivate = allowPrivate
		unit, es := ins[i].check(ctx, db)
		for _, e := range es {
			errs = append(errs, e.At(lines[i], fieldColumn[e.Field]))
		}
		if len(es) == 0 && allowed != nil && !allowed(unit.Path) {
			errs = append(errs, outsideScope(ins[i].OrgCode).At(lines[i], "owner code"))
		}
		if prev, dup := seen[ins[i].URL]; dup && ins[i].URL != "" {
			errs = append(errs, i18n.Errorf("网址与第%d行重复", "URL repeats row %d", prev).At(lines[i], "url"))
		}
		seen[ins[i].URL] = lines[i]
		units[i] = unit
	}
	if len(errs) > 0 {
		return res, errs
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		for i, in := range ins {
			var id int64
			var oldPath string
			err := tx.QueryRowContext(ctx, `SELECT id, org_path FROM webcheck_site WHERE url = $1`, in.URL).Scan(&id, &oldPath)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				if err := tx.QueryRowContext(ctx, `INSERT INTO webcheck_site (url, name, kind, org_code, org_path, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.URL, in.Name, in.Kind, units[i].Code, units[i].Path, now).Scan(&id); err != nil {
					return err
				}
				res.Created++
				if err := audit.Record(ctx, tx, actor, "import", "webcheck_site", fmt.Sprint(id), units[i].Path, nil, in); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				if allowed != nil && !allowed(oldPath) {
					return i18n.Errors{i18n.Errorf("网址 %s 已由您管理范围以外的单位登记", "URL %s is registered by a unit outside your scope", in.URL).At(lines[i], "url")}
				}
				if _, err := tx.ExecContext(ctx, `UPDATE webcheck_site SET name = $1, kind = $2, org_code = $3, org_path = $4, updated_at = $5 WHERE id = $6`,
					in.Name, in.Kind, units[i].Code, units[i].Path, now, id); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE webcheck_problem SET org_code = $1, org_path = $2 WHERE site_id = $3`, units[i].Code, units[i].Path, id); err != nil {
					return err
				}
				res.Updated++
				if err := audit.Record(ctx, tx, actor, "import", "webcheck_site", fmt.Sprint(id), units[i].Path, nil, in); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		var el i18n.Errors
		if errors.As(err, &el) {
			return ImportResult{}, el
		}
		return ImportResult{}, fmt.Errorf("webcheck: import sites: %w", err)
	}
	return res, nil
}
