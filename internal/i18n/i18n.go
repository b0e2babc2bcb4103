// Package i18n holds Zhihui's user-facing text in Chinese (zh-CN, the
// default) and English: the UI catalogue, and bilingual errors that feature
// packages return when input is wrong.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
)

// Languages Zhihui speaks; the first is the default.
var Languages = []string{"zh-CN", "en"}

// Text is one message in both languages.
type Text struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// In returns the text in lang ("en…" for English, Chinese otherwise).
func (t Text) In(lang string) string {
	if strings.HasPrefix(lang, "en") && t.En != "" {
		return t.En
	}
	return t.Zh
}

// Errors is several user errors at once: every problem of a form, a file
// or an import, in order. The web core answers it like one error (the
// first), listing them all in JSON; errors.As finds each *Error in it.
type Errors []*Error

// Error lists the problems, separated by "; ".
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap exposes the single problems to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// Split reads a text that earlier releases stored as one string,
// "中文 / English": the Chinese before the first " / " and the English
// after it. A string without that shape (no Chinese before the
// separator, or no separator) is the same text in both languages.
func Split(s string) Text {
	if i := strings.Index(s, " / "); i > 0 && hasHan(s[:i]) {
		return Text{Zh: strings.TrimSpace(s[:i]), En: strings.TrimSpace(s[i+3:])}
	}
	return Text{Zh: s, En: s}
}

