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

// TestProjectReviewsCommand: the city's office draws a panel for a
// submitted project (the seed recorded, the experts named); another
// city's office and the owner are refused; each expert lists only their
// own assignment and scores it, another expert may not score that seat,
// a bad score and a missing opinion are refused — on both stores, the
// score stored and audited.
func TestProjectReviewsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			users := map[string][2]string{"zz-ban": {"office", "4101"}, "kf-ban": {"office", "4102"}, "zy": {"reporter", "410102"}}
			for i := 0; i < 3; i++ {
				users[fmt.Sprint("px", i)] = [2]string{"expert", "41"}
			}
			a, flags := cliSiteOn(t, engine, users)
			ctx := context.Background()
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("projects")(append(args, flags...)) })
			}
			svc := project.New(a.DB)
			all := []string{"/41/"}
			for i := 0; i < 3; i++ {
				if _, err := svc.AddExpert(ctx, audit.System, project.Expert{Name: fmt.Sprint("论证专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某研究院", i), Region: "41",
					Available: true, Account: fmt.Sprint("px", i)}); err != nil {
					t.Fatal(err)
				}
			}
			id, err := svc.Register(ctx, audit.System, all, project.NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "财政", Estimate: 1000000})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.AddDocument(ctx, audit.System, all, id, project.Material, "可研报告.txt", []byte("可行性研究报告")); err != nil {
				t.Fatal(err)
			}
			if err := svc.Submit(ctx, audit.System, all, id, ""); err != nil {
				t.Fatal(err)
			}
			pid := strconv.FormatInt(id, 10)
			for _, as := range []string{"kf-ban", "zy", "px0"} {
				if _, err := run("draw", pid, "--as", as, "--field", "egov", "--size", "3"); err == nil || !strings.Contains(err.Error(), "outside its units") {
					t.Fatalf("%s draws: %v", as, err)
				}
			}
			out, err := run("draw", pid, "--as", "zz-ban", "--field", "egov", "--size", "3", "--json")
			var got struct {
				Review     project.Review `json:"review"`
				Reproduces bool           `json:"reproduces"`
			}
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || len(got.Review.Seats) != 3 || !got.Reproduces || got.Review.Seats[0].ExpertName == "" {
				t.Fatalf("draw: %v\n%s", err, out)
			}
			revs, err := svc.Reviews(ctx, id)
			if err != nil || len(revs) != 1 || revs[0].Seed != got.Review.Seed {
				t.Fatalf("stored review: %v %+v", err, revs)
			}
			if _, err := run("reviews", "--as", "zy"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("the owner lists reviews: %v", err)
			}
			seats := revs[0].Seats
			for i := 0; i < 3; i++ {
				out, err := run("reviews", "--as", fmt.Sprint("px", i), "--json")
				var mine struct {
					Assignments []project.Assignment `json:"assignments"`
				}
				if err != nil || json.Unmarshal([]byte(out), &mine) != nil || len(mine.Assignments) != 1 {
					t.Fatalf("px%d's reviews: %v\n%s", i, err, out)
				}
				for _, st := range seats {
					if st.ID != mine.Assignments[0].Seat.ID && strings.Contains(out, st.ExpertName) {
						t.Fatalf("px%d reads another expert:\n%s", i, out)
					}
				}
			}
			first := strconv.FormatInt(seats[0].ID, 10)
			// The seats' experts by their names: 论证专家N is pxN.
			acct := "px" + strings.TrimPrefix(seats[0].ExpertName, "论证专家")
			other := "px" + strings.TrimPrefix(seats[1].ExpertName, "论证专家")
			if _, err := run("score", first, "--as", other, "--score", "80", "--opinion", "可行"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("scoring another expert's seat: %v", err)
			}
			if _, err := run("score", first, "--as", acct, "--score", "120", "--opinion", "可行"); err == nil || !strings.Contains(err.Error(), "0 to 100") {
				t.Fatalf("a score of 120: %v", err)
			}
			if _, err := run("score", first, "--as", acct, "--score", "80"); err == nil || !strings.Contains(err.Error(), "opinion") {
				t.Fatalf("no opinion: %v", err)
			}
			if out, err := run("score", first, "--as", acct, "--score", "85", "--opinion", "方案可行"); err != nil || !strings.Contains(out, "85") {
				t.Fatalf("score: %v\n%s", err, out)
			}
			revs, _ = svc.Reviews(ctx, id)
			if st := revs[0].Seats[0]; st.Score == nil || *st.Score != 85 || st.Opinion != "方案可行" {
				t.Fatalf("stored score: %+v", st)
			}
			es, _, err := audit.Search(ctx, a.DB, audit.Filter{Action: "score", Entity: "project_seat", EntityID: first})
			if err != nil || len(es) != 1 {
				t.Fatalf("the score's audit entries: %v %d", err, len(es))
			}
		})
	}
}
