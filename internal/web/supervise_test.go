package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/plan"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestSuperviseFlow issues an item from a plan task as the provincial
// office, reports on it and asks for an extension as the county, approves
// and closes it, and reads the lists, exports and the API on the way.
func TestSuperviseFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, office := e.user(t, "sv-office", auth.Office, "41")
		_, county := e.user(t, "sv-county", auth.Reporter, "410102")
		_, other := e.user(t, "sv-other", auth.Reporter, "410202")
		task := plan.Default().Tasks(plan.TaskFilter{})[0].ID
		for _, p := range []string{"/supervise", "/supervise/new", "/supervise/overdue", "/supervise/assessment", "/supervise/assessment?group=county"} {
			if rec := e.do(t, office, http.MethodGet, p, nil); rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", p, rec.Code, rec.Body.String())
			}
		}
		// A bad form comes back with its bilingual error.
		rec := e.do(t, office, http.MethodPost, "/supervise/items", url.Values{"year": {"2099"}, "task": {task}, "units": {"410102"}, "due": {"2099-12-31"}, "milestones": {"bad line"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "节点第 1 行") {
			t.Fatalf("bad milestones: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodPost, "/supervise/items", url.Values{"year": {"2099"}, "task": {task}, "fanout": {"units"}, "units": {"410102"},
			"start": {"2099-01-05"}, "due": {"2099-12-31"}, "milestones": {"2099-06-30 50 完成方案"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("issue: %d %s", rec.Code, rec.Body.String())
		}
		itemURL := strings.SplitN(rec.Header().Get("Location"), "?", 2)[0]
		if rec := e.do(t, other, http.MethodGet, itemURL, nil); rec.Code != http.StatusForbidden {
			t.Fatalf("other county reads the item: %d", rec.Code)
		}
		if rec := e.do(t, county, http.MethodGet, itemURL, nil); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "完成方案") {
			t.Fatalf("county reads the item: %d", rec.Code)
		}
		steps := []struct {
			c    client
			path string
			form url.Values
		}{
			{county, "/progress", url.Values{"text": {"方案起草中"}, "percent": {"20"}}},
			{county, "/extension", url.Values{"due": {"2100-01-29"}, "reason": {"等待平台上线"}}},
			{office, "/decision", url.Values{"decision": {"approve"}}},
			{office, "/close", url.Values{"note": {"通过"}}},
		}
		for _, s := range steps {
			if rec := e.do(t, s.c, http.MethodPost, itemURL+s.path, s.form); rec.Code != http.StatusSeeOther {
				t.Fatalf("%s: %d %s", s.path, rec.Code, rec.Body.String())
			}
		}
		// Closed is final: a report gets a clear error.
		rec = e.do(t, county, http.MethodPost, itemURL+"/progress", url.Values{"text": {"x"}, "percent": {"100"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "已办结") {
			t.Fatalf("report on a closed item: %d", rec.Code)
		}
		rec = e.do(t, county, http.MethodGet, "/api/v1/supervision/items?status=closed", nil)
		var got struct {
			Items []struct {
				ID          int64
				Due         string `json:"due"`
				OriginalDue string `json:"original_due"`
				Status      string `json:"status"`
			} `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got.Items) != 1 || got.Items[0].Due != "2100-01-29" || got.Items[0].OriginalDue != "2099-12-31" || got.Items[0].Status != "closed" {
			t.Fatalf("API list: %s", rec.Body.String())
		}
		for _, p := range []string{"/supervise/export", "/supervise/overdue/export", "/supervise/assessment/export?year=2099&group=county"} {
			rec := e.do(t, office, http.MethodGet, p, nil)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
				t.Fatalf("%s: %d %s", p, rec.Code, rec.Header().Get("Content-Type"))
			}
		}
		rec = e.do(t, county, http.MethodGet, "/api/v1/assessment/2099?group=county", nil)
		var a struct {
			Rows []struct {
				Unit  string   `json:"unit"`
				Score *float64 `json:"score"`
				Rank  int      `json:"rank"`
			} `json:"rows"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || len(a.Rows) != 1 || a.Rows[0].Unit != "410102" {
			t.Fatalf("assessment API: %d %s", rec.Code, rec.Body.String())
		}
		// API issue in JSON, then progress in JSON.
		rec = e.do(t, office, http.MethodPost, "/api/v1/supervision/items", url.Values{jsonBody: {`{"year":2099,"task":"` + task + `","fanout":"cities","due_days":30,"start":"2099-01-05"}`}})
		var ids struct{ IDs []int64 }
		if err := json.Unmarshal(rec.Body.Bytes(), &ids); rec.Code != http.StatusCreated || err != nil || len(ids.IDs) != 18 {
			t.Fatalf("API issue: %d %s", rec.Code, rec.Body.String())
		}
	})
}
