package ecstat

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// ErrOutside refuses an enterprise, unit or survey outside the caller's
// subtree.
var ErrOutside = errors.New("ecstat: outside the caller's units")

// Amount is an exact amount of money in hundredths of 万元 (units of 100
// yuan): 1234.56 万元 is Amount(123456).
type Amount int64

// ParseAmount reads a decimal amount in 万元 with at most two decimals
// ("1,234.5", "1234.56"), exactly, without going through float64.
func ParseAmount(s string) (Amount, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 2 || len(whole) > 15 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if whole == "" {
		v, err = strconv.ParseInt(frac, 10, 64)
	}
	if err != nil {
		return 0, false
	}
	if neg {
		v = -v
	}
	return Amount(v), true
}

// String formats a in 万元 with two decimals.
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Float is a in 万元 as a float64 (for estimation).
func (a Amount) Float() float64 { return float64(a) / 100 }

// Enterprise is one enterprise of the register.
type Enterprise struct {
	ID         int64  `json:"id"`
	CreditCode string `json:"credit_code"`
	Name       string `json:"name"`
	Industry   string `json:"industry"`
	Section    string `json:"section"`
	OrgCode    string `json:"org_code"`
	OrgPath    string `json:"org_path"`
	CityCode   string `json:"city_code"`
	Size       string `json:"size"`
	AboveScale bool   `json:"above_scale"`
	Employees  int64  `json:"employees"`
	Revenue    Amount `json:"revenue"`
	BornYear   int    `json:"born_year"`
	ClosedYear int    `json:"closed_year,omitempty"`
}

// Active reports whether e is in the register in year.
func (e Enterprise) Active(year int) bool {
	return e.BornYear <= year && (e.ClosedYear == 0 || e.ClosedYear > year)
}

const entCols = `id, credit_code, name, industry, section, org_code, org_path, city_code, size, above_scale, employees, revenue, born_year, closed_year`

