package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// reportingCases are the matrix rows of the core's dashboard and public
// page (the reporting module brings its own).
func reportingCases() []authzCase {
	return []authzCase{
		{"GET /dashboard", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/dashboard?ou=" + cityOf(inside), nil
		}, loggedIn(ok, redirect)},
		{"GET /dashboard/export", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/dashboard/export?what=regions&ou=" + cityOf(inside), nil
		}, loggedIn(ok, redirect)},
		{"GET /public", get("/public"), always(ok)},
		{"GET /demo/status", get("/demo/status"), always(ok)},
	}
}

func cityOf(inside bool) string {
	if inside {
		return "4101"
	}
	return "4102"
}

func init() {
	prev := authzCases
	authzCases = func() []authzCase { return append(prev(), reportingCases()...) }
}

// TestReportingWorkflowOverHTTP walks a report through the pages: a
// reporter at 410102 saves and submits, cannot touch 410103; an approver
// at 4101 approves, one at 4102 cannot; the locked data refuses changes.
func TestReportingWorkflowOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		rep, rc := e.user(t, "rep", auth.Reporter, "410102")
		_, ac := e.user(t, "appr", auth.Approver, "4101")
		_, other := e.user(t, "appr2", auth.Approver, "4102")
		form := "/reporting/form?ds=COUNTY_ANNUAL&ou=410102&pe=2019"

		// Open, inline check, save.
		if rec := e.do(t, rc, "GET", form, nil); rec.Code != ok || !strings.Contains(rec.Body.String(), "v_ADMIN_VILLAGES") {
			t.Fatalf("open form: %d", rec.Code)
		}
		rec := e.do(t, rc, "POST", "/reporting/form/check?ds=COUNTY_ANNUAL&el=ADMIN_VILLAGES", url.Values{"v_ADMIN_VILLAGES": {"1.5"}})
		if rec.Code != ok || !strings.Contains(rec.Body.String(), "form-error") {
			t.Fatalf("inline check of 1.5 for an integer: %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, rc, "POST", form, url.Values{"v_ADMIN_VILLAGES": {"abc"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "不是数字") {
			t.Fatalf("bad save: %d", rec.Code)
		}
		if rec = e.do(t, rc, "POST", form, url.Values{"v_ADMIN_VILLAGES": {"40"}, "v_ADMIN_VILLAGES_BB": {"38"}}); rec.Code != redirect {
			t.Fatalf("save: %d %s", rec.Code, rec.Body)
		}
		// Outside the reporter's subtree: neither open nor submit.
		if rec = e.do(t, rc, "GET", "/reporting/form?ds=COUNTY_ANNUAL&ou=410103&pe=2019", nil); rec.Code != forbid {
			t.Fatalf("open 410103 as reporter at 410102: %d", rec.Code)
		}
		if rec = e.do(t, rc, "POST", "/reporting/form/submit?ds=COUNTY_ANNUAL&ou=410103&pe=2019", url.Values{}); rec.Code != forbid {
			t.Fatalf("submit 410103 as reporter at 410102: %d", rec.Code)
		}
		if rec = e.do(t, rc, "POST", "/reporting/form/submit?ds=COUNTY_ANNUAL&ou=410102&pe=2019", url.Values{}); rec.Code != redirect {
			t.Fatalf("submit: %d %s", rec.Code, rec.Body)
		}
		// The approver at 4101 sees it pending; the one at 4102 may not decide.
		if rec = e.do(t, ac, "GET", "/reporting", nil); !strings.Contains(rec.Body.String(), "中原区") {
			t.Fatal("pending list lacks the submitted report")
		}
		decide := "/reporting/form/decide?ds=COUNTY_ANNUAL&ou=410102&pe=2019"
		if rec = e.do(t, other, "POST", decide, url.Values{"action": {"approve"}}); rec.Code != forbid {
			t.Fatalf("approve 4101's data as approver at 4102: %d", rec.Code)
		}
		if rec = e.do(t, rc, "POST", decide, url.Values{"action": {"approve"}}); rec.Code != forbid {
			t.Fatalf("reporter approving: %d", rec.Code)
		}
		if rec = e.do(t, ac, "POST", decide, url.Values{"action": {"approve"}}); rec.Code != redirect {
			t.Fatalf("approve: %d %s", rec.Code, rec.Body)
		}
		// Locked: the form and the data core refuse changes.
		rec = e.do(t, rc, "POST", form, url.Values{"v_ADMIN_VILLAGES": {"41"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "锁定") {
			t.Fatalf("save to approved form: %d", rec.Code)
		}
		err := monitor.SaveValues(ctx, db, principalOf(rep).Actor(""), []monitor.Value{{DataElement: "ADMIN_VILLAGES", OrgUnit: "410102", Period: "2019", Value: "41"}})
		if err == nil || !strings.Contains(err.Error(), "locked") {
			t.Fatalf("data core write to approved data: %v", err)
		}
		u, _ := orgunit.Get(ctx, db, "410102")
		if a, _ := reporting.GetApproval(ctx, db, "COUNTY_ANNUAL", u, "2019"); a.State != reporting.Approved {
			t.Fatalf("state = %s", a.State)
		}
	})
}

