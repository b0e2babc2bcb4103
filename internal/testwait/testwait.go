// Package testwait bounds the waits of tests by the test's own deadline
// (go test -timeout) instead of fixed durations, so that a slow, loaded
// machine makes a test slower, not red: Until polls a condition, Context
// and Budget give what is left of the test's time.
package testwait

import (
	"context"
	"testing"
	"time"
)

// Budget is the time t has left before its deadline, less a margin (a
// tenth, at least 5 s) to report a failure before go test stops the
// process; an hour when the test has no deadline.
func Budget(t testing.TB) time.Duration {
	d, ok := t.(interface{ Deadline() (time.Time, bool) })
	if !ok {
		return time.Hour
	}
	end, ok := d.Deadline()
	if !ok {
		return time.Hour
	}
	left := time.Until(end)
	margin := max(left/10, 5*time.Second)
	if left-margin < time.Second {
		return time.Second
	}
	return left - margin
}

// Context returns a context that ends when t's budget does, or when the
// test ends.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Budget(t))
	t.Cleanup(cancel)
	return ctx
}

// Until polls cond until it holds, failing t with what when the test's
// budget runs out first. It polls often at first and then every 100 ms.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Budget(t))
	pause := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
}
