package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/webcheck"
)

// App is an open Zhihui installation.
type App struct {
	Config Config
	DB     *store.DB
	Log    *slog.Logger

	bg sync.WaitGroup // background loading started by LoadDemo
}

// Schemas lists every feature's tables, in dependency order.
func Schemas() []store.Schema {
	return []store.Schema{
		orgunit.Schema,
		audit.Schema,
		auth.Schema,
		evalstore.Schema,
		monitor.Schema,
		reporting.Schema,
		webcheck.Schema,
	}
}

// Open opens the store and brings its schema up to date.
func Open(ctx context.Context, c Config) (*App, error) {
	log, err := c.Logger()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{DataDir: c.DataDir, DSN: c.DSN})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, Schemas()...); err != nil {
		db.Close()
		return nil, err
	}
	// aggregates a migration left to be recomputed (exact sums since
	// monitor schema 2)
	if n, err := monitor.RebuildStale(ctx, db); err != nil {
		db.Close()
		return nil, err
	} else if n > 0 {
		log.Warn("monitor: stored values that cannot be held exactly were moved to monitor_value_setaside", slog.Int("count", n))
	}
	return &App{Config: c, DB: db, Log: log}, nil
}

// Close waits for background loading and releases the store.
func (a *App) Close() error {
	a.bg.Wait()
	return a.DB.Close()
}

// Wait blocks until background loading started by LoadDemo is done.
func (a *App) Wait() { a.bg.Wait() }

// Where describes the store for messages.
func (a *App) Where() string {
	if a.DB.Dialect == store.Postgres {
		return "PostgreSQL"
	}
	return "SQLite " + a.DB.Path
}

// Bootstrap loads what every installation needs and loads it only once:
// the Henan divisions, the provincial departments of the plan and the
// 省直管县 group; then the monitoring catalogue's missing entries.
func (a *App) Bootstrap(ctx context.Context) error {
	ok, err := orgunit.Loaded(ctx, a.DB)
	if err != nil {
		return err
	}
	if !ok {
		if err := a.loadUnits(ctx); err != nil {
			return err
		}
	}
	// The monitoring catalogue adds only what is missing, so it runs on
	// every start and picks up elements added in new releases.
	if err := monitor.InstallCatalog(ctx, a.DB); err != nil {
		return err
	}
	return reporting.Install(ctx, a.DB)
}

func (a *App) loadUnits(ctx context.Context) error {
	start := time.Now()
	var depts []orgunit.Unit
	for _, d := range plan.Departments() {
		depts = append(depts, orgunit.Unit{Code: d.Code, Name: d.Name, NameEn: d.NameEn, Kind: orgunit.Department})
	}
	n, err := orgunit.Load(ctx, a.DB, depts, []orgunit.Group{orgunit.PilotCounties})
	if err != nil {
		return err
	}
	a.Log.Info("loaded org units", "units", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// DemoPassword is the password of every demo account.
const DemoPassword = "zhihui-demo"

// DemoUser is one of the demo accounts.
type DemoUser struct {
	Name, Display string
	Role          auth.Role
	Org           string
}

// DemoUsers has one account per role, at a unit that shows off scoping.
var DemoUsers = []DemoUser{
	{"admin", "系统管理员", auth.Admin, orgunit.Root},
	{"office", "省信息化办公室", auth.Office, orgunit.Root},
	{"reporter", "中原区填报员", auth.Reporter, "410102"},
	{"approver", "郑州市审核员", auth.Approver, "4101"},
	{"leader", "省领导", auth.Leader, orgunit.Root},
	{"expert", "评审专家", auth.Expert, orgunit.Root},
	{"evaluator", "第三方评估机构", auth.Evaluator, orgunit.Root},
	{"enterprise", "企业用户（郑州）", auth.Enterprise, "4101"},
}

// LoadDemo creates the demo accounts and registers the demo websites
// unless they exist, and starts loading the synthetic evaluation demo data
// (datasets, enterprise assessments) in the background so that the server
// starts at once; [App.Wait] waits for it. The demo inspection rounds and
// monitoring values take longer; serve builds them in the background.
func (a *App) LoadDemo(ctx context.Context) error {
	if err := a.loadDemoUsers(ctx); err != nil {
		return err
	}
	if _, err := webcheck.LoadDemoSites(ctx, a.DB); err != nil {
		return err
	}
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		start := time.Now()
		if err := evalstore.LoadDemo(context.WithoutCancel(ctx), a.DB); err != nil {
			a.Log.Error("evaluation demo data", "err", err)
			return
		}
		a.Log.Info("evaluation demo data ready", "took", time.Since(start).Round(time.Millisecond))
	}()
	return nil
}

func (a *App) loadDemoUsers(ctx context.Context) error {
	actor := audit.Actor{Name: "demo"}
	for _, d := range DemoUsers {
		if _, err := auth.UserByName(ctx, a.DB, d.Name); err == nil {
			continue
		}
		u, err := auth.CreateUser(ctx, a.DB, actor, auth.NewUser{Name: d.Name, DisplayName: d.Display, Password: DemoPassword})
		if err != nil {
			return fmt.Errorf("demo user %s: %w", d.Name, err)
		}
		if err := auth.AddGrant(ctx, a.DB, actor, u.ID, d.Role, d.Org); err != nil {
			return fmt.Errorf("demo user %s: %w", d.Name, err)
		}
	}
	return nil
}
