package ecstat

import (
	"strings"

	"zhihui/internal/i18n"
)

// creditAlphabet is the character set of the unified social credit code
// (GB 32100-2015): digits and the capital letters except I, O, S, V, Z;
// a character's value is its index.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditWeights are the weights of the first 17 characters (3^(i) mod 31).
var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCheck returns the check character of the first 17 characters of
// a unified social credit code, and false when they are not 17
// characters of the code's alphabet.
func CreditCheck(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(creditAlphabet, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * creditWeights[i]
	}
	c := (31 - sum%31) % 31
	return creditAlphabet[c], true
}

// NormalizeCreditCode trims s and upper-cases it.
func NormalizeCreditCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// CheckCreditCode validates a unified social credit code (统一社会信用代码,
// GB 32100-2015): 18 characters of its alphabet, characters 3–8 an
// administrative division code (digits), and the 18th the check character
// of the others. The error says which rule failed, in Chinese and English.
func CheckCreditCode(code string) *i18n.Error {
	switch {
	case code == "":
		return i18n.Errorf("统一社会信用代码不能为空", "the unified social credit code is required")
	case len(code) != 18:
		return i18n.Errorf("统一社会信用代码应为 18 位，%q 有 %d 位", "a unified social credit code has 18 characters; %q has %d", code, len([]rune(code)))
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(creditAlphabet, code[i]) < 0 {
			return i18n.Errorf("统一社会信用代码 %q 第 %d 位 %q 不是允许的字符（数字及除 I、O、S、V、Z 外的大写字母）",
				"unified social credit code %q: character %d %q is not allowed (digits and capital letters except I, O, S, V, Z)", code, i+1, string(code[i]))
		}
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return i18n.Errorf("统一社会信用代码 %q 第 3–8 位应为行政区划代码（数字）", "unified social credit code %q: characters 3–8 must be a division code (digits)", code)
		}
	}
	want, _ := CreditCheck(code[:17])
	if code[17] != want {
		return i18n.Errorf("统一社会信用代码 %q 校验码错误：第 18 位应为 %q", "unified social credit code %q fails its checksum: character 18 should be %q", code, string(want))
	}
	return nil
}
