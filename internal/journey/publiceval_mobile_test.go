package journey

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	goqr "github.com/piglig/go-qr"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/publiceval"
)

const iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"

// TestPublicEvaluationMobile: the office downloads a service's QR code
// from 好差评 → 设置; a visitor's phone opens the page it encodes and
// rates from there, and another phone visitor rates from the home page
// through 公众评价; both ratings are stored on the mobile channel and the
// statistics list them under 移动端, apart from a desktop rating.
func TestPublicEvaluationMobile(t *testing.T) {
	t.Parallel()
	var keys sync.Map // *Site → the service's key, one per store
	Each(t, Options{Seed: func(ctx context.Context, s *Site) error {
		tg, err := publiceval.AddTarget(ctx, s.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "公积金提取", OrgCode: "410102"},
			func(string) bool { return true })
		if err == nil {
			keys.Store(s, tg.Key)
		}
		return err
	}}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息办", auth.Office, "41")
		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.Follow("好差评")
		office.Follow("设置")
		qr, ctype := office.Download("下载二维码", "公积金提取")
		img, err := png.Decode(bytes.NewReader(qr))
		if ctype != "image/png" || err != nil {
			t.Fatalf("qr code: %q %v", ctype, err)
		}
		text, err := goqr.Decode(img)
		if err != nil {
			t.Fatalf("the QR code does not decode: %v", err)
		}
		key, _ := keys.Load(s)
		u, err := url.Parse(text)
		if err != nil || u.Path != fmt.Sprint("/rate/", key) || u.Query().Get("via") != "mobile" {
			t.Fatalf("the QR code opens %q", text)
		}

		phone := func() *browser.Tab {
			b := browser.NewTab(t, s.URL)
			b.Size(390, 844)
			ua := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: iPhone})
				return err
			})
			if err := chromedp.Do(b.Context(), ua); err != nil {
				t.Fatal(err)
			}
			return b
		}
		// scanned: the phone opens what the code says
		scan := phone()
		scan.Open(u.RequestURI())
		scan.Fill("满意", "on")
		scan.Fill("意见建议", "扫码就能评价，很方便")
		scan.Press("提交评价")
		scan.WaitText("感谢您的评价")

		// browsed: from the home page
		walk := phone()
		walk.Home()
		walk.Click("菜单")
		walk.WaitFor("the menu to open", `document.getElementById("sidenav").getBoundingClientRect().left >= 0`)
		walk.Follow("公众评价")
		walk.Follow("评价", "公积金提取")
		walk.Fill("非常满意", "on")
		walk.Press("提交评价")
		walk.WaitText("感谢您的评价")
		if walk.ScrollsSideways() {
			t.Error("the rating page scrolls sideways on a phone")
		}

		desk := browser.NewTab(t, s.URL)
		desk.Home()
		desk.Follow("公众评价")
		desk.Follow("评价", "公积金提取")
		desk.Fill("基本满意", "on")
		desk.Press("提交评价")
		desk.WaitText("感谢您的评价")

		rows, err := s.DB.R.QueryContext(ctx, `SELECT channel, level FROM publiceval_rating ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var c string
			var l int
			if err := rows.Scan(&c, &l); err != nil {
				t.Fatal(err)
			}
			got = append(got, c+"/"+string(rune('0'+l)))
		}
		rows.Close()
		if len(got) != 3 || got[0] != "mobile/4" || got[1] != "mobile/5" || got[2] != "web/3" {
			t.Fatalf("stored ratings %v", got)
		}
		office.Follow("好差评统计")
		if !office.Has("移动端（扫码、手机）") {
			t.Fatalf("the statistics do not list the mobile channel: %s", office.Text("main"))
		}
	})
}
