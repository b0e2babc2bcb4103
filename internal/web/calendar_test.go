package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/calendar"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestCalendarAddAPI(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, c := e.user(t, "cal-reader", auth.Reporter, "410102")
		rec := e.do(t, c, http.MethodGet, "/api/v1/calendar/add?from=2024-09-30&days=5", nil)
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"date":"2024-10-12"}` {
			t.Fatalf("add: %d %s", rec.Code, rec.Body)
		}
		for _, tc := range []struct{ query, zh, en string }{
			{"from=2024-9-30&days=5", "YYYY-MM-DD", "YYYY-MM-DD"},
			{"days=5", "缺少参数 from", "from"},
			{"from=2024-09-30", "缺少参数 days", "days"},
			{"from=2024-09-30&days=abc", "days", "whole number"},
			{"from=2024-09-30&days=2501", "-2500 到 2500", "-2500 to 2500"},
			{"from=1999-12-31&days=1", "超出", "outside"},
		} {
			rec := e.do(t, c, http.MethodGet, "/api/v1/calendar/add?"+tc.query, nil)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, tc.zh) || !strings.Contains(body, tc.en) {
				t.Errorf("%s: %d %s", tc.query, rec.Code, body)
			}
		}
	})
}

func TestCalendarOfficeAddsYear(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, office := e.user(t, "cal-office", auth.Office, "41")
		_, city := e.user(t, "cal-city", auth.Office, "4101")
		text := "元旦 2027-01-01..2027-01-03\n春节 2027-02-05..2027-02-11 work 2027-02-20"
		form := url.Values{"source": {"国务院办公厅关于2027年部分节假日安排的通知"}, "text": {text}}
		if rec := e.do(t, city, http.MethodPost, "/calendar/2027", form); rec.Code != http.StatusForbidden {
			t.Fatalf("a city office saved the province's calendar: %d", rec.Code)
		}
		page := e.do(t, city, http.MethodGet, "/calendar/2027", nil).Body.String()
		if strings.Contains(page, `name="text"`) {
			t.Error("a city office is offered the form")
		}
		// A bad line: the page again, with the error in both languages and the text kept.
		bad := url.Values{"source": {"x"}, "text": {"春节 2027-02-05 work 2027-02-08"}}
		rec := e.do(t, office, http.MethodPost, "/calendar/2027", bad)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "不是周六或周日") || !strings.Contains(rec.Body.String(), "2027-02-08") {
			t.Fatalf("bad year: %d %s", rec.Code, rec.Body)
		}
		page = e.do(t, office, http.MethodGet, "/calendar/2027", nil).Body.String()
		if !strings.Contains(page, `name="text"`) || !strings.Contains(page, "2027") {
			t.Fatal("the province office is not offered the form")
		}
		if rec := e.do(t, office, http.MethodPost, "/calendar/2027", form); rec.Code != http.StatusSeeOther {
			t.Fatalf("save: %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, city, http.MethodGet, "/api/v1/calendar/add?from=2027-02-04&days=1", nil)
		if strings.TrimSpace(rec.Body.String()) != `{"date":"2027-02-12"}` {
			t.Errorf("the API does not use the stored year: %s", rec.Body)
		}
		list := e.do(t, city, http.MethodGet, "/calendar", nil).Body.String()
		if !strings.Contains(list, `href="/calendar/2027"`) || !strings.Contains(list, "href=\"/calendar/2013\"") {
			t.Error("years page misses 2013 or 2027")
		}
		rec = e.do(t, city, http.MethodGet, "/calendar/2027/export", nil)
		f, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+3+7+1 || rows[1][0] != "2027-01-01" || rows[len(rows)-1][0] != "2027-02-20" || rows[len(rows)-1][3] != "调休上班" {
			t.Errorf("export rows: %v", rows)
		}
		var n int
		if err := db.R.QueryRow(`SELECT count(*) FROM audit_log WHERE entity = 'calendar_year' AND entity_id = '2027'`).Scan(&n); err != nil || n != 1 {
			t.Errorf("audit rows %d, %v", n, err)
		}
		c, err := calendar.Load(t.Context(), db)
		if err != nil {
			t.Fatal(err)
		}
		if y, ok := c.Year(2027); !ok || len(y.Days) != 11 {
			t.Errorf("stored 2027: %+v", y)
		}
	})
}

func TestCalendarAddJSONShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	_, c := e.user(t, "cal-json", auth.Leader, "41")
	rec := e.do(t, c, http.MethodGet, "/api/v1/calendar/add?from=2024-10-12&days=-5", nil)
	var v map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || v["date"] != "2024-09-30" {
		t.Fatalf("%d %s %v", rec.Code, rec.Body, err)
	}
}
