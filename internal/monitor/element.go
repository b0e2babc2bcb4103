package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor/formula"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Value types of a data element.
const (
	Number  = "number"
	Integer = "integer"
	Percent = "percent"
	Boolean = "boolean"
	Text    = "text"
)

// ValueTypes lists the value types in display order.
var ValueTypes = []string{Number, Integer, Percent, Boolean, Text}

// Aggregations say how values combine across units and periods.
const (
	Sum     = "sum"
	Average = "average"
	Last    = "last" // the value of the latest period, summed over units reporting it
	Min     = "min"
	Max     = "max"
	None    = "none" // only a single value is shown; nothing is combined
)

// Aggregations lists the aggregation kinds in display order.
var Aggregations = []string{Sum, Average, Last, Min, Max, None}

// Directions of an indicator.
const (
	Higher = "higher"
	Lower  = "lower"
)

// ErrNotFound is returned for an unknown element or indicator code.
var ErrNotFound = fmt.Errorf("monitor: %w", store.ErrNotFound)

// Element is a data element: one figure units report per period.
type Element struct {
	ID          int64    `json:"id" yaml:"-"`
	Code        string   `json:"code" yaml:"code"`
	Name        string   `json:"name" yaml:"name"`
	NameEn      string   `json:"name_en" yaml:"name_en"`
	ValueType   string   `json:"value_type" yaml:"value_type"`
	Aggregation string   `json:"aggregation" yaml:"aggregation"`
	Unit        string   `json:"unit" yaml:"unit"`
	PeriodType  string   `json:"period_type" yaml:"period_type"` // monthly, quarterly, sixmonthly, yearly
	Min         *float64 `json:"min,omitempty" yaml:"min,omitempty"`
	Max         *float64 `json:"max,omitempty" yaml:"max,omitempty"`
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Published   bool     `json:"published" yaml:"published"`
}

// DisplayName is the element's name in lang.
func (e Element) DisplayName(lang string) string {
	return i18n.Text{Zh: e.Name, En: e.NameEn}.In(lang)
}

// UnitText is the unit shown beside the element's name: 是/否 for a
// yes/no element (whose aggregate above the unit that enters it counts
// the units answering yes, in Unit), the unit otherwise.
func (e Element) UnitText(lang string) string {
	if e.ValueType == Boolean {
		return i18n.T(lang, "common.yes") + "/" + i18n.T(lang, "common.no")
	}
	return e.Unit
}

// YesNo says a yes/no value in words (是/否); ok is false for anything but
// 0 and 1.
func YesNo(lang string, v float64) (string, bool) {
	switch v {
	case 1:
		return i18n.T(lang, "common.yes"), true
	case 0:
		return i18n.T(lang, "common.no"), true
	}
	return "", false
}

// PType is the element's period type.
func (e Element) PType() period.Type {
	t, _ := period.ParseType(e.PeriodType)
	return t
}

// Numeric reports whether the element holds numbers (everything but text).
func (e Element) Numeric() bool { return e.ValueType != Text }

// DecimalScale is the number of decimal places numbers and percentages
// keep. Aggregates are sums of integers in units of 10^-scale, so they
// are exact whatever the order of writes.
const DecimalScale = 4

// Scale is the number of decimal places e's values keep exactly: none for
// integers and yes/no values, DecimalScale for numbers and percentages.
// A value with more decimals, or beyond ±(2^53−1)/10^scale, is refused.
func (e Element) Scale() int {
	switch e.ValueType {
	case Number, Percent:
		return DecimalScale
	}
	return 0
}

