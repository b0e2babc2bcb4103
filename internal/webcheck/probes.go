package webcheck

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/webcheck/crawl"
	"zhihui/internal/webcheck/probe"
)

// SiteProbe is a probe result for a site.
type SiteProbe struct {
	SiteID int64
	probe.Result
}

// SaveProbeBatch appends probes of many sites in one transaction (COPY on
// PostgreSQL).
func SaveProbeBatch(ctx context.Context, db *store.DB, ps []SiteProbe) error {
	if len(ps) == 0 {
		return nil
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := db.Copy(ctx, tx, "webcheck_probe", []string{"site_id", "at", "status", "elapsed_ms", "ok", "error"},
			func(yield func(row []any) error) error {
				for _, p := range ps {
					if err := yield([]any{p.SiteID, p.Time.UTC().Truncate(time.Microsecond), p.Status, p.ElapsedMS, p.OK, p.Err}); err != nil {
						return err
					}
				}
				return nil
			})
		return err
	})
	if err != nil {
		return fmt.Errorf("webcheck: save probes: %w", err)
	}
	return nil
}

// ProbeSummary is a site's availability over a period.
type ProbeSummary struct {
	probe.Summary
	Last *probe.Result `json:"last,omitempty"`
}

// SiteAvailability summarises a site's probes since a time.
func SiteAvailability(ctx context.Context, db *store.DB, siteID int64, since time.Time) (ProbeSummary, error) {
	rs, err := Probes(ctx, db, siteID, since)
	if err != nil {
		return ProbeSummary{}, err
	}
	s := ProbeSummary{Summary: probe.Summarize(rs)}
	if len(rs) > 0 {
		s.Last = &rs[len(rs)-1]
	}
	return s, nil
}

func probeClient(allowPrivate bool, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	return crawl.NewClient(crawl.ClientOptions{Timeout: timeout, AllowPrivate: allowPrivate, MaxConns: 2,
		UserAgent: "zhihui-webcheck/1.0 (availability probe)"})
}

// probeSink buffers scheduler results and writes them in batches.
type probeSink struct {
	db  *store.DB
	ids map[string]int64
	log *slog.Logger
	mu  sync.Mutex
	buf []SiteProbe
}

func newProbeSink(db *store.DB, ids map[string]int64, log *slog.Logger) *probeSink {
	return &probeSink{db: db, ids: ids, log: log}
}

func (s *probeSink) add(r probe.Result) {
	id, ok := s.ids[r.URL]
	if !ok {
		return
	}
	s.mu.Lock()
	s.buf = append(s.buf, SiteProbe{SiteID: id, Result: r})
	s.mu.Unlock()
}

func (s *probeSink) flush(ctx context.Context) {
	s.mu.Lock()
	b := s.buf
	s.buf = nil
	s.mu.Unlock()
	if err := SaveProbeBatch(ctx, s.db, b); err != nil {
		s.log.Warn("webcheck probes: save", "err", err, "probes", len(b))
	}
}

func (s *probeSink) run(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.flush(context.WithoutCancel(ctx))
		}
	}
}
