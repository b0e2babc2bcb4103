package web

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestDataValueSetsRefuseWhatAggregatesCannotHold replays the reported
// failures through the API: "1e308" for an integer element made the
// anonymous analytics answer empty, the dashboard fail with +Inf and a
// correcting request fail on a NULL sum; and 1e20 then 3 left the city
// total at 0. The values are refused naming them, and the totals stay the
// sums of what is stored.
func TestDataValueSetsRefuseWhatAggregatesCannotHold(t *testing.T) {
	e := newMonitorEnv(t)
	post := func(vals ...[3]string) (int, string) {
		var dv []map[string]string
		for _, v := range vals {
			dv = append(dv, map[string]string{"dataElement": "ADMIN_VILLAGES", "orgUnit": v[0], "period": v[1], "value": v[2]})
		}
		b, _ := json.Marshal(map[string]any{"dataValues": dv})
		return e.do("office", "POST", "/api/v1/dataValueSets", "application/json", bytes.NewReader(b))
	}
	total := func(who, pe, ou string) float64 {
		t.Helper()
		status, body := e.do(who, "GET", "/api/v1/analytics?dx=ADMIN_VILLAGES&pe="+pe+"&ou="+ou, "", nil)
		if status != 200 {
			t.Fatalf("analytics %s %s as %q: %d %s", pe, ou, who, status, body)
		}
		var res struct {
			Rows []struct {
				OU    string  `json:"ou"`
				Value float64 `json:"value"`
			} `json:"rows"`
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatalf("analytics answer is not JSON: %v\n%.300s", err, body)
		}
		for _, r := range res.Rows {
			if r.OU == ou {
				return r.Value
			}
		}
		return 0
	}
	for _, huge := range []string{"1e308", "1e20"} {
		status, body := post([3]string{"410202", "2024", huge}, [3]string{"410203", "2024", huge})
		if status != 409 || !strings.Contains(body, huge) || !strings.Contains(body, "too large") || !strings.Contains(body, "超出") {
			t.Errorf("%s for an integer element: %d %.300s", huge, status, body)
		}
	}
	if status, body := post([3]string{"410202", "2024", "5"}, [3]string{"410203", "2024", "5"}); status != 200 {
		t.Fatalf("correcting write: %d %.300s", status, body)
	}
	if got := total("", "2024", "4102"); got != 10 {
		t.Errorf("anonymous 4102 total %v, want 10", got)
	}
	if got := total("", "2024", "41"); got != 10 {
		t.Errorf("anonymous 41 total %v, want 10", got)
	}
	if status, body := post([3]string{"410204", "2023", "3"}); status != 200 {
		t.Fatalf("write 3: %d %.300s", status, body)
	}
	if got := total("leader", "2023", "4102"); got != 3 {
		t.Errorf("4102 total %v after 1e20 was refused and 3 written, want 3", got)
	}
	// the largest integer an element holds, beside small ones, then corrected
	if status, body := post([3]string{"410205", "2023", "9007199254740991"}); status != 200 {
		t.Fatalf("write 2^53-1: %d %.300s", status, body)
	}
	if status, body := post([3]string{"410205", "2023", "4"}); status != 200 {
		t.Fatalf("correct 2^53-1: %d %.300s", status, body)
	}
	if got := total("leader", "2023", "4102"); got != 7 {
		t.Errorf("4102 total %v after correcting the largest value, want 7", got)
	}
	// the dashboard's JSON carries the figures
	status, body := e.do("leader", "GET", "/dashboard?ou=4102&dx=ADMIN_VILLAGES&year=2024", "", nil)
	if status != 200 {
		t.Errorf("dashboard: %d %.300s", status, body)
	}
}
