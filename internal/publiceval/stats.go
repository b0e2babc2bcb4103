package publiceval

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Counts are the sums the statistics are made of. A rating adds one to
// Total and, when it is flagged, to Suspicious only; when an appeal found
// it malicious, to Excluded only; otherwise it is valid and adds to its
// level and, if it opened a case, to the case figures.
type Counts struct {
	Total      int64    `json:"total"`
	Suspicious int64    `json:"suspicious"`
	Excluded   int64    `json:"excluded"`
	Levels     [5]int64 `json:"levels"` // index level-1: 非常不满意 … 非常满意
	Cases      int64    `json:"cases"`
	Contacted  int64    `json:"contacted"`
	Rectified  int64    `json:"rectified"`
	OnTime     int64    `json:"on_time"`
	Satisfied  int64    `json:"satisfied"`
	// Handled is the service cases (办件量) recorded for the period's
	// services and disclosures, and RatedHandled the valid ratings of the
	// same targets in the same months: the 主动评价率 is their ratio
	// (see [Counts.ActiveRate]). They come from publiceval_volume, not
	// from the month rows.
	Handled      int64 `json:"handled"`
	RatedHandled int64 `json:"rated_handled"`
}

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	c.Total += o.Total
	c.Suspicious += o.Suspicious
	c.Excluded += o.Excluded
	for i := range c.Levels {
		c.Levels[i] += o.Levels[i]
	}
	c.Cases += o.Cases
	c.Contacted += o.Contacted
	c.Rectified += o.Rectified
	c.OnTime += o.OnTime
	c.Satisfied += o.Satisfied
	c.Handled += o.Handled
	c.RatedHandled += o.RatedHandled
}

// Sub is c − o.
func (c Counts) Sub(o Counts) Counts {
	neg := Counts{Total: -o.Total, Suspicious: -o.Suspicious, Excluded: -o.Excluded, Cases: -o.Cases,
		Contacted: -o.Contacted, Rectified: -o.Rectified, OnTime: -o.OnTime, Satisfied: -o.Satisfied,
		Handled: -o.Handled, RatedHandled: -o.RatedHandled}
	for i := range o.Levels {
		neg.Levels[i] = -o.Levels[i]
	}
	c.Add(neg)
	return c
}

// Valid is the number of ratings the rates are computed on.
func (c Counts) Valid() int64 {
	var n int64
	for _, v := range c.Levels {
		n += v
	}
	return n
}

// Good is the number of valid 非常满意, 满意 and 基本满意 ratings.
func (c Counts) Good() int64 { return c.Levels[2] + c.Levels[3] + c.Levels[4] }

// Bad is the number of valid 差评.
func (c Counts) Bad() int64 { return c.Levels[0] + c.Levels[1] }

// Rate is a share in percent; ok is false without a denominator.
type Rate struct {
	Num, Den int64
}

// Percent is the share in percent (0 without a denominator).
func (r Rate) Percent() float64 {
	if r.Den == 0 {
		return 0
	}
	return float64(r.Num) * 100 / float64(r.Den)
}

// String shows the share with one decimal, or "—" without a denominator.
func (r Rate) String() string {
	if r.Den == 0 {
		return "—"
	}
	return strconv.FormatFloat(r.Percent(), 'f', 1, 64) + "%"
}

// Satisfaction is the share of 非常满意, 满意 and 基本满意 among valid ratings.
func (c Counts) Satisfaction() Rate { return Rate{c.Good(), c.Valid()} }

// BadRate is the share of 差评 among valid ratings.
func (c Counts) BadRate() Rate { return Rate{c.Bad(), c.Valid()} }

// RectifyRate is the share of 差评 cases answered (rectified or explained).
func (c Counts) RectifyRate() Rate { return Rate{c.Rectified, c.Cases} }

// OnTimeRate is the share of answered cases contacted and answered by
// their deadlines.
func (c Counts) OnTimeRate() Rate { return Rate{c.OnTime, c.Rectified} }

