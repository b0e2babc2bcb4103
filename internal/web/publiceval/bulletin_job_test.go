package publiceval_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/jobs"
	"zhihui/internal/module"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
	webpe "zhihui/internal/web/publiceval"
)

// TestBulletinJob: the daily publiceval_bulletin job, run by the real job
// engine of the application (River, elected leader, periodic job at
// start), issues last month's bulletin for the province once: the
// bulletin is stored for the month with the job as its issuer, the
// handling staff of the ranked cities get one notification each linking
// to it (a county's staff and a leader get none), and the job run again issues nothing more —
// on both stores.
func TestBulletinJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := &app.App{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: app.Modules()}
		// as app.Open does: the messages of notifications a job sends
		if err := module.RegisterCatalogs(a.Modules); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx, app.Schemas()...); err != nil {
			t.Fatal(err)
		}
		if err := a.Bootstrap(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Now().In(period.Shanghai)
		first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, period.Shanghai)
		last := first.AddDate(0, -1, 0)
		month := last.Format("200601")
		svc := &dom.Service{DB: db}
		for i, org := range []string{"410102", "410302"} {
			tg, err := dom.AddTarget(ctx, db, audit.System, dom.NewTarget{Kind: dom.KindService, Name: "事项 " + org, OrgCode: org}, func(string) bool { return true })
			if err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 4+i; j++ {
				in := dom.Input{Target: tg.Key, Level: 1 + (i+j)%5, IP: fmt.Sprintf("192.0.2.%d", 10*i+j+1), UserAgent: "job", At: last.Add(time.Duration(24*(j+1)+10) * time.Hour)}
				if _, err := svc.Rate(ctx, in, false); err != nil {
					t.Fatal(err)
				}
			}
		}
		user := func(name string, role auth.Role, org string) int64 {
			u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Name: name, Password: "a-long-test-password"})
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.AddGrant(ctx, db, audit.System, u.ID, role, org); err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		zz := user("zz", auth.Reporter, "4101")
		ly := user("ly", auth.Approver, "4103")
		zy := user("zy", auth.Reporter, "410102")
		leader := user("leader", auth.Leader, "41")

		e, err := a.OpenJobs(ctx, jobs.Config{PollInterval: 100 * time.Millisecond}, module.JobEnv{})
		if err != nil {
			t.Fatal(err)
		}
		done, stop := e.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer stop()
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			e.Stop(sctx)
		})
		// the periodic job runs at start on the elected leader
		wctx := testwait.Context(t)
		ran := func() {
			t.Helper()
			for {
				select {
				case ev := <-done:
					if ev.Job.Kind != (webpe.BulletinArgs{}).Kind() {
						continue
					}
					if ev.Kind != river.EventKindJobCompleted {
						t.Fatalf("the bulletin job failed: %v", ev.Job.Errors)
					}
					return
				case <-wctx.Done():
					t.Fatal("the bulletin job did not run")
				}
			}
		}
		ran()

		var issued int
		var by string
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*), MAX(actor_name) FROM publiceval_bulletin WHERE month = $1 AND org_path = '/41/'`, month).Scan(&issued, &by); err != nil || issued != 1 || by == "" {
			t.Fatalf("bulletin of %s stored %d times by %q: %v", month, issued, by, err)
		}
		root, err := orgunit.Get(ctx, db, "41")
		if err != nil {
			t.Fatal(err)
		}
		b, err := dom.BuildBulletin(ctx, db, root, month)
		if err != nil || b.Issued == nil || len(b.Rows) < 2 {
			t.Fatalf("the bulletin: %+v %v", b, err)
		}
		link := dom.BulletinLink("41", month)
		inbox := func(u int64) []notify.Notification {
			ns, err := notify.List(ctx, db, u, 50)
			if err != nil {
				t.Fatal(err)
			}
			var out []notify.Notification
			for _, n := range ns {
				if n.Kind == dom.KindBulletin {
					out = append(out, n)
				}
			}
			return out
		}
		for name, u := range map[string]int64{"郑州 reporter": zz, "洛阳 approver": ly} {
			ns := inbox(u)
			if len(ns) != 1 || ns[0].Link != link || !strings.Contains(ns[0].In("zh-CN"), b.MonthName("zh-CN")) || !strings.Contains(ns[0].In("en"), b.MonthName("en")+" ("+root.DisplayName("en")+")") {
				t.Fatalf("%s's bulletin notifications: %+v", name, ns)
			}
		}
		// the province's bulletin ranks the cities: their staff are told,
		// not a county's, nor a leader
		for name, u := range map[string]int64{"中原区 reporter": zy, "leader": leader} {
			if ns := inbox(u); len(ns) != 0 {
				t.Fatalf("%s was told: %+v", name, ns)
			}
		}

		// the job again (the next day's run, or a retry) issues nothing more
		if _, err := e.Insert(ctx, webpe.BulletinArgs{}, nil); err != nil {
			t.Fatal(err)
		}
		ran()
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_bulletin`).Scan(&issued); err != nil || issued != 1 {
			t.Fatalf("%d bulletins after the second run: %v", issued, err)
		}
		if ns := inbox(zz); len(ns) != 1 {
			t.Fatalf("told again: %+v", ns)
		}
	})
}
