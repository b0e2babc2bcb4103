// Package neterr says in words, Chinese and English, what a network
// error means to a site owner: "dial tcp 10.1.2.3:443: connect:
// connection refused" becomes 服务器拒绝连接 / the server refused the
// connection. The original text is kept after the words for whoever
// needs it.
package neterr

import (
	"strings"

	"zhihui/internal/i18n"
)

// rules are matched in order on the lower-cased error text.
var rules = []struct {
	any []string
	t   i18n.Text
}{
	{[]string{"private network", "private address", "loopback", "not allowed to reach"}, i18n.Text{Zh: "地址指向内部网络，未获允许访问", En: "the address is on a private network, which may not be reached"}},
	{[]string{"no such host", "server misbehaving", "nxdomain"}, i18n.Text{Zh: "域名无法解析（域名不存在或DNS故障）", En: "the domain name does not resolve (no such domain, or a DNS failure)"}},
	{[]string{"connection refused"}, i18n.Text{Zh: "服务器拒绝连接（该端口没有提供网站服务）", En: "the server refused the connection (no web service on that port)"}},
	{[]string{"connection reset", "broken pipe"}, i18n.Text{Zh: "连接被服务器中断", En: "the server broke off the connection"}},
	{[]string{"network is unreachable", "no route to host", "host is down"}, i18n.Text{Zh: "网络不可达", En: "the network cannot reach the server"}},
	{[]string{"timeout", "deadline exceeded", "timed out"}, i18n.Text{Zh: "访问超时（服务器在规定时间内没有响应）", En: "timed out (the server did not answer in time)"}},
	{[]string{"certificate has expired", "certificate is not yet valid"}, i18n.Text{Zh: "HTTPS证书已过期或尚未生效", En: "the HTTPS certificate has expired or is not yet valid"}},
	{[]string{"certificate is valid for", "not valid for any names", "doesn't contain any ip sans"}, i18n.Text{Zh: "HTTPS证书与网站域名不符", En: "the HTTPS certificate is for another name"}},
	{[]string{"unknown authority", "x509", "certificate"}, i18n.Text{Zh: "HTTPS证书不受信任", En: "the HTTPS certificate is not trusted"}},
	{[]string{"tls", "handshake"}, i18n.Text{Zh: "HTTPS加密连接建立失败", En: "the HTTPS connection could not be set up"}},
	{[]string{"redirects"}, i18n.Text{Zh: "跳转次数过多（可能循环跳转）", En: "too many redirects (perhaps a loop)"}},
	{[]string{"eof", "malformed http", "unexpected end"}, i18n.Text{Zh: "服务器未返回完整的网页就断开了连接", En: "the server closed the connection before a complete answer"}},
	{[]string{"too large", "too long"}, i18n.Text{Zh: "网页过大，超出检查上限", En: "the page is larger than the inspection allows"}},
}

// Words says what the error text err means, in both languages, followed
// by the original text in brackets; an empty err gives an empty text and
// an unknown one is kept as it is.
func Words(err string) i18n.Text {
	err = strings.TrimSpace(err)
	if err == "" {
		return i18n.Text{}
	}
	low := strings.ToLower(err)
	for _, r := range rules {
		for _, a := range r.any {
			if strings.Contains(low, a) {
				return i18n.Text{Zh: r.t.Zh + "（" + err + "）", En: r.t.En + " (" + err + ")"}
			}
		}
	}
	return i18n.Text{Zh: "无法访问（" + err + "）", En: "could not be reached (" + err + ")"}
}