func principalOf(u *auth.User) *auth.Principal { return &auth.Principal{User: u} }

func TestDashboardAndPublic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		if err := reporting.GenerateDemo(ctx, db, nil, reporting.DemoOptions{Within: "/41/4101/", Months: 1}); err != nil {
			t.Fatal(err)
		}
		_, lc := e.user(t, "lead", auth.Leader, "41")
		rec := e.do(t, lc, "GET", "/dashboard", nil)
		body := rec.Body.String()
		if rec.Code != ok || !strings.Contains(body, "data-map") || !strings.Contains(body, "badge-") || !strings.Contains(body, "城市家庭宽带接入能力") {
			t.Fatalf("dashboard: %d", rec.Code)
		}
		// Drill down to a city: the county map filtered to it.
		rec = e.do(t, lc, "GET", "/dashboard?ou=4101&dx=BB_URBAN_CAP&year=2020", nil)
		if rec.Code != ok || !strings.Contains(rec.Body.String(), `henan-counties`) || !strings.Contains(rec.Body.String(), "中原区") {
			t.Fatalf("city dashboard: %d", rec.Code)
		}
		rec = e.do(t, lc, "GET", "/dashboard/export?what=progress&ou=41", nil)
		if rec.Code != ok || !strings.Contains(rec.Body.String(), "BB_URBAN_CAP") {
			t.Fatalf("progress export: %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, lc, "GET", "/dashboard/export?what=regions&ou=4101&dx=BB_URBAN_CAP&year=2020&format=xlsx", nil)
		if rec.Code != ok || !strings.HasPrefix(rec.Body.String(), "PK") {
			t.Fatalf("xlsx export: %d", rec.Code)
		}
		// The public page shows published indicators only.
		rec = e.do(t, client{}, "GET", "/public", nil)
		if rec.Code != ok || !strings.Contains(rec.Body.String(), "城市家庭宽带接入能力") {
			t.Fatalf("public: %d", rec.Code)
		}
		rec = e.do(t, client{}, "GET", "/public?dx=BB_ACCESS_USERS", nil)
		if el, _ := monitor.GetElement(ctx, db, "BB_ACCESS_USERS"); el.Published || strings.Contains(rec.Body.String(), `value="BB_ACCESS_USERS"`) {
			t.Fatal("an unpublished element was selectable on the public page")
		}
		rec = e.do(t, client{}, "GET", "/api/v1/public/progress", nil)
		if rec.Code != ok {
			t.Fatalf("public API: %d", rec.Code)
		}
		var got struct {
			Progress []reporting.TargetProgress `json:"progress"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Progress) == 0 {
			t.Fatalf("public API body: %v", err)
		}
		for _, tp := range got.Progress {
			if !tp.Published {
				t.Errorf("public API shows unpublished %s", tp.Target.Indicator)
			}
		}
	})
}

func testLogOut() io.Writer {
	if os.Getenv("ZHIHUI_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
