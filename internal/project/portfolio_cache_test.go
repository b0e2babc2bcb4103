package project

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestPortfolioKeptEqualsRecomputed: after every one of a series of
// random edits — registrations, amounts, gates submitted and decided,
// ratings, baselines and rebaselines, progress, O&M requests and their
// review — made through a second service (as another server process
// over the same database would), the dashboard of a service that keeps
// its figures between requests equals, for every selection and both
// sets of thresholds, that of a service that keeps nothing and a plain
// recomputation from every project's own supervision state.
func TestPortfolioKeptEqualsRecomputed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		reader := setupPortfolio(t, db)
		writer := New(db)
		writer.Now = reader.Now
		fresh := &Service{DB: db, Routes: DefaultRoutes, Now: reader.Now} // keeps nothing
		all := []string{province}
		r := rand.New(rand.NewPCG(13, 2026))
		owners := []string{"41", "4101", "410102", "4102", "4103"}
		var sys []int64
		for i, o := range []string{"4101", "4102"} {
			id, err := writer.AddSystem(ctx, owner, all, NewSystem{Owner: o, Name: fmt.Sprintf("系统%d", i), OMCost: wan(t, "100"), MLPSLevel: 3})
			if err != nil {
				t.Fatal(err)
			}
			sys = append(sys, id)
		}
		var ids, oms []int64
		money := func(lo, hi int) Money { return Money(int64(lo+r.IntN(hi-lo)) * 10000) }
		filters := []Filter{{Scopes: all}, {Scopes: all, Unit: "4101"}, {Scopes: []string{"/41/4101/"}}, {Scopes: all, Category: "new"},
			{Scopes: all, Year: 2015}, {Scopes: []string{"/41/4101/", "/41/4102/"}}}
		ths := []Thresholds{DefaultThresholds, {Amber: 2, Red: 30, StaleDays: 90}}
		check := func(step string) {
			t.Helper()
			for _, f := range filters {
				for _, th := range ths {
					kept, err := reader.Portfolio(ctx, f, th)
					if err != nil {
						t.Fatalf("%s: %v", step, err)
					}
					again, err := fresh.Portfolio(ctx, f, th)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(kept, again) {
						t.Fatalf("%s, %+v: kept\n%+v\nrecomputed\n%+v", step, f, kept, again)
					}
					plain := recompute(t, fresh, f, th)
					if got := summary(kept); got != plain {
						t.Fatalf("%s, %+v: dashboard\n%s\nplain recomputation\n%s", step, f, got, plain)
					}
				}
			}
		}
		check("empty")
		done := map[string]int{}
		for step := 0; step < 90; step++ {
			var what string
			var err error
			pick := func() int64 { return ids[r.IntN(len(ids))] }
			switch k := r.IntN(9); {
			case k == 0 || len(ids) < 3:
				what = "register"
				var id int64
				id, err = writer.Register(ctx, owner, all, NewProject{Name: fmt.Sprintf("项目%d", step), Owner: owners[r.IntN(len(owners))],
					Category: Categories[r.IntN(3)], Funding: "财政", Estimate: money(10, 5000), Year: 2014 + r.IntN(3)})
				if err == nil {
					ids = append(ids, id)
				}
			case k == 1:
				what = "amounts"
				b, fa := money(10, 5000), money(10, 5000)
				am := Amounts{Budget: &b}
				if r.IntN(2) == 0 {
					am.Final = &fa
				}
				err = writer.SetAmounts(ctx, owner, all, pick(), am)
			case k == 2:
				what = "gate"
				id := pick()
				if _, err = writer.AddDocument(ctx, owner, all, id, Material, "材料.pdf", []byte("%PDF-1.4 材料")); err == nil {
					if err = writer.Submit(ctx, owner, all, id, ""); err == nil {
						err = writer.Decide(ctx, office, all, id, []string{Approve, Approve, Return, Reject}[r.IntN(4)], "理由")
					}
				}
			case k == 3:
				what = "rate"
				err = writer.Rate(ctx, office, all, pick(), 1+r.IntN(5), "评级")
			case k == 4:
				what = "baseline"
				err = writer.SetBaseline(ctx, office, all, pick(), NewBaseline{Start: "2015-01-01", End: fmt.Sprintf("2015-%02d-28", 2+r.IntN(10)),
					Cost: money(100, 1000), Reason: "调整"})
			case k == 5:
				what = "progress"
				c := money(90, 1200)
				np := NewProgress{ProjectedEnd: fmt.Sprintf("2015-%02d-15", 1+r.IntN(12))}
				if r.IntN(2) == 0 {
					np.ProjectedCost = &c
				} else {
					np.ActualCost = &c
				}
				err = writer.ReportProgress(ctx, owner, all, pick(), np)
			case k == 6:
				what = "om"
				var id int64
				id, err = writer.SubmitOM(ctx, owner, all, NewOM{SystemID: sys[r.IntN(2)], Year: 2015 + r.IntN(2), Amount: money(10, 200)})
				if err == nil {
					oms = append(oms, id)
				}
			case k == 7 && len(oms) > 0:
				what = "om review"
				cut := money(1, 10)
				if r.IntN(2) == 0 {
					err = writer.ReviewOM(ctx, office, all, oms[r.IntN(len(oms))], OMApprove, nil, "")
				} else {
					err = writer.ReviewOM(ctx, office, all, oms[r.IntN(len(oms))], OMCutDown, &cut, "核减")
				}
			default:
				what = "import"
				var rows []ImportRow
				rows, _, err = writer.ReadImport(ctx, all, "p.csv", strings.NewReader(importCSV(t, step)))
				if err == nil && rows != nil {
					var got []int64
					got, err = writer.Import(ctx, owner, rows)
					ids = append(ids, got...)
				}
			}
			if err == nil { // a refused edit changes nothing; the figures must still agree
				done[what]++
			}
			check(fmt.Sprintf("step %d (%s, %v)", step, what, err))
		}
		t.Logf("edits made: %v", done)
		for _, what := range []string{"register", "amounts", "gate", "rate", "baseline", "progress", "om", "om review", "import"} {
			if done[what] == 0 {
				t.Errorf("no %s edit went through: %v", what, done)
			}
		}
		if d, err := reader.Portfolio(ctx, Filter{Scopes: all}, DefaultThresholds); err != nil || d.Total.Count != len(ids) {
			t.Fatalf("%d projects on the dashboard, %d registered (%v)", d.Total.Count, len(ids), err)
		}
	})
}

