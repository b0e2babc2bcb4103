package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/reporting"
	"zhihui/internal/web"
	"zhihui/internal/webcheck"
)

func init() {
	register("serve", "run the web server (--demo loads demo users and data)", runServe)
}

func runServe(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.ServeFlags(fs)
	cpuProfile := fs.String("cpu-profile", "", "write a CPU profile of the whole run to this file when the server stops (for performance work; the benchmarks in bench/ use it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	mailer, err := c.Mailer()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	if c.Demo {
		if err := a.LoadDemo(ctx); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	var demo *reporting.DemoProgress
	var extra []func(*jobs.Registry)
	if c.Demo {
		// The demo data set is large: a job generates it after the start,
		// in this process, which shows its progress.
		demo = reporting.NewDemoProgress()
		extra = append(extra, func(r *jobs.Registry) { reporting.RegisterDemoJob(r, a.DB, a.Log, demo) })
	}
	eng, err := a.OpenJobs(ctx, jobs.Config{Workers: c.JobWorkers, Queues: map[string]int{webcheck.CrawlQueue: c.InspectWorkers}}, module.JobEnv{Demo: c.Demo, AllowPrivate: c.AllowPrivate, ProbeInterval: c.ProbeInterval, Crawl: crawlEnv(a.Log, 0),
		Mail: mailer, BaseURL: c.BaseURL}, extra...)
	if err != nil {
		return err
	}
	srv, err := web.New(a.DB, a.Log, web.Options{Modules: a.Modules, SecureCookie: c.SecureCookie, Demo: c.Demo, AllowPrivate: c.AllowPrivate, Version: version, DemoProgress: demo,
		MetricsToken: c.MetricsToken, MetricsPublic: c.MetricsPublic, Jobs: eng, Notify: a.Notify})
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // imports upload large files
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Printf("智慧河南信息化推进平台 zhihui %s\n", version)
	fmt.Printf("store: %s\n", a.Where())
	fmt.Printf("ready in %s at %s\n", time.Since(start).Round(time.Millisecond), url)
	if c.Demo {
		fmt.Printf("demo logins (password %q): ", app.DemoPassword)
		for i, d := range app.DemoUsers {
			if i > 0 {
				fmt.Print(", ")
			}
			fmt.Print(d.Name)
		}
		fmt.Printf("\nadmin login: admin / %s\n", app.DemoPassword)
	}
	bgCtx, bgStop := context.WithCancel(ctx)
	defer bgStop()
	if err := eng.Start(bgCtx); err != nil {
		return err
	}
	defer stopJobs(eng, a.Log)
	if c.Demo {
		if err := enqueueDemo(ctx, eng, a, demo); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
		a.Log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	}
	return nil
}

// enqueueDemo enqueues the demo generation jobs, once per installation
// (unique jobs): the reporting figures and the inspection rounds.
func enqueueDemo(ctx context.Context, eng *jobs.Engine, a *app.App, demo *reporting.DemoProgress) error {
	once := &jobs.InsertOpts{MaxAttempts: 3, UniqueOpts: jobs.UniqueOpts{ByArgs: true}}
	res, err := eng.Insert(ctx, reporting.DemoArgs{}, once)
	if err != nil {
		return err
	}
	if res.Duplicate {
		if done, err := reporting.DemoLoaded(ctx, a.DB); err == nil && done {
			demo.MarkDemoSkipped()
		}
	}
	_, err = eng.Insert(ctx, webcheck.DemoRoundsArgs{}, once)
	return err
}

// stopJobs lets running jobs finish for a while, then cancels them (they
// run again on the next start or on another process).
func stopJobs(eng *jobs.Engine, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := eng.Stop(ctx); err != nil {
		log.Warn("jobs: stop", "err", err)
	}
}
