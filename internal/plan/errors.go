package plan

import (
	"fmt"
	"strings"

	"zhihui/internal/i18n"
)

// A problem found in a plan file is an [*i18n.Error]: its Field is the path
// into the document ("tasks[4].lead") and its Place says where, as
// "FILE:LINE:COL FIELD" (line and column when known).

// problem returns the bilingual error at line and col (0 when unknown) of
// file, on field.
func problem(file string, line, col int, field, zh, en string) *i18n.Error {
	place := file
	if line > 0 {
		place += fmt.Sprintf(":%d", line)
		if col > 0 {
			place += fmt.Sprintf(":%d", col)
		}
	}
	if field != "" {
		place += " " + field
	}
	return &i18n.Error{Text: i18n.Text{Zh: zh, En: en}, Field: field, Place: place}
}

// Errors is every problem [Load] found, in file order. It is returned as
// the error of Load whenever it is not empty; use errors.As to get it.
type Errors []*i18n.Error

// Error lists the problems one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = "plan: " + e.Error()
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
