package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestEcstatFormAndWarningsAPI: through the API alone the office creates a
// survey with its own edits, reads them back described, replaces them
// (a range and a change that warn, a ratio that refuses), a bad edit being
// refused with its number; a county reporter's return is refused with
// code edit_warning on the item until it gives a reason, a ratio error is
// refused whatever the reason, the reason is stored with the return and
// the answered form can no longer change; the next year's survey, created
// with a change edit, warns of a tenfold change against last year.
func TestEcstatFormAndWarningsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := t.Context()
		_, office := e.user(t, "fmoffice", auth.Office, "41")
		_, county := e.user(t, "fmcounty", auth.Reporter, "410102")
		_, leader := e.user(t, "fmleader", auth.Leader, "41")
		csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
		var codes []string
		for i := 0; i < 3; i++ {
			body := fmt.Sprintf("91410102%09d", 700+i)
			c, _ := dom.CreditCheck(body)
			codes = append(codes, body+string(c))
			csv += fmt.Sprintf("%s,审核企业%d,F5292,410102,小型,是,10,100000\n", codes[i], i)
		}
		res, err := dom.ImportRegister(ctx, db, audit.Actor{Name: "test"}, "r.csv", strings.NewReader(csv), dom.ImportOptions{Year: 2015, Scopes: []string{"/41/"}})
		if err != nil || !res.OK() {
			t.Fatalf("register: %v %+v", err, res)
		}
		items := `[{"code":"ECOM_SALES","name":"电子商务销售额","unit":"万元"},{"code":"ECOM_PURCHASES","name":"电子商务采购额","unit":"万元"}]`
		create := func(name, period, edits string) string {
			t.Helper()
			rec := e.do(t, office, http.MethodPost, "/api/v1/surveys", url.Values{jsonBody: {`{"name":"` + name + `","period":"` + period + `","items":` + items + `,"edits":` + edits + `}`}})
			var created struct{ ID int64 }
			if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &created) != nil {
				t.Fatalf("create %s: %d %s", name, rec.Code, rec.Body)
			}
			return fmt.Sprint(created.ID)
		}
		sid := create("2015年审核规则调查", "2015", `[]`)
		type form struct {
			Items     []dom.Item
			Edits     []dom.Edit
			Locked    bool
			Described []i18n.Text
		}
		getForm := func() form {
			t.Helper()
			rec := e.do(t, leader, http.MethodGet, "/api/v1/surveys/"+sid+"/form", nil)
			var f form
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &f) != nil {
				t.Fatalf("form: %d %s", rec.Code, rec.Body)
			}
			return f
		}
		if f := getForm(); len(f.Items) != 2 || len(f.Edits) != 0 || f.Locked {
			t.Fatalf("created with no edits: %+v", f)
		}
		// A bad edit is refused with its number; nothing changes.
		rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/form", url.Values{jsonBody: {`{"edits":[{"kind":"range","left":"ECOM_SALES","max":100},{"kind":"range","left":"NOPE","max":1}]}`}})
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), "edit 2") || !strings.Contains(rec.Body.String(), `"field":"edits"`) {
			t.Fatalf("bad edit: %d %s", rec.Code, rec.Body)
		}
		_, cityOffice := e.user(t, "fmcity", auth.Office, "4101")
		if rec := e.do(t, cityOffice, http.MethodPost, "/api/v1/surveys/"+sid+"/form", url.Values{jsonBody: {`{"edits":[]}`}}); rec.Code != 403 {
			t.Fatalf("a city office changed the form: %d", rec.Code)
		}
		edits := `{"edits":[{"kind":"range","left":"ECOM_SALES","min":0,"max":100,"severity":"warning"},` +
			`{"kind":"ratio","left":"ECOM_PURCHASES","right":"ECOM_SALES","max":2},` +
			`{"kind":"change","left":"ECOM_SALES","factor":5,"severity":"warning"}]}`
		rec = e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/form", url.Values{jsonBody: {edits}})
		if rec.Code != 200 {
			t.Fatalf("save form: %d %s", rec.Code, rec.Body)
		}
		f := getForm()
		if len(f.Edits) != 3 || f.Edits[0].Kind != dom.EditRange || f.Edits[1].Right != "ECOM_PURCHASES" && f.Edits[1].Right != "ECOM_SALES" || !f.Edits[2].Warning() ||
			len(f.Described) != 3 || !strings.Contains(f.Described[0].Zh, "0 至 100") || !strings.Contains(f.Described[1].En, "the ratio of") {
			t.Fatalf("form after saving: %+v", f)
		}
		s, err := dom.GetSurvey(ctx, db, mustID(t, sid))
		if err != nil || len(s.Edits) != 3 || s.Edits[1].Max == nil || *s.Edits[1].Max != 2 {
			t.Fatalf("stored edits: %+v %v", s, err)
		}
		if rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/sample", url.Values{jsonBody: {`{"seed":1,"n":100}`}}); rec.Code != 200 {
			t.Fatalf("draw: %d %s", rec.Code, rec.Body)
		}
		answer := func(who client, survey, code, sales, buy, reason string) (int, string) {
			t.Helper()
			lines := []map[string]string{{"credit_code": code, "item": "ECOM_SALES", "value": sales, "reason": reason}, {"credit_code": code, "item": "ECOM_PURCHASES", "value": buy}}
			b, _ := json.Marshal(lines)
			rec := e.do(t, who, http.MethodPost, "/api/v1/surveys/"+survey+"/responses", url.Values{jsonBody: {string(b)}})
			return rec.Code, rec.Body.String()
		}
		// 500 万元 is outside 0–100: a warning without a reason.
		if code, body := answer(county, sid, codes[0], "500", "10", ""); code != 400 || !strings.Contains(body, `"code":"edit_warning"`) ||
			!strings.Contains(body, `"field":"ECOM_SALES"`) || !strings.Contains(body, `"place":"`+codes[0]+`"`) || strings.Contains(body, "edit_error") {
			t.Fatalf("warning without a reason: %d %s", code, body)
		}
		// Purchases three times sales: refused whatever the reason.
		if code, body := answer(county, sid, codes[0], "50", "150", "核实无误"); code != 400 || !strings.Contains(body, `"code":"edit_error"`) || !strings.Contains(body, `"field":"ECOM_PURCHASES"`) {
			t.Fatalf("ratio error: %d %s", code, body)
		}
		if n, _ := dom.Answered(ctx, db, s.ID); n != 0 {
			t.Fatalf("a refused return was stored: %d", n)
		}
		code, body := answer(county, sid, codes[0], "500", "10", "本年新开网店，销售额核实无误")
		if code != 200 || !strings.Contains(body, `"saved":1`) || !strings.Contains(body, `"confirmed":1`) {
			t.Fatalf("with a reason: %d %s", code, body)
		}
		ent := enterpriseOf(t, db, codes[0])
		cs, err := dom.Confirmations(ctx, db, s.ID, ent.ID)
		if err != nil || len(cs) != 1 || cs[0].No != 0 || cs[0].Item != "ECOM_SALES" || cs[0].Reason != "本年新开网店，销售额核实无误" {
			t.Fatalf("confirmations: %+v %v", cs, err)
		}
		// The form page shows the reason too.
		if rec := e.do(t, office, http.MethodGet, fmt.Sprintf("/ecstat/surveys/%s/forms/%d", sid, ent.ID), nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "本年新开网店") {
			t.Fatalf("form page: %d", rec.Code)
		}
		// Answered: the form is locked.
		if f := getForm(); !f.Locked {
			t.Fatal("an answered form is not locked")
		}
		if rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/form", url.Values{jsonBody: {`{"edits":[]}`}}); rec.Code != 400 {
			t.Fatalf("changed an answered form: %d %s", rec.Code, rec.Body)
		}
		// 2016, created with a change edit: ten times last year warns.
		sid2 := create("2016年审核规则调查", "2016", `[{"kind":"change","left":"ECOM_SALES","factor":5,"severity":"warning"}]`)
		if rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid2+"/sample", url.Values{jsonBody: {`{"seed":2,"n":100}`}}); rec.Code != 200 {
			t.Fatalf("draw 2016: %d %s", rec.Code, rec.Body)
		}
		if code, body := answer(county, sid2, codes[0], "5000", "10", ""); code != 400 || !strings.Contains(body, `"code":"edit_warning"`) || !strings.Contains(body, "2015") {
			t.Fatalf("change warning: %d %s", code, body)
		}
		if code, body := answer(county, sid2, codes[0], "5000", "10", "并购后销售额大增"); code != 200 || !strings.Contains(body, `"confirmed":1`) {
			t.Fatalf("change confirmed: %d %s", code, body)
		}
		// A firm outside the county is still refused.
		_, other := e.user(t, "fmother", auth.Reporter, "410105")
		if code, _ := answer(other, sid2, codes[1], "1", "1", ""); code != 403 {
			t.Fatalf("answering outside the county: %d", code)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func enterpriseOf(t *testing.T, db *store.DB, code string) dom.Enterprise {
	t.Helper()
	list, _, err := dom.Enterprises(t.Context(), db, dom.Filter{Scopes: []string{"/41/"}, Query: code})
	if err != nil || len(list) != 1 {
		t.Fatalf("enterprise %s: %v %v", code, list, err)
	}
	return list[0]
}

// TestEcstatInfoCompositionAPI: readers read the composition of
// information consumption and its estimate year by year; the office of
// the province replaces it through the API (a city office may not, a bad
// part is refused with its number) and the estimate follows it.
func TestEcstatInfoCompositionAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, office := e.user(t, "icoffice", auth.Office, "41")
		_, city := e.user(t, "iccity", auth.Office, "4101")
		_, leader := e.user(t, "icleader", auth.Leader, "41")
		type comp struct {
			Parts []dom.InfoPart
		}
		get := func() comp {
			t.Helper()
			rec := e.do(t, leader, http.MethodGet, "/api/v1/infoconsumption/composition", nil)
			var c comp
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &c) != nil {
				t.Fatalf("composition: %d %s", rec.Code, rec.Body)
			}
			return c
		}
		if c := get(); len(c.Parts) != 3 || c.Parts[2].Code != dom.TelecomSeries || c.Parts[0].Source.Zh == "" {
			t.Fatalf("default: %+v", c)
		}
		body := `{"parts":[{"kind":"survey","code":"INFO_GOODS","category":"goods"},{"kind":"survey","code":"INFO_SERVICES","category":"services","name":{"zh":"企业信息服务","en":"Enterprise information services"}}]}`
		if rec := e.do(t, city, http.MethodPost, "/api/v1/infoconsumption/composition", url.Values{jsonBody: {body}}); rec.Code != 403 {
			t.Fatalf("a city office changed the composition: %d", rec.Code)
		}
		bad := `{"parts":[{"kind":"survey","code":"INFO_GOODS","category":"goods"},{"kind":"published","code":"NO_SUCH_SERIES","category":"services"}]}`
		if rec := e.do(t, office, http.MethodPost, "/api/v1/infoconsumption/composition", url.Values{jsonBody: {bad}}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "component 2") {
			t.Fatalf("bad composition: %d %s", rec.Code, rec.Body)
		}
		if rec := e.do(t, office, http.MethodPost, "/api/v1/infoconsumption/composition", url.Values{jsonBody: {body}}); rec.Code != 200 || !strings.Contains(rec.Body.String(), "企业信息服务") {
			t.Fatalf("save: %d %s", rec.Code, rec.Body)
		}
		if c := get(); len(c.Parts) != 2 || c.Parts[1].Name.En != "Enterprise information services" || c.Parts[1].Category != dom.InfoServicesCategory {
			t.Fatalf("after saving: %+v", c)
		}
		rec := e.do(t, leader, http.MethodGet, "/api/v1/infoconsumption?from=2015&to=2016", nil)
		var ic struct {
			Composition []dom.InfoPart
			Years       []struct {
				Year  int
				Parts []struct{ Code string }
			}
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &ic) != nil || len(ic.Composition) != 2 || len(ic.Years) != 2 || ic.Years[0].Year != 2015 || len(ic.Years[0].Parts) != 2 {
			t.Fatalf("estimate: %d %s", rec.Code, rec.Body)
		}
		if rec := e.do(t, leader, http.MethodGet, "/ecstat/infoconsumption", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "企业信息服务") || strings.Contains(rec.Body.String(), "TELECOM_BUSINESS_VOLUME") {
			t.Fatalf("page: %d", rec.Code)
		}
	})
}
