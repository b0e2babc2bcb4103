// Command portfolio measures the project portfolio dashboard over a
// generated portfolio (by default 10,000 projects across the province's
// units, stages, levels, categories and years, a third with baselines and
// most of those with reported progress, ratings, and two years of O&M
// requests): the whole page GET /projects/dashboard as a provincial leader
// sees it (through the server's handler, with its session, templates and
// charts), the domain's Portfolio alone, and, in the same run on the same
// store, the plain baselines — one SQL COUNT(*) of the leader's projects,
// and one GROUP BY over them. The dashboard keeps its figures until the
// data change: each is measured with its figures kept and right after a
// change (the generation raised before each request, as another
// process's write does), which computes them afresh. Medians and 90th
// percentiles of wall time, and the process's CPU time (user+sys) per
// request.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/web"
)

func main() {
	n := flag.Int("n", 10000, "projects in the portfolio")
	reps := flag.Int("reps", 20, "measured repetitions of each request")
	dsn := flag.String("db", "", "PostgreSQL DSN (a schema of its own is created and dropped); empty: SQLite in a temporary directory")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the provincial page requests after a change to this file")
	flag.Parse()
	profile = *cpuprofile
	if err := run(*n, *reps, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "portfolio:", err)
		os.Exit(1)
	}
}

// profile is where the CPU profile of the provincial page's requests goes
// ("" for none).
var profile string

