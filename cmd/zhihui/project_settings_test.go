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

// TestProjectThresholdsCommand: the office prints and changes the
// supervision and O&M thresholds (a value not given keeps its own); a bad
// value is refused naming its flag; a reporter is refused.
func TestProjectThresholdsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"office": {"office", "41"}, "rep": {"reporter", "4101"}})
			ctx := context.Background()
			svc := project.New(a.DB)
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(args, flags...)) })
			}
			out, err := run("thresholds", "--as", "office")
			if err != nil || !strings.Contains(out, "stale_days") || !strings.Contains(out, "90") {
				t.Fatalf("print: %v\n%s", err, out)
			}
			out, err = run("thresholds", "--as", "office", "--red", "25", "--json")
			var got struct {
				Thresholds project.Thresholds `json:"thresholds"`
			}
			want := project.Thresholds{Amber: 5, Red: 25, StaleDays: 90}
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Thresholds != want {
				t.Fatalf("set: %v\n%s", err, out)
			}
			if th, _ := svc.Thresholds(ctx); th != want {
				t.Fatalf("stored: %+v", th)
			}
			if _, err := run("thresholds", "--as", "office", "--stale-days", "many"); err == nil || !strings.Contains(err.Error(), "--stale-days") {
				t.Fatalf("bad value: %v", err)
			}
			if _, err := run("thresholds", "--as", "rep", "--red", "30"); err == nil {
				t.Fatal("a reporter sets the thresholds")
			}
			if _, err := run("om", "thresholds", "--as", "office", "--investment-share", "0"); err == nil || !strings.Contains(err.Error(), "--investment-share") {
				t.Fatalf("bad share: %v", err)
			}
			out, err = run("om", "thresholds", "--as", "office", "--over-last-year", "12")
			if th, _ := svc.OMThresholds(ctx); err != nil || th.OverLastYear != 12 || th.InvestmentShare != project.DefaultOMThresholds.InvestmentShare || !strings.Contains(out, "12") {
				t.Fatalf("om thresholds: %v %+v\n%s", err, th, out)
			}
			if th, _ := svc.Thresholds(ctx); th != want {
				t.Fatalf("refused calls changed the thresholds: %+v", th)
			}
		})
	}
}

// TestOMDecideCommand: another city's office is refused; a cut without a
// reason is refused naming its flag; the city's office cuts the request
// with the amount and reason, stored.
func TestOMDecideCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"zz": {"office", "4101"}, "kf": {"office", "4102"}})
			ctx := context.Background()
			svc := project.New(a.DB)
			all := []string{"/41/"}
			sid, err := svc.AddSystem(ctx, audit.System, all, project.NewSystem{Owner: "4101", Name: "郑州市协同办公系统", OMCost: 500000, MLPSLevel: 2})
			if err != nil {
				t.Fatal(err)
			}
			oid, err := svc.SubmitOM(ctx, audit.System, all, project.NewOM{SystemID: sid, Year: 2026, Amount: 800000})
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(oid, 10)
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(append([]string{"om", "decide"}, args...), flags...)) })
			}
			if _, err := run(id, "--as", "kf", "--decision", "approve"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city's office: %v", err)
			}
			if _, err := run(id, "--as", "zz", "--decision", "cut", "--approved", "60"); err == nil || !strings.Contains(err.Error(), "--reason") {
				t.Fatalf("a cut without a reason: %v", err)
			}
			out, err := run(id, "--as", "zz", "--decision", "cut", "--approved", "60.5", "--reason", "按合同核减", "--json")
			var got struct {
				Request project.OMRequest `json:"request"`
			}
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Request.Status != project.OMCut {
				t.Fatalf("cut: %v\n%s", err, out)
			}
			if x, err := svc.GetOM(ctx, all, oid); err != nil || x.Approved == nil || *x.Approved != 605000 || x.ReviewReason != "按合同核减" {
				t.Fatalf("stored: %+v %v", x, err)
			}
		})
	}
}

// TestPublicationCommand: the office chooses the published fields (an
// unknown one refused) and publishes and withdraws a project of its
// units; another city's office is refused.
func TestPublicationCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"zz": {"office", "4101"}, "kf": {"office", "4102"}})
			ctx := context.Background()
			svc := project.New(a.DB)
			id, err := svc.Register(ctx, audit.System, []string{"/41/"}, project.NewProject{Name: "郑州市政务数据共享平台", Owner: "4101", Category: "new", Funding: "财政", Estimate: 1000000})
			if err != nil {
				t.Fatal(err)
			}
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(args, flags...)) })
			}
			if _, err := run("publication", "--as", "zz", "--fields", "stage,nonsense"); err == nil || !strings.Contains(err.Error(), "--fields") {
				t.Fatalf("unknown field: %v", err)
			}
			if out, err := run("publication", "--as", "zz", "--fields", "stage,owner"); err != nil || strings.TrimSpace(out) != "owner,stage" {
				t.Fatalf("fields: %v\n%s", err, out)
			}
			sid := strconv.FormatInt(id, 10)
			if _, err := run("publish", sid, "--as", "kf"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city's office: %v", err)
			}
			if out, err := run("publish", sid, "--as", "zz", "--json"); err != nil || !strings.Contains(out, `"published": true`) {
				t.Fatalf("publish: %v\n%s", err, out)
			}
			if _, err := run("publish", sid, "--as", "zz", "--withdraw"); err != nil {
				t.Fatal(err)
			}
			if pub, err := svc.PublishedIDs(ctx, []int64{id}); err != nil || pub[id] {
				t.Fatalf("withdrawn: %v %v", pub, err)
			}
		})
	}
}

// TestExpertsWindowCommand: the office sets the window of years (a value
// out of range refused naming its flag); a reporter is refused.
func TestExpertsWindowCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"office": {"office", "41"}, "rep": {"reporter", "4101"}})
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("experts")(append(args, flags...)) })
			}
			if _, err := run("window", "--as", "office", "--years", "11"); err == nil || !strings.Contains(err.Error(), "--years") {
				t.Fatalf("out of range: %v", err)
			}
			if _, err := run("window", "--as", "rep", "--years", "2"); err == nil {
				t.Fatal("a reporter sets the window")
			}
			if out, err := run("window", "--as", "office", "--years", "4"); err != nil || strings.TrimSpace(out) != "4" {
				t.Fatalf("set: %v\n%s", err, out)
			}
			if n, err := project.New(a.DB).TieYears(context.Background()); err != nil || n != 4 {
				t.Fatalf("stored: %d %v", n, err)
			}
		})
	}
}
