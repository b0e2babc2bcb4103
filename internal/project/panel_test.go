package project

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestScreen(t *testing.T) {
	app := Applicant{Code: "410102", Path: "/41/4101/410102/", Name: "中原区", Project: 7}
	base := Expert{ID: 1, Name: "甲", Employer: "郑州大学", Available: true}
	const day, since = "2026-06-15", "2023-06-15"
	cases := []struct {
		name   string
		e      func(Expert) Expert
		rec    Record
		reason string
	}{
		{"free", nil, Record{}, ""},
		{"not available", func(e Expert) Expert { e.Available = false; return e }, Record{}, ExUnavailable},
		{"absent on the day", nil, Record{Absences: []Absence{{From: "2026-06-01", To: "2026-06-15", Reason: "出国"}}}, ExAbsent},
		{"absent before", nil, Record{Absences: []Absence{{From: "2026-06-01", To: "2026-06-14"}}}, ""},
		{"absent after", nil, Record{Absences: []Absence{{From: "2026-06-16", To: "2026-07-14"}}}, ""},
		{"same employer by code", func(e Expert) Expert { e.EmployerCode = "410102"; return e }, Record{}, ExEmployer},
		{"same employer by name", func(e Expert) Expert { e.Employer = "中原区"; return e }, Record{}, ExEmployer},
		{"declared with the city above", func(e Expert) Expert { e.Conflicts = []string{"4101"}; return e }, Record{}, ExDeclared},
		{"declared with another city", func(e Expert) Expert { e.Conflicts = []string{"4102"}; return e }, Record{}, ""},
		{"employed until inside the window", nil, Record{Ties: []Tie{{Kind: TieEmployed, Unit: "4101", UnitName: "郑州市", Until: "2024-01-31"}}}, ExEmployed},
		{"employed until the window's first day", nil, Record{Ties: []Tie{{Kind: TieEmployed, Unit: "410102", Until: since}}}, ExEmployed},
		{"employed before the window", nil, Record{Ties: []Tie{{Kind: TieEmployed, Unit: "410102", Until: "2023-06-14"}}}, ""},
		{"employed still", nil, Record{Ties: []Tie{{Kind: TieEmployed, Unit: "410102"}}}, ExEmployed},
		{"employed by a unit below", nil, Record{Ties: []Tie{{Kind: TieEmployed, Unit: "41010201"}}}, ""},
		{"worked on a project of the unit", nil, Record{Ties: []Tie{{Kind: TieWorked, Unit: "410102", Until: "2025-12-31"}}}, ExWorked},
		{"reviewed another project of the unit", nil, Record{Reviews: []PastReview{{Unit: "410102", Project: 9, Date: "2025-03-01"}}}, ExReviewed},
		{"reviewed the same project", nil, Record{Reviews: []PastReview{{Unit: "410102", Project: 7, Date: "2025-03-01"}}}, ""},
		{"reviewed long ago", nil, Record{Reviews: []PastReview{{Unit: "410102", Project: 9, Date: "2023-06-14"}}}, ""},
		{"reviewed another unit", nil, Record{Reviews: []PastReview{{Unit: "410103", Project: 9, Date: "2025-03-01"}}}, ""},
		{"unavailable is checked first", func(e Expert) Expert { e.Available = false; e.EmployerCode = "410102"; return e },
			Record{Absences: []Absence{{From: day, To: day}}}, ExUnavailable},
		{"absence before conflict", func(e Expert) Expert { e.EmployerCode = "410102"; return e }, Record{Absences: []Absence{{From: day, To: day}}}, ExAbsent},
	}
	for _, c := range cases {
		e := base
		if c.e != nil {
			e = c.e(e)
		}
		got, _ := Screen(e, c.rec, app, day, since)
		if got != c.reason {
			t.Errorf("%s: reason %q, want %q", c.name, got, c.reason)
		}
	}
}

