package publiceval

import (
	"hash/maphash"
	"sync"
	"time"
)

// windowLimit is a hard limit of max events per key within a sliding
// window, in fixed memory whatever the number of keys: a flood of
// ratings from ever new addresses (or IPv6 addresses sprayed on purpose)
// costs neither memory nor time per request.
//
// The window is cut into slots; each slot counts in a count-min sketch
// (depth rows of width counters, a key adding one to one counter per
// row), and a key's count is the smallest row sum over the slots of the
// last window and the current one. A count-min sketch never counts less
// than the truth, so no key passes its limit; other keys sharing all its
// counters can only make it count more. With width counters per row that
// needs a window of some width × max events before it can refuse anyone
// early — far beyond a province's raters (see docs/performance.md).
type windowLimit struct {
	max   int
	slot  time.Duration
	width uint64
	now   func() time.Time
	seed  maphash.Seed

	mu    sync.Mutex
	ring  [][]uint16 // slots × depth × width counters, allocated on first use
	epoch []int64    // the slot number each ring entry counts
}

const limitDepth = 4

// newWindowLimit allows max events per key within window, counted in
// slots of window/slots with width counters per row.
func newWindowLimit(max int, window time.Duration, slots int, width uint64) *windowLimit {
	return &windowLimit{max: max, slot: window / time.Duration(slots), width: width, now: time.Now, seed: maphash.MakeSeed(),
		ring: make([][]uint16, slots+1), epoch: make([]int64, slots+1)}
}

// Attempt counts an event for key and reports whether it is within the
// limit; a refused event is not counted.
func (l *windowLimit) Attempt(key string) bool {
	h := maphash.String(l.seed, key)
	h1, h2 := h&0xffffffff, h>>32|1
	var idx [limitDepth]uint64
	for i := range idx {
		idx[i] = uint64(i)*l.width + (h1+uint64(i)*h2)%l.width
	}
	n := l.now().UnixNano() / int64(l.slot)
	l.mu.Lock()
	defer l.mu.Unlock()
	cur := int(n % int64(len(l.ring)))
	if l.epoch[cur] != n || l.ring[cur] == nil {
		if l.ring[cur] == nil {
			l.ring[cur] = make([]uint16, limitDepth*l.width)
		} else {
			clear(l.ring[cur])
		}
		l.epoch[cur] = n
	}
	count := -1
	for _, j := range idx {
		sum := 0
		for s, c := range l.ring {
			if c != nil && l.epoch[s] > n-int64(len(l.ring)) {
				sum += int(c[j])
			}
		}
		if count < 0 || sum < count {
			count = sum
		}
	}
	if count >= l.max {
		return false
	}
	for _, j := range idx {
		if c := &l.ring[cur][j]; *c < 0xffff {
			*c++
		}
	}
	return true
}
