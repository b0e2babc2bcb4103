package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/webcheck"
)

// wcResult is an inspection result with a veto (stale homepage) and a
// broken homepage link, a broken link elsewhere and no site code: four
// defects, four problems.
func wcResult(u string) *webcheck.Result {
	now := time.Now().UTC()
	r := &webcheck.Result{URL: u, Started: now.Add(-time.Minute), Finished: now, Pages: 12}
	r.Metrics = map[string]webcheck.Metric{
		"broken_links_home":  {Value: 1, Known: true, Evidence: []webcheck.Evidence{{URL: u + "gone.html", Status: 404, Time: now, FoundOn: []string{u}}}},
		"home_stale":         {Value: 1, Known: true, Evidence: []webcheck.Evidence{{URL: u, Snippet: "最新：2020-01-01"}}},
		"broken_links_other": {Value: 1, Known: true, Evidence: []webcheck.Evidence{{URL: u + "old/gone.html", Status: 404, Time: now, FoundOn: []string{u + "old/"}}}},
		"missing_site_code":  {Value: 1, Known: true},
	}
	r.Verdict, r.Score = webcheck.DefaultScheme().Evaluate(r.Metrics)
	return r
}

func (e *testEnv) doJSON(t *testing.T, c client, method, target string, body any) *httptest.ResponseRecorder {
	t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(method, target, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.token})
	req.Header.Set("X-CSRF-Token", c.csrf)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

func TestWebcheckSitesAndImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, office := e.user(t, "office1", auth.Office, "41")
		_, zz := e.user(t, "zz-reporter", auth.Reporter, "4101")

		rec := e.do(t, office, "POST", "/webcheck/sites", url.Values{"name": {"郑州市人民政府"}, "url": {"www.zhengzhou.gov.cn"}, "org_code": {"4101"}, "kind": {"city"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, office, "POST", "/webcheck/sites", url.Values{"name": {""}, "url": {"ftp://x"}, "org_code": {"4101"}, "kind": {"city"}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "网站名称不能为空") {
			t.Fatalf("invalid create: %d", rec.Code)
		}
		csv := "网站名称,网址,主管单位代码,类型\n开封市人民政府,http://www.kaifeng.gov.cn/,4102,市级网站\n坏行,,4102,city\n"
		rec = e.do(t, office, "POST", "/webcheck/sites/import", url.Values{"csv": {csv}})
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "第3行「url」列") {
			t.Fatalf("bad import: %d %s", rec.Code, rec.Body)
		}
		// An Excel upload.
		x := excelize.NewFile()
		x.SetSheetRow("Sheet1", "A1", &[]any{"name", "url", "owner code", "kind"})
		x.SetSheetRow("Sheet1", "A2", &[]any{"开封市人民政府", "http://www.kaifeng.gov.cn/", "4102", "city"})
		x.SetSheetRow("Sheet1", "A3", &[]any{"中原区人民政府", "http://www.zhongyuan.gov.cn/", "410102", "county"})
		var xb bytes.Buffer
		x.Write(&xb)
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", "sites.xlsx")
		fw.Write(xb.Bytes())
		mw.WriteField("csrf", office.csrf)
		mw.Close()
		req := httptest.NewRequest("POST", "/webcheck/sites/import", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: office.token})
		rr := httptest.NewRecorder()
		e.h.ServeHTTP(rr, req)
		if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "新增 2 个") {
			t.Fatalf("xlsx import: %d %s", rr.Code, rr.Body)
		}

		// A 郑州 reporter sees the 郑州 and 中原 sites, not 开封's.
		rec = e.do(t, zz, "GET", "/api/v1/webcheck/sites", nil)
		var got struct{ Sites []webcheck.Site }
		json.Unmarshal(rec.Body.Bytes(), &got)
		if len(got.Sites) != 2 || got.Sites[0].OrgCode != "4101" || got.Sites[1].OrgCode != "410102" {
			t.Fatalf("scoped sites %+v", got.Sites)
		}
		page := e.do(t, zz, "GET", "/webcheck/sites", nil).Body.String()
		if !strings.Contains(page, "郑州市人民政府") || strings.Contains(page, "开封市人民政府") || strings.Contains(page, `id="register"`) {
			t.Fatal("site list for a reporter: wrong sites or a register form")
		}
		// API create with JSON, and its field errors.
		rec = e.doJSON(t, office, "POST", "/api/v1/webcheck/sites", map[string]string{"name": "省工信厅", "url": "https://gxt.henan.gov.cn/", "org_code": "41D-GXT", "kind": "department"})
		if rec.Code != http.StatusCreated {
			t.Fatalf("api create %d %s", rec.Code, rec.Body)
		}
		rec = e.doJSON(t, office, "POST", "/api/v1/webcheck/sites", map[string]string{"name": "x", "url": "https://gxt.henan.gov.cn/", "org_code": "41D-GXT", "kind": "dept"})
		var ae apiError
		json.Unmarshal(rec.Body.Bytes(), &ae)
		if rec.Code != http.StatusBadRequest || len(ae.Errors) != 1 || ae.Errors[0].Field != "kind" || ae.En == "" {
			t.Fatalf("api errors %d %+v", rec.Code, ae)
		}
	})
}

