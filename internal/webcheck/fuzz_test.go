package webcheck

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
	"zhihui/internal/i18n"
)

// FuzzReadSiteRows feeds arbitrary bytes to the site list reader: it must
// return rows or user errors (with both languages), never panic, and the
// rows it accepts must parse into at most as many sites as rows.
func FuzzReadSiteRows(f *testing.F) {
	f.Add("sites.csv", []byte("网站名称,网址,主管单位代码,类型\n郑州市人民政府,www.zhengzhou.gov.cn,4101,city\n"))
	f.Add("sites.csv", []byte("\xef\xbb\xbfname,url,owner code,kind\r\n\"a,b\",http://x/,41,portal\r\n"))
	f.Add("sites.csv", []byte("a,\"b\n"))
	f.Add("sites.xlsx", []byte("PK\x03\x04garbage"))
	f.Add("x.csv", []byte("name,url,kind\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		rows, err := ReadSiteRows(name, strings.NewReader(string(data)))
		if err != nil {
			var el i18n.Errors
			if errors.As(err, &el) {
				for _, e := range el {
					if e.Zh == "" || e.En == "" {
						t.Fatalf("error without both languages: %+v", e)
					}
				}
			}
			return
		}
		ins, lines, err := ParseSiteRows(rows)
		if err != nil {
			var el i18n.Errors
			if !errors.As(err, &el) || len(el) == 0 {
				t.Fatalf("parse error is not a user error: %v", err)
			}
			return
		}
		if len(ins) > len(rows) || len(ins) != len(lines) {
			t.Fatalf("%d sites from %d rows (%d line numbers)", len(ins), len(rows), len(lines))
		}
		for i, l := range lines {
			if l < 1 || l > len(rows) || (i > 0 && l <= lines[i-1]) {
				t.Fatalf("line numbers %v", lines)
			}
		}
		for _, in := range ins {
			if u, ok := NormalizeSiteURL(in.URL); ok && !utf8.ValidString(u) && utf8.ValidString(in.URL) {
				t.Fatalf("normalised URL %q is not UTF-8", u)
			}
		}
	})
}
