package journey

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/journey/browser"
	"zhihui/internal/orgunit"
	"zhihui/internal/progress"
	"zhihui/internal/reporting"
)

// TestHomePerRole: each role's home page starts from its own work. The
// provincial office sees every data set whose latest due period is
// incomplete, with how many units are missing, and follows one to its
// completeness page; a city leader sees the city, its targets at risk, and
// follows the link to the city's assessment page.
func TestHomePerRole(t *testing.T) {
	t.Parallel()
	Each(t, Options{}, func(t *testing.T, s *Site) {
		ctx := context.Background()
		s.User("ban", "省信息化办", auth.Office, "41")
		s.User("zzld", "郑州市领导", auth.Leader, "4101")

		sets, err := reporting.DataSets(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		prov, err := orgunit.Get(ctx, s.DB, "41")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		type late struct {
			name, pe string
			missing  int
		}
		var want []late
		for _, d := range sets {
			for _, p := range d.Periods(now, 3) {
				if !now.After(d.Due(p)) {
					continue
				}
				c, _, err := reporting.CompletenessOf(ctx, s.DB, d, p, prov, false)
				if err != nil {
					t.Fatal(err)
				}
				if c.Expected > c.Received {
					want = append(want, late{d.Name, p.ID(), c.Expected - c.Received})
				}
				break
			}
		}
		if len(want) == 0 {
			t.Fatal("the bootstrap has no data set past due: nothing to check")
		}

		office := browser.NewTab(t, s.URL)
		office.Login("ban", Password)
		office.WaitText("逾期未报")
		for _, w := range want {
			if !office.Has(w.name) || !office.Has(fmt.Sprintf("%s / ", groupThousands(w.missing))) {
				t.Errorf("home misses %s %s (%d missing): %s", w.name, w.pe, w.missing, office.Text("#overdue"))
			}
		}
		office.Follow(want[0].name, "逾期未报")
		office.WaitText(want[0].pe)
		if got := office.Path(); !strings.HasPrefix(got, "/reporting/completeness?") || !strings.Contains(got, "pe="+want[0].pe) {
			t.Fatalf("the overdue link went to %s", got)
		}

		leader := browser.NewTab(t, s.URL)
		leader.Login("zzld", Password)
		leader.WaitText("我的地区：郑州市")
		tps, err := reporting.Progress(ctx, s.DB, reporting.ProgressQuery{Units: []string{"4101"}})
		if err != nil {
			t.Fatal(err)
		}
		risky := 0
		for _, tp := range tps {
			if tp.Status == progress.Behind || tp.Status == progress.Warning {
				risky++
				if risky <= 8 && !leader.Has(tp.Target.NameZh) {
					t.Errorf("target at risk %s not on the leader's home", tp.Target.NameZh)
				}
			}
		}
		if risky == 0 && !leader.Has("没有处于预警或滞后的目标") {
			t.Errorf("no targets at risk, and the home does not say so: %s", leader.Text("#at-risk"))
		}
		if leader.Has("逾期未报") {
			t.Error("a leader sees the office's overdue table")
		}
		leader.Follow("本地区考核与督办")
		leader.WaitText("郑州市")
		if got := leader.Path(); !strings.HasPrefix(got, "/supervise/units/4101") {
			t.Fatalf("the leader's region link went to %s", got)
		}
	})
}

// groupThousands writes n with thousands separators, as pages do.
func groupThousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
