package crawl

import (
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// Decode converts an HTML body to UTF-8. The encoding comes from the
// Content-Type header, a BOM or a <meta charset> in the first 1024 bytes.
// When none of these is present the body is taken as UTF-8 if it is valid
// UTF-8 and as GB18030 (a superset of GBK and GB2312) otherwise — the usual
// case for older Chinese government pages — rather than windows-1252, the
// HTML standard's Western default. It returns the decoded body and the name
// of the encoding used.
func Decode(body []byte, contentType string) ([]byte, string) {
	head := body
	if len(head) > 1024 {
		head = head[:1024]
	}
	enc, name, certain := charset.DetermineEncoding(head, contentType)
	if !certain && name == "windows-1252" {
		if validUTF8Prefix(body) {
			return body, "utf-8"
		}
		enc, name = simplifiedchinese.GB18030, "gb18030"
	}
	switch name {
	case "gbk", "gb2312":
		// GB18030 decodes GBK and GB2312 text identically and also the
		// extension characters sites use by mistake under those labels.
		enc, name = simplifiedchinese.GB18030, "gb18030"
	}
	if enc == unicode.UTF8 || enc == encoding.Nop || name == "utf-8" {
		return body, "utf-8"
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return body, name
	}
	return out, name
}

// validUTF8Prefix is utf8.Valid tolerating a rune cut off at the end by the
// body size cap.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}
