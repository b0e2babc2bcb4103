package reporting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"zhihui/internal/calendar"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// ErrNotFound is returned for an unknown data set, rule or notification.
var ErrNotFound = fmt.Errorf("reporting: %w", store.ErrNotFound)

// DataSet is a form: the elements one kind of unit reports together for
// each period, and when it is due.
type DataSet struct {
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	NameEn     string   `json:"name_en"`
	PeriodType string   `json:"period_type"` // monthly, quarterly, sixmonthly, yearly
	OrgKinds   []string `json:"org_kinds"`   // orgunit kinds that report it (county, village, department …)
	// DueDays is how many days after the period ends the report is due:
	// 15 means by the 15th of the following month (or quarter's next
	// month), 20 for yearly reports means by 20 January.
	DueDays  int      `json:"due_days"`
	Elements []string `json:"elements"`
}

// DisplayName is the data set's name in lang.
func (d DataSet) DisplayName(lang string) string { return i18n.Text{Zh: d.Name, En: d.NameEn}.In(lang) }

// PType is the data set's period type.
func (d DataSet) PType() period.Type {
	t, _ := period.ParseType(d.PeriodType)
	return t
}

// Due is the deadline of period p: the end of the DueDays-th day after
// it ends (Asia/Shanghai) or, when that day is not a working day (a
// weekend or public holiday in the working-day calendar), the end of the
// next working day (截止日遇节假日顺延). A report at or before Due is on
// time. DueDays 0 is the period's last day, postponed likewise.
func (d DataSet) Due(p period.Period) time.Time {
	last := p.End().AddDate(0, 0, d.DueDays-1)
	if c := calendar.Default(); !c.IsWorkingDay(last) {
		last = c.AddWorkingDays(last, 1)
	}
	return last.AddDate(0, 0, 1)
}

