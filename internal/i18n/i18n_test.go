package i18n

import (
	"testing"
	"testing/fstest"
)

func TestNegotiate(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "zh-CN"},
		{"en-US,en;q=0.9", "en"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"fr;q=1, en;q=0.5, zh;q=0.7", "zh-CN"},
		{"de", "zh-CN"},
	} {
		if got := Negotiate(c.in); got != c.want {
			t.Errorf("Negotiate(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	e := Errorf("未知的单位代码 %q", "unknown org unit code %q", "999").At(7, "B")
	if got := e.Message("en"); got != `row 7, column B: unknown org unit code "999"` {
		t.Errorf("en: %s", got)
	}
	if got := e.Message("zh-CN"); got != `第7行「B」列：未知的单位代码 "999"` {
		t.Errorf("zh: %s", got)
	}
}

func TestCatalogRejectsDuplicatesAndHalfTranslations(t *testing.T) {
	dup := fstest.MapFS{
		"catalog/a.json": {Data: []byte(`{"k": {"zh": "甲", "en": "a"}}`)},
		"catalog/b.json": {Data: []byte(`{"k": {"zh": "乙", "en": "b"}}`)},
	}
	if _, err := load(dup, "catalog/*.json", nil); err == nil {
		t.Error("duplicate key accepted")
	}
	half := fstest.MapFS{"catalog/a.json": {Data: []byte(`{"k": {"zh": "甲"}}`)}}
	if _, err := load(half, "catalog/*.json", nil); err == nil {
		t.Error("missing English accepted")
	}
	c, err := Catalog()
	if err != nil || c["app.name"].Zh == "" {
		t.Fatalf("embedded catalogue: %v", err)
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in     string
		zh, en string
	}{
		{"首页无法访问 / homepage unreachable", "首页无法访问", "homepage unreachable"},
		{"本机无IPv6路由，无法检测 / no IPv6 route: dial udp6 / x", "本机无IPv6路由，无法检测", "no IPv6 route: dial udp6 / x"},
		{"dial tcp6: connection refused", "dial tcp6: connection refused", "dial tcp6: connection refused"},
		{"a / b", "a / b", "a / b"},
		{"", "", ""},
	} {
		got := Split(c.in)
		if got.Zh != c.zh || got.En != c.en {
			t.Errorf("Split(%q) = %+v, want %q, %q", c.in, got, c.zh, c.en)
		}
	}
}
