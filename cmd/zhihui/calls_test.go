package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
)

// cliSite is a fresh store in a temporary directory with the accounts
// users (name → role at org) and the flags that open it.
func cliSite(t *testing.T, users map[string][2]string) (*app.App, []string) {
	t.Helper()
	dir := dataDir(t)
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: dir, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	for name, g := range users {
		u, err := auth.CreateUser(ctx, a.DB, audit.System, auth.NewUser{Name: name, Password: "a-long-password-" + name})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, a.DB, audit.System, u.ID, auth.Role(g[0]), g[1]); err != nil {
			t.Fatal(err)
		}
	}
	return a, []string{"--data", dir, "--log-level", "error"}
}

// TestCallsCommand: the city's office opens a call from the command line;
// two counties apply as themselves (one with a document), a county of
// another city and a county applying for its neighbour are refused; each
// county lists its own application, the office both; another city's
// reporter does not see the call.
func TestCallsCommand(t *testing.T) {
	_, flags := cliSite(t, map[string][2]string{"zz-ban": {"office", "4101"}, "zy": {"reporter", "410102"}, "ej": {"reporter", "410103"}, "kf": {"reporter", "410202"}})
	deadline := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	run := func(args ...string) (string, error) {
		return captureStdout(t, func() error { return cmdRun("calls")(append(args, flags...)) })
	}
	if _, err := run("create", "--as", "zy", "--kind", "pilot", "--title", "试点", "--description", "d", "--org", "4101", "--deadline", deadline,
		"--criteria", "成效 50; 创新 50", "--field", "egov", "--panel-size", "3"); err == nil || !strings.Contains(err.Error(), "outside its units") {
		t.Fatalf("a reporter opens a call: %v", err)
	}
	if _, err := run("create", "--as", "zz-ban", "--kind", "pilot", "--title", "试点", "--description", "d", "--org", "4101", "--deadline", deadline,
		"--criteria", "成效 50; 创新 40", "--field", "egov", "--panel-size", "3"); err == nil || !strings.Contains(err.Error(), "must sum to 100") {
		t.Fatalf("weights summing to 90: %v", err)
	}
	out, err := run("create", "--as", "zz-ban", "--kind", "pilot", "--title", "郑州市数据共享试点", "--description", "遴选试点。", "--org", "4101",
		"--deadline", deadline, "--criteria", "应用成效 60；创新性 40", "--field", "egov", "--panel-size", "3", "--levels", "county", "--json")
	var created struct {
		Call project.Call `json:"call"`
	}
	if err != nil || json.Unmarshal([]byte(out), &created) != nil || created.Call.ID == 0 || len(created.Call.Criteria) != 2 || created.Call.Levels[0] != "county" {
		t.Fatalf("create: %v\n%s", err, out)
	}
	id := strconv.FormatInt(created.Call.ID, 10)
	doc := filepath.Join(t.TempDir(), "申报书.txt")
	if err := os.WriteFile(doc, []byte("中原区申报书"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := run("apply", id, "--as", "zy", "--unit", "410102", "--title", "中原区数据共享平台", "--body", "正文", "--document", doc); err != nil || !strings.Contains(out, "中原区数据共享平台") {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if _, err := run("apply", id, "--as", "zy", "--unit", "410103", "--title", "代申报", "--body", "正文"); err == nil || !strings.Contains(err.Error(), "outside its units") {
		t.Fatalf("a county applies for its neighbour: %v", err)
	}
	if _, err := run("apply", id, "--as", "kf", "--unit", "410202", "--title", "开封申报", "--body", "正文"); err == nil || !strings.Contains(err.Error(), "outside its units") {
		t.Fatalf("another city applies: %v", err)
	}
	if _, err := run("apply", id, "--as", "ej", "--unit", "410103", "--title", "二七区数据共享平台", "--body", "正文"); err != nil {
		t.Fatal(err)
	}
	units := func(as string) string {
		t.Helper()
		out, err := run("applications", id, "--as", as, "--json")
		var got struct {
			Applications []project.Application `json:"applications"`
		}
		if err != nil || json.Unmarshal([]byte(out), &got) != nil {
			t.Fatalf("applications as %s: %v\n%s", as, err, out)
		}
		var us []string
		for _, x := range got.Applications {
			us = append(us, x.Unit)
			if x.Unit == "410102" && (x.Document == nil || x.Document.Name != "申报书.txt") {
				t.Errorf("the document is missing: %+v", x)
			}
		}
		return strings.Join(us, ",")
	}
	if got := units("zy"); got != "410102" {
		t.Errorf("中原区 reads %s", got)
	}
	if got := units("zz-ban"); got != "410102,410103" {
		t.Errorf("the office reads %s", got)
	}
	if _, err := run("applications", id, "--as", "kf"); err == nil {
		t.Error("another city's reporter reads the applications")
	}
	if out, err := run("list", "--as", "kf"); err != nil || strings.Contains(out, "郑州市数据共享试点") {
		t.Errorf("another city's list: %v\n%s", err, out)
	}
	if out, err := run("list", "--as", "ej"); err != nil || !strings.Contains(out, "郑州市数据共享试点") {
		t.Errorf("a county's list: %v\n%s", err, out)
	}
	if _, err := run("list", "--as", "nobody"); err == nil || !strings.Contains(err.Error(), "no such user") {
		t.Errorf("an unknown user: %v", err)
	}
}
