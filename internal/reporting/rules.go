package reporting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/monitor/formula"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Importance of a validation rule. A high-importance violation blocks
// submission; the others are warnings.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// ImportanceNames in Chinese and English.
var ImportanceNames = map[string]i18n.Text{
	High: {Zh: "高", En: "High"}, Medium: {Zh: "中", En: "Medium"}, Low: {Zh: "低", En: "Low"},
}

// Operators of a validation rule.
var Operators = []string{"==", "!=", "<", "<=", ">", ">="}

// Rule is a validation rule: left op right, both formulas over data
// elements, checked per (unit, period) on the unit's own values. A rule
// whose sides cannot be computed (a value is missing) is skipped.
type Rule struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	NameEn     string `json:"name_en"`
	Left       string `json:"left"`
	Op         string `json:"op"`
	Right      string `json:"right"`
	Importance string `json:"importance"`
	MessageZh  string `json:"message_zh"`
	MessageEn  string `json:"message_en"`
	PeriodType string `json:"period_type"`

	left, right *formula.Expr
}

// Message is the rule's message in lang.
func (r Rule) Message(lang string) string {
	return i18n.Text{Zh: r.MessageZh, En: r.MessageEn}.In(lang)
}

// DisplayName is the rule's name in lang.
func (r Rule) DisplayName(lang string) string { return i18n.Text{Zh: r.Name, En: r.NameEn}.In(lang) }