func scanEnterprise(s interface{ Scan(...any) error }) (Enterprise, error) {
	var e Enterprise
	var above int
	var rev int64
	err := s.Scan(&e.ID, &e.CreditCode, &e.Name, &e.Industry, &e.Section, &e.OrgCode, &e.OrgPath, &e.CityCode, &e.Size, &above,
		&e.Employees, &rev, &e.BornYear, &e.ClosedYear)
	e.AboveScale, e.Revenue = above == 1, Amount(rev)
	return e, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inScopes reports whether path lies in one of scopes.
func inScopes(path string, scopes []string) bool {
	for _, s := range scopes {
		if orgunit.InSubtree(path, s) {
			return true
		}
	}
	return false
}

// Columns of the register file: the contract's English names and the
// Chinese headings of the NBS register (名录库) extracts.
var registerColumns = []struct {
	key      string
	names    []string
	required bool
}{
	{"credit_code", []string{"credit_code", "统一社会信用代码", "信用代码"}, true},
	{"name", []string{"name", "企业名称", "单位名称", "名称"}, true},
	{"industry", []string{"industry", "行业代码", "行业"}, true},
	{"org_code", []string{"org_code", "所在地区代码", "地区代码", "区划代码"}, true},
	{"size", []string{"size", "企业规模", "规模"}, true},
	{"above_scale", []string{"above_scale", "是否规模以上", "规模以上", "规上"}, true},
	{"employees", []string{"employees", "从业人员", "从业人员数"}, true},
	{"revenue", []string{"revenue", "营业收入（万元）", "营业收入(万元)", "营业收入"}, true},
	{"status", []string{"status", "经营状态", "状态"}, false},
}

// ImportOptions control [ImportRegister].
type ImportOptions struct {
	// Year is the register year: new enterprises are born in it, closed
	// ones die in it, and changes are recorded under it.
	Year int
	// Scopes are the subtrees the importer covers; every row's unit (and
	// an existing enterprise's old unit) must lie in one of them.
	Scopes []string
	// DryRun checks everything and writes nothing.
	DryRun bool
	// MaxErrors bounds the errors kept (default 200); all are counted.
	MaxErrors int
}

// ImportResult is what an import found and (unless dry or refused) did.
type ImportResult struct {
	Rows       int           `json:"rows"`
	Births     int           `json:"births"`
	Changes    int           `json:"changes"`
	Deaths     int           `json:"deaths"`
	Unchanged  int           `json:"unchanged"`
	Written    bool          `json:"written"`
	ErrorCount int           `json:"error_count"`
	Errors     []*i18n.Error `json:"errors,omitempty"`
}

// OK reports whether the file had no error.
func (r *ImportResult) OK() bool { return r.ErrorCount == 0 }

func (r *ImportResult) fail(max int, e *i18n.Error) {
	r.ErrorCount++
	if len(r.Errors) < max {
		r.Errors = append(r.Errors, e)
	}
}

type importRow struct {
	n      int
	e      Enterprise
	closed bool
}

// ImportRegister reads a register file (CSV or the first sheet of an XLSX
// workbook; header row first, see the package's column names) and, when
// every row is valid and the options allow, writes it in one transaction:
// new credit codes are births, rows whose fields differ are changes, rows
// with status 注销/closed are deaths. Every problem is reported with its
// row and column in Chinese and English and then nothing is written. The
// import is audited as one entry; each enterprise's births, deaths and
// changes are kept on its own history.
func ImportRegister(ctx context.Context, db *store.DB, a audit.Actor, name string, r io.Reader, opt ImportOptions) (*ImportResult, error) {
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 200
	}
	res := &ImportResult{}
	if opt.Year < 1990 || opt.Year > 2100 {
		res.fail(opt.MaxErrors, i18n.Errorf("年度 %d 不在 1990–2100 之间", "the year %d is not between 1990 and 2100", opt.Year).OnField("year"))
		return res, nil
	}
	var cols map[string]int
	var rows []*importRow // pointers: growing and sorting the list never copies the rows
	uerr, err := readTable(name, r, func(n int, rec []string) error {
		if cols == nil {
			cols = map[string]int{}
			for i, h := range rec {
				h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
				for _, c := range registerColumns {
					for _, nm := range c.names {
						if h == nm {
							if _, dup := cols[c.key]; !dup {
								cols[c.key] = i
							}
						}
					}
				}
			}
			var missing []string
			for _, c := range registerColumns {
				if _, ok := cols[c.key]; !ok && c.required {
					missing = append(missing, c.key)
				}
			}
			if len(missing) > 0 {
				res.fail(opt.MaxErrors, i18n.Errorf("表头缺少列：%s（应为 credit_code,name,industry,org_code,size,above_scale,employees,revenue）",
					"the header lacks columns: %s (expected credit_code,name,industry,org_code,size,above_scale,employees,revenue)", strings.Join(missing, ", ")).At(n, ""))
				return errStop
			}
			return nil
		}
		if blank(rec) {
			return nil
		}
		res.Rows++
		row, errs := parseRow(n, rec, cols, opt.Year)
		for _, e := range errs {
			res.fail(opt.MaxErrors, e)
		}
		if len(errs) > 0 {
			return ctx.Err()
		}
		rows = append(rows, &row)
		if n%50000 == 0 {
			return ctx.Err()
		}
		return nil
	})
	if err != nil && err != errStop {
		return nil, err
	}
	if uerr != nil {
		res.fail(opt.MaxErrors, uerr)
	}
	if cols == nil && res.ErrorCount == 0 {
		res.fail(opt.MaxErrors, i18n.Errorf("文件是空的", "the file is empty"))
	}
	if cols == nil || uerr != nil {
		return res, nil
	}
	if res.Rows == 0 && res.ErrorCount == 0 {
		res.fail(opt.MaxErrors, i18n.Errorf("文件中没有企业", "the file lists no enterprise"))
		return res, nil
	}
	// The rows in credit-code order (and file order within a code): a
	// repeated code is next to its first row, and new enterprises go in in
	// that order, so the code's index (and the unit's, since characters
	// 3–8 are the registering division) grows at its end instead of at
	// random pages, which is what makes a million-row import fast.
	// The codes are sorted as keys held in the list itself (a valid code
	// is 18 characters), not by following a pointer to each row's string.
	type sortKey struct {
		code [18]byte
		row  *importRow
	}
	keys := make([]sortKey, len(rows))
	for i, r := range rows {
		keys[i].row = r
		copy(keys[i].code[:], r.e.CreditCode)
	}
	slices.SortFunc(keys, func(a, b sortKey) int {
		if c := bytes.Compare(a.code[:], b.code[:]); c != 0 {
			return c
		}
		if c := strings.Compare(a.row.e.CreditCode, b.row.e.CreditCode); c != 0 {
			return c
		}
		return a.row.n - b.row.n
	})
	for i := range keys {
		rows[i] = keys[i].row
	}
	// Units: every row's unit must be a county-level unit the importer
	// covers. Each unit's path and city are worked out once.
	type unitOf struct {
		u          orgunit.Unit
		city       string
		ok, inside bool
	}
	byCode := map[string]*unitOf{}
	var list []string
	for _, row := range rows {
		if byCode[row.e.OrgCode] == nil {
			byCode[row.e.OrgCode] = &unitOf{}
			list = append(list, row.e.OrgCode)
		}
	}
	units, err := orgunit.GetMany(ctx, db, list)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		uo := byCode[u.Code]
		if uo == nil {
			continue
		}
		uo.u, uo.ok, uo.inside = u, true, inScopes(u.Path, opt.Scopes)
		if pc := orgunit.PathCodes(u.Path); len(pc) > 1 {
			uo.city = pc[1]
		}
	}
	existing, err := loadByCode(ctx, db)
	if err != nil {
		return nil, err
	}
	oc, cc := colName(cols["org_code"]), colName(cols["credit_code"])
	var births, updates []*importRow
	var changes []change
	closedBirths := 0
	for i, row := range rows {
		if i > 0 && row.e.CreditCode == rows[i-1].e.CreditCode {
			first := i - 1
			for first > 0 && rows[first-1].e.CreditCode == row.e.CreditCode {
				first--
			}
			res.fail(opt.MaxErrors, i18n.Errorf("统一社会信用代码 %s 与第 %d 行重复", "unified social credit code %s repeats row %d", row.e.CreditCode, rows[first].n).At(row.n, cc))
			continue
		}
		uo := byCode[row.e.OrgCode]
		u := uo.u
		switch {
		case !uo.ok:
			res.fail(opt.MaxErrors, i18n.Errorf("未知的地区代码 %s", "unknown unit code %s", row.e.OrgCode).At(row.n, oc))
			continue
		case u.Kind != orgunit.County:
			res.fail(opt.MaxErrors, i18n.Errorf("地区代码 %s（%s）不是县级单位：请填写企业所在县（市、区）的代码", "unit %s (%s) is not a county: give the enterprise's county code", u.Code, u.Name).At(row.n, oc))
			continue
		case !uo.inside:
			res.fail(opt.MaxErrors, i18n.Errorf("地区 %s（%s）不在您管理的范围内", "unit %s (%s) is outside your units", u.Code, u.Name).At(row.n, oc))
			continue
		}
		row.e.OrgPath, row.e.CityCode = u.Path, uo.city
		old, exists := existing[row.e.CreditCode]
		if !exists {
			row.e.BornYear = opt.Year
			if row.closed {
				row.e.ClosedYear = opt.Year
				closedBirths++
			}
			births = append(births, row)
			continue
		}
		if !inScopes(old.OrgPath, opt.Scopes) {
			res.fail(opt.MaxErrors, i18n.Errorf("企业 %s 登记在您管理范围之外的地区 %s", "enterprise %s is registered in %s, outside your units", old.CreditCode, old.OrgCode).At(row.n, cc))
			continue
		}
		row.e.ID, row.e.BornYear, row.e.ClosedYear = old.ID, old.BornYear, old.ClosedYear
		kind := "change"
		switch {
		case row.closed && old.ClosedYear == 0:
			row.e.ClosedYear, kind = opt.Year, "death"
		case !row.closed && old.ClosedYear != 0:
			row.e.ClosedYear = 0 // listed again as operating: revived
		}
		d := diff(old, row.e)
		if len(d) == 0 {
			res.Unchanged++
			continue
		}
		if kind == "death" {
			res.Deaths++
		} else {
			res.Changes++
		}
		updates = append(updates, row)
		changes = append(changes, change{id: old.ID, kind: kind, detail: d})
	}
	res.Births = len(births)
	// The errors in the order of the file's rows (those of the checks
	// after reading came in credit-code order).
	slices.SortStableFunc(res.Errors, func(a, b *i18n.Error) int { return a.Row - b.Row })
	if res.ErrorCount > 0 || opt.DryRun {
		return res, nil
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		// One register import at a time: the deaths of enterprises listed
		// as closed when first registered are written from the rows this
		// transaction adds (ids above the largest one).
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		if err := ensureCells(ctx, tx); err != nil {
			return err
		}
		var maxID int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM ecstat_enterprise`).Scan(&maxID); err != nil {
			return err
		}
		// A birth is the enterprise's row itself (born_year, registered_by,
		// registered_at): its history shows it without a row of its own
		// (see [Changes]), and the import is audited as one entry.
		_, err := tx.Copy(ctx, "ecstat_enterprise", []string{"credit_code", "name", "industry", "section", "org_code", "org_path", "city_code",
			"size", "above_scale", "employees", "revenue", "born_year", "closed_year", "updated_at", "registered_by", "registered_at"}, func(yield func([]any) error) error {
			rowv := make([]any, 16)
			for _, b := range births {
				e := b.e
				rowv[0], rowv[1], rowv[2], rowv[3], rowv[4], rowv[5], rowv[6] = e.CreditCode, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode
				rowv[7], rowv[8], rowv[9], rowv[10], rowv[11], rowv[12], rowv[13] = e.Size, b2i(e.AboveScale), e.Employees, int64(e.Revenue), e.BornYear, e.ClosedYear, now
				rowv[14], rowv[15] = a.Name, now
				if err := yield(rowv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ecstat: insert enterprises: %w", err)
		}
		if len(updates) > 0 {
			st, err := tx.PrepareContext(ctx, `UPDATE ecstat_enterprise SET name = $1, industry = $2, section = $3, org_code = $4, org_path = $5, city_code = $6,
				size = $7, above_scale = $8, employees = $9, revenue = $10, closed_year = $11, updated_at = $12 WHERE id = $13`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, u := range updates {
				e := u.e
				if _, err := st.ExecContext(ctx, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath, e.CityCode, e.Size, b2i(e.AboveScale), e.Employees,
					int64(e.Revenue), e.ClosedYear, now, e.ID); err != nil {
					return fmt.Errorf("ecstat: update enterprise: %w", err)
				}
			}
		}
		// The register summary changes with the rows (see regsum.go).
		d := cells{}
		var tmp big.Int
		for _, b := range births {
			d.enterprise(&b.e, 1, &tmp)
		}
		for _, u := range updates {
			old := existing[u.e.CreditCode]
			d.enterprise(&old, -1, &tmp)
			d.enterprise(&u.e, 1, &tmp)
		}
		if err := applyCells(ctx, tx, d); err != nil {
			return err
		}
		if closedBirths > 0 {
			// The deaths of enterprises listed as closed when first
			// registered are recorded by the database from the new rows,
			// without reading them back.
			dead := `json_object('closed_year', json_array(0, closed_year))`
			if tx.Dialect == store.Postgres {
				dead = `json_build_object('closed_year', json_build_array(0, closed_year))::text`
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_change (enterprise_id, year, kind, detail, actor_name, at)
				SELECT id, $1, 'death', `+dead+`, $2, $3 FROM ecstat_enterprise WHERE id > $4 AND closed_year <> 0 ORDER BY id`, opt.Year, a.Name, now, maxID); err != nil {
				return fmt.Errorf("ecstat: record deaths at birth: %w", err)
			}
		}
		if _, err := tx.Copy(ctx, "ecstat_change", []string{"enterprise_id", "year", "kind", "detail", "actor_name", "at"}, func(yield func([]any) error) error {
			for _, c := range changes {
				b, err := json.Marshal(c.detail)
				if err != nil {
					return err
				}
				if err := yield([]any{c.id, opt.Year, c.kind, string(b), a.Name, now}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("ecstat: record changes: %w", err)
		}
		return audit.Record(ctx, tx, a, "import", "ecstat_register", strconv.Itoa(opt.Year), commonScope(opt.Scopes), nil,
			map[string]any{"file": name, "rows": res.Rows, "births": res.Births, "changes": res.Changes, "deaths": res.Deaths, "unchanged": res.Unchanged})
	})
	if err != nil {
		return nil, err
	}
	res.Written = true
	return res, nil
}

