package webcheck

import (
	"encoding/json"
	"testing"

	"zhihui/internal/i18n"
)

// TestReadsEarlierBilingualStrings: results and problems stored by earlier
// releases held the inspection's own statements as one "中文 / English"
// string; they read back as texts in both languages, and what this release
// writes reads back unchanged.
func TestReadsEarlierBilingualStrings(t *testing.T) {
	t.Parallel()
	var r Result
	old := `{"ipv6": {"status": "unknown", "reason": "本机无IPv6路由，无法检测 / no IPv6 route from this machine: dial udp6: network is unreachable"},
		"metrics": {"no_hsts": {"value": 0, "known": false, "note": "无有效HTTPS / no valid HTTPS"}, "tls_invalid": {"value": 1, "known": true}}}`
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if want := (i18n.Text{Zh: "本机无IPv6路由，无法检测", En: "no IPv6 route from this machine: dial udp6: network is unreachable"}); r.IPv6.Reason != want || r.IPv6.Status != IPv6Unknown {
		t.Errorf("ipv6 %+v", r.IPv6)
	}
	if m := r.Metrics["no_hsts"]; m.Note != (i18n.Text{Zh: "无有效HTTPS", En: "no valid HTTPS"}) || m.Known {
		t.Errorf("no_hsts %+v", m)
	}
	if m := r.Metrics["tls_invalid"]; m.Note != (i18n.Text{}) || !m.Known || m.Value != 1 {
		t.Errorf("tls_invalid %+v", m)
	}

	var ev []Evidence
	oldEv := `[{"url": "https://a.gov.cn/", "snippet": "缺少 / missing Strict-Transport-Security"},
		{"url": "https://a.gov.cn/", "snippet": "证书到期 / expires 2026-01-31"},
		{"url": "https://a.gov.cn/", "status": 200, "snippet": "首页未找到政府网站标识码 / no site code"},
		{"url": "https://a.gov.cn/a/1.html", "snippet": "首页 / 新闻：2020-01-01"}]`
	if err := json.Unmarshal([]byte(oldEv), &ev); err != nil {
		t.Fatal(err)
	}
	want := []Evidence{
		{URL: "https://a.gov.cn/", Note: i18n.Text{Zh: "缺少 Strict-Transport-Security", En: "missing Strict-Transport-Security"}},
		{URL: "https://a.gov.cn/", Note: i18n.Text{Zh: "证书到期 2026-01-31", En: "expires 2026-01-31"}},
		{URL: "https://a.gov.cn/", Status: 200, Note: i18n.Text{Zh: "首页未找到政府网站标识码", En: "no site code"}},
		{URL: "https://a.gov.cn/a/1.html", Snippet: "首页 / 新闻：2020-01-01"}, // text of the site stays as found
	}
	if len(ev) != len(want) {
		t.Fatalf("%d evidence, want %d", len(ev), len(want))
	}
	for i := range want {
		if ev[i].URL != want[i].URL || ev[i].Status != want[i].Status || ev[i].Snippet != want[i].Snippet || ev[i].Note != want[i].Note {
			t.Errorf("evidence %d = %+v, want %+v", i, ev[i], want[i])
		}
	}

	var cols []Column
	if err := json.Unmarshal([]byte(`[{"title": "通知公告", "status": "empty", "snippet": "无带日期的条目 / no dated items"},
		{"title": "政务要闻", "status": "ok", "snippet": "关于…的通知 / 附件"}]`), &cols); err != nil {
		t.Fatal(err)
	}
	if cols[0].Note != (i18n.Text{Zh: "无带日期的条目", En: "no dated items"}) || cols[0].Snippet != "" || cols[1].Snippet != "关于…的通知 / 附件" || cols[1].Note != (i18n.Text{}) {
		t.Errorf("columns %+v", cols)
	}

	// this release's shape round-trips
	b, err := json.Marshal(Result{IPv6: IPv6Info{Status: IPv6NoAAAA, Reason: i18n.Text{Zh: "无AAAA记录", En: "no AAAA record"}},
		Metrics: map[string]Metric{"ipv6_unreachable": {Note: i18n.Text{Zh: "无AAAA记录", En: "no AAAA record"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.IPv6.Reason.En != "no AAAA record" || back.Metrics["ipv6_unreachable"].Note.Zh != "无AAAA记录" {
		t.Errorf("round trip: %s → %+v", b, back)
	}
	b, err = json.Marshal([]Evidence{want[0], want[3]})
	if err != nil {
		t.Fatal(err)
	}
	var evBack []Evidence
	if err := json.Unmarshal(b, &evBack); err != nil {
		t.Fatal(err)
	}
	if evBack[0].Note != want[0].Note || evBack[0].Snippet != "" || evBack[1].Snippet != want[3].Snippet || evBack[1].Note != (i18n.Text{}) {
		t.Errorf("evidence round trip: %s → %+v", b, evBack)
	}
}
