package web

import (
	"errors"

	"zhihui/internal/i18n"
)

func asI18n(err error, target **i18n.Error) bool { return errors.As(err, target) }

func asUserError(err error) (*i18n.Error, bool) {
	var ue *i18n.Error
	ok := errors.As(err, &ue)
	return ue, ok
}
