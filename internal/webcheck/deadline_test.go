package webcheck

import (
	"testing"
	"time"

	"zhihui/internal/period"
)

func TestRectificationDeadlineSkipsHolidays(t *testing.T) {
	at := time.Date(2024, 9, 26, 10, 0, 0, 0, period.Shanghai)
	if got := rectifyBy(at, 5); !got.Equal(time.Date(2024, 10, 8, 10, 0, 0, 0, period.Shanghai)) {
		t.Errorf("5 days after 26 September 2024 fall on 1 October: got %v, want 8 October", got)
	}
	if got := rectifyBy(at, 7); !got.Equal(time.Date(2024, 10, 8, 10, 0, 0, 0, period.Shanghai)) {
		t.Errorf("3 October: got %v", got)
	}
	if got := rectifyBy(at, 16); !got.Equal(time.Date(2024, 10, 12, 10, 0, 0, 0, period.Shanghai)) {
		t.Errorf("12 October 2024 was a working Saturday: got %v", got)
	}
}
