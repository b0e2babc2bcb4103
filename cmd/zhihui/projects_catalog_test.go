package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/project"
)

// TestProjectsSystemsCommand adds, lists and retires a catalogue system
// on the command line on both stores: bad values name their flag, another
// city is refused, what is stored is checked.
func TestProjectsSystemsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"zy": {"reporter", "410102"}, "kf": {"reporter", "4102"}})
			ctx := context.Background()
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(append([]string{"systems"}, args...), flags...)) })
			}
			if _, err := run(); err == nil || !strings.Contains(err.Error(), "zhihui projects systems retire ID") {
				t.Fatalf("usage: %v", err)
			}
			if _, err := run("add", "--as", "zy", "--owner", "410102", "--name", "x", "--om-cost", "1.234567", "--mlps-level", "3"); err == nil || !strings.Contains(err.Error(), "--om-cost") {
				t.Fatalf("bad cost: %v", err)
			}
			if _, err := run("add", "--as", "kf", "--owner", "410102", "--name", "x", "--om-cost", "1", "--mlps-level", "3"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city adds: %v", err)
			}
			out, err := run("add", "--as", "zy", "--owner", "410102", "--name", "中原区不动产登记系统", "--om-cost", "35.25", "--mlps-level", "3", "--data-resources", "不动产登记簿", "--json")
			var created struct {
				ID int64 `json:"id"`
			}
			if err != nil || json.Unmarshal([]byte(out), &created) != nil || created.ID == 0 {
				t.Fatalf("add: %v\n%s", err, out)
			}
			if out, err := run("list", "--as", "zy", "--q", "不动产"); err != nil || !strings.Contains(out, "中原区不动产登记系统") || !strings.Contains(out, "35.25") {
				t.Fatalf("list: %v\n%s", err, out)
			}
			if out, err := run("list", "--as", "kf", "--q", "不动产", "--json"); err != nil || !strings.Contains(out, `"total": 0`) && !strings.Contains(out, `"total":0`) {
				t.Fatalf("another city lists: %v\n%s", err, out)
			}
			id := strconv.FormatInt(created.ID, 10)
			if _, err := run("retire", id, "--as", "kf", "--year", "2030"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city retires: %v", err)
			}
			if _, err := run("retire", id, "--as", "zy", "--year", "1900"); err == nil || !strings.Contains(err.Error(), "--year") {
				t.Fatalf("bad year: %v", err)
			}
			if out, err := run("retire", id, "--as", "zy", "--year", "2030"); err != nil || !strings.Contains(out, "2030") {
				t.Fatalf("retire: %v\n%s", err, out)
			}
			ss, _, err := project.New(a.DB).Systems(ctx, project.SystemFilter{Scopes: []string{"/41/"}, Q: "不动产"})
			if err != nil || len(ss) != 1 || ss[0].ID != created.ID || ss[0].RetiredYear != 2030 || ss[0].OMCost != 352500 || ss[0].DataResources != "不动产登记簿" {
				t.Fatalf("stored: %v %+v", err, ss)
			}
		})
	}
}
