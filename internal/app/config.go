// Package app holds Zhihui's configuration and wires the store and the
// feature packages together: migrations, first-start loading, demo data.
package app

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/notify"
)

// Config is read from flags, falling back to ZHIHUI_* environment variables.
type Config struct {
	DataDir       string // --data, ZHIHUI_DATA
	DSN           string // --db, ZHIHUI_DB (postgres://… selects PostgreSQL)
	Addr          string // --addr, ZHIHUI_ADDR
	Demo          bool   // --demo, ZHIHUI_DEMO
	LogLevel      string // --log-level, ZHIHUI_LOG_LEVEL
	SecureCookie  bool   // --secure-cookie, ZHIHUI_SECURE_COOKIE: set Secure on cookies (behind HTTPS)
	AllowPrivate  bool   // --allow-private, ZHIHUI_ALLOW_PRIVATE: let inspections reach private addresses
	MetricsToken  string // --metrics-token, ZHIHUI_METRICS_TOKEN: /metrics answers callers presenting this bearer token
	MetricsPublic bool   // --metrics-public, ZHIHUI_METRICS_PUBLIC: /metrics answers anyone (bind to an internal network)

	// Website inspection work done inside serve.
	InspectWorkers int           // --inspect-workers, ZHIHUI_INSPECT_WORKERS: crawl jobs run at once (0: leave them to `zhihui worker`)
	JobWorkers     int           // --job-workers, ZHIHUI_JOB_WORKERS: background jobs run at once (0: the engine's default)
	ProbeInterval  time.Duration // --probe-interval, ZHIHUI_PROBE_INTERVAL: availability probes of every site (0: off)

	// E-mail of notifications (serve and worker).
	SMTP             string // --smtp, ZHIHUI_SMTP: smtp://user:pass@host:port?from=addr (or smtps://); empty: no e-mail
	SMTPAllowPrivate bool   // --smtp-allow-private, ZHIHUI_SMTP_ALLOW_PRIVATE: the SMTP server may be at a private or loopback address
	BaseURL          string // --base-url, ZHIHUI_BASE_URL: where users reach Zhihui, for links in e-mail
}

// MailFlags registers the e-mail flags of serve and worker.
func (c *Config) MailFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.SMTP, "smtp", env("SMTP", ""), "send notification e-mail through this server: smtp://user:pass@host:port?from=addr or smtps://…; empty: in-app messages only (env ZHIHUI_SMTP)")
	fs.BoolVar(&c.SMTPAllowPrivate, "smtp-allow-private", envBool("SMTP_ALLOW_PRIVATE"), "allow an SMTP server at a private or loopback address (env ZHIHUI_SMTP_ALLOW_PRIVATE)")
	fs.StringVar(&c.BaseURL, "base-url", env("BASE_URL", ""), "the address users reach Zhihui at, e.g. https://zhihui.example.cn, put before links in e-mail (env ZHIHUI_BASE_URL)")
}

// Mailer returns the mailer of --smtp, nil when none is configured.
func (c *Config) Mailer() (*notify.Mailer, error) {
	if strings.TrimSpace(c.SMTP) == "" {
		return nil, nil
	}
	s, err := notify.ParseSMTP(c.SMTP)
	if err != nil {
		return nil, err
	}
	if b := strings.TrimSpace(c.BaseURL); b != "" && !strings.HasPrefix(b, "http://") && !strings.HasPrefix(b, "https://") {
		return nil, fmt.Errorf("--base-url must start with http:// or https://, not %q", b)
	}
	return &notify.Mailer{SMTP: s, AllowPrivate: c.SMTPAllowPrivate}, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv("ZHIHUI_" + name); ok {
		return v
	}
	return def
}

func envBool(name string) bool {
	v := strings.ToLower(env(name, ""))
	return v == "1" || v == "true" || v == "yes" || v == "on"
}

// StoreFlags registers the flags every command that opens the store takes.
func (c *Config) StoreFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", env("DATA", "data"), "data directory for the embedded SQLite store (env ZHIHUI_DATA)")
	fs.StringVar(&c.DSN, "db", env("DB", ""), "PostgreSQL DSN, e.g. postgres://user@host:5432/db (env ZHIHUI_DB); default: SQLite in --data")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn, error (env ZHIHUI_LOG_LEVEL)")
}

// ServeFlags registers the serve command's flags.
func (c *Config) ServeFlags(fs *flag.FlagSet) {
	c.StoreFlags(fs)
	fs.StringVar(&c.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address (env ZHIHUI_ADDR)")
	fs.BoolVar(&c.Demo, "demo", envBool("DEMO"), "load demo users and data (env ZHIHUI_DEMO)")
	fs.BoolVar(&c.SecureCookie, "secure-cookie", envBool("SECURE_COOKIE"), "mark cookies Secure; use behind HTTPS (env ZHIHUI_SECURE_COOKIE)")
	fs.BoolVar(&c.AllowPrivate, "allow-private", envBool("ALLOW_PRIVATE"), "allow website inspection of private and loopback addresses (env ZHIHUI_ALLOW_PRIVATE)")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("METRICS_TOKEN", ""), "serve Prometheus /metrics to callers sending 'Authorization: Bearer TOKEN' (env ZHIHUI_METRICS_TOKEN); without it or --metrics-public, /metrics is off")
	fs.BoolVar(&c.MetricsPublic, "metrics-public", envBool("METRICS_PUBLIC"), "serve /metrics to anyone; only behind a firewall (env ZHIHUI_METRICS_PUBLIC)")
	fs.IntVar(&c.InspectWorkers, "inspect-workers", envInt("INSPECT_WORKERS", 1), "website inspection jobs run at once inside serve; 0 leaves them to zhihui worker processes (env ZHIHUI_INSPECT_WORKERS)")
	fs.IntVar(&c.JobWorkers, "job-workers", envInt("JOB_WORKERS", 0), "background jobs (probe rounds, demo generation) run at once inside serve; 0: 2 on SQLite, 4 on PostgreSQL (env ZHIHUI_JOB_WORKERS)")
	fs.DurationVar(&c.ProbeInterval, "probe-interval", envDuration("PROBE_INTERVAL", 10*time.Minute), "probe every registered website's homepage this often; 0 turns probing off (env ZHIHUI_PROBE_INTERVAL)")
	c.MailFlags(fs)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(env(name, "")); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(env(name, "")); err == nil {
		return v
	}
	return def
}

// Logger builds the process logger.
func (c *Config) Logger() (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q: %w", c.LogLevel, err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})), nil
}
