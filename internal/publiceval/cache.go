package publiceval

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// What the public endpoint looks up on every rating is kept in memory:
// targets (a target's key, unit, path and address never change once
// registered), the settings (deadlines, the allow-list of embedding
// sites) and which origins may embed the widget at all.
//
// Invalidation: saving the settings and registering a target in this
// process bump [generation], and every cached answer taken before is
// read again at its next use. Another process (a second server on the
// same PostgreSQL) sees a change within [settingsTTL], or [originTTL] for
// the answer to a preflight, which only decides whether the browser may
// read an answer; whether a rating is accepted from an origin is decided
// on the settings and the target alone.
var generation atomic.Uint64

// changed invalidates every cached setting and allow-list answer of this
// process (after a commit that changed them).
func changed() { generation.Add(1) }

const (
	settingsTTL = 10 * time.Second
	originTTL   = time.Minute
	maxOrigins  = 10_000 // cached allow-list answers, beyond which the cache starts again
)

type settingsCache struct {
	mu  sync.Mutex
	ok  bool
	set Settings
	gen uint64
	at  time.Time
}

// Settings are the module's settings, from memory when fresh.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	c := &s.settings
	gen := generation.Load() // before reading, so that a change meanwhile is seen next time
	now := time.Now()
	c.mu.Lock()
	if c.ok && c.gen == gen && now.Sub(c.at) < settingsTTL {
		set := c.set
		c.mu.Unlock()
		return set, nil
	}
	c.mu.Unlock()
	set, err := LoadSettings(ctx, s.DB.R)
	if err != nil {
		return set, err
	}
	c.mu.Lock()
	c.ok, c.set, c.gen, c.at = true, set, gen, now
	c.mu.Unlock()
	return set, nil
}

// Target resolves key through the cache of targets.
func (s *Service) Target(ctx context.Context, key string) (Target, error) { return s.target(ctx, key) }

// OriginAllowed reports whether a page at origin may send ratings for t:
// t's own site or a site on the office's allow-list.
func (s *Service) OriginAllowed(ctx context.Context, t Target, origin string) (bool, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return false, err
	}
	return set.Allowed(t, origin), nil
}

type originCache struct {
	mu sync.Mutex
	m  map[string]originAnswer
}

type originAnswer struct {
	ok  bool
	gen uint64
	at  time.Time
}

// EmbeddingAllowed reports whether a page at origin may embed the widget
// for some target: a site on the allow-list, a target's site or a
// registered website. Answers are cached per origin.
func (s *Service) EmbeddingAllowed(ctx context.Context, origin string) (bool, error) {
	o, ok := OriginOf(origin)
	if !ok {
		return false, nil
	}
	c := &s.origins
	gen := generation.Load()
	now := time.Now()
	c.mu.Lock()
	a, hit := c.m[o]
	c.mu.Unlock()
	if hit && a.gen == gen && now.Sub(a.at) < originTTL {
		return a.ok, nil
	}
	ok, err := s.embeddingAllowed(ctx, o)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxOrigins {
		c.m = map[string]originAnswer{}
	}
	c.m[o] = originAnswer{ok: ok, gen: gen, at: now}
	c.mu.Unlock()
	return ok, nil
}

func (s *Service) embeddingAllowed(ctx context.Context, o string) (bool, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return false, err
	}
	for _, x := range set.Origins {
		if x == o {
			return true, nil
		}
	}
	host := strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://")
	ts, err := Targets(ctx, s.DB, "", host)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if to, ok := OriginOf(t.URL); ok && to == o {
			return true, nil
		}
	}
	return false, nil
}
