package ecstat

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Item kinds.
const (
	Money  = "money"  // an amount in 万元, exact to two decimals
	YesNo  = "yesno"  // 是/否
	Choice = "choice" // one of Options
)

// Item is one enterprise-level item of a survey form.
type Item struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	NameEn  string   `json:"name_en,omitempty"`
	Unit    string   `json:"unit,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Options []string `json:"options,omitempty"`
	// Max bounds a money item (万元); 0 is the default bound, 10^9 万元.
	Max int64 `json:"max,omitempty"`
}

// DisplayName is the item's name in lang.
func (it Item) DisplayName(lang string) string { return i18n.Text{Zh: it.Name, En: it.NameEn}.In(lang) }

// Codes of the standard items (the 信息化和电子商务 annual form).
const (
	TradesOnline  = "TRADES_ONLINE"
	Platform      = "PLATFORM"
	EcomSales     = "ECOM_SALES"
	EcomPurchases = "ECOM_PURCHASES"
	OnlineRetail  = "ONLINE_RETAIL"
	InfoGoods     = "INFO_GOODS"
	InfoServices  = "INFO_SERVICES"
)

// DefaultItems are the items of the annual e-commerce and information
// consumption form.
func DefaultItems() []Item {
	return []Item{
		{Code: TradesOnline, Name: "是否开展电子商务交易", NameEn: "Trades online", Kind: YesNo},
		{Code: Platform, Name: "主要使用的电子商务平台", NameEn: "Main e-commerce platform", Kind: Choice, Options: []string{"self", "third", "both", "none"}},
		{Code: EcomSales, Name: "电子商务销售额", NameEn: "E-commerce sales", Unit: "万元", Kind: Money},
		{Code: EcomPurchases, Name: "电子商务采购额", NameEn: "E-commerce purchases", Unit: "万元", Kind: Money},
		{Code: OnlineRetail, Name: "网上零售额", NameEn: "Online retail sales", Unit: "万元", Kind: Money},
		{Code: InfoGoods, Name: "信息产品消费支出", NameEn: "Spending on information goods", Unit: "万元", Kind: Money},
		{Code: InfoServices, Name: "信息服务消费支出", NameEn: "Spending on information services", Unit: "万元", Kind: Money},
	}
}

// Edit kinds.
const (
	EditLE         = "le"          // Left ≤ Right
	EditLERevenue  = "le_revenue"  // Left ≤ Factor × the register's revenue (when it is positive)
	EditZeroUnless = "zero_unless" // Left = 0 unless the yes/no item Right is yes
	// EditChange: Left, when it and the enterprise's answer to the previous
	// survey are both positive, is within Factor times that answer either
	// way (change against last period).
	EditChange = "change"
)

// Edit is a validation edit across items of a form.
type Edit struct {
	Kind   string  `json:"kind"`
	Left   string  `json:"left"`
	Right  string  `json:"right,omitempty"`
	Factor float64 `json:"factor,omitempty"`
}

// DefaultEdits are the edits of the standard form.
func DefaultEdits() []Edit {
	return []Edit{
		{Kind: EditLE, Left: OnlineRetail, Right: EcomSales},
		{Kind: EditZeroUnless, Left: EcomSales, Right: TradesOnline},
		{Kind: EditZeroUnless, Left: EcomPurchases, Right: TradesOnline},
		{Kind: EditLERevenue, Left: EcomSales, Factor: 1.5},
		{Kind: EditChange, Left: EcomSales, Factor: 10},
		{Kind: EditChange, Left: EcomPurchases, Factor: 10},
	}
}

// Derived are estimation targets built from items: e-commerce turnover
// (电子商务交易额 = sales + purchases, as NBS defines it) and information
// consumption (信息消费 = 信息产品消费 + 信息服务消费, CAICT's accounting).
var Derived = []Item{
	{Code: "ECOM_TURNOVER", Name: "电子商务交易额", NameEn: "E-commerce turnover", Unit: "万元", Kind: Money},
	{Code: "INFO_CONSUMPTION", Name: "信息消费", NameEn: "Information consumption", Unit: "万元", Kind: Money},
}

// Components are the items a derived target adds up.
var Components = map[string][]string{
	"ECOM_TURNOVER":    {EcomSales, EcomPurchases},
	"INFO_CONSUMPTION": {InfoGoods, InfoServices},
}

// Survey is one annual survey.
type Survey struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Year      int       `json:"year"`
	Items     []Item    `json:"items"`
	Edits     []Edit    `json:"edits"`
	CreatedAt time.Time `json:"created_at"`
}

// Item returns the item code of s.
func (s *Survey) Item(code string) (Item, bool) {
	for _, it := range s.Items {
		if it.Code == code {
			return it, true
		}
	}
	return Item{}, false
}

// Targets are the items and derived targets that can be estimated: the
// money and yes/no items and the derived targets whose components the
// survey has.
func (s *Survey) Targets() []Item {
	var out []Item
	for _, d := range Derived {
		ok := true
		for _, c := range Components[d.Code] {
			if _, has := s.Item(c); !has {
				ok = false
			}
		}
		if ok {
			out = append(out, d)
		}
	}
	for _, it := range s.Items {
		if it.Kind == Money || it.Kind == YesNo {
			out = append(out, it)
		}
	}
	return out
}

// NewSurvey is a survey to create; no items means [DefaultItems].
type NewSurvey struct {
	Name   string `json:"name"`
	Period string `json:"period"`
	Items  []Item `json:"items"`
}

var itemCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)

// CreateSurvey stores a new annual survey with its items and the default
// edits that apply to them, audited.
func CreateSurvey(ctx context.Context, db *store.DB, a audit.Actor, n NewSurvey) (int64, error) {
	name := strings.TrimSpace(n.Name)
	if name == "" || len([]rune(name)) > 200 {
		return 0, i18n.Errorf("请填写调查名称（不超过 200 字）", "the survey's name is required (at most 200 characters)").OnField("name")
	}
	year, err := strconv.Atoi(strings.TrimSpace(n.Period))
	if err != nil || year < 2000 || year > 2100 {
		return 0, i18n.Errorf("调查年度应为 2000–2100 之间的年份：%q", "the survey period must be a year between 2000 and 2100: %q", n.Period).OnField("period")
	}
	items := n.Items
	if len(items) == 0 {
		items = DefaultItems()
	}
	if len(items) > 50 {
		return 0, i18n.Errorf("调查表最多 50 个项目", "a survey has at most 50 items").OnField("items")
	}
	seen := map[string]bool{}
	for i := range items {
		it := &items[i]
		it.Code = strings.ToUpper(strings.TrimSpace(it.Code))
		it.Name = strings.TrimSpace(it.Name)
		if !itemCode.MatchString(it.Code) {
			return 0, i18n.Errorf("第 %d 个项目的代码 %q 应为大写字母开头的字母、数字或下划线", "item %d: code %q must be capital letters, digits or underscores, starting with a letter", i+1, it.Code).OnField("items")
		}
		if seen[it.Code] {
			return 0, i18n.Errorf("项目代码 %s 重复", "item code %s is repeated", it.Code).OnField("items")
		}
		seen[it.Code] = true
		if it.Name == "" {
			return 0, i18n.Errorf("项目 %s 缺少名称", "item %s has no name", it.Code).OnField("items")
		}
		if it.Kind == "" {
			it.Kind = Money
			for _, d := range DefaultItems() {
				if d.Code == it.Code {
					it.Kind, it.Options = d.Kind, d.Options
					if it.NameEn == "" {
						it.NameEn = d.NameEn
					}
				}
			}
		}
		if it.Kind != Money && it.Kind != YesNo && it.Kind != Choice {
			return 0, i18n.Errorf("项目 %s 的类型 %q 应为 money、yesno 或 choice", "item %s: kind %q must be money, yesno or choice", it.Code, it.Kind).OnField("items")
		}
		if it.Kind == Choice && len(it.Options) == 0 {
			return 0, i18n.Errorf("选择项 %s 缺少选项", "choice item %s has no options", it.Code).OnField("items")
		}
	}
	var edits []Edit
	for _, e := range DefaultEdits() {
		if seen[e.Left] && (e.Right == "" || seen[e.Right]) {
			edits = append(edits, e)
		}
	}
	ib, _ := json.Marshal(items)
	eb, _ := json.Marshal(edits)
	var id int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO ecstat_survey (name, year, items, edits, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			name, year, string(ib), string(eb), store.Now()).Scan(&id); err != nil {
			return fmt.Errorf("ecstat: create survey: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "ecstat_survey", strconv.FormatInt(id, 10), "/41/", nil, map[string]any{"name": name, "year": year, "items": items})
	})
	return id, err
}

func scanSurvey(s interface{ Scan(...any) error }) (*Survey, error) {
	var sv Survey
	var items, edits string
	if err := s.Scan(&sv.ID, &sv.Name, &sv.Year, &items, &edits, &sv.CreatedAt); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &sv.Items); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(edits), &sv.Edits); err != nil {
		return nil, err
	}
	return &sv, nil
}

// Surveys lists every survey, newest year first.
func Surveys(ctx context.Context, db *store.DB) ([]*Survey, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT id, name, year, items, edits, created_at FROM ecstat_survey ORDER BY year DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("ecstat: surveys: %w", err)
	}
	defer rows.Close()
	var out []*Survey
	for rows.Next() {
		s, err := scanSurvey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// GetSurvey returns survey id (wraps store.ErrNotFound).
func GetSurvey(ctx context.Context, db *store.DB, id int64) (*Survey, error) {
	s, err := scanSurvey(db.R.QueryRowContext(ctx, `SELECT id, name, year, items, edits, created_at FROM ecstat_survey WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("ecstat: survey %d: %w", id, store.ErrNotFound)
	}
	return s, err
}

