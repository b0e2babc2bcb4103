// Package calendar knows China's working days: Monday to Friday, minus
// the official public holidays, plus the weekend days the State Council
// makes working days (调休). The holidays of 2013 through 2026 are
// embedded (holidays.txt, each year citing its notice); the office adds
// later years, or corrects one, through a stored table ([Load], [SaveYear]).
//
// Every date is a civil date in Asia/Shanghai: a time.Time argument is
// first moved to that zone and only its date counts.
package calendar

import (
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/period"
)

//go:embed holidays.txt
var embedded string

// Shanghai is the zone every date is read in (China Standard Time, the
// same fixed zone as package period, so that no zone database is needed).
var Shanghai = period.Shanghai

// FirstYear and LastYear bound the years a calendar may describe; dates
// outside them are read as plain Monday–Friday weeks.
const (
	FirstYear = 2000
	LastYear  = 2100
)

// Kind says what a listed day is.
type Kind string

const (
	Off  Kind = "off"  // a day of a holiday period (weekends inside it included)
	Work Kind = "work" // a weekend day made a working day (调休上班)
)

// Day is one listed day of a year's holidays.
type Day struct {
	Date string `json:"date"` // YYYY-MM-DD
	Kind Kind   `json:"kind"`
	Name string `json:"name"` // the holiday it belongs to: 春节, 国庆节 …
}

// Year is one notice's holidays: every listed day, in date order.
type Year struct {
	Year   int    `json:"year"`
	Source string `json:"source"` // the notice it comes from
	Days   []Day  `json:"days"`
	// Stored is set for years the office added or corrected.
	Stored bool `json:"stored"`
}

// Count returns how many holiday days (off) and working weekend days
// (work) the year lists.
func (y Year) Count() (off, work int) {
	for _, d := range y.Days {
		if d.Kind == Off {
			off++
		} else {
			work++
		}
	}
	return off, work
}

// Calendar answers working-day questions. A Calendar is immutable and
// safe for concurrent use.
type Calendar struct {
	years map[int]Year
	days  map[civil]Day
}

// civil is a date without a zone.
type civil struct {
	y int
	m time.Month
	d int
}

func civilOf(t time.Time) civil {
	y, m, d := t.In(Shanghai).Date()
	return civil{y, m, d}
}

func (c civil) time() time.Time { return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, Shanghai) }

func (c civil) add(days int) civil {
	y, m, d := time.Date(c.y, c.m, c.d+days, 0, 0, 0, 0, time.UTC).Date()
	return civil{y, m, d}
}

func (c civil) weekday() time.Weekday {
	return time.Date(c.y, c.m, c.d, 0, 0, 0, 0, time.UTC).Weekday()
}

func (c civil) String() string { return fmt.Sprintf("%04d-%02d-%02d", c.y, int(c.m), c.d) }

var embeddedCal = mustParse()

func mustParse() *Calendar {
	years, err := ParseText(embedded)
	if err != nil {
		panic("calendar: embedded holidays: " + err.Error())
	}
	return build(years)
}

var current atomic.Pointer[Calendar]

// Default is the installation's calendar: [Embedded] until the server
// calls [SetDefault] with the result of [Load] at start, and again after
// the office saves a year ([SaveYear] does it). Code without a store at
// hand (due dates of reports) reads it.
func Default() *Calendar {
	if c := current.Load(); c != nil {
		return c
	}
	return embeddedCal
}

// SetDefault makes c the calendar [Default] returns.
func SetDefault(c *Calendar) { current.Store(c) }

// Embedded returns the calendar of the embedded years (2013–2026).
func Embedded() *Calendar { return embeddedCal }

// build makes a calendar of years; a later year with the same number
// replaces an earlier one.
func build(years []Year) *Calendar {
	c := &Calendar{years: map[int]Year{}, days: map[civil]Day{}}
	for _, y := range years {
		c.years[y.Year] = y
	}
	for _, y := range c.years {
		for _, d := range y.Days {
			cd, _ := parseDate(d.Date)
			c.days[cd] = d
		}
	}
	return c
}

// With returns a calendar with years added, replacing years of the same
// number.
func (c *Calendar) With(years ...Year) *Calendar {
	all := c.Years()
	return build(append(all, years...))
}

// Years lists the calendar's years in order.
func (c *Calendar) Years() []Year {
	out := make([]Year, 0, len(c.years))
	for _, y := range c.years {
		out = append(out, y)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Year < out[j].Year })
	return out
}

// Year returns the listed days of year y; ok is false when the calendar
// does not know y (its dates are then plain Monday–Friday weeks).
func (c *Calendar) Year(y int) (Year, bool) {
	v, ok := c.years[y]
	return v, ok
}

// IsWorkingDay reports whether t's date in Asia/Shanghai is a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool { return c.working(civilOf(t)) }