// Codes lists the elements both sides use.
func (r *Rule) Codes() []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range []*formula.Expr{r.left, r.right} {
		if x == nil {
			continue
		}
		for _, c := range x.Codes() {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// compile parses both sides.
func (r *Rule) compile() []*i18n.Error {
	var errs []*i18n.Error
	var err error
	if r.left, err = formula.Parse(r.Left); err != nil {
		errs = append(errs, asI18n(err, "left"))
	}
	if r.right, err = formula.Parse(r.Right); err != nil {
		errs = append(errs, asI18n(err, "right"))
	}
	return errs
}

func asI18n(err error, field string) *i18n.Error {
	var ue *i18n.Error
	if errors.As(err, &ue) {
		return ue.OnField(field)
	}
	return i18n.Errorf("表达式无效：%v", "invalid expression: %v", err).OnField(field)
}

// Compare applies op to l and r; == and != allow a relative rounding
// tolerance of 1e-9.
func Compare(l float64, op string, r float64) bool {
	eq := math.Abs(l-r) <= 1e-9*math.Max(1, math.Max(math.Abs(l), math.Abs(r)))
	switch op {
	case "==":
		return eq
	case "!=":
		return !eq
	case "<":
		return l < r && !eq
	case "<=":
		return l <= r || eq
	case ">":
		return l > r && !eq
	case ">=":
		return l >= r || eq
	}
	return false
}

// Eval computes both sides from lookup; ok is false when a side cannot be
// computed, pass whether the rule holds.
func (r *Rule) Eval(lookup func(string) (float64, bool)) (left, right float64, ok, pass bool) {
	if r.left == nil || r.right == nil {
		if len(r.compile()) > 0 {
			return 0, 0, false, true
		}
	}
	l, ok1 := r.left.Eval(lookup)
	rv, ok2 := r.right.Eval(lookup)
	if !ok1 || !ok2 || math.IsNaN(l) || math.IsNaN(rv) || math.IsInf(l, 0) || math.IsInf(rv, 0) {
		return l, rv, false, true
	}
	return l, rv, true, Compare(l, r.Op, rv)
}

// ValidateRule checks r; known reports whether an element code exists.
func ValidateRule(r *Rule, els map[string]monitor.Element) []*i18n.Error {
	var errs []*i18n.Error
	if !dsCodeRE.MatchString(r.Code) {
		errs = append(errs, i18n.Errorf("代码 %q 无效", "code %q is invalid", r.Code).OnField("code"))
	}
	if strings.TrimSpace(r.Name) == "" {
		errs = append(errs, i18n.Errorf("请填写中文名称", "the Chinese name is required").OnField("name"))
	}
	if strings.TrimSpace(r.MessageZh) == "" {
		errs = append(errs, i18n.Errorf("请填写中文提示", "the Chinese message is required").OnField("message_zh"))
	}
	okOp := false
	for _, o := range Operators {
		okOp = okOp || o == r.Op
	}
	if !okOp {
		errs = append(errs, i18n.Errorf("未知的运算符 %q（可用 ==、!=、<、<=、>、>=）", "unknown operator %q (use ==, !=, <, <=, >, >=)", r.Op).OnField("op"))
	}
	if _, ok := ImportanceNames[r.Importance]; !ok {
		errs = append(errs, i18n.Errorf("重要程度须为 high、medium 或 low", "importance must be high, medium or low").OnField("importance"))
	}
	t, err := period.ParseType(r.PeriodType)
	if err != nil {
		errs = append(errs, i18n.Errorf("未知的周期类型 %q", "unknown period type %q", r.PeriodType).OnField("period_type"))
	}
	if ce := r.compile(); len(ce) > 0 {
		return append(errs, ce...)
	}
	for _, c := range r.Codes() {
		e, ok := els[c]
		switch {
		case !ok:
			errs = append(errs, i18n.Errorf("规则引用了不存在的数据元 %s", "the rule refers to the unknown data element %s", c).OnField("left"))
		case err == nil && e.PType() != t:
			errs = append(errs, i18n.Errorf("数据元 %s 的周期类型与规则不符", "data element %s has another period type than the rule", c).OnField("period_type"))
		}
	}
	return errs
}

// SaveRule creates or replaces (by code) a rule; audited.
func SaveRule(ctx context.Context, db *store.DB, actor audit.Actor, r Rule) error {
	els, err := elementIndex(ctx, db)
	if err != nil {
		return err
	}
	if errs := ValidateRule(&r, els); len(errs) > 0 {
		return i18n.Errors(errs)
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		old, err := getRule(ctx, tx, r.Code)
		var before any
		switch {
		case err == nil:
			before = old
			// Violations found under the old definition no longer say
			// anything about the new one; the next write or run finds
			// the new ones.
			if old.Left != r.Left || old.Op != r.Op || old.Right != r.Right || old.PeriodType != r.PeriodType {
				if _, err := tx.ExecContext(ctx, "DELETE FROM reporting_violation WHERE rule_code = $1", r.Code); err != nil {
					return fmt.Errorf("reporting: clear violations of %s: %w", r.Code, err)
				}
			}
		case !errors.Is(err, ErrNotFound):
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reporting_rule (code, name, name_en, left_expr, op, right_expr, importance, message_zh, message_en, period_type, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, left_expr = excluded.left_expr, op = excluded.op,
			right_expr = excluded.right_expr, importance = excluded.importance, message_zh = excluded.message_zh, message_en = excluded.message_en,
			period_type = excluded.period_type, updated_at = excluded.updated_at`,
			r.Code, r.Name, r.NameEn, r.Left, r.Op, r.Right, r.Importance, r.MessageZh, r.MessageEn, r.PeriodType, store.Now()); err != nil {
			return fmt.Errorf("reporting: save rule: %w", err)
		}
		return audit.Record(ctx, tx, actor, "save", "rule", r.Code, "", before, r)
	})
}

const ruleCols = "code, name, name_en, left_expr, op, right_expr, importance, message_zh, message_en, period_type"

func scanRule(s interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	err := s.Scan(&r.Code, &r.Name, &r.NameEn, &r.Left, &r.Op, &r.Right, &r.Importance, &r.MessageZh, &r.MessageEn, &r.PeriodType)
	return r, err
}

func getRule(ctx context.Context, q querier, code string) (Rule, error) {
	r, err := scanRule(q.QueryRowContext(ctx, "SELECT "+ruleCols+" FROM reporting_rule WHERE code = $1", code))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: rule %s", ErrNotFound, code)
	}
	if err != nil {
		return r, fmt.Errorf("reporting: get rule: %w", err)
	}
	r.compile()
	return r, nil
}

// GetRule returns the rule with code, compiled, or an error wrapping
// ErrNotFound.
func GetRule(ctx context.Context, db *store.DB, code string) (Rule, error) {
	return getRule(ctx, db.R, code)
}

// Rules lists every rule by code, compiled.
func Rules(ctx context.Context, db *store.DB) ([]Rule, error) { return listRules(ctx, db.R) }

func listRules(ctx context.Context, q querier) ([]Rule, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+ruleCols+" FROM reporting_rule ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("reporting: list rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, err
		}
		r.compile()
		out = append(out, r)
	}
	return out, rows.Err()
}

// rulesFor returns the codes of the rules whose elements all lie in d.
func rulesFor(ctx context.Context, db *store.DB, d DataSet) []string {
	rs, err := Rules(ctx, db)
	if err != nil {
		return nil
	}
	out := []string{}
	for i := range rs {
		all := rs[i].PeriodType == d.PeriodType
		for _, c := range rs[i].Codes() {
			all = all && d.Has(c)
		}
		if all {
			out = append(out, rs[i].Code)
		}
	}
	return out
}

// Violation is a rule that failed at one (unit, period).
type Violation struct {
	Rule    string    `json:"rule"`
	OrgUnit string    `json:"org_unit"`
	OrgPath string    `json:"org_path"`
	Period  string    `json:"period"`
	Left    float64   `json:"left"`
	Right   float64   `json:"right"`
	FoundAt time.Time `json:"found_at"`
	// Filled by Violations for display.
	RuleDef *Rule  `json:"-"`
	Name    string `json:"org_name,omitempty"`
}

// ViolationFilter selects stored violations.
type ViolationFilter struct {
	Root    string // org path
	Exact   bool   // only the unit at Root, not its subtree
	Periods []string
	Rules   []string // nil: all; empty non-nil: none
	Limit   int
}

// Violations lists stored violations with their rules.
func Violations(ctx context.Context, db *store.DB, f ViolationFilter) ([]Violation, error) {
	if f.Rules != nil && len(f.Rules) == 0 {
		return nil, nil
	}
	var q string
	var args []any
	if f.Exact {
		q = "SELECT rule_code, ou, ou_path, pe, left_value, right_value, found_at FROM reporting_violation WHERE ou_path = $1"
		args = []any{f.Root}
	} else {
		lo, hi := orgunit.SubtreeRange(f.Root)
		q = "SELECT rule_code, ou, ou_path, pe, left_value, right_value, found_at FROM reporting_violation WHERE ou_path >= $1 AND ou_path < $2"
		args = []any{lo, hi}
	}
	in := func(col string, vals []string) {
		a := store.Args(args)
		q += " AND " + col + " IN (" + store.In(&a, vals) + ")"
		args = a
	}
	if len(f.Periods) > 0 {
		in("pe", f.Periods)
	}
	if len(f.Rules) > 0 {
		in("rule_code", f.Rules)
	}
	limit := f.Limit
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	q += fmt.Sprintf(" ORDER BY pe DESC, ou_path, rule_code LIMIT %d", limit)
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reporting: list violations: %w", err)
	}
	var out []Violation
	for rows.Next() {
		var v Violation
		if err := rows.Scan(&v.Rule, &v.OrgUnit, &v.OrgPath, &v.Period, &v.Left, &v.Right, &v.FoundAt); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, describe(ctx, db, out)
}

func describe(ctx context.Context, db *store.DB, vs []Violation) error {
	if len(vs) == 0 {
		return nil
	}
	rs, err := Rules(ctx, db)
	if err != nil {
		return err
	}
	byCode := map[string]*Rule{}
	for i := range rs {
		byCode[rs[i].Code] = &rs[i]
	}
	seen := map[string]bool{}
	var codes []string
	for _, v := range vs {
		if !seen[v.OrgUnit] {
			seen[v.OrgUnit] = true
			codes = append(codes, v.OrgUnit)
		}
	}
	us, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, u := range us {
		names[u.Code] = u.Name
	}
	for i := range vs {
		vs[i].RuleDef = byCode[vs[i].Rule]
		vs[i].Name = names[vs[i].OrgUnit]
	}
	return nil
}

// unitValues is what evaluation reads: values per (unit, period).
type unitValues map[monitor.UnitPeriod]map[string]float64

// evaluate checks rules against vals and returns the violations and the
// (rule, unit, period) triples that were checked (pass or fail).
func evaluate(rules []Rule, vals unitValues, paths map[string]string, now time.Time) (fails []Violation, checked [][3]string) {
	keys := make([]monitor.UnitPeriod, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Period != keys[j].Period {
			return keys[i].Period > keys[j].Period
		}
		return keys[i].OrgUnit < keys[j].OrgUnit
	})
	for _, k := range keys {
		m := vals[k]
		p, err := period.Parse(k.Period)
		if err != nil {
			continue
		}
		for i := range rules {
			r := &rules[i]
			if r.PeriodType != p.Type.String() {
				continue
			}
			checked = append(checked, [3]string{r.Code, k.OrgUnit, k.Period})
			l, rv, ok, pass := r.Eval(func(c string) (float64, bool) { v, ok := m[c]; return v, ok })
			if ok && !pass {
				fails = append(fails, Violation{Rule: r.Code, OrgUnit: k.OrgUnit, OrgPath: paths[k.OrgUnit], Period: k.Period, Left: l, Right: rv, FoundAt: now})
			}
		}
	}
	return fails, checked
}

// storeResults replaces the stored outcome of every checked triple.
func storeResults(ctx context.Context, tx *store.Tx, checked [][3]string, fails []Violation) error {
	for start := 0; start < len(checked); start += 300 {
		chunk := checked[start:min(len(checked), start+300)]
		var ors []string
		var args store.Args
		for _, c := range chunk {
			ors = append(ors, "(rule_code = "+args.Add(c[0])+" AND ou = "+args.Add(c[1])+" AND pe = "+args.Add(c[2])+")")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM reporting_violation WHERE "+strings.Join(ors, " OR "), args...); err != nil {
			return fmt.Errorf("reporting: clear violations: %w", err)
		}
	}
	for _, v := range fails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reporting_violation (rule_code, ou, ou_path, pe, left_value, right_value, found_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			v.Rule, v.OrgUnit, v.OrgPath, v.Period, v.Left, v.Right, v.FoundAt); err != nil {
			return fmt.Errorf("reporting: store violation: %w", err)
		}
	}
	return nil
}

type ctxKey int

const skipRulesKey ctxKey = 1

// WithoutRuleCheck returns a context whose writes skip the validation
// rule hook (bulk loads that run the rules afterwards, or never need to).
func WithoutRuleCheck(ctx context.Context) context.Context {
	return context.WithValue(ctx, skipRulesKey, true)
}

// ruleHook checks the rules touched by a write, in its transaction, and
// keeps reporting_violation in step: this is how form saves, the API and
// imports are all checked.
func ruleHook(ctx context.Context, db *store.DB, tx *store.Tx, w *monitor.WriteSet) error {
	if ctx.Value(skipRulesKey) != nil {
		return nil
	}
	rules, err := listRules(ctx, tx)
	if err != nil || len(rules) == 0 {
		return err
	}
	written := map[string]bool{}
	for _, c := range w.Elements() {
		written[c] = true
	}
	var use []Rule
	need := map[string]bool{}
	for _, r := range rules {
		hit := false
		for _, c := range r.Codes() {
			hit = hit || written[c]
		}
		if hit {
			use = append(use, r)
			for _, c := range r.Codes() {
				need[c] = true
			}
		}
	}
	if len(use) == 0 {
		return nil
	}
	paths := map[string]string{}
	seen := map[monitor.UnitPeriod]bool{}
	var at []monitor.UnitPeriod
	w.Each(func(v monitor.Written) bool {
		k := monitor.UnitPeriod{OrgUnit: v.OrgUnit, Period: v.Period}
		if need[v.Element] && !seen[k] {
			seen[k] = true
			at = append(at, k)
			paths[v.OrgUnit] = v.OrgPath
		}
		return true
	})
	codes := make([]string, 0, len(need))
	for c := range need {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	vals, err := w.Stored(ctx, codes, at)
	if err != nil {
		return err
	}
	// Every touched (unit, period) is checked, also those whose values
	// are now gone, so stale violations disappear.
	for _, k := range at {
		if vals[k] == nil {
			vals[k] = map[string]float64{}
		}
	}
	fails, checked := evaluate(use, unitValues(vals), paths, store.Now())
	return storeResults(ctx, tx, checked, fails)
}

// RunQuery asks for a validation run.
type RunQuery struct {
	DataSet DataSet
	Root    orgunit.Unit // units of the data set in this subtree
	Periods []period.Period
}

// RunResult is the outcome of a validation run.
type RunResult struct {
	Checked    int         `json:"checked"` // (rule, unit, period) evaluations
	Units      int         `json:"units"`
	Violations []Violation `json:"violations"`
}

// maxRunValues bounds the values one run reads.
const maxRunValues = monitor.MaxValues

// Run checks the data set's rules for every unit in the subtree and
// period, stores the outcome and returns the violations.
func Run(ctx context.Context, db *store.DB, q RunQuery) (*RunResult, error) {
	codes := rulesFor(ctx, db, q.DataSet)
	all, err := Rules(ctx, db)
	if err != nil {
		return nil, err
	}
	var rules []Rule
	need := map[string]bool{}
	for _, r := range all {
		for _, c := range codes {
			if r.Code == c {
				rules = append(rules, r)
				for _, e := range r.Codes() {
					need[e] = true
				}
			}
		}
	}
	units, err := UnitsUnder(ctx, db, q.DataSet, q.Root)
	if err != nil {
		return nil, err
	}
	res := &RunResult{Units: len(units)}
	if len(rules) == 0 || len(units) == 0 {
		return res, nil
	}
	var els, pes []string
	for c := range need {
		els = append(els, c)
	}
	for _, p := range q.Periods {
		pes = append(pes, p.ID())
	}
	stored, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: els, OrgUnits: []string{q.Root.Code}, Children: true, Periods: pes, Limit: maxRunValues})
	if err != nil {
		return nil, err
	}
	if len(stored) >= maxRunValues {
		return nil, i18n.Errorf("范围过大，请缩小单位或报告期范围", "too much data; choose fewer units or periods")
	}
	assigned := map[string]string{}
	for _, u := range units {
		assigned[u.Code] = u.Path
	}
	vals := unitValues{}
	for _, u := range units {
		for _, p := range pes {
			vals[monitor.UnitPeriod{OrgUnit: u.Code, Period: p}] = map[string]float64{}
		}
	}
	for _, s := range stored {
		if _, ok := assigned[s.OrgUnit]; !ok {
			continue
		}
		if v, ok := monitor.ParseNumber(s.Value.Value); ok {
			vals[monitor.UnitPeriod{OrgUnit: s.OrgUnit, Period: s.Period}][s.DataElement] = v
		}
	}
	fails, checked := evaluate(rules, vals, assigned, store.Now())
	res.Checked = len(checked)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return storeResults(ctx, tx, checked, fails) }); err != nil {
		return nil, err
	}
	if err := describe(ctx, db, fails); err != nil {
		return nil, err
	}
	res.Violations = fails
	return res, nil
}

// CheckValues evaluates every rule against the given values merged over
// what is stored, without writing anything: the check an import preview
// runs before its commit.
func CheckValues(ctx context.Context, db *store.DB, vals []monitor.Value) ([]Violation, error) {
	rules, err := Rules(ctx, db)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	need := map[string]bool{}
	for _, r := range rules {
		for _, c := range r.Codes() {
			need[c] = true
		}
	}
	uv := unitValues{}
	var units, pes []string
	seenU, seenP := map[string]bool{}, map[string]bool{}
	for _, v := range vals {
		if !need[v.DataElement] {
			continue
		}
		k := monitor.UnitPeriod{OrgUnit: v.OrgUnit, Period: v.Period}
		if uv[k] == nil {
			uv[k] = map[string]float64{}
		}
		if !seenU[v.OrgUnit] {
			seenU[v.OrgUnit] = true
			units = append(units, v.OrgUnit)
		}
		if !seenP[v.Period] {
			seenP[v.Period] = true
			pes = append(pes, v.Period)
		}
	}
	if len(uv) == 0 {
		return nil, nil
	}
	var els []string
	for c := range need {
		els = append(els, c)
	}
	stored, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: els, OrgUnits: units, Periods: pes})
	if err != nil {
		return nil, err
	}
	for _, s := range stored {
		k := monitor.UnitPeriod{OrgUnit: s.OrgUnit, Period: s.Period}
		if m := uv[k]; m != nil {
			if x, ok := monitor.ParseNumber(s.Value.Value); ok {
				m[s.DataElement] = x
			}
		}
	}
	for _, v := range vals {
		m := uv[monitor.UnitPeriod{OrgUnit: v.OrgUnit, Period: v.Period}]
		if m == nil {
			continue
		}
		if strings.TrimSpace(v.Value) == "" {
			delete(m, v.DataElement)
		} else if x, ok := monitor.ParseNumber(strings.TrimSuffix(v.Value, "%")); ok {
			m[v.DataElement] = x
		}
	}
	us, err := orgunit.GetMany(ctx, db, units)
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	for _, u := range us {
		paths[u.Code] = u.Path
	}
	fails, _ := evaluate(rules, uv, paths, store.Now())
	return fails, describe(ctx, db, fails)
}

func init() {
	monitor.AddWriteHook(lockHook)
	monitor.AddWriteHook(ruleHook)
	// an import's preview says per row which values fall in locked reports
	monitor.AddCheckHook(lockHook)
}