// Indicator is a figure computed by a formula over aggregated data
// elements, e.g. a coverage rate from a numerator and a denominator.
type Indicator struct {
	ID          int64  `json:"id" yaml:"-"`
	Code        string `json:"code" yaml:"code"`
	Name        string `json:"name" yaml:"name"`
	NameEn      string `json:"name_en" yaml:"name_en"`
	Unit        string `json:"unit" yaml:"unit"`
	Direction   string `json:"direction" yaml:"direction"`
	Formula     string `json:"formula" yaml:"formula"`
	Decimals    int    `json:"decimals" yaml:"decimals"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	Published   bool   `json:"published" yaml:"published"`
}

// DisplayName is the indicator's name in lang.
func (i Indicator) DisplayName(lang string) string {
	return i18n.Text{Zh: i.Name, En: i.NameEn}.In(lang)
}

var codeRE = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// ValidateElement checks e and returns every problem found.
func ValidateElement(e Element) []*i18n.Error {
	var errs []*i18n.Error
	if !codeRE.MatchString(e.Code) {
		errs = append(errs, i18n.Errorf("代码 %q 无效：须以大写字母开头，只含大写字母、数字和下划线，2–64 个字符",
			"code %q is invalid: an upper-case letter, then upper-case letters, digits and underscores, 2–64 characters", e.Code).OnField("code"))
	}
	if strings.TrimSpace(e.Name) == "" {
		errs = append(errs, i18n.Errorf("请填写中文名称", "the Chinese name is required").OnField("name"))
	}
	if !oneOf(e.ValueType, ValueTypes) {
		errs = append(errs, i18n.Errorf("未知的值类型 %q", "unknown value type %q", e.ValueType).OnField("value_type"))
	}
	if !oneOf(e.Aggregation, Aggregations) {
		errs = append(errs, i18n.Errorf("未知的汇总方式 %q", "unknown aggregation %q", e.Aggregation).OnField("aggregation"))
	}
	if e.ValueType == Text && e.Aggregation != None {
		errs = append(errs, i18n.Errorf("文本型数据元只能选择“不汇总”", "text elements can only use aggregation none").OnField("aggregation"))
	}
	if _, err := period.ParseType(e.PeriodType); err != nil {
		var ue *i18n.Error
		if errors.As(err, &ue) {
			errs = append(errs, ue.OnField("period_type"))
		}
	}
	if e.Min != nil && e.Max != nil && *e.Min > *e.Max {
		errs = append(errs, i18n.Errorf("最小值不能大于最大值", "the minimum cannot exceed the maximum").OnField("min"))
	}
	for _, p := range []*float64{e.Min, e.Max} {
		if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
			errs = append(errs, i18n.Errorf("上下限须为有限数字", "bounds must be finite numbers").OnField("min"))
		}
	}
	return errs
}

// ValidateIndicator checks i; known reports whether an element code exists
// (nil skips the check).
func ValidateIndicator(ind Indicator, known func(code string) bool) []*i18n.Error {
	var errs []*i18n.Error
	if !codeRE.MatchString(ind.Code) {
		errs = append(errs, i18n.Errorf("代码 %q 无效：须以大写字母开头，只含大写字母、数字和下划线，2–64 个字符",
			"code %q is invalid: an upper-case letter, then upper-case letters, digits and underscores, 2–64 characters", ind.Code).OnField("code"))
	}
	if strings.TrimSpace(ind.Name) == "" {
		errs = append(errs, i18n.Errorf("请填写中文名称", "the Chinese name is required").OnField("name"))
	}
	if ind.Direction != Higher && ind.Direction != Lower {
		errs = append(errs, i18n.Errorf("方向须为 higher（越高越好）或 lower（越低越好）", "direction must be higher or lower").OnField("direction"))
	}
	if ind.Decimals < 0 || ind.Decimals > 6 {
		errs = append(errs, i18n.Errorf("小数位须在 0–6 之间", "decimals must be within 0–6").OnField("decimals"))
	}
	ex, err := formula.Parse(ind.Formula)
	if err != nil {
		var ue *i18n.Error
		if errors.As(err, &ue) {
			errs = append(errs, ue)
		} else {
			errs = append(errs, i18n.Errorf("公式无效：%v", "invalid formula: %v", err).OnField("formula"))
		}
		return errs
	}
	if known != nil {
		for _, c := range ex.Codes() {
			if !known(c) {
				errs = append(errs, i18n.Errorf("公式引用了不存在的数据元 %s", "the formula refers to the unknown data element %s", c).OnField("formula"))
			}
		}
	}
	return errs
}

// CheckFormula parses src and checks that every element it names exists:
// what the edit form shows inline while the user types.
func CheckFormula(ctx context.Context, db *store.DB, src string) []*i18n.Error {
	ex, err := formula.Parse(src)
	if err != nil {
		var ue *i18n.Error
		if errors.As(err, &ue) {
			return []*i18n.Error{ue}
		}
		return []*i18n.Error{i18n.Errorf("公式无效", "invalid formula").OnField("formula")}
	}
	els, err := elementMap(ctx, db.R)
	if err != nil {
		return []*i18n.Error{i18n.Errorf("无法读取数据元", "cannot read data elements")}
	}
	var errs []*i18n.Error
	for _, c := range ex.Codes() {
		if _, ok := els[c]; !ok {
			errs = append(errs, i18n.Errorf("公式引用了不存在的数据元 %s", "the formula refers to the unknown data element %s", c).OnField("formula"))
		}
	}
	return errs
}

const elementCols = "id, code, name, name_en, value_type, aggregation, unit, period_type, min_value, max_value, description, published"

type scanner interface{ Scan(...any) error }

func scanElement(s scanner) (Element, error) {
	var e Element
	var mn, mx sql.NullFloat64
	var pub int
	err := s.Scan(&e.ID, &e.Code, &e.Name, &e.NameEn, &e.ValueType, &e.Aggregation, &e.Unit, &e.PeriodType, &mn, &mx, &e.Description, &pub)
	if mn.Valid {
		e.Min = &mn.Float64
	}
	if mx.Valid {
		e.Max = &mx.Float64
	}
	e.Published = pub != 0
	return e, err
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// Elements returns every data element ordered by code.
func Elements(ctx context.Context, db *store.DB) ([]Element, error) {
	return listElements(ctx, db.R)
}

func listElements(ctx context.Context, q querier) ([]Element, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+elementCols+" FROM monitor_element ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("monitor: list elements: %w", err)
	}
	defer rows.Close()
	var out []Element
	for rows.Next() {
		e, err := scanElement(rows)
		if err != nil {
			return nil, fmt.Errorf("monitor: list elements: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func elementMap(ctx context.Context, q querier) (map[string]Element, error) {
	els, err := listElements(ctx, q)
	if err != nil {
		return nil, err
	}
	m := make(map[string]Element, len(els))
	for _, e := range els {
		m[e.Code] = e
	}
	return m, nil
}

// GetElement returns the element with code, or an error wrapping
// [ErrNotFound].
func GetElement(ctx context.Context, db *store.DB, code string) (Element, error) {
	e, err := scanElement(db.R.QueryRowContext(ctx, "SELECT "+elementCols+" FROM monitor_element WHERE code = $1", code))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("%w: element %s", ErrNotFound, code)
	}
	return e, err
}

func nullable(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SaveElement creates or updates (by code) a data element after
// validating it; the change is audited. Changing the value type or period
// type of an element that already has values is refused.
func SaveElement(ctx context.Context, db *store.DB, actor audit.Actor, e Element) (Element, error) {
	if errs := ValidateElement(e); len(errs) > 0 {
		return e, i18n.Errors(errs)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		old, err := scanElement(tx.QueryRowContext(ctx, "SELECT "+elementCols+" FROM monitor_element WHERE code = $1", e.Code))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_element (code, name, name_en, value_type, aggregation, unit, period_type, min_value, max_value, description, published, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
				e.Code, e.Name, e.NameEn, e.ValueType, e.Aggregation, e.Unit, e.PeriodType, nullable(e.Min), nullable(e.Max), e.Description, b2i(e.Published), store.Now()).Scan(&e.ID); err != nil {
				return fmt.Errorf("monitor: create element: %w", err)
			}
			return audit.Record(ctx, tx, actor, "create", "element", e.Code, "", nil, e)
		case err != nil:
			return fmt.Errorf("monitor: load element: %w", err)
		}
		e.ID = old.ID
		if old.ValueType != e.ValueType || old.PeriodType != e.PeriodType {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM monitor_value WHERE element_id = $1 LIMIT 1) x", old.ID).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return i18n.Errors([]*i18n.Error{i18n.Errorf("数据元已有数据，不能修改值类型或周期类型", "the element has values; its value type and period type cannot change").OnField("value_type")})
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE monitor_element SET name = $2, name_en = $3, value_type = $4, aggregation = $5, unit = $6,
			period_type = $7, min_value = $8, max_value = $9, description = $10, published = $11, updated_at = $12 WHERE id = $1`,
			e.ID, e.Name, e.NameEn, e.ValueType, e.Aggregation, e.Unit, e.PeriodType, nullable(e.Min), nullable(e.Max), e.Description, b2i(e.Published), store.Now()); err != nil {
			return fmt.Errorf("monitor: update element: %w", err)
		}
		return audit.Record(ctx, tx, actor, "update", "element", e.Code, "", old, e)
	})
	return e, err
}

