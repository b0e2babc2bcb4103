package webcheck

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
	"zhihui/internal/cli"

	"zhihui/internal/i18n"
	"zhihui/internal/webcheck"
	"zhihui/internal/webcheck/crawl"
)

func runInspect(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	var o webcheck.Options
	fs.IntVar(&o.MaxPages, "max-pages", 1000, "same-site pages to crawl")
	fs.IntVar(&o.MaxDepth, "max-depth", 0, "link depth from the homepage (0 = unlimited)")
	fs.IntVar(&o.MaxLinks, "max-links", 0, "distinct URLs to track (0 = default 200000)")
	fs.BoolVar(&o.AllowPrivate, "allow-private", false, "allow loopback, private and link-local targets")
	fs.BoolVar(&o.SkipExternal, "skip-external", false, "do not check links to other sites")
	fs.IntVar(&o.Workers, "workers", 32, "requests in flight over all hosts")
	fs.IntVar(&o.PerHost, "per-host", 2, "requests in flight per host")
	fs.Float64Var(&o.PerHostRate, "rate", 4, "requests per second per host (negative = unlimited)")
	fs.DurationVar(&o.Timeout, "timeout", 15*time.Second, "per-request timeout")
	fs.IntVar(&o.Probes, "probes", 3, "availability probes of the homepage during this run")
	asJSON := fs.Bool("json", false, "print the full result as JSON")
	xlsx := fs.String("xlsx", "", "also write an Excel report to this file")
	schemeFile := fs.String("scheme", "", "scoring scheme YAML (default: built-in; see --print-scheme)")
	printScheme := fs.Bool("print-scheme", false, "print the built-in scoring scheme and exit")
	axeFile := fs.String("axe", "", "axe-core script (axe.min.js) to run accessibility checks in Chromium")
	state := fs.String("state", "", "save crawl progress to this file and resume from it")
	fs.Bool("quiet", false, "no progress or summary on standard error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: zhihui inspect URL [flags]")
		fs.PrintDefaults()
	}
	// Accept the URL before or after the flags.
	var url string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		url, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *printScheme {
		_, err := os.Stdout.Write(webcheck.DefaultSchemeYAML())
		return err
	}
	if url == "" && fs.NArg() > 0 {
		url = fs.Arg(0)
	}
	if url == "" {
		fs.Usage()
		return i18n.Errorf("缺少网址", "missing URL")
	}
	if *schemeFile != "" {
		b, err := os.ReadFile(*schemeFile)
		if err != nil {
			return err
		}
		if o.Scheme, err = webcheck.ParseScheme(b); err != nil {
			return err
		}
	}
	if *axeFile != "" {
		b, err := os.ReadFile(*axeFile)
		if err != nil {
			return err
		}
		o.AxeScript = b
	}
	if *state != "" {
		o.Store = crawl.FileStore{Path: *state}
	}
	quiet := fs.Lookup("quiet").Value.String() == "true"
	tty := isTerminal(os.Stderr)
	if tty && !quiet {
		// live progress on the terminal, redrawn in place
		o.Progress = func(p crawl.Progress) { fmt.Fprintf(os.Stderr, "\r\033[K%s", webcheck.ProgressLine(p)) }
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := webcheck.Inspect(ctx, url, o)
	if tty && !quiet {
		fmt.Fprintln(os.Stderr)
	}
	if err != nil {
		return err
	}
	if !quiet {
		fmt.Fprintln(os.Stderr, webcheck.SummaryLine(res))
	}
	if *xlsx != "" {
		f, err := os.Create(*xlsx)
		if err != nil {
			return err
		}
		if err := webcheck.WriteXLSX(f, res); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return webcheck.WriteText(os.Stdout, res)
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
