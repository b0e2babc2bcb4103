package measure

import (
	"math"
	"testing"
)

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{Number(22014.5, 2), "22,014.50"},
		{Number(5600, 2), "5,600.00"},
		{Number(-1234567.891, 1), "-1,234,567.9"},
		{Number(-0.001, 1), "0.0"},
		{Number(12.50, -2), "12.5"},
		{Number(math.NaN(), 2), "—"},
		{With(22014.5, "亿元"), "22,014.50 亿元"},
		{With(5600, "亿元"), "5,600.00 亿元"},
		{With(14000, "个"), "14,000 个"},
		{With(13999.6, "户"), "14,000 户"},
		{With(80, "%"), "80.0%"},
		{With(20, "Mb/s"), "20 Mb/s"},
		{With(3.456, ""), "3.46"},
		{Progress(1.234e3), "100%"},
		{Progress(-5), "0%"},
		{Progress(84.4), "84%"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if Share(130, "%") != 100 || Share(-3, "%") != 0 || Share(130, "个") != 130 {
		t.Fatal("Share caps percentages only")
	}
}

func FuzzNumber(f *testing.F) {
	f.Add(1234.5, 2)
	f.Add(-0.5, 0)
	f.Fuzz(func(t *testing.T, v float64, dec int) {
		dec = dec % 6
		s := Number(v, dec)
		if s == "" {
			t.Fatal("empty")
		}
		for i := 0; i+1 < len(s); i++ {
			if s[i] == ',' && s[i+1] == ',' {
				t.Fatalf("%q", s)
			}
		}
	})
}
