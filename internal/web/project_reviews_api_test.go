package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestProjectReviewsAPI: the city's office draws a panel for a submitted
// project through the API (a bad size is a bilingual error on its field;
// another city's office, the owner and an expert are refused) and reads
// the experts' names; the owner's reading of the project names none; each
// expert reads only their own assignment and scores it (a bad score and a
// missing opinion are bilingual errors on their fields, another expert's
// seat is refused); the seats, the seed and the audit entries are stored.
func TestProjectReviewsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, office := e.user(t, "pr-office", auth.Office, "4101")
		_, kfOffice := e.user(t, "pr-kf-office", auth.Office, "4102")
		_, owner := e.user(t, "pr-owner", auth.Reporter, "410102")
		svc := project.New(db)
		all := []string{"/41/"}
		sys := audit.Actor{Name: "test"}
		experts := map[string]client{}
		for i := 0; i < 3; i++ {
			name := fmt.Sprint("pr-expert-", i)
			_, experts[name] = e.user(t, name, auth.Expert, "41")
			if _, err := svc.AddExpert(ctx, sys, project.Expert{Name: fmt.Sprint("论证专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某研究院", i), Region: "41", Available: true, Account: name}); err != nil {
				t.Fatal(err)
			}
		}
		id, err := svc.Register(ctx, sys, all, project.NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "财政", Estimate: 1000000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddDocument(ctx, sys, all, id, project.Material, "可研报告.txt", []byte("可行性研究报告")); err != nil {
			t.Fatal(err)
		}
		if err := svc.Submit(ctx, sys, all, id, ""); err != nil {
			t.Fatal(err)
		}
		draw := "/api/v1/projects/" + strconv.FormatInt(id, 10) + "/draw"
		for _, c := range []client{kfOffice, owner, experts["pr-expert-0"]} {
			if rec := e.do(t, c, http.MethodPost, draw, js(`{"field":"egov","size":3}`)); rec.Code != http.StatusForbidden {
				t.Fatalf("a stranger draws: %d %s", rec.Code, rec.Body.String())
			}
		}
		bilingual400(t, "a size in words", e.do(t, office, http.MethodPost, draw, js(`{"field":"egov","size":"三"}`)), "整数", "whole number")
		rec := e.do(t, office, http.MethodPost, draw, js(`{"field":"egov","size":3}`))
		var got struct {
			Review struct {
				ID    int64  `json:"id"`
				Seed  uint64 `json:"seed"`
				Seats []struct {
					ID         int64  `json:"id"`
					ExpertName string `json:"expert_name"`
				} `json:"seats"`
				Reproduces bool `json:"reproduces"`
			} `json:"review"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusCreated || len(got.Review.Seats) != 3 || got.Review.Seats[0].ExpertName == "" || !got.Review.Reproduces {
			t.Fatalf("draw: %d %s", rec.Code, rec.Body.String())
		}
		revs, err := svc.Reviews(ctx, id)
		if err != nil || len(revs) != 1 || revs[0].ID != got.Review.ID || revs[0].Seed != got.Review.Seed || len(revs[0].Seats) != 3 {
			t.Fatalf("stored review: %v %+v", err, revs)
		}
		if n := auditCount(t, db, "draw", "project_review", strconv.FormatInt(got.Review.ID, 10)); n != 1 {
			t.Fatalf("the draw's audit entries: %d", n)
		}
		// The owner reads the project without the experts' names.
		if rec := e.do(t, owner, http.MethodGet, "/api/v1/projects/"+strconv.FormatInt(id, 10), nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "论证专家") {
			t.Fatalf("the owner's reading: %d %s", rec.Code, rec.Body.String())
		}
		seats := revs[0].Seats
		acct := map[int64]string{}
		for name, c := range experts {
			rec := e.do(t, c, http.MethodGet, "/api/v1/projects/reviews", nil)
			var mine struct {
				Assignments []project.Assignment `json:"assignments"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &mine); err != nil || rec.Code != http.StatusOK || len(mine.Assignments) != 1 || !mine.Assignments[0].Open {
				t.Fatalf("%s's assignments: %d %s", name, rec.Code, rec.Body.String())
			}
			acct[mine.Assignments[0].Seat.ID] = name
			for _, st := range seats {
				if st.ID != mine.Assignments[0].Seat.ID && strings.Contains(rec.Body.String(), st.ExpertName) {
					t.Fatalf("%s reads another expert: %s", name, rec.Body.String())
				}
			}
		}
		if rec := e.do(t, owner, http.MethodGet, "/api/v1/projects/reviews", nil); rec.Code != http.StatusForbidden {
			t.Fatalf("the owner reads reviews: %d", rec.Code)
		}
		score := func(seat int64) string { return "/api/v1/projects/reviews/" + strconv.FormatInt(seat, 10) + "/score" }
		first, second := seats[0].ID, seats[1].ID
		if rec := e.do(t, experts[acct[second]], http.MethodPost, score(first), js(`{"score":80,"opinion":"可行"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("scoring another expert's seat: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, office, http.MethodPost, score(first), js(`{"score":80,"opinion":"可行"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("the office scores: %d %s", rec.Code, rec.Body.String())
		}
		bilingual400(t, "a score in words", e.do(t, experts[acct[first]], http.MethodPost, score(first), js(`{"score":"八十","opinion":"可行"}`)), "0 至 100", "0 to 100")
		bilingual400(t, "a score of 120", e.do(t, experts[acct[first]], http.MethodPost, score(first), js(`{"score":120,"opinion":"可行"}`)), "0 至 100", "0 to 100")
		bilingual400(t, "no opinion", e.do(t, experts[acct[first]], http.MethodPost, score(first), js(`{"score":80}`)), "评审意见", "opinion")
		rec = e.do(t, experts[acct[first]], http.MethodPost, score(first), js(`{"score":85,"opinion":"方案可行，建议压缩硬件投资"}`))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "方案可行") || !strings.Contains(rec.Body.String(), `"score":85`) {
			t.Fatalf("score: %d %s", rec.Code, rec.Body.String())
		}
		revs, err = svc.Reviews(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range revs[0].Seats {
			if st.ID == first && (st.Score == nil || *st.Score != 85 || st.Opinion != "方案可行，建议压缩硬件投资") {
				t.Fatalf("stored score: %+v", st)
			}
		}
		if n := auditCount(t, db, "score", "project_seat", strconv.FormatInt(first, 10)); n != 1 {
			t.Fatalf("the score's audit entries: %d", n)
		}
	})
}
