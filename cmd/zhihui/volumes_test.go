package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/publiceval"
)

// TestRatingsVolumes: `zhihui ratings volumes import FILE --dry-run`
// checks and writes nothing; the import records the file; a file with a
// bad row or a target outside --unit exits non-zero with the error at
// its row and column and records nothing; `volumes export` writes the
// list in the columns an import reads (and it imports back unchanged)
// and `volumes list` prints it — on both stores.
func TestRatingsVolumes(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			data := dataDir(t)
			cfg := app.Config{DataDir: data, LogLevel: "error"}
			storeArgs := []string{"--data", data}
			if engine == "postgres" {
				cfg.DSN = postgresDSN(t)
				storeArgs = []string{"--db", cfg.DSN}
			}
			storeArgs = append(storeArgs, "--log-level", "error")
			ctx := context.Background()
			a, err := app.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Bootstrap(ctx); err != nil {
				t.Fatal(err)
			}
			all := func(string) bool { return true }
			zy, err := publiceval.AddTarget(ctx, a.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "不动产登记", OrgCode: "410102"}, all)
			if err != nil {
				t.Fatal(err)
			}
			eq, err := publiceval.AddTarget(ctx, a.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "户籍办理", OrgCode: "410103"}, all)
			if err != nil {
				t.Fatal(err)
			}
			a.Close()
			// count opens the store between commands, as another process would
			count := func() int {
				a, err := app.Open(ctx, cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				var n int
				if err := a.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_volume`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}

			dir := t.TempDir()
			run := func(f func([]string) error, args ...string) (string, error) {
				t.Helper()
				return captureStdout(t, func() error { return f(append(args, storeArgs...)) })
			}
			write := func(name, content string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				return p
			}
			good := write("v.csv", "评价对象,月份,办件量\n"+zy.Key+",2026-01,120\n"+eq.Key+",2026-02,30\n")
			out, err := run(cmdRun("ratings"), "volumes", "import", good, "--dry-run")
			if err != nil || !strings.Contains(out, "would record 2 new") {
				t.Fatalf("dry run: %v %s", err, out)
			}
			out, err = run(cmdRun("ratings"), "volumes", "import", good, "--unit", "410102", "--lang", "en")
			if err == nil || !strings.Contains(out, "row 3, column target") || !strings.Contains(out, "may not enter case volumes") {
				t.Fatalf("a row outside --unit: %v %s", err, out)
			}
			out, err = run(cmdRun("ratings"), "volumes", "import", write("bad.csv", "target,month,handled\n"+zy.Key+",2026-13,1\n"), "--json")
			var res struct {
				Errors []struct {
					Row    int    `json:"row"`
					Column string `json:"column"`
					Zh     string `json:"zh"`
					En     string `json:"en"`
				} `json:"errors"`
			}
			if jerr := json.Unmarshal([]byte(out), &res); err == nil || jerr != nil || len(res.Errors) != 1 || res.Errors[0].Row != 2 || res.Errors[0].Column != "month" || res.Errors[0].Zh == "" || res.Errors[0].En == "" {
				t.Fatalf("a bad file: %v %v %s", err, jerr, out)
			}
			if n := count(); n != 0 {
				t.Fatalf("%d volumes recorded before the import", n)
			}
			if out, err = run(cmdRun("ratings"), "volumes", "import", good); err != nil || !strings.Contains(out, "recorded 2 new") {
				t.Fatalf("import: %v %s", err, out)
			}
			listed := filepath.Join(dir, "list.csv")
			if out, err = run(cmdRun("ratings"), "volumes", "export", "--unit", "4101", "--period", "2026", "--out", listed); err != nil || !strings.Contains(out, "2 case volumes of 4101 2026") {
				t.Fatalf("export: %v %s", err, out)
			}
			b, _ := os.ReadFile(listed)
			if !strings.HasPrefix(string(b), "target,name,unit,month,handled,rated,active_rate\n") || !strings.Contains(string(b), zy.Key+",不动产登记,410102,2026-01,120,0,0.0%") {
				t.Fatalf("exported:\n%s", b)
			}
			if out, err = run(cmdRun("ratings"), "volumes", "import", listed); err != nil || !strings.Contains(out, "0 changed case volumes, 2 unchanged") {
				t.Fatalf("the export back: %v %s", err, out)
			}
			if out, err = run(cmdRun("ratings"), "volumes", "export", "--unit", "410102", "--period", "2026", "--format", "json", "--out", "-"); err != nil || !strings.Contains(out, `"handled": 120`) || strings.Contains(out, eq.Key) {
				t.Fatalf("json export of 中原区: %v %s", err, out)
			}
			if out, err = run(cmdRun("ratings"), "volumes", "export", "--unit", "41", "--format", "xlsx", "--period", "2026", "--out", filepath.Join(dir, "v.xlsx")); err != nil {
				t.Fatalf("xlsx export: %v %s", err, out)
			}
			if out, err = run(cmdRun("ratings"), "volumes", "import", filepath.Join(dir, "v.xlsx"), "--dry-run"); err != nil || !strings.Contains(out, "2 unchanged") {
				t.Fatalf("the xlsx back: %v %s", err, out)
			}
			if out, err = run(cmdRun("ratings"), "volumes", "list", "--unit", "41", "--period", "202602"); err != nil || !strings.Contains(out, eq.Key) || !strings.Contains(out, "1 case volumes of 41 202602") {
				t.Fatalf("list: %v %s", err, out)
			}
			if n := count(); n != 2 {
				t.Fatalf("%d volumes recorded, want 2", n)
			}
		})
	}
}