func run(n, reps int, pgDSN string) error {
	ctx := context.Background()
	cfg := app.Config{LogLevel: "error"}
	storeName := "sqlite"
	if pgDSN != "" {
		storeName = "postgres"
		b := make([]byte, 4)
		rand.Read(b)
		schema := "bench_portfolio_" + hex.EncodeToString(b)
		admin, err := sql.Open("pgx", pgDSN)
		if err != nil {
			return err
		}
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			return err
		}
		defer func() { admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); admin.Close() }()
		u, err := url.Parse(pgDSN)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		cfg.DSN = u.String()
	} else {
		dir, err := os.MkdirTemp("", "portfolio")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DataDir = dir
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Bootstrap(ctx); err != nil {
		return err
	}
	t0 := time.Now()
	if err := generate(ctx, a.DB, n); err != nil {
		return err
	}
	gen := time.Since(t0)

	srv, err := web.New(a.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), web.Options{Modules: a.Modules, Version: "bench"})
	if err != nil {
		return err
	}
	h := srv.Handler()
	u, err := auth.CreateUser(ctx, a.DB, audit.System, auth.NewUser{Name: "bench-leader", DisplayName: "省领导", Password: "bench-password-1"})
	if err != nil {
		return err
	}
	if err := auth.AddGrant(ctx, a.DB, audit.System, u.ID, auth.Leader, orgunit.Root); err != nil {
		return err
	}
	if u, err = auth.GetUser(ctx, a.DB, u.ID); err != nil {
		return err
	}
	sess, err := auth.NewSession(ctx, a.DB, u, "127.0.0.1", "bench")
	if err != nil {
		return err
	}
	page := func(target string) func() error {
		return func() error {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.AddCookie(&http.Cookie{Name: "zhihui_session", Value: sess.Token})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				return fmt.Errorf("%s: %d %s", target, rec.Code, rec.Body.String()[:min(300, rec.Body.Len())])
			}
			if !strings.Contains(rec.Body.String(), "按阶段") {
				return fmt.Errorf("%s: not the dashboard", target)
			}
			return nil
		}
	}
	svc := project.New(a.DB)
	scope := "/" + orgunit.Root + "/"
	var total int
	count := func() error {
		return a.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project WHERE owner_path LIKE $1`, scope+"%").Scan(&total)
	}
	group := func() error {
		rows, err := a.DB.R.QueryContext(ctx, `SELECT stage, COUNT(*), SUM(estimate) FROM project_project WHERE owner_path LIKE $1 GROUP BY stage`, scope+"%")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var c, e int64
			if err := rows.Scan(&s, &c, &e); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	var d *project.Dashboard
	domain := func() error {
		th, err := svc.Thresholds(ctx)
		if err != nil {
			return err
		}
		d, err = svc.Portfolio(ctx, project.Filter{Scopes: []string{scope}}, th)
		return err
	}
	type result struct {
		Name       string  `json:"name"`
		P50ms      float64 `json:"p50_ms"`
		P90ms      float64 `json:"p90_ms"`
		CPUmsPerOp float64 `json:"cpu_ms_per_request"`
	}
	// change stands for a write by another process: it raises the
	// generation of the dashboard's figures as every changing
	// transaction does, so the next request computes them afresh.
	change := func() error {
		_, err := a.DB.W.ExecContext(ctx, `INSERT INTO project_setting (name, value) VALUES ('portfolio_gen', '1')
			ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(project_setting.value AS BIGINT) + 1 AS TEXT)`)
		return err
	}
	// measure runs f reps times after two warm-ups, each time after
	// before (nil: nothing), whose time and CPU are not counted.
	measure := func(name string, before, f func() error) (result, error) {
		for range 2 { // warm-up: caches, templates, the page cache of the store
			if err := f(); err != nil {
				return result{}, err
			}
		}
		var ds []time.Duration
		var cpu time.Duration
		if profile != "" && name == "GET /projects/dashboard after a change" {
			f, err := os.Create(profile)
			if err != nil {
				return result{}, err
			}
			defer f.Close()
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		for range reps {
			if before != nil {
				if err := before(); err != nil {
					return result{}, err
				}
			}
			c0 := selfCPU()
			t := time.Now()
			if err := f(); err != nil {
				return result{}, err
			}
			ds = append(ds, time.Since(t))
			cpu += selfCPU() - c0
		}
		slices.Sort(ds)
		return result{Name: name, P50ms: ms(ds[len(ds)/2]), P90ms: ms(ds[len(ds)*9/10]), CPUmsPerOp: ms(cpu) / float64(reps)}, nil
	}
	var res []result
	for _, m := range []struct {
		name   string
		before func() error
		f      func() error
	}{{"baseline: SQL COUNT(*)", nil, count}, {"baseline: SQL GROUP BY stage", nil, group},
		{"Portfolio (domain), figures kept", nil, domain}, {"Portfolio (domain) after a change", change, domain},
		{"GET /projects/dashboard, figures kept", nil, page("/projects/dashboard")},
		{"GET /projects/dashboard after a change", change, page("/projects/dashboard")},
		{"GET /projects/dashboard?unit=4101 after a change", change, page("/projects/dashboard?unit=4101")}} {
		r, err := measure(m.name, m.before, m.f)
		if err != nil {
			return err
		}
		res = append(res, r)
	}
	if d.Total.Count != total || total != n {
		return fmt.Errorf("the dashboard counts %d projects, SQL %d, generated %d", d.Total.Count, total, n)
	}
	out := map[string]any{"store": storeName, "projects": n, "reps": reps, "generate_s": gen.Seconds(), "results": res,
		"lights": d.Lights, "cpu_ratio_kept_page_to_count": res[4].CPUmsPerOp / res[0].CPUmsPerOp,
		"cpu_ratio_changed_page_to_count": res[5].CPUmsPerOp / res[0].CPUmsPerOp, "cpu_ratio_changed_page_to_group": res[5].CPUmsPerOp / res[1].CPUmsPerOp}
	j, _ := json.MarshalIndent(out, "", "  ")
	fmt.Println(string(j))
	for _, r := range res {
		fmt.Printf("%s %-50s p50 %8.2f ms  p90 %8.2f ms  CPU %8.2f ms/request  (CPU %.1f× the COUNT's)\n", storeName, r.Name, r.P50ms, r.P90ms, r.CPUmsPerOp, r.CPUmsPerOp/res[0].CPUmsPerOp)
	}
	return nil
}

// generate writes n projects straight into the tables (as an import of a
// legacy portfolio would), a third with a baseline, most of those with
// progress, a fifth rated, and O&M requests for two years.
func generate(ctx context.Context, db *store.DB, n int) error {
	r := mrand.New(mrand.NewPCG(10000, 8))
	var units []orgunit.Unit
	for _, code := range []string{"41", "4101", "4102", "4103", "4104", "4105", "4106", "4107", "4108", "4109", "4110", "4111", "4112", "4113",
		"4114", "4115", "4116", "4117"} {
		u, err := orgunit.Get(ctx, db, code)
		if err != nil {
			return err
		}
		units = append(units, u)
		if u.Level == 2 {
			kids, err := orgunit.Descendants(ctx, db, u.Path, 3, 30)
			if err != nil {
				return err
			}
			units = append(units, kids...)
		}
	}
	now := store.Now()
	return db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			u := units[r.IntN(len(units))]
			cat := project.Categories[r.IntN(3)]
			stage := project.AllStages[r.IntN(len(project.AllStages))]
			est := int64(r.IntN(50000000) + 100000)
			year := 2013 + r.IntN(8)
			risk := 0
			if r.IntN(5) == 0 {
				risk = 1 + r.IntN(5)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO project_project (number, name, owner_code, owner_path, owner_name, level, category, funding, year,
				estimate, budget, summary, content, functions, route, stage, status, systems, demo, created_at, updated_at, risk)
				VALUES ($1,$2,$3,$4,$5,$6,$7,'财政',$8,$9,$10,'','','','full',$11,'draft','',0,$12,$12,$13) RETURNING id`,
				fmt.Sprintf("B-%d-%05d", year, i), fmt.Sprintf("%s信息化项目%05d", u.Name, i), u.Code, u.Path, u.Name, project.LevelOf(u), cat, year, est,
				est*int64(95+r.IntN(10))/100, stage, now, risk).Scan(&id); err != nil {
				return err
			}
			if i%3 != 0 {
				continue
			}
			start := fmt.Sprintf("%d-04-01", year)
			end := fmt.Sprintf("%d-06-30", year+1)
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_baseline (project_id, version, start_date, end_date, cost, milestones, reason, actor_name, at)
				VALUES ($1, 1, $2, $3, $4, '[]', '', 'bench', $5)`, id, start, end, est, now); err != nil {
				return err
			}
			if i%5 == 0 {
				continue
			}
			cost := project.Money(est * int64(90+r.IntN(30)) / 100)
			body, _ := json.Marshal(project.Progress{ProjectedEnd: end, ProjectedCost: &cost, ActorName: "bench", At: now})
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_progress (project_id, body, at) VALUES ($1, $2, $3)`, id, string(body), now); err != nil {
				return err
			}
		}
		for i := 0; i < n/10; i++ {
			u := units[r.IntN(len(units))]
			var sid int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO project_system (owner_code, owner_path, owner_name, name, description, data_resources, om_cost, mlps_level, demo, created_at)
				VALUES ($1,$2,$3,$4,'','',$5,3,0,$6) RETURNING id`, u.Code, u.Path, u.Name, fmt.Sprintf("%s系统%04d", u.Name, i), int64(r.IntN(3000000)+10000), now).Scan(&sid); err != nil {
				return err
			}
			for _, y := range []int{2025, 2026} {
				amt := int64(r.IntN(3000000) + 10000)
				if _, err := tx.ExecContext(ctx, `INSERT INTO portfolio_om (system_id, system_name, owner_code, owner_path, owner_name, year, amount, last_source,
					catalogue_cost, investment, basis, flags, flagged, status, review_reason, reviewed_by, actor_name, demo, created_at)
					VALUES ($1,'x',$2,$3,$4,$5,$6,'',0,0,'','[]',$7,'submitted','','','bench',0,$8)`, sid, u.Code, u.Path, u.Name, y, amt, r.IntN(4)/3, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
