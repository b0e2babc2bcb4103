package web

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"zhihui/internal/app"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// evalEnv is a test environment with the evaluation demo data.
func evalEnv(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	mods := app.Modules()
	prepare(t, db, mods, "evaluation-demo", evalstore.LoadDemo)
	return serve(t, db, mods)
}

func (e *testEnv) postJSON(t *testing.T, c client, target string, body any) *httptest.ResponseRecorder {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	req.Header.Set("X-CSRF-Token", c.csrf)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

const tinyFramework = `
id: tiny
name: {zh: 小指数, en: Tiny}
normalisation: {method: minmax}
nodes:
  - {id: idx, name: {zh: 指数, en: Index}}
indicators:
  - {id: a, parent: idx, weight: 0.75, name: {zh: 甲, en: A}}
  - {id: b, parent: idx, weight: 0.25, name: {zh: 乙, en: B}}
`

func TestIndexRunAPI(t *testing.T) {
	db := storetest.SQLite(t)
	e := evalEnv(t, db)
	_, prov := e.user(t, "office-prov", auth.Office, "41")
	_, zz := e.user(t, "office-zz", auth.Office, "4101")

	// YAML framework on CSV data: a = 0.75·minmax(a) + 0.25·minmax(b), × 100.
	csv := "unit,year,a,b\n410102,2020,10,0\n410103,2020,0,10\n410202,2020,5,5\n"
	rec := e.postJSON(t, prov, "/api/v1/index/run", map[string]any{"framework_yaml": tinyFramework, "data": csv, "mc": 50, "seed": 7})
	if rec.Code != http.StatusOK {
		t.Fatalf("run: %d %s", rec.Code, rec.Body)
	}
	var out struct {
		Result struct {
			Units []string
			Years []struct {
				Scores map[string][]float64
				Ranks  map[string][]int
			}
		}
		MC *struct {
			Intervals []struct{ Unit string }
			Sobol     []struct{ Factor string }
		} `json:"monte_carlo"`
		Names map[string]string
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"410102": 75, "410103": 25, "410202": 50}
	for i, u := range out.Result.Units {
		if got := out.Result.Years[0].Scores["idx"][i]; got != want[u] {
			t.Errorf("%s: score %v, want %v", u, got, want[u])
		}
	}
	if out.MC == nil || len(out.MC.Intervals) != 3 || len(out.MC.Sobol) == 0 {
		t.Fatalf("monte carlo missing: %+v", out.MC)
	}
	if out.Names["410102"] != "中原区" {
		t.Errorf("names %v", out.Names)
	}

	// The same request from 郑州 leaves 开封's unit out.
	rec = e.postJSON(t, zz, "/api/v1/index/run", map[string]any{"framework_yaml": tinyFramework, "data": csv})
	json.Unmarshal(rec.Body.Bytes(), &out)
	if rec.Code != http.StatusOK || len(out.Result.Units) != 2 || strings.Contains(strings.Join(out.Result.Units, ","), "4102") {
		t.Fatalf("scoped run: %d units %v", rec.Code, out.Result.Units)
	}
	// The demo county dataset through the API: only 郑州's counties.
	info, _ := evalstore.DatasetByName(context.Background(), db, evalstore.DemoTwoIntegrationCounty)
	rec = e.postJSON(t, zz, "/api/v1/index/run", map[string]any{"framework": "two-integration-region", "dataset": info.ID, "year": 2020})
	json.Unmarshal(rec.Body.Bytes(), &out)
	if rec.Code != http.StatusOK || len(out.Result.Units) == 0 || len(out.Result.Units) >= 181 {
		t.Fatalf("demo run: %d, %d units", rec.Code, len(out.Result.Units))
	}
	for _, u := range out.Result.Units {
		if !strings.HasPrefix(u, "4101") {
			t.Errorf("unit %s outside 郑州", u)
		}
	}
	// Errors carry both languages.
	rec = e.postJSON(t, prov, "/api/v1/index/run", map[string]any{"framework": "no-such", "data": csv})
	var ae apiError
	json.Unmarshal(rec.Body.Bytes(), &ae)
	if rec.Code != http.StatusBadRequest || ae.Zh == "" || ae.En == "" {
		t.Fatalf("bad framework: %d %+v", rec.Code, ae)
	}
	rec = e.postJSON(t, prov, "/api/v1/index/run", map[string]any{"framework": "tiny", "framework_yaml": tinyFramework, "data": "unit,year,a,b\n4101,2020,x,1\n"})
	json.Unmarshal(rec.Body.Bytes(), &ae)
	if rec.Code != http.StatusBadRequest || !strings.Contains(ae.Zh, "第2行") || !strings.Contains(ae.En, "row 2") {
		t.Fatalf("bad data: %d %+v", rec.Code, ae)
	}
}

func TestAHPEndpoint(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	_, c := e.user(t, "evaluator1", auth.Evaluator, "41")
	form := url.Values{"node": {"env"}, "n": {"3"}, "ahp.env.0.1": {"3"}, "ahp.env.0.2": {"5"}, "ahp.env.1.2": {"2"}}
	rec := e.do(t, c, http.MethodPost, "/evaluate/ahp", form)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "CR = <strong>0.00") || strings.Contains(rec.Body.String(), "alert-error") {
		t.Fatalf("consistent matrix: %d %s", rec.Code, rec.Body)
	}
	// a > b, b > c, but c ≫ a: inconsistent; the error names the matrix.
	form.Set("ahp.env.0.2", "1/9")
	rec = e.do(t, c, http.MethodPost, "/evaluate/ahp", form)
	body := rec.Body.String()
	if !strings.Contains(body, "alert-error") || !strings.Contains(body, "判断矩阵 env") {
		t.Fatalf("inconsistent matrix: %s", body)
	}
	form.Set("ahp.env.0.2", "12")
	rec = e.do(t, c, http.MethodPost, "/evaluate/ahp", form)
	if !strings.Contains(rec.Body.String(), "第 1 行第 3 列") {
		t.Fatalf("out-of-scale entry: %s", rec.Body)
	}
}

