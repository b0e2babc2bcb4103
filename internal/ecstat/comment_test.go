package ecstat

import (
	"strings"
	"testing"

	"zhihui/internal/ecstat/survey"
)

// TestEstimateComment: the comment beside a published value is stored in
// no language and read back in both, with the same figures; a comment of
// an earlier release ("中文 / English") is split; other comments are not
// the survey's.
func TestEstimateComment(t *testing.T) {
	c := Cell{Estimate: survey.Estimate{Total: 100, SE: 1.234, CV: 0.01234, Low: 97.58, High: 102.42, Respondents: 42}}
	for _, est := range []string{Ratio, HT} {
		raw := comment(est, c)
		if raw != "ecstat.estimate "+est+" se=1.23 cv=1.23% ci=[97.58,102.42] n=42" {
			t.Fatalf("stored %q", raw)
		}
		txt, ok := EstimateComment(raw)
		if !ok || !strings.Contains(txt.Zh, "标准误 1.23 亿元，变异系数 1.23%，95%置信区间 [97.58, 102.42] 亿元，42 家企业报送") ||
			!strings.Contains(txt.En, "SE 1.23") || !strings.Contains(txt.En, "42 enterprises answered") {
			t.Fatalf("%s: %+v %v", est, txt, ok)
		}
		if est == HT && !strings.Contains(txt.En, "Horvitz–Thompson") {
			t.Fatalf("HT: %+v", txt)
		}
	}
	old := "抽样调查推算（HT 估计量）：标准误 1.00 亿元 / Sample survey estimate: SE 1.00"
	if txt, ok := EstimateComment(old); !ok || txt.Zh != "抽样调查推算（HT 估计量）：标准误 1.00 亿元" || txt.En != "Sample survey estimate: SE 1.00" {
		t.Fatalf("earlier comment: %+v %v", txt, ok)
	}
	if _, ok := EstimateComment("口径调整"); ok {
		t.Fatal("a person's comment read as the survey's")
	}
}
