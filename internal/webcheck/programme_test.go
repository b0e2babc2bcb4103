package webcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
	"zhihui/internal/webcheck/probe"
)

func TestSitesScopedAndValidated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		mustSite(t, db, "https://www.zhengzhou.gov.cn", "郑州市人民政府", KindCity, "4101")
		mustSite(t, db, "www.zhongyuan.gov.cn/", "中原区人民政府", "县级", "410102")
		mustSite(t, db, "http://www.kaifeng.gov.cn/", "开封市人民政府", KindCity, "4102")
		mustSite(t, db, "http://gxt.henan.gov.cn/", "省工业和信息化厅", "department", "41D-GXT")

		all, err := ListSites(ctx, db, SiteFilter{})
		if err != nil || len(all) != 4 || all[0].Kind != KindDepartment || all[0].OrgName != "省工业和信息化厅" {
			t.Fatalf("all sites %+v %v", all, err)
		}
		zz, _ := ListSites(ctx, db, SiteFilter{Scopes: []string{"/41/4101/"}})
		if len(zz) != 2 || zz[0].URL != "https://www.zhengzhou.gov.cn/" || zz[1].URL != "http://www.zhongyuan.gov.cn/" || zz[1].Kind != KindCounty {
			t.Fatalf("郑州 subtree %+v", zz)
		}
		if none, _ := ListSites(ctx, db, SiteFilter{Scopes: []string{}}); len(none) != 0 {
			t.Fatalf("empty scopes saw %d sites", len(none))
		}
		if q, _ := ListSites(ctx, db, SiteFilter{Query: "KAIFENG"}); len(q) != 1 {
			t.Fatalf("query found %d", len(q))
		}

		_, err = CreateSite(ctx, db, testActor, SiteInput{URL: "ftp://x", Name: "", Kind: "城市", OrgCode: "9999"}, nil)
		var el i18n.Errors
		if !errors.As(err, &el) || len(el) != 4 {
			t.Fatalf("want 4 field errors, got %v", err)
		}
		fields := map[string]bool{}
		for _, e := range el {
			fields[e.Field] = e.Zh != "" && e.En != ""
		}
		if !fields["url"] || !fields["name"] || !fields["kind"] || !fields["org_code"] {
			t.Fatalf("fields %v", fields)
		}
		_, err = CreateSite(ctx, db, testActor, SiteInput{URL: "http://www.kaifeng.gov.cn", Name: "重复", Kind: "city", OrgCode: "4102"}, nil)
		if !errors.As(err, &el) || el[0].Field != "url" {
			t.Fatalf("duplicate URL: %v", err)
		}
		inZZ := func(p string) bool { return strings.HasPrefix(p, "/41/4101/") }
		_, err = CreateSite(ctx, db, testActor, SiteInput{URL: "http://x.kaifeng.gov.cn", Name: "x", Kind: "city", OrgCode: "4102"}, inZZ)
		if !errors.As(err, &el) || el[0].Field != "org_code" {
			t.Fatalf("outside scope: %v", err)
		}
		s := all[1]
		up, err := UpdateSite(ctx, db, testActor, s.ID, SiteInput{URL: s.URL, Name: s.Name + "门户网站", Kind: s.Kind, OrgCode: s.OrgCode}, nil)
		if err != nil || up.Name != s.Name+"门户网站" {
			t.Fatalf("update %+v %v", up, err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'webcheck_site'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Fatalf("%d audit entries, want 5", n)
		}
	})
}

