package auth

import (
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/period"
)

// MaxTokenTTL is the longest lifetime a token can be given short of never.
const MaxTokenTTL = 5 * 366 * 24 * time.Hour

// ParseExpiry reads a token lifetime as typed by a user: "never", a number
// of days ("90d", "90"), a Go duration ("12h") or a date ("2027-06-30", the
// end of that day in Asia/Shanghai). It returns the zero time for never.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	bad := i18n.Errorf("无法识别的有效期 %q：请写天数（如 90d）、日期（如 2027-06-30）或 never", "unrecognised lifetime %q: give days (90d), a date (2027-06-30) or never", s).OnField("expires")
	var d time.Duration
	switch {
	case s == "never" || s == "永久" || s == "0":
		return time.Time{}, nil
	case s == "":
		d = DefaultTokenTTL
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		day, err := time.ParseInLocation("2006-01-02", s, period.Shanghai)
		if err != nil {
			return time.Time{}, bad
		}
		t := day.AddDate(0, 0, 1)
		if !t.After(now) {
			return time.Time{}, i18n.Errorf("到期日期 %s 已经过去", "the expiry date %s has passed", s).OnField("expires")
		}
		d = t.Sub(now)
	default:
		n := strings.TrimSuffix(s, "d")
		if days, err := strconv.Atoi(n); err == nil {
			if days <= 0 || days > 5*366 {
				return time.Time{}, bad
			}
			d = time.Duration(days) * 24 * time.Hour
		} else if dd, err := time.ParseDuration(s); err == nil && dd > 0 {
			d = dd
		} else {
			return time.Time{}, bad
		}
	}
	if d > MaxTokenTTL {
		return time.Time{}, i18n.Errorf("有效期最长 5 年；不过期请写 never", "a lifetime is at most 5 years; write never for no expiry").OnField("expires")
	}
	return now.Add(d), nil
}
