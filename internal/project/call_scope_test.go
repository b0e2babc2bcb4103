package project

import (
	"context"
	"testing"
	"time"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestApplicationsOf: the provincial office reads every application to
// its call, a city's office those of its counties, a county its own; a
// unit outside the call's units does not see the call.
func TestApplicationsOf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		all := []string{province}
		cid, err := s.OpenCall(ctx, office, all, NewCall{Kind: CallPilot, Title: "2026 年度试点示范", Description: "试点", Org: "4101",
			Deadline: "2026-06-30", Criteria: "成效 50\n创新 50", Field: "egov", PanelSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, unit := range []string{"410102", "410103", "4101"} {
			if _, err := s.Apply(ctx, office, all, cid, NewApplication{Unit: unit, Title: "申报 " + unit, Body: "正文"}); err != nil {
				t.Fatal(err)
			}
		}
		zy, city, kf := []string{pathOf(t, db, "410102")}, []string{pathOf(t, db, "4101")}, []string{pathOf(t, db, "4102")}
		for _, c := range []struct {
			name         string
			view, manage []string
			want         int
		}{
			{"the province's office", all, all, 3},
			{"the city's office", city, city, 3},
			{"a county's reporter", zy, nil, 1},
			{"a county's office", zy, zy, 1},
			{"the city's reporter", city, nil, 3},
		} {
			got, apps, err := s.ApplicationsOf(ctx, c.view, c.manage, cid)
			if err != nil || got.ID != cid || len(apps) != c.want {
				t.Errorf("%s: %d applications, want %d (%v)", c.name, len(apps), c.want, err)
			}
			if c.want == 1 && (len(apps) != 1 || apps[0].Unit != "410102") {
				t.Errorf("%s reads another unit's application: %+v", c.name, apps)
			}
		}
		if _, _, err := s.ApplicationsOf(ctx, kf, kf, cid); !IsOutside(err) {
			t.Fatalf("another city reads the call: %v", err)
		}
	})
}
