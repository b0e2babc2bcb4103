package web

import (
	"context"
	"encoding/json"
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

// TestProjectStepsAPI takes a project through its steps by the API: the
// owner county changes its amounts (exact decimals) and submits it, the
// office decides with a reason, sets a baseline and rates the risk, the
// county reports progress and an action plan, the office reviews it.
// Bad input is refused with the field named, callers without the role or
// outside the unit with 403; what was stored and audited is checked.
func TestProjectStepsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		a := audit.Actor{Name: "test"}
		all := []string{"/41/"}
		id, err := svc.Register(ctx, a, all, project.NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "财政", Estimate: 1000000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddDocument(ctx, a, all, id, project.Material, "建议书.txt", []byte("项目建议书")); err != nil {
			t.Fatal(err)
		}
		_, county := e.user(t, "steps-county", auth.Reporter, "410102")
		_, other := e.user(t, "steps-other", auth.Reporter, "4102")
		_, office := e.user(t, "steps-office", auth.Office, "41")
		_, leader := e.user(t, "steps-leader", auth.Leader, "41")
		base := "/api/v1/projects/" + strconv.FormatInt(id, 10)
		type answer struct {
			Project     project.Project `json:"project"`
			Ratings     []json.RawMessage
			Supervision json.RawMessage `json:"supervision"`
			Timeline    []json.RawMessage
		}
		step := func(c client, path, body string, want int) (answer, string) {
			t.Helper()
			rec := e.do(t, c, http.MethodPost, base+path, js(body))
			if rec.Code != want {
				t.Fatalf("%s %s: %d %s", path, body, rec.Code, rec.Body.String())
			}
			var x answer
			if want == http.StatusOK {
				if err := json.Unmarshal(rec.Body.Bytes(), &x); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			}
			return x, rec.Body.String()
		}
		// Amounts: exact decimals; too many places is refused on the field.
		x, _ := step(county, "/amounts", `{"estimate":"1234.5678","budget":"1300.1"}`, http.StatusOK)
		if x.Project.Estimate != 12345678 || x.Project.Budget == nil || *x.Project.Budget != 13001000 {
			t.Fatalf("amounts: %+v", x.Project)
		}
		if _, body := step(county, "/amounts", `{"final":"1.234567"}`, http.StatusBadRequest); !strings.Contains(body, `"field":"final"`) {
			t.Fatalf("bad final account: %s", body)
		}
		if _, body := step(county, "/amounts", `{"budget":"1","colour":"red"}`, http.StatusBadRequest); !strings.Contains(body, `"field":"colour"`) {
			t.Fatalf("unknown field: %s", body)
		}
		step(other, "/amounts", `{"estimate":"1"}`, http.StatusForbidden)
		step(leader, "/amounts", `{"estimate":"1"}`, http.StatusForbidden)
		// Submit, then the office's decision.
		step(other, "/submit", `{"note":"报送"}`, http.StatusForbidden)
		x, _ = step(county, "/submit", `{"note":"请审批"}`, http.StatusOK)
		if x.Project.Status != project.Submitted {
			t.Fatalf("submitted: %+v", x.Project)
		}
		step(county, "/decision", `{"decision":"approve","reason":"同意"}`, http.StatusForbidden)
		if _, body := step(office, "/decision", `{"decision":"maybe","reason":"?"}`, http.StatusBadRequest); !strings.Contains(body, `"field":"decision"`) {
			t.Fatalf("bad decision: %s", body)
		}
		stage := x.Project.Stage
		x, _ = step(office, "/decision", `{"decision":"approve","reason":"材料齐全，同意立项"}`, http.StatusOK)
		if x.Project.Stage == stage || x.Project.Status == project.Submitted {
			t.Fatalf("approved: %+v", x.Project)
		}
		// Baseline, progress, rating.
		if _, body := step(office, "/baseline", `{"start":"2026-01-01","end":"2026-12-31","cost":"abc"}`, http.StatusBadRequest); !strings.Contains(body, `"field":"cost"`) {
			t.Fatalf("bad cost: %s", body)
		}
		step(county, "/baseline", `{"start":"2026-01-01","end":"2026-12-31","cost":"1300"}`, http.StatusForbidden)
		x, _ = step(office, "/baseline", `{"start":"2026-01-01","end":"2026-12-31","cost":"1300.5"}`, http.StatusOK)
		if !strings.Contains(string(x.Supervision), "2026-12-31") {
			t.Fatalf("baseline: %s", x.Supervision)
		}
		x, _ = step(county, "/progress", `{"projected_end":"2027-06-30","projected_cost":1500}`, http.StatusOK)
		if !strings.Contains(string(x.Supervision), "2027-06-30") {
			t.Fatalf("progress: %s", x.Supervision)
		}
		if _, body := step(office, "/rating", `{"rating":6,"comment":"?"}`, http.StatusBadRequest); !strings.Contains(body, `"field":"rating"`) {
			t.Fatalf("bad rating: %s", body)
		}
		step(county, "/rating", `{"rating":1,"comment":"严重滞后"}`, http.StatusForbidden)
		x, _ = step(office, "/rating", `{"rating":1,"comment":"严重滞后"}`, http.StatusOK)
		if len(x.Ratings) != 1 || !strings.Contains(string(x.Ratings[0]), "严重滞后") {
			t.Fatalf("rating: %s", x.Ratings)
		}
		// The action plan and its review.
		if _, body := step(county, "/action", `{"plan":"","review_due":"2099-01-31"}`, http.StatusBadRequest); !strings.Contains(body, `"field":"plan"`) {
			t.Fatalf("empty plan: %s", body)
		}
		step(other, "/action", `{"plan":"整改","review_due":"2099-01-31"}`, http.StatusForbidden)
		step(county, "/action", `{"plan":"增加实施人员，按周报告","review_due":"2099-01-31"}`, http.StatusOK)
		step(county, "/action/review", `{"review":"已复核"}`, http.StatusForbidden)
		step(office, "/action/review", `{"review":"整改到位"}`, http.StatusOK)
		var plan, review string
		if err := db.R.QueryRowContext(ctx, `SELECT plan, review FROM project_action WHERE project_id = $1`, id).Scan(&plan, &review); err != nil || plan != "增加实施人员，按周报告" || review != "整改到位" {
			t.Fatalf("action stored: %q %q %v", plan, review, err)
		}
		// Every step is audited under its caller's name.
		rows, err := db.R.QueryContext(ctx, `SELECT action, actor_name FROM audit_log WHERE entity = 'project' AND entity_id = $1 AND actor_name LIKE 'steps-%' ORDER BY id`, strconv.FormatInt(id, 10))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var act, who string
			if err := rows.Scan(&act, &who); err != nil {
				t.Fatal(err)
			}
			got = append(got, act+"/"+who)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := "amounts/steps-county submit/steps-county decide/steps-office baseline/steps-office progress/steps-county rate/steps-office action/steps-county action_review/steps-office"
		if strings.Join(got, " ") != want {
			t.Fatalf("audited: %v", got)
		}
	})
}
