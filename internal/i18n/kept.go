package i18n

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Kept is a user error kept for later display, such as a background job's
// failed attempt: the catalogue key and arguments it was built from (with
// [E]), its texts as built (for errors built with [Errorf], and for keys
// a later release drops), and where it happened. It is read back in the
// reader's language with [Kept.Message], from the catalogue of the
// release that reads it — never as one "中文 (English)" string.
type Kept struct {
	Key  string            `json:"key,omitempty"`
	Args []json.RawMessage `json:"args,omitempty"`
	Err  *Error            `json:"error"`
}

// Keep returns e in its kept form. The key and arguments are kept only
// when they render e's texts again as built (arguments that are strings,
// integers, non-integral numbers or booleans); otherwise the texts are.
func Keep(e *Error) Kept {
	c := *e
	c.Cause, c.key, c.args = nil, "", nil
	k := Kept{Err: &c}
	if e.key == "" {
		return k
	}
	raw := make([]json.RawMessage, len(e.args))
	for i, a := range e.args {
		b, err := json.Marshal(a)
		if err != nil {
			return k
		}
		raw[i] = b
	}
	args, ok := decodeArgs(raw)
	if !ok || render(e.key, args) != e.Text {
		return k
	}
	k.Key = e.key
	if len(raw) > 0 {
		k.Args = raw
	}
	return k
}

// Message is the message in lang with where it happened: rendered from
// the catalogue when it still has the key, otherwise the texts kept.
func (k Kept) Message(lang string) string { return k.current().Message(lang) }

func (k Kept) current() *Error {
	if k.Err == nil {
		return &Error{}
	}
	e := *k.Err
	if k.Key != "" {
		if args, ok := decodeArgs(k.Args); ok {
			if t := render(k.Key, args); t != (Text{}) {
				e.Text = t
			}
		}
	}
	return &e
}

// render formats the catalogue entry key in both languages; the zero Text
// when the catalogue lacks it.
func render(key string, args []any) Text {
	c, _ := Catalog()
	t, ok := c[key]
	if !ok {
		return Text{}
	}
	return Text{Zh: fmt.Sprintf(t.Zh, args...), En: fmt.Sprintf(t.En, args...)}
}

// decodeArgs reads kept arguments: strings, numbers (integers as int64)
// and booleans; false for anything else.
func decodeArgs(raw []json.RawMessage) ([]any, bool) {
	out := make([]any, len(raw))
	for i, r := range raw {
		d := json.NewDecoder(bytes.NewReader(r))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			return nil, false
		}
		switch x := v.(type) {
		case string, bool:
			out[i] = x
		case json.Number:
			if n, err := x.Int64(); err == nil {
				out[i] = n
			} else if f, err := x.Float64(); err == nil {
				out[i] = f
			} else {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return out, true
}

// SplitError reads an error message that earlier releases stored as
// [Error.Error] gives it, "中文 (English)": the Chinese before the last
// " (" and the English inside the closing parentheses. A message without
// that shape (no Chinese before, Chinese inside, or text after the
// parentheses) is the same text in both languages.
func SplitError(s string) Text {
	same := Text{Zh: s, En: s}
	if !strings.HasSuffix(s, ")") {
		return same
	}
	// find the "(" that opens the final parenthesis
	depth, open := 0, -1
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ')':
			depth++
		case '(':
			depth--
		}
		if depth == 0 {
			open = i
			break
		}
	}
	if open < 1 || s[open-1] != ' ' {
		return same
	}
	zh, en := s[:open-1], s[open+1:len(s)-1]
	if !hasHan(zh) || en == "" || strings.IndexFunc(en, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
		return same
	}
	return Text{Zh: zh, En: en}
}
