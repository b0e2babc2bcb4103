package plan

import (
	"fmt"
	"strings"
)

// Error is one problem found in a plan file. Zh and En say the same thing
// for users in Chinese and English; File, Line, Column and Field say where.
// Field is a path into the document such as "tasks[4].lead".
type Error struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Field  string `json:"field,omitempty"`
	Zh     string `json:"zh"`
	En     string `json:"en"`
}

// Error returns "plan: FILE:LINE:COL: FIELD: 中文 / English".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("plan: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Column > 0 {
				fmt.Fprintf(&b, ":%d", e.Column)
			}
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Zh)
	b.WriteString(" / ")
	b.WriteString(e.En)
	return b.String()
}

// Errors is every problem [Load] found, in file order. It is returned as
// the error of Load whenever it is not empty; use errors.As to get it.
type Errors []*Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the single problems to errors.Is and errors.As.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
