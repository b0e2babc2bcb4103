// Package measure formats quantities the one way every page, export and
// report of Zhihui shows them: digits grouped by thousands, counts without
// decimals, money in 万元 and 亿元 with two decimals, percentages with one,
// and shares never above 100 %.
package measure

import (
	"math"
	"strconv"
	"strings"
)

// Kind is how a unit's quantities are written.
type Kind int

const (
	// Plain quantities (Mb/s, index points): at most two decimals, trailing
	// zeros dropped.
	Plain Kind = iota
	// Count quantities (个, 户, 家, 项, 人, 位 …): whole numbers.
	Count
	// Money in 元, 万元 or 亿元: two decimals.
	Money
	// Percent: one decimal, a share of a whole.
	Percent
)

// countUnits are the units of things counted one by one.
var countUnits = map[string]bool{
	"个": true, "户": true, "家": true, "项": true, "人": true, "位": true, "次": true, "件": true,
	"条": true, "所": true, "座": true, "台": true, "张": true, "套": true, "部": true, "名": true,
}

// KindOf says how quantities in unit are written.
func KindOf(unit string) Kind {
	u := strings.TrimSpace(unit)
	switch {
	case u == "%" || u == "％" || u == "百分比":
		return Percent
	case u == "元" || u == "万元" || u == "亿元" || u == "万亿元" || u == "千元":
		return Money
	case countUnits[u]:
		return Count
	}
	return Plain
}

// Decimals is the number of decimals the quantities of unit are written
// with (Plain: at most two).
func Decimals(unit string) int {
	switch KindOf(unit) {
	case Count:
		return 0
	case Percent:
		return 1
	}
	return 2
}

// Number writes v with thousands separators and exactly dec decimals
// (dec < 0: at most −dec decimals, trailing zeros dropped). NaN and
// infinities are "—".
func Number(v float64, dec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	trim := dec < 0
	if trim {
		dec = -dec
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if trim && strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return out
}

// Value writes v as a quantity of unit, without the unit: counts whole,
// money with two decimals, percentages with one, anything else with at
// most two.
func Value(v float64, unit string) string {
	switch KindOf(unit) {
	case Count:
		return Number(v, 0)
	case Money:
		return Number(v, 2)
	case Percent:
		return Number(v, 1)
	}
	return Number(v, -2)
}

// With writes v followed by its unit: "14,000 个", "80.0%", "4,223.63 亿元".
func With(v float64, unit string) string {
	s := Value(v, unit)
	switch {
	case s == "—" || unit == "":
		return s
	case KindOf(unit) == Percent:
		return s + "%"
	}
	return s + " " + unit
}

// Share caps a share of a whole to [0, 100]: a forecast or a ratio of a
// percentage quantity cannot leave that range. Other units pass through.
func Share(v float64, unit string) float64 {
	if KindOf(unit) != Percent || math.IsNaN(v) {
		return v
	}
	return math.Max(0, math.Min(100, v))
}

// Progress is a completion percentage as shown: 0 to 100, whole.
func Progress(share float64) string {
	if math.IsNaN(share) || math.IsInf(share, 0) {
		return "—"
	}
	return Number(math.Max(0, math.Min(100, share)), 0) + "%"
}
