// Package period parses and does arithmetic on reporting periods, named the
// way statisticians write them: "2015" (year), "2015S1" (half-year),
// "2015Q3" (quarter) and "201507" (month).
package period

import (
	"fmt"
	"strconv"
	"time"

	"zhihui/internal/i18n"
)

// Type is the length of a period.
type Type int

const (
	Month Type = iota + 1
	Quarter
	HalfYear
	Year
)

var typeNames = map[Type]string{Month: "monthly", Quarter: "quarterly", HalfYear: "sixmonthly", Year: "yearly"}
var typeNamesZh = map[Type]string{Month: "月", Quarter: "季", HalfYear: "半年", Year: "年"}

func (t Type) String() string { return typeNames[t] }

// Zh is the Chinese name of the type.
func (t Type) Zh() string { return typeNamesZh[t] }

// Months is the number of months a period of type t spans.
func (t Type) Months() int {
	switch t {
	case Month:
		return 1
	case Quarter:
		return 3
	case HalfYear:
		return 6
	case Year:
		return 12
	}
	return 0
}

// ParseType reads a type name as stored in data element definitions.
func ParseType(s string) (Type, error) {
	for t, n := range typeNames {
		if n == s {
			return t, nil
		}
	}
	return 0, i18n.Errorf("未知的周期类型 %q（可用 monthly、quarterly、sixmonthly、yearly）",
		"unknown period type %q (use monthly, quarterly, sixmonthly or yearly)", s)
}

// Period is one reporting period. The zero value is invalid.
type Period struct {
	Type Type
	Year int
	N    int // month 1–12, quarter 1–4, half 1–2; 1 for years
}

// MinYear and MaxYear bound the years Zhihui accepts.
const (
	MinYear = 1949
	MaxYear = 2100
)

// Parse reads a period id strictly: no spaces, no lower-case letters, no
// out-of-range numbers.
func Parse(s string) (Period, error) {
	errf := func(zh, en string) (Period, error) {
		return Period{}, &i18n.Error{Text: i18n.Text{
			Zh: fmt.Sprintf("无效的报告期 %q：%s（格式：2015、2015S1、2015Q3、201507）", s, zh),
			En: fmt.Sprintf("invalid period %q: %s (formats: 2015, 2015S1, 2015Q3, 201507)", s, en),
		}}
	}
	if len(s) < 4 {
		return errf("太短", "too short")
	}
	year, ok := digits(s[:4])
	if !ok {
		return errf("年份必须是四位数字", "the year must be four digits")
	}
	if year < MinYear || year > MaxYear {
		return errf(fmt.Sprintf("年份须在 %d–%d 之间", MinYear, MaxYear), fmt.Sprintf("the year must be within %d–%d", MinYear, MaxYear))
	}
	rest := s[4:]
	switch {
	case rest == "":
		return Period{Type: Year, Year: year, N: 1}, nil
	case len(rest) == 2 && rest[0] == 'S':
		n, ok := digits(rest[1:])
		if !ok || n < 1 || n > 2 {
			return errf("半年须为 S1 或 S2", "the half-year must be S1 or S2")
		}
		return Period{Type: HalfYear, Year: year, N: n}, nil
	case len(rest) == 2 && rest[0] == 'Q':
		n, ok := digits(rest[1:])
		if !ok || n < 1 || n > 4 {
			return errf("季度须为 Q1–Q4", "the quarter must be Q1–Q4")
		}
		return Period{Type: Quarter, Year: year, N: n}, nil
	case len(rest) == 2:
		n, ok := digits(rest)
		if !ok || n < 1 || n > 12 {
			return errf("月份须为 01–12", "the month must be 01–12")
		}
		return Period{Type: Month, Year: year, N: n}, nil
	}
	return errf("无法识别的后缀", "unrecognised suffix")
}