var errStop = errors.New("stop")

func commonScope(scopes []string) string {
	if len(scopes) == 1 {
		return scopes[0]
	}
	return "/" + orgunit.Root + "/"
}

type change struct {
	id     int64
	kind   string
	detail map[string][2]any
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// parseRow reads one data row.
func parseRow(n int, rec []string, cols map[string]int, year int) (importRow, []*i18n.Error) {
	// The column's letter is only worked out for an error.
	get := func(k string) (string, int) {
		i, ok := cols[k]
		if !ok || i >= len(rec) {
			return "", i
		}
		return strings.TrimSpace(rec[i]), i
	}
	var errs []*i18n.Error
	row := importRow{n: n}
	e := &row.e
	v, c := get("credit_code")
	e.CreditCode = NormalizeCreditCode(v)
	if err := CheckCreditCode(e.CreditCode); err != nil {
		errs = append(errs, err.At(n, colName(c)))
	}
	v, c = get("name")
	e.Name = v
	if v == "" || len([]rune(v)) > 200 {
		errs = append(errs, i18n.Errorf("企业名称不能为空，且不超过 200 字", "the name is required and at most 200 characters").At(n, colName(c)))
	}
	v, c = get("industry")
	if code, sec, err := ParseIndustry(v); err != nil {
		errs = append(errs, err.At(n, colName(c)))
	} else {
		e.Industry, e.Section = code, sec
	}
	v, c = get("org_code")
	e.OrgCode = v
	if v == "" {
		errs = append(errs, i18n.Errorf("地区代码不能为空", "the unit code is required").At(n, colName(c)))
	}
	v, c = get("size")
	if s, err := ParseSize(v); err != nil {
		errs = append(errs, err.At(n, colName(c)))
	} else {
		e.Size = s
	}
	v, c = get("above_scale")
	if b, ok := ParseYesNo(v); !ok {
		errs = append(errs, i18n.Errorf("是否规模以上应为 是 或 否：%q", "above_scale must be yes or no: %q", v).At(n, colName(c)))
	} else {
		e.AboveScale = b
	}
	v, c = get("employees")
	if k, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64); err != nil || k < 0 || k > 10_000_000 {
		errs = append(errs, i18n.Errorf("从业人员应为不小于 0 的整数：%q", "employees must be a whole number of at least 0: %q", v).At(n, colName(c)))
	} else {
		e.Employees = k
	}
	v, c = get("revenue")
	if amt, ok := ParseAmount(v); !ok || amt < 0 {
		errs = append(errs, i18n.Errorf("营业收入（万元）应为不小于 0 的数，最多两位小数：%q", "revenue (10k yuan) must be a number of at least 0 with at most two decimals: %q", v).At(n, colName(c)))
	} else {
		e.Revenue = amt
	}
	if v, c = get("status"); v != "" {
		switch strings.ToLower(v) {
		case "在营", "正常", "active", "operating", "存续":
		case "注销", "关闭", "closed", "吊销", "dead":
			row.closed = true
		default:
			errs = append(errs, i18n.Errorf("经营状态应为 在营 或 注销：%q", "status must be active or closed: %q", v).At(n, colName(c)))
		}
	}
	return row, errs
}