// ReportedBy reports whether units of kind report d.
func (d DataSet) ReportedBy(kind string) bool {
	for _, k := range d.OrgKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Has reports whether d holds element code.
func (d DataSet) Has(code string) bool {
	for _, e := range d.Elements {
		if e == code {
			return true
		}
	}
	return false
}

// Levels are the levels of d's unit kinds.
func (d DataSet) Levels() []int {
	seen := map[int]bool{}
	var out []int
	for _, k := range d.OrgKinds {
		if l, ok := orgunit.LevelOf[k]; ok && !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

var dsCodeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)

// ValidateDataSet checks d against the element catalogue (els by code).
func ValidateDataSet(d DataSet, els map[string]monitor.Element) []*i18n.Error {
	var errs []*i18n.Error
	if !dsCodeRE.MatchString(d.Code) {
		errs = append(errs, i18n.Errorf("代码 %q 无效", "code %q is invalid", d.Code).OnField("code"))
	}
	if strings.TrimSpace(d.Name) == "" {
		errs = append(errs, i18n.Errorf("请填写中文名称", "the Chinese name is required").OnField("name"))
	}
	t, err := period.ParseType(d.PeriodType)
	if err != nil {
		errs = append(errs, i18n.Errorf("未知的周期类型 %q", "unknown period type %q", d.PeriodType).OnField("period_type"))
	}
	if len(d.OrgKinds) == 0 {
		errs = append(errs, i18n.Errorf("请指定填报单位类型", "name the kinds of unit that report").OnField("org_kinds"))
	}
	for _, k := range d.OrgKinds {
		if _, ok := orgunit.LevelOf[k]; !ok {
			errs = append(errs, i18n.Errorf("未知的单位类型 %q", "unknown unit kind %q", k).OnField("org_kinds"))
		}
	}
	if d.DueDays < 0 || d.DueDays > 366 {
		errs = append(errs, i18n.Errorf("截止天数须在 0–366 之间", "due days must be within 0–366").OnField("due_days"))
	}
	if len(d.Elements) == 0 {
		errs = append(errs, i18n.Errorf("表单至少包含一个数据元", "a form holds at least one data element").OnField("elements"))
	}
	for _, c := range d.Elements {
		e, ok := els[c]
		switch {
		case !ok:
			errs = append(errs, i18n.Errorf("未知的数据元 %s", "unknown data element %s", c).OnField("elements"))
		case err == nil && e.PType() != t:
			errs = append(errs, (&i18n.Error{Text: i18n.Text{Zh: "数据元 " + c + " 按" + e.PType().Zh() + "报送，与表单周期不符", En: "data element " + c + " is reported " + e.PeriodType + ", not as the form"}}).OnField("elements"))
		}
	}
	return errs
}

func elementIndex(ctx context.Context, db *store.DB) (map[string]monitor.Element, error) {
	els, err := monitor.Elements(ctx, db)
	if err != nil {
		return nil, err
	}
	m := make(map[string]monitor.Element, len(els))
	for _, e := range els {
		m[e.Code] = e
	}
	return m, nil
}

// SaveDataSet creates or replaces (by code) a data set; audited.
func SaveDataSet(ctx context.Context, db *store.DB, actor audit.Actor, d DataSet) error {
	els, err := elementIndex(ctx, db)
	if err != nil {
		return err
	}
	if errs := ValidateDataSet(d, els); len(errs) > 0 {
		return i18n.Errors(errs)
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		old, err := getDataSet(ctx, tx, d.Code)
		var before any
		if err == nil {
			before = old
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err == nil && old.PeriodType != d.PeriodType {
			// Reports are kept per period of the form's type; a form that
			// has reports keeps its type.
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM reporting_approval WHERE dataset = $1 LIMIT 1", d.Code).Scan(&one)
			if err == nil {
				return i18n.Errors([]*i18n.Error{i18n.Errorf("表单“%s”已有报表，不能更改周期类型", "form %s has reports; its period type cannot change", d.Code).OnField("period_type")})
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("reporting: reports of %s: %w", d.Code, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reporting_dataset (code, name, name_en, period_type, org_kinds, due_days, elements, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, period_type = excluded.period_type,
			org_kinds = excluded.org_kinds, due_days = excluded.due_days, elements = excluded.elements, updated_at = excluded.updated_at`,
			d.Code, d.Name, d.NameEn, d.PeriodType, strings.Join(d.OrgKinds, ","), d.DueDays, strings.Join(d.Elements, ","), store.Now()); err != nil {
			return fmt.Errorf("reporting: save data set: %w", err)
		}
		return audit.Record(ctx, tx, actor, "save", "dataset", d.Code, "", before, d)
	})
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

const dsCols = "code, name, name_en, period_type, org_kinds, due_days, elements"

func scanDataSet(s interface{ Scan(...any) error }) (DataSet, error) {
	var d DataSet
	var kinds, els string
	err := s.Scan(&d.Code, &d.Name, &d.NameEn, &d.PeriodType, &kinds, &d.DueDays, &els)
	d.OrgKinds = splitList(kinds)
	d.Elements = splitList(els)
	return d, err
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func getDataSet(ctx context.Context, q querier, code string) (DataSet, error) {
	d, err := scanDataSet(q.QueryRowContext(ctx, "SELECT "+dsCols+" FROM reporting_dataset WHERE code = $1", code))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%w: data set %s", ErrNotFound, code)
	}
	return d, err
}

// GetDataSet returns the data set with code, or an error wrapping
// ErrNotFound.
func GetDataSet(ctx context.Context, db *store.DB, code string) (DataSet, error) {
	return getDataSet(ctx, db.R, code)
}

// DataSets lists every data set by code.
func DataSets(ctx context.Context, db *store.DB) ([]DataSet, error) {
	return listDataSets(ctx, db.R)
}

func listDataSets(ctx context.Context, q querier) ([]DataSet, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+dsCols+" FROM reporting_dataset ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("reporting: list data sets: %w", err)
	}
	defer rows.Close()
	var out []DataSet
	for rows.Next() {
		d, err := scanDataSet(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// CheckPeriod parses id as a period of d's type that has ended or is
// running (reports for future periods cannot be opened).
func (d DataSet) CheckPeriod(id string, now time.Time) (period.Period, error) {
	p, err := period.Parse(strings.TrimSpace(id))
	if err != nil {
		return p, err
	}
	if p.Type != d.PType() {
		return p, i18n.Errorf("表单“%s”按%s填报，报告期 %s 不符", "form %s is reported %s; period %s does not match", d.Name, d.PType().Zh(), p.ID())
	}
	if p.Start().After(now) {
		return p, i18n.Errorf("报告期 %s 尚未开始", "period %s has not started yet", p.ID())
	}
	return p, nil
}

// Periods lists the last n periods of d's type up to the one running at
// now, newest first.
func (d DataSet) Periods(now time.Time, n int) []period.Period {
	cur := period.Of(d.PType(), now)
	out := make([]period.Period, 0, n)
	for k := 0; k < n; k++ {
		out = append(out, cur.Add(-k))
	}
	return out
}

// Assigned reports whether unit u reports d.
func (d DataSet) Assigned(u orgunit.Unit) bool { return d.ReportedBy(u.Kind) }

// UnitsUnder lists the units in the subtree of root (root included) that
// report d, ordered by path.
func UnitsUnder(ctx context.Context, db *store.DB, d DataSet, root orgunit.Unit) ([]orgunit.Unit, error) {
	var out []orgunit.Unit
	if d.Assigned(root) {
		out = append(out, root)
	}
	for _, l := range d.Levels() {
		if l <= root.Level {
			continue
		}
		us, err := orgunit.Descendants(ctx, db, root.Path, l, 0)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if d.Assigned(u) {
				out = append(out, u)
			}
		}
	}
	return out, nil
}