// MustParse is Parse for constants; it panics on error.
func MustParse(s string) Period {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// ID is the canonical id, the inverse of Parse.
func (p Period) ID() string {
	switch p.Type {
	case Year:
		return fmt.Sprintf("%04d", p.Year)
	case HalfYear:
		return fmt.Sprintf("%04dS%d", p.Year, p.N)
	case Quarter:
		return fmt.Sprintf("%04dQ%d", p.Year, p.N)
	case Month:
		return fmt.Sprintf("%04d%02d", p.Year, p.N)
	}
	return ""
}

func (p Period) String() string { return p.ID() }

// Valid reports whether p is a well-formed period.
func (p Period) Valid() bool {
	if p.Year < MinYear || p.Year > MaxYear || p.N < 1 {
		return false
	}
	switch p.Type {
	case Year:
		return p.N == 1
	case HalfYear:
		return p.N <= 2
	case Quarter:
		return p.N <= 4
	case Month:
		return p.N <= 12
	}
	return false
}

// Label is a human name in lang: 2015年3季度 / 2015 Q3.
func (p Period) Label(lang string) string {
	en := len(lang) >= 2 && lang[:2] == "en"
	switch p.Type {
	case Year:
		if en {
			return fmt.Sprint(p.Year)
		}
		return fmt.Sprintf("%d年", p.Year)
	case HalfYear:
		if en {
			return fmt.Sprintf("%d H%d", p.Year, p.N)
		}
		return fmt.Sprintf("%d年%s半年", p.Year, map[int]string{1: "上", 2: "下"}[p.N])
	case Quarter:
		if en {
			return fmt.Sprintf("%d Q%d", p.Year, p.N)
		}
		return fmt.Sprintf("%d年第%d季度", p.Year, p.N)
	case Month:
		if en {
			return time.Month(p.N).String()[:3] + fmt.Sprintf(" %d", p.Year)
		}
		return fmt.Sprintf("%d年%d月", p.Year, p.N)
	}
	return ""
}

// firstMonth is the 1-based month of the year p starts in.
func (p Period) firstMonth() int { return (p.N-1)*p.Type.Months() + 1 }

// Start is the first instant of p in China Standard Time.
func (p Period) Start() time.Time {
	return time.Date(p.Year, time.Month(p.firstMonth()), 1, 0, 0, 0, 0, Shanghai)
}

// End is the first instant after p.
func (p Period) End() time.Time { return p.Start().AddDate(0, p.Type.Months(), 0) }

// Shanghai is China Standard Time (UTC+8, no daylight saving), fixed so the
// binary needs no time zone database.
var Shanghai = time.FixedZone("CST", 8*3600)

// Of returns the period of type t containing the instant at.
func Of(t Type, at time.Time) Period {
	at = at.In(Shanghai)
	m := int(at.Month())
	return Period{Type: t, Year: at.Year(), N: (m-1)/t.Months() + 1}
}

// In returns the period of type t (equal or longer) containing p.
func (p Period) In(t Type) (Period, bool) {
	if t < p.Type {
		return Period{}, false
	}
	return Period{Type: t, Year: p.Year, N: (p.firstMonth()-1)/t.Months() + 1}, true
}

// Ancestors returns the longer periods containing p, shortest first:
// 201507 → 2015Q3, 2015S2, 2015.
func (p Period) Ancestors() []Period {
	var out []Period
	for t := p.Type + 1; t <= Year; t++ {
		a, _ := p.In(t)
		out = append(out, a)
	}
	return out
}

// Contains reports whether q lies within p.
func (p Period) Contains(q Period) bool {
	a, ok := q.In(p.Type)
	return ok && a == p
}

// Children returns the periods of type t that make up p, in order.
func (p Period) Children(t Type) []Period {
	if t > p.Type {
		return nil
	}
	n := p.Type.Months() / t.Months()
	first := (p.firstMonth()-1)/t.Months() + 1
	out := make([]Period, n)
	for i := range out {
		out[i] = Period{Type: t, Year: p.Year, N: first + i}
	}
	return out
}

// Add returns the period k steps after p (before it when k < 0).
func (p Period) Add(k int) Period {
	per := 12 / p.Type.Months()
	idx := p.Year*per + (p.N - 1) + k
	y, n := idx/per, idx%per
	if n < 0 {
		y, n = y-1, n+per
	}
	return Period{Type: p.Type, Year: y, N: n + 1}
}

// Before reports whether p starts before q.
func (p Period) Before(q Period) bool { return p.Start().Before(q.Start()) }

// Range returns every period of p's type from p to q inclusive.
func Range(p, q Period) []Period {
	if p.Type != q.Type {
		return nil
	}
	var out []Period
	for x := p; !q.Before(x); x = x.Add(1) {
		out = append(out, x)
		if len(out) > 12*(MaxYear-MinYear+1) {
			break
		}
	}
	return out
}