func (c *Calendar) working(d civil) bool {
	if day, ok := c.days[d]; ok {
		return day.Kind == Work
	}
	wd := d.weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns midnight (Asia/Shanghai) of the n-th working day
// after from's date; n < 0 counts backwards, n == 0 returns from's date
// itself, working day or not. "5 working days after 2024-09-30" is
// 2024-10-12: 1–7 October are holidays, Tuesday 8 to Friday 11 count four,
// and Saturday 12 October is a working day.
func (c *Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	d := civilOf(from)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.add(step)
		if c.working(d) {
			n--
		}
	}
	return d.time()
}

// Postpone returns t when its date (Asia/Shanghai) is a working day, and
// otherwise the same time of day on the next working day: a deadline that
// falls on a weekend or public holiday moves to the next working day
// (遇节假日顺延).
func (c *Calendar) Postpone(t time.Time) time.Time {
	d := civilOf(t)
	if c.working(d) {
		return t
	}
	n := civilOf(c.AddWorkingDays(t, 1))
	s := t.In(Shanghai)
	return time.Date(n.y, n.m, n.d, s.Hour(), s.Minute(), s.Second(), s.Nanosecond(), Shanghai).In(t.Location())
}

// WorkingDaysBetween counts the working days after from's date up to and
// including to's date. When to is before from it counts, negated, the
// working days from to's date up to but excluding from's date. Either way
// it undoes [Calendar.AddWorkingDays]: WorkingDaysBetween(from,
// AddWorkingDays(from, n)) == n.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := civilOf(from), civilOf(to)
	n := 0
	if b.time().Before(a.time()) {
		for d := b; d.time().Before(a.time()); d = d.add(1) {
			if c.working(d) {
				n--
			}
		}
		return n
	}
	for d := a.add(1); !d.time().After(b.time()); d = d.add(1) {
		if c.working(d) {
			n++
		}
	}
	return n
}

// ParseDate reads a YYYY-MM-DD date as midnight in Asia/Shanghai, with a
// bilingual error naming what is wrong.
func ParseDate(s string) (time.Time, error) {
	d, err := parseDate(s)
	if err != nil {
		return time.Time{}, err
	}
	return d.time(), nil
}

func parseDate(s string) (civil, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse("2006-01-02", s)
	if err != nil || len(s) != 10 {
		return civil{}, i18n.Errorf("日期「%s」应写作 YYYY-MM-DD，例如 2024-09-30", "the date %q should be written YYYY-MM-DD, for example 2024-09-30", s)
	}
	if t.Year() < FirstYear || t.Year() > LastYear {
		return civil{}, i18n.Errorf("日期「%s」超出 %d–%d 年", "the date %q is outside the years %d–%d", s, FirstYear, LastYear)
	}
	y, m, dd := t.Date()
	return civil{y, m, dd}, nil
}

// Format writes t's date in Asia/Shanghai as YYYY-MM-DD.
func Format(t time.Time) string { return civilOf(t).String() }

// ParseText reads holidays in the format of holidays.txt: "notice YEAR
// SOURCE" lines and "YEAR NAME OFF-DAYS [work DAYS]" lines, where days
// are dates or FIRST..LAST ranges joined by commas. Errors name the line.
func ParseText(text string) ([]Year, error) {
	byYear := map[int]*Year{}
	var order []int
	get := func(y int) *Year {
		if v, ok := byYear[y]; ok {
			return v
		}
		byYear[y] = &Year{Year: y}
		order = append(order, y)
		return byYear[y]
	}
	seen := map[civil]int{}
	for i, line := range strings.Split(text, "\n") {
		row := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if f[0] == "notice" {
			if len(f) < 3 {
				return nil, i18n.Errorf("应为「notice 年份 通知名称」", "expected \"notice YEAR SOURCE\"").At(row, "")
			}
			y, err := parseYear(f[1])
			if err != nil {
				return nil, err.At(row, "")
			}
			get(y).Source = strings.Join(f[2:], " ")
			continue
		}
		y, err := parseYear(f[0])
		if err != nil {
			return nil, err.At(row, "")
		}
		yr := get(y)
		rest := f[1:]
		days, perr := parseLine(y, rest)
		if perr != nil {
			return nil, perr.At(row, "")
		}
		for _, d := range days {
			cd, _ := parseDate(d.Date)
			if prev, dup := seen[cd]; dup {
				return nil, i18n.Errorf("日期 %s 已在第 %d 行列出", "the date %s is already listed on line %d", d.Date, prev).At(row, "")
			}
			seen[cd] = row
		}
		yr.Days = append(yr.Days, days...)
	}
	out := make([]Year, 0, len(order))
	for _, y := range order {
		v := *byYear[y]
		sort.Slice(v.Days, func(i, j int) bool { return v.Days[i].Date < v.Days[j].Date })
		out = append(out, v)
	}
	return out, nil
}

func parseYear(s string) (int, *i18n.Error) {
	y, err := strconv.Atoi(s)
	if err != nil || y < FirstYear || y > LastYear {
		return 0, i18n.Errorf("年份「%s」应为 %d–%d 之间的整数", "the year %q should be a whole number from %d to %d", s, FirstYear, LastYear)
	}
	return y, nil
}

