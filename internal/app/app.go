package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/monitor"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/store"
)

// App is an open Zhihui installation.
type App struct {
	Config Config
	DB     *store.DB
	Log    *slog.Logger
	// Modules are the installation's feature modules (see [Modules]).
	Modules []module.Module
	// Notify is the application's notifications: OpenJobs turns its
	// e-mail on when --smtp is set; give it to the web server
	// (web.Options.Notify). Each App has its own.
	Notify *notify.Service

	bg sync.WaitGroup // background loading started by LoadDemo
}

// Open opens the store with [Modules] and brings its schema up to date.
func Open(ctx context.Context, c Config) (*App, error) { return OpenWith(ctx, c, Modules()) }

// OpenWith opens the store with the modules mods (tests add their own)
// and brings its schema up to date.
func OpenWith(ctx context.Context, c Config, mods []module.Module) (*App, error) {
	log, err := c.Logger()
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, store.Options{DataDir: c.DataDir, DSN: c.DSN})
	if err != nil {
		return nil, err
	}
	if err := module.Check(mods); err != nil {
		db.Close()
		return nil, err
	}
	// the modules' messages, for notifications rendered outside the web
	// server (e-mail sent by a worker)
	if err := module.RegisterCatalogs(mods); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Migrate(ctx, SchemasOf(mods)...); err != nil {
		db.Close()
		return nil, err
	}
	// the job engine's tables (River's own migrations)
	if err := jobs.Migrate(ctx, db); err != nil {
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
	return &App{Config: c, DB: db, Log: log, Modules: mods, Notify: notify.NewService()}, nil
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

// Bootstrap loads what every installation needs: once, the Henan
// divisions, the provincial departments of the plan and the 省直管县
// group; then, at every start, each module's Bootstrap in order (they add
// only what is missing).
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
	for _, m := range a.Modules {
		if m.Bootstrap == nil {
			continue
		}
		if err := m.Bootstrap(ctx, a.DB); err != nil {
			return fmt.Errorf("%s: bootstrap: %w", m.Name, err)
		}
	}
	return nil
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

// LoadDemo creates the demo accounts unless they exist, then runs each
// module's LoadDemo: in order, or in the background for modules whose
// demo data take a while (DemoInBackground) so that the server starts at
// once; [App.Wait] waits for those. The demo inspection rounds and
// monitoring values take longer still; serve builds them in the background.
func (a *App) LoadDemo(ctx context.Context) error {
	if err := a.loadDemoUsers(ctx); err != nil {
		return err
	}
	for _, m := range a.Modules {
		if m.LoadDemo == nil {
			continue
		}
		if !m.DemoInBackground {
			if err := m.LoadDemo(ctx, a.DB); err != nil {
				return fmt.Errorf("%s: demo data: %w", m.Name, err)
			}
			continue
		}
		a.bg.Add(1)
		go func() {
			defer a.bg.Done()
			start := time.Now()
			if err := m.LoadDemo(context.WithoutCancel(ctx), a.DB); err != nil {
				a.Log.Error("demo data", slog.String("module", m.Name), slog.Any("error", err))
				return
			}
			a.Log.Info("demo data ready", slog.String("module", m.Name), slog.Duration("took", time.Since(start).Round(time.Millisecond)))
		}()
	}
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

// OpenJobs builds the job engine of this process: the jobs of every
// module (module.Module.Jobs) and those extra registers (work only this
// process does). Start it with Start; Stop it before Close.
func (a *App) OpenJobs(ctx context.Context, cfg jobs.Config, env module.JobEnv, extra ...func(r *jobs.Registry)) (*jobs.Engine, error) {
	if env.DB == nil {
		env.DB = a.DB
	}
	if env.Log == nil {
		env.Log = a.Log
	}
	if cfg.Log == nil {
		cfg.Log = a.Log
	}
	if a.Notify == nil {
		a.Notify = notify.NewService()
	}
	if env.Notify == nil {
		env.Notify = a.Notify
	}
	svc, inner := env.Notify, cfg.Context
	cfg.Context = func(ctx context.Context) context.Context {
		if inner != nil {
			ctx = inner(ctx)
		}
		return notify.WithService(ctx, svc)
	}
	r := jobs.NewRegistry()
	module.RegisterJobs(a.Modules, r, env)
	for _, f := range extra {
		f(r)
	}
	e, err := jobs.Open(ctx, a.DB, r, cfg)
	if err != nil {
		return nil, err
	}
	if env.Mail != nil {
		// notifications enqueue their e-mail on this engine
		svc.UseMail(e, a.DB.Dialect)
	}
	return e, nil
}