// diff lists the fields that differ between old and new as field →
// [before, after].
func diff(old, new Enterprise) map[string][2]any {
	d := map[string][2]any{}
	add := func(k string, a, b any) {
		if a != b {
			d[k] = [2]any{a, b}
		}
	}
	add("name", old.Name, new.Name)
	add("industry", old.Industry, new.Industry)
	add("org_code", old.OrgCode, new.OrgCode)
	add("size", old.Size, new.Size)
	add("above_scale", old.AboveScale, new.AboveScale)
	add("employees", old.Employees, new.Employees)
	add("revenue", old.Revenue.String(), new.Revenue.String())
	add("closed_year", old.ClosedYear, new.ClosedYear)
	return d
}

func loadByCode(ctx context.Context, db *store.DB) (map[string]Enterprise, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+entCols+` FROM ecstat_enterprise`)
	if err != nil {
		return nil, fmt.Errorf("ecstat: load register: %w", err)
	}
	defer rows.Close()
	out := map[string]Enterprise{}
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, err
		}
		out[e.CreditCode] = e
	}
	return out, rows.Err()
}

// Filter selects enterprises of the register.
type Filter struct {
	Scopes  []string // subtrees the caller covers
	Unit    string   // a unit's path: only its subtree
	Section string
	Query   string // part of the name or the credit code
	Year    int    // active in that year (0: any)
	Limit   int    // default and cap 500
}

