// Package formula parses and evaluates indicator formulas: arithmetic over
// data element references and constants, as in
//
//	#{BB_URBAN_SUBS} / #{HOUSEHOLDS_URBAN} * 100
//
// The language has + − × ÷ (also written - * /), parentheses, unary minus
// and plus, decimal constants (1, 2.5, 1e3) and element references #{CODE}
// where CODE is letters, digits and underscores. Parsing is strict: every
// error is bilingual and says at which character it happened.
package formula

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"zhihui/internal/i18n"
)

// MaxLen is the longest formula accepted, in bytes.
const MaxLen = 2000

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// Expr is a parsed formula. The zero value is not usable; get one from
// [Parse].
type Expr struct {
	src   string
	root  node
	codes []string
}

type node struct {
	op    byte // 'n' number, 'r' reference, 'u' unary minus, '+', '-', '*', '/'
	num   float64
	code  string
	left  *node
	right *node
}

// Parse reads src. The error is an *i18n.Error naming the position (the
// 1-based character) of the first problem.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxLen {
		return nil, i18n.Errorf("公式过长（最多 %d 个字节）", "the formula is too long (at most %d bytes)", MaxLen).OnField("formula")
	}
	if !utf8.ValidString(src) {
		return nil, i18n.Errorf("公式含有无效字符编码", "the formula is not valid UTF-8").OnField("formula")
	}
	p := &parser{src: src, seen: map[string]bool{}}
	p.next()
	if p.tok.kind == tEOF {
		return nil, p.errAt(p.tok.pos, "公式为空", "the formula is empty")
	}
	root, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("运算符或结尾", "an operator or the end")
	}
	return &Expr{src: src, root: *root, codes: p.codes}, nil
}

// String is the formula as written.
func (e *Expr) String() string { return e.src }

// Codes lists the element codes the formula refers to, each once, in order
// of first appearance.
func (e *Expr) Codes() []string { return append([]string(nil), e.codes...) }

// Eval computes the formula with the values lookup gives for each code. It
// reports false when a referenced value is missing, on division by zero,
// or when the result is not a finite number.
func (e *Expr) Eval(lookup func(code string) (float64, bool)) (float64, bool) {
	v, ok := eval(&e.root, lookup)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

func eval(n *node, lookup func(string) (float64, bool)) (float64, bool) {
	switch n.op {
	case 'n':
		return n.num, true
	case 'r':
		return lookup(n.code)
	case 'u':
		v, ok := eval(n.left, lookup)
		return -v, ok
	}
	a, ok := eval(n.left, lookup)
	if !ok {
		return 0, false
	}
	b, ok := eval(n.right, lookup)
	if !ok {
		return 0, false
	}
	switch n.op {
	case '+':
		return a + b, true
	case '-':
		return a - b, true
	case '*':
		return a * b, true
	case '/':
		if b == 0 {
			return 0, false
		}
		return a / b, true
	}
	return 0, false
}

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tRef
	tOp
	tLParen
	tRParen
	tBad
)

type token struct {
	kind tokKind
	pos  int // 1-based character position
	op   byte
	num  float64
	code string
	text string
}

type parser struct {
	src   string
	i     int // byte offset
	tok   token
	err   error
	codes []string
	seen  map[string]bool
}

// charPos converts a byte offset into a 1-based character position.
func (p *parser) charPos(off int) int { return utf8.RuneCountInString(p.src[:off]) + 1 }

func (p *parser) errAt(pos int, zh, en string) error {
	e := &i18n.Error{Text: i18n.Text{
		Zh: fmt.Sprintf("公式第 %d 个字符处：%s", pos, zh),
		En: fmt.Sprintf("formula, character %d: %s", pos, en),
	}}
	return e.OnField("formula")
}

