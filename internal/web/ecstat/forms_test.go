package ecstat

import (
	"testing"

	"zhihui/internal/i18n"
)

// TestParseFloatField: a bound that is not a number is said in each
// language with that language's name of the bound.
func TestParseFloatField(t *testing.T) {
	x, err := parseFloatField(" 1,250.5 ", i18n.Text{Zh: "上限", En: "upper bound"}, 2)
	if err != nil || x == nil || *x != 1250.5 {
		t.Fatalf("1,250.5: %v %v", x, err)
	}
	if x, err := parseFloatField("", i18n.Text{Zh: "上限", En: "upper bound"}, 2); x != nil || err != nil {
		t.Fatalf("empty: %v %v", x, err)
	}
	_, err = parseFloatField("abc", i18n.Text{Zh: "下限", En: "lower bound"}, 3)
	if err == nil || err.Message("zh-CN") != `第 3 条审核规则的下限应为数字："abc"` || err.Message("en") != `edit 3: the lower bound must be a number: "abc"` {
		t.Fatalf("abc: %+v", err)
	}
}