const indicatorCols = "id, code, name, name_en, unit, direction, formula, decimals, description, published"

func scanIndicator(s scanner) (Indicator, error) {
	var i Indicator
	var pub int
	err := s.Scan(&i.ID, &i.Code, &i.Name, &i.NameEn, &i.Unit, &i.Direction, &i.Formula, &i.Decimals, &i.Description, &pub)
	i.Published = pub != 0
	return i, err
}

// Indicators returns every indicator ordered by code.
func Indicators(ctx context.Context, db *store.DB) ([]Indicator, error) {
	return listIndicators(ctx, db.R)
}

func listIndicators(ctx context.Context, q querier) ([]Indicator, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+indicatorCols+" FROM monitor_indicator ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("monitor: list indicators: %w", err)
	}
	defer rows.Close()
	var out []Indicator
	for rows.Next() {
		i, err := scanIndicator(rows)
		if err != nil {
			return nil, fmt.Errorf("monitor: list indicators: %w", err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// GetIndicator returns the indicator with code, or an error wrapping
// [ErrNotFound].
func GetIndicator(ctx context.Context, db *store.DB, code string) (Indicator, error) {
	i, err := scanIndicator(db.R.QueryRowContext(ctx, "SELECT "+indicatorCols+" FROM monitor_indicator WHERE code = $1", code))
	if errors.Is(err, sql.ErrNoRows) {
		return i, fmt.Errorf("%w: indicator %s", ErrNotFound, code)
	}
	return i, err
}

// SaveIndicator creates or updates (by code) an indicator after checking
// its formula against the existing elements; the change is audited. An
// indicator code may not repeat an element code.
func SaveIndicator(ctx context.Context, db *store.DB, actor audit.Actor, ind Indicator) (Indicator, error) {
	err := db.InTx(ctx, func(tx *store.Tx) error {
		els, err := elementMap(ctx, tx)
		if err != nil {
			return err
		}
		errs := ValidateIndicator(ind, func(c string) bool { _, ok := els[c]; return ok })
		if _, clash := els[ind.Code]; clash {
			errs = append(errs, i18n.Errorf("代码 %s 已被数据元使用", "the code %s is taken by a data element", ind.Code).OnField("code"))
		}
		if len(errs) > 0 {
			return i18n.Errors(errs)
		}
		old, err := scanIndicator(tx.QueryRowContext(ctx, "SELECT "+indicatorCols+" FROM monitor_indicator WHERE code = $1", ind.Code))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := tx.QueryRowContext(ctx, `INSERT INTO monitor_indicator (code, name, name_en, unit, direction, formula, decimals, description, published, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				ind.Code, ind.Name, ind.NameEn, ind.Unit, ind.Direction, ind.Formula, ind.Decimals, ind.Description, b2i(ind.Published), store.Now()).Scan(&ind.ID); err != nil {
				return fmt.Errorf("monitor: create indicator: %w", err)
			}
			return audit.Record(ctx, tx, actor, "create", "indicator", ind.Code, "", nil, ind)
		case err != nil:
			return fmt.Errorf("monitor: load indicator: %w", err)
		}
		ind.ID = old.ID
		if _, err := tx.ExecContext(ctx, `UPDATE monitor_indicator SET name = $2, name_en = $3, unit = $4, direction = $5, formula = $6,
			decimals = $7, description = $8, published = $9, updated_at = $10 WHERE id = $1`,
			ind.ID, ind.Name, ind.NameEn, ind.Unit, ind.Direction, ind.Formula, ind.Decimals, ind.Description, b2i(ind.Published), store.Now()); err != nil {
			return fmt.Errorf("monitor: update indicator: %w", err)
		}
		return audit.Record(ctx, tx, actor, "update", "indicator", ind.Code, "", old, ind)
	})
	return ind, err
}
