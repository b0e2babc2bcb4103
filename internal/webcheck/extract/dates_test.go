package extract

import (
	"fmt"
	"testing"
	"time"
)

var ref = time.Date(2024, 3, 10, 15, 0, 0, 0, Shanghai)

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, Shanghai) }

func TestDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []time.Time
	}{
		{"发布时间：2024-01-05", []time.Time{day(2024, 1, 5)}},
		{"2024/1/5 10:20", []time.Time{day(2024, 1, 5)}},
		{"2024.01.05", []time.Time{day(2024, 1, 5)}},
		{"2024年1月5日 星期五", []time.Time{day(2024, 1, 5)}},
		{"2024年01月05", []time.Time{day(2024, 1, 5)}},
		{"[01-05]", []time.Time{day(2024, 1, 5)}},
		{"［03-09］", []time.Time{day(2024, 3, 9)}},
		{"(12-20)", []time.Time{day(2023, 12, 20)}}, // after ref's month-day: last year
		{"[03-11]", []time.Time{day(2024, 3, 11)}},  // one day of slack
		{"[03-12]", []time.Time{day(2023, 3, 12)}},  // beyond slack: last year
		{"新闻 02-28", []time.Time{day(2024, 2, 28)}}, // bare MM-DD
		{"1月5日", []time.Time{day(2024, 1, 5)}},
		{"[02-29]", []time.Time{day(2024, 2, 29)}},
		{"2024-02-30", nil},
		{"2023-02-29", nil},
		{"1889-01-01", nil},
		{"电话：0371-65509999", nil},
		{"10-12-3", nil},
		{"v2024.1.5.6", nil},
		{"20240105", nil},
		{"第1-5章", nil},
		{"13-01", nil},
		{"a 2024-01-05 b 2023/12/31 c [03-01]", []time.Time{day(2024, 1, 5), day(2023, 12, 31), day(2024, 3, 1)}},
	}
	for _, tt := range tests {
		got := Dates(tt.in, ref)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Dates(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestLatest(t *testing.T) {
	t.Parallel()
	d, ok := Latest("2023-01-01 x 2024/2/3 y 2022年5月6日", ref)
	if !ok || !d.Equal(day(2024, 2, 3)) {
		t.Fatalf("Latest = %v %v", d, ok)
	}
	if _, ok := Latest("no dates here 12", ref); ok {
		t.Fatal("Latest found a date in text without one")
	}
}

// FuzzDates checks that Dates never panics, that every date it returns is a
// real calendar date in a sane range, and that a date written in each
// supported format is found again.
func FuzzDates(f *testing.F) {
	for _, s := range []string{"2024-01-05", "2024/1/5", "2024年1月5日", "[01-05]", "0371-6550", "１２-３", "2024-1-", "[12-31]"} {
		f.Add(s, int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, seed int64) {
		for _, d := range Dates(s, ref) {
			if d.Year() < 1990 || d.Year() > 2100 || d.Location() != Shanghai || d.Hour() != 0 {
				t.Fatalf("Dates(%q) returned %v", s, d)
			}
		}
		// Round trip: a date derived from seed, written every way.
		n := seed % 3000
		if n < 0 {
			n = -n
		}
		want := day(2021, 1, 1).AddDate(0, 0, int(n))
		forms := []string{
			want.Format("2006-01-02"),
			fmt.Sprintf("%d/%d/%d", want.Year(), want.Month(), want.Day()),
			fmt.Sprintf("%d年%d月%d日", want.Year(), want.Month(), want.Day()),
		}
		for _, form := range forms {
			got := Dates("x"+form+"y", ref)
			if len(got) != 1 || !got[0].Equal(want) {
				t.Fatalf("Dates(%q) = %v, want %v", form, got, want)
			}
		}
		if want.After(ref.AddDate(-1, 0, 1)) && !want.After(ref) {
			md := want.Format("[01-02]")
			got := Dates(md, ref)
			if len(got) != 1 || !got[0].Equal(want) {
				t.Fatalf("Dates(%q) = %v, want %v", md, got, want)
			}
		}
	})
}

func BenchmarkDates(b *testing.B) {
	s := "关于开展2024年安全生产检查的通知 2024-01-05 [03-01] 2023年12月31日 电话：0371-65509999"
	b.ReportAllocs()
	for b.Loop() {
		Dates(s, ref)
	}
}
