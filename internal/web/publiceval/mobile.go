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

// phone reports whether a browser says it runs on a phone.
func phone(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	if strings.Contains(ua, "ipad") || strings.Contains(ua, "tablet") {
		return false
	}
	return strings.Contains(ua, "iphone") || strings.Contains(ua, "mobile") || strings.Contains(ua, "micromessenger")
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
