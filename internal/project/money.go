package project

import (
	"strconv"
	"strings"

	"zhihui/internal/i18n"
)

// Money is an amount in whole 元; it is entered and shown in 万元 with up
// to four decimals. Sums and ratios of amounts are integer arithmetic.
type Money int64

// maxWan is the largest amount accepted, in 万元 (a thousand 亿元).
const maxWan = 10_000_000

// ParseWan reads an amount in 万元 ("1234.5", "1,234.5678", "１２３") exactly:
// at most four decimals, not negative, at most maxWan.
func ParseWan(s string) (Money, error) {
	raw := s
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		case r == ',' || r == '，' || r == ' ':
			return -1
		}
		return r
	}, s)
	s = strings.TrimSuffix(s, "万元")
	if s == "" {
		return 0, i18n.Errorf("请填写金额（万元）", "enter the amount (in 10,000 yuan)")
	}
	if strings.HasPrefix(s, "-") {
		return 0, i18n.Errorf("金额不能为负数：%q", "the amount cannot be negative: %q", raw)
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if !digits(whole) || (frac != "" && !digits(frac)) || strings.Count(s, ".") > 1 {
		return 0, i18n.Errorf("金额应为数字（万元）：%q", "the amount must be a number (in 10,000 yuan): %q", raw)
	}
	if len(frac) > 4 {
		return 0, i18n.Errorf("金额最多保留 4 位小数（万元，即精确到元）：%q", "the amount has more than 4 decimals (10,000 yuan, i.e. to the yuan): %q", raw)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > maxWan {
		return 0, i18n.Errorf("金额过大（最多 %d 万元）：%q", "the amount is too large (at most %d × 10,000 yuan): %q", maxWan, raw)
	}
	frac += strings.Repeat("0", 4-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Money(w*10000 + f), nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Wan is m in 万元 without trailing zeros ("1234.5").
func (m Money) Wan() string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strconv.FormatInt(int64(m/10000), 10)
	if f := int64(m % 10000); f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(10000+f, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// String is m in 万元.
func (m Money) String() string { return m.Wan() }

// MarshalText writes m in 万元, exactly, for JSON.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.Wan()), nil }

// UnmarshalText reads an amount in 万元.
func (m *Money) UnmarshalText(b []byte) error {
	v, err := ParseWan(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ExceedsBy reports whether m is more than pct percent above base, in
// integer arithmetic: m·100 > base·(100+pct).
func (m Money) ExceedsBy(base Money, pct int64) bool {
	return int64(m)*100 > int64(base)*(100+pct)
}

// PercentOver is how far m lies above base, in percent with one decimal
// ("12.5"), for messages.
func (m Money) PercentOver(base Money) string {
	if base <= 0 {
		return "—"
	}
	// tenths of a percent, rounded half up
	t := (int64(m-base)*1000*2 + int64(base)) / (2 * int64(base))
	s := strconv.FormatInt(t/10, 10)
	if r := t % 10; r != 0 {
		if r < 0 {
			r = -r
		}
		s += "." + strconv.FormatInt(r, 10)
	}
	return s
}
