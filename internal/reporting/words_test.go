package reporting

import "testing"

func TestRuleWords(t *testing.T) {
	names := map[string]string{"VILLAGE_BB_SUBS": "村宽带用户数", "VILLAGE_BB_PORTS": "村宽带端口数", "ADMIN_VILLAGES": "行政村数"}
	name := func(c string) string { return names[c] }
	for _, c := range []struct {
		r    Rule
		want string
	}{
		{Rule{Left: "#{VILLAGE_BB_SUBS}", Op: "<=", Right: "#{VILLAGE_BB_PORTS}"}, "村宽带用户数 ≤ 村宽带端口数"},
		{Rule{Left: "#{ADMIN_VILLAGES}*0.5", Op: ">=", Right: "#{UNKNOWN_CODE}"}, "行政村数 × 0.5 ≥ UNKNOWN_CODE"},
		{Rule{Left: "#{VILLAGE_BB_SUBS} / #{VILLAGE_BB_PORTS}", Op: "!=", Right: "1"}, "村宽带用户数 ÷ 村宽带端口数 ≠ 1"},
		{Rule{Left: "1", Op: "==", Right: "1"}, "1 = 1"},
	} {
		if got := c.r.Words("zh-CN", name); got != c.want {
			t.Errorf("%s %s %s = %q, want %q", c.r.Left, c.r.Op, c.r.Right, got, c.want)
		}
	}
}
