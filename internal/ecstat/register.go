package ecstat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
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

var errStop = errors.New("stop")

func commonScope(scopes []string) string {
	if len(scopes) == 1 {
		return scopes[0]
	}
	return "/" + orgunit.Root + "/"
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