// Enterprises lists the register's enterprises matching f, by credit
// code, at most f.Limit, with the number matching.
func Enterprises(ctx context.Context, db *store.DB, f Filter) ([]Enterprise, int, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	var args store.Args
	var conds []string
	var sc []string
	for _, s := range f.Scopes {
		sc = append(sc, "org_path LIKE "+args.Add(s+"%"))
	}
	if len(sc) == 0 {
		return nil, 0, nil
	}
	conds = append(conds, "("+strings.Join(sc, " OR ")+")")
	if f.Unit != "" {
		conds = append(conds, "org_path LIKE "+args.Add(f.Unit+"%"))
	}
	if f.Section != "" {
		conds = append(conds, "section = "+args.Add(f.Section))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, "(name LIKE "+args.Add("%"+q+"%")+" OR credit_code = "+args.Add(strings.ToUpper(q))+")")
	}
	if f.Year > 0 {
		y := args.Add(f.Year)
		conds = append(conds, "born_year <= "+y+" AND (closed_year = 0 OR closed_year > "+y+")")
	}
	where := " WHERE " + strings.Join(conds, " AND ")
	var total int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_enterprise`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("ecstat: count enterprises: %w", err)
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+entCols+` FROM ecstat_enterprise`+where+` ORDER BY credit_code LIMIT `+strconv.Itoa(f.Limit), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("ecstat: list enterprises: %w", err)
	}
	defer rows.Close()
	var out []Enterprise
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// GetEnterprise returns enterprise id if it lies in scopes (wraps
// store.ErrNotFound when there is none, [ErrOutside] when out of scope).
func GetEnterprise(ctx context.Context, db *store.DB, scopes []string, id int64) (Enterprise, error) {
	e, err := scanEnterprise(db.R.QueryRowContext(ctx, `SELECT `+entCols+` FROM ecstat_enterprise WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("ecstat: enterprise %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return e, err
	}
	if !inScopes(e.OrgPath, scopes) {
		return e, ErrOutside
	}
	return e, nil
}

