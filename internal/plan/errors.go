package plan

import (
	"fmt"

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
