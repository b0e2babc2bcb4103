package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"zhihui/internal/i18n"
)

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestYearCounts checks every embedded year against its notice: the
// weekdays it makes days off, the weekend days it makes working days,
// and their difference, which is the year's statutory holidays falling
// on weekdays net of 调休 (11 a year; 2015 adds the 70th anniversary of
// the victory; 2020 the extension of the Spring Festival; 13 from 2025).
func TestYearCounts(t *testing.T) {
	want := map[int][2]int{ // year: weekday days off, working weekend days
		2013: {23, 12}, 2014: {16, 5}, 2015: {17, 5}, 2016: {17, 6}, 2017: {16, 5},
		2018: {17, 6}, 2019: {18, 7}, 2020: {19, 6}, 2021: {18, 7}, 2022: {18, 7},
		2023: {18, 7}, 2024: {19, 8}, 2025: {18, 5}, 2026: {19, 6},
	}
	net := map[int]int{2015: 12, 2020: 13, 2025: 13, 2026: 13}
	c := Embedded()
	if got := len(c.Years()); got != len(want) {
		t.Fatalf("embedded years = %d, want %d", got, len(want))
	}
	for y, w := range want {
		yr, ok := c.Year(y)
		if !ok {
			t.Errorf("%d missing", y)
			continue
		}
		if !strings.Contains(yr.Source, "国务院") {
			t.Errorf("%d: no notice cited: %q", y, yr.Source)
		}
		weekdaysOff, work := 0, 0
		for _, d := range yr.Days {
			cd, err := parseDate(d.Date)
			if err != nil {
				t.Fatal(err)
			}
			wd := cd.weekday()
			weekend := wd == time.Saturday || wd == time.Sunday
			switch {
			case d.Kind == Off && !weekend:
				weekdaysOff++
			case d.Kind == Work && weekend:
				work++
			case d.Kind == Work:
				t.Errorf("%d: working day %s is not a weekend day", y, d.Date)
			}
		}
		if weekdaysOff != w[0] || work != w[1] {
			t.Errorf("%d: weekday days off %d, working weekends %d; want %d, %d", y, weekdaysOff, work, w[0], w[1])
		}
		n := 11
		if v, ok := net[y]; ok {
			n = v
		}
		if weekdaysOff-work != n {
			t.Errorf("%d: net days off %d, want %d", y, weekdaysOff-work, n)
		}
	}
}

