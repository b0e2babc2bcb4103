package publiceval

import (
	"net/http"
	"net/url"
	"strings"

	goqr "github.com/piglig/go-qr"

	dom "zhihui/internal/publiceval"
)

// The mobile channel (移动端, H5): the hosted rating page on a phone. Each
// target has a QR code, printed at service windows and on notices, that
// opens its rating page with ?via=mobile; ratings sent from there, or
// from the page opened in a phone's browser, are stored on the mobile
// channel.

// baseURL is this server as the caller reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// MobilePath is the path a target's QR code opens.
func MobilePath(key string) string {
	return "/rate/" + url.PathEscape(key) + "?" + url.Values{"via": {"mobile"}}.Encode()
}

// QRPath is the path of a target's QR code image.
func QRPath(key string) string { return "/rate/" + url.PathEscape(key) + "/qr.png" }

// QRCode is the PNG of a QR code for text (error correction M, 8 pixels
// a module, the standard four-module quiet zone).
func QRCode(text string) ([]byte, error) {
	q, err := goqr.EncodeText(text, goqr.Medium)
	if err != nil {
		return nil, err
	}
	return q.ToPNGBytes(goqr.NewQrCodeImgConfig(8, 4))
}

// qr serves the QR code of a target's mobile rating page.
func (h *handlers) qr(w http.ResponseWriter, r *http.Request) error {
	t, err := dom.Resolve(r.Context(), h.k.DB, r.PathValue("key"))
	if err != nil {
		return refuse(err)
	}
	png, err := QRCode(baseURL(r) + MobilePath(t.Key))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Add("Vary", "Host")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="rate-`+t.Key+`-qr.png"`)
	}
	_, err = w.Write(png)
	return err
}

// phone reports whether a browser's User-Agent says it runs on a phone
// (ratings from it go on the mobile channel). Tablets (iPad, Android
// without "Mobile", "Tablet", Kindle) and the desktop apps of WeChat and
// other messengers are not phones; iPhone, iPod, Android phones, Windows
// Phone, HarmonyOS phones, Opera Mini and the in-app browsers of WeChat
// (MicroMessenger), Alipay and DingTalk on those are. Case does not
// matter; an empty or unknown agent is not a phone.
func phone(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(ua, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("ipad", "tablet", "kindle", "silk/", "playbook"):
		return false
	case has("windowswechat", "macwechat", "wechat/win", "windows nt", "macintosh", "x11; linux", "cros"):
		// desktops, and WeChat's desktop app (it says MicroMessenger too);
		// a phone's UA never names a desktop system
		return has("windows phone")
	case has("iphone", "ipod", "windows phone", "opera mini", "phone;"):
		return true
	case has("android"):
		// Android tablets leave out "Mobile"
		return has("mobile")
	}
	return has("mobile", "micromessenger", "alipayclient", "dingtalk")
}

// channelOf is the channel of a rating sent through the hosted page's form.
func channelOf(r *http.Request) string {
	switch {
	case r.PostFormValue("via") == "widget":
		return dom.ChannelWidget
	case r.PostFormValue("via") == "mobile" || phone(r.UserAgent()):
		return dom.ChannelMobile
	}
	return dom.ChannelWeb
}