func TestImportSites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		mustSite(t, db, "http://www.kaifeng.gov.cn/", "开封", KindCity, "4102")

		bad := "网站名称,网址,主管单位代码,类型\n郑州市人民政府,www.zhengzhou.gov.cn,4101,city\n,not a url,4101,city\n中原区,http://www.zhongyuan.gov.cn/,999,县\n郑州2,http://www.zhengzhou.gov.cn/,4101,village\n"
		_, err := ImportSites(ctx, db, testActor, "sites.csv", strings.NewReader(bad), nil, false)
		var el i18n.Errors
		if !errors.As(err, &el) {
			t.Fatalf("want row errors, got %v", err)
		}
		got := map[string]bool{}
		for _, e := range el {
			got[e.Message("en")] = true
			if e.Row == 0 || e.Col == "" {
				t.Errorf("error without row/column: %+v", e)
			}
		}
		for _, want := range []string{"row 3, column name", "row 3, column url", "row 4, column owner code", "row 5, column kind", "row 5, column url"} {
			found := false
			for m := range got {
				found = found || strings.HasPrefix(m, want)
			}
			if !found {
				t.Errorf("no error at %s in %v", want, got)
			}
		}
		if all, _ := ListSites(ctx, db, SiteFilter{}); len(all) != 1 {
			t.Fatalf("failed import saved %d sites", len(all)-1)
		}

		// XLSX without a header, with an update of a known URL.
		x := excelize.NewFile()
		for i, row := range [][]any{
			{"郑州市人民政府", "https://www.zhengzhou.gov.cn/", "4101", "市级网站"},
			{"中原区人民政府", "www.zhongyuan.gov.cn", "410102", "county"},
			{"开封市人民政府", "http://www.kaifeng.gov.cn/", "4102", "city"},
		} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			x.SetSheetRow("Sheet1", cell, &row)
		}
		var buf bytes.Buffer
		x.Write(&buf)
		res, err := ImportSites(ctx, db, testActor, "sites.xlsx", &buf, nil, false)
		if err != nil || res.Created != 2 || res.Updated != 1 {
			t.Fatalf("xlsx import %+v %v", res, err)
		}
		kf, _ := ListSites(ctx, db, SiteFilter{Query: "kaifeng"})
		if len(kf) != 1 || kf[0].Name != "开封市人民政府" {
			t.Fatalf("update by URL: %+v", kf)
		}

		// A unit outside the importer's scope fails the whole file.
		csv := "name,url,owner code,kind\nA,http://a.zz.gov.cn/,4101,city\nB,http://b.kf.gov.cn/,4102,city\n"
		_, err = ImportSites(ctx, db, testActor, "x.csv", strings.NewReader(csv), func(p string) bool { return strings.HasPrefix(p, "/41/4101/") }, false)
		if !errors.As(err, &el) || len(el) != 1 || el[0].Row != 3 {
			t.Fatalf("scope error: %v", err)
		}
		if all, _ := ListSites(ctx, db, SiteFilter{}); len(all) != 3 {
			t.Fatalf("%d sites after refused import, want 3", len(all))
		}
		// Header naming a missing column.
		_, err = ImportSites(ctx, db, testActor, "x.csv", strings.NewReader("name,url,kind\nA,http://a/,city\n"), nil, false)
		if !errors.As(err, &el) || !strings.Contains(el[0].Zh, "主管单位代码") {
			t.Fatalf("missing column: %v", err)
		}
	})
}

// fakeResult builds a result with a broken homepage link and a stale
// homepage (a veto), scored by the default scheme.
func fakeResult(url string, brokenHome int, stale bool) *Result {
	now := time.Now().UTC()
	r := &Result{URL: url, Started: now.Add(-time.Minute), Finished: now, Pages: 10}
	var ev []Evidence
	for i := range brokenHome {
		ev = append(ev, Evidence{URL: url + "gone/" + string(rune('a'+i)), Status: 404, Time: now, FoundOn: []string{url}})
	}
	r.Metrics = map[string]Metric{
		"broken_links_home": {Value: float64(brokenHome), Known: true, Evidence: ev},
		"home_stale":        {Value: b2f(stale), Known: true, Evidence: []Evidence{{URL: url, Snippet: "最新：2020-01-01"}}},
	}
	r.Verdict, r.Score = DefaultScheme().Evaluate(r.Metrics)
	return r
}

