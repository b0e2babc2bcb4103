package journey

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/period"
	"zhihui/internal/testwait"
	"zhihui/internal/webcheck"
)

// countySite is a small county government website served by the test on
// 127.0.0.1: a homepage with today's news and a broken link (政务公开
// leads nowhere) until fixed is set, when the page it points to exists.
func countySite(t *testing.T, fixed *atomic.Bool) *httptest.Server {
	today := time.Now().In(period.Shanghai).Format("2006-01-02")
	page := func(title, body string) string {
		return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>` + title + `</title></head><body>` +
			`<nav><a href="/">首页</a> <a href="/news/">要闻动态</a> <a href="/gkml/">政务公开</a></nav>` + body + `</body></html>`
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, page("测试县人民政府", `<h1>测试县人民政府</h1><h2>要闻动态</h2><ul><li><a href="/news/1.html">县政府召开常务会议</a> `+today+`</li></ul>`))
		case "/news/":
			fmt.Fprint(w, page("要闻动态", `<ul><li><a href="/news/1.html">县政府召开常务会议</a> `+today+`</li></ul>`))
		case "/news/1.html":
			fmt.Fprint(w, page("县政府召开常务会议", `<h1>县政府召开常务会议</h1><p>发布时间：`+today+`</p><p>会议研究了年度重点工作。</p>`))
		case "/gkml/":
			if !fixed.Load() {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, page("政务公开", `<ul><li><a href="/news/1.html">县政府召开常务会议</a> `+today+`</li></ul>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWebcheckEvaluatorAndOwner: the evaluator registers a county's
// website (a real server started by the test, reachable because the site
// runs with the operator's allow-private option), starts a round with a
// 15-day rectification deadline, waits for the crawl, reads the ranking
// and the report, where the broken homepage link is a problem assigned to
// the county with its deadline; the county's owner marks it fixed (and
// repairs the site); the evaluator re-inspects, and the problem is closed.
func TestWebcheckEvaluatorAndOwner(t *testing.T) {
	t.Parallel()
	Each(t, Options{Jobs: true, AllowPrivate: true}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		var fixed atomic.Bool
		site := countySite(t, &fixed)
		s.User("pinggu", "第三方评估员", auth.Evaluator, "41")
		s.User("zywz", "中原区网站管理员", auth.Reporter, "410102")

		ev := browser.NewTab(t, s.URL)
		ev.Login("pinggu", Password)
		ev.Follow("网站评估")
		ev.Follow("网站")
		ev.Fill("网站名称", "中原区人民政府")
		ev.Fill("URL", site.URL+"/")
		ev.Fill("主管单位代码", "410102")
		ev.Fill("类型", "县级网站")
		ev.Press("登记网站")
		ev.WaitText("中原区人民政府")
		sites, err := webcheck.ListSites(ctx, s.DB, webcheck.SiteFilter{})
		if err != nil || len(sites) != 1 || sites[0].OrgCode != "410102" || sites[0].URL != site.URL+"/" {
			t.Fatalf("stored sites: %+v %v", sites, err)
		}

		ev.Follow("概览")
		ev.Fill("批次名称", "2026年第四季度县级网站检查")
		ev.Fill("整改期限（天）", "15")
		ev.Fill("中原区人民政府", "on")
		ev.Press("开始检查")
		ev.WaitText("2026年第四季度县级网站检查")
		rounds, err := webcheck.ListRounds(ctx, s.DB)
		if err != nil || len(rounds) != 1 || rounds[0].DeadlineDays != 15 {
			t.Fatalf("stored rounds: %+v %v", rounds, err)
		}
		rid := rounds[0].ID
		testwait.Until(t, "the round's crawl", func() bool {
			rd, err := webcheck.GetRound(ctx, s.DB, rid)
			return err == nil && rd.Jobs.Finished()
		})
		if rd, _ := webcheck.GetRound(ctx, s.DB, rid); rd.Jobs.Done != 1 {
			t.Fatalf("round jobs %+v", rd.Jobs)
		}

		// The ranking: the 2019 score beside the 2015 verdict, and why.
		ev.Follow("概览")
		ev.Follow("2026年第四季度县级网站检查")
		for _, want := range []string{"2019年百分制得分", "2015年普查结论", "单项否决即为不合格", "查看报告"} {
			if !ev.Has(want) {
				t.Fatalf("the ranking does not say %q: %s", want, ev.Text("main"))
			}
		}
		ev.Follow("查看报告")
		ev.WaitText("首页不可用链接")
		if !ev.Has(site.URL + "/gkml/") {
			t.Fatalf("the report does not show the broken link: %s", ev.Text("main"))
		}
		// The problem is the county's, due in 15 days (the next working
		// day when that is a holiday).
		ps, err := webcheck.ListProblems(ctx, s.DB, webcheck.ProblemFilter{RoundID: rid})
		if err != nil {
			t.Fatal(err)
		}
		var broken *webcheck.Problem
		for i := range ps {
			if ps[i].Metric == "broken_links_home" {
				if broken != nil {
					t.Fatalf("the broken homepage link is more than one problem: %+v", ps)
				}
				broken = &ps[i]
			}
		}
		if broken == nil || broken.OrgCode != "410102" || broken.Status != webcheck.ProblemOpen ||
			broken.Deadline.Before(time.Now().AddDate(0, 0, 14)) || broken.Deadline.After(time.Now().AddDate(0, 0, 30)) {
			t.Fatalf("the broken link's problem: %+v", broken)
		}
		due := broken.Deadline.In(period.Shanghai).Format("2006-01-02")
		if !ev.Has(due) {
			t.Fatalf("the report does not show the deadline %s", due)
		}

		// The county marks it fixed, having repaired its site.
		owner := browser.NewTab(t, s.URL)
		owner.Login("zywz", Password)
		owner.Follow("网站评估")
		owner.Follow("整改问题")
		owner.WaitText("首页不可用链接")
		fixed.Store(true)
		owner.Fill("整改说明", "已恢复政务公开栏目页面", "首页不可用链接")
		owner.Press("标记已整改", "首页不可用链接")
		owner.WaitText("已恢复政务公开栏目页面")
		if p, err := webcheck.GetProblem(ctx, s.DB, broken.ID); err != nil || p.Status != webcheck.ProblemFixed || p.FixedBy == "" {
			t.Fatalf("after the owner's fix: %+v %v", p, err)
		}

		// The evaluator re-inspects from the site's page.
		ev.Follow("网站")
		ev.Follow("中原区人民政府")
		ev.WaitText("已恢复政务公开栏目页面")
		ev.Press("重新检测确认", "首页不可用链接")
		testwait.Until(t, "the re-inspection", func() bool {
			p, err := webcheck.GetProblem(ctx, s.DB, broken.ID)
			return err == nil && p.Status != webcheck.ProblemFixed
		})
		p, err := webcheck.GetProblem(ctx, s.DB, broken.ID)
		if err != nil || p.Status != webcheck.ProblemClosed || p.CheckedAt == nil {
			t.Fatalf("after the re-inspection: %+v %v", p, err)
		}
		ev.Follow("网站")
		ev.Follow("中原区人民政府")
		row := ev.Text("#problem-" + fmt.Sprint(broken.ID))
		if !strings.Contains(row, "已销号") {
			t.Fatalf("the problem's row after the re-inspection: %s", row)
		}
		ev.Screenshots()
	})
}
