package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestEcstatRegisterSummaryCheckAndRepair: the office of the province
// checks the register summary against a recomputation through the API
// and on the register's page (a city office may not); a summary changed
// behind the register's back is listed row by row, exported as XLSX, and
// rewritten from the register through the page's button or the API,
// audited; after it the check finds none.
func TestEcstatRegisterSummaryCheckAndRepair(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := t.Context()
		_, office := e.user(t, "sumoffice", auth.Office, "41")
		_, city := e.user(t, "sumcity", auth.Office, "4101")
		ecstatRegister(t, db, map[string]int{"410102": 4, "410202": 1})
		type check struct {
			Matches     bool
			Differences []dom.SummaryDiff
			Repaired    int
		}
		call := func(method string) check {
			t.Helper()
			var form url.Values
			if method == http.MethodPost {
				form = url.Values{}
			}
			rec := e.do(t, office, method, "/api/v1/enterprises/summary", form)
			var c check
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &c) != nil {
				t.Fatalf("%s summary: %d %s", method, rec.Code, rec.Body)
			}
			return c
		}
		if c := call(http.MethodGet); !c.Matches || len(c.Differences) != 0 {
			t.Fatalf("a fresh register: %+v", c)
		}
		if rec := e.do(t, city, http.MethodGet, "/api/v1/enterprises/summary", nil); rec.Code != 403 {
			t.Fatalf("a city office checked: %d", rec.Code)
		}
		tamper := func() {
			t.Helper()
			if _, err := db.W.ExecContext(ctx, `UPDATE ecstat_register_cell SET units = units + 1 WHERE org_code = '410202'`); err != nil {
				t.Fatal(err)
			}
		}
		tamper()
		c := call(http.MethodGet)
		if c.Matches || len(c.Differences) != 1 || c.Differences[0].County != "410202" || c.Differences[0].Stored[0] != "2" || c.Differences[0].Recomputed[0] != "1" {
			t.Fatalf("a changed summary: %+v", c)
		}
		// The register page offers the check; the check page lists the row
		// and offers the repair.
		if rec := e.do(t, office, http.MethodGet, "/ecstat/register", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "核对名录汇总") {
			t.Fatalf("register page: %d", rec.Code)
		}
		if rec := e.do(t, city, http.MethodGet, "/ecstat/register", nil); rec.Code != 200 || strings.Contains(rec.Body.String(), "核对名录汇总") {
			t.Fatalf("register page of a city office: %d", rec.Code)
		}
		rec := e.do(t, office, http.MethodGet, "/ecstat/register/summary", nil)
		if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "有 1 行与按名录重算的结果不一致") || !strings.Contains(body, "410202") || !strings.Contains(body, "按名录重算汇总") {
			t.Fatalf("check page: %d %s", rec.Code, body)
		}
		rec = e.do(t, office, http.MethodGet, "/ecstat/register/summary/export", nil)
		if rec.Code != 200 {
			t.Fatalf("export: %d", rec.Code)
		}
		x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		if len(rows) != 2 || rows[1][0] != "410202" || rows[1][6] != "2" || rows[1][7] != "1" {
			t.Fatalf("exported rows: %v", rows)
		}
		if rec := e.do(t, office, http.MethodPost, "/ecstat/register/summary", url.Values{}); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "flash=ecstat_summary_repaired") {
			t.Fatalf("repair through the page: %d %v", rec.Code, rec.Header())
		}
		if rec := e.do(t, office, http.MethodGet, "/ecstat/register/summary", nil); !strings.Contains(rec.Body.String(), "名录汇总与按名录重算的结果一致") {
			t.Fatalf("after the repair: %s", rec.Body)
		}
		tamper()
		if c := call(http.MethodPost); c.Repaired != 1 || len(c.Differences) != 1 {
			t.Fatalf("repair through the API: %+v", c)
		}
		if c := call(http.MethodGet); !c.Matches {
			t.Fatalf("after the API's repair: %+v", c)
		}
		var repairs int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'repair' AND entity = 'ecstat_register'`).Scan(&repairs); err != nil || repairs != 2 {
			t.Fatalf("audited repairs: %d %v", repairs, err)
		}
	})
}

// ecstatRegister imports, for the 2015 register, n small firms of the
// retail industry in each county of counties (above the threshold, so
// that a draw takes them all), and returns their credit codes by county.
func ecstatRegister(t *testing.T, db *store.DB, counties map[string]int) map[string][]string {
	t.Helper()
	csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
	out := map[string][]string{}
	serial := 0
	for county, n := range counties {
		for i := 0; i < n; i++ {
			serial++
			body := fmt.Sprintf("91%s%09d", county, 500+serial)
			c, _ := dom.CreditCheck(body)
			code := body + string(c)
			out[county] = append(out[county], code)
			csv += fmt.Sprintf("%s,核对企业%s-%d,F5292,%s,小型,是,10,%d\n", code, county, i, county, 1000*(i+1))
		}
	}
	res, err := dom.ImportRegister(t.Context(), db, audit.Actor{Name: "test"}, "r.csv", strings.NewReader(csv), dom.ImportOptions{Year: 2015, Scopes: []string{"/41/"}})
	if err != nil || !res.OK() {
		t.Fatalf("register: %v %+v", err, res)
	}
	return out
}

// TestEcstatPrecisionNotes: a county with one respondent is suppressed
// and a city with three is not; the estimates API says why in the
// reader's language beside the codes, the results page and its XLSX
// export show the reason, and publishing through the API lists the
// cities and counties left out with the reason in the reader's
// language, as GET .../publications does afterwards; the public progress
// page shows the province's estimate (the cities' and counties' below it
// are not added to it).
func TestEcstatPrecisionNotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := t.Context()
		_, office := e.user(t, "noteoffice", auth.Office, "41")
		_, leader := e.user(t, "noteleader", auth.Leader, "41")
		_, city := e.user(t, "notecity", auth.Office, "4101")
		codes := ecstatRegister(t, db, map[string]int{"410102": 3, "410202": 1})
		rec := e.do(t, office, http.MethodPost, "/api/v1/surveys", url.Values{jsonBody: {`{"name":"精度标识调查","period":"2015","items":[{"code":"ECOM_SALES","name":"电子商务销售额"},{"code":"ECOM_PURCHASES","name":"电子商务采购额"},{"code":"INFO_GOODS","name":"信息产品消费支出"},{"code":"INFO_SERVICES","name":"信息服务消费支出"}]}`}})
		var created struct{ ID int64 }
		if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &created) != nil {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		sid := fmt.Sprint(created.ID)
		if rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/sample", url.Values{jsonBody: {`{"seed":1,"n":10}`}}); rec.Code != 200 {
			t.Fatalf("draw: %d %s", rec.Code, rec.Body)
		}
		var lines []dom.ResponseLine
		for _, c := range append(codes["410102"], codes["410202"]...) {
			for _, it := range []string{"ECOM_SALES", "ECOM_PURCHASES", "INFO_GOODS", "INFO_SERVICES"} {
				lines = append(lines, dom.ResponseLine{CreditCode: c, Item: it, Value: "10"})
			}
		}
		b, _ := json.Marshal(lines)
		if rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/responses", url.Values{jsonBody: {string(b)}}); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"saved":4`) {
			t.Fatalf("responses: %d %s", rec.Code, rec.Body)
		}
		type unit struct {
			OU, Mark, Reason, Note string
		}
		estimates := func(lang string) map[string]unit {
			t.Helper()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/surveys/"+sid+"/estimates?item=ECOM_SALES&ou=41;LEVEL-3", nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: leader.token})
			req.Header.Set("Accept-Language", lang)
			w := httptest.NewRecorder()
			e.h.ServeHTTP(w, req)
			var out struct{ Units []unit }
			if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &out) != nil {
				t.Fatalf("estimates: %d %s", w.Code, w.Body)
			}
			m := map[string]unit{}
			for _, u := range out.Units {
				m[u.OU] = u
			}
			return m
		}
		zh, en := estimates("zh-CN"), estimates("en")
		if u := zh["410202"]; u.Mark != "suppressed" || u.Reason != "few" || u.Note != "报送企业少于 3 家，不公布" {
			t.Fatalf("suppressed county in Chinese: %+v", u)
		}
		if u := en["410202"]; u.Note != "fewer than 3 respondents: suppressed" {
			t.Fatalf("suppressed county in English: %+v", u)
		}
		if u := zh["410102"]; u.Mark != "" || u.Note != "" {
			t.Fatalf("a county with three respondents: %+v", u)
		}
		q := "?item=ECOM_SALES&by=county&estimator=ht"
		if rec := e.do(t, leader, http.MethodGet, "/ecstat/surveys/"+sid+"/results"+q, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "报送企业少于 3 家，不公布") {
			t.Fatalf("results page: %d", rec.Code)
		}
		rec = e.do(t, leader, http.MethodGet, "/ecstat/surveys/"+sid+"/results/export"+q, nil)
		x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if rec.Code != 200 || err != nil {
			t.Fatalf("export: %d %v", rec.Code, err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		found := false
		for _, r := range rows {
			found = found || len(r) > 8 && r[0] == "410202" && r[8] == "报送企业少于 3 家，不公布"
		}
		if !found {
			t.Fatalf("exported rows: %v", rows)
		}
		if rec := e.do(t, city, http.MethodPost, "/api/v1/surveys/"+sid+"/publish", url.Values{jsonBody: {`{"estimator":"ht"}`}}); rec.Code != 403 {
			t.Fatalf("a city office published: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/publish", url.Values{jsonBody: {`{"estimator":"nope"}`}}); rec.Code != 400 {
			t.Fatalf("a bad estimator: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/publish", url.Values{jsonBody: {`{"estimator":"ht"}`}})
		if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, `"ou":"410202"`) || !strings.Contains(body, `"ou":"4102"`) || !strings.Contains(body, `"note":"报送企业少于 3 家，不公布"`) {
			t.Fatalf("publish: %d %s", rec.Code, body)
		}
		rec = e.do(t, leader, http.MethodGet, "/api/v1/surveys/"+sid+"/publications", nil)
		var pubs struct {
			Publications []struct {
				Element    string
				Units      int
				Suppressed []struct{ OU, Reason, Note string }
			}
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &pubs) != nil || len(pubs.Publications) != 2 || pubs.Publications[0].Units != 3 ||
			len(pubs.Publications[0].Suppressed) != 2 || pubs.Publications[0].Suppressed[0].Note == "" {
			t.Fatalf("publications: %d %s", rec.Code, rec.Body)
		}
		// The public reads the province's published estimate on the
		// progress page's e-commerce card.
		if rec := e.do(t, client{}, http.MethodGet, "/public", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "抽样调查推算 2015") {
			t.Errorf("the public page lacks the published estimate: %d %s", rec.Code, rec.Body)
		}
		if n, _ := dom.Answered(ctx, db, created.ID); n != 4 {
			t.Fatalf("answered: %d", n)
		}
	})
}
