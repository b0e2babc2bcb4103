package evaluate

import (
	"fmt"
)

// Error is a user-facing error of the engine. It names the place in the
// framework or data that caused it (a node id, an indicator id, a CSV row
// and column) and carries a Chinese and an English text.
type Error struct {
	Code  string `json:"code"`            // stable machine code, e.g. "weights_sum"
	Place string `json:"place,omitempty"` // node/indicator id, matrix name or "row 3, column value"
	Zh    string `json:"zh"`
	En    string `json:"en"`
}

// Error returns the Chinese text followed by the English text.
func (e *Error) Error() string {
	if e.Place != "" {
		return fmt.Sprintf("evaluate: %s（%s）/ %s (%s)", e.Zh, e.Place, e.En, e.Place)
	}
	return fmt.Sprintf("evaluate: %s / %s", e.Zh, e.En)
}

func errf(code, place, zh, en string, args ...any) *Error {
	return &Error{Code: code, Place: place, Zh: fmt.Sprintf(zh, args...), En: fmt.Sprintf(en, args...)}
}
