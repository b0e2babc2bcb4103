package formula

import (
	"errors"
	"strings"
	"testing"

	"zhihui/internal/i18n"
)

func TestEval(t *testing.T) {
	vals := map[string]float64{"A": 30, "B": 120, "C": 0, "X_1": 2}
	look := func(c string) (float64, bool) { v, ok := vals[c]; return v, ok }
	cases := []struct {
		src  string
		want float64
		ok   bool
	}{
		{"#{A} / #{B} * 100", 25, true},
		{"#{A} + #{B} * 2", 270, true},
		{"(#{A} + #{B}) * 2", 300, true},
		{"-#{A} + 5", -25, true},
		{"--3", 3, true},
		{"2 - -3", 5, true},
		{"#{A} ÷ #{X_1} × 3", 45, true},
		{"（#{A} − 10）÷ 4", 5, true},
		{"1e3 / 4", 250, true},
		{".5 * 4", 2, true},
		{"10 - 2 - 3", 5, true},
		{"64 / 4 / 2", 8, true},
		{"#{A} / #{C}", 0, false},
		{"#{MISSING} + 1", 0, false},
		{"+#{A}", 30, true},
	}
	for _, c := range cases {
		e, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		got, ok := e.Eval(look)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%q = %v, %v; want %v, %v", c.src, got, ok, c.want, c.ok)
		}
	}
}

func TestCodes(t *testing.T) {
	e, err := Parse("#{B} / (#{A} + #{B}) * 100")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Codes(), ","); got != "B,A" {
		t.Fatalf("codes = %s", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src    string
		pos    string // expected "character N" in the English text
		zhPart string
	}{
		{"", "character 1", "公式为空"},
		{"#{A} +", "character 7", "意外结束"},
		{"#{A} + * 2", "character 8", "此处应为"},
		{"(#{A} + 1", "character 1", "右括号"},
		{"#{A} 2", "character 6", "运算符"},
		{"#A", "character 1", "#{CODE}"},
		{"#{A-B}", "character 4", "数据元代码"},
		{"#{}", "character 1", "缺少数据元代码"},
		{"#{A", "character 1", "未以"},
		{"1.2.3", "character 1", "无效的数字"},
		{"3 % 2", "character 3", "无法识别"},
		{"()", "character 2", "括号内为空"},
		{"中文 + 1", "character 1", "无法识别"},
		{"1 + 2)", "character 6", "运算符"},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		var ue *i18n.Error
		if !errors.As(err, &ue) {
			t.Fatalf("%q: err = %v, want *i18n.Error", c.src, err)
		}
		if !strings.Contains(ue.En, c.pos) || !strings.Contains(ue.Zh, c.zhPart) || ue.Field != "formula" {
			t.Errorf("%q: got zh=%q en=%q", c.src, ue.Zh, ue.En)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	if _, err := Parse(strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200)); err == nil {
		t.Fatal("want nesting error")
	}
	if _, err := Parse(strings.Repeat("-", 500) + "1"); err == nil {
		t.Fatal("want nesting error for unary chain")
	}
	if _, err := Parse(strings.Repeat("(", 20) + "1" + strings.Repeat(")", 20)); err != nil {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"#{A} / #{B} * 100", "-(1+2)*3", "#{X}", "1e5", "((", "#{", "（1）÷2", "1..2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var ue *i18n.Error
			if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
				t.Fatalf("error without both languages: %v", err)
			}
			return
		}
		// A parsed formula evaluates without panicking and re-parses.
		e.Eval(func(string) (float64, bool) { return 1, true })
		if _, err := Parse(e.String()); err != nil {
			t.Fatalf("re-parse of %q failed: %v", s, err)
		}
	})
}