func TestFrameworkEditing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, c := e.user(t, "office1", auth.Office, "41")
		// Save the built-in two-integration index as a copy with other weights.
		form := url.Values{"new_id": {"tii-2"}, "org": {"41"}, "w.environment": {"0.2"}, "w.application": {"0.4"}, "w.benefit": {"0.4"}}
		rec := e.do(t, c, http.MethodPost, "/evaluate/frameworks/two-integration-region", form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("save copy: %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, c, http.MethodGet, "/evaluate/frameworks/tii-2", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "0.400") {
			t.Fatalf("view: %d", rec.Code)
		}
		// Weights that do not add up are refused with the form shown again.
		form = url.Values{"w.environment": {"0.5"}, "w.application": {"0.4"}, "w.benefit": {"0.4"}}
		rec = e.do(t, c, http.MethodPost, "/evaluate/frameworks/tii-2", form)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "alert-error") {
			t.Fatalf("bad weights: %d", rec.Code)
		}
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'evaluate_framework' AND entity_id = 'tii-2'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d audit entries, want 1", n)
		}
		// Another office, at 开封, may read but not change it? It is owned
		// by the province, so 开封 does not cover it.
		_, kf := e.user(t, "office-kf", auth.Office, "4102")
		if rec := e.do(t, kf, http.MethodGet, "/evaluate/frameworks/tii-2", nil); rec.Code != http.StatusOK {
			t.Errorf("read: %d", rec.Code)
		}
		if rec := e.do(t, kf, http.MethodPost, "/evaluate/frameworks/tii-2", url.Values{"w.environment": {"0.2"}}); rec.Code != http.StatusForbidden {
			t.Errorf("write outside scope: %d", rec.Code)
		}
	})
}

func TestDatasetUploadErrors(t *testing.T) {
	db := storetest.SQLite(t)
	e := newEnv(t, db)
	_, c := e.user(t, "office1", auth.Office, "41")
	rec := e.do(t, c, http.MethodPost, "/evaluate/datasets", url.Values{"name": {"坏数据"}, "org": {"41"}, "csv": {"unit,year,a\n4101,2020,1\n4102,2020,abc\n"}})
	body := rec.Body.String()
	if rec.Code != http.StatusBadRequest || !strings.Contains(body, "第3行「a」列") || !strings.Contains(body, "abc") {
		t.Fatalf("bad upload: %d", rec.Code)
	}
	// Multipart XLSX upload.
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"unit", "year", "indicator", "value"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"4101", 2020, "a", 1.5})
	var x bytes.Buffer
	f.Write(&x)
	var body2 bytes.Buffer
	mw := newMultipart(&body2, map[string]string{"name": "表格", "org": "41", "csrf": c.csrf}, "file", "data.xlsx", x.Bytes())
	req := httptest.NewRequest(http.MethodPost, "/evaluate/datasets", &body2)
	req.Header.Set("Content-Type", mw)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	rr := httptest.NewRecorder()
	e.h.ServeHTTP(rr, req)
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("xlsx upload: %d %s", rr.Code, rr.Body)
	}
	rec = e.do(t, c, http.MethodGet, rr.Header().Get("Location"), nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "1.5") || !strings.Contains(rec.Body.String(), "郑州市") {
		t.Fatalf("dataset page: %d", rec.Code)
	}
}