// CallbackRate is the share of cases where the rater was contacted.
func (c Counts) CallbackRate() Rate { return Rate{c.Contacted, c.Cases} }

// ActiveRate is the 主动评价率: valid ratings per service case handled,
// over the targets and months whose case volume is recorded (a month
// without a recorded volume counts neither its ratings nor its cases).
// Flagged ratings and those judged malicious do not count.
func (c Counts) ActiveRate() Rate { return Rate{c.RatedHandled, c.Handled} }

// row is what a rating's contribution depends on.
type row struct {
	Level    int
	Flagged  bool
	Excluded bool
}

func rowOf(r Rating) row { return row{Level: r.Level, Flagged: r.Suspicious(), Excluded: r.Excluded} }

// caseRow is what a case's contribution depends on.
type caseRow struct {
	ID           int64
	State        string
	ContactDue   time.Time
	ContactedAt  *time.Time
	RectifyDue   string
	AnsweredAt   *time.Time
	Satisfaction string
}

// Contribution is what one rating (and its case, if any) adds to the
// statistics of its month and target.
func Contribution(r row, c *caseRow) Counts {
	out := Counts{Total: 1}
	switch {
	case r.Flagged:
		out.Suspicious = 1
		return out
	case r.Excluded:
		out.Excluded = 1
		return out
	}
	if r.Level >= 1 && r.Level <= 5 {
		out.Levels[r.Level-1] = 1
	}
	if c == nil {
		return out
	}
	out.Cases = 1
	if c.ContactedAt != nil {
		out.Contacted = 1
	}
	if c.State == StateAnswered || c.State == StateClosed {
		out.Rectified = 1
		if c.onTime() {
			out.OnTime = 1
		}
	}
	if c.Satisfaction == SatisfactionYes {
		out.Satisfied = 1
	}
	return out
}

// onTime: contacted by the contact deadline and answered by the end of
// the rectification day.
func (c caseRow) onTime() bool {
	if c.ContactedAt == nil || c.AnsweredAt == nil || c.ContactedAt.After(c.ContactDue) {
		return false
	}
	return c.RectifyDue == "" || MonthDay(*c.AnsweredAt) <= c.RectifyDue
}

// MonthDay is t's date in Asia/Shanghai as YYYY-MM-DD.
func MonthDay(t time.Time) string { return t.In(shanghai).Format("2006-01-02") }

const countCols = "total, suspicious, excluded, l1, l2, l3, l4, l5, cases, contacted, rectified, ontime, satisfied"

func (c *Counts) ptrs() []any {
	return []any{&c.Total, &c.Suspicious, &c.Excluded, &c.Levels[0], &c.Levels[1], &c.Levels[2], &c.Levels[3], &c.Levels[4],
		&c.Cases, &c.Contacted, &c.Rectified, &c.OnTime, &c.Satisfied}
}

func (c Counts) vals() []any {
	return []any{c.Total, c.Suspicious, c.Excluded, c.Levels[0], c.Levels[1], c.Levels[2], c.Levels[3], c.Levels[4],
		c.Cases, c.Contacted, c.Rectified, c.OnTime, c.Satisfied}
}

// qMonth adds to a month row: month, target, path, then the counts.
var qMonth = func() string {
	cols := strings.Split(countCols, ", ")
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = publiceval_month." + c + " + excluded." + c
	}
	return `INSERT INTO publiceval_month (month, target_id, org_path, ` + countCols + `)
		VALUES (` + store.Placeholders(1, 3+len(cols)) + `) ON CONFLICT (month, target_id) DO UPDATE SET ` + strings.Join(set, ", ")
}()

// addMonth adds d to the month row of target, in tx.
func addMonth(ctx context.Context, tx *store.Tx, month string, target int64, path string, d Counts) error {
	if d == (Counts{}) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, qMonth, append([]any{month, target, path}, d.vals()...)...); err != nil {
		return fmt.Errorf("publiceval: month figures: %w", err)
	}
	return nil
}

// Key identifies a month row.
type Key struct {
	Month  string
	Target int64
}

