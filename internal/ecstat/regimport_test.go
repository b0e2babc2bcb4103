package ecstat

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// withRuns runs fn with runs of n rows (several runs in a temporary file
// for any file longer than n).
func withRuns(n int, fn func()) {
	defer func(old int) { importRunRows = old }(importRunRows)
	importRunRows = n
	fn()
}

// registerRows writes a register file of births (of counties in
// counties), and with status: changes, deaths and unchanged rows of
// earlier codes, repeats and bad rows.
func registerFile(rng *rand.Rand, year, births int, earlier []string, repeats, bad int) (string, []string) {
	counties := []string{"410102", "410103", "410105", "410202", "410303", "411502"}
	var b strings.Builder
	b.WriteString("credit_code,name,industry,org_code,size,above_scale,employees,revenue,status\n")
	var codes []string
	line := func(c string) string {
		return fmt.Sprintf("%s,企业%s,%s,%s,%s,%s,%d,%d.%02d", c, c[10:14], []string{"5291", "6510", "1711"}[rng.IntN(3)], counties[rng.IntN(len(counties))],
			[]string{"大型", "中型", "小型", "微型"}[rng.IntN(4)], []string{"是", "否"}[rng.IntN(2)], rng.IntN(900), rng.IntN(100000), rng.IntN(100))
	}
	var rows []string
	for i := 0; i < births; i++ {
		c := code(counties[rng.IntN(len(counties))], year*100000+i)
		codes = append(codes, c)
		rows = append(rows, line(c)+",在营")
	}
	for _, c := range earlier {
		switch rng.IntN(3) {
		case 0:
			rows = append(rows, line(c)+",在营")
		case 1:
			rows = append(rows, line(c)+",注销")
		}
	}
	for i := 0; i < repeats && len(codes) > 0; i++ {
		rows = append(rows, line(codes[rng.IntN(len(codes))])+",在营")
	}
	for i := 0; i < bad; i++ {
		rows = append(rows, line(code("410102", 900000+i))[:30]+",x,y,在营")
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	return b.String(), codes
}

// TestRegisterImportInRunsIsTheSame: a register file imported through
// runs sorted in a temporary file (as a large file is) gives exactly
// the result, errors (repeated codes across runs included, with the row
// they repeat) and register of the file sorted in memory, for a dry run,
// a refused file and a written one; the temporary files are removed.
func TestRegisterImportInRunsIsTheSame(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(11, 12))
		first, codes := registerFile(rng, 2019, 300, nil, 0, 0)
		var res *ImportResult
		withRuns(7, func() { res = importCSV(t, db, 2019, first, all, false) })
		if !res.Written || res.Births != 300 {
			t.Fatalf("first import in runs: %+v", res)
		}
		checkSummary(t, db, "after the first import in runs")
		snapshot := func() string {
			t.Helper()
			list, total, err := Enterprises(ctx, db, Filter{Scopes: all, Limit: 500})
			if err != nil || total != len(list) {
				t.Fatal(total, err)
			}
			b, _ := json.Marshal(list)
			return string(b)
		}
		second, _ := registerFile(rng, 2020, 120, codes, 9, 0)
		refused, _ := registerFile(rng, 2020, 120, codes, 9, 5)
		for _, f := range []struct {
			name, file string
			dry        bool
		}{{"dry run", second, true}, {"refused", refused, false}, {"repeats only", second, false}} {
			var inRuns, inMemory *ImportResult
			withRuns(5, func() { inRuns = importCSV(t, db, 2020, f.file, all, f.dry) })
			inMemory = importCSV(t, db, 2020, f.file, all, f.dry)
			a, _ := json.Marshal(inRuns)
			b, _ := json.Marshal(inMemory)
			if string(a) != string(b) {
				t.Fatalf("%s: in runs\n%s\nin memory\n%s", f.name, a, b)
			}
			if inRuns.Written || (f.name != "dry run" && inRuns.OK()) {
				t.Fatalf("%s: %+v", f.name, inRuns)
			}
			repeats := 0
			for _, e := range inRuns.Errors {
				if strings.Contains(e.En, "repeats row") {
					repeats++
				}
			}
			if f.name != "dry run" && repeats != 9 {
				t.Fatalf("%s: %d repeats reported, want 9: %+v", f.name, repeats, inRuns.Errors)
			}
		}
		// Without the repeats, written: the same register either way.
		third, _ := registerFile(rng, 2020, 120, codes, 0, 0)
		before := snapshot()
		var inRuns *ImportResult
		withRuns(6, func() { inRuns = importCSV(t, db, 2020, third, all, false) })
		if !inRuns.Written || inRuns.Births != 120 || inRuns.Changes+inRuns.Deaths == 0 {
			t.Fatalf("written in runs: %+v", inRuns)
		}
		afterRuns := snapshot()
		checkSummary(t, db, "after an import of births, changes and deaths in runs")
		if _, err := db.W.ExecContext(ctx, `DELETE FROM ecstat_change WHERE year = 2020`); err != nil {
			t.Fatal(err)
		}
		// Put the register back as it was and import in memory.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM ecstat_enterprise WHERE born_year = 2020`); err != nil {
			t.Fatal(err)
		}
		var olds []Enterprise
		if err := json.Unmarshal([]byte(before), &olds); err != nil {
			t.Fatal(err)
		}
		for _, e := range olds {
			if _, err := db.W.ExecContext(ctx, `UPDATE ecstat_enterprise SET name = $1, industry = $2, section = $3, org_code = $4, org_path = $5, city_code = $6,
				size = $7, above_scale = $8, employees = $9, revenue = $10, closed_year = $11 WHERE id = $12`, e.Name, e.Industry, e.Section, e.OrgCode, e.OrgPath,
				e.CityCode, e.Size, b2i(e.AboveScale), e.Employees, int64(e.Revenue), e.ClosedYear, e.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := RepairRegisterSummary(ctx, db, office); err != nil {
			t.Fatal(err)
		}
		inMemory := importCSV(t, db, 2020, third, all, false)
		a, _ := json.Marshal(inRuns)
		b, _ := json.Marshal(inMemory)
		if string(a) != string(b) {
			t.Fatalf("written: in runs %s, in memory %s", a, b)
		}
		// Ids of the births differ; the rest is the same.
		strip := func(s string) string {
			var l []Enterprise
			json.Unmarshal([]byte(s), &l)
			for i := range l {
				if l[i].BornYear == 2020 {
					l[i].ID = 0
				}
			}
			b, _ := json.Marshal(l)
			return string(b)
		}
		if strip(snapshot()) != strip(afterRuns) {
			t.Fatal("the register written from runs differs from the one written in memory")
		}
		checkSummary(t, db, "after the import in memory")
	})
	left, _ := filepath.Glob(filepath.Join(tmp, "zhihui-register-*"))
	if len(left) > 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatal(err)
	}
}