func TestRegionalPages(t *testing.T) {
	db := storetest.SQLite(t)
	e := evalEnv(t, db)
	_, prov := e.user(t, "leader1", auth.Leader, "41")
	_, zz := e.user(t, "leader-zz", auth.Leader, "4101")
	mapNames := regexp.MustCompile(`data-map="([^"]*)"`)
	rec := e.do(t, prov, http.MethodGet, "/evaluate/regional?year=2018", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "郑州市") || !strings.Contains(body, "济源市") || !mapNames.MatchString(body) {
		t.Fatalf("regional: %d", rec.Code)
	}
	m := mapNames.FindStringSubmatch(body)[1]
	if strings.Count(m, "&#34;name&#34;") != 18 {
		t.Errorf("map has %d cities", strings.Count(m, "&#34;name&#34;"))
	}
	rec = e.do(t, prov, http.MethodGet, "/evaluate/regional?level=county", nil)
	if !strings.Contains(rec.Body.String(), "henan-counties") || !strings.Contains(rec.Body.String(), "兰考县") {
		t.Fatalf("county level: %d", rec.Code)
	}
	// 郑州 sees its own row only, with its provincial rank.
	rec = e.do(t, zz, http.MethodGet, "/evaluate/regional", nil)
	body = rec.Body.String()
	if !strings.Contains(body, "郑州市") || strings.Contains(body, "开封市") {
		t.Fatalf("scoped regional page shows other cities")
	}
	rec = e.do(t, prov, http.MethodGet, "/evaluate/informatization?year=2016", nil)
	body = rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, "/plan/targets/INFO_LEVEL_RANK") || !strings.Contains(body, "位次明显前移") || !strings.Contains(body, "data-chart") {
		t.Fatalf("informatization: %d", rec.Code)
	}
	// Run page with Monte Carlo draws the interval chart.
	info, _ := evalstore.DatasetByName(context.Background(), db, evalstore.DemoInformatization)
	rec = e.do(t, prov, http.MethodGet, "/evaluate/run?fw=city-informatization&mc=100&ds="+itoa(info.ID), nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "boxplot") {
		t.Fatalf("run page: %d", rec.Code)
	}
	rec = e.do(t, prov, http.MethodGet, "/evaluate/compare?fw=city-informatization&b=city-informatization&ds="+itoa(info.ID), nil)
	if rec.Code != http.StatusOK || strings.Count(rec.Body.String(), "<tr>") < 19 {
		t.Fatalf("compare page: %d", rec.Code)
	}
}

