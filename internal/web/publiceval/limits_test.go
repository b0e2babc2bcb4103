package publiceval

import (
	"fmt"
	"testing"
	"time"
)

// TestWindowLimit: max events per key within the window, whatever else
// is counted; a refused event is not counted; the window slides; a
// sketch far too narrow for its keys still lets no key past its limit
// (it only refuses early), and its memory does not grow with the keys.
func TestWindowLimit(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	l := newWindowLimit(3, 10*time.Minute, 5, 1<<12)
	l.now = func() time.Time { return at }
	for i := range 3 {
		if !l.Attempt("198.51.100.7") {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	for range 5 {
		if l.Attempt("198.51.100.7") {
			t.Fatal("a fourth attempt within the window passed")
		}
	}
	if !l.Attempt("198.51.100.8") {
		t.Fatal("another address refused")
	}
	at = at.Add(9 * time.Minute)
	if l.Attempt("198.51.100.7") {
		t.Fatal("passed before the window ended")
	}
	at = at.Add(3 * time.Minute) // 12 minutes after the first three: one slot more than the window
	for i := range 3 {
		if !l.Attempt("198.51.100.7") {
			t.Fatalf("after the window, attempt %d refused", i+1)
		}
	}
	if l.Attempt("198.51.100.7") {
		t.Fatal("a fourth attempt in the new window passed")
	}

	// 64 counters per row for 20,000 keys: many refused early, none past its limit
	narrow := newWindowLimit(3, 10*time.Minute, 5, 64)
	narrow.now = func() time.Time { return at }
	passed := map[string]int{}
	for round := range 5 {
		for k := range 20_000 {
			key := fmt.Sprintf("2001:db8::%x", k)
			if narrow.Attempt(key) {
				passed[key]++
			}
		}
		at = at.Add(time.Second * time.Duration(round))
	}
	for k, n := range passed {
		if n > 3 {
			t.Fatalf("%s passed %d times", k, n)
		}
	}
	for _, c := range narrow.ring {
		if c != nil && len(c) != limitDepth*64 {
			t.Fatalf("a slot of %d counters", len(c))
		}
	}
}
