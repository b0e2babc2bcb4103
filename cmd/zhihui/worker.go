package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/store"
	"zhihui/internal/web"
	"zhihui/internal/webcheck"
	"zhihui/internal/webcheck/axe"
)

func init() {
	register("worker", "run website inspection jobs from the database; start as many as needed, on any machine", runWorker)
}

func runWorker(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	c.StoreFlags(fs)
	conc := fs.Int("concurrency", 2, "inspections run at once")
	allowPrivate := fs.Bool("allow-private", false, "allow inspection of private and loopback addresses")
	lease := fs.Duration("lease", 2*time.Minute, "job lease; a job whose worker stops renewing is taken over after this")
	id := fs.String("id", "", "worker name in the job table (default host:pid:n)")
	probe := fs.Duration("probe-interval", 0, "also probe every site's homepage this often (0: off; run it in one process only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.DB.Dialect == store.SQLite {
		fmt.Fprintln(os.Stderr, "note: on SQLite `zhihui serve` already runs inspection jobs; extra workers share its single writer")
	}
	fmt.Printf("zhihui worker %s on %s, %d at once\n", version, a.Where(), *conc)
	var wg sync.WaitGroup
	startInspection(ctx, &wg, a.DB, a.Log, inspectionOptions{workers: *conc, lease: *lease, id: *id, probe: *probe, allowPrivate: *allowPrivate})
	wg.Wait()
	return nil
}

type inspectionOptions struct {
	workers      int
	lease        time.Duration
	id           string
	probe        time.Duration
	allowPrivate bool
	demo         bool
}

// startInspection runs the website inspection background work until ctx
// ends: a job worker, the availability probe loop and, for the demo, the
// demo inspection rounds.
func startInspection(ctx context.Context, wg *sync.WaitGroup, db *store.DB, log *slog.Logger, o inspectionOptions) {
	if o.workers > 0 {
		w := &webcheck.Worker{DB: db, ID: o.id, Concurrency: o.workers, Lease: o.lease, Log: log,
			Options: webcheck.Options{AllowPrivate: o.allowPrivate}}
		if _, err := os.Stat(axe.DefaultChromePath); err == nil {
			w.Options.AxeScript, w.Options.AxeLocale = web.AxeAssets()
		} else {
			log.Info("no Chromium: accessibility checks are off", "path", axe.DefaultChromePath)
		}
		wg.Go(func() { w.Run(ctx) })
	}
	if o.probe > 0 {
		p := &webcheck.ProbeLoop{DB: db, Interval: o.probe, AllowPrivate: o.allowPrivate, Log: log}
		wg.Go(func() { p.Run(ctx) })
	}
	if o.demo {
		wg.Go(func() {
			if err := webcheck.LoadDemoRounds(ctx, db, log); err != nil && ctx.Err() == nil {
				log.Warn("webcheck demo rounds", "err", err)
			}
		})
	}
}