func TestRoundJobsProblemsRanking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		zz := mustSite(t, db, "http://www.zhengzhou.gov.cn/", "郑州市人民政府", KindCity, "4101")
		kf := mustSite(t, db, "http://www.kaifeng.gov.cn/", "开封市人民政府", KindCity, "4102")
		zy := mustSite(t, db, "http://www.zhongyuan.gov.cn/", "中原区人民政府", KindCounty, "410102")

		if _, err := CreateRound(ctx, db, nil, testActor, RoundInput{Name: "2026年第一季度", SiteIDs: []int64{kf.ID}}, []string{"/41/4101/"}); err == nil {
			t.Fatal("round with a site outside the scope was created")
		}
		if _, err := CreateRound(ctx, db, nil, testActor, RoundInput{Name: "x", Scheme: "vetoes: [", SiteIDs: []int64{zz.ID}}, nil); err == nil {
			t.Fatal("round with a broken scheme was created")
		}
		rd, err := CreateRound(ctx, db, nil, testActor, RoundInput{Name: "2026年第一季度", DeadlineDays: 10}, nil)
		if err != nil || rd.Jobs.Queued != 3 {
			t.Fatalf("round %+v %v", rd, err)
		}

		// Two workers claim different jobs; a third finds nothing.
		j1, err := claimNext(ctx, db, "w1", time.Minute)
		if err != nil || j1 == nil || j1.DeadlineDays != 10 || j1.Scheme == "" {
			t.Fatalf("claim %+v %v", j1, err)
		}
		j2, _ := claimNext(ctx, db, "w2", time.Minute)
		j3, _ := claimNext(ctx, db, "w3", time.Minute)
		if j2 == nil || j3 == nil || j1.ID == j2.ID || j2.ID == j3.ID {
			t.Fatalf("claims %+v %+v %+v", j1, j2, j3)
		}
		if j, _ := claimNext(ctx, db, "w4", time.Minute); j != nil {
			t.Fatalf("claimed a held job %+v", j)
		}
		if err := Heartbeat(ctx, db, j1.ID, "w2", time.Minute); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("foreign heartbeat: %v", err)
		}
		// w3's lease expires: w4 takes the job over and w3 can no longer
		// complete it.
		db.W.ExecContext(ctx, `UPDATE webcheck_job SET lease_until = $1 WHERE id = $2`, time.Now().Add(-time.Second).UTC(), j3.ID)
		j4, _ := claimNext(ctx, db, "w4", time.Minute)
		if j4 == nil || j4.ID != j3.ID || j4.Attempts != 2 {
			t.Fatalf("re-claim %+v", j4)
		}
		if _, err := CompleteJob(ctx, db, j3, "w3", fakeResult(j3.SiteURL, 0, false)); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("stale worker completed: %v", err)
		}
		results := map[int64]*Result{zz.ID: fakeResult(zz.URL, 2, false), kf.ID: fakeResult(kf.URL, 0, false), zy.ID: fakeResult(zy.URL, 1, true)}
		for _, c := range []struct {
			j *Job
			w string
		}{{j1, "w1"}, {j2, "w2"}, {j4, "w4"}} {
			if _, err := CompleteJob(ctx, db, c.j, c.w, results[c.j.SiteID]); err != nil {
				t.Fatal(err)
			}
		}
		rd, _ = GetRound(ctx, db, rd.ID)
		if !rd.Jobs.Finished() || rd.Jobs.Done != 3 {
			t.Fatalf("jobs %+v", rd.Jobs)
		}

		rank, err := Ranking(ctx, db, rd.ID, nil)
		if err != nil || len(rank) != 3 {
			t.Fatalf("ranking %+v %v", rank, err)
		}
		if rank[0].Site.ID != kf.ID || rank[0].Rank != 1 || rank[1].Site.ID != zz.ID || rank[2].Site.ID != zy.ID || rank[2].Pass || rank[2].KindRank != 1 {
			t.Fatalf("order %+v", rank)
		}
		if rank[1].OpenProblems != 1 { // the broken links: a 2015 deduction and a 2019 loss, one problem
			t.Fatalf("郑州 open problems %d", rank[1].OpenProblems)
		}
		scoped, _ := Ranking(ctx, db, rd.ID, []string{"/41/4101/"})
		if len(scoped) != 2 || scoped[0].Rank != 2 {
			t.Fatalf("scoped ranking keeps global ranks: %+v", scoped)
		}

		// Problems: scoped, with evidence and a deadline.
		probs, err := ListProblems(ctx, db, ProblemFilter{Scopes: []string{"/41/4101/410102/"}})
		if err != nil || len(probs) != 2 { // stale home (a veto and a 2019 loss), broken link (a deduction and a 2019 loss): one problem each
			t.Fatalf("中原 problems %d %v", len(probs), err)
		}
		if probs[0].Deadline.Sub(time.Now()) < 9*24*time.Hour || probs[0].Evidence == nil || probs[0].OrgName != "中原区" {
			t.Fatalf("problem %+v", probs[0])
		}
		var veto *Problem
		for i := range probs {
			if probs[i].Scheme == SchemeVeto2015 {
				veto = &probs[i]
			}
		}
		if veto == nil || veto.Rule != "home_stale" {
			t.Fatalf("no veto problem in %+v", probs)
		}
		if over, _ := ListProblems(ctx, db, ProblemFilter{OverdueAt: time.Now().AddDate(0, 0, 11)}); len(over) != 3 {
			t.Fatalf("overdue in 11 days: %d", len(over))
		}
		if over, _ := ListProblems(ctx, db, ProblemFilter{OverdueAt: time.Now()}); len(over) != 0 {
			t.Fatalf("overdue now: %d", len(over))
		}

		// Workflow: fix needs a note; close and re-check only after a fix.
		if _, err := UpdateProblem(ctx, db, nil, testActor, veto.ID, ActionFix, " "); err == nil {
			t.Fatal("fix without a note")
		}
		if _, err := UpdateProblem(ctx, db, nil, testActor, veto.ID, ActionClose, "ok"); err == nil {
			t.Fatal("closed an open problem")
		}
		p, err := UpdateProblem(ctx, db, nil, testActor, veto.ID, ActionFix, "已更新首页要闻")
		if err != nil || p.Status != ProblemFixed || p.FixNote != "已更新首页要闻" || p.FixedAt == nil {
			t.Fatalf("fix %+v %v", p, err)
		}
		p, err = UpdateProblem(ctx, db, nil, testActor, veto.ID, ActionRecheck, "")
		if err != nil || p.RecheckJob == 0 || p.Status != ProblemFixed {
			t.Fatalf("recheck %+v %v", p, err)
		}
		// A second fixed problem of the same site shares the re-check job;
		// it is still broken, so the re-check reopens it.
		var broken *Problem
		for i := range probs {
			if probs[i].Scheme == SchemeDeduct2015 {
				broken = &probs[i]
			}
		}
		UpdateProblem(ctx, db, nil, testActor, broken.ID, ActionFix, "已修复链接")
		if b, err := UpdateProblem(ctx, db, nil, testActor, broken.ID, ActionRecheck, ""); err != nil || b.RecheckJob != p.RecheckJob {
			t.Fatalf("shared recheck job %+v %v", b, err)
		}
		rj, _ := claimNext(ctx, db, "w5", time.Minute)
		if rj == nil || rj.ID != p.RecheckJob || rj.Purpose != PurposeRecheck || rj.SiteID != zy.ID {
			t.Fatalf("recheck job %+v", rj)
		}
		if _, err := CompleteJob(ctx, db, rj, "w5", fakeResult(zy.URL, 1, false)); err != nil {
			t.Fatal(err)
		}
		if p, _ = GetProblem(ctx, db, veto.ID); p.Status != ProblemClosed || p.CheckedAt == nil {
			t.Fatalf("veto after re-check %+v", p)
		}
		// the re-check's finding is stored as a key and its arguments and
		// read in the reader's language, never as one "中文 / English" string
		b, _ := GetProblem(ctx, db, broken.ID)
		if b.Status != ProblemReopened || b.CheckKey != RecheckStill || b.CheckNote != "" || len(b.CheckArgs) != 2 || b.CheckArgs[0] == "" {
			t.Fatalf("broken link after re-check %+v", b)
		}
		if zh, en := b.Check("zh-CN"), b.Check("en"); !strings.Contains(zh, "仍存在") || strings.Contains(zh, "still") || !strings.Contains(en, "still finds it") || strings.ContainsAny(en, "仍存在") {
			t.Fatalf("re-check note: %q / %q", zh, en)
		}
		var stored string
		if err := db.R.QueryRowContext(ctx, db.Rebind(`SELECT check_note || check_key || check_args FROM webcheck_problem WHERE id = $1`), broken.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, " / ") || strings.Contains(stored, "仍存在") {
			t.Fatalf("stored %q", stored)
		}
		if v, _ := GetProblem(ctx, db, veto.ID); v.CheckKey != RecheckFixed || !strings.Contains(v.Check("en"), "confirms the fix") {
			t.Fatalf("veto's re-check note %+v", v)
		}
		// rows of earlier releases, with the note as one bilingual string,
		// read the same way; a note the office wrote is kept as written
		for note, want := range map[string][2]string{
			"复查（检查 #7）仍存在：指标值 3 / re-check (inspection #7) still finds it: value 3": {"复查（检查 #7）仍存在：指标值 3", "re-check (inspection #7) still finds it: value 3"},
			"复查（检查 #7）确认已整改 / re-check (inspection #7) confirms the fix":            {"复查（检查 #7）确认已整改", "re-check (inspection #7) confirms the fix"},
			"链接已修复 / 已核实": {"链接已修复 / 已核实", "链接已修复 / 已核实"},
		} {
			if _, err := db.W.ExecContext(ctx, db.Rebind(`UPDATE webcheck_problem SET check_note = $1, check_key = '', check_args = '' WHERE id = $2`), note, broken.ID); err != nil {
				t.Fatal(err)
			}
			old, err := GetProblem(ctx, db, broken.ID)
			if err != nil {
				t.Fatal(err)
			}
			if zh, en := old.Check("zh-CN"), old.Check("en"); zh != want[0] || en != want[1] {
				t.Errorf("old note %q reads %q / %q", note, zh, en)
			}
		}
		// The re-check does not enter the ranking; the round still has 3 rows.
		if rank, _ := Ranking(ctx, db, rd.ID, nil); len(rank) != 3 {
			t.Fatalf("ranking after recheck %d rows", len(rank))
		}
		// Wrong action and user errors are i18n errors.
		_, err = UpdateProblem(ctx, db, nil, testActor, veto.ID, "delete", "")
		var ue *i18n.Error
		if !errors.As(err, &ue) || ue.En == "" {
			t.Fatalf("bad action: %v", err)
		}

		// Trends over two rounds.
		rd2, _ := CreateRound(ctx, db, nil, testActor, RoundInput{Name: "2026年第二季度", SiteIDs: []int64{zz.ID, kf.ID}}, nil)
		for {
			j, _ := claimNext(ctx, db, "w6", time.Minute)
			if j == nil {
				break
			}
			CompleteJob(ctx, db, j, "w6", fakeResult(j.SiteURL, 0, false))
		}
		tr, err := Trends(ctx, db, nil)
		if err != nil || len(tr) != 2 || tr[1].RoundID != rd2.ID || tr[1].Sites != 2 || tr[1].AvgScore != 100 || tr[1].PassRate() != 100 || tr[0].Sites != 3 || tr[0].Passed != 2 {
			t.Fatalf("trends %+v %v", tr, err)
		}
		hist, _ := SiteInspections(ctx, db, zy.ID)
		if len(hist) != 2 || hist[0].RoundName != "2026年第一季度" || hist[1].Purpose != PurposeRecheck {
			t.Fatalf("history %+v", hist)
		}
		var audits int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity IN ('webcheck_problem', 'webcheck_problems', 'webcheck_round')`).Scan(&audits); err != nil {
			t.Fatal(err)
		}
		if audits < 10 {
			t.Fatalf("only %d audit entries", audits)
		}
	})
}

func TestWritePDF(t *testing.T) {
	r := fakeResult("http://www.zhongyuan.gov.cn/", 2, true)
	r.BrokenLinks = []BrokenLink{{URL: "http://www.zhongyuan.gov.cn/gone/a", Status: 404, OnHomepage: true, FoundOn: []string{"http://www.zhongyuan.gov.cn/"}}}
	r.PageBudget, r.BudgetReached, r.PagesNotCrawled = 10, true, 143
	var buf bytes.Buffer
	if err := WritePDF(&buf, r, ReportInfo{SiteName: "中原区人民政府", OrgName: "中原区", Round: "2026年第一季度"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	txt := pdfText(t, buf.Bytes())
	if txt == "" {
		return
	}
	flat := strings.Join(strings.Fields(txt), "")
	for _, want := range []string{"政府网站检查报告", "中原区人民政府", "不合格", "首页栏目信息超过2周未更新", "2019年百分制得分", "http://www.zhongyuan.gov.cn/gone/a", "[404]", "已达到页面上限10：另有143个已知页面未抓取"} {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), "")) {
			t.Errorf("PDF text lacks %q:\n%s", want, txt)
		}
	}
}

// TestDemoRounds builds the demo rounds for three demo sites with the real
// inspector against generated local sites.
func TestDemoRounds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		n, err := LoadDemoSites(ctx, db)
		if err != nil || n != 4 { // 工信厅, 郑州, 开封, 中原 exist among the test units
			t.Fatalf("demo sites %d %v", n, err)
		}
		if again, _ := LoadDemoSites(ctx, db); again != 0 {
			t.Fatalf("second load added %d", again)
		}
		if err := LoadDemoRounds(ctx, db, quietLog); err != nil {
			t.Fatal(err)
		}
		rounds, _ := ListRounds(ctx, db)
		if len(rounds) != 2 || !rounds[0].Demo || rounds[0].Jobs.Done != 4 {
			t.Fatalf("rounds %+v", rounds)
		}
		rank, _ := Ranking(ctx, db, rounds[0].ID, nil)
		if len(rank) != 4 || rank[0].InspectionID == 0 || rank[0].Pages < 150 {
			t.Fatalf("ranking %+v", rank)
		}
		info, r, err := GetInspection(ctx, db, rank[0].InspectionID)
		if err != nil || !info.Demo {
			t.Fatalf("inspection %+v %v", info, err)
		}
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), "127.0.0.1") || !strings.Contains(string(b), rank[0].Site.URL) {
			t.Fatalf("demo result keeps the local address or lacks the site's")
		}
		// The generated sites plant two broken homepage links each.
		if len(r.BrokenLinks) == 0 || !strings.HasPrefix(r.BrokenLinks[0].URL, rank[0].Site.URL) {
			t.Fatalf("broken links %+v", r.BrokenLinks)
		}
		// The result reads as made on the round's date, evidence included.
		if d := r.Started.Sub(rounds[0].CreatedAt); d < -time.Second || d > time.Second {
			t.Fatalf("started %s, round created %s", r.Started, rounds[0].CreatedAt)
		}
		if d := r.BrokenLinks[0].CheckedAt.Sub(rounds[0].CreatedAt); d < 0 || d > time.Minute {
			t.Fatalf("link checked %s, round created %s", r.BrokenLinks[0].CheckedAt, rounds[0].CreatedAt)
		}
		over, _ := ListProblems(ctx, db, ProblemFilter{OverdueAt: time.Now()})
		closed, _ := ListProblems(ctx, db, ProblemFilter{Status: ProblemClosed})
		if len(over) == 0 || len(closed) == 0 {
			t.Fatalf("demo workflow: %d overdue, %d closed", len(over), len(closed))
		}
		if err := LoadDemoRounds(ctx, db, quietLog); err != nil {
			t.Fatal(err)
		}
		if rounds, _ := ListRounds(ctx, db); len(rounds) != 2 {
			t.Fatalf("demo rounds built twice: %d", len(rounds))
		}
	})
}

// TestProbeLoop probes registered sites on a schedule and stores the
// results; demo sites are left alone.
func TestProbeLoop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		var hits atomic.Int64
		up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.Write([]byte("ok")) }))
		defer up.Close()
		down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) }))
		defer down.Close()
		a := mustSite(t, db, up.URL, "在线", KindCity, "4101")
		b := mustSite(t, db, down.URL, "故障", KindCity, "4102")
		LoadDemoSites(ctx, db)
		l := &ProbeLoop{DB: db, Interval: 200 * time.Millisecond, Reload: 100 * time.Millisecond, AllowPrivate: true, Log: quietLog}
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan struct{})
		go func() { l.Run(rctx); close(done) }()
		probes := func(id int64) []probe.Result {
			ps, err := Probes(ctx, db, id, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			return ps
		}
		// A site registered while the loop runs joins it.
		testwait.Until(t, "the first probe round", func() bool { return len(probes(a.ID)) > 0 })
		c := mustSite(t, db, up.URL+"/new", "新登记", KindCity, "4101")
		testwait.Until(t, "the new site probed and four rounds of the others", func() bool {
			return len(probes(c.ID)) > 0 && len(probes(a.ID)) >= 4 && len(probes(b.ID)) >= 4
		})
		cancel()
		<-done
		pa, pb := probes(a.ID), probes(b.ID)
		if !pa[0].OK || pb[0].OK || pb[0].Status != 503 {
			t.Fatalf("probes: up %d %+v, down %d %+v", len(pa), pa, len(pb), pb)
		}
		var total int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM webcheck_probe`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		if n, _ := l.Stats(); n < int64(total) {
			t.Fatalf("stats count %d probes, %d stored", n, total)
		}
		var demo int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM webcheck_probe p JOIN webcheck_site s ON s.id = p.site_id WHERE s.demo`).Scan(&demo); err != nil {
			t.Fatal(err)
		}
		if demo != 0 {
			t.Fatalf("%d probes of demo sites", demo)
		}
		s, _ := SiteAvailability(ctx, db, b.ID, time.Time{})
		if s.Percent != 100 || s.Last == nil {
			t.Fatalf("availability %+v", s)
		}
	})
}

// TestProbeLoopOneLeader: with several processes on one PostgreSQL
// database only one probes; when it stops, a waiting one takes over.
func TestProbeLoopOneLeader(t *testing.T) {
	db := storetest.Postgres(t)
	setupStore(t, db)
	ctx := context.Background()
	var hits atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.Write([]byte("ok")) }))
	defer up.Close()
	site := mustSite(t, db, up.URL, "在线", KindCity, "4101")
	newLoop := func() *ProbeLoop {
		return &ProbeLoop{DB: db, Interval: 200 * time.Millisecond, Reload: 100 * time.Millisecond, AllowPrivate: true, Log: quietLog}
	}
	actx, stopA := context.WithCancel(ctx)
	aDone := make(chan struct{})
	a := newLoop()
	go func() { a.Run(actx); close(aDone) }()
	// A probes, so it holds the lock.
	testwait.Until(t, "the first loop to probe", func() bool { n, _ := a.Stats(); return n > 0 })
	bctx, stopB := context.WithCancel(ctx)
	defer stopB()
	b := newLoop()
	bDone := make(chan struct{})
	go func() { b.Run(bctx); close(bDone) }()
	// While A probes three more rounds (B has looked for the lock
	// meanwhile: its Reload is shorter than A's Interval), B probes nothing.
	n0, _ := a.Stats()
	testwait.Until(t, "three more rounds of the leader", func() bool { n, _ := a.Stats(); return n >= n0+3 })
	if n, _ := b.Stats(); n != 0 {
		t.Fatalf("the standby loop probed %d times while the leader ran", n)
	}
	stopA()
	<-aDone
	before, err := Probes(ctx, db, site.ID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	testwait.Until(t, "the standby loop to take over and probe", func() bool { n, _ := b.Stats(); return n > 0 })
	stopB()
	<-bDone
	if final, _ := Probes(ctx, db, site.ID, time.Time{}); len(final) <= len(before) {
		t.Fatalf("nobody probed after the leader stopped: %d then %d probes", len(before), len(final))
	}
}

// TestPrivateSitesRefused: sites at loopback, private or link-local
// addresses are refused at registration, by form and by import (with row
// and column), unless the operator allows private addresses.
func TestPrivateSitesRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setupStore(t, db)
		ctx := context.Background()
		for _, u := range []string{"http://127.0.0.1:8080/", "http://10.1.2.3/", "http://192.168.0.1/", "http://169.254.169.254/", "http://[::1]/", "http://localhost/", "http://intranet.local/", "http://0.0.0.0/",
			"http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1:8080/", "http://[64:ff9b::7f00:1]/", "http://[2002:c0a8:101::1]/", "http://198.18.0.1/"} {
			_, err := CreateSite(ctx, db, testActor, SiteInput{URL: u, Name: "内网", Kind: "city", OrgCode: "4101"}, nil)
			var el i18n.Errors
			if !errors.As(err, &el) || len(el) != 1 || el[0].Field != "url" || !strings.Contains(el[0].Error(), "内部网络") {
				t.Fatalf("%s: %v", u, err)
			}
		}
		if _, err := CreateSite(ctx, db, testActor, SiteInput{URL: "http://127.0.0.1:8080/", Name: "内网", Kind: "city", OrgCode: "4101", AllowPrivate: true}, nil); err != nil {
			t.Fatalf("allowed private site refused: %v", err)
		}
		_, err := CreateSite(ctx, db, testActor, SiteInput{URL: "http://256.0.0.1/", Name: "坏", Kind: "city", OrgCode: "4101"}, nil)
		if el := (i18n.Errors{}); !errors.As(err, &el) || len(el) != 1 || !strings.Contains(el[0].Error(), "不是有效的地址") {
			t.Fatalf("numeric host that is no address: %v", err)
		}
		csv := "name,url,kind,owner code\n甲,http://203.0.113.9/,city,4101\n乙,http://10.0.0.8/,city,4101\n"
		_, err = ImportSites(ctx, db, testActor, "x.csv", strings.NewReader(csv), nil, false)
		var el i18n.Errors
		if !errors.As(err, &el) || len(el) != 1 || !strings.Contains(el[0].Error(), "第3行") || !strings.Contains(el[0].Error(), "内部网络") {
			t.Fatalf("import: %v", err)
		}
		if n := len(mustSites(t, db)); n != 1 {
			t.Fatalf("%d sites after a refused import, want the 1 allowed one", n)
		}
	})
}

func mustSites(t *testing.T, db *store.DB) []Site {
	t.Helper()
	ss, err := ListSites(context.Background(), db, SiteFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ss
}