// Change is one step of an enterprise's history.
type Change struct {
	Year   int
	Kind   string // birth, change, death
	Detail map[string][2]any
	Actor  string
	At     time.Time
}

// Changes returns the history of enterprise id, oldest first. Its birth
// is the enterprise's registration (born_year, registered_by,
// registered_at), with the name and unit it had then (the first change of
// each says what it was before); an enterprise registered before births
// were read from the register keeps the birth row written then.
func Changes(ctx context.Context, db *store.DB, id int64) ([]Change, error) {
	out, err := storedChanges(ctx, db, id)
	if err != nil {
		return nil, err
	}
	for _, c := range out {
		if c.Kind == "birth" {
			return out, nil
		}
	}
	var name, org, by string
	var born int
	var at sql.NullTime
	var updated time.Time
	err = db.R.QueryRowContext(ctx, `SELECT name, org_code, born_year, registered_by, registered_at, updated_at FROM ecstat_enterprise WHERE id = $1`, id).
		Scan(&name, &org, &born, &by, &at, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ecstat: birth: %w", err)
	}
	var nameThen, orgThen any = name, org
	for i := len(out) - 1; i >= 0; i-- {
		if d, ok := out[i].Detail["name"]; ok {
			nameThen = d[0]
		}
		if d, ok := out[i].Detail["org_code"]; ok {
			orgThen = d[0]
		}
	}
	if !at.Valid {
		at.Time = updated
	}
	birth := Change{Year: born, Kind: "birth", Detail: map[string][2]any{"name": {nil, nameThen}, "org_code": {nil, orgThen}}, Actor: by, At: at.Time}
	return append([]Change{birth}, out...), nil
}

