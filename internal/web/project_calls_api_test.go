package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// js is a JSON body for testEnv.do.
func js(body string) url.Values { return url.Values{jsonBody: {body}} }

// TestCallsAPI: the city's office opens a call through the API with its
// criteria as a list; two counties apply (one in JSON with a document, one
// with a form), a unit of another city and a reporter opening a call are
// refused; each county lists its own application only, the office all
// of them, and another city does not see the call.
func TestCallsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, office := e.user(t, "ca-office", auth.Office, "4101")
		_, zy := e.user(t, "ca-zy", auth.Reporter, "410102")
		_, ej := e.user(t, "ca-ej", auth.Reporter, "410103")
		_, kf := e.user(t, "ca-kf", auth.Reporter, "4102")
		call := `{"kind":"pilot","title":"郑州市数据共享试点","description":"遴选数据共享试点项目。","org":"4101","levels":["county"],"deadline":"2099-12-31",
			"criteria":[{"name":"应用成效","weight":60},{"name":"创新性","weight":40}],"field":"egov","panel_size":3}`
		rec := e.do(t, zy, http.MethodPost, "/api/v1/calls", js(call))
		if rec.Code != http.StatusForbidden {
			t.Fatalf("a reporter opens a call: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/calls", js(strings.Replace(call, `"weight":40`, `"weight":30`, 1)))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "之和应为 100") || !strings.Contains(rec.Body.String(), "must sum to 100") {
			t.Fatalf("weights summing to 90: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/calls", js(strings.Replace(call, `"org":"4101"`, `"org":"41"`, 1)))
		if rec.Code != http.StatusForbidden {
			t.Fatalf("a city's office opens a call for the province: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodPost, "/api/v1/calls", js(call))
		var created struct {
			Call project.Call `json:"call"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || rec.Code != http.StatusCreated || created.Call.ID == 0 ||
			len(created.Call.Criteria) != 2 || created.Call.Criteria[1].Weight != 40 || created.Call.Org != "4101" {
			t.Fatalf("open: %d %s", rec.Code, rec.Body.String())
		}
		base := "/api/v1/calls/" + strconv.FormatInt(created.Call.ID, 10)
		if rec := e.do(t, zy, http.MethodGet, "/api/v1/calls", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "郑州市数据共享试点") {
			t.Fatalf("a county's list of calls: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, kf, http.MethodGet, base, nil); rec.Code != http.StatusForbidden {
			t.Fatalf("another city reads the call: %d", rec.Code)
		}
		// 中原区 applies in JSON with a document; 二七区 with a form.
		rec = e.do(t, zy, http.MethodPost, base+"/applications", js(`{"unit":"410102","title":"中原区数据共享平台","body":"申报正文",
			"document":{"name":"申报书.txt","content":"`+"5Lit5Y6f5Yy655Sz5oql5Lmm"+`"}}`))
		var applied struct {
			Application project.Application `json:"application"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &applied); err != nil || rec.Code != http.StatusCreated || applied.Application.Unit != "410102" ||
			applied.Application.Document == nil || applied.Application.Document.Size != int64(len("中原区申报书")) {
			t.Fatalf("apply in JSON: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, zy, http.MethodPost, base+"/applications", url.Values{"unit": {"410103"}, "title": {"代二七区申报"}, "body": {"正文"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("a county applies for another: %d", rec.Code)
		}
		if rec := e.do(t, ej, http.MethodPost, base+"/applications", url.Values{"unit": {"410103"}, "title": {"二七区数据共享平台"}, "body": {"正文"}}); rec.Code != http.StatusCreated {
			t.Fatalf("apply with a form: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, ej, http.MethodPost, base+"/applications", url.Values{"unit": {"410103"}, "title": {"二七区数据共享平台"}, "body": {"正文"}}); rec.Code != http.StatusBadRequest ||
			!strings.Contains(rec.Body.String(), "already applied") {
			t.Fatalf("the same application again: %d %s", rec.Code, rec.Body.String())
		}
		list := func(c client) []string {
			t.Helper()
			rec := e.do(t, c, http.MethodGet, base+"/applications", nil)
			var out struct {
				Applications []struct {
					Unit      string `json:"unit"`
					MeetsRule bool   `json:"meets_rule"`
				} `json:"applications"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
				t.Fatalf("applications: %d %s", rec.Code, rec.Body.String())
			}
			var units []string
			for _, a := range out.Applications {
				if !a.MeetsRule {
					t.Errorf("a county application fails the county rule: %+v", a)
				}
				units = append(units, a.Unit)
			}
			return units
		}
		if got := strings.Join(list(zy), ","); got != "410102" {
			t.Errorf("中原区 reads %s", got)
		}
		if got := strings.Join(list(ej), ","); got != "410103" {
			t.Errorf("二七区 reads %s", got)
		}
		if got := strings.Join(list(office), ","); got != "410102,410103" {
			t.Errorf("the office reads %s", got)
		}
		if rec := e.do(t, kf, http.MethodGet, base+"/applications", nil); rec.Code != http.StatusForbidden {
			t.Fatalf("another city lists the applications: %d", rec.Code)
		}
	})
}
