package calendar

import (
	"errors"
	"testing"

	dom "zhihui/internal/calendar"
	"zhihui/internal/i18n"
)

func FuzzParseAdd(f *testing.F) {
	f.Add("2024-09-30", "5")
	f.Add("2024-09-30", "-2500")
	f.Add("", "")
	f.Add("2024-02-30", "1")
	f.Add("2024-09-30", "99999999999999999999")
	f.Fuzz(func(t *testing.T, from, days string) {
		d, n, err := parseAdd(from, days)
		if err != nil {
			var ie *i18n.Error
			if !errors.As(err, &ie) || ie.Zh == "" || ie.En == "" || ie.Field == "" {
				t.Fatalf("(%q, %q): error %v is not bilingual on a field", from, days, err)
			}
			return
		}
		if n < -MaxDays || n > MaxDays {
			t.Fatalf("days %d out of bounds", n)
		}
		// Answers stay within the calendar's years and come back.
		got := dom.Embedded().AddWorkingDays(d, n)
		if back := dom.Embedded().WorkingDaysBetween(d, got); back != n {
			t.Fatalf("%s %+d → %s, back %d", dom.Format(d), n, dom.Format(got), back)
		}
	})
}