// Stored returns the month rows as kept.
func Stored(ctx context.Context, db *store.DB) (map[Key]Counts, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT month, target_id, `+countCols+` FROM publiceval_month`)
	if err != nil {
		return nil, fmt.Errorf("publiceval: stored figures: %w", err)
	}
	defer rows.Close()
	out := map[Key]Counts{}
	for rows.Next() {
		var k Key
		var c Counts
		if err := rows.Scan(append([]any{&k.Month, &k.Target}, c.ptrs()...)...); err != nil {
			return nil, err
		}
		if c != (Counts{}) {
			out[k] = c
		}
	}
	return out, rows.Err()
}

// Recompute computes the month rows from the ratings and cases
// themselves; it always equals [Stored].
func Recompute(ctx context.Context, db *store.DB) (map[Key]Counts, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT r.month, r.target_id, r.level, r.flags, r.excluded,
		c.id, c.state, c.contact_due, c.contacted_at, c.rectify_due, c.answered_at, c.satisfaction
		FROM publiceval_rating r LEFT JOIN publiceval_case c ON c.rating_id = r.id`)
	if err != nil {
		return nil, fmt.Errorf("publiceval: recompute: %w", err)
	}
	defer rows.Close()
	out := map[Key]Counts{}
	for rows.Next() {
		var k Key
		var rw row
		var flags string
		var cid *int64
		var state, due, sat *string
		var cdue, contacted, answered *time.Time
		if err := rows.Scan(&k.Month, &k.Target, &rw.Level, &flags, &rw.Excluded, &cid, &state, &cdue, &contacted, &due, &answered, &sat); err != nil {
			return nil, err
		}
		rw.Flagged = flags != ""
		var c *caseRow
		if cid != nil {
			c = &caseRow{ID: *cid, State: *state, ContactDue: *cdue, ContactedAt: contacted, RectifyDue: *due, AnsweredAt: answered, Satisfaction: *sat}
		}
		sum := out[k]
		sum.Add(Contribution(rw, c))
		out[k] = sum
	}
	return out, rows.Err()
}

// Period is a month (YYYYMM) or a year (YYYY) as the months it covers.
type Period struct {
	ID       string
	From, To string // YYYYMM, inclusive
}

// ParsePeriod reads YYYYMM or YYYY.
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	bad := i18n.Errorf("期间「%s」应写作 YYYYMM（月）或 YYYY（年）", "the period %q is YYYYMM (a month) or YYYY (a year)", clip(s, 20)).OnField("period")
	for _, r := range s {
		if r < '0' || r > '9' {
			return Period{}, bad
		}
	}
	switch len(s) {
	case 4:
		if y, _ := strconv.Atoi(s); y < 2000 || y > 2100 {
			return Period{}, bad
		}
		return Period{ID: s, From: s + "01", To: s + "12"}, nil
	case 6:
		y, _ := strconv.Atoi(s[:4])
		m, _ := strconv.Atoi(s[4:])
		if y < 2000 || y > 2100 || m < 1 || m > 12 {
			return Period{}, bad
		}
		return Period{ID: s, From: s, To: s}, nil
	}
	return Period{}, bad
}

// Stats sums the figures of the targets in the subtree path over p.
func Stats(ctx context.Context, db *store.DB, path string, p Period) (Counts, error) {
	lo, hi := orgunit.SubtreeRange(path)
	var c Counts
	sums := make([]string, 0, 13)
	for _, col := range strings.Split(countCols, ", ") {
		sums = append(sums, "COALESCE(SUM("+col+"), 0)")
	}
	err := db.R.QueryRowContext(ctx, `SELECT `+strings.Join(sums, ", ")+` FROM publiceval_month
		WHERE org_path >= $1 AND org_path < $2 AND month >= $3 AND month <= $4`, lo, hi, p.From, p.To).Scan(c.ptrs()...)
	if err != nil {
		return c, fmt.Errorf("publiceval: stats: %w", err)
	}
	vs, err := volumeFigures(ctx, db, path, p)
	if err != nil {
		return c, err
	}
	for _, v := range vs {
		c.Handled += v.Handled
		c.RatedHandled += v.Rated
	}
	return c, nil
}