// importCSV is a list of two projects for the importer.
func importCSV(t *testing.T, step int) string {
	t.Helper()
	head := ImportHeader()
	line := func(name, owner, cat, est string) string {
		cells := make([]string, len(head))
		for i, h := range head {
			switch {
			case strings.Contains(h, "名称"):
				cells[i] = name
			case strings.Contains(h, "单位"):
				cells[i] = owner
			case strings.Contains(h, "类别"):
				cells[i] = cat
			case strings.Contains(h, "估算"):
				cells[i] = est
			case strings.Contains(h, "资金"):
				cells[i] = "财政"
			case strings.Contains(h, "年度"):
				cells[i] = "2015"
			}
		}
		return strings.Join(cells, ",")
	}
	return strings.Join(head, ",") + "\n" + line(fmt.Sprintf("导入项目%da", step), "4101", "new", "120") + "\n" + line(fmt.Sprintf("导入项目%db", step), "410102", "om", "33.5") + "\n"
}

// recompute is the dashboard of f under th the plain way: every selected
// project read with its own supervision state, summed one by one.
func recompute(t *testing.T, s *Service, f Filter, th Thresholds) string {
	t.Helper()
	ctx := context.Background()
	f.PerPage = MaxExport
	ps, _, err := s.List(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	base := ""
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			t.Fatal(err)
		}
		base = u.Path
	} else if len(f.Scopes) == 1 {
		base = f.Scopes[0]
	}
	var total Bucket
	groups := map[string]map[string]Bucket{}
	add := func(g, k string, b Bucket) {
		if groups[g] == nil {
			groups[g] = map[string]Bucket{}
		}
		x := groups[g][k]
		x.Key = k
		x.add(b)
		groups[g][k] = x
	}
	var lights Lights
	var risks [6]int
	type watch struct {
		id   int64
		rank int
		line string
	}
	var ws []watch
	for _, p := range ps {
		b := Bucket{Count: 1, Estimate: p.Estimate}
		if p.Budget != nil {
			b.Budget = *p.Budget
		}
		if p.Final != nil {
			b.Final = *p.Final
		}
		total.add(b)
		add("stage", p.Stage, b)
		add("level", p.Level, b)
		add("category", p.Category, b)
		add("year", strconv.Itoa(p.Year), b)
		unit := ""
		if base == "" {
			for _, sc := range f.Scopes {
				if strings.HasPrefix(p.OwnerPath, sc) {
					unit = strings.Trim(sc, "/")[strings.LastIndex(strings.Trim(sc, "/"), "/")+1:]
					break
				}
			}
		} else if rest := strings.TrimPrefix(p.OwnerPath, base); rest != "" {
			unit = strings.Split(rest, "/")[0]
		}
		add("unit", unit, b)
		sv, err := s.Supervise(ctx, p, th)
		if err != nil {
			t.Fatal(err)
		}
		risks[p.Risk]++
		switch sv.Variance.Light {
		case "red":
			lights.Red++
		case "amber":
			lights.Amber++
		case "green":
			lights.Green++
		default:
			lights.None++
		}
		if l := sv.Variance.Light; l == "red" || l == "amber" {
			ws = append(ws, watch{p.ID, lightRank[l], fmt.Sprintf("%d %s %s %s %d %+v", p.ID, p.Number, p.Name, p.OwnerName, p.Risk, sv.Variance)})
		}
	}
	slices.SortFunc(ws, func(x, y watch) int {
		if x.rank != y.rank {
			return y.rank - x.rank
		}
		return int(x.id - y.id)
	})
	var out []string
	out = append(out, fmt.Sprintf("total %+v", total))
	for _, g := range []string{"stage", "unit", "level", "category", "year"} {
		var ks []string
		for k := range groups[g] {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		for _, k := range ks {
			out = append(out, fmt.Sprintf("%s %+v", g, groups[g][k]))
		}
	}
	out = append(out, fmt.Sprintf("lights %+v risks %v", lights, risks))
	for i, w := range ws {
		if i < MaxWatch {
			out = append(out, "watch "+w.line)
		}
	}
	// O&M requests of the selected units, by year.
	var args store.Args
	var sc []string
	for _, p := range f.Scopes {
		sc = append(sc, "owner_path LIKE "+args.Add(p+"%"))
	}
	q := `SELECT year, flagged, amount, approved FROM portfolio_om WHERE (` + strings.Join(sc, " OR ") + `)`
	if f.Unit != "" {
		q += " AND owner_path LIKE " + args.Add(base+"%")
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		t.Fatal(err)
	}
	om := map[int]*OMYear{}
	for rows.Next() {
		var y, flagged int
		var amt int64
		var appr *int64
		if err := rows.Scan(&y, &flagged, &amt, &appr); err != nil {
			t.Fatal(err)
		}
		if om[y] == nil {
			om[y] = &OMYear{Year: y}
		}
		om[y].Count++
		om[y].Flagged += flagged
		om[y].Amount += Money(amt)
		if appr != nil {
			om[y].Approved += Money(*appr)
		}
	}
	rows.Close()
	var years []int
	for y := range om {
		years = append(years, y)
	}
	slices.Sort(years)
	for _, y := range years {
		out = append(out, fmt.Sprintf("om %+v", *om[y]))
	}
	return strings.Join(out, "\n")
}

// summary is d in recompute's terms.
func summary(d *Dashboard) string {
	var out []string
	out = append(out, fmt.Sprintf("total %+v", d.Total))
	for _, g := range []struct {
		name string
		bs   []Bucket
	}{{"stage", d.ByStage}, {"unit", d.ByUnit}, {"level", d.ByLevel}, {"category", d.ByCategory}, {"year", d.ByYear}} {
		bs := slices.Clone(g.bs)
		slices.SortFunc(bs, func(x, y Bucket) int { return strings.Compare(x.Key, y.Key) })
		for _, b := range bs {
			b.Name = ""
			out = append(out, fmt.Sprintf("%s %+v", g.name, b))
		}
	}
	out = append(out, fmt.Sprintf("lights %+v risks %v", d.Lights, d.Risks))
	for _, w := range d.Watch {
		out = append(out, fmt.Sprintf("watch %d %s %s %s %d %+v", w.ID, w.Number, w.Name, w.Owner, w.Risk, w.Variance))
	}
	for _, y := range d.OM {
		out = append(out, fmt.Sprintf("om %+v", y))
	}
	return strings.Join(out, "\n")
}
