package orgunit_test

import (
	"context"
	"strings"
	"testing"

	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func loaded(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, orgunit.Schema); err != nil {
		t.Fatal(err)
	}
	depts := []orgunit.Unit{{Code: "41D-GXT", Name: "省工业和信息化厅", NameEn: "Department of Industry and Information Technology"}}
	n, err := orgunit.Load(ctx, db, depts, []orgunit.Group{orgunit.PilotCounties})
	if err != nil {
		t.Fatal(err)
	}
	if n != 55164+1 {
		t.Fatalf("loaded %d units, want 55165", n)
	}
}

func TestHierarchy(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loaded(t, db)
		for level, want := range map[int]int{2: 18 + 1, 3: 181, 4: 2586, 5: 52378} {
			n, err := orgunit.CountDescendants(ctx, db, "/41/", level)
			if err != nil || n != want {
				t.Errorf("level %d: %d units (%v), want %d", level, n, err, want)
			}
		}
		zy, err := orgunit.Get(ctx, db, "410102")
		if err != nil {
			t.Fatal(err)
		}
		if zy.Name != "中原区" || zy.Path != "/41/4101/410102/" || zy.Level != 3 || zy.Parent != "4101" {
			t.Fatalf("410102 = %+v", zy)
		}
		if a := strings.Join(zy.Ancestors(), ","); a != "41,4101" {
			t.Errorf("ancestors %s", a)
		}
		kids, err := orgunit.Children(ctx, db, "410102")
		if err != nil || len(kids) != zy.ChildCount || len(kids) == 0 {
			t.Fatalf("children of 中原区: %d (%v), child_count %d", len(kids), err, zy.ChildCount)
		}
		for _, k := range kids {
			if k.Kind != orgunit.Township || !strings.HasPrefix(k.Path, zy.Path) {
				t.Errorf("child %+v", k)
			}
		}
		// Subtree ranges must not leak into siblings whose codes share a prefix.
		vill, err := orgunit.Descendants(ctx, db, "/41/4101/410102/", 5, 0)
		if err != nil || len(vill) == 0 {
			t.Fatalf("villages: %d %v", len(vill), err)
		}
		for _, v := range vill {
			if !strings.HasPrefix(v.Code, "410102") || v.Level != 5 {
				t.Fatalf("village %+v outside 中原区", v)
			}
		}
		jy, err := orgunit.Get(ctx, db, "419001")
		if err != nil || jy.Path != "/41/4190/419001/" {
			t.Fatalf("济源 %+v %v", jy, err)
		}
		d, err := orgunit.Get(ctx, db, "41D-GXT")
		if err != nil || d.Kind != orgunit.Department || d.Level != 2 || d.Path != "/41/41D-GXT/" {
			t.Fatalf("department %+v %v", d, err)
		}
		if _, err := orgunit.Get(ctx, db, "99"); err == nil {
			t.Fatal("unknown code found")
		}
	})
}

func TestSearchAndGroups(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		loaded(t, db)
		us, err := orgunit.Search(ctx, db, "兰考", "", 20)
		if err != nil || len(us) == 0 || us[0].Code != "410225" {
			t.Fatalf("search 兰考: %+v %v", us, err)
		}
		us, err = orgunit.Search(ctx, db, "4101", "", 5)
		if err != nil || len(us) == 0 || us[0].Code != "4101" {
			t.Fatalf("search 4101: %+v %v", us, err)
		}
		// Scoped search stays in the subtree.
		us, err = orgunit.Search(ctx, db, "村", "/41/4102/", 50)
		if err != nil || len(us) == 0 {
			t.Fatalf("scoped search: %v", err)
		}
		for _, u := range us {
			if !strings.HasPrefix(u.Path, "/41/4102/") {
				t.Fatalf("scoped search leaked %+v", u)
			}
		}
		// LIKE wildcards in the query are literals.
		if us, _ := orgunit.Search(ctx, db, "%", "", 5); len(us) != 0 {
			t.Fatalf("%% matched %d units", len(us))
		}
		gs, err := orgunit.GroupsOf(ctx, db, "410225")
		if err != nil || len(gs) != 1 || gs[0].Code != "PILOT" {
			t.Fatalf("groups of 兰考: %+v %v", gs, err)
		}
		all, err := orgunit.Groups(ctx, db)
		if err != nil || len(all) != 1 || len(all[0].Members) != 10 {
			t.Fatalf("groups: %+v %v", all, err)
		}
	})
}

func TestBuildRejectsBadHierarchies(t *testing.T) {
	t.Parallel()
	for name, units := range map[string][]orgunit.Unit{
		"unknown parent": {{Code: "41"}, {Code: "4101", Parent: "42"}},
		"duplicate":      {{Code: "41"}, {Code: "41"}},
		"cycle":          {{Code: "a", Parent: "b"}, {Code: "b", Parent: "a"}},
		"empty code":     {{Code: ""}},
	} {
		if _, err := orgunit.Build(units); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSubtreeRange(t *testing.T) {
	t.Parallel()
	lo, hi := orgunit.SubtreeRange("/41/4101/")
	for _, p := range []string{"/41/4101/", "/41/4101/410102/", "/41/4101/410102/410102001/"} {
		if !(p >= lo && p < hi) {
			t.Errorf("%s outside [%s,%s)", p, lo, hi)
		}
	}
	for _, p := range []string{"/41/41010/", "/41/4102/", "/41/", "/41/41D-GXT/"} {
		if p >= lo && p < hi {
			t.Errorf("%s inside [%s,%s)", p, lo, hi)
		}
	}
}

func BenchmarkCountyVillages(b *testing.B) {
	for _, open := range []struct {
		name string
		fn   func(testing.TB) *store.DB
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		b.Run(open.name, func(b *testing.B) {
			db := open.fn(b)
			ctx := context.Background()
			if err := db.Migrate(ctx, orgunit.Schema); err != nil {
				b.Fatal(err)
			}
			if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				vs, err := orgunit.Descendants(ctx, db, "/41/4115/411525/", 5, 0) // 固始县, one of the largest
				if err != nil || len(vs) == 0 {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCountyVillagesLikeScan is the baseline for
// BenchmarkCountyVillages: the same villages found by a plain LIKE on the
// code, which no index serves.
func BenchmarkCountyVillagesLikeScan(b *testing.B) {
	db := storetest.SQLite(b)
	ctx := context.Background()
	if err := db.Migrate(ctx, orgunit.Schema); err != nil {
		b.Fatal(err)
	}
	if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		rows, err := db.R.QueryContext(ctx, "SELECT code, name FROM orgunit WHERE code LIKE '411525%' AND level = 5 ORDER BY code")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		if n == 0 {
			b.Fatal("no villages")
		}
	}
}

// BenchmarkLoad is a full load of the hierarchy into a fresh SQLite store;
// BenchmarkLoadBareInsert inserts the same rows without paths, child
// counts or validation, as the baseline.
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		db := storetest.SQLite(b)
		if err := db.Migrate(ctx, orgunit.Schema); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadBareInsert(b *testing.B) {
	ctx := context.Background()
	units, err := orgunit.Divisions()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		db := storetest.SQLite(b)
		if err := db.Migrate(ctx, orgunit.Schema); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := db.Copy(ctx, tx, "orgunit", []string{"code", "name", "kind", "level", "parent_code", "path"}, func(yield func([]any) error) error {
				for _, u := range units {
					if err := yield([]any{u.Code, u.Name, u.Kind, u.Level, u.Parent, u.Code}); err != nil {
						return err
					}
				}
				return nil
			})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
