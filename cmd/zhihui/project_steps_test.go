package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/project"
)

// TestProjectStepsCommand takes a project through its steps on the
// command line on both stores: the county changes the amounts and
// submits, another city is refused, the office decides, sets a baseline
// and rates it, the county reports progress and an action plan, the
// office reviews it; bad values name their flag; what is stored is
// checked.
func TestProjectStepsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"zy": {"reporter", "410102"}, "kf": {"reporter", "4102"}, "office": {"office", "41"}})
			ctx := context.Background()
			svc := project.New(a.DB)
			all := []string{"/41/"}
			pid, err := svc.Register(ctx, audit.System, all, project.NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "财政", Estimate: 1000000})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.AddDocument(ctx, audit.System, all, pid, project.Material, "建议书.txt", []byte("项目建议书")); err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(pid, 10)
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(args, flags...)) })
			}
			// The usage names every step.
			if _, err := run(); err == nil {
				t.Fatal("projects without a subcommand")
			} else {
				for _, name := range []string{"submit", "decide", "amounts", "baseline", "progress", "rate", "action", "action-review"} {
					if !strings.Contains(err.Error(), "zhihui projects "+name+" ID") {
						t.Errorf("the usage does not name %s: %v", name, err)
					}
				}
			}
			if _, err := run("submit", "--as", "zy"); err == nil || !strings.Contains(err.Error(), "usage: zhihui projects submit ID") {
				t.Fatalf("submit without an id: %v", err)
			}
			out, err := run("amounts", id, "--as", "zy", "--estimate", "1234.5678", "--budget", "1300.1", "--json")
			var got struct {
				Project project.Project `json:"project"`
			}
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Project.Estimate != 12345678 || got.Project.Budget == nil || *got.Project.Budget != 13001000 {
				t.Fatalf("amounts: %v\n%s", err, out)
			}
			if _, err := run("amounts", id, "--as", "zy", "--final", "1.234567"); err == nil || !strings.Contains(err.Error(), "--final") {
				t.Fatalf("bad final account: %v", err)
			}
			if _, err := run("submit", id, "--as", "kf"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city submits: %v", err)
			}
			if out, err := run("submit", id, "--as", "zy", "--note", "请审批"); err != nil || !strings.Contains(out, project.Submitted) {
				t.Fatalf("submit: %v\n%s", err, out)
			}
			if _, err := run("decide", id, "--as", "zy", "--decision", "approve", "--reason", "同意"); err == nil {
				t.Fatal("the county decides its own gate")
			}
			if _, err := run("decide", id, "--as", "office", "--decision", "maybe"); err == nil || !strings.Contains(err.Error(), "--decision") {
				t.Fatalf("bad decision: %v", err)
			}
			if _, err := run("decide", id, "--as", "office", "--decision", "approve", "--reason", "材料齐全，同意立项"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("baseline", id, "--as", "office", "--start", "2026-01-01", "--end", "2026-12-31", "--cost", "1300.5"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("progress", id, "--as", "zy", "--projected-end", "2027-06-30", "--projected-cost", "1500"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("rate", id, "--as", "office", "--rating", "6"); err == nil || !strings.Contains(err.Error(), "--rating") {
				t.Fatalf("bad rating: %v", err)
			}
			if _, err := run("rate", id, "--as", "office", "--rating", "1", "--comment", "严重滞后"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("action", id, "--as", "zy", "--plan", "增加实施人员，按周报告", "--review-due", "2099-01-31"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("action-review", id, "--as", "office", "--review", "整改到位"); err != nil {
				t.Fatal(err)
			}
			p, err := svc.Get(ctx, all, pid)
			if err != nil || p.Status == project.Submitted || p.Stage == project.Proposal {
				t.Fatalf("decided: %v %+v", err, p)
			}
			rs, err := svc.Ratings(ctx, pid)
			if err != nil || len(rs) != 1 {
				t.Fatalf("ratings: %v %+v", err, rs)
			}
			var plan, review string
			if err := a.DB.R.QueryRowContext(ctx, `SELECT plan, review FROM project_action WHERE project_id = $1`, pid).Scan(&plan, &review); err != nil || plan != "增加实施人员，按周报告" || review != "整改到位" {
				t.Fatalf("action stored: %q %q %v", plan, review, err)
			}
			var n int
			if err := a.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'project' AND entity_id = $1 AND actor_name IN ('zy', 'office')`, id).Scan(&n); err != nil || n != 8 {
				t.Fatalf("audited: %d %v", n, err)
			}
		})
	}
}
