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
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/web"
	"zhihui/internal/webcheck"
	"zhihui/internal/webcheck/axe"
)

func init() {
	register("worker", "run background jobs and website inspection jobs from the database; start as many as needed, on any machine", runWorker)
}

func runWorker(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	c.StoreFlags(fs)
	conc := fs.Int("concurrency", 2, "inspections run at once")
	allowPrivate := fs.Bool("allow-private", false, "allow inspection of private and loopback addresses")
	lease := fs.Duration("lease", 2*time.Minute, "job lease; a job whose worker stops renewing is taken over after this")
	id := fs.String("id", "", "worker name in the job table (default host:pid:n)")
	probe := fs.Duration("probe-interval", 0, "probe every site's homepage this often (0: off); give every process the same value: one elected process enqueues the rounds")
	jobWorkers := fs.Int("jobs", 4, "background jobs (probe rounds, demo rounds) run at once")
	c.MailFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	mailer, err := c.Mailer()
	if err != nil {
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
	eng, err := a.OpenJobs(ctx, jobs.Config{Workers: *jobWorkers, ID: *id}, module.JobEnv{AllowPrivate: *allowPrivate, ProbeInterval: *probe, Mail: mailer, BaseURL: c.BaseURL})
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	startInspection(ctx, &wg, a.DB, a.Log, inspectionOptions{workers: *conc, lease: *lease, id: *id, allowPrivate: *allowPrivate})
	wg.Wait()
	stopJobs(eng, a.Log)
	return nil
}

type inspectionOptions struct {
	workers      int
	lease        time.Duration
	id           string
	allowPrivate bool
}

// startInspection runs the website inspection crawl worker until ctx
// ends. Crawl jobs keep their own leased queue (webcheck.Worker), which
// saves a crawl's state as it goes so that another worker resumes a crawl
// whose worker died; every other background task runs on the job engine.
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
}
