package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
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
	lease := fs.Duration("lease", webcheck.DefaultLease, "crawl lease; a crawl whose process stops renewing it may be taken over after this")
	id := fs.String("id", "", "this process's name among the job engine's clients (default: generated)")
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
	eng, err := a.OpenJobs(ctx, jobs.Config{Workers: *jobWorkers, ID: *id, Queues: map[string]int{webcheck.CrawlQueue: *conc}},
		module.JobEnv{AllowPrivate: *allowPrivate, ProbeInterval: *probe, Mail: mailer, BaseURL: c.BaseURL, Crawl: crawlEnv(a.Log, *lease)})
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	stopJobs(eng, a.Log)
	return nil
}

// crawlEnv is how crawl jobs run in this process: the lease, and the
// accessibility checks when Chromium is installed.
func crawlEnv(log *slog.Logger, lease time.Duration) module.CrawlEnv {
	c := module.CrawlEnv{Lease: lease}
	if _, err := os.Stat(axe.DefaultChromePath); err == nil {
		c.AxeScript, c.AxeLocale = web.AxeAssets()
	} else {
		log.Info("no Chromium: accessibility checks are off", "path", axe.DefaultChromePath)
	}
	return c
}
