package publiceval_test

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	goqr "github.com/piglig/go-qr"

	"zhihui/internal/journey"
	dom "zhihui/internal/publiceval"
)

// TestMobileChannel: a target's QR code decodes to its rating page with
// ?via=mobile on this server; the page opened from it
// sends ratings on the mobile channel, as does the plain page in a
// phone's browser, while a desktop browser's stay on the rating page
// channel; the statistics count them per channel; an unknown target has
// no QR code.
func TestMobileChannel(t *testing.T) {
	for _, st := range []journey.Store{journey.SQLite, journey.Postgres} {
		t.Run(string(st), func(t *testing.T) {
			s, key := site(t, st)
			h := s.Handler()
			ctx := context.Background()

			req := func(method, target, body string, hdr map[string]string) *http.Response {
				ct := ""
				if body != "" {
					ct = "application/x-www-form-urlencoded"
				}
				rec := do(h, method, target, ct, body, hdr)
				return rec.Result()
			}
			res := req("GET", "/rate/"+key+"/qr.png", "", nil)
			img, err := png.Decode(res.Body)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" || err != nil {
				t.Fatalf("qr: %d %q %v", res.StatusCode, res.Header.Get("Content-Type"), err)
			}
			text, err := goqr.Decode(img)
			if err != nil {
				t.Fatalf("the QR code does not decode: %v", err)
			}
			u, err := url.Parse(text)
			if err != nil || u.Path != "/rate/"+key || u.Query().Get("via") != "mobile" || u.Host == "" {
				t.Fatalf("the QR code says %q", text)
			}
			if res := req("GET", "/rate/service-999999/qr.png", "", nil); res.StatusCode != http.StatusNotFound {
				t.Fatalf("unknown target's qr: %d", res.StatusCode)
			}
			// the page the code opens carries the channel in its form
			res = req("GET", u.RequestURI(), "", nil)
			var page bytes.Buffer
			page.ReadFrom(res.Body)
			if !strings.Contains(page.String(), `name="via" value="mobile"`) {
				t.Fatalf("the mobile page's form has no channel: %s", page.String())
			}
			iphone := map[string]string{"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"}
			desktop := map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0"}
			for _, c := range []struct {
				form url.Values
				hdr  map[string]string
			}{
				{url.Values{"level": {"5"}, "via": {"mobile"}}, desktop},
				{url.Values{"level": {"4"}}, iphone},
				{url.Values{"level": {"3"}}, desktop},
			} {
				if res := req("POST", "/rate/"+key, c.form.Encode(), c.hdr); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("rate %v: %d", c.form, res.StatusCode)
				}
			}
			var chans []string
			rows, err := s.DB.R.QueryContext(ctx, `SELECT channel FROM publiceval_rating ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
				chans = append(chans, c)
			}
			rows.Close()
			if strings.Join(chans, ",") != "mobile,mobile,web" {
				t.Fatalf("channels %v", chans)
			}
			p, _ := dom.ParsePeriod(dom.MonthOf(time.Now())[:4])
			by, err := dom.ByChannel(ctx, s.DB, "/41/", p)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, c := range by {
				got[c.Channel] = c.Total
			}
			if got[dom.ChannelMobile] != 2 || got[dom.ChannelWeb] != 1 {
				t.Fatalf("by channel %+v", by)
			}
		})
	}
}
