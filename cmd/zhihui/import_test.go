package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestImportJSON: `zhihui import FILE --dry-run --json` prints the values,
// the no-data cells, the errors and the sheets of a 统计报表, writes
// nothing, and a file with an error exits non-zero with the error in the
// JSON — on both stores.
func TestImportJSON(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			storeArgs := []string{"--data", dataDir(t)}
			if engine == "postgres" {
				storeArgs = []string{"--db", postgresDSN(t)}
			}
			storeArgs = append(storeArgs, "--log-level", "error")
			dir := t.TempDir()
			run := func(content string, args ...string) (map[string]any, error) {
				t.Helper()
				file := filepath.Join(dir, "报表.csv")
				if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
				b, runErr := captureStdout(t, func() error { return cmdRun("import")(append(append([]string{file}, args...), storeArgs...)) })
				var got map[string]any
				if err := json.Unmarshal([]byte(b), &got); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, b)
				}
				return got, runErr
			}
			good := "填报单位：郑州市　报告期：2016年　计量单位：万户\n单位代码,城镇家庭户数\n410102,5.231\n410103,—\n"
			got, err := run(good, "--dry-run", "--json")
			if err != nil {
				t.Fatal(err)
			}
			sheets, _ := got["sheets"].([]any)
			if got["values"] != 1.0 || got["missing"] != 1.0 || len(got["errors"].([]any)) != 0 || len(sheets) != 1 || got["written"] != nil {
				t.Fatalf("dry run: %v", got)
			}
			got, err = run("单位代码,城镇家庭户数\n410102,12\n", "--dry-run", "--json")
			if err == nil || len(got["errors"].([]any)) == 0 {
				t.Fatalf("a file without a period: %v %v", err, got)
			}
			got, err = run(good, "--json")
			if err != nil || got["written"] == nil {
				t.Fatalf("import: %v %v", err, got)
			}
		})
	}
}
