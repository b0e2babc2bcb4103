package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestSystemsAPI: a county adds a system to its catalogue in JSON (the
// O&M cost an exact decimal) and lists it; bad fields are refused by
// name in both languages; another city and a leader are refused; the
// county retires the system and the catalogue keeps the year; the list of
// another city does not show it.
func TestSystemsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		_, zy := e.user(t, "sys-zy", auth.Reporter, "410102")
		_, kf := e.user(t, "sys-kf", auth.Reporter, "4102")
		_, leader := e.user(t, "sys-leader", auth.Leader, "41")
		add := `{"owner":"410102","name":"中原区不动产登记系统","description":"登记与查询","data_resources":"不动产登记簿","om_cost":"35.25","mlps_level":3}`
		rec := e.do(t, zy, http.MethodPost, "/api/v1/projects/systems", js(add))
		var created struct {
			ID int64 `json:"id"`
		}
		if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &created) != nil || created.ID == 0 {
			t.Fatalf("add: %d %s", rec.Code, rec.Body.String())
		}
		for body, field := range map[string]string{
			`{"owner":"410102","name":"x","om_cost":"1.234567","mlps_level":3}`: "om_cost",
			`{"owner":"410102","name":"x","om_cost":"1","mlps_level":"三"}`:      "mlps_level",
			`{"owner":"410102","name":"x","om_cost":"1","colour":"red"}`:        "colour",
		} {
			rec := e.do(t, zy, http.MethodPost, "/api/v1/projects/systems", js(body))
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+field+`"`) {
				t.Fatalf("%s: %d %s", body, rec.Code, rec.Body.String())
			}
		}
		if rec := e.do(t, kf, http.MethodPost, "/api/v1/projects/systems", js(add)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city adds: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, leader, http.MethodPost, "/api/v1/projects/systems", js(add)); rec.Code != http.StatusForbidden {
			t.Fatalf("a leader adds: %d %s", rec.Code, rec.Body.String())
		}
		list := func(c client) (out struct {
			Systems []project.System `json:"systems"`
			Total   int              `json:"total"`
		}) {
			t.Helper()
			rec := e.do(t, c, http.MethodGet, "/api/v1/projects/systems?q=不动产", nil)
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
				t.Fatalf("list: %d %s", rec.Code, rec.Body.String())
			}
			return out
		}
		got := list(zy)
		if got.Total != 1 || len(got.Systems) != 1 || got.Systems[0].ID != created.ID || got.Systems[0].OMCost != 352500 || got.Systems[0].MLPSLevel != 3 || got.Systems[0].DataResources != "不动产登记簿" {
			t.Fatalf("list: %+v", got)
		}
		if got := list(kf); got.Total != 0 || len(got.Systems) != 0 {
			t.Fatalf("another city sees: %+v", got)
		}
		retire := "/api/v1/projects/systems/" + strconv.FormatInt(created.ID, 10) + "/retire"
		if rec := e.do(t, kf, http.MethodPost, retire, js(`{"retired_year":2030}`)); rec.Code != http.StatusForbidden {
			t.Fatalf("another city retires: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, zy, http.MethodPost, retire, js(`{"retired_year":"二〇三〇"}`)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"retired_year"`) {
			t.Fatalf("bad year: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, zy, http.MethodPost, retire, js(`{"retired_year":1900}`)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"retired_year"`) {
			t.Fatalf("year out of range: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, zy, http.MethodPost, retire, js(`{"retired_year":2030}`)); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"retired_year":2030`) {
			t.Fatalf("retire: %d %s", rec.Code, rec.Body.String())
		}
		ss, _, err := svc.Systems(ctx, project.SystemFilter{Scopes: []string{"/41/"}, Q: "不动产"})
		if err != nil || len(ss) != 1 || ss[0].RetiredYear != 2030 || ss[0].Owner != "410102" || ss[0].OMCost != 352500 {
			t.Fatalf("stored: %v %+v", err, ss)
		}
	})
}
