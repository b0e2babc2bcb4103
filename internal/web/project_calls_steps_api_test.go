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

// TestCallStepsAPI: through the API the city's office checks the
// applications (an ineligible one needs a note, a bad decision is a
// bilingual error on its field), closes the call and draws its panel
// (seed recorded, experts named to the office only); another city's
// office and a reporter are refused each step; each expert scores their
// own seat (a missing opinion is bilingual, another expert's seat is
// refused); the office publishes the ranking, which names no expert; the
// stored states and audit entries follow each step.
func TestCallStepsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, office := e.user(t, "cs-office", auth.Office, "4101")
		_, kfOffice := e.user(t, "cs-kf-office", auth.Office, "4102")
		_, zy := e.user(t, "cs-zy", auth.Reporter, "410102")
		svc := project.New(db)
		all := []string{"/41/"}
		sys := audit.Actor{Name: "test"}
		experts := map[string]client{}
		for i := 0; i < 3; i++ {
			name := fmt.Sprint("cs-expert-", i)
			_, experts[name] = e.user(t, name, auth.Expert, "41")
			if _, err := svc.AddExpert(ctx, sys, project.Expert{Name: fmt.Sprint("评审专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某研究院", i), Region: "41", Available: true, Account: name}); err != nil {
				t.Fatal(err)
			}
		}
		cid, err := svc.OpenCall(ctx, sys, all, project.NewCall{Kind: project.CallAward, Title: "郑州市优秀工程评选", Description: "评选。", Org: "4101", Deadline: "2099-12-31",
			Criteria: "成效 60\n创新 40", Field: "egov", PanelSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		good, err := svc.Apply(ctx, sys, all, cid, project.NewApplication{Unit: "410102", Title: "中原区数据共享平台", Body: "正文"})
		if err != nil {
			t.Fatal(err)
		}
		bad, err := svc.Apply(ctx, sys, all, cid, project.NewApplication{Unit: "410103", Title: "二七区办公系统", Body: "正文"})
		if err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/calls/" + strconv.FormatInt(cid, 10)
		check := func(app int64) string { return fmt.Sprintf("%s/applications/%d/check", base, app) }
		for _, c := range []client{kfOffice, zy} {
			if rec := e.do(t, c, http.MethodPost, check(good), js(`{"decision":"eligible"}`)); rec.Code != http.StatusForbidden {
				t.Fatalf("a stranger checks: %d %s", rec.Code, rec.Body.String())
			}
		}
		bilingual400(t, "a bad decision", e.do(t, office, http.MethodPost, check(good), js(`{"decision":"maybe"}`)), "eligible", "decision must be")
		bilingual400(t, "ineligible without a note", e.do(t, office, http.MethodPost, check(bad), js(`{"decision":"ineligible"}`)), "理由", "not eligible")
		if rec := e.do(t, office, http.MethodPost, check(bad), js(`{"decision":"ineligible","note":"非信息化项目"}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "非信息化项目") {
			t.Fatalf("ineligible: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, office, http.MethodPost, check(good), js(`{"decision":"eligible"}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"eligible"`) {
			t.Fatalf("eligible: %d %s", rec.Code, rec.Body.String())
		}
		if x, _, err := svc.GetApplication(ctx, all, good); err != nil || x.Status != project.AppEligible {
			t.Fatalf("stored check: %v %+v", err, x)
		}
		if n := auditCount(t, db, "check", "project_application", strconv.FormatInt(good, 10)); n != 1 {
			t.Fatalf("the check's audit entries: %d", n)
		}
		// Drawing before closing is a user error.
		if rec := e.do(t, office, http.MethodPost, base+"/draw", js(`{}`)); rec.Code != http.StatusBadRequest {
			t.Fatalf("drawing an open call: %d %s", rec.Code, rec.Body.String())
		}
		for _, c := range []client{kfOffice, zy} {
			for _, step := range []string{"/close", "/draw", "/publish"} {
				if rec := e.do(t, c, http.MethodPost, base+step, js(`{}`)); rec.Code != http.StatusForbidden {
					t.Fatalf("a stranger posts %s: %d %s", step, rec.Code, rec.Body.String())
				}
			}
		}
		if rec := e.do(t, office, http.MethodPost, base+"/close", js(`{}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"closed"`) {
			t.Fatalf("close: %d %s", rec.Code, rec.Body.String())
		}
		rec := e.do(t, office, http.MethodPost, base+"/draw", nil)
		var p struct {
			Seed  string `json:"seed"`
			Seats []struct {
				ID         int64  `json:"id"`
				Account    string `json:"account"`
				ExpertName string `json:"expert_name"`
			} `json:"seats"`
			Reproduces bool `json:"reproduces"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusOK || len(p.Seats) != 3 || p.Seed == "" || !p.Reproduces || p.Seats[0].ExpertName == "" {
			t.Fatalf("draw: %d %s", rec.Code, rec.Body.String())
		}
		if c, err := svc.GetCall(ctx, cid); err != nil || c.DrawnAt == nil || strconv.FormatUint(c.Seed, 10) != p.Seed {
			t.Fatalf("stored draw: %v %+v", err, c)
		}
		if n := auditCount(t, db, "draw", "project_call", strconv.FormatInt(cid, 10)); n != 1 {
			t.Fatalf("the draw's audit entries: %d", n)
		}
		// The applicant's view of the call names no expert.
		if rec := e.do(t, zy, http.MethodGet, base+"/applications", nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "评审专家") {
			t.Fatalf("the applicant's view: %d %s", rec.Code, rec.Body.String())
		}
		// Publishing before every score is in is a user error.
		if rec := e.do(t, office, http.MethodPost, base+"/publish", js(`{"note":"早"}`)); rec.Code != http.StatusBadRequest {
			t.Fatalf("publishing unscored: %d %s", rec.Code, rec.Body.String())
		}
		seats, err := svc.CallSeats(ctx, cid)
		if err != nil {
			t.Fatal(err)
		}
		score := func(seat int64) string { return fmt.Sprintf("%s/seats/%d/%d/score", base, seat, good) }
		if rec := e.do(t, experts[seats[1].Account], http.MethodPost, score(seats[0].ID), js(`{"scores":[80,70],"opinion":"好"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("scoring on another expert's seat: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, office, http.MethodPost, score(seats[0].ID), js(`{"scores":[80,70],"opinion":"好"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("the office scores: %d %s", rec.Code, rec.Body.String())
		}
		bilingual400(t, "no opinion", e.do(t, experts[seats[0].Account], http.MethodPost, score(seats[0].ID), js(`{"scores":[80,70]}`)), "评审意见", "opinion")
		bilingual400(t, "a score above 100", e.do(t, experts[seats[0].Account], http.MethodPost, score(seats[0].ID), js(`{"scores":[180,70],"opinion":"好"}`)), "0 至 100", "0 to 100")
		for i, st := range seats {
			rec := e.do(t, experts[st.Account], http.MethodPost, score(st.ID), js(fmt.Sprintf(`{"scores":[%d,70],"opinion":"建设成效明显"}`, 80+i)))
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "建设成效明显") || strings.Contains(rec.Body.String(), "评审专家") {
				t.Fatalf("score %d: %d %s", i, rec.Code, rec.Body.String())
			}
		}
		if n := auditCount(t, db, "score", "project_application", strconv.FormatInt(good, 10)); n != 3 {
			t.Fatalf("the scores' audit entries: %d", n)
		}
		rec = e.do(t, office, http.MethodPost, base+"/publish", js(`{"note":"经评审，评选结果如下"}`))
		var pub struct {
			Call    project.Call `json:"call"`
			Ranking []struct {
				Rank  int    `json:"rank"`
				Title string `json:"title"`
			} `json:"ranking"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &pub); err != nil || rec.Code != http.StatusOK || pub.Call.Status != project.CallPublished || len(pub.Ranking) != 1 ||
			pub.Ranking[0].Title != "中原区数据共享平台" || strings.Contains(rec.Body.String(), "评审专家") {
			t.Fatalf("publish: %d %s", rec.Code, rec.Body.String())
		}
		if c, err := svc.GetCall(ctx, cid); err != nil || c.Status != project.CallPublished || c.ResultNote != "经评审，评选结果如下" {
			t.Fatalf("stored publication: %v %+v", err, c)
		}
		if n := auditCount(t, db, "publish", "project_call", strconv.FormatInt(cid, 10)); n != 1 {
			t.Fatalf("the publication's audit entries: %d", n)
		}
		if rec := e.do(t, experts[seats[0].Account], http.MethodPost, score(seats[0].ID), js(`{"scores":[90,90],"opinion":"改"}`)); rec.Code != http.StatusBadRequest {
			t.Fatalf("scoring after publication: %d %s", rec.Code, rec.Body.String())
		}
	})
}
