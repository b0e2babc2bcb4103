package extract

import (
	"time"
	"unicode/utf8"
)

// Shanghai is the fixed UTC+8 zone that dates on Chinese sites are written in.
var Shanghai = time.FixedZone("CST", 8*3600)

// Dates returns every calendar date written in s, in order of appearance.
// Recognised forms: 2024-01-05, 2024/1/5, 2024.1.5, 2024年1月5日, and month-day
// forms without a year — [01-05], (01-05), 01-05, 1月5日 — whose year is
// inferred from ref: the latest such date that is not after ref (plus one day
// of slack for clock skew). Impossible dates (2024-02-30) are skipped.
// Dates are returned at midnight in [Shanghai].
func Dates(s string, ref time.Time) []time.Time {
	var out []time.Time
	i := 0
	for i < len(s) {
		c := s[i]
		if !isDigit(c) || (i > 0 && isDigit(s[i-1])) {
			i++
			continue
		}
		if d, n, ok := dateAt(s, i, ref); ok {
			out = append(out, d)
			i += n
			continue
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return out
}

// Latest returns the newest date in s (see [Dates]) and whether there was one.
func Latest(s string, ref time.Time) (time.Time, bool) {
	var best time.Time
	ok := false
	for _, d := range Dates(s, ref) {
		if !ok || d.After(best) {
			best, ok = d, true
		}
	}
	return best, ok
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number reads up to max digits at s[i:]; it fails when there are more.
func number(s string, i, max int) (v, n int, ok bool) {
	for i+n < len(s) && isDigit(s[i+n]) {
		if n == max {
			return 0, 0, false
		}
		v = v*10 + int(s[i+n]-'0')
		n++
	}
	return v, n, n > 0
}

// sep reads one separator at s[i:] and returns it with its byte length.
func sep(s string, i int) (rune, int) {
	if i >= len(s) {
		return 0, 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '-', '/', '.', '年', '月', '日':
		return r, n
	}
	return 0, 0
}

func dateAt(s string, i int, ref time.Time) (time.Time, int, bool) {
	start := i
	a, na, _ := number(s, i, 4)
	if na == 0 {
		return time.Time{}, 0, false
	}
	i += na
	s1, l1 := sep(s, i)
	if l1 == 0 {
		return time.Time{}, 0, false
	}
	i += l1
	if na == 4 {
		if s1 == '月' || s1 == '日' {
			return time.Time{}, 0, false
		}
		m, nm, ok := number(s, i, 2)
		if !ok {
			return time.Time{}, 0, false
		}
		i += nm
		s2, l2 := sep(s, i)
		want := s1
		if s1 == '年' {
			want = '月'
		}
		if s2 != want {
			return time.Time{}, 0, false
		}
		i += l2
		d, nd, ok := number(s, i, 2)
		if !ok {
			return time.Time{}, 0, false
		}
		i += nd
		if s1 == '年' {
			if r, n := sep(s, i); r == '日' {
				i += n
			}
		} else if i < len(s) && s[i] == s[i-nd-l2] && i+1 < len(s) && isDigit(s[i+1]) {
			// 2024-01-05-3 or 2024.1.5.6 is a version or an id, not a date.
			return time.Time{}, 0, false
		}
		t, ok := makeDate(a, m, d)
		if !ok || a < 1990 || a > 2100 {
			return time.Time{}, 0, false
		}
		return t, i - start, true
	}
	if na > 2 {
		return time.Time{}, 0, false
	}
	// Month-day without a year.
	if s1 != '-' && s1 != '/' && s1 != '月' {
		return time.Time{}, 0, false
	}
	d, nd, ok := number(s, i, 2)
	if !ok {
		return time.Time{}, 0, false
	}
	i += nd
	switch s1 {
	case '月':
		r, n := sep(s, i)
		if r != '日' {
			return time.Time{}, 0, false
		}
		i += n
	default:
		// Bare MM-DD must be exactly two digits each and not part of a
		// longer run such as 0371-6550 or 10-12-3.
		bracketed := bracketBefore(s, start) && bracketAfter(s, i)
		if !bracketed {
			if na != 2 || nd != 2 {
				return time.Time{}, 0, false
			}
			if start > 0 {
				if p := s[start-1]; p == '-' || p == '/' || p == '.' || p == ':' {
					return time.Time{}, 0, false
				}
			}
			if r, _ := sep(s, i); r == '-' || r == '/' || r == '.' {
				return time.Time{}, 0, false
			}
		}
	}
	t, ok := inferYear(a, d, ref)
	if !ok {
		return time.Time{}, 0, false
	}
	return t, i - start, true
}

func bracketBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	switch r {
	case '[', '(', '［', '（', '【':
		return true
	}
	return false
}

func bracketAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch r {
	case ']', ')', '］', '）', '】':
		return true
	}
	return false
}

func makeDate(y, m, d int) (time.Time, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, Shanghai)
	if t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func inferYear(m, d int, ref time.Time) (time.Time, bool) {
	ref = ref.In(Shanghai)
	limit := ref.AddDate(0, 0, 1)
	for y := ref.Year(); y >= ref.Year()-4; y-- {
		t, ok := makeDate(y, m, d)
		if !ok {
			// 02-29 only exists in leap years; try earlier years.
			if m == 2 && d == 29 {
				continue
			}
			return time.Time{}, false
		}
		if !t.After(limit) {
			return t, true
		}
	}
	return time.Time{}, false
}
