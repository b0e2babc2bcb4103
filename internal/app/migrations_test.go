package app

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// migrationSums is the committed list of released migrations: one line
// "component version sha256-of-the-SQL" each.
const migrationSums = "migrations.sum"

// TestMigrationsAreImmutable fails when the text of a released migration
// changes or a released migration disappears: a database that ran the old
// text would never run the new one. A new migration is released by adding
// its line, which this test prints (or appends itself when
// ZHIHUI_ADD_MIGRATION_SUMS=1; it never rewrites an existing line).
func TestMigrationsAreImmutable(t *testing.T) {
	f, err := os.Open(migrationSums)
	if err != nil {
		t.Fatal(err)
	}
	released := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p := strings.Fields(line)
		if len(p) != 3 {
			t.Fatalf("%s:%d: want \"component version sha256\", got %q", migrationSums, n, line)
		}
		released[p[0]+" "+p[1]] = p[2]
	}
	f.Close()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(released) == 0 && os.Getenv("ZHIHUI_ADD_MIGRATION_SUMS") != "1" {
		t.Fatalf("%s lists no migrations", migrationSums)
	}
	seen := map[string]bool{}
	var added []string
	for _, s := range Schemas() {
		for _, m := range s.Migrations {
			k := fmt.Sprintf("%s %d", s.Component, m.Version)
			seen[k] = true
			h := sha256.Sum256([]byte(m.SQL))
			sum := hex.EncodeToString(h[:])
			want, ok := released[k]
			switch {
			case !ok:
				added = append(added, k+" "+sum)
			case want != sum:
				t.Errorf("released migration %s was changed (sha256 %s, released %s): add a new migration instead of editing this one", k, sum, want)
			}
		}
	}
	var gone []string
	for k := range released {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		t.Errorf("released migration %s is gone", k)
	}
	if len(added) == 0 {
		return
	}
	if os.Getenv("ZHIHUI_ADD_MIGRATION_SUMS") == "1" {
		f, err := os.OpenFile(migrationSums, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range added {
			fmt.Fprintln(f, l)
		}
		t.Logf("added to %s:\n%s", migrationSums, strings.Join(added, "\n"))
		return
	}
	t.Errorf("new migrations: add these lines to internal/app/%s (or run the test with ZHIHUI_ADD_MIGRATION_SUMS=1):\n%s", migrationSums, strings.Join(added, "\n"))
}
