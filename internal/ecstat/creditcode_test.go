package ecstat

import (
	"strings"
	"testing"
)

func TestCreditCode(t *testing.T) {
	// Published codes (business licences printed in public notices).
	for _, ok := range []string{"91350100M000100Y43", "91110000802100433B"} {
		if err := CheckCreditCode(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for code, want := range map[string]string{
		"":                   "不能为空",
		"91350100M000100Y4":  "18 位",
		"91350100M000100Y44": "校验码错误",
		"91350100M000100I43": "不是允许的字符",
		"913501A0M000100Y43": "行政区划代码",
	} {
		err := CheckCreditCode(code)
		if err == nil || !strings.Contains(err.Zh, want) || err.En == "" {
			t.Errorf("%q: %v, want an error with %q", code, err, want)
		}
	}
}

// FuzzCreditCode: the check never panics, accepts exactly the codes whose
// 18th character is the check of the others, and a code built with
// CreditCheck always passes.
func FuzzCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91110000802100433B", "", "9135010", "ZZZZZZZZZZZZZZZZZZ", "９１３５０１００Ｍ０００１００Ｙ４３"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckCreditCode(s)
		if len(s) == 18 {
			c, ok := CreditCheck(s[:17])
			digits := ok && strings.Trim(s[2:8], "0123456789") == ""
			valid := digits && s[17] == c
			if valid != (err == nil) {
				t.Fatalf("%q: valid=%v err=%v", s, valid, err)
			}
			if ok && digits {
				if e := CheckCreditCode(s[:17] + string(c)); e != nil {
					t.Fatalf("built code %q refused: %v", s[:17]+string(c), e)
				}
			}
		} else if err == nil {
			t.Fatalf("%q of length %d accepted", s, len(s))
		}
	})
}
