package evaluate

import (
	"zhihui/internal/i18n"
)

// The engine's user-facing errors are [*i18n.Error] values with a stable
// Code (e.g. "weights_sum") that tests and callers branch on, and a Place
// naming where in the framework or data the problem is (a node id, an
// indicator id, a matrix name) or, for CSV input, a Row and Col.

// errf returns the bilingual error code at place; zh and en are format
// strings over args.
func errf(code, place, zh, en string, args ...any) *i18n.Error {
	e := i18n.Errorf(zh, en, args...)
	e.Code, e.Place = code, place
	return e
}

// csvErr returns the bilingual error code at row and column col of a CSV
// input (col "" for the whole row).
func csvErr(code string, row int, col, zh, en string, args ...any) *i18n.Error {
	e := i18n.Errorf(zh, en, args...)
	e.Code, e.Row, e.Col = code, row, col
	return e
}
