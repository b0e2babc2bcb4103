package auth

import (
	"sync"
	"time"
)

// Limiter counts failed logins per key (an account name or an IP address)
// in a sliding window and refuses further attempts past a limit. State is
// per process: each serve process limits on its own.
type Limiter struct {
	Max    int
	Window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
	now      func() time.Time
}

// NewLimiter allows max failures per key within window.
func NewLimiter(max int, window time.Duration) *Limiter {
	return &Limiter{Max: max, Window: window, failures: map[string][]time.Time{}, now: time.Now}
}

func (l *Limiter) prune(key string, now time.Time) []time.Time {
	fs := l.failures[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.Window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = fs
	}
	return fs
}

// Blocked reports whether key is over its limit and, if so, how long until
// it may try again.
func (l *Limiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.prune(key, now)
	if len(fs) < l.Max {
		return false, 0
	}
	return true, l.Window - now.Sub(fs[len(fs)-l.Max])
}

// Fail records a failed attempt for key.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.failures[key] = append(l.prune(key, now), now)
	if len(l.failures) > 100_000 { // bound memory under a spray of keys
		for k := range l.failures {
			l.prune(k, now)
		}
	}
}

// Reset forgets key's failures (after a successful login).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	delete(l.failures, key)
	l.mu.Unlock()
}

// Attempt counts an attempt for key before it is made and reports whether
// it may go ahead: checking and counting happen under one lock, so that
// parallel attempts cannot all pass a check made before any of them
// failed. A refused attempt is not counted. [Limiter.Undo] takes back an
// attempt that succeeded.
func (l *Limiter) Attempt(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.prune(key, now)
	if len(fs) >= l.Max {
		return false, l.Window - now.Sub(fs[len(fs)-l.Max])
	}
	l.failures[key] = append(fs, now)
	if len(l.failures) > 100_000 {
		for k := range l.failures {
			l.prune(k, now)
		}
	}
	return true, 0
}

// Undo takes back the latest attempt counted for key.
func (l *Limiter) Undo(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fs := l.failures[key]
	switch len(fs) {
	case 0:
	case 1:
		delete(l.failures, key)
	default:
		l.failures[key] = fs[:len(fs)-1]
	}
}
