package web

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/store/storetest"
)

// TestOrgUnitCountsByKind: the province's page counts its cities and its
// provincial departments apart (it said "市 47", departments included).
func TestOrgUnitCountsByKind(t *testing.T) {
	t.Parallel()
	e := newEnv(t, storetest.SQLite(t))
	admin, _ := e.user(t, "root-ou", auth.Admin, "41")
	body := e.do(t, e.session(t, admin), "GET", "/orgunits/41", nil).Body.String()
	ctx := context.Background()
	for _, kind := range []string{orgunit.City, orgunit.Department} {
		want, err := orgunit.CountKind(ctx, e.db, "/41/", kind)
		if err != nil || want == 0 {
			t.Fatalf("%s: %d %v", kind, want, err)
		}
		re := regexp.MustCompile(`<span class="card-meta">` + regexp.QuoteMeta(orgunit.KindNames[kind].Zh) + `</span><span class="card-value">([0-9,]+)</span>`)
		m := re.FindStringSubmatch(body)
		if m == nil || m[1] != fmt.Sprint(want) {
			t.Errorf("%s: the page says %v, the hierarchy has %d", orgunit.KindNames[kind].Zh, m, want)
		}
	}
	if n, _ := orgunit.CountKind(ctx, e.db, "/41/", orgunit.City); n > 20 {
		t.Errorf("%d cities: departments counted as cities", n)
	}
}
