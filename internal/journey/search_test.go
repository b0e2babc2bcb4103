package journey

import (
	"context"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/search"
	"zhihui/internal/webcheck"
)

// searchSeed registers a website for 郑州市 and one for 开封市.
func searchSeed(ctx context.Context, s *Site) error {
	for _, in := range []webcheck.SiteInput{
		{URL: "http://www.zhengzhou.gov.cn", Name: "郑州市人民政府网", Kind: "city", OrgCode: "4101"},
		{URL: "http://www.kaifeng.gov.cn", Name: "开封市人民政府网（郑汴一体化）", Kind: "city", OrgCode: "4102"},
	} {
		if _, err := webcheck.CreateSite(ctx, s.DB, audit.System, in, nil); err != nil {
			return err
		}
	}
	return nil
}

// TestSearchScoped: what the header's search finds for whom. Units,
// targets, indicators and elements are for every account; sites only
// within the caller's units; accounts only for administrators, within
// theirs; every kind bounded, the query cut to its longest.
func TestSearchScoped(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: searchSeed}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		kfRep := s.User("kf-rep", "开封填报员", auth.Reporter, "4102")
		zzRep := s.User("zz-rep", "郑州填报员", auth.Reporter, "4101")
		zzAdmin := s.User("zz-admin", "郑州管理员", auth.Admin, "4101")
		find := func(u *auth.User, q string) map[string]search.Group {
			t.Helper()
			res, err := search.Search(ctx, s.DB, &auth.Principal{User: u}, q, "zh-CN")
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]search.Group{}
			for _, g := range res.Groups {
				if len(g.Hits) == 0 || len(g.Hits) > search.PerKind {
					t.Errorf("%s: group %s has %d hits", q, g.Kind, len(g.Hits))
				}
				out[g.Kind] = g
			}
			return out
		}
		titles := func(g search.Group) string {
			var ts []string
			for _, h := range g.Hits {
				ts = append(ts, h.Title+"|"+h.Meta+"|"+h.Link)
			}
			return strings.Join(ts, "; ")
		}

		// 开封's reporter finds 郑州市 the unit, not 郑州's website; its own
		// site matches 郑 too.
		g := find(kfRep, "郑")
		if !strings.Contains(titles(g[search.Units]), "郑州市|河南省|/orgunits/4101") {
			t.Errorf("units for 郑: %s", titles(g[search.Units]))
		}
		if got := titles(g[search.Sites]); strings.Contains(got, "郑州市人民政府网") || !strings.Contains(got, "开封市人民政府网") {
			t.Errorf("开封's reporter sees sites %q", got)
		}
		if _, ok := g[search.Users]; ok {
			t.Error("a reporter found accounts")
		}
		// Targets, indicators and elements by name.
		g = find(zzRep, "宽带")
		for _, k := range []string{search.Targets, search.Indicators, search.Elements} {
			if len(g[k].Hits) == 0 {
				t.Errorf("nothing of kind %s for 宽带", k)
			}
		}
		if !strings.Contains(titles(g[search.Indicators]), "/monitor?dx=") {
			t.Errorf("indicators do not link to their analytics: %s", titles(g[search.Indicators]))
		}
		// Accounts: an administrator of 郑州 finds 郑州's reporter, not
		// 开封's.
		g = find(zzAdmin, "填报员")
		if got := titles(g[search.Users]); !strings.Contains(got, "郑州填报员|zz-rep") || strings.Contains(got, "开封填报员") {
			t.Errorf("accounts for 郑州's administrator: %q", got)
		}
		// Bounded: 村 names thousands of villages.
		g = find(zzRep, "村")
		if len(g[search.Units].Hits) != search.PerKind || !g[search.Units].More {
			t.Errorf("村: %d units, more=%v", len(g[search.Units].Hits), g[search.Units].More)
		}
		if res, _ := search.Search(ctx, s.DB, &auth.Principal{User: zzRep}, "  ", "zh-CN"); len(res.Groups) != 0 {
			t.Errorf("an empty query found %v", res.Groups)
		}
		if q := search.Clean(strings.Repeat("郑", 80)); len([]rune(q)) != search.MaxQuery {
			t.Errorf("a long query is kept at %d characters", len([]rune(q)))
		}
	})
}

// TestSearchFromHeader: a city's office user types 郑州 into the search
// box in the header and presses 搜索; the results are grouped (units with
// the path above them, the city's website) and the user follows the
// city to its page. On a phone the box is there too: 宽带 finds the
// broadband indicators, and following one opens its analytics. No page
// scrolls sideways.
func TestSearchFromHeader(t *testing.T) {
	t.Parallel()
	Each(t, Options{Seed: searchSeed}, func(t *testing.T, s *Site) {
		s.User("zz-office", "郑州市信息化办公室", auth.Office, "4101")
		b := browser.NewTab(t, s.URL)
		b.Login("zz-office", Password)
		b.Fill("搜索单位、目标、指标、网站", "郑州")
		b.Press("搜索")
		b.WaitText("与“郑州”相关的结果")
		for _, want := range []string{"单位", "郑州市 河南省", "网站", "郑州市人民政府网"} {
			if !b.Has(want) {
				t.Errorf("results lack %q: %s", want, b.Text("main"))
			}
		}
		if b.Has("开封市人民政府网") {
			t.Errorf("a site outside the user's city is listed: %s", b.Text("main"))
		}
		b.Follow("郑州市", "郑州市 河南省")
		b.WaitText("郑州市")
		if !strings.HasPrefix(b.Path(), "/orgunits/4101") {
			t.Errorf("the result led to %s", b.Path())
		}

		b.Size(390, 844)
		b.Fill("搜索单位、目标、指标、网站", "宽带")
		b.Press("搜索")
		b.WaitText("与“宽带”相关的结果")
		if b.ScrollsSideways() {
			t.Error("the results scroll sideways on a phone")
		}
		b.Follow("行政村通宽带比例")
		b.WaitText("信息化监测")
		if got := b.Value("数据元或指标代码"); got != "BB_VILLAGE_RATE" || !strings.HasPrefix(b.Path(), "/monitor?") {
			t.Errorf("the indicator led to %s with %q chosen", b.Path(), got)
		}
		if b.ScrollsSideways() {
			t.Error("the analytics page scrolls sideways on a phone")
		}
		b.Screenshots()
	})
}
