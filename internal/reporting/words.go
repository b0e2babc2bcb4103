package reporting

import (
	"regexp"
	"strings"
)

// opWords are the operators of a rule as a reader writes them.
var opWords = map[string]string{"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}

var elementRef = regexp.MustCompile(`#\{([^}]*)\}`)

// Words is the rule in words: "村宽带用户数 ≤ 村宽带端口数" instead of
// "#{VILLAGE_BB_SUBS} <= #{VILLAGE_BB_PORTS}". name gives an element's
// name by code (in the reader's language); a code it does not know is
// kept as the code. Arithmetic keeps its signs, × and ÷ for * and /.
func (r Rule) Words(lang string, name func(code string) string) string {
	side := func(src string) string {
		s := elementRef.ReplaceAllStringFunc(src, func(m string) string {
			code := strings.TrimSpace(m[2 : len(m)-1])
			if n := name(code); n != "" {
				return n
			}
			return code
		})
		s = strings.NewReplacer("*", " × ", "/", " ÷ ").Replace(s)
		return strings.Join(strings.Fields(s), " ")
	}
	op, ok := opWords[r.Op]
	if !ok {
		op = r.Op
	}
	return side(r.Left) + " " + op + " " + side(r.Right)
}
