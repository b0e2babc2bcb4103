package neterr

import (
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	for _, c := range []struct{ err, zh, en string }{
		{`Get "http://10.1.2.3/": dial tcp 10.1.2.3:80: connect: connection refused`, "服务器拒绝连接", "refused the connection"},
		{`dial tcp: lookup www.nowhere.gov.cn on 127.0.0.53:53: no such host`, "域名无法解析", "does not resolve"},
		{`Get "https://a.gov.cn/": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, "访问超时", "timed out"},
		{`tls: failed to verify certificate: x509: certificate has expired or is not yet valid`, "已过期", "expired"},
		{`x509: certificate signed by unknown authority`, "不受信任", "not trusted"},
		{`read tcp 1.2.3.4:5->6.7.8.9:443: read: connection reset by peer`, "中断", "broke off"},
		{`stopped after 10 redirects`, "跳转次数过多", "too many redirects"},
		{`unexpected EOF`, "断开了连接", "closed the connection"},
		{`something odd`, "无法访问", "could not be reached"},
	} {
		w := Words(c.err)
		if !strings.Contains(w.Zh, c.zh) || !strings.Contains(w.En, c.en) || !strings.Contains(w.Zh, c.err) || !strings.Contains(w.En, c.err) {
			t.Errorf("Words(%q) = %+v, want %q / %q with the original", c.err, w, c.zh, c.en)
		}
	}
	if w := Words("  "); w.Zh != "" || w.En != "" {
		t.Errorf("empty error: %+v", w)
	}
}

func FuzzWords(f *testing.F) {
	f.Add("dial tcp 10.0.0.1:443: connect: connection refused")
	f.Add("")
	f.Fuzz(func(t *testing.T, err string) {
		w := Words(err)
		if strings.TrimSpace(err) != "" && (w.Zh == "" || w.En == "" || !strings.Contains(w.En, strings.TrimSpace(err))) {
			t.Fatalf("Words(%q) = %+v", err, w)
		}
	})
}
