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
	Number = "number" // a number in the item's unit, exact to two decimals
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
	// Optional items may be left empty; every other item is required.
	Optional bool `json:"optional,omitempty"`
}

// Required reports whether the item must be answered.
func (it Item) Required() bool { return !it.Optional }

// Numeric reports whether the item's answer is a number (money or a
// plain number).
func (it Item) Numeric() bool { return it.Kind == Money || it.Kind == Number }

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
	// EditRange: Left is within [Min, Max] (in its unit).
	EditRange = "range"
	// EditRatio: Left / Right is within [Min, Max] when Right is positive.
	EditRatio = "ratio"
)

// Edit severities.
const (
	SevError   = "error"
	SevWarning = "warning"
)

// Edit is a validation edit across items of a form.
type Edit struct {
	Kind   string  `json:"kind"`
	Left   string  `json:"left"`
	Right  string  `json:"right,omitempty"`
	Factor float64 `json:"factor,omitempty"`
	// Min and Max bound a range edit (Left within them, in the item's
	// unit) or a ratio edit (Left / Right within them); either may be
	// absent.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Severity is SevError (the default: the form is refused until it is
	// corrected) or SevWarning (the respondent may keep the answer by
	// giving a reason).
	Severity string `json:"severity,omitempty"`
}

// Warning reports whether a failed edit may be confirmed with a reason.
func (ed Edit) Warning() bool { return ed.Severity == SevWarning }

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

// Survey is one annual or quarterly survey.
type Survey struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Year int    `json:"year"`
	// Quarter is 1–4 for a quarterly survey, 0 for an annual one.
	Quarter   int       `json:"quarter,omitempty"`
	Items     []Item    `json:"items"`
	Edits     []Edit    `json:"edits"`
	CreatedAt time.Time `json:"created_at"`
	// Deadline is the last day to answer (YYYY-MM-DD, Shanghai), "" when
	// the survey has none yet; RemindDays the working days before it that
	// the first reminder goes out.
	Deadline   string `json:"deadline,omitempty"`
	RemindDays int    `json:"remind_days,omitempty"`
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

// NewSurvey is a survey to create; no items means [DefaultItems]. Period
// is a year ("2025", annual) or a quarter ("2025Q1", quarterly); see
// [ParsePeriod].
type NewSurvey struct {
	Name   string `json:"name"`
	Period string `json:"period"`
	Items  []Item `json:"items"`
	// Edits are the form's validation edits; nil gives the default edits
	// that apply to the items, an empty list none.
	Edits *[]Edit `json:"edits,omitempty"`
}

var itemCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)

// CreateSurvey stores a new annual or quarterly survey with its items and
// the default edits that apply to them, audited.
func CreateSurvey(ctx context.Context, db *store.DB, a audit.Actor, n NewSurvey) (int64, error) {
	name := strings.TrimSpace(n.Name)
	if name == "" || len([]rune(name)) > 200 {
		return 0, i18n.Errorf("请填写调查名称（不超过 200 字）", "the survey's name is required (at most 200 characters)").OnField("name")
	}
	year, quarter, perr := ParsePeriod(n.Period)
	if perr != nil {
		return 0, perr.OnField("period")
	}
	items := n.Items
	if len(items) == 0 {
		items = DefaultItems()
	}
	if err := checkItems(items); err != nil {
		return 0, err
	}
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Code] = true
	}
	var edits []Edit
	if n.Edits != nil {
		edits = append([]Edit{}, (*n.Edits)...)
		if err := checkEdits(items, edits); err != nil {
			return 0, err
		}
	} else {
		for _, e := range DefaultEdits() {
			if seen[e.Left] && (e.Right == "" || seen[e.Right]) {
				edits = append(edits, e)
			}
		}
	}
	if edits == nil {
		edits = []Edit{}
	}
	ib, _ := json.Marshal(items)
	eb, _ := json.Marshal(edits)
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO ecstat_survey (name, year, items, edits, created_at, quarter) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			name, year, string(ib), string(eb), store.Now(), quarter).Scan(&id); err != nil {
			return fmt.Errorf("ecstat: create survey: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "ecstat_survey", strconv.FormatInt(id, 10), "/41/", nil, map[string]any{"name": name, "year": year, "quarter": quarter, "items": items, "edits": edits})
	})
	return id, err
}

