package supervise

import "time"

// Calendar counts working days. The official China calendar (with its
// 调休 swaps) satisfies it; [Weekdays] is the plain Monday–Friday one.
type Calendar interface {
	IsWorkingDay(d time.Time) bool
	AddWorkingDays(from time.Time, n int) time.Time
	WorkingDaysBetween(from, to time.Time) int
}

// Shanghai is the zone every date of the module is read in.
var Shanghai = time.FixedZone("CST", 8*3600)

// Weekdays is the calendar where Monday to Friday are working days.
type Weekdays struct{}

// IsWorkingDay reports whether d falls on Monday to Friday in Shanghai.
func (Weekdays) IsWorkingDay(d time.Time) bool {
	wd := d.In(Shanghai).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the n-th working day after from (n ≥ 0; 0 is
// from itself).
func (c Weekdays) AddWorkingDays(from time.Time, n int) time.Time {
	d := day(from)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// WorkingDaysBetween counts the working days after from up to and
// including to; negative when to is before from.
func (c Weekdays) WorkingDaysBetween(from, to time.Time) int {
	a, b := day(from), day(to)
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return sign * n
}

// day is t's date at midnight in Shanghai.
func day(t time.Time) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Shanghai)
}

// ParseDate reads YYYY-MM-DD as a Shanghai date.
func ParseDate(s string) (time.Time, error) { return time.ParseInLocation("2006-01-02", s, Shanghai) }

// FormatDate writes t's Shanghai date as YYYY-MM-DD.
func FormatDate(t time.Time) string { return t.In(Shanghai).Format("2006-01-02") }

// memo remembers the working-day counts of a calendar for the date pairs
// it was asked, so that computing the lights of many items issued in
// batches (same start, few distinct deadlines) counts each span once.
type memo struct {
	Calendar
	between map[[2]int64]int
}

// Memo wraps c with a cache of WorkingDaysBetween; not safe for
// concurrent use.
func Memo(c Calendar) Calendar {
	if _, ok := c.(*memo); ok {
		return c
	}
	return &memo{Calendar: c, between: map[[2]int64]int{}}
}

func (m *memo) WorkingDaysBetween(from, to time.Time) int {
	k := [2]int64{day(from).Unix(), day(to).Unix()}
	if n, ok := m.between[k]; ok {
		return n
	}
	n := m.Calendar.WorkingDaysBetween(from, to)
	m.between[k] = n
	return n
}