func TestWebcheckRoundReportAndRectification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, eval := e.user(t, "eval1", auth.Evaluator, "41")
		_, zzOwner := e.user(t, "zz-owner", auth.Reporter, "4101")
		_, kfOwner := e.user(t, "kf-owner", auth.Reporter, "4102")
		_, leader := e.user(t, "leader1", auth.Leader, "41")
		actor := audit.Actor{Name: "test"}
		zz, _ := webcheck.CreateSite(ctx, db, actor, webcheck.SiteInput{URL: "http://www.zhengzhou.gov.cn/", Name: "郑州市人民政府", Kind: "city", OrgCode: "4101"}, nil)
		kf, _ := webcheck.CreateSite(ctx, db, actor, webcheck.SiteInput{URL: "http://www.kaifeng.gov.cn/", Name: "开封市人民政府", Kind: "city", OrgCode: "4102"}, nil)

		// Only evaluators, the office and admins start rounds.
		if rec := e.doJSON(t, zzOwner, "POST", "/api/v1/webcheck/rounds", map[string]any{"name": "x"}); rec.Code != http.StatusForbidden {
			t.Fatalf("reporter started a round: %d", rec.Code)
		}
		rec := e.doJSON(t, eval, "POST", "/api/v1/webcheck/rounds", map[string]any{"name": "2026年第四季度", "site_ids": []int64{zz.ID, kf.ID}, "deadline_days": 15})
		var rd webcheck.Round
		json.Unmarshal(rec.Body.Bytes(), &rd)
		if rec.Code != http.StatusCreated || rd.Jobs.Queued != 2 || rd.DeadlineDays != 15 {
			t.Fatalf("round %d %s", rec.Code, rec.Body)
		}
		zr := wcResult(zz.URL)
		zr.PageBudget, zr.BudgetReached, zr.PagesNotCrawled = 1000, true, 143
		zi, err := webcheck.RecordRoundResult(ctx, db, actor, rd.ID, zz.ID, zr)
		if err != nil {
			t.Fatal(err)
		}
		clean := wcResult(kf.URL)
		clean.Metrics = map[string]webcheck.Metric{"home_stale": {Known: true}}
		clean.Verdict, clean.Score = webcheck.DefaultScheme().Evaluate(clean.Metrics)
		webcheck.RecordRoundResult(ctx, db, actor, rd.ID, kf.ID, clean)

		// The leader reads the whole ranking; the 郑州 owner sees its row
		// with its true rank.
		var rk struct{ Ranking []webcheck.RankRow }
		json.Unmarshal(e.do(t, leader, "GET", fmt.Sprintf("/api/v1/webcheck/rounds/%d/ranking", rd.ID), nil).Body.Bytes(), &rk)
		if len(rk.Ranking) != 2 || rk.Ranking[0].Site.ID != kf.ID || rk.Ranking[1].Pass {
			t.Fatalf("ranking %+v", rk.Ranking)
		}
		json.Unmarshal(e.do(t, zzOwner, "GET", fmt.Sprintf("/api/v1/webcheck/rounds/%d/ranking", rd.ID), nil).Body.Bytes(), &rk)
		if len(rk.Ranking) != 1 || rk.Ranking[0].Rank != 2 {
			t.Fatalf("owner ranking %+v", rk.Ranking)
		}
		page := e.do(t, leader, "GET", fmt.Sprintf("/webcheck/rounds/%d", rd.ID), nil).Body.String()
		if !strings.Contains(page, "data-chart") || !strings.Contains(page, "开封市人民政府") {
			t.Fatal("round page lacks the chart or a site")
		}

		// The report: verdict, veto, evidence with where it was found.
		page = e.do(t, zzOwner, "GET", fmt.Sprintf("/webcheck/inspections/%d", zi), nil).Body.String()
		for _, want := range []string{"不合格", "首页栏目信息超过2周未更新", "http://www.zhengzhou.gov.cn/gone.html", "404", "2019年百分制得分", "已达到页面上限 1000：另有 143 个已知页面未抓取"} {
			if !strings.Contains(page, want) {
				t.Errorf("report lacks %q", want)
			}
		}
		pdf := e.do(t, zzOwner, "GET", fmt.Sprintf("/webcheck/inspections/%d/pdf", zi), nil)
		if pdf.Header().Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.Body.Bytes(), []byte("%PDF-")) {
			t.Fatalf("pdf %s", pdf.Header())
		}
		xr := e.do(t, zzOwner, "GET", fmt.Sprintf("/webcheck/inspections/%d/xlsx", zi), nil)
		xf, err := excelize.OpenReader(xr.Body)
		if err != nil {
			t.Fatalf("xlsx: %v", err)
		}
		if rows, _ := xf.GetRows(xf.GetSheetList()[5]); len(rows) < 3 {
			t.Fatalf("evidence sheet has %d rows", len(rows))
		}

		// Problems: 开封's owner sees none of 郑州's and cannot mark them.
		var ps struct{ Problems []webcheck.Problem }
		json.Unmarshal(e.do(t, kfOwner, "GET", "/api/v1/webcheck/problems", nil).Body.Bytes(), &ps)
		if len(ps.Problems) != 0 {
			t.Fatalf("开封 owner sees %d problems", len(ps.Problems))
		}
		json.Unmarshal(e.do(t, zzOwner, "GET", "/api/v1/webcheck/problems?status=pending", nil).Body.Bytes(), &ps)
		if len(ps.Problems) != 4 {
			t.Fatalf("郑州 owner sees %d problems", len(ps.Problems))
		}
		p := ps.Problems[0]
		if rec := e.doJSON(t, kfOwner, "POST", fmt.Sprintf("/api/v1/webcheck/problems/%d", p.ID), map[string]string{"action": "fix", "note": "x"}); rec.Code != http.StatusForbidden {
			t.Fatalf("outside owner marked a problem: %d", rec.Code)
		}
		if rec := e.doJSON(t, zzOwner, "POST", fmt.Sprintf("/api/v1/webcheck/problems/%d", p.ID), map[string]string{"action": "close"}); rec.Code != http.StatusForbidden {
			t.Fatalf("owner closed its own problem: %d", rec.Code)
		}
		rec = e.doJSON(t, zzOwner, "POST", fmt.Sprintf("/api/v1/webcheck/problems/%d", p.ID), map[string]string{"action": "fix", "note": "已更新首页信息"})
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"fixed"`) {
			t.Fatalf("fix %d %s", rec.Code, rec.Body)
		}
		rec = e.do(t, eval, "POST", fmt.Sprintf("/webcheck/problems/%d", p.ID), url.Values{"action": {"recheck"}, "note": {"复查"}, "back": {"/webcheck/problems?status=fixed"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/webcheck/problems?status=fixed&flash=saved" {
			t.Fatalf("recheck %d %s", rec.Code, rec.Header().Get("Location"))
		}
		got, _ := webcheck.GetProblem(ctx, db, p.ID)
		j, _ := webcheck.GetJob(ctx, db, got.RecheckJob)
		if j == nil || j.Purpose != webcheck.PurposeRecheck || j.Status != webcheck.JobQueued {
			t.Fatalf("recheck job %+v", j)
		}
		entries, _, _ := audit.Search(ctx, db, audit.Filter{Entity: "webcheck_problem"})
		if len(entries) != 2 {
			t.Fatalf("%d audit entries for the problem", len(entries))
		}

		// Overdue problems for the office.
		db.W.ExecContext(ctx, `UPDATE webcheck_problem SET deadline = $1 WHERE status = 'open'`, time.Now().Add(-time.Hour).UTC())
		page = e.do(t, eval, "GET", "/webcheck/problems?overdue=1", nil).Body.String()
		if strings.Count(page, `id="problem-`) != 3 || !strings.Contains(page, "已逾期") {
			t.Fatalf("overdue list shows %d problems", strings.Count(page, `id="problem-`))
		}
		home := e.do(t, leader, "GET", "/webcheck", nil).Body.String()
		if !strings.Contains(home, "data-chart") || !strings.Contains(home, "2026年第四季度") {
			t.Fatal("overview lacks the trend chart or the round")
		}
		if !strings.Contains(e.do(t, leader, "GET", "/api/v1/openapi.json", nil).Body.String(), "/api/v1/webcheck/rounds/{id}/ranking") {
			t.Fatal("OpenAPI lacks the webcheck routes")
		}
	})
}
