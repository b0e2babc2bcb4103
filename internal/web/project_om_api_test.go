package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// raw posts body as is with content type ctype.
func (e *testEnv) raw(t *testing.T, c client, target, ctype, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.Header.Set("Content-Type", ctype)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	req.Header.Set("X-CSRF-Token", c.csrf)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// TestOMAPI: a county submits an O&M request in JSON and is told its
// flags; a system of another city is refused; a list with errors is
// refused whole with each error's row and column in both languages; a dry
// run flags the rows and stores nothing; the import stores them all and
// the list shows the flagged ones.
func TestOMAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		a := audit.Actor{Name: "test"}
		sid, err := svc.AddSystem(ctx, a, []string{"/41/"}, project.NewSystem{Owner: "410102", Name: "中原区协同办公系统", OMCost: 500000, MLPSLevel: 2})
		if err != nil {
			t.Fatal(err)
		}
		kid, err := svc.AddSystem(ctx, a, []string{"/41/"}, project.NewSystem{Owner: "4102", Name: "开封市协同办公系统", OMCost: 500000, MLPSLevel: 2})
		if err != nil {
			t.Fatal(err)
		}
		_, zy := e.user(t, "om-zy", auth.Reporter, "410102")
		_, leader := e.user(t, "om-leader", auth.Leader, "41")
		rec := e.do(t, zy, http.MethodPost, "/api/v1/projects/om", js(`{"system":`+strconv.FormatInt(sid, 10)+`,"year":2026,"amount":"80","last_actual":50,"basis":"运维合同"}`))
		var one struct {
			Request project.OMRequest `json:"request"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || rec.Code != http.StatusCreated || one.Request.Amount != 800000 ||
			len(one.Request.Flags) != 2 || one.Request.Flags[0].Code != project.FlagOverLastYear || one.Request.Flags[1].En == "" {
			t.Fatalf("submit: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, zy, http.MethodPost, "/api/v1/projects/om", js(`{"system":`+strconv.FormatInt(kid, 10)+`,"year":2026,"amount":1}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city's system: %d", rec.Code)
		}
		if rec := e.do(t, leader, http.MethodPost, "/api/v1/projects/om", js(`{"system":`+strconv.FormatInt(sid, 10)+`,"year":2026,"amount":1}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("a leader submits: %d", rec.Code)
		}
		count := func() int {
			var n int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_om`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		head := "year,owner,system,amount,last actual,basis\n"
		bad := head + "2027,410102,中原区协同办公系统,1.23456,,\n二〇二七,410102,中原区协同办公系统,10,,\n"
		rec = e.raw(t, zy, "/api/v1/projects/om/import", "text/csv", bad)
		var failed struct {
			Errors []struct {
				Row    int    `json:"row"`
				Column string `json:"column"`
				Zh     string `json:"zh"`
				En     string `json:"en"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &failed); err != nil || rec.Code != http.StatusBadRequest || len(failed.Errors) != 2 ||
			failed.Errors[0].Row != 2 || failed.Errors[0].Column != "amount" || failed.Errors[1].Row != 3 || failed.Errors[1].Column != "year" ||
			failed.Errors[0].Zh == "" || failed.Errors[0].En == "" {
			t.Fatalf("a list with errors: %d %s", rec.Code, rec.Body.String())
		}
		if n := count(); n != 1 {
			t.Fatalf("%d requests stored after a refused list", n)
		}
		good := head + "2027,410102,中原区协同办公系统,55,50,合同\n2027,410102,#" + strconv.FormatInt(sid, 10) + ",40,,补充\n"
		type result struct {
			DryRun   bool                 `json:"dry_run"`
			Written  bool                 `json:"written"`
			Rows     int                  `json:"rows"`
			Flagged  int                  `json:"flagged"`
			Requests []*project.OMRequest `json:"requests"`
		}
		var dry, done result
		rec = e.raw(t, zy, "/api/v1/projects/om/import?dryRun=true", "text/csv", good)
		if err := json.Unmarshal(rec.Body.Bytes(), &dry); err != nil || rec.Code != 200 || !dry.DryRun || dry.Written || dry.Rows != 2 || dry.Flagged != 1 ||
			len(dry.Requests[0].Flags) != 0 || dry.Requests[1].Flags[0].Code != project.FlagDuplicate {
			t.Fatalf("dry run: %d %s", rec.Code, rec.Body.String())
		}
		if n := count(); n != 1 {
			t.Fatalf("%d requests stored by a dry run", n)
		}
		body, ct := multipartUpload(t, "om.csv", good)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/projects/om/import", body)
		req.Header.Set("Content-Type", ct)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: zy.token})
		req.Header.Set("X-CSRF-Token", zy.csrf)
		rec = httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if err := json.Unmarshal(rec.Body.Bytes(), &done); err != nil || rec.Code != 200 || done.DryRun || !done.Written || done.Rows != 2 || done.Requests[0].ID == 0 {
			t.Fatalf("import: %d %s", rec.Code, rec.Body.String())
		}
		if n := count(); n != 3 {
			t.Fatalf("%d requests stored, want 3", n)
		}
		rec = e.do(t, leader, http.MethodGet, "/api/v1/projects/om?flag=any&year=2027", nil)
		var listed struct {
			Requests []*project.OMRequest `json:"requests"`
			Flagged  int                  `json:"flagged"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &listed); err != nil || rec.Code != 200 || len(listed.Requests) != 1 || listed.Flagged != 1 || listed.Requests[0].Flags[0].Code != project.FlagDuplicate {
			t.Fatalf("flagged list: %d %s", rec.Code, rec.Body.String())
		}
	})
}