// DecodeText reads a stored text: {"zh": …, "en": …}, or one
// "中文 / English" string as earlier releases stored it (see [Split]).
// Types that changed a string field to a Text read it with this in their
// UnmarshalJSON, so that rows stored before still read.
func DecodeText(raw json.RawMessage) (Text, error) {
	var t Text
	if len(raw) == 0 || string(raw) == "null" {
		return t, nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return Split(s), err
	}
	err := json.Unmarshal(raw, &t)
	return t, err
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// Error is the one bilingual error of Zhihui: an error a user can act on,
// in both languages, with where in the input it happened when that is
// known. Domain packages return it (wrapped or not) for bad input; the web
// core answers it with 400 and the message in the caller's language, the
// command line prints Error(). Build one with [Errorf] (inline texts) or
// [E] (a catalogue key), then locate it with At, InSheet, OnField or
// AtPlace, and give it a stable code with WithCode when callers branch on
// the kind of problem.
type Error struct {
	Text
	// Code is a stable machine-readable name of the problem ("weights_sum",
	// or the catalogue key the texts came from); "" when nobody branches on it.
	Code  string `json:"code,omitempty"`
	Field string `json:"field,omitempty"`
	Sheet string `json:"sheet,omitempty"`  // worksheet of a workbook, "" for other inputs
	Row   int    `json:"row,omitempty"`    // 1-based input row, 0 when not row-bound
	Col   string `json:"column,omitempty"` // column name or letter
	// Place is where in a structured input the problem is when it is not a
	// row and column: a framework node or indicator id, "plan.yaml:12:3".
	Place string `json:"place,omitempty"`
	// Cause is the underlying error, if any: kept for errors.Is/As and the
	// log, never shown to users.
	Cause error `json:"-"`
	// key and args are the catalogue entry and its arguments when the
	// error was built with [E] (see [Keep]).
	key  string
	args []any
}

// InSheet returns a copy of e located in worksheet name.
func (e *Error) InSheet(name string) *Error {
	c := *e
	c.Sheet = name
	return &c
}

// Errorf builds an Error; zh and en are format strings over the same args.
func Errorf(zh, en string, args ...any) *Error {
	return &Error{Text: Text{Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}}
}

// E builds an Error from the catalogue entry key, whose texts are format
// strings over args; its Code is key. A key missing from the catalogue
// gives the key itself in both languages (the catalogue test catches it).
func E(key string, args ...any) *Error {
	c, _ := Catalog()
	t, ok := c[key]
	if !ok {
		t = Text{Zh: key, En: key}
	}
	return &Error{Code: key, Text: Text{Zh: fmt.Sprintf(t.Zh, args...), En: fmt.Sprintf(t.En, args...)}, key: key, args: args}
}

// At returns a copy of e located at row and column.
func (e *Error) At(row int, col string) *Error {
	c := *e
	c.Row, c.Col = row, col
	return &c
}

// OnField returns a copy of e attached to form field f.
func (e *Error) OnField(f string) *Error {
	c := *e
	c.Field = f
	return &c
}

// AtPlace returns a copy of e located at place (see [Error.Place]).
func (e *Error) AtPlace(place string) *Error {
	c := *e
	c.Place = place
	return &c
}

// WithCode returns a copy of e with the machine-readable code.
func (e *Error) WithCode(code string) *Error {
	c := *e
	c.Code = code
	return &c
}

// Wrap returns a copy of e caused by err (for errors.Is/As and the log).
func (e *Error) Wrap(err error) *Error {
	c := *e
	c.Cause = err
	return &c
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Error returns the place in the input, the Chinese text and the English
// text in parentheses, for logs and the command line.
func (e *Error) Error() string {
	loc := ""
	if e.Sheet != "" {
		loc = "工作表「" + e.Sheet + "」"
		if e.Row == 0 {
			loc += ": "
		}
	}
	if e.Row > 0 {
		loc += fmt.Sprintf("第%d行", e.Row)
		if e.Col != "" {
			loc += "「" + e.Col + "」列"
		}
		loc += ": "
	}
	s := loc + e.placed(false) + " (" + e.placed(true) + ")"
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// placed is the text in English or Chinese preceded by the place, unless
// the text names it already.
func (e *Error) placed(en bool) string {
	text := e.Zh
	if en {
		text = e.En
	}
	if e.Place == "" || strings.Contains(text, e.Place) {
		return text
	}
	if en {
		return e.Place + ": " + text
	}
	return e.Place + "：" + text
}

// Message returns the text in lang, preceded by where it happened: the
// worksheet, row and column, and the place unless the text names it.
func (e *Error) Message(lang string) string {
	en := strings.HasPrefix(lang, "en")
	text := e.placed(en)
	if en {
		loc := ""
		if e.Sheet != "" {
			loc = "sheet " + e.Sheet
			if e.Row > 0 {
				loc += ", "
			} else {
				loc += ": "
			}
		}
		if e.Row > 0 {
			loc += fmt.Sprintf("row %d", e.Row)
			if e.Col != "" {
				loc += ", column " + e.Col
			}
			loc += ": "
		}
		return loc + text
	}
	loc := ""
	if e.Sheet != "" {
		loc = "工作表「" + e.Sheet + "」"
		if e.Row == 0 {
			loc += "："
		}
	}
	if e.Row > 0 {
		loc += fmt.Sprintf("第%d行", e.Row)
		if e.Col != "" {
			loc += "「" + e.Col + "」列"
		}
		loc += "："
	}
	return loc + text
}

//go:embed catalog/*.json
var catalogFS embed.FS

var (
	loadOnce sync.Once
	base     map[string]Text
	loadErr  error

	mu      sync.Mutex                      // serialises Register
	current atomic.Pointer[map[string]Text] // base plus registered sources
	sources = map[string]bool{}
)

// Catalog returns every UI message, keyed. The core keeps its messages
// in catalog/<feature>.json: {"key": {"zh": "…", "en": "…"}}; modules add
// theirs with [Register]. The returned map must not be modified.
func Catalog() (map[string]Text, error) {
	loadOnce.Do(func() {
		base, loadErr = load(catalogFS, "catalog/*.json", nil)
		if loadErr == nil {
			current.Store(&base)
		}
	})
	if loadErr != nil {
		return nil, loadErr
	}
	return *current.Load(), nil
}

// Register adds the catalogue files "*.json" at the root of fsys to the
// catalogue under the source name (a module's name). Registering the same
// name again does nothing, so that every server built in one process may
// register its modules. A key already defined elsewhere is an error.
func Register(name string, fsys fs.FS) error {
	if _, err := Catalog(); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if sources[name] {
		return nil
	}
	cur := *current.Load()
	merged, err := load(fsys, "*.json", cur)
	if err != nil {
		return fmt.Errorf("i18n: catalogue of %s: %w", name, err)
	}
	current.Store(&merged)
	sources[name] = true
	return nil
}

// load reads the catalogue files matching glob in fsys on top of a copy
// of prev.
func load(fsys fs.FS, glob string, prev map[string]Text) (map[string]Text, error) {
	files, err := fs.Glob(fsys, glob)
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	out := make(map[string]Text, len(prev))
	for k, v := range prev {
		out[k] = v
	}
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var m map[string]Text
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", f, err)
		}
		for k, v := range m {
			if _, dup := out[k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q defined twice", f, k)
			}
			if v.Zh == "" || v.En == "" {
				return nil, fmt.Errorf("i18n: %s: key %q lacks a language", f, k)
			}
			out[k] = v
		}
	}
	return out, nil
}

// T returns the message key in lang, formatted with args. A missing key
// renders as the key itself so it is easy to spot.
func T(lang, key string, args ...any) string {
	c, _ := Catalog()
	t, ok := c[key]
	if !ok {
		return key
	}
	s := t.In(lang)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Lookup returns the message key in lang and whether the catalogue has
// it, for text that is shown translated when a translation exists and as
// recorded otherwise (the audit log's field names and values).
func Lookup(lang, key string) (string, bool) {
	c, _ := Catalog()
	t, ok := c[key]
	if !ok {
		return "", false
	}
	return t.In(lang), true
}

// Negotiate picks a language from an Accept-Language header value.
func Negotiate(accept string) string {
	best, bestQ := Languages[0], -1.0
	for _, part := range strings.Split(accept, ",") {
		tag, q := strings.TrimSpace(part), 1.0
		if i := strings.Index(tag, ";"); i >= 0 {
			var f float64
			if _, err := fmt.Sscanf(strings.TrimSpace(tag[i+1:]), "q=%g", &f); err == nil {
				q = f
			}
			tag = strings.TrimSpace(tag[:i])
		}
		tag = strings.ToLower(tag)
		var lang string
		switch {
		case strings.HasPrefix(tag, "zh"):
			lang = "zh-CN"
		case strings.HasPrefix(tag, "en"):
			lang = "en"
		default:
			continue
		}
		if q > bestQ {
			best, bestQ = lang, q
		}
	}
	return best
}

// Normalize maps any accepted spelling to one of Languages.
func Normalize(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return "en"
	}
	return "zh-CN"
}