// RankRow is one unit or target of a ranking.
type RankRow struct {
	Rank    int    `json:"rank"`
	Code    string `json:"code"` // unit code or target key
	Name    string `json:"name"`
	OrgCode string `json:"org_code"`
	Counts  Counts `json:"counts"`
}

// RankUnits ranks the units directly under path (and the unit itself
// for its own targets) by satisfaction over p; units without valid
// ratings come last, unranked.
func RankUnits(ctx context.Context, db *store.DB, path string, p Period) ([]RankRow, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT org_path, `+countCols+` FROM publiceval_month
		WHERE org_path >= $1 AND org_path < $2 AND month >= $3 AND month <= $4`, lo, hi, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("publiceval: ranking: %w", err)
	}
	defer rows.Close()
	by := map[string]*RankRow{}
	var order []string
	for rows.Next() {
		var op string
		var c Counts
		if err := rows.Scan(append([]any{&op}, c.ptrs()...)...); err != nil {
			return nil, err
		}
		code := childUnder(op, path)
		if by[code] == nil {
			by[code] = &RankRow{Code: code}
			order = append(order, code)
		}
		by[code].Counts.Add(c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vs, err := volumeFigures(ctx, db, path, p)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		code := childUnder(v.OrgPath, path)
		if by[code] == nil {
			by[code] = &RankRow{Code: code}
			order = append(order, code)
		}
		by[code].Counts.Handled += v.Handled
		by[code].Counts.RatedHandled += v.Rated
	}
	units, err := orgunit.GetMany(ctx, db, order)
	if err != nil {
		return nil, err
	}
	for _, u := range units {
		if r := by[u.Code]; r != nil {
			r.Name, r.OrgCode = u.Name, u.Code
		}
	}
	out := make([]RankRow, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	return rank(out), nil
}

// childUnder is the code of the unit directly under path on the way to
// op (op's own code when op is path).
func childUnder(op, path string) string {
	codes := orgunit.PathCodes(op)
	depth := len(orgunit.PathCodes(path))
	if depth < len(codes) {
		return codes[depth]
	}
	return codes[len(codes)-1]
}

// RankTargets ranks the targets of the subtree path by satisfaction over p.
func RankTargets(ctx context.Context, db *store.DB, path string, p Period) ([]RankRow, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT t.tkey, t.name, t.org_code, `+prefixed("m.", countCols)+` FROM publiceval_month m
		JOIN publiceval_target t ON t.id = m.target_id
		WHERE m.org_path >= $1 AND m.org_path < $2 AND m.month >= $3 AND m.month <= $4`, lo, hi, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("publiceval: target ranking: %w", err)
	}
	defer rows.Close()
	by := map[string]*RankRow{}
	var order []string
	for rows.Next() {
		var r RankRow
		var c Counts
		if err := rows.Scan(append([]any{&r.Code, &r.Name, &r.OrgCode}, c.ptrs()...)...); err != nil {
			return nil, err
		}
		if by[r.Code] == nil {
			by[r.Code] = &r
			order = append(order, r.Code)
		}
		by[r.Code].Counts.Add(c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	vs, err := volumeFigures(ctx, db, path, p)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if by[v.Key] == nil {
			by[v.Key] = &RankRow{Code: v.Key, Name: v.Name, OrgCode: v.OrgCode}
			order = append(order, v.Key)
		}
		by[v.Key].Counts.Handled += v.Handled
		by[v.Key].Counts.RatedHandled += v.Rated
	}
	out := make([]RankRow, 0, len(order))
	for _, c := range order {
		out = append(out, *by[c])
	}
	return rank(out), nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// rank orders rows by satisfaction (exact fractions), then by valid
// ratings, then code; rows without valid ratings get rank 0.
func rank(rows []RankRow) []RankRow {
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].Counts, rows[j].Counts
		if (a.Valid() == 0) != (b.Valid() == 0) {
			return b.Valid() == 0
		}
		// a.Good/a.Valid > b.Good/b.Valid, compared as integers
		l, r := a.Good()*b.Valid(), b.Good()*a.Valid()
		if l != r {
			return l > r
		}
		if a.Valid() != b.Valid() {
			return a.Valid() > b.Valid()
		}
		return rows[i].Code < rows[j].Code
	})
	for i := range rows {
		if rows[i].Counts.Valid() > 0 {
			rows[i].Rank = i + 1
		}
	}
	return rows
}

