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

// TestSettingsAPI: the office reads and sets the supervision thresholds
// and the O&M thresholds in JSON as the pages do: stored, audited, bad
// values refused with the field named in both languages, and a leader or
// a reporter refused.
func TestSettingsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		_, office := e.user(t, "set-office", auth.Office, "41")
		_, leader := e.user(t, "set-leader", auth.Leader, "41")
		_, reporter := e.user(t, "set-rep", auth.Reporter, "4101")
		rec := e.do(t, office, http.MethodGet, "/api/v1/projects/supervision/thresholds", nil)
		var got struct {
			Thresholds project.Thresholds `json:"thresholds"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Thresholds != project.DefaultThresholds {
			t.Fatalf("read: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/projects/supervision/thresholds", js(`{"amber":8,"red":"20","stale_days":60}`))
		want := project.Thresholds{Amber: 8, Red: 20, StaleDays: 60}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Thresholds != want {
			t.Fatalf("set: %d %s", rec.Code, rec.Body.String())
		}
		if th, err := svc.Thresholds(ctx); err != nil || th != want {
			t.Fatalf("stored: %+v %v", th, err)
		}
		for body, field := range map[string]string{
			`{"amber":8,"red":5,"stale_days":60}`:        "amber",
			`{"amber":8,"red":20,"stale_days":"x"}`:      "stale_days",
			`{"amber":8,"red":20,"stale_days":3}`:        "stale_days",
			`{"amber":8,"red":20,"stale_days":60,"x":1}`: "x",
		} {
			rec := e.do(t, office, http.MethodPost, "/api/v1/projects/supervision/thresholds", js(body))
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+field+`"`) {
				t.Fatalf("%s: %d %s", body, rec.Code, rec.Body.String())
			}
		}
		for _, c := range []client{leader, reporter} {
			if rec := e.do(t, c, http.MethodPost, "/api/v1/projects/supervision/thresholds", js(`{"amber":1,"red":2,"stale_days":7}`)); rec.Code != http.StatusForbidden {
				t.Fatalf("not the office: %d", rec.Code)
			}
		}
		if th, _ := svc.Thresholds(ctx); th != want {
			t.Fatalf("refused calls changed the thresholds: %+v", th)
		}

		rec = e.do(t, office, http.MethodPost, "/api/v1/projects/om/thresholds", js(`{"over_last_year":15,"over_catalogue":"25","investment_share":12}`))
		var om struct {
			Thresholds project.OMThresholds `json:"thresholds"`
		}
		wantOM := project.OMThresholds{OverLastYear: 15, OverCatalogue: 25, InvestmentShare: 12}
		if err := json.Unmarshal(rec.Body.Bytes(), &om); err != nil || rec.Code != http.StatusOK || om.Thresholds != wantOM {
			t.Fatalf("om thresholds: %d %s", rec.Code, rec.Body.String())
		}
		if th, err := svc.OMThresholds(ctx); err != nil || th != wantOM {
			t.Fatalf("om stored: %+v %v", th, err)
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/projects/om/thresholds", js(`{"over_last_year":15,"over_catalogue":25,"investment_share":0}`))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"investment_share"`) {
			t.Fatalf("om bad share: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, reporter, http.MethodPost, "/api/v1/projects/om/thresholds", js(`{"over_last_year":1,"over_catalogue":1,"investment_share":1}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("a reporter sets the O&M thresholds: %d", rec.Code)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action IN ('thresholds', 'om_thresholds') AND actor_name = 'set-office'`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("audited: %d %v", n, err)
		}
	})
}