func TestEnterpriseAssessment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := evalEnv(t, db)
		_, ent := e.user(t, "ent-zz", auth.Enterprise, "4101")
		_, other := e.user(t, "ent-kf", auth.Enterprise, "4102")
		_, office := e.user(t, "office-zz", auth.Office, "4101")
		rec := e.do(t, ent, http.MethodPost, "/evaluate/enterprise", answersForm("410102"))
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("submit: %d %s", rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		page := strings.SplitN(loc, "?", 2)[0]
		rec = e.do(t, ent, http.MethodGet, page, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "同行业") || !strings.Contains(body, "data-chart") {
			t.Fatalf("result page: %d", rec.Code)
		}
		// An enterprise user at 开封 cannot see an assessment in 郑州.
		if rec := e.do(t, other, http.MethodGet, page, nil); rec.Code != http.StatusForbidden {
			t.Errorf("other enterprise: %d", rec.Code)
		}
		// Another enterprise in the same city (its sequential id guessed)
		// sees neither the page nor the PDF; the city's office does.
		_, neighbour := e.user(t, "ent-zz2", auth.Enterprise, "4101")
		for _, p := range []string{page, page + "/report.pdf"} {
			if rec := e.do(t, neighbour, http.MethodGet, p, nil); rec.Code != http.StatusNotFound {
				t.Errorf("another enterprise at the same unit reads %s: %d", p, rec.Code)
			}
			if rec := e.do(t, office, http.MethodGet, p, nil); rec.Code != http.StatusOK {
				t.Errorf("office reads %s: %d", p, rec.Code)
			}
		}
		if rec := e.do(t, other, http.MethodPost, "/evaluate/enterprise", answersForm("410102")); rec.Code != http.StatusForbidden {
			t.Errorf("submit outside subtree: %d", rec.Code)
		}
		// Missing answers are a bilingual form error.
		form := answersForm("410102")
		form.Del("q.B1")
		if rec := e.do(t, ent, http.MethodPost, "/evaluate/enterprise", form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "B1") {
			t.Errorf("missing answer: %d", rec.Code)
		}
		// A share above 100 % is refused with the question and the range,
		// not clipped to a top mark; a growth rate may exceed its scale.
		form = answersForm("410102")
		form.Set("q.B1", "150")
		rec = e.do(t, ent, http.MethodPost, "/evaluate/enterprise", form)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "第 B1 题的答案 150 超出范围 0–100%") {
			t.Errorf("150 %%: %d", rec.Code)
		}
		// The form keeps every answer, also those after the wrong one.
		if !strings.Contains(rec.Body.String(), `id="q.K2" name="q.K2" required inputmode="decimal" value="50"`) {
			t.Error("the refused form lost the answers after B1")
		}
		form = answersForm("410102")
		form.Set("q.K1", "35")
		if rec := e.do(t, ent, http.MethodPost, "/evaluate/enterprise", form); rec.Code != http.StatusSeeOther {
			t.Errorf("growth of 35 %%: %d", rec.Code)
		}
		// The location is chosen among the user's city and its counties,
		// each county beside its city; no code is typed.
		rec = e.do(t, ent, http.MethodGet, "/evaluate/enterprise", nil)
		if b := rec.Body.String(); !strings.Contains(b, `<option value="410102">郑州市 · 中原区</option>`) || !strings.Contains(b, `<option value="4101" selected>郑州市</option>`) || strings.Contains(b, `value="4102"`) {
			t.Errorf("location picker: %s", b)
		}
		// The PDF report.
		rec = e.do(t, ent, http.MethodGet, page+"/report.pdf", nil)
		pdf := rec.Body.Bytes()
		if rec.Code != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF-")) || !bytes.Contains(pdf[len(pdf)-1024:], []byte("%%EOF")) {
			t.Fatalf("pdf: %d", rec.Code)
		}
		if bin, err := exec.LookPath("pdftotext"); err == nil {
			p := filepath.Join(t.TempDir(), "r.pdf")
			os.WriteFile(p, pdf, 0o600)
			txt, err := exec.Command(bin, "-enc", "UTF-8", p, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"企业信息化水平评测报告", "测试企业", "综合得分", "同类企业对标"} {
				if !strings.Contains(string(txt), want) {
					t.Errorf("pdf text lacks %q", want)
				}
			}
		} else {
			t.Log("pdftotext not installed: PDF text not checked")
		}
		// The office at 郑州 sees 郑州's assessments only.
		rec = e.do(t, office, http.MethodGet, "/evaluate/enterprises", nil)
		body = rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "郑州市") || strings.Contains(body, "开封市") {
			t.Fatalf("distribution: %d", rec.Code)
		}
		rec = e.do(t, office, http.MethodGet, "/evaluate/enterprises.xlsx", nil)
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("评估记录")
		as, _ := evalstore.Assessments(context.Background(), db, evalstore.AssessmentFilter{Scopes: []string{"/41/4101/"}})
		if len(rows) != len(as)+1 || len(as) < 2 {
			t.Fatalf("xlsx has %d rows for %d assessments", len(rows), len(as))
		}
		for _, r := range rows[1:] {
			if r[5] != "郑州市" {
				t.Errorf("xlsx row outside 郑州: %v", r)
			}
		}
	})
}

func itoa(n int64) string { return strconvItoa(n) }

func strconvItoa(n int64) string { return strconv.FormatInt(n, 10) }

func newMultipart(w *bytes.Buffer, fields map[string]string, file, name string, data []byte) string {
	mw := multipart.NewWriter(w)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile(file, name)
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType()
}

// The demo's AHP framework: its edit page carries the live matrix, and it
// compares with the explicit weights of the built-in index.
func TestAHPFrameworkPages(t *testing.T) {
	db := storetest.SQLite(t)
	e := evalEnv(t, db)
	_, c := e.user(t, "office1", auth.Office, "41")
	rec := e.do(t, c, http.MethodGet, "/evaluate/frameworks/"+evalstore.DemoAHPFramework+"/edit", nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `hx-post="/evaluate/ahp"`) || !strings.Contains(body, `name="ahp.tii.0.1"`) || !strings.Contains(body, "CR = <strong>0.0") {
		t.Fatalf("edit page: %d", rec.Code)
	}
	// Saving an inconsistent matrix is refused, naming the matrix.
	rec = e.do(t, c, http.MethodPost, "/evaluate/frameworks/"+evalstore.DemoAHPFramework, url.Values{"ahp.tii.0.1": {"9"}, "ahp.tii.0.2": {"1/9"}, "ahp.tii.1.2": {"9"}})
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "tii") {
		t.Fatalf("inconsistent save: %d", rec.Code)
	}
	info, _ := evalstore.DatasetByName(context.Background(), db, evalstore.DemoTwoIntegrationCounty)
	rec = e.do(t, c, http.MethodGet, "/evaluate/compare?fw=two-integration-region&b="+evalstore.DemoAHPFramework+"&ds="+itoa(info.ID), nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "badge-ok\">↑") {
		t.Fatalf("compare: %d (no unit moves up under AHP weights?)", rec.Code)
	}
}
