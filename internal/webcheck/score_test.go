package webcheck

import (
	"errors"
	"strings"
	"testing"

	"zhihui/internal/i18n"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestDefaultScheme(t *testing.T) {
	t.Parallel()
	s := DefaultScheme()
	total := 0.0
	for _, ind := range s.Indicators {
		total += ind.Max
	}
	if total != 100 || len(s.Vetoes) != 7 || s.MinProbes != 20 || s.Freshness["notice"] != 183 {
		t.Fatalf("scheme: total %g vetoes %d", total, len(s.Vetoes))
	}
}

func TestParseSchemeErrors(t *testing.T) {
	t.Parallel()
	base := string(DefaultSchemeYAML())
	tests := map[string]string{
		"bad yaml":       "name: [",
		"unknown metric": strings.Replace(base, "metric: broken_links_home\n    each: 1", "metric: no_such_metric\n    each: 1", 1),
		"sum not 100":    strings.Replace(base, "max: 15\n    rules:\n      - {id: probe_failures", "max: 14\n    rules:\n      - {id: probe_failures", 1),
		"no points":      strings.Replace(base, "metric: missing_site_code\n    points: 2", "metric: missing_site_code", 1),
		"freshness":      strings.Replace(base, "  news: 14\n", "", 1),
	}
	for name, y := range tests {
		if y == base {
			t.Fatalf("%s: replacement did not apply", name)
		}
		_, err := ParseScheme([]byte(y))
		var e *i18n.Error
		if !errors.As(err, &e) || e.Zh == "" || e.En == "" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	s := DefaultScheme()
	ev := func(n int) []Evidence {
		out := make([]Evidence, n)
		for i := range out {
			out[i] = Evidence{URL: "http://x.cn/" + strings.Repeat("a", i)}
		}
		return out
	}
	m := map[string]Metric{
		"availability_failure_pct": {Value: 10, Known: true, Evidence: ev(3)},
		"broken_links_home":        {Value: 2, Known: true, Evidence: ev(2)},
		"broken_links_other":       {Value: 150, Known: true, Evidence: ev(150)},
		"empty_columns":            {Value: 5, Known: true, Evidence: ev(5)},
		"no_https":                 {Value: 1, Known: true, Evidence: ev(1)},
		"a11y_critical":            {Known: false},
	}
	v, sc := s.Evaluate(m)
	if v.Pass || len(v.Vetoes) != 2 {
		t.Fatalf("vetoes %+v", v.Vetoes)
	}
	if v.Deducted != 2+15 {
		t.Errorf("deducted %g", v.Deducted)
	}
	for _, d := range v.Deductions {
		if d.Rule == "broken_other_links" && (len(d.Evidence) != MaxEvidencePerLoss || d.EvidenceTotal != 150) {
			t.Errorf("evidence capped wrongly: %d of %d", len(d.Evidence), d.EvidenceTotal)
		}
	}
	got := map[string]float64{}
	for _, ind := range sc.Indicators {
		got[ind.ID] = ind.Score
	}
	// availability: 15 - (5 cap + 2 + 5 cap) = 3; release: 30 - 10 (empty) = 20; security: 15 - 6 = 9.
	if got["availability"] != 3 || got["release"] != 20 || got["security"] != 9 || got["ipv6"] != 5 {
		t.Errorf("scores %v", got)
	}
	if sc.Total != 100-12-10-6 || sc.Max != 100 {
		t.Errorf("total %g / %g", sc.Total, sc.Max)
	}
	// Every unknown veto metric is reported as not assessed.
	if len(v.NotAssessed) != 5 {
		t.Errorf("not assessed %+v", v.NotAssessed)
	}
	// Deductions over the limit fail the site even without a veto.
	v, _ = s.Evaluate(map[string]Metric{"broken_links_home": {Value: 41, Known: true}})
	if v.Pass || len(v.Vetoes) != 0 {
		t.Errorf("over-limit deductions: %+v", v)
	}
	v, _ = s.Evaluate(map[string]Metric{"broken_links_home": {Value: 3, Known: true}})
	if !v.Pass {
		t.Errorf("small deductions failed the site: %+v", v)
	}
}