func TestWorkingDays2024(t *testing.T) {
	c := Embedded()
	off := []string{"2024-01-01", "2024-02-12", "2024-02-16", "2024-04-04", "2024-04-05",
		"2024-05-01", "2024-05-02", "2024-05-03", "2024-06-10", "2024-09-16", "2024-09-17",
		"2024-10-01", "2024-10-04", "2024-10-07"}
	work := []string{"2024-02-04", "2024-02-18", "2024-04-07", "2024-04-28", "2024-05-11",
		"2024-09-14", "2024-09-29", "2024-10-12", "2024-10-08", "2024-05-06", "2024-02-19"}
	for _, s := range off {
		if c.IsWorkingDay(date(t, s)) {
			t.Errorf("%s should be a holiday", s)
		}
	}
	for _, s := range work {
		if !c.IsWorkingDay(date(t, s)) {
			t.Errorf("%s should be a working day", s)
		}
	}
	// Plain weekends and weekdays outside every notice.
	if c.IsWorkingDay(date(t, "2024-03-09")) || !c.IsWorkingDay(date(t, "2024-03-11")) {
		t.Error("plain weekend/weekday misread")
	}
	if c.IsWorkingDay(date(t, "2031-03-08")) || !c.IsWorkingDay(date(t, "2031-01-01")) {
		t.Error("a year without notice should be plain Monday–Friday")
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := Embedded()
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2024-09-30", 5, "2024-10-12"},
		{"2024-09-30", 1, "2024-10-08"},
		{"2024-09-30", 0, "2024-09-30"},
		{"2024-10-12", -5, "2024-09-30"},
		{"2024-10-08", -1, "2024-09-30"},
		{"2024-02-08", 1, "2024-02-09"},
		{"2024-02-09", 1, "2024-02-18"},
		{"2025-01-24", 1, "2025-01-26"},
		{"2025-01-26", 1, "2025-01-27"},
		{"2025-01-27", 1, "2025-02-05"},
		{"2020-01-23", 1, "2020-02-03"}, // the extended 2020 Spring Festival: 1 February was no longer a working day
		{"2016-12-30", 1, "2017-01-03"},
		{"2026-02-13", 1, "2026-02-14"},
		{"2026-02-14", 1, "2026-02-24"},
		{"2024-01-01", 251, "2024-12-31"}, // 1 January 2024 was a holiday; the year had 251 working days
	} {
		got := Format(c.AddWorkingDays(date(t, tc.from), tc.n))
		if got != tc.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
	// The time of day and zone of from do not matter, only its date in Shanghai.
	late := time.Date(2024, 9, 29, 20, 0, 0, 0, time.UTC) // 30 Sept 04:00 in Shanghai
	if got := Format(c.AddWorkingDays(late, 5)); got != "2024-10-12" {
		t.Errorf("from a UTC evening: %s", got)
	}
	if got := c.AddWorkingDays(late, 5); got.Location() != Shanghai || got.Hour() != 0 {
		t.Errorf("result %v is not midnight in Shanghai", got)
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := Embedded()
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2024-09-30", "2024-10-12", 5},
		{"2024-10-12", "2024-09-30", -5},
		{"2024-09-30", "2024-09-30", 0},
		{"2024-10-01", "2024-10-07", 0},
		// Whole years: weekdays, minus weekdays off, plus working weekends.
		{"2023-12-31", "2024-12-31", 262 - 19 + 8}, // 251
		{"2024-12-31", "2025-12-31", 261 - 18 + 5}, // 248
		{"2025-12-31", "2026-12-31", 261 - 19 + 6}, // 248
	} {
		got := c.WorkingDaysBetween(date(t, tc.from), date(t, tc.to))
		if got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestParseYearTextRoundTrip(t *testing.T) {
	for _, y := range Embedded().Years() {
		back, err := ParseYearText(y.Year, y.Source, y.Text())
		if err != nil {
			t.Fatalf("%d: %v\n%s", y.Year, err, y.Text())
		}
		if len(back.Days) != len(y.Days) {
			t.Fatalf("%d: %d days back, want %d", y.Year, len(back.Days), len(y.Days))
		}
		for i := range y.Days {
			if back.Days[i] != y.Days[i] {
				t.Errorf("%d: day %d = %+v, want %+v", y.Year, i, back.Days[i], y.Days[i])
			}
		}
	}
}

func TestParseYearTextErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"元旦 2027-01-01..2027-01-03 work 2027-01-06", "not a Saturday or Sunday"},
		{"元旦 2027-13-01", "YYYY-MM-DD"},
		{"元旦 2028-01-01", "does not belong to 2027"},
		{"元旦 2026-11-30", "does not belong to 2027"},
		{"元旦 2027-01-03..2027-01-01", "run forwards"},
		{"春节 2027-02-01..2027-03-15", "at most 31 days"},
		{"元旦 2027-01-01\n春节 2027-01-01", "already listed on line 1"},
		{"元旦", "NAME OFF-DAYS"},
		{"元旦 2027-01-01 2027-01-02", "separated by commas"},
		{"元旦 2027-01-01 work 2027-01-09..2027-01-10", "cannot be a range"},
		{"", "no holidays"},
	} {
		_, err := ParseYearText(2027, "", tc.text)
		var ie *i18n.Error
		if !errors.As(err, &ie) {
			t.Errorf("%q: error %v is not bilingual", tc.text, err)
			continue
		}
		if !strings.Contains(ie.En, tc.want) || ie.Zh == "" {
			t.Errorf("%q: error %q, want %q", tc.text, ie.En, tc.want)
		}
	}
	// A good year, 元旦 starting in the December before.
	y, err := ParseYearText(2027, "通知", "元旦 2026-12-31..2027-01-02\n春节 2027-02-05..2027-02-11 work 2027-02-20")
	if err != nil {
		t.Fatal(err)
	}
	c := Embedded().With(y)
	if c.IsWorkingDay(date(t, "2027-02-08")) || !c.IsWorkingDay(date(t, "2027-02-20")) || c.IsWorkingDay(date(t, "2026-12-31")) {
		t.Error("an added year is not used")
	}
	if !Embedded().IsWorkingDay(date(t, "2026-12-31")) {
		t.Error("With changed the embedded calendar")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-09-30", "2024-02-29", "2023-02-29", "99999-01-01", "2024-9-30", " 2024-09-30", "", "2024-09-30T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			var ie *i18n.Error
			if !errors.As(err, &ie) || ie.Zh == "" || ie.En == "" {
				t.Fatalf("%q: error %v is not bilingual", s, err)
			}
			return
		}
		if got := Format(d); got != strings.TrimSpace(s) {
			t.Fatalf("%q read as %s", s, got)
		}
	})
}

func FuzzParseYearText(f *testing.F) {
	for _, y := range Embedded().Years() {
		f.Add(y.Text())
	}
	f.Add("元旦 2027-01-01..2027-01-03 work 2027-01-09,2027-01-10")
	f.Fuzz(func(t *testing.T, text string) {
		y, err := ParseYearText(2027, "", text)
		if err != nil {
			var ie *i18n.Error
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not bilingual", err)
			}
			return
		}
		back, err := ParseYearText(2027, "", y.Text())
		if err != nil || len(back.Days) != len(y.Days) {
			t.Fatalf("round trip of %q: %v", y.Text(), err)
		}
	})
}

func TestBetweenUndoesAdd(t *testing.T) {
	c := Embedded()
	for d := date(t, "2023-12-20"); d.Before(date(t, "2024-02-25")); d = d.AddDate(0, 0, 1) {
		for _, n := range []int{-12, -5, -1, 0, 1, 5, 12} {
			if got := c.WorkingDaysBetween(d, c.AddWorkingDays(d, n)); got != n {
				t.Fatalf("%s %+d: back %d", Format(d), n, got)
			}
		}
	}
}

func TestPostpone(t *testing.T) {
	c := Embedded()
	at := time.Date(2024, 10, 3, 2, 30, 0, 0, time.UTC) // 10:30 on 3 October in Shanghai
	if got := c.Postpone(at); !got.Equal(time.Date(2024, 10, 8, 2, 30, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("holiday: %v", got)
	}
	sat := time.Date(2024, 10, 12, 9, 0, 0, 0, Shanghai) // a working Saturday
	if got := c.Postpone(sat); !got.Equal(sat) {
		t.Errorf("working Saturday: %v", got)
	}
	sun := time.Date(2024, 10, 13, 17, 0, 0, 0, Shanghai)
	if got := c.Postpone(sun); !got.Equal(time.Date(2024, 10, 14, 17, 0, 0, 0, Shanghai)) {
		t.Errorf("Sunday: %v", got)
	}
}
