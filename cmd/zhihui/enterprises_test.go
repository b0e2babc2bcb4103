package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/ecstat"
)

// TestEnterprisesImportAndSummary: `zhihui enterprises import` previews
// with --dry-run and writes nothing, refuses a file with an error naming
// its row, imports a good file; `enterprises summary` finds the register
// summary in step, reports a summary changed behind the register's back
// (exit status non-zero) and --repair puts it right — on both stores.
func TestEnterprisesImportAndSummary(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var c app.Config
			storeArgs := []string{"--data", dataDir(t)}
			c.DataDir, c.LogLevel = storeArgs[1], "error"
			if engine == "postgres" {
				c.DSN = postgresDSN(t)
				storeArgs = []string{"--db", c.DSN}
			}
			storeArgs = append(storeArgs, "--log-level", "error")
			dir := t.TempDir()
			run := func(fn func([]string) error, args ...string) (string, error) {
				t.Helper()
				return captureStdout(t, func() error { return fn(append(args, storeArgs...)) })
			}
			file := filepath.Join(dir, "名录.csv")
			code := func(body string) string {
				ch, _ := ecstat.CreditCheck(body)
				return body + string(ch)
			}
			a, b := code("91410102000000001"), code("91410105000000002")
			write := func(s string) {
				if err := os.WriteFile(file, []byte("credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"+s), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write(a + ",甲,5292,410102,小型,否,25,100\n" + b + ",乙,3914,410105,大型,是,900,88000\n" + a + ",甲二,5292,410102,小型,否,25,100\n")
			out, err := run(cmdRun("enterprises"), "import", file, "--year", "2020", "--lang", "en")
			if err == nil || !strings.Contains(out, "row 4") || !strings.Contains(out, "repeats row 2") {
				t.Fatalf("a repeated code: %v\n%s", err, out)
			}
			write(a + ",甲,5292,410102,小型,否,25,100\n" + b + ",乙,3914,410105,大型,是,900,88000\n")
			out, err = run(cmdRun("enterprises"), "import", file, "--year", "2020", "--dry-run")
			if err != nil || !strings.Contains(out, "would import 2 births") {
				t.Fatalf("dry run: %v\n%s", err, out)
			}
			out, err = run(cmdRun("enterprises"), "import", file, "--year", "2020")
			if err != nil || !strings.Contains(out, "imported 2 births") {
				t.Fatalf("import: %v\n%s", err, out)
			}
			out, err = run(cmdRun("enterprises"), "summary")
			if err != nil || !strings.Contains(out, "matches the register") {
				t.Fatalf("summary: %v\n%s", err, out)
			}
			ctx := context.Background()
			ap, err := app.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ap.DB.W.ExecContext(ctx, `UPDATE ecstat_register_cell SET units = units + 1`)
			ap.Close()
			if err != nil {
				t.Fatal(err)
			}
			out, err = run(cmdRun("enterprises"), "summary")
			if err == nil || !strings.Contains(out, "410102") || !strings.Contains(out, "stored 2 enterprises") {
				t.Fatalf("a changed summary: %v\n%s", err, out)
			}
			out, err = run(cmdRun("enterprises"), "summary", "--repair")
			if err != nil || !strings.Contains(out, "repaired 2 rows") {
				t.Fatalf("repair: %v\n%s", err, out)
			}
			if out, err = run(cmdRun("enterprises"), "summary"); err != nil || !strings.Contains(out, "matches the register") {
				t.Fatalf("after the repair: %v\n%s", err, out)
			}
		})
	}
}
