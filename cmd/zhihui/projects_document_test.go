package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/project"
)

// TestProjectsDocumentCommand adds a document to a project on the command
// line on both stores: a bad kind names --kind, a file whose content lies
// about its type is refused, another city is refused, what is stored is
// checked.
func TestProjectsDocumentCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"zy": {"reporter", "410102"}, "kf": {"reporter", "4102"}})
			ctx := context.Background()
			svc := project.New(a.DB)
			pid, err := svc.Register(ctx, audit.System, []string{"/41/"}, project.NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "财政", Estimate: 1000000})
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(pid, 10)
			dir := t.TempDir()
			txt, pdf := filepath.Join(dir, "建议书.txt"), filepath.Join(dir, "x.pdf")
			if err := os.WriteFile(txt, []byte("项目建议书正文"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pdf, []byte("MZ not a pdf"), 0o600); err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(append([]string{"document"}, args...), flags...)) })
			}
			if _, err := run(id, "--as", "zy"); err == nil || !strings.Contains(err.Error(), "usage: zhihui projects document ID FILE") {
				t.Fatalf("without a file: %v", err)
			}
			if _, err := run(id, txt, "--as", "zy", "--kind", "poster"); err == nil || !strings.Contains(err.Error(), "--kind") {
				t.Fatalf("bad kind: %v", err)
			}
			if _, err := run(id, pdf, "--as", "zy", "--kind", "material"); err == nil {
				t.Fatal("a file whose content lies about its type")
			}
			if _, err := run(id, txt, "--as", "kf", "--kind", "material"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city: %v", err)
			}
			out, err := run(id, txt, "--as", "zy", "--kind", "material", "--json")
			var got struct {
				ID int64 `json:"id"`
			}
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.ID == 0 {
				t.Fatalf("add: %v\n%s", err, out)
			}
			d, data, err := svc.DocumentData(ctx, []string{"/41/"}, got.ID)
			if err != nil || d.Name != "建议书.txt" || d.Kind != project.Material || string(data) != "项目建议书正文" {
				t.Fatalf("stored: %v %+v %q", err, d, data)
			}
		})
	}
}
