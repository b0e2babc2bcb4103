package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/monitor"
	"zhihui/internal/store/storetest"
)

// monitorFigures writes 2020 figures of every monitoring element the city
// informatization index reads, for the 18 cities, and the province's
// national rank for 2012 and 2015.
func monitorFigures(t *testing.T, e *testEnv) {
	t.Helper()
	cities, _, err := evalstore.Regions()
	if err != nil {
		t.Fatal(err)
	}
	var vals []monitor.Value
	for i, c := range cities {
		x := float64(i + 1)
		for el, v := range map[string]float64{
			"BB_URBAN_CAP": 20 + 5*x, "FTTH_URBAN_HOUSEHOLDS": 500 + 10*x, "HOUSEHOLDS_URBAN": 1000,
			"BB_URBAN_SUBS": 400 + 10*x, "BB_RURAL_SUBS": 200 + 5*x, "HOUSEHOLDS_RURAL": 1000,
			"MOBILE_4G_USERS": 50 + x, "MOBILE_USERS": 100, "PERMIT_ITEMS": 100, "PERMIT_ITEMS_ONLINE": 40 + x,
			"PUBSERV_ITEMS": 200, "PUBSERV_ITEMS_ONLINE": 50 + x,
		} {
			vals = append(vals, monitor.Value{DataElement: el, OrgUnit: c.Code, Period: "2020", Value: fmt.Sprint(v)})
		}
	}
	vals = append(vals, monitor.Value{DataElement: "INFO_DEV_INDEX_RANK", OrgUnit: "41", Period: "2012", Value: "20"},
		monitor.Value{DataElement: "INFO_DEV_INDEX_RANK", OrgUnit: "41", Period: "2015", Value: "17"})
	if err := monitor.SaveValues(context.Background(), e.db, audit.System, vals); err != nil {
		t.Fatal(err)
	}
}

func TestEvaluateMonitoringData(t *testing.T) {
	db := storetest.SQLite(t)
	e := evalEnv(t, db)
	_, prov := e.user(t, "leader-mon", auth.Leader, "41")
	_, zz := e.user(t, "leader-mon-zz", auth.Leader, "4101")
	ctx := context.Background()

	// Before monitoring has figures, the page runs on the demo dataset and
	// says the rank is not reported yet.
	rec := e.do(t, prov, http.MethodGet, "/evaluate/informatization", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || strings.Contains(body, `id="sources"`) || strings.Contains(body, `id="province-rank"`) {
		t.Fatalf("without monitoring figures: %d", rec.Code)
	}
	monitorFigures(t, e)

	// Now monitoring covers the indicators for 2020: it is the default.
	rec = e.do(t, prov, http.MethodGet, "/evaluate/informatization", nil)
	body = rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `id="sources"`) || !strings.Contains(body, "BB_URBAN_CAP") || !strings.Contains(body, `<option value="monitor" selected>`) {
		t.Fatalf("monitoring default: %d", rec.Code)
	}
	if !strings.Contains(body, `<option selected>2020</option>`) {
		t.Error("the year monitoring covers is not selected")
	}
	// The province's rank, 20 in 2012 → 17 in 2015.
	if !strings.Contains(body, `id="province-rank"`) || !strings.Contains(body, "前移 3 位") {
		t.Error("province rank from monitoring is not shown against the goal")
	}
	// The stored dataset stays a choice.
	info, _ := evalstore.DatasetByName(ctx, db, evalstore.DemoInformatization)
	rec = e.do(t, prov, http.MethodGet, fmt.Sprintf("/evaluate/informatization?src=%d", info.ID), nil)
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `id="sources"`) {
		t.Fatalf("dataset choice: %d", rec.Code)
	}
	// 郑州 sees its own city only; 开封 stays out of reach.
	rec = e.do(t, zz, http.MethodGet, "/evaluate/informatization", nil)
	body = rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "郑州市") || strings.Contains(body, "开封市") || !strings.Contains(body, `id="sources"`) {
		t.Fatalf("scoped monitoring page: %d", rec.Code)
	}
	if rec = e.do(t, zz, http.MethodGet, "/evaluate/informatization?unit=4102", nil); rec.Code != http.StatusForbidden {
		t.Fatalf("other city: %d", rec.Code)
	}

	// API: monitoring merged with the demo dataset; the answer says where
	// each indicator came from.
	rec = e.postJSON(t, prov, "/api/v1/index/run", map[string]any{"framework": "city-informatization", "source": "monitor", "dataset": info.ID, "year": 2020})
	if rec.Code != http.StatusOK {
		t.Fatalf("api monitor run: %d %s", rec.Code, rec.Body.String())
	}
	var out struct {
		Sources map[string]string `json:"sources"`
		Names   map[string]string `json:"names"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	// The demo dataset also has bb_urban_cap for other years: both.
	if out.Sources["bb_urban_cap"] != evalstore.FromBoth || out.Sources["adult_literacy"] != evalstore.FromDataset || len(out.Names) != 18 {
		t.Fatalf("sources %v, %d units", out.Sources, len(out.Names))
	}
	rec = e.postJSON(t, zz, "/api/v1/index/run", map[string]any{"framework": "city-informatization", "source": "monitor", "dataset": info.ID})
	out.Names = nil
	if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != http.StatusOK || err != nil || len(out.Names) != 1 || out.Names["4101"] == "" {
		t.Fatalf("scoped api run: %d %v", rec.Code, out.Names)
	}
	// Without a dataset, a framework monitoring does not fully cover is
	// refused with the indicators named.
	rec = e.postJSON(t, prov, "/api/v1/index/run", map[string]any{"framework": "city-informatization", "source": "monitor"})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "adult_literacy") {
		t.Fatalf("monitor-only run of a mixed framework: %d %s", rec.Code, rec.Body.String())
	}
	// A framework read wholly from monitoring runs on it by default.
	yaml := `id: mon-only
name: {zh: 宽带, en: Broadband}
normalisation: {method: goalpost}
treatment: {missing: exclude, outliers: none}
nodes:
  - {id: r, name: {zh: 根, en: Root}, weighting: equal}
indicators:
  - {id: cap, parent: r, source: "monitor:BB_URBAN_CAP", name: {zh: 能力, en: Capability}, normalisation: {method: goalpost, min: 0, max: 200}}
`
	rec = e.postJSON(t, prov, "/api/v1/index/run", map[string]any{"framework_yaml": yaml})
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"cap":"monitor"`) {
		t.Fatalf("default monitoring run: %d %s", rec.Code, rec.Body.String())
	}

	// Built-in frameworks cannot be deleted.
	_, office := e.user(t, "office-del", auth.Office, "41")
	rec = e.do(t, office, http.MethodPost, "/evaluate/frameworks/city-informatization/delete", nil)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("deleting a built-in framework: %d", rec.Code)
	}
	if _, err := evalstore.Framework(ctx, db, "city-informatization"); err != nil {
		t.Fatal(err)
	}
}
