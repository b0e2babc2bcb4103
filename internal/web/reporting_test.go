package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var quarterSeq atomic.Int64

// freshQuarter is a quarter no other request used, so that workflow
// requests in the matrix do not see each other's state.
func freshQuarter() string {
	n := int(quarterSeq.Add(1))
	return period.Period{Type: period.Quarter, Year: 1950 + n/4, N: n%4 + 1}.ID()
}

func county(inside bool) string {
	if inside {
		return "410102"
	}
	return "410202"
}

func city(inside bool) string {
	if inside {
		return "4101"
	}
	return "4102"
}

// scopedTo: callers holding one of rs, and only inside their subtree.
func scopedTo(rs []auth.Role, ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !slices.Contains(rs, r):
			return forbid
		case !inside:
			return forbid
		}
		return ok
	}
}

// roleOnly: callers holding one of rs, wherever the object is.
func roleOnly(rs []auth.Role, ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		switch {
		case r == "":
			return anon
		case !slices.Contains(rs, r):
			return forbid
		}
		return ok
	}
}

func formPost(path, ds string, extra url.Values) func(*authzFixture, bool) (string, string, url.Values) {
	return func(_ *authzFixture, inside bool) (string, string, url.Values) {
		q := url.Values{"ds": {ds}, "ou": {county(inside)}, "pe": {freshQuarter()}}
		return http.MethodPost, path + "?" + q.Encode(), extra
	}
}

func reportingCases() []authzCase {
	bad := http.StatusBadRequest
	return []authzCase{
		{"GET /dashboard", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/dashboard?ou=" + city(inside), nil
		}, loggedIn(ok, redirect)},
		{"GET /dashboard/export", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/dashboard/export?what=regions&ou=" + city(inside), nil
		}, loggedIn(ok, redirect)},
		{"GET /public", get("/public"), always(ok)},
		{"GET /demo/status", get("/demo/status"), always(ok)},
		{"GET /reporting", get("/reporting"), roleOnly(reportViewers, ok, redirect)},
		{"GET /reporting/form", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/reporting/form?ds=COUNTY_ANNUAL&pe=2019&ou=" + county(inside), nil
		}, scopedTo(reportViewers, ok, redirect)},
		{"POST /reporting/form", formPost("/reporting/form", "COUNTY_QUARTERLY", url.Values{"v_COUNTY_IT_INVEST": {"12.5"}}), scopedTo(reportWriters, redirect, unauth)},
		{"POST /reporting/form/check", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/form/check?ds=COUNTY_ANNUAL&el=ADMIN_VILLAGES", url.Values{"v_ADMIN_VILLAGES": {"12"}}
		}, roleOnly(reportWriters, ok, unauth)},
		{"POST /reporting/form/submit", formPost("/reporting/form/submit", "COUNTY_QUARTERLY", url.Values{}), scopedTo(reportWriters, redirect, unauth)},
		// Nothing was submitted for a fresh quarter: an authorised
		// decision is a 400, an unauthorised one a 403.
		{"POST /reporting/form/decide", formPost("/reporting/form/decide", "COUNTY_QUARTERLY", url.Values{"action": {"approve"}}), scopedTo(reportDeciders, bad, unauth)},
		{"POST /reporting/form/reopen", formPost("/reporting/form/reopen", "COUNTY_QUARTERLY", url.Values{"comment": {"口径调整"}}), scopedTo(reportOpeners, bad, unauth)},
		{"GET /reporting/queue", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/reporting/queue?state=all&ou=" + county(inside), nil
		}, scopedTo(reportDeciders, ok, redirect)},
		{"GET /reporting/queue.xlsx", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/reporting/queue.xlsx?ou=" + county(inside), nil
		}, scopedTo(reportDeciders, ok, redirect)},
		// Nothing was submitted for a fresh quarter: a 400 inside, 403 outside.
		{"POST /reporting/queue/approve", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/queue/approve", url.Values{"item": {"COUNTY_QUARTERLY|" + county(inside) + "|" + freshQuarter()}, "comment": {"同意"}}
		}, scopedTo(reportDeciders, bad, unauth)},
		{"GET /reporting/validation", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/reporting/validation?ou=" + city(inside), nil
		}, scopedTo(reportViewers, ok, redirect)},
		{"POST /reporting/validation", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/validation", url.Values{"ou": {city(inside)}, "ds": {"COUNTY_ANNUAL"}, "from": {"2019"}, "to": {"2019"}}
		}, scopedTo(reportViewers, ok, unauth)},
		{"GET /reporting/outliers", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/reporting/outliers?el=ADMIN_VILLAGES&ou=" + city(inside), nil
		}, scopedTo(reportViewers, ok, redirect)},
		{"GET /reporting/completeness", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/reporting/completeness?ds=COUNTY_ANNUAL&pe=2019&ou=" + city(inside), nil
		}, scopedTo(reportViewers, ok, redirect)},
		{"POST /reporting/remind", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/reporting/remind", url.Values{"ou": {city(inside)}, "ds": {"COUNTY_ANNUAL"}, "pe": {"2019"}}
		}, scopedTo(reportOpeners, redirect, unauth)},
		{"GET /api/v1/progress", get("/api/v1/progress?ou=4101"), loggedIn(ok, unauth)},
		{"GET /api/v1/public/progress", get("/api/v1/public/progress"), always(ok)},
	}
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