// storedChanges are the rows of enterprise id's history, oldest first.
func storedChanges(ctx context.Context, db *store.DB, id int64) ([]Change, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT year, kind, detail, actor_name, at FROM ecstat_change WHERE enterprise_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var d string
		if err := rows.Scan(&c.Year, &c.Kind, &d, &c.Actor, &c.At); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(d), &c.Detail); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// YearCount is the number of births, deaths and changes of one year.
type YearCount struct {
	Year                    int
	Births, Deaths, Changes int
}

// Demography counts births, deaths and changes by year for the
// enterprises in scopes, newest year first: births from the register's
// years of birth, deaths and changes from the enterprises' histories.
func Demography(ctx context.Context, db *store.DB, scopes []string) ([]YearCount, error) {
	var args store.Args
	var sc []string
	for _, s := range scopes {
		sc = append(sc, "e.org_path LIKE "+args.Add(s+"%"))
	}
	if len(sc) == 0 {
		return nil, nil
	}
	by := map[int]*YearCount{}
	add := func(q string) error {
		rows, err := db.R.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("ecstat: demography: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var y, n int
			var k string
			if err := rows.Scan(&y, &k, &n); err != nil {
				return err
			}
			yc := by[y]
			if yc == nil {
				yc = &YearCount{Year: y}
				by[y] = yc
			}
			switch k {
			case "birth":
				yc.Births += n
			case "death":
				yc.Deaths += n
			default:
				yc.Changes += n
			}
		}
		return rows.Err()
	}
	where := "(" + strings.Join(sc, " OR ") + ")"
	if err := add(`SELECT e.born_year, 'birth', COUNT(*) FROM ecstat_enterprise e WHERE ` + where + ` GROUP BY e.born_year`); err != nil {
		return nil, err
	}
	if err := add(`SELECT c.year, c.kind, COUNT(*) FROM ecstat_change c JOIN ecstat_enterprise e ON e.id = c.enterprise_id
		WHERE ` + where + ` AND c.kind <> 'birth' GROUP BY c.year, c.kind`); err != nil {
		return nil, err
	}
	out := make([]YearCount, 0, len(by))
	for _, yc := range by {
		out = append(out, *yc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year > out[j].Year })
	return out, nil
}