// Publish makes the statistics of month visible on the public page.
func (s *Service) Publish(ctx context.Context, a audit.Actor, month string) error {
	if _, err := ParsePeriod(month); err != nil || len(month) != 6 {
		return i18n.Errorf("请选择要发布的月份", "choose the month to publish").OnField("month")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO publiceval_published (month, published_at, actor_name) VALUES ($1, $2, $3)
			ON CONFLICT (month) DO NOTHING`, month, s.now(), a.Name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "publish", "publiceval_month", month, "/"+orgunit.Root+"/", nil, month)
	})
}

// Published lists the published months, newest first.
func Published(ctx context.Context, db *store.DB) ([]string, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT month FROM publiceval_published ORDER BY month DESC LIMIT 120`)
	if err != nil {
		return nil, fmt.Errorf("publiceval: published: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Months lists the months with ratings in the subtree path, newest first.
func Months(ctx context.Context, db *store.DB, path string) ([]string, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT DISTINCT month FROM publiceval_month WHERE org_path >= $1 AND org_path < $2 ORDER BY month DESC LIMIT 120`, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("publiceval: months: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ChannelCount is what came through one channel over a period.
type ChannelCount struct {
	Channel    string `json:"channel"`
	Total      int64  `json:"total"`
	Suspicious int64  `json:"suspicious"`
	Valid      int64  `json:"valid"` // neither flagged nor judged malicious
	Good       int64  `json:"good"`  // valid 非常满意, 满意, 基本满意
	Bad        int64  `json:"bad"`   // valid 差评
}

// Satisfaction is the share of good ratings among the channel's valid ones.
func (c ChannelCount) Satisfaction() Rate { return Rate{c.Good, c.Valid} }

// ChannelNames name the channels.
var ChannelNames = map[string]i18n.Text{
	ChannelWeb:    {Zh: "评价页面", En: "Rating page"},
	ChannelWidget: {Zh: "网站嵌入组件", En: "Embedded widget"},
	ChannelAPI:    {Zh: "接口", En: "API"},
	ChannelImport: {Zh: "省好差评系统导入", En: "Imported from the provincial system"},
	ChannelMobile: {Zh: "移动端（扫码、手机）", En: "Mobile (QR code, phone)"},
}

// ByChannel counts the ratings of the subtree path over p per channel
// (the rating page, the mobile page, the widget, the API, the
// provincial system's imports), read from the ratings themselves, busiest channel first.
func ByChannel(ctx context.Context, db *store.DB, path string, p Period) ([]ChannelCount, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT channel, COUNT(*),
		SUM(CASE WHEN flags <> '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN flags = '' AND NOT excluded THEN 1 ELSE 0 END),
		SUM(CASE WHEN flags = '' AND NOT excluded AND level >= 3 THEN 1 ELSE 0 END),
		SUM(CASE WHEN flags = '' AND NOT excluded AND level <= 2 THEN 1 ELSE 0 END)
		FROM publiceval_rating WHERE org_path >= $1 AND org_path < $2 AND month >= $3 AND month <= $4
		GROUP BY channel ORDER BY COUNT(*) DESC, channel`, lo, hi, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("publiceval: by channel: %w", err)
	}
	defer rows.Close()
	var out []ChannelCount
	for rows.Next() {
		var c ChannelCount
		if err := rows.Scan(&c.Channel, &c.Total, &c.Suspicious, &c.Valid, &c.Good, &c.Bad); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