// TestOMDecideAPI: the office of the city cuts an O&M request in JSON
// with the amount and reason, stored and audited; a cut without a reason
// and a second decision are refused with the field named; another city's
// office is refused.
func TestOMDecideAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		all := []string{"/41/"}
		sid, err := svc.AddSystem(ctx, audit.System, all, project.NewSystem{Owner: "4101", Name: "郑州市协同办公系统", OMCost: 500000, MLPSLevel: 2})
		if err != nil {
			t.Fatal(err)
		}
		oid, err := svc.SubmitOM(ctx, audit.System, all, project.NewOM{SystemID: sid, Year: 2026, Amount: 800000})
		if err != nil {
			t.Fatal(err)
		}
		_, zz := e.user(t, "dec-zz", auth.Office, "4101")
		_, kf := e.user(t, "dec-kf", auth.Office, "4102")
		target := "/api/v1/projects/om/" + strconv.FormatInt(oid, 10) + "/decide"
		if rec := e.do(t, kf, http.MethodPost, target, js(`{"decision":"approve"}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city's office: %d", rec.Code)
		}
		for body, field := range map[string]string{
			`{"decision":"cut","approved":"60"}`:                    "reason",
			`{"decision":"cut","approved":"1.234567","reason":"x"}`: "approved",
			`{"decision":"maybe"}`:                                  "decision",
		} {
			if rec := e.do(t, zz, http.MethodPost, target, js(body)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+field+`"`) {
				t.Fatalf("%s: %d %s", body, rec.Code, rec.Body.String())
			}
		}
		rec := e.do(t, zz, http.MethodPost, target, js(`{"decision":"cut","approved":"60.5","reason":"按合同核减"}`))
		var got struct {
			Request project.OMRequest `json:"request"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || got.Request.Status != project.OMCut || got.Request.Approved == nil || *got.Request.Approved != 605000 {
			t.Fatalf("cut: %d %s", rec.Code, rec.Body.String())
		}
		x, err := svc.GetOM(ctx, all, oid)
		if err != nil || x.Status != project.OMCut || x.ReviewReason != "按合同核减" {
			t.Fatalf("stored: %+v %v", x, err)
		}
		if rec := e.do(t, zz, http.MethodPost, target, js(`{"decision":"approve"}`)); rec.Code != http.StatusBadRequest {
			t.Fatalf("decided twice: %d %s", rec.Code, rec.Body.String())
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'portfolio_om' AND action = 'review' AND actor_name = 'dec-zz'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("audited: %d %v", n, err)
		}
	})
}

// TestPublicationAPI: the office chooses the published fields and
// publishes one project of its units in JSON, stored and audited, and the
// public feed shows it; a bad publish value is refused naming the field;
// another city's office is refused.
func TestPublicationAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		id, err := svc.Register(ctx, audit.System, []string{"/41/"}, project.NewProject{Name: "郑州市政务数据共享平台", Owner: "4101", Category: "new", Funding: "财政", Estimate: 1000000})
		if err != nil {
			t.Fatal(err)
		}
		_, zz := e.user(t, "pub-zz", auth.Office, "4101")
		_, kf := e.user(t, "pub-kf", auth.Office, "4102")
		if rec := e.do(t, zz, http.MethodPost, "/api/v1/projects/publication", js(`{"fields":["stage","nonsense"]}`)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"fields"`) {
			t.Fatalf("unknown field: %d %s", rec.Code, rec.Body.String())
		}
		rec := e.do(t, zz, http.MethodPost, "/api/v1/projects/publication", js(`{"fields":["stage","owner"]}`))
		var got struct {
			Fields []string `json:"fields"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK || strings.Join(got.Fields, ",") != "owner,stage" {
			t.Fatalf("fields: %d %s", rec.Code, rec.Body.String())
		}
		if f, err := svc.PublishedFields(ctx); err != nil || strings.Join(f, ",") != "owner,stage" {
			t.Fatalf("stored fields: %v %v", f, err)
		}
		target := "/api/v1/projects/" + strconv.FormatInt(id, 10) + "/publish"
		if rec := e.do(t, kf, http.MethodPost, target, js(`{"publish":1}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city's office: %d", rec.Code)
		}
		if rec := e.do(t, zz, http.MethodPost, target, js(`{"publish":"maybe"}`)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"publish"`) {
			t.Fatalf("bad value: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, zz, http.MethodPost, target, js(`{"publish":1}`))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"published":true`) {
			t.Fatalf("publish: %d %s", rec.Code, rec.Body.String())
		}
		if pub, err := svc.PublishedIDs(ctx, []int64{id}); err != nil || !pub[id] {
			t.Fatalf("stored: %v %v", pub, err)
		}
		if rec := e.do(t, client{}, http.MethodGet, "/api/v1/public/projects", nil); !strings.Contains(rec.Body.String(), "郑州市政务数据共享平台") {
			t.Fatalf("public feed: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, zz, http.MethodPost, target, js(`{"publish":0}`))
		if pub, _ := svc.PublishedIDs(ctx, []int64{id}); rec.Code != http.StatusOK || pub[id] {
			t.Fatalf("withdraw: %d %s", rec.Code, rec.Body.String())
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE actor_name = 'pub-zz' AND entity IN ('project', 'project_setting')`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("audited: %d %v", n, err)
		}
	})
}

// TestTieWindowAPI: the office sets the window of years in JSON, stored
// and audited; a value out of range is refused naming the field; a leader
// is refused.
func TestTieWindowAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		_, office := e.user(t, "win-office", auth.Office, "4101")
		_, leader := e.user(t, "win-leader", auth.Leader, "41")
		rec := e.do(t, office, http.MethodPost, "/api/v1/experts/window", js(`{"tie_years":5}`))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"tie_years":5`) {
			t.Fatalf("set: %d %s", rec.Code, rec.Body.String())
		}
		if n, err := svc.TieYears(ctx); err != nil || n != 5 {
			t.Fatalf("stored: %d %v", n, err)
		}
		for _, body := range []string{`{"tie_years":11}`, `{"tie_years":"three"}`} {
			if rec := e.do(t, office, http.MethodPost, "/api/v1/experts/window", js(body)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"tie_years"`) {
				t.Fatalf("%s: %d %s", body, rec.Code, rec.Body.String())
			}
		}
		if rec := e.do(t, leader, http.MethodPost, "/api/v1/experts/window", js(`{"tie_years":1}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("a leader: %d", rec.Code)
		}
		if n, _ := svc.TieYears(ctx); n != 5 {
			t.Fatalf("refused calls changed the window: %d", n)
		}
	})
}