// parseLine reads "NAME OFF-DAYS [work DAYS]" of year y.
func parseLine(y int, f []string) ([]Day, *i18n.Error) {
	if len(f) < 2 {
		return nil, i18n.Errorf("应为「名称 放假日期 [work 上班日期]」", "expected \"NAME OFF-DAYS [work WORKING-DAYS]\"")
	}
	name := f[0]
	if len(f) != 2 && (len(f) != 4 || f[2] != "work") {
		return nil, i18n.Errorf("应为「名称 放假日期 [work 上班日期]」，日期之间用逗号分隔、不加空格", "expected \"NAME OFF-DAYS [work WORKING-DAYS]\", dates separated by commas without spaces")
	}
	var out []Day
	off, err := parseDays(y, f[1], 31)
	if err != nil {
		return nil, err
	}
	for _, d := range off {
		out = append(out, Day{Date: d.String(), Kind: Off, Name: name})
	}
	if len(f) == 4 {
		work, err := parseDays(y, f[3], 0)
		if err != nil {
			return nil, err
		}
		for _, d := range work {
			if wd := d.weekday(); wd != time.Saturday && wd != time.Sunday {
				return nil, i18n.Errorf("上班日 %s 不是周六或周日", "the working day %s is not a Saturday or Sunday", d)
			}
			out = append(out, Day{Date: d.String(), Kind: Work, Name: name})
		}
	}
	return out, nil
}

// parseDays reads dates and ranges joined by commas, each within a month
// of year y; maxRange > 0 allows FIRST..LAST ranges of at most that many
// days.
func parseDays(y int, s string, maxRange int) ([]civil, *i18n.Error) {
	var out []civil
	for _, part := range strings.Split(s, ",") {
		first, last, isRange := strings.Cut(part, "..")
		a, err := parseDate(first)
		if err != nil {
			return nil, err.(*i18n.Error)
		}
		b := a
		if isRange {
			if maxRange == 0 {
				return nil, i18n.Errorf("上班日不能写成区间：%s", "working days cannot be a range: %s", part)
			}
			if b, err = parseDate(last); err != nil {
				return nil, err.(*i18n.Error)
			}
			if b.time().Before(a.time()) || b.time().Sub(a.time()) > time.Duration(maxRange)*24*time.Hour {
				return nil, i18n.Errorf("区间 %s 应从早到晚且不超过 %d 天", "the range %s should run forwards and span at most %d days", part, maxRange)
			}
		}
		for d := a; !d.time().After(b.time()); d = d.add(1) {
			if d.y < y-1 || d.y > y || (d.y == y-1 && d.m != time.December) {
				return nil, i18n.Errorf("日期 %s 不属于 %d 年（只有元旦可从上一年 12 月开始）", "the date %s does not belong to %d (only 元旦 may start in the December before)", d, y)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// ParseYearText reads the holidays of year y written one per line as
// "NAME OFF-DAYS [work WORKING-DAYS]" (the office's edit form; see
// [Year.Text]). Errors name the line.
func ParseYearText(y int, source, text string) (Year, error) {
	if _, err := parseYear(strconv.Itoa(y)); err != nil {
		return Year{}, err
	}
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			b.WriteString("\n")
			continue
		}
		b.WriteString(strconv.Itoa(y) + " " + line + "\n")
	}
	years, err := ParseText(b.String())
	if err != nil {
		return Year{}, err
	}
	out := Year{Year: y, Source: strings.TrimSpace(source)}
	if len(years) == 1 {
		out.Days = years[0].Days
	}
	if len(out.Days) == 0 {
		return Year{}, i18n.Errorf("%d 年没有列出任何假日", "no holidays are listed for %d", y)
	}
	return out, nil
}

type holiday struct {
	name      string
	off, work []string
}

// Text writes y one holiday a line, in the format [ParseYearText] reads.
func (y Year) Text() string {
	var hs []*holiday
	idx := map[string]*holiday{}
	for _, d := range y.Days {
		h, ok := idx[d.Name]
		if !ok {
			h = &holiday{name: d.Name}
			idx[d.Name] = h
			hs = append(hs, h)
		}
		if d.Kind == Off {
			h.off = append(h.off, d.Date)
		} else {
			h.work = append(h.work, d.Date)
		}
	}
	key := func(h *holiday) string {
		if len(h.off) > 0 {
			return h.off[0]
		}
		return h.work[0]
	}
	sort.SliceStable(hs, func(i, j int) bool { return key(hs[i]) < key(hs[j]) })
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.name + " " + ranges(h.off))
		if len(h.work) > 0 {
			b.WriteString(" work " + strings.Join(h.work, ","))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// ranges joins sorted dates, writing runs of consecutive days as
// FIRST..LAST.
func ranges(dates []string) string {
	var parts []string
	for i := 0; i < len(dates); {
		j := i
		for j+1 < len(dates) {
			a, _ := parseDate(dates[j])
			b, _ := parseDate(dates[j+1])
			if a.add(1) != b {
				break
			}
			j++
		}
		if j == i {
			parts = append(parts, dates[i])
		} else {
			parts = append(parts, dates[i]+".."+dates[j])
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