// Return is an enterprise's submitted form.
type Return struct {
	SubmittedAt time.Time
	SubmittedBy string
	OnBehalf    bool
}

// Form is an enterprise's form of a survey: its answers as text (as
// entered or as stored), and its return when submitted.
type Form struct {
	Survey     *Survey
	Enterprise Enterprise
	Weight     float64
	Values     map[string]string
	Return     *Return
}

// ErrNotSampled refuses a form for an enterprise outside the sample.
var ErrNotSampled = i18n.Errorf("该企业不在本次调查的样本中", "the enterprise is not in this survey's sample")

// GetForm returns the form of enterprise e in survey s; the enterprise
// must be in the sample.
func GetForm(ctx context.Context, db *store.DB, s *Survey, e Enterprise) (*Form, error) {
	f := &Form{Survey: s, Enterprise: e, Values: map[string]string{}}
	err := db.R.QueryRowContext(ctx, `SELECT weight FROM ecstat_sample WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID).Scan(&f.Weight)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotSampled
	}
	if err != nil {
		return nil, err
	}
	rows, err := db.R.QueryContext(ctx, `SELECT item, amount, text_value FROM ecstat_response WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var item, text string
		var amt sql.NullInt64
		if err := rows.Scan(&item, &amt, &text); err != nil {
			return nil, err
		}
		if amt.Valid {
			f.Values[item] = Amount(amt.Int64).String()
		} else {
			f.Values[item] = text
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var r Return
	var behalf int
	err = db.R.QueryRowContext(ctx, `SELECT submitted_at, submitted_by, on_behalf FROM ecstat_return WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID).
		Scan(&r.SubmittedAt, &r.SubmittedBy, &behalf)
	switch {
	case err == nil:
		r.OnBehalf = behalf == 1
		f.Return = &r
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	return f, nil
}

type answer struct {
	amount *int64
	text   string
}

// CheckForm validates the answers of enterprise e: every item answered in
// its kind, money within its range, and the survey's edits. Each error is
// on its item's field, in Chinese and English.
func CheckForm(s *Survey, e Enterprise, values map[string]string) (map[string]answer, []*i18n.Error) {
	return checkForm(s, e, values, nil)
}

// Previous is an enterprise's answers to an earlier survey, for the
// change-against-last-period edits.
type Previous struct {
	Year    int
	Amounts map[string]int64
}

func checkForm(s *Survey, e Enterprise, values map[string]string, prev *Previous) (map[string]answer, []*i18n.Error) {
	out := map[string]answer{}
	var errs []*i18n.Error
	for _, it := range s.Items {
		v := strings.TrimSpace(values[it.Code])
		if v == "" {
			errs = append(errs, i18n.Errorf("请填写「%[1]s」", "%[2]s is required", it.Name, it.NameEn).OnField(it.Code))
			continue
		}
		switch it.Kind {
		case Money:
			amt, ok := ParseAmount(v)
			max := it.Max
			if max <= 0 {
				max = 1_000_000_000
			}
			if !ok || amt < 0 || int64(amt) > max*100 {
				errs = append(errs, i18n.Errorf("「%[1]s」应为 0 到 %d 万元之间的数，最多两位小数：%q", "%[4]s must be between 0 and %[2]d (10k yuan) with at most two decimals: %[3]q",
					it.Name, max, v, it.NameEn).OnField(it.Code))
				continue
			}
			a := int64(amt)
			out[it.Code] = answer{amount: &a}
		case YesNo:
			b, ok := ParseYesNo(v)
			if !ok {
				errs = append(errs, i18n.Errorf("「%[1]s」应为 是 或 否", "%[2]s must be yes or no", it.Name, it.NameEn).OnField(it.Code))
				continue
			}
			a := int64(b2i(b))
			out[it.Code] = answer{amount: &a, text: map[bool]string{true: "yes", false: "no"}[b]}
		case Choice:
			ok := false
			for _, o := range it.Options {
				ok = ok || o == v
			}
			if !ok {
				errs = append(errs, i18n.Errorf("「%[1]s」的选项 %q 无效", "%[3]s: %[2]q is not one of its options", it.Name, v, it.NameEn).OnField(it.Code))
				continue
			}
			out[it.Code] = answer{text: v}
		}
	}
	if len(errs) > 0 {
		return out, errs
	}
	name := func(code string) string {
		it, _ := s.Item(code)
		return it.Name
	}
	nameEn := func(code string) string {
		it, _ := s.Item(code)
		return it.NameEn
	}
	for _, ed := range s.Edits {
		l, lok := out[ed.Left]
		r, rok := out[ed.Right]
		switch ed.Kind {
		case EditLE:
			if lok && rok && l.amount != nil && r.amount != nil && *l.amount > *r.amount {
				errs = append(errs, i18n.Errorf("「%[1]s」（%s 万元）不应大于「%s」（%s 万元）", "%[5]s (%[2]s) cannot exceed %[6]s (%[4]s)",
					name(ed.Left), Amount(*l.amount), name(ed.Right), Amount(*r.amount), nameEn(ed.Left), nameEn(ed.Right)).OnField(ed.Left))
			}
		case EditZeroUnless:
			if lok && rok && l.amount != nil && *l.amount != 0 && r.amount != nil && *r.amount == 0 {
				errs = append(errs, i18n.Errorf("未开展电子商务交易的企业，「%[1]s」应为 0", "%[2]s must be 0 for an enterprise that does not trade online",
					name(ed.Left), nameEn(ed.Left)).OnField(ed.Left))
			}
		case EditLERevenue:
			if lok && l.amount != nil && e.Revenue > 0 && float64(*l.amount) > ed.Factor*float64(e.Revenue) {
				errs = append(errs, i18n.Errorf("「%[1]s」（%s 万元）超过名录库营业收入（%s 万元）的 %g 倍，请核实", "%[5]s (%[2]s) exceeds %[4]g times the registered revenue (%[3]s); please check",
					name(ed.Left), Amount(*l.amount), e.Revenue, ed.Factor, nameEn(ed.Left)).OnField(ed.Left))
			}
		case EditChange:
			if prev == nil || !lok || l.amount == nil || *l.amount <= 0 || ed.Factor <= 1 {
				continue
			}
			p := prev.Amounts[ed.Left]
			if p <= 0 {
				continue
			}
			if r := float64(*l.amount) / float64(p); r > ed.Factor || r < 1/ed.Factor {
				errs = append(errs, i18n.Errorf("「%[1]s」（%[2]s 万元）与上期（%[3]d 年 %[4]s 万元）相比变化超过 %[5]g 倍，请核实", "%[6]s (%[2]s) differs from last period's (%[3]d: %[4]s) by more than %[5]g times; please check",
					name(ed.Left), Amount(*l.amount), prev.Year, Amount(p), ed.Factor, nameEn(ed.Left)).OnField(ed.Left))
			}
		}
	}
	return out, errs
}

// LastPeriod returns enterprise e's answers to the latest survey of a year
// before s's that it returned, or nil when there is none.
func LastPeriod(ctx context.Context, db *store.DB, s *Survey, e Enterprise) (*Previous, error) {
	var id int64
	p := &Previous{Amounts: map[string]int64{}}
	err := db.R.QueryRowContext(ctx, `SELECT v.id, v.year FROM ecstat_survey v JOIN ecstat_return r ON r.survey_id = v.id
		WHERE r.enterprise_id = $1 AND v.year < $2 ORDER BY v.year DESC, v.id DESC LIMIT 1`, e.ID, s.Year).Scan(&id, &p.Year)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ecstat: last period: %w", err)
	}
	rows, err := db.R.QueryContext(ctx, `SELECT item, amount FROM ecstat_response WHERE survey_id = $1 AND enterprise_id = $2 AND amount IS NOT NULL`, id, e.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var item string
		var amt int64
		if err := rows.Scan(&item, &amt); err != nil {
			return nil, err
		}
		p.Amounts[item] = amt
	}
	return p, rows.Err()
}

// Submit validates and stores enterprise e's answers to survey s as its
// return, replacing an earlier one, audited. onBehalf records that county
// staff filled it for the enterprise. Invalid answers are refused with
// every error (*FormError) and nothing is stored.
func Submit(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, e Enterprise, values map[string]string, onBehalf bool) error {
	var w float64
	err := db.R.QueryRowContext(ctx, `SELECT weight FROM ecstat_sample WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID).Scan(&w)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotSampled
	}
	if err != nil {
		return err
	}
	prev, err := LastPeriod(ctx, db, s, e)
	if err != nil {
		return err
	}
	ans, errs := checkForm(s, e, values, prev)
	if len(errs) > 0 {
		return &FormError{Errors: errs}
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ecstat_response WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID); err != nil {
			return err
		}
		for _, it := range s.Items {
			an := ans[it.Code]
			var amt any
			if an.amount != nil {
				amt = *an.amount
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_response (survey_id, enterprise_id, item, amount, text_value) VALUES ($1, $2, $3, $4, $5)`,
				s.ID, e.ID, it.Code, amt, an.text); err != nil {
				return fmt.Errorf("ecstat: store response: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ecstat_return WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_return (survey_id, enterprise_id, submitted_at, submitted_by, on_behalf) VALUES ($1, $2, $3, $4, $5)`,
			s.ID, e.ID, store.Now(), a.Name, b2i(onBehalf)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "submit", "ecstat_return", fmt.Sprintf("%d/%d", s.ID, e.ID), e.OrgPath, nil,
			map[string]any{"survey": s.ID, "enterprise": e.CreditCode, "values": values, "on_behalf": onBehalf})
	})
}

// FormError lists every problem of a refused form.
type FormError struct{ Errors []*i18n.Error }

func (e *FormError) Error() string {
	var parts []string
	for _, x := range e.Errors {
		parts = append(parts, x.Error())
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes the first error as the bilingual message.
func (e *FormError) Unwrap() error { return e.Errors[0] }
