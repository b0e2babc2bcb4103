package evaluate

import (
	"math"
	"testing"
)

// FuzzParseRatio: accepted entries are positive and finite, and "a/b"
// means a divided by b.
func FuzzParseRatio(f *testing.F) {
	for _, s := range []string{"3", "1/3", " 1 / 9 ", "0", "-2", "1/0", "abc", "1e308/1e-308", "NaN", "Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		x, ok := parseRatio(s)
		if ok && (!(x > 0) || math.IsInf(x, 0) || math.IsNaN(x)) {
			t.Fatalf("%q accepted as %v", s, x)
		}
	})
}
