package web

import (
	"context"
	"regexp"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/plan"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var cardStatus = regexp.MustCompile(`data-target="([A-Z0-9_]+)" data-status="([a-z_]+)"`)

// statuses reads the verdicts a page gives: target → status.
func statuses(page string) map[string]string {
	out := map[string]string{}
	for _, m := range cardStatus.FindAllStringSubmatch(page, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestVerdictsAgree: on the demo data, every target's verdict on the
// dashboard is the verdict of its page in the plan, and the
// informatization index page agrees on its target — for the provincial
// leader (unpublished figures too) and for a city's leader (published
// figures only at the province), on both stores.
func TestVerdictsAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		if err := reporting.GenerateDemo(context.Background(), db, nil, reporting.DemoOptions{Within: "/41/4101/", Months: 1}); err != nil {
			t.Fatal(err)
		}
		_, prov := e.user(t, "lead-verdict", auth.Leader, "41")
		_, city := e.user(t, "lead-verdict-zz", auth.Leader, "4101")
		for name, c := range map[string]client{"province": prov, "city": city} {
			dash := statuses(e.do(t, c, "GET", "/dashboard?ou=41", nil).Body.String())
			if len(dash) < len(plan.Default().Targets())/2 {
				t.Fatalf("%s: the dashboard gives %d verdicts", name, len(dash))
			}
			judged := 0
			for _, tg := range plan.Default().Targets() {
				page := statuses(e.do(t, c, "GET", "/plan/targets/"+tg.Code, nil).Body.String())
				if dash[tg.Code] != page[tg.Code] {
					t.Errorf("%s: %s is %q on the dashboard, %q on its plan page", name, tg.Code, dash[tg.Code], page[tg.Code])
				}
				if page[tg.Code] != "" && page[tg.Code] != "no_data" {
					judged++
				}
			}
			if judged == 0 {
				t.Errorf("%s: no target judged on the demo data", name)
			}
			info := statuses(e.do(t, c, "GET", "/evaluate/informatization", nil).Body.String())
			if info["INFO_LEVEL_RANK"] != dash["INFO_LEVEL_RANK"] || info["INFO_LEVEL_RANK"] == "" {
				t.Errorf("%s: INFO_LEVEL_RANK is %q on the dashboard, %q on the informatization page", name, dash["INFO_LEVEL_RANK"], info["INFO_LEVEL_RANK"])
			}
		}
	})
}
