package jobs

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/riverqueue/river/rivertype"

	"zhihui/internal/i18n"
)

// keptPrefix starts the error River stores for an attempt that failed
// with user errors (see [keep]).
const keptPrefix = `{"user_errors":`

// keptErrors is how an attempt's user errors are stored in River's
// table: each as its catalogue key and arguments (or its texts) with its
// location, and the technical cause apart.
type keptErrors struct {
	User  []i18n.Kept `json:"user_errors"`
	Cause string      `json:"cause,omitempty"`
}

// keptError is a job's error that carries user errors: River stores its
// Error(), the kept form; errors.Is and errors.As see the job's error
// (River finds a JobCancel in it).
type keptError struct {
	err  error
	kept string
}

func (e *keptError) Error() string { return e.kept }
func (e *keptError) Unwrap() error { return e.err }

// keep returns err so that River stores the user errors in it (one
// *i18n.Error, or i18n.Errors) in their kept form instead of their
// "中文 (English)" text; other errors unchanged.
func keep(err error) error {
	if err == nil {
		return nil
	}
	var list []*i18n.Error
	var es i18n.Errors
	var one *i18n.Error
	switch {
	case errors.As(err, &es) && len(es) > 0:
		list = es
	case errors.As(err, &one):
		list = []*i18n.Error{one}
	default:
		return err
	}
	k := keptErrors{User: make([]i18n.Kept, len(list))}
	var causes []string
	for i, e := range list {
		k.User[i] = i18n.Keep(e)
		if e.Cause != nil {
			causes = append(causes, e.Cause.Error())
		}
	}
	k.Cause = strings.Join(causes, "; ")
	b, jerr := json.Marshal(k)
	if jerr != nil {
		return err
	}
	return &keptError{err: err, kept: string(b)}
}

// attemptError reads one attempt's error as River stored it.
func attemptError(e rivertype.AttemptError) AttemptError {
	a := AttemptError{At: e.At, Attempt: e.Attempt, Error: e.Error}
	if strings.HasPrefix(e.Error, keptPrefix) {
		var k keptErrors
		if err := json.Unmarshal([]byte(e.Error), &k); err == nil && len(k.User) > 0 {
			a.User, a.Cause = k.User, k.Cause
		}
	}
	return a
}