// Close records the death of enterprise id in year (注销), audited.
func Close(ctx context.Context, db *store.DB, a audit.Actor, scopes []string, id int64, year int) error {
	e, err := GetEnterprise(ctx, db, scopes, id)
	if err != nil {
		return err
	}
	if e.ClosedYear != 0 {
		return i18n.Errorf("该企业已于 %d 年注销", "the enterprise was closed in %d", e.ClosedYear)
	}
	if year < e.BornYear || year > 2100 {
		return i18n.Errorf("注销年度 %d 不能早于登记年度 %d", "the closing year %d cannot precede the registration year %d", year, e.BornYear).OnField("year")
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "ecstat_register"); err != nil {
			return err
		}
		if err := ensureCells(ctx, tx); err != nil {
			return err
		}
		// As it is now, under the lock: the summary moves it from its row.
		e, err := scanEnterprise(tx.QueryRowContext(ctx, `SELECT `+entCols+` FROM ecstat_enterprise WHERE id = $1`, id))
		if err != nil {
			return err
		}
		if e.ClosedYear != 0 {
			return i18n.Errorf("该企业已于 %d 年注销", "the enterprise was closed in %d", e.ClosedYear)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ecstat_enterprise SET closed_year = $1, updated_at = $2 WHERE id = $3`, year, store.Now(), id); err != nil {
			return err
		}
		d := cells{}
		var tmp big.Int
		d.enterprise(&e, -1, &tmp)
		closed := e
		closed.ClosedYear = year
		d.enterprise(&closed, 1, &tmp)
		if err := applyCells(ctx, tx, d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_change (enterprise_id, year, kind, detail, actor_name, at) VALUES ($1, $2, 'death', $3, $4, $5)`,
			id, year, fmt.Sprintf(`{"closed_year":[0,%d]}`, year), a.Name, store.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "close", "ecstat_enterprise", strconv.FormatInt(id, 10), e.OrgPath, e, map[string]int{"closed_year": year})
	})
}

// LinkAccount lets the account userID answer surveys for enterprise id.
func LinkAccount(ctx context.Context, db *store.DB, a audit.Actor, scopes []string, id, userID int64) error {
	e, err := GetEnterprise(ctx, db, scopes, id)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_account WHERE user_id = $1 AND enterprise_id = $2`, userID, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_account (user_id, enterprise_id) VALUES ($1, $2)`, userID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "link", "ecstat_enterprise", strconv.FormatInt(id, 10), e.OrgPath, nil, map[string]int64{"user_id": userID})
	})
}

// AccountEnterprises lists the enterprises the account userID answers for.
func AccountEnterprises(ctx context.Context, db *store.DB, userID int64) ([]Enterprise, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+prefixed("e.")+` FROM ecstat_enterprise e JOIN ecstat_account a ON a.enterprise_id = e.id
		WHERE a.user_id = $1 ORDER BY e.credit_code`, userID)
	if err != nil {
		return nil, fmt.Errorf("ecstat: account enterprises: %w", err)
	}
	defer rows.Close()
	var out []Enterprise
	for rows.Next() {
		e, err := scanEnterprise(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// IsAccountOf reports whether account userID answers for enterprise id.
func IsAccountOf(ctx context.Context, db *store.DB, userID, id int64) (bool, error) {
	var n int
	err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_account WHERE user_id = $1 AND enterprise_id = $2`, userID, id).Scan(&n)
	return n > 0, err
}

func prefixed(p string) string {
	parts := strings.Split(entCols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
