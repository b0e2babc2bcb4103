package auth

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordsText lists passwords of eight or more characters from the
// zxcvbn common-password dictionary (see README.md beside it), most common
// first.
//
//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, 18000)
	for _, p := range strings.Split(commonPasswordsText, "\n") {
		if p != "" {
			m[strings.ToLower(p)] = struct{}{}
		}
	}
	return m
})

// IsCommonPassword reports whether pw (compared case-insensitively) is on
// the embedded list of commonly used passwords.
func IsCommonPassword(pw string) bool {
	_, ok := commonPasswords()[strings.ToLower(pw)]
	return ok
}
