package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func (e *testEnv) upload(t *testing.T, c client, target, name, content string, fields ...string) *httptest.ResponseRecorder {
	t.Helper()
	body, ct := multipartUpload(t, name, content, fields...)
	req := httptest.NewRequest(http.MethodPost, target, body)
	req.Header.Set("Content-Type", ct)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	req.Header.Set("X-CSRF-Token", c.csrf)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// TestProjectPortfolio reads the demo portfolio's pages and exports as
// each role, registers a project through the API and the form, imports a
// list all-or-nothing, and checks that an applicant never sees who scored.
func TestProjectPortfolio(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		if err := project.LoadDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		_, office := e.user(t, "pj-office", auth.Office, "41")
		_, leader := e.user(t, "pj-leader", auth.Leader, "41")
		_, county := e.user(t, "pj-county", auth.Reporter, "410102")
		_, expert := e.user(t, project.DemoExpertAccount, auth.Expert, "41")
		for _, p := range []string{"/projects", "/projects?stage=design&level=city", "/projects/new", "/projects/import", "/projects/systems", "/projects/experts"} {
			if rec := e.do(t, office, http.MethodGet, p, nil); rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", p, rec.Code, rec.Body.String())
			}
		}
		if !strings.Contains(e.do(t, office, http.MethodGet, "/projects", nil).Body.String(), `href="/projects/experts"`) ||
			strings.Contains(e.do(t, county, http.MethodGet, "/projects", nil).Body.String(), `href="/projects/experts"`) {
			t.Error("the expert pool link is offered to the wrong callers")
		}
		// The export holds exactly the filtered projects.
		svc := project.New(db)
		_, nCity, _ := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, Level: "city"})
		rec := e.do(t, leader, http.MethodGet, "/projects/export?level=city", nil)
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatalf("export: %d %v", rec.Code, err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		if len(rows) != nCity+1 || nCity == 0 || rows[1][4] != "市级" {
			t.Fatalf("export has %d rows for %d city projects: %v", len(rows), nCity, rows[:min(2, len(rows))])
		}

		// The expert's open assignment: the project, a score, and the
		// applicant's view without the expert's name.
		as, err := svc.Assignments(ctx, project.DemoExpertAccount)
		if err != nil || len(as) == 0 || !as[0].Open {
			t.Fatalf("assignments %+v %v", as, err)
		}
		seatURL := "/projects/reviews/" + strconv.FormatInt(as[0].Seat.ID, 10)
		if rec := e.do(t, expert, http.MethodGet, "/projects/reviews", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), as[0].Project.Name) {
			t.Fatalf("my reviews: %d", rec.Code)
		}
		if rec := e.do(t, expert, http.MethodPost, seatURL+"/score", url.Values{"score": {"abc"}, "opinion": {"x"}}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "评分应为 0 至 100 的整数") {
			t.Fatalf("bad score: %d", rec.Code)
		}
		if rec := e.do(t, expert, http.MethodPost, seatURL+"/score", url.Values{"score": {"91"}, "opinion": {"建议压缩硬件投资"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("score: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, expert, http.MethodGet, "/projects/"+strconv.FormatInt(as[0].Project.ID, 10), nil); rec.Code != http.StatusForbidden {
			t.Fatalf("an expert opens the project page: %d", rec.Code)
		}
		var expertName string
		revs, _ := svc.Reviews(ctx, as[0].Project.ID)
		for _, s := range revs[len(revs)-1].Seats {
			if s.Score != nil && *s.Score == 91 {
				expertName = s.ExpertName
			}
		}
		owner, _ := svc.Get(ctx, []string{"/41/"}, as[0].Project.ID)
		_, applicant := e.user(t, "pj-applicant", auth.Reporter, owner.Owner)
		page := e.do(t, applicant, http.MethodGet, "/projects/"+strconv.FormatInt(owner.ID, 10), nil).Body.String()
		if expertName == "" || strings.Contains(page, expertName) || !strings.Contains(page, "建议压缩硬件投资") || !strings.Contains(page, "专家 ") {
			t.Fatalf("the applicant's page (expert %q): names shown or the opinion missing", expertName)
		}
		if page := e.do(t, office, http.MethodGet, "/projects/"+strconv.FormatInt(owner.ID, 10), nil).Body.String(); !strings.Contains(page, expertName) || !strings.Contains(page, "按种子复现一致") {
			t.Fatal("the office does not see the panel's names and reproduction")
		}
		// The office rates the risk; the applicant reads the rating and its history.
		pURL := "/projects/" + strconv.FormatInt(owner.ID, 10)
		if rec := e.do(t, office, http.MethodPost, pURL+"/rating", url.Values{"rating": {"9"}, "comment": {"x"}}); rec.Code != 400 || !strings.Contains(rec.Body.String(), "1（高风险）至 5（低风险）") {
			t.Fatalf("rating 9: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodPost, pURL+"/rating", url.Values{"rating": {"2"}, "comment": {"接口联调滞后两个月"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("rating: %d %s", rec.Code, rec.Body.String())
		}
		if rec := e.do(t, applicant, http.MethodPost, pURL+"/rating", url.Values{"rating": {"5"}, "comment": {"自评"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("the applicant rates itself: %d", rec.Code)
		}
		if page := e.do(t, applicant, http.MethodGet, pURL, nil).Body.String(); !strings.Contains(page, "接口联调滞后两个月") || strings.Contains(page, `name="rating"`) {
			t.Fatal("the applicant's page: the rating is missing or the rating form is offered")
		}
		api := e.do(t, applicant, http.MethodGet, "/api/v1/projects/"+strconv.FormatInt(owner.ID, 10), nil).Body.String()
		if strings.Contains(api, expertName) || strings.Contains(api, `"candidates":[`) {
			t.Fatalf("the API shows the applicant who sat on the panel: %s", api)
		}

		// Registration through the API with a number estimate, and the
		// similar projects of a draft.
		rec = e.do(t, county, http.MethodPost, "/api/v1/projects", url.Values{jsonBody: {`{"name":"中原区政务服务一体化平台","owner":"410102","category":"new","funding":"区级财政","estimate":1234.5678,"content":"整合各部门政务服务事项，建设统一的网上办事大厅和移动端，实现事项统一受理、统一办理、统一反馈。"}`}})
		var created struct {
			Project struct {
				ID       int64  `json:"id"`
				Estimate string `json:"estimate"`
				Level    string `json:"level"`
			} `json:"project"`
			Similar []project.Match `json:"similar"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || rec.Code != http.StatusCreated || created.Project.Estimate != "1234.5678" ||
			created.Project.Level != "county" || len(created.Similar) == 0 || created.Similar[0].Score < 0.3 {
			t.Fatalf("API register: %d %s", rec.Code, rec.Body.String())
		}
		rec = e.do(t, county, http.MethodPost, "/api/v1/projects", url.Values{jsonBody: {`{"name":"x","owner":"4102","category":"new","funding":"f","estimate":"1"}`}})
		if rec.Code != http.StatusForbidden {
			t.Fatalf("API register outside: %d", rec.Code)
		}
		rec = e.do(t, county, http.MethodPost, "/api/v1/projects", url.Values{jsonBody: {`{"name":"x","owner":"410102","category":"new","funding":"f","estimate":"1.00001"}`}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "4 位小数") || !strings.Contains(rec.Body.String(), "decimals") {
			t.Fatalf("API register with too many decimals: %d %s", rec.Code, rec.Body.String())
		}
		var ms []project.Match
		rec = e.do(t, county, http.MethodGet, "/api/v1/projects/"+strconv.FormatInt(created.Project.ID, 10)+"/similar?limit=2", nil)
		if err := json.Unmarshal(rec.Body.Bytes(), &ms); err != nil || len(ms) == 0 || len(ms) > 2 {
			t.Fatalf("similar: %s", rec.Body.String())
		}
		rec = e.do(t, county, http.MethodPost, "/api/v1/projects/similar?limit=3", url.Values{jsonBody: {`{"name":"智慧城管平台","content":"建设数字化城市管理系统，实现城市部件和事件的发现、立案、派遣、处置、核查、结案闭环管理。"}`}})
		if err := json.Unmarshal(rec.Body.Bytes(), &ms); err != nil || len(ms) == 0 || len(ms[0].Passages) == 0 {
			t.Fatalf("draft similar: %s", rec.Body.String())
		}

		// The form keeps what was typed when it is refused.
		rec = e.do(t, county, http.MethodPost, "/projects", url.Values{"name": {"中原区协同办公系统"}, "owner": {"410102"}, "category": {"om"}, "funding": {"区级财政"}, "estimate": {"-5"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "金额不能为负数") || !strings.Contains(rec.Body.String(), "中原区协同办公系统") {
			t.Fatalf("refused form: %d", rec.Code)
		}

		// An O&M request twice the catalogue's annual cost is flagged.
		if rec := e.do(t, county, http.MethodPost, "/projects/systems", url.Values{"owner": {"410102"}, "name": {"中原区协同办公系统"}, "om_cost": {"25.5"}, "mlps_level": {"2"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("add a system: %d %s", rec.Code, rec.Body.String())
		}
		sys, _, _ := svc.Systems(ctx, project.SystemFilter{Scopes: []string{"/41/"}, Q: "中原区协同办公系统"})
		if len(sys) != 1 || sys[0].OMCost != 255000 {
			t.Fatalf("stored system: %+v", sys)
		}
		if page := e.do(t, county, http.MethodGet, "/projects/new", nil).Body.String(); !strings.Contains(page, "中原区协同办公系统") {
			t.Fatal("the form does not offer the unit's system")
		}
		rec = e.do(t, county, http.MethodPost, "/projects", url.Values{"name": {"中原区协同办公系统运维"}, "owner": {"410102"}, "category": {"om"}, "funding": {"区级财政"},
			"estimate": {"51"}, "systems": {strconv.FormatInt(sys[0].ID, 10)}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("register an O&M project: %d %s", rec.Code, rec.Body.String())
		}
		if page := e.do(t, county, http.MethodGet, strings.SplitN(rec.Header().Get("Location"), "?", 2)[0], nil).Body.String(); !strings.Contains(page, "运维申请 51 万元") || !strings.Contains(page, "合计 25.5 万元（高出 100%") {
			t.Fatal("the O&M check is not on the project page")
		}

		// Import: all or nothing, errors by row and column.
		before, _, _ := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, PerPage: 1})
		csv := "项目名称,建设单位代码,项目类别,资金来源,估算（万元）\n中原区电子证照库,410102,新建,区级财政,80\n开封市电子证照库,4102,新建,市级财政,80\n"
		rec = e.upload(t, county, "/projects/import", "p.csv", csv)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "第3行「建设单位代码」列") {
			t.Fatalf("import with an outside row: %d %s", rec.Code, rec.Body.String())
		}
		after, _, _ := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, PerPage: 1})
		if after[0].ID != before[0].ID {
			t.Fatal("a refused import stored a project")
		}
		rec = e.upload(t, county, "/projects/import", "p.csv", strings.Split(csv, "开封")[0])
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("import: %d %s", rec.Code, rec.Body.String())
		}
		// A document whose content lies about its type is refused.
		rec = e.upload(t, county, "/projects/"+strconv.FormatInt(created.Project.ID, 10)+"/documents", "x.pdf", "MZ not a pdf", "kind", "material")
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "内容与其扩展名不符") {
			t.Fatalf("a fake PDF: %d", rec.Code)
		}
		for _, p := range []string{"/projects/systems/export", "/projects/experts/export", "/projects/import/template"} {
			c := office
			if rec := e.do(t, c, http.MethodGet, p, nil); rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheet") {
				t.Errorf("%s: %d %s", p, rec.Code, rec.Header().Get("Content-Type"))
			}
		}
	})
}
