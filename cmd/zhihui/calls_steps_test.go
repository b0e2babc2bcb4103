package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/project"
)

// TestCallStepsCommand: the city's office checks the applications, closes
// the call, draws the panel (the seed recorded) and, once each expert has
// scored their own seat, publishes the ranking; another city's office and
// a reporter are refused; an expert may not score another's seat; bad
// input names its flag — on both stores, each step stored and audited.
func TestCallStepsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			users := map[string][2]string{"zz-ban": {"office", "4101"}, "kf-ban": {"office", "4102"}, "zy": {"reporter", "410102"}}
			for i := 0; i < 3; i++ {
				users[fmt.Sprint("sx", i)] = [2]string{"expert", "41"}
			}
			a, flags := cliSiteOn(t, engine, users)
			ctx := context.Background()
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("calls")(append(args, flags...)) })
			}
			svc := project.New(a.DB)
			all := []string{"/41/"}
			for i := 0; i < 3; i++ {
				if _, err := svc.AddExpert(ctx, audit.System, project.Expert{Name: fmt.Sprint("评审专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某研究院", i), Region: "41",
					Available: true, Account: fmt.Sprint("sx", i)}); err != nil {
					t.Fatal(err)
				}
			}
			id, err := svc.OpenCall(ctx, audit.System, all, project.NewCall{Kind: project.CallAward, Title: "郑州市优秀工程评选", Description: "评选。", Org: "4101", Deadline: "2099-12-31",
				Criteria: "成效 60\n创新 40", Field: "egov", PanelSize: 3})
			if err != nil {
				t.Fatal(err)
			}
			cid := strconv.FormatInt(id, 10)
			app, err := svc.Apply(ctx, audit.System, all, id, project.NewApplication{Unit: "410102", Title: "中原区数据共享平台", Body: "正文"})
			if err != nil {
				t.Fatal(err)
			}
			aid := strconv.FormatInt(app, 10)
			for _, as := range []string{"kf-ban", "zy"} {
				for _, step := range [][]string{{"check", cid, aid, "--decision", "eligible"}, {"close", cid}, {"draw", cid}, {"publish", cid}} {
					if _, err := run(append(step, "--as", as)...); err == nil || !strings.Contains(err.Error(), "outside its units") {
						t.Fatalf("%s runs %s: %v", as, step[0], err)
					}
				}
			}
			if _, err := run("check", cid, aid, "--as", "zz-ban", "--decision", "maybe"); err == nil || !strings.Contains(err.Error(), "--decision") {
				t.Fatalf("a bad decision: %v", err)
			}
			if out, err := run("check", cid, aid, "--as", "zz-ban", "--decision", "eligible", "--json"); err != nil || !strings.Contains(out, `"status": "eligible"`) {
				t.Fatalf("check: %v\n%s", err, out)
			}
			if out, err := run("close", cid, "--as", "zz-ban"); err != nil || !strings.Contains(out, "closed") {
				t.Fatalf("close: %v\n%s", err, out)
			}
			out, err := run("draw", cid, "--as", "zz-ban", "--json")
			var p struct {
				Seed       string `json:"seed"`
				Reproduces bool   `json:"reproduces"`
				Seats      []struct {
					ID int64 `json:"id"`
				} `json:"seats"`
			}
			if err != nil || json.Unmarshal([]byte(out), &p) != nil || p.Seed == "" || !p.Reproduces || len(p.Seats) != 3 {
				t.Fatalf("draw: %v\n%s", err, out)
			}
			es, _, err := audit.Search(ctx, a.DB, audit.Filter{Action: "draw", Entity: "project_call", EntityID: cid})
			if err != nil || len(es) != 1 {
				t.Fatalf("the draw's audit entries: %v %d", err, len(es))
			}
			seats, err := svc.CallSeats(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := run("publish", cid, "--as", "zz-ban"); err == nil {
				t.Fatal("published before the scores are in")
			}
			first := strconv.FormatInt(seats[0].ID, 10)
			if _, err := run("score", first, "--as", seats[1].Account, "--application", aid, "--scores", "80,70", "--opinion", "好"); err == nil {
				t.Fatal("scored on another expert's seat")
			}
			if _, err := run("score", first, "--as", seats[0].Account, "--application", aid, "--scores", "80,x", "--opinion", "好"); err == nil || !strings.Contains(err.Error(), "--scores") {
				t.Fatalf("a bad score: %v", err)
			}
			if _, err := run("score", first, "--as", seats[0].Account, "--application", aid, "--scores", "80,70"); err == nil || !strings.Contains(err.Error(), "opinion") {
				t.Fatalf("no opinion: %v", err)
			}
			for i, st := range seats {
				if out, err := run("score", strconv.FormatInt(st.ID, 10), "--as", st.Account, "--application", aid, "--scores", fmt.Sprint(80+i, ",70"), "--opinion", "建设成效明显", "--json"); err != nil ||
					!strings.Contains(out, "建设成效明显") || strings.Contains(out, "评审专家") {
					t.Fatalf("score %d: %v\n%s", i, err, out)
				}
			}
			out, err = run("publish", cid, "--as", "zz-ban", "--note", "经评审，结果如下")
			if err != nil || !strings.Contains(out, "中原区数据共享平台") || strings.Contains(out, "评审专家") {
				t.Fatalf("publish: %v\n%s", err, out)
			}
			if c, err := svc.GetCall(ctx, id); err != nil || c.Status != project.CallPublished || c.ResultNote != "经评审，结果如下" {
				t.Fatalf("stored publication: %v %+v", err, c)
			}
		})
	}
}