func (p *parser) next() {
	if p.err != nil {
		p.tok = token{kind: tBad}
		return
	}
	for p.i < len(p.src) {
		r, w := utf8.DecodeRuneInString(p.src[p.i:])
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000' {
			p.i += w
			continue
		}
		break
	}
	start := p.i
	pos := p.charPos(start)
	if p.i >= len(p.src) {
		p.tok = token{kind: tEOF, pos: pos}
		return
	}
	r, w := utf8.DecodeRuneInString(p.src[p.i:])
	switch {
	case r == '+' || r == '＋':
		p.i += w
		p.tok = token{kind: tOp, op: '+', pos: pos, text: string(r)}
	case r == '-' || r == '−' || r == '－':
		p.i += w
		p.tok = token{kind: tOp, op: '-', pos: pos, text: string(r)}
	case r == '*' || r == '×':
		p.i += w
		p.tok = token{kind: tOp, op: '*', pos: pos, text: string(r)}
	case r == '/' || r == '÷':
		p.i += w
		p.tok = token{kind: tOp, op: '/', pos: pos, text: string(r)}
	case r == '(' || r == '（':
		p.i += w
		p.tok = token{kind: tLParen, pos: pos, text: string(r)}
	case r == ')' || r == '）':
		p.i += w
		p.tok = token{kind: tRParen, pos: pos, text: string(r)}
	case r == '#':
		p.i++
		if p.i >= len(p.src) || p.src[p.i] != '{' {
			p.fail(pos, "“#” 后应为 “{”，例如 #{CODE}", `"#" must be followed by "{", as in #{CODE}`)
			return
		}
		p.i++
		cs := p.i
		for p.i < len(p.src) && isCodeByte(p.src[p.i]) {
			p.i++
		}
		code := p.src[cs:p.i]
		if p.i >= len(p.src) || p.src[p.i] != '}' {
			if p.i < len(p.src) {
				r2, _ := utf8.DecodeRuneInString(p.src[p.i:])
				p.fail(p.charPos(p.i), fmt.Sprintf("数据元代码中不能有 %q（只能用字母、数字和下划线）", r2),
					fmt.Sprintf("%q is not allowed in a data element code (letters, digits and underscores only)", r2))
				return
			}
			p.fail(pos, "引用未以 “}” 结束", `the reference is not closed with "}"`)
			return
		}
		if code == "" {
			p.fail(pos, "#{} 中缺少数据元代码", "#{} names no data element")
			return
		}
		p.i++
		p.tok = token{kind: tRef, code: code, pos: pos, text: p.src[start:p.i]}
	case r >= '0' && r <= '9' || r == '.':
		for p.i < len(p.src) && (isDigit(p.src[p.i]) || p.src[p.i] == '.') {
			p.i++
		}
		if p.i < len(p.src) && (p.src[p.i] == 'e' || p.src[p.i] == 'E') {
			j := p.i + 1
			if j < len(p.src) && (p.src[j] == '+' || p.src[j] == '-') {
				j++
			}
			if j < len(p.src) && isDigit(p.src[j]) {
				for j < len(p.src) && isDigit(p.src[j]) {
					j++
				}
				p.i = j
			}
		}
		text := p.src[start:p.i]
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsInf(v, 0) || strings.Count(text, ".") > 1 {
			p.fail(pos, fmt.Sprintf("无效的数字 %q", text), fmt.Sprintf("invalid number %q", text))
			return
		}
		p.tok = token{kind: tNum, num: v, pos: pos, text: text}
	default:
		p.fail(pos, fmt.Sprintf("无法识别的字符 %q", r), fmt.Sprintf("unexpected character %q", r))
	}
}

func (p *parser) fail(pos int, zh, en string) {
	p.err = p.errAt(pos, zh, en)
	p.tok = token{kind: tBad, pos: pos}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isCodeByte(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
}

func (p *parser) unexpected(wantZh, wantEn string) error {
	if p.err != nil {
		return p.err
	}
	if p.tok.kind == tEOF {
		return p.errAt(p.tok.pos, "公式意外结束，缺少"+wantZh, "the formula ends too early; expected "+wantEn)
	}
	return p.errAt(p.tok.pos, fmt.Sprintf("此处应为%s，而不是 %q", wantZh, p.tok.text),
		fmt.Sprintf("expected %s, found %q", wantEn, p.tok.text))
}

// expr parses sums: term (("+"|"-") term)*.
func (p *parser) expr(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.tok.pos, "括号或负号嵌套过深", "nested too deeply")
	}
	left, err := p.term(depth)
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOp && (p.tok.op == '+' || p.tok.op == '-') {
		op := p.tok.op
		p.next()
		right, err := p.term(depth)
		if err != nil {
			return nil, err
		}
		left = &node{op: op, left: left, right: right}
	}
	return left, nil
}

// term parses products: unary (("*"|"/") unary)*.
func (p *parser) term(depth int) (*node, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.tok.kind == tOp && (p.tok.op == '*' || p.tok.op == '/') {
		op := p.tok.op
		p.next()
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = &node{op: op, left: left, right: right}
	}
	return left, nil
}

func (p *parser) unary(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errAt(p.tok.pos, "括号或负号嵌套过深", "nested too deeply")
	}
	if p.tok.kind == tOp && (p.tok.op == '-' || p.tok.op == '+') {
		op := p.tok.op
		p.next()
		n, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		if op == '+' {
			return n, nil
		}
		return &node{op: 'u', left: n}, nil
	}
	return p.primary(depth)
}

func (p *parser) primary(depth int) (*node, error) {
	switch p.tok.kind {
	case tNum:
		n := &node{op: 'n', num: p.tok.num}
		p.next()
		return n, nil
	case tRef:
		n := &node{op: 'r', code: p.tok.code}
		if !p.seen[p.tok.code] {
			p.seen[p.tok.code] = true
			p.codes = append(p.codes, p.tok.code)
		}
		p.next()
		return n, nil
	case tLParen:
		open := p.tok.pos
		p.next()
		if p.tok.kind == tRParen {
			return nil, p.errAt(p.tok.pos, "括号内为空", "empty parentheses")
		}
		n, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			if p.err != nil {
				return nil, p.err
			}
			if p.tok.kind == tEOF {
				return nil, p.errAt(open, "左括号没有对应的右括号", "this parenthesis is never closed")
			}
			return nil, p.unexpected("“)”", `")"`)
		}
		p.next()
		return n, nil
	}
	return nil, p.unexpected("数字、#{代码} 或 “(”", `a number, #{CODE} or "("`)
}
