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

	"zhihui/internal/auth"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	webecstat "zhihui/internal/web/ecstat"
)

// TestEcstatAuthorizationMatrix runs the survey module's rows of the
// matrix on the application's server and checks that every route of the module has a row.
func TestEcstatAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		cases, setups := moduleCases([]module.Module{webecstat.Module()})
		var mine []string
		for _, p := range e.srv.Patterns() {
			if strings.Contains(p, "/ecstat") || strings.Contains(p, "/surveys") || strings.Contains(p, "/api/v1/enterprises") {
				mine = append(mine, p)
			}
		}
		if missing := uncovered(mine, cases); len(missing) > 0 {
			t.Errorf("routes without an authorization case: %s", strings.Join(missing, ", "))
		}
		runMatrix(t, e, cases, setups)
	})
}

// TestEcstatAPIFlow: the office imports a register through the API (a dry
// run first, then a bad file refused whole), creates a survey, draws it,
// a county reporter answers for a firm of its county, and the estimates,
// the results page and the exports show the answers.
func TestEcstatAPIFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, office := e.user(t, "ecoffice", auth.Office, "41")
		_, county := e.user(t, "eccounty", auth.Reporter, "410102")
		_, leader := e.user(t, "ecleader", auth.Leader, "41")
		csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
		var codes []string
		for i := 0; i < 30; i++ {
			county := []string{"410102", "410105", "410202"}[i%3]
			body := fmt.Sprintf("91%s%09d", county, i)
			c, _ := dom.CreditCheck(body)
			codes = append(codes, body+string(c))
			above := "否"
			if i < 6 {
				above = "是"
			}
			csv += fmt.Sprintf("%s,企业%d,F5292,%s,小型,%s,%d,%d\n", codes[i], i, county, above, 10+i, 100*(i+1))
		}
		post := func(target, ctype, body string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
			req.Header.Set("Content-Type", ctype)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: office.token})
			req.Header.Set("X-CSRF-Token", office.csrf)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			return rec
		}
		if rec := post("/api/v1/enterprises/import?dryRun=true&year=2015", "text/csv", csv); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"births":30`) {
			t.Fatalf("dry run: %d %s", rec.Code, rec.Body)
		}
		bad := strings.Replace(csv, codes[4], codes[4][:17]+"0", 1)
		if bad == csv {
			bad = strings.Replace(csv, codes[4], codes[4][:17]+"1", 1)
		}
		rec := post("/api/v1/enterprises/import?year=2015", "text/csv", bad)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"row":6`) || !strings.Contains(rec.Body.String(), "checksum") {
			t.Fatalf("bad file: %d %s", rec.Code, rec.Body)
		}
		if list, total, _ := dom.Enterprises(t.Context(), db, dom.Filter{Scopes: []string{"/41/"}}); total != 0 {
			t.Fatalf("a refused file imported %d: %v", total, list)
		}
		if rec := post("/api/v1/enterprises/import?year=2015", "text/csv", csv); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"written":true`) {
			t.Fatalf("import: %d %s", rec.Code, rec.Body)
		}
		_, cityOffice := e.user(t, "eccity", auth.Office, "4101")
		if rec := e.do(t, cityOffice, http.MethodPost, "/api/v1/surveys", url.Values{"name": {"市里的调查"}, "period": {"2015"}}); rec.Code != 403 {
			t.Fatalf("a city office created a provincial survey: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/surveys", url.Values{jsonBody: {`{"name":"2015年调查","period":"2015","items":[{"code":"ECOM_SALES","name":"电子商务销售额","unit":"万元"},{"code":"ECOM_PURCHASES","name":"电子商务采购额","unit":"万元"}]}`}})
		var created struct{ ID int64 }
		if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &created) != nil || created.ID == 0 {
			t.Fatalf("create survey: %d %s", rec.Code, rec.Body)
		}
		sid := fmt.Sprint(created.ID)
		rec = e.do(t, office, http.MethodPost, "/api/v1/surveys/"+sid+"/sample", url.Values{jsonBody: {`{"seed":42,"n":12}`}})
		var drawn struct {
			SampleSize int `json:"sample_size"`
			Certainty  int
			Selected   []struct {
				CreditCode string  `json:"credit_code"`
				OrgCode    string  `json:"org_code"`
				Weight     float64 `json:"weight"`
			}
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &drawn) != nil || drawn.Certainty != 6 || drawn.SampleSize < 18 {
			t.Fatalf("sample: %d %s", rec.Code, rec.Body)
		}
		// The county answers for every sampled firm of 中原区 (410102).
		var answers []map[string]string
		mine := 0
		for _, s := range drawn.Selected {
			if s.OrgCode == "410102" {
				mine++
				answers = append(answers, map[string]string{"credit_code": s.CreditCode, "period": "2015", "item": "ECOM_SALES", "value": "10"},
					map[string]string{"credit_code": s.CreditCode, "period": "2015", "item": "ECOM_PURCHASES", "value": "5.5"})
			}
		}
		b, _ := json.Marshal(answers)
		rec = e.do(t, county, http.MethodPost, "/api/v1/surveys/"+sid+"/responses", url.Values{jsonBody: {string(b)}})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), fmt.Sprintf(`"saved":%d`, mine)) {
			t.Fatalf("responses: %d %s", rec.Code, rec.Body)
		}
		// Not the county's firm.
		for _, s := range drawn.Selected {
			if s.OrgCode == "410202" {
				b, _ := json.Marshal([]map[string]string{{"credit_code": s.CreditCode, "item": "ECOM_SALES", "value": "1"}, {"credit_code": s.CreditCode, "item": "ECOM_PURCHASES", "value": "1"}})
				if rec := e.do(t, county, http.MethodPost, "/api/v1/surveys/"+sid+"/responses", url.Values{jsonBody: {string(b)}}); rec.Code != 403 {
					t.Fatalf("answering outside the county: %d %s", rec.Code, rec.Body)
				}
				break
			}
		}
		rec = e.do(t, leader, http.MethodGet, "/api/v1/surveys/"+sid+"/estimates?item=ECOM_TURNOVER&ou=41;LEVEL-2&estimator=ht", nil)
		var est struct {
			Respondents int
			Units       []struct {
				OU          string  `json:"ou"`
				Total       float64 `json:"total"`
				SE          float64 `json:"se"`
				CILow       float64 `json:"ci_low"`
				Respondents int     `json:"respondents"`
			}
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &est) != nil || est.Respondents != mine || len(est.Units) < 2 || est.Units[0].OU != "41" || est.Units[0].Total <= 0 {
			t.Fatalf("estimates: %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, leader, http.MethodGet, "/ecstat/surveys/"+sid+"/results", nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "标准误") || !strings.Contains(rec.Body.String(), "郑州市") {
			t.Fatalf("results page: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodGet, "/ecstat/surveys/"+sid+"/nonrespondents/export", nil)
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		if len(rows) != 1+drawn.SampleSize-mine || rows[0][0] != "统一社会信用代码" {
			t.Fatalf("non-respondents export: %d rows, want %d", len(rows), 1+drawn.SampleSize-mine)
		}
		// The county's own list holds only its firms.
		rec = e.do(t, county, http.MethodGet, "/ecstat/surveys/"+sid+"/nonrespondents", nil)
		if rec.Code != 200 || strings.Contains(rec.Body.String(), "410202") {
			t.Fatalf("county non-respondents: %d", rec.Code)
		}
	})
}
