package crawl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"log/slog"
)

// ErrNoState is returned by [StateStore.Load] when nothing was saved yet.
var ErrNoState = errors.New("crawl: no saved state")

// StateStore keeps the progress of a crawl so that an interrupted crawl can
// resume. Implementations must be safe for use by one crawl at a time.
type StateStore interface {
	// Load returns the last saved state, or an error wrapping ErrNoState.
	Load(ctx context.Context) (*State, error)
	// Save replaces the saved state.
	Save(ctx context.Context, s *State) error
}

// State is a snapshot of a crawl: every distinct URL with its result (nil
// when not yet fetched) and the pages it was found on.
type State struct {
	Seed        string          `json:"seed"`
	Started     time.Time       `json:"started"`
	Saved       time.Time       `json:"saved"`
	Pages       int             `json:"pages"`   // pages admitted
	Fetched     int             `json:"fetched"` // pages fetched
	Occurrences int64           `json:"occurrences"`
	Dropped     int             `json:"dropped,omitempty"`
	Deferred    []uint32        `json:"deferred,omitempty"` // pages found over the budget
	Nodes       []NodeState     `json:"nodes"`
	Extra       json.RawMessage `json:"extra,omitempty"` // from Config.SaveExtra
}

// NodeState is one distinct URL in a [State]. Refs are indexes into
// State.Nodes.
type NodeState struct {
	URL      string      `json:"u"`
	Depth    int32       `json:"d,omitempty"`
	Page     bool        `json:"p,omitempty"`
	External bool        `json:"x,omitempty"`
	RefCount int32       `json:"n,omitempty"`
	Refs     []uint32    `json:"r,omitempty"`
	Result   *LinkResult `json:"res,omitempty"`
}

// snapshot copies the crawl graph. Nodes being fetched are saved as not
// done and fetched again on resume.
func (c *Crawler) snapshot() *State {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &State{
		Seed: c.seed.String(), Saved: time.Now(), Pages: c.pages, Fetched: c.fetched,
		Occurrences: c.occ, Dropped: c.dropped, Nodes: make([]NodeState, len(c.nodes)),
		Deferred: append([]uint32(nil), c.deferred...),
	}
	for i := range c.nodes {
		n := &c.nodes[i]
		ns := NodeState{URL: n.url, Depth: n.depth, Page: n.page, External: n.external, RefCount: n.refCount, Refs: append([]uint32(nil), n.refs...)}
		if n.done {
			r := *n.res
			ns.Result = &r
		}
		st.Nodes[i] = ns
	}
	return st
}

func (c *Crawler) save(ctx context.Context) {
	if c.cfg.Store == nil {
		return
	}
	st := c.snapshot()
	st.Started = c.started
	if c.cfg.SaveExtra != nil {
		extra, err := c.cfg.SaveExtra()
		if err != nil {
			c.cfg.Logger.Warn("crawl: save extra state", slog.Any("error", err))
		} else {
			st.Extra = extra
		}
	}
	if err := c.cfg.Store.Save(ctx, st); err != nil {
		c.cfg.Logger.Warn("crawl: save state", slog.String("seed", st.Seed), slog.Any("error", err))
	}
}

// restore rebuilds the crawl graph from st and queues what was not done.
func (c *Crawler) restore(st *State) error {
	if c.cfg.LoadExtra != nil && len(st.Extra) > 0 {
		if err := c.cfg.LoadExtra(st.Extra); err != nil {
			return fmt.Errorf("crawl: load extra state: %w", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.started = st.Started
	c.pages, c.fetched, c.occ, c.dropped = st.Pages, st.Fetched, st.Occurrences, st.Dropped
	for _, d := range st.Deferred {
		if int(d) >= len(st.Nodes) {
			return fmt.Errorf("crawl: corrupt state: deferred node %d", d)
		}
	}
	c.deferred = append([]uint32(nil), st.Deferred...)
	c.nodes = make([]node, len(st.Nodes))
	for i, ns := range st.Nodes {
		for _, r := range ns.Refs {
			if int(r) >= len(st.Nodes) {
				return fmt.Errorf("crawl: corrupt state: node %d refers to %d", i, r)
			}
		}
		c.nodes[i] = node{url: ns.URL, depth: ns.Depth, page: ns.Page, external: ns.External, refCount: ns.RefCount, refs: ns.Refs, res: ns.Result, done: ns.Result != nil}
		if ns.Result != nil {
			c.checked++
			if ns.Result.Broken() {
				c.broken++
			}
		}
		c.index[hash64(ns.URL)] = uint32(i)
	}
	for i := range c.nodes {
		if !c.nodes[i].done {
			c.enqueue(uint32(i))
		}
	}
	return nil
}

// MemoryStore is a [StateStore] in memory. The zero value is ready to use.
type MemoryStore struct {
	mu   sync.Mutex
	data []byte
}

// Load implements [StateStore].
func (m *MemoryStore) Load(context.Context) (*State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, ErrNoState
	}
	var st State
	if err := json.Unmarshal(m.data, &st); err != nil {
		return nil, fmt.Errorf("crawl: decode state: %w", err)
	}
	return &st, nil
}

// Save implements [StateStore].
func (m *MemoryStore) Save(_ context.Context, s *State) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("crawl: encode state: %w", err)
	}
	m.mu.Lock()
	m.data = b
	m.mu.Unlock()
	return nil
}

// FileStore is a [StateStore] keeping the state as JSON in one file,
// replaced atomically on each save.
type FileStore struct {
	Path string
}

// Load implements [StateStore].
func (f FileStore) Load(context.Context) (*State, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoState
	}
	if err != nil {
		return nil, fmt.Errorf("crawl: read state: %w", err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("crawl: decode state %s: %w", f.Path, err)
	}
	return &st, nil
}

// Save implements [StateStore].
func (f FileStore) Save(_ context.Context, s *State) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("crawl: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".crawl-state-*")
	if err != nil {
		return fmt.Errorf("crawl: save state: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("crawl: save state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("crawl: save state: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("crawl: save state: %w", err)
	}
	return nil
}