func TestYearsBack(t *testing.T) {
	for _, c := range [][3]any{{"2026-06-15", 3, "2023-06-15"}, {"2024-02-29", 1, "2023-02-28"}, {"2026-01-01", 0, "2026-01-01"}} {
		if got := yearsBack(c[0].(string), c[1].(int)); got != c[2] {
			t.Errorf("yearsBack(%s, %d) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}

// TestDrawSkipsUnavailableAndTiedExperts: of eight egov experts, one is
// marked unavailable, one is away on the day of the draw, one left the
// applicant two years ago, one worked on its project last year, one
// reviewed another project of the applicant within the window; the draw
// draws among the others and records the reason of each left out. With a
// window of one year the former employee may sit again.
func TestDrawSkipsUnavailableAndTiedExperts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		zy := []string{pathOf(t, db, "410102")}
		earlier := register(t, s, zy, NewProject{Name: "中原区城市运行管理平台", Owner: "410102", Category: "new", Funding: "区级财政", Estimate: wan(t, "300")})
		id := register(t, s, zy, NewProject{Name: "中原区政务服务一体化平台", Owner: "410102", Category: "new", Funding: "区级财政", Estimate: wan(t, "260")})
		ids := map[string]int64{}
		for _, e := range []Expert{
			{Name: "甲", Available: true}, {Name: "乙", Available: false}, {Name: "丙", Available: true}, {Name: "丁", Available: true},
			{Name: "戊", Available: true}, {Name: "己", Available: true}, {Name: "庚", Available: true}, {Name: "辛", Available: true},
			{Name: "壬", Available: true}, {Name: "癸", Available: true}, {Name: "子", Available: true}, {Name: "丑", Available: true},
		} {
			e.Fields, e.Employer, e.Region = []string{"egov"}, "某大学"+e.Name, "41"
			eid, err := s.AddExpert(ctx, office, e)
			if err != nil {
				t.Fatal(err)
			}
			ids[e.Name] = eid
		}
		var ue *i18n.Error
		if _, err := s.AddAbsence(ctx, office, ids["丙"], "2026-06-20", "2026-06-10", "出国"); !errors.As(err, &ue) || ue.Field != "to" {
			t.Fatalf("a period ending before it starts: %v", err)
		}
		if _, err := s.AddAbsence(ctx, office, ids["丙"], "2026-06-10", "2026-06-20", "出国访问"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddAbsence(ctx, office, ids["甲"], "2026-07-01", "2026-07-20", "休假"); err != nil { // later: no effect today
			t.Fatal(err)
		}
		if _, err := s.AddTie(ctx, office, ids["丁"], TieEmployed, "4101", "2024-06-30", "原郑州市大数据局"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddTie(ctx, office, ids["戊"], TieWorked, "410102", "2025-10-31", "监理"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddTie(ctx, office, ids["戊"], "friend", "410102", "", ""); !errors.As(err, &ue) || ue.Field != "kind" {
			t.Fatalf("an unknown kind of tie: %v", err)
		}
		if _, err := s.AddTie(ctx, office, ids["戊"], TieWorked, "999999", "", ""); !errors.As(err, &ue) || ue.Field != "unit" {
			t.Fatalf("an unknown unit: %v", err)
		}
		// 己 sat on the earlier project's panel a year ago.
		if _, err := s.AddDocument(ctx, owner, zy, earlier, Material, "可研.txt", []byte("可行性研究报告")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zy, earlier, ""); err != nil {
			t.Fatal(err)
		}
		now = now.AddDate(-1, 0, 0)
		if err := s.SetTieYears(ctx, office, 11); !errors.As(err, &ue) || ue.Field != "tie_years" {
			t.Fatalf("an 11-year window: %v", err)
		}
		var seed uint64
		for seed = 1; ; seed++ {
			cands, err := s.candidates(ctx, mustGet(t, s, earlier), "egov")
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(Pick(cands, seed, 3), ids["己"]) {
				break
			}
		}
		if _, err := s.DrawPanel(ctx, office, []string{province}, earlier, "egov", 3, &seed); err != nil {
			t.Fatal(err)
		}
		now = now.AddDate(1, 0, 0)
		earlierPanel := map[int64]bool{}
		revs, err := s.Reviews(ctx, earlier)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range revs[0].Seats {
			earlierPanel[st.ExpertID] = true
		}

		if _, err := s.AddDocument(ctx, owner, zy, id, Material, "可研.txt", []byte("可行性研究报告")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zy, id, ""); err != nil {
			t.Fatal(err)
		}
		rid, err := s.DrawPanel(ctx, office, []string{province}, id, "egov", 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := s.Exclusions(ctx, "review", rid)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, x := range ex {
			got[x.ExpertName] = x.Reason
		}
		want := map[string]string{"乙": ExUnavailable, "丙": ExAbsent, "丁": ExEmployed, "戊": ExWorked}
		for eid := range earlierPanel {
			for name, x := range ids {
				if x == eid && want[name] == "" {
					want[name] = ExReviewed
				}
			}
		}
		if !mapsEqual(got, want) {
			t.Fatalf("exclusions %v, want %v", got, want)
		}
		revs, err = s.Reviews(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range revs[0].Candidates {
			for name, x := range ids {
				if x == c && want[name] != "" {
					t.Errorf("%s (%s) is a candidate", name, want[name])
				}
			}
		}
		if len(revs[0].Candidates)+len(ex) != len(ids) || !revs[0].Reproduces() {
			t.Errorf("candidates %v and %d exclusions of %d experts", revs[0].Candidates, len(ex), len(ids))
		}
		// A one-year window: 丁's tie ended two years ago.
		if err := s.SetTieYears(ctx, office, 1); err != nil {
			t.Fatal(err)
		}
		if n, err := s.TieYears(ctx); err != nil || n != 1 {
			t.Fatalf("tie years %d %v", n, err)
		}
		cands, err := s.candidates(ctx, mustGet(t, s, id), "egov")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(cands, ids["丁"]) || slices.Contains(cands, ids["戊"]) || slices.Contains(cands, ids["丙"]) {
			t.Errorf("with a one-year window, candidates %v (丁 %d in, 戊 %d and 丙 %d out)", cands, ids["丁"], ids["戊"], ids["丙"])
		}
		rec, err := s.ExpertRecord(ctx, ids["戊"])
		if err != nil || len(rec.Ties) != 1 || rec.Ties[0].UnitName != "中原区" || rec.Ties[0].Until != "2025-10-31" {
			t.Fatalf("record of 戊: %+v %v", rec, err)
		}
	})
}

func mustGet(t *testing.T, s *Service, id int64) *Project {
	t.Helper()
	p, err := s.Get(context.Background(), []string{province}, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