// checkItems validates a form's items in place: codes upper-cased and
// unique, names present, kinds known (a standard item's kind, options and
// English name filled in when missing).
func checkItems(items []Item) error {
	if len(items) == 0 {
		return i18n.Errorf("调查表至少要有一个项目", "a survey needs at least one item").OnField("items")
	}
	if len(items) > 50 {
		return i18n.Errorf("调查表最多 50 个项目", "a survey has at most 50 items").OnField("items")
	}
	seen := map[string]bool{}
	for i := range items {
		it := &items[i]
		it.Code = strings.ToUpper(strings.TrimSpace(it.Code))
		it.Name = strings.TrimSpace(it.Name)
		it.NameEn = strings.TrimSpace(it.NameEn)
		it.Unit = strings.TrimSpace(it.Unit)
		if !itemCode.MatchString(it.Code) {
			return i18n.Errorf("第 %d 个项目的代码 %q 应为大写字母开头的字母、数字或下划线", "item %d: code %q must be capital letters, digits or underscores, starting with a letter", i+1, it.Code).OnField("items")
		}
		if seen[it.Code] {
			return i18n.Errorf("项目代码 %s 重复", "item code %s is repeated", it.Code).OnField("items")
		}
		seen[it.Code] = true
		if it.Name == "" || len([]rune(it.Name)) > 100 || len([]rune(it.NameEn)) > 200 || len([]rune(it.Unit)) > 20 {
			return i18n.Errorf("项目 %s 缺少名称，或名称、单位过长", "item %s has no name, or its name or unit is too long", it.Code).OnField("items")
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
		if it.Kind != Money && it.Kind != Number && it.Kind != YesNo && it.Kind != Choice {
			return i18n.Errorf("项目 %s 的类型 %q 应为 money、number、yesno 或 choice", "item %s: kind %q must be money, number, yesno or choice", it.Code, it.Kind).OnField("items")
		}
		if it.Kind == Money && it.Unit == "" {
			it.Unit = "万元"
		}
		var opts []string
		for _, o := range it.Options {
			if o = strings.TrimSpace(o); o != "" {
				opts = append(opts, o)
			}
		}
		it.Options = opts
		if it.Kind == Choice && len(it.Options) == 0 {
			return i18n.Errorf("选择项 %s 缺少选项", "choice item %s has no options", it.Code).OnField("items")
		}
		if it.Kind != Choice {
			it.Options = nil
		}
		if len(it.Options) > 30 {
			return i18n.Errorf("选择项 %s 最多 30 个选项", "choice item %s has more than 30 options", it.Code).OnField("items")
		}
	}
	return nil
}

const surveyCols = `id, name, year, items, edits, created_at, quarter, deadline, remind_days`

func scanSurvey(s interface{ Scan(...any) error }) (*Survey, error) {
	var sv Survey
	var items, edits string
	if err := s.Scan(&sv.ID, &sv.Name, &sv.Year, &items, &edits, &sv.CreatedAt, &sv.Quarter, &sv.Deadline, &sv.RemindDays); err != nil {
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

// Surveys lists every survey, newest period first.
func Surveys(ctx context.Context, db *store.DB) ([]*Survey, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+surveyCols+` FROM ecstat_survey ORDER BY year DESC, quarter DESC, id DESC`)
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
	s, err := scanSurvey(db.R.QueryRowContext(ctx, `SELECT `+surveyCols+` FROM ecstat_survey WHERE id = $1`, id))
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
		// Yes/no answers keep their text ("yes", "no") beside the 1 or 0
		// that estimation adds up; the form shows the text.
		if amt.Valid && text == "" {
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

// CheckForm validates the answers of enterprise e: every required item
// answered in its kind, numbers within their range, and the survey's
// edits (without a last period). Each problem — errors and warnings alike
// — is on its item's field, in Chinese and English.
func CheckForm(s *Survey, e Enterprise, values map[string]string) (map[string]answer, []*i18n.Error) {
	c := Evaluate(s, e, values, nil)
	errs := c.Errors
	for _, w := range c.Warnings {
		errs = append(errs, w.Err)
	}
	return c.answers, errs
}

// Previous is an enterprise's answers to an earlier survey, for the
// change-against-last-period edits.
type Previous struct {
	Year    int
	Quarter int
	Amounts map[string]int64
}

// PeriodText is the previous period in words, in both languages.
func (p *Previous) PeriodText() i18n.Text { return periodText(p.Year, p.Quarter) }

// Warning is a failed edit of severity warning: the respondent keeps the
// answer by giving a reason. No is the edit's index in the survey's edits.
type Warning struct {
	No  int
	Err *i18n.Error
}

// Checked is the outcome of the edits on a form.
type Checked struct {
	answers  map[string]answer
	Errors   []*i18n.Error
	Warnings []Warning
}

// Evaluate checks the answers of enterprise e against survey s's items and
// edits; prev (may be nil) is its last period's answers for the change
// edits. Errors refuse the form; warnings need a reason each. Edits are
// checked only when every item parses.
func Evaluate(s *Survey, e Enterprise, values map[string]string, prev *Previous) *Checked {
	out := map[string]answer{}
	c := &Checked{answers: out}
	for _, it := range s.Items {
		v := strings.TrimSpace(values[it.Code])
		if v == "" {
			if it.Required() {
				c.Errors = append(c.Errors, i18n.Errorf("请填写「%[1]s」", "%[2]s is required", it.Name, it.NameEn).OnField(it.Code))
			}
			continue
		}
		switch it.Kind {
		case Money, Number:
			amt, ok := ParseAmount(v)
			max := it.Max
			if max <= 0 {
				max = 1_000_000_000
			}
			if !ok || amt < 0 || int64(amt) > max*100 {
				c.Errors = append(c.Errors, i18n.Errorf("「%[1]s」应为 0 到 %[2]s 之间的数，最多两位小数：%[3]q", "%[4]s must be between 0 and %[2]s with at most two decimals: %[3]q",
					it.Name, amountText(max*100, it.Unit), v, it.NameEn).OnField(it.Code))
				continue
			}
			a := int64(amt)
			out[it.Code] = answer{amount: &a}
		case YesNo:
			b, ok := ParseYesNo(v)
			if !ok {
				c.Errors = append(c.Errors, i18n.Errorf("「%[1]s」应为 是 或 否", "%[2]s must be yes or no", it.Name, it.NameEn).OnField(it.Code))
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
				c.Errors = append(c.Errors, i18n.Errorf("「%[1]s」的选项 %q 无效", "%[3]s: %[2]q is not one of its options", it.Name, v, it.NameEn).OnField(it.Code))
				continue
			}
			out[it.Code] = answer{text: v}
		}
	}
	if len(c.Errors) > 0 {
		return c
	}
	for i, ed := range s.Edits {
		err := editFails(s, e, ed, out, prev)
		if err == nil {
			continue
		}
		if ed.Warning() {
			c.Warnings = append(c.Warnings, Warning{No: i, Err: err})
		} else {
			c.Errors = append(c.Errors, err)
		}
	}
	return c
}

// amountText shows hundredths in the item's unit.
func amountText(v int64, unit string) string {
	if unit == "" {
		return Amount(v).String()
	}
	return Amount(v).String() + " " + unit
}

// editFails returns the explanation of edit ed when the answers fail it,
// or nil. Edits over unanswered items do not apply.
func editFails(s *Survey, e Enterprise, ed Edit, out map[string]answer, prev *Previous) *i18n.Error {
	li, _ := s.Item(ed.Left)
	ri, _ := s.Item(ed.Right)
	l, lok := out[ed.Left]
	r, rok := out[ed.Right]
	lnum := lok && l.amount != nil
	rnum := rok && r.amount != nil
	switch ed.Kind {
	case EditLE:
		if lnum && rnum && *l.amount > *r.amount {
			return i18n.Errorf("「%[1]s」（%s）不应大于「%s」（%s）", "%[5]s (%[2]s) cannot exceed %[6]s (%[4]s)",
				li.Name, amountText(*l.amount, li.Unit), ri.Name, amountText(*r.amount, ri.Unit), li.NameEn, ri.NameEn).OnField(ed.Left)
		}
	case EditZeroUnless:
		if lnum && *l.amount != 0 && rnum && *r.amount == 0 {
			return i18n.Errorf("「%[3]s」为「否」时，「%[1]s」应为 0", "%[2]s must be 0 when %[4]s is no",
				li.Name, li.NameEn, ri.Name, ri.NameEn).OnField(ed.Left)
		}
	case EditLERevenue:
		if lnum && e.Revenue > 0 && float64(*l.amount) > ed.Factor*float64(e.Revenue) {
			return i18n.Errorf("「%[1]s」（%s 万元）超过名录库营业收入（%s 万元）的 %g 倍，请核实", "%[5]s (%[2]s) exceeds %[4]g times the registered revenue (%[3]s); please check",
				li.Name, Amount(*l.amount), e.Revenue, ed.Factor, li.NameEn).OnField(ed.Left)
		}
	case EditChange:
		if prev == nil || !lnum || *l.amount <= 0 || ed.Factor <= 1 {
			return nil
		}
		p := prev.Amounts[ed.Left]
		if p <= 0 {
			return nil
		}
		if x := float64(*l.amount) / float64(p); x > ed.Factor || x < 1/ed.Factor {
			pt := prev.PeriodText()
			return i18n.Errorf("「%[1]s」（%[2]s）与上期（%[3]s %[4]s）相比变化超过 %[5]g 倍（为上期的 %[7]s 倍），请核实", "%[6]s (%[2]s) differs from last period's (%[8]s: %[4]s) by more than %[5]g times (%[7]s times it); please check",
				li.Name, amountText(*l.amount, li.Unit), pt.Zh, amountText(p, li.Unit), ed.Factor, li.NameEn, strconv.FormatFloat(x, 'f', 2, 64), pt.En).OnField(ed.Left)
		}
	case EditRange:
		if !lnum {
			return nil
		}
		v := float64(*l.amount) / 100
		if ed.Min != nil && v < *ed.Min || ed.Max != nil && v > *ed.Max {
			b := bounds(ed.Min, ed.Max)
			return i18n.Errorf("「%[1]s」（%[2]s）不在 %[3]s 之内，请核实", "%[4]s (%[2]s) is not within %[5]s; please check",
				li.Name, amountText(*l.amount, li.Unit), b.Zh, li.NameEn, b.En).OnField(ed.Left)
		}
	case EditRatio:
		if !lnum || !rnum || *r.amount <= 0 {
			return nil
		}
		x := float64(*l.amount) / float64(*r.amount)
		if ed.Min != nil && x < *ed.Min || ed.Max != nil && x > *ed.Max {
			b := bounds(ed.Min, ed.Max)
			return i18n.Errorf("「%[1]s」与「%[2]s」之比为 %[3]s，不在 %[4]s 之内，请核实", "the ratio of %[5]s to %[6]s is %[3]s, not within %[7]s; please check",
				li.Name, ri.Name, strconv.FormatFloat(x, 'f', 3, 64), b.Zh, li.NameEn, ri.NameEn, b.En).OnField(ed.Left)
		}
	}
	return nil
}

// bounds says [min, max] in words.
func bounds(min, max *float64) i18n.Text {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch {
	case min != nil && max != nil:
		return i18n.Text{Zh: f(*min) + " 至 " + f(*max), En: f(*min) + " to " + f(*max)}
	case min != nil:
		return i18n.Text{Zh: "不小于 " + f(*min), En: "at least " + f(*min)}
	case max != nil:
		return i18n.Text{Zh: "不大于 " + f(*max), En: "at most " + f(*max)}
	}
	return i18n.Text{}
}

// LastPeriod returns enterprise e's answers to the latest survey of the
// same frequency before s's period that it returned (the previous quarter
// for a quarterly survey, an earlier year for an annual one), or nil when
// there is none.
func LastPeriod(ctx context.Context, db *store.DB, s *Survey, e Enterprise) (*Previous, error) {
	var id int64
	p := &Previous{Amounts: map[string]int64{}}
	q := `SELECT v.id, v.year, v.quarter FROM ecstat_survey v JOIN ecstat_return r ON r.survey_id = v.id
		WHERE r.enterprise_id = $1 AND v.quarter = 0 AND v.year < $2 ORDER BY v.year DESC, v.id DESC LIMIT 1`
	key := s.Year
	if s.Quarter > 0 {
		q = `SELECT v.id, v.year, v.quarter FROM ecstat_survey v JOIN ecstat_return r ON r.survey_id = v.id
		WHERE r.enterprise_id = $1 AND v.quarter > 0 AND v.year * 4 + v.quarter < $2 ORDER BY v.year DESC, v.quarter DESC, v.id DESC LIMIT 1`
		key = s.Year*4 + s.Quarter
	}
	err := db.R.QueryRowContext(ctx, q, e.ID, key).Scan(&id, &p.Year, &p.Quarter)
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
// every error (*FormError) and nothing is stored; so are answers failing
// an edit of severity warning (see [SubmitConfirmed]).
func Submit(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, e Enterprise, values map[string]string, onBehalf bool) error {
	return SubmitConfirmed(ctx, db, a, s, e, values, nil, onBehalf)
}

// MaxReason bounds the reason given for keeping an answer an edit warns of.
const MaxReason = 500

// SubmitConfirmed is [Submit] where reasons, by edit index, keep answers
// that fail edits of severity warning: each such warning needs a reason,
// stored with the return (see [Confirmations]). Errors are refused
// whatever the reasons.
func SubmitConfirmed(ctx context.Context, db *store.DB, a audit.Actor, s *Survey, e Enterprise, values map[string]string, reasons map[int]string, onBehalf bool) error {
	c, err := checkReturn(ctx, db, s, e, values, reasons)
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		return storeReturn(ctx, tx, a, s, e, values, c, reasons, onBehalf)
	})
}

// checkReturn checks enterprise e's answers to survey s before they are
// stored: e must be in the sample (else [ErrNotSampled]), and the answers
// must pass the form's items and edits against e's last period, with a
// reason (at most [MaxReason] characters) for every warning (else a
// *[FormError] with every problem).
func checkReturn(ctx context.Context, db *store.DB, s *Survey, e Enterprise, values map[string]string, reasons map[int]string) (*Checked, error) {
	var w float64
	err := db.R.QueryRowContext(ctx, `SELECT weight FROM ecstat_sample WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID).Scan(&w)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotSampled
	}
	if err != nil {
		return nil, err
	}
	prev, err := LastPeriod(ctx, db, s, e)
	if err != nil {
		return nil, err
	}
	c := Evaluate(s, e, values, prev)
	var open []Warning
	var errs []*i18n.Error
	for _, x := range c.Warnings {
		r := strings.TrimSpace(reasons[x.No])
		if r == "" {
			open = append(open, x)
		} else if len([]rune(r)) > MaxReason {
			errs = append(errs, i18n.Errorf("说明不超过 %d 字", "a reason has at most %d characters", MaxReason).OnField(x.Err.Field).At(0, "reason"))
		}
	}
	errs = append(c.Errors, errs...)
	if len(errs) > 0 || len(open) > 0 {
		return nil, &FormError{Errors: errs, Warnings: open}
	}
	return c, nil
}

// storeReturn writes enterprise e's checked answers c to survey s as its
// return in tx, replacing an earlier one, with the reasons kept for its
// warnings, audited.
func storeReturn(ctx context.Context, tx *store.Tx, a audit.Actor, s *Survey, e Enterprise, values map[string]string, c *Checked, reasons map[int]string, onBehalf bool) error {
	ans := c.answers
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
	if _, err := tx.ExecContext(ctx, `DELETE FROM ecstat_confirm WHERE survey_id = $1 AND enterprise_id = $2`, s.ID, e.ID); err != nil {
		return err
	}
	kept := map[string]string{}
	for _, x := range c.Warnings {
		r := strings.TrimSpace(reasons[x.No])
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecstat_confirm (survey_id, enterprise_id, edit_no, item, message_zh, message_en, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			s.ID, e.ID, x.No, x.Err.Field, x.Err.Zh, x.Err.En, r); err != nil {
			return fmt.Errorf("ecstat: store confirmation: %w", err)
		}
		kept[x.Err.Zh] = r
	}
	after := map[string]any{"survey": s.ID, "enterprise": e.CreditCode, "values": values, "on_behalf": onBehalf}
	if len(kept) > 0 {
		after["confirmed"] = kept
	}
	return audit.Record(ctx, tx, a, "submit", "ecstat_return", fmt.Sprintf("%d/%d", s.ID, e.ID), e.OrgPath, nil, after)
}

// Confirmation is a warning a respondent kept an answer against, with the
// reason given.
type Confirmation struct {
	No     int
	Item   string
	Text   i18n.Text
	Reason string
}

// Confirmations lists the warnings enterprise e confirmed in its return
// to survey id, in the order of the survey's edits.
func Confirmations(ctx context.Context, db *store.DB, id, e int64) ([]Confirmation, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT edit_no, item, message_zh, message_en, reason FROM ecstat_confirm WHERE survey_id = $1 AND enterprise_id = $2 ORDER BY edit_no`, id, e)
	if err != nil {
		return nil, fmt.Errorf("ecstat: confirmations: %w", err)
	}
	defer rows.Close()
	var out []Confirmation
	for rows.Next() {
		var c Confirmation
		if err := rows.Scan(&c.No, &c.Item, &c.Text.Zh, &c.Text.En, &c.Reason); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FormError lists every problem of a refused form: errors to correct and
// warnings still without a reason.
type FormError struct {
	Errors   []*i18n.Error
	Warnings []Warning
}

func (e *FormError) all() []*i18n.Error {
	out := append([]*i18n.Error(nil), e.Errors...)
	for _, w := range e.Warnings {
		out = append(out, w.Err)
	}
	return out
}

func (e *FormError) Error() string {
	var parts []string
	for _, x := range e.all() {
		parts = append(parts, x.Error())
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes the first problem as the bilingual message.
func (e *FormError) Unwrap() error { return e.all()[0] }
