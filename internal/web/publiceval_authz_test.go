package web

import (
	"strings"
	"testing"

	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	webpubliceval "zhihui/internal/web/publiceval"
)

// TestPublicevalAuthorizationMatrix runs the public evaluation module's
// rows of the matrix on the application's server and checks that every
// route of the module has a row.
func TestPublicevalAuthorizationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		cases, setups := moduleCases([]module.Module{webpubliceval.Module()})
		var mine []string
		for _, p := range e.srv.Patterns() {
			if strings.Contains(p, "/publiceval") || strings.Contains(p, "/rate") || strings.Contains(p, "/api/v1/ratings") || strings.Contains(p, "/widget.js") {
				mine = append(mine, p)
			}
		}
		if missing := uncovered(mine, cases); len(missing) > 0 {
			t.Errorf("routes without an authorization case: %s", strings.Join(missing, ", "))
		}
		runMatrix(t, e, cases, setups)
	})
}
