package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/store/storetest"
)

// leakedEnglish are words and signs that must not reach a reader of the
// Chinese interface: enumeration values, method names, audit actions,
// comparison signs and formula syntax that earlier versions printed as
// stored.
var leakedEnglish = regexp.MustCompile(`\b(medium|high|low|yearly|monthly|quarterly|county|village|township|goalpost|goalposts|explicit|arithmetic|geometric|environment|login|create|update|delete|draft|submitted|approved|returned|true|false|null)\b|\(yearly\)|\+\d+d\b|>=|<=|#\{|以上%|\{"`)

// visibleText is what a reader sees of a page: no scripts, styles, code
// (YAML and formula editors, identifiers in <code>), text marked English,
// tags or attributes.
func visibleText(page string) string {
	for _, tag := range []string{"script", "style", "textarea", "pre", "code"} {
		re := regexp.MustCompile(`(?is)<` + tag + `\b.*?</` + tag + `>`)
		page = re.ReplaceAllString(page, " ")
	}
	// text marked as English (an English name beside the Chinese one)
	for _, tag := range []string{"dd", "span", "p", "q", "td"} {
		re := regexp.MustCompile(`(?is)<` + tag + `\b[^>]*\blang="en"[^>]*>.*?</` + tag + `>`)
		page = re.ReplaceAllString(page, " ")
	}
	page = regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(page, " ")
	return html.UnescapeString(page)
}

// TestChinesePagesHaveNoEnglishLeaks renders the main pages in zh-CN as
// the administrator (who sees every menu) after a few audited writes and
// fails on any leaked English token.
func TestChinesePagesHaveNoEnglishLeaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	admin, _ := e.user(t, "root", auth.Admin, "41")
	c := e.session(t, admin)
	if rec := e.do(t, c, "POST", "/admin/users", url.Values{"name": {"frank"}, "display_name": {"张三"}, "password": {"frank-password"}, "role": {"approver"}, "org": {"4103"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("create user: %d", rec.Code)
	}
	// Audited changes of the kinds the log shows: a state change, a
	// yes/no field, a time.
	ctx := context.Background()
	if err := audit.Record(ctx, e.db.W, audit.Actor{Name: "root"}, "submitted", "report", "VILLAGE_MONTHLY/410102001001/202401", "/41/4101/410102/",
		map[string]any{"state": "draft", "published": false}, map[string]any{"state": "submitted", "published": true, "submitted_at": "2024-02-01T02:30:00Z"}); err != nil {
		t.Fatal(err)
	}
	if err := audit.Record(ctx, e.db.W, audit.Actor{Name: "root"}, "save", "rule", "X", "", nil,
		map[string]any{"importance": "medium", "period_type": "yearly", "op": "<="}); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/dashboard", "/plan", "/plan/targets/RURAL_INFO_VILLAGE_COVERAGE", "/plan/targets/ONLINE_PERMIT_RATE",
		"/plan/targets/BB_URBAN_CAP", "/monitor", "/monitor/elements", "/monitor/indicators", "/reporting/datasets", "/reporting/datasets/VILLAGE_MONTHLY",
		"/reporting/rules", "/evaluate/frameworks", "/evaluate/frameworks/two-integration-region", "/evaluate/frameworks/city-informatization",
		"/admin/audit", "/admin/users", "/orgunits/41", "/account", "/public"}
	for _, p := range pages {
		rec := e.do(t, c, "GET", p, nil)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: %d", p, rec.Code)
			continue
		}
		text := visibleText(rec.Body.String())
		if m := leakedEnglish.FindAllStringIndex(text, 5); m != nil {
			var leaks []string
			for _, ix := range m {
				from, to := max(0, ix[0]-40), min(len(text), ix[1]+40)
				leaks = append(leaks, strings.Join(strings.Fields(text[from:to]), " "))
			}
			t.Errorf("%s shows English in Chinese: %q", p, leaks)
		}
	}
	// The audit log says the changes in words.
	body := e.do(t, c, "GET", "/admin/audit", nil).Body.String()
	for _, want := range []string{"提交审核", "报表", "<dt>状态</dt>", "草稿", "已提交", "2024-02-01 10:30:00", "<dt>重要程度</dt>", "<dd>中</dd>", "<dd>年报</dd>"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}
