package i18n

import (
	"encoding/json"
	"errors"
	"testing"
	"testing/fstest"
	"time"
)

// TestKept: an error built from a catalogue entry is kept as its key and
// arguments and read back in either language, from the catalogue of the
// reader's release; an inline error and one whose arguments do not
// survive are kept as their texts; the location is kept.
func TestKept(t *testing.T) {
	if err := Register("kept-test", fstest.MapFS{"k.json": {Data: []byte(`{
		"kepttest.count": {"zh": "共有 %d 个站点无响应：%s", "en": "%d sites did not answer: %s"}}`)}}); err != nil {
		t.Fatal(err)
	}
	roundTrip := func(e *Error) Kept {
		t.Helper()
		b, err := json.Marshal(Keep(e))
		if err != nil {
			t.Fatal(err)
		}
		var k Kept
		if err := json.Unmarshal(b, &k); err != nil {
			t.Fatal(err)
		}
		return k
	}

	k := roundTrip(E("kepttest.count", 3, "a.gov.cn").Wrap(errors.New("dial tcp: refused")).At(4, "C"))
	if k.Key != "kepttest.count" || len(k.Args) != 2 {
		t.Fatalf("kept %+v", k)
	}
	if got := k.Message("en"); got != "row 4, column C: 3 sites did not answer: a.gov.cn" {
		t.Errorf("en: %q", got)
	}
	if got := k.Message("zh-CN"); got != "第4行「C」列：共有 3 个站点无响应：a.gov.cn" {
		t.Errorf("zh: %q", got)
	}
	// a catalogue entry reworded later is read in its new wording
	k.Args[0] = json.RawMessage("5")
	if got := k.Message("en"); got != "row 4, column C: 5 sites did not answer: a.gov.cn" {
		t.Errorf("re-rendered: %q", got)
	}
	// a key the reader's catalogue lacks falls back to the texts kept
	k.Key = "kepttest.gone"
	if got := k.Message("en"); got != "row 4, column C: 3 sites did not answer: a.gov.cn" {
		t.Errorf("dropped key: %q", got)
	}

	in := roundTrip(Errorf("站点 %s 无响应", "site %s did not answer", "b.gov.cn").AtPlace("crawl"))
	if in.Key != "" || in.Message("en") != "crawl: site b.gov.cn did not answer" || in.Message("zh-CN") != "crawl：站点 b.gov.cn 无响应" {
		t.Errorf("inline: %+v %q %q", in, in.Message("en"), in.Message("zh-CN"))
	}

	// an argument that does not come back as it went (a duration) keeps the texts
	odd := roundTrip(E("kepttest.count", 1, 2*time.Second))
	if odd.Key != "" || odd.Message("en") != "1 sites did not answer: 2s" {
		t.Errorf("odd argument: %+v %q", odd, odd.Message("en"))
	}
}

func TestSplitError(t *testing.T) {
	for _, c := range []struct{ in, zh, en string }{
		{"站点无响应 (site did not answer)", "站点无响应", "site did not answer"},
		{"第3行「B」列: 数值无效 (value (x) is invalid)", "第3行「B」列: 数值无效", "value (x) is invalid"},
		{"站点无响应 (site did not answer): dial tcp: refused", "站点无响应 (site did not answer): dial tcp: refused", "站点无响应 (site did not answer): dial tcp: refused"},
		{"dial tcp (ipv6): refused (x)", "dial tcp (ipv6): refused (x)", "dial tcp (ipv6): refused (x)"},
		{"站点无响应 (站点)", "站点无响应 (站点)", "站点无响应 (站点)"},
		{"", "", ""},
	} {
		if got := SplitError(c.in); got.Zh != c.zh || got.En != c.en {
			t.Errorf("SplitError(%q) = %+v", c.in, got)
		}
	}
}
