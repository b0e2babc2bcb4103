package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/project"
)

// TestProjectsImportCommand imports a project list on the command line on
// both stores: a row of another city refuses the whole list with its row
// and column, a dry run writes nothing, the import stores every row.
func TestProjectsImportCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"zy": {"reporter", "410102"}})
			ctx := context.Background()
			svc := project.New(a.DB)
			stored := func() int {
				t.Helper()
				_, n, err := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, Q: "电子证照"})
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			head := "项目名称,建设单位代码,项目类别,资金来源,估算（万元）\n"
			good := head + "中原区电子证照库,410102,新建,区级财政,80.5\n"
			dir := t.TempDir()
			goodFile, badFile := filepath.Join(dir, "good.csv"), filepath.Join(dir, "bad.csv")
			if err := os.WriteFile(goodFile, []byte(good), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(badFile, []byte(good+"开封市电子证照库,4102,新建,市级财政,80\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(append([]string{"import"}, args...), flags...)) })
			}
			if out, err := run(badFile, "--as", "zy", "--json"); err == nil || !strings.Contains(out, `"row": 3`) || !strings.Contains(out, `"en"`) {
				t.Fatalf("an outside row: %v\n%s", err, out)
			}
			if out, err := run(goodFile, "--as", "zy", "--dry-run"); err != nil || !strings.Contains(out, "would import 1 projects") {
				t.Fatalf("dry run: %v\n%s", err, out)
			}
			if n := stored(); n != 0 {
				t.Fatalf("%d stored before the import", n)
			}
			if out, err := run(goodFile, "--as", "zy"); err != nil || !strings.Contains(out, "imported 1 projects") {
				t.Fatalf("import: %v\n%s", err, out)
			}
			ps, n, err := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, Q: "电子证照"})
			if err != nil || n != 1 || ps[0].Owner != "410102" || ps[0].Estimate != 805000 {
				t.Fatalf("stored: %v %d %+v", err, n, ps)
			}
		})
	}
}
