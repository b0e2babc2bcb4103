package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/period"
	"zhihui/internal/publiceval"
)

// TestBulletinCommand: a city's office issues January's bulletin of its
// counties from the command line, once (the second run does nothing) and
// the counties' staff are told; a county reporter may fetch its own
// county's bulletin but not the city's, nor issue one; the bulletin comes
// as the page's PDF and XLSX and the API's JSON, in Chinese or English,
// with the counties ranked as worked out by hand.
func TestBulletinCommand(t *testing.T) {
	a, flags := cliSite(t, map[string][2]string{"zz-ban": {"office", "4101"}, "zy": {"reporter", "410102"}})
	ctx := context.Background()
	all := func(string) bool { return true }
	s := publiceval.New(a.DB)
	for i, x := range []struct {
		unit   string
		levels []int
	}{{"410102", []int{5, 5, 1}}, {"410103", []int{5, 4}}} {
		tg, err := publiceval.AddTarget(ctx, a.DB, audit.System, publiceval.NewTarget{Kind: publiceval.KindService, Name: "事项 " + x.unit, OrgCode: x.unit}, all)
		if err != nil {
			t.Fatal(err)
		}
		for j, l := range x.levels {
			at := time.Date(2026, 1, 5+j, 10, 0, 0, 0, period.Shanghai)
			if _, err := s.Rate(ctx, publiceval.Input{Target: tg.Key, Level: l, Channel: "web", IP: fmt.Sprintf("198.51.%d.%d", i, j+1), At: at}, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		return captureStdout(t, func() error { return cmdRun("ratings")(append(append([]string{"bulletin"}, args...), flags...)) })
	}
	if _, err := run("issue", "--as", "zy", "--unit", "410102", "--period", "202601"); err == nil || !strings.Contains(err.Error(), "outside its units or roles") {
		t.Fatalf("a county reporter issues a bulletin: %v", err)
	}
	if _, err := run("fetch", "--as", "zy", "--unit", "4101", "--period", "202601", "-o", filepath.Join(dir, "x.json")); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Fatalf("a county reporter fetches the city's bulletin: %v", err)
	}
	if _, err := run("fetch", "--as", "zy", "--unit", "410102", "--period", "2026-01", "-o", filepath.Join(dir, "x.json"), "--lang", "en"); err == nil || !strings.Contains(err.Error(), "YYYYMM") {
		t.Fatalf("a malformed month: %v", err)
	}
	readJSON := func() publiceval.BulletinData {
		t.Helper()
		out, err := run("fetch", "--as", "zz-ban", "--unit", "4101", "--period", "202601", "--format", "json", "-o", "-")
		if err != nil {
			t.Fatal(err)
		}
		var d publiceval.BulletinData
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		return d
	}
	d := readJSON()
	// 410103: 2 of 2 satisfied; 410102: 2 of 3 (one 非常不满意, one case)
	if d.Issued != nil || len(d.Rows) != 2 || d.Rows[0].Code != "410103" || d.Rows[0].Rank != 1 || d.Rows[1].Code != "410102" || d.Rows[1].Rank != 2 ||
		*d.Rows[1].Rates.Satisfaction != 200.0/3 || d.Rows[1].Counts.Cases != 1 || d.Totals.Valid() != 5 || *d.Rates.Satisfaction != 80 || d.Rows[1].Rates.OnTime != nil {
		t.Fatalf("the bulletin: %+v", d)
	}
	out, err := run("issue", "--as", "zz-ban", "--unit", "4101", "--period", "202601")
	if err != nil || !strings.Contains(out, "issued the bulletin of 202601 for 4101") {
		t.Fatalf("issue: %q %v", out, err)
	}
	if out, err = run("issue", "--as", "zz-ban", "--unit", "4101", "--month", "202601"); err != nil || !strings.Contains(out, "issued before") {
		t.Fatalf("issue again: %q %v", out, err)
	}
	var told int
	if err := a.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_message m JOIN auth_user u ON u.id = m.user_id WHERE u.name = 'zy' AND m.kind = 'publiceval.bulletin'`).Scan(&told); err != nil || told != 1 {
		t.Fatalf("the county's reporter was told %d times: %v", told, err)
	}
	if d := readJSON(); d.Issued == nil {
		t.Fatal("the bulletin is not issued")
	}
	pdf := filepath.Join(dir, "b.pdf")
	if out, err := run("fetch", "--as", "zz-ban", "--unit", "4101", "--period", "202601", "-o", pdf); err != nil || !strings.Contains(out, "2 units, issued") {
		t.Fatalf("fetch pdf: %q %v", out, err)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatal("not a PDF")
	}
	for lang, want := range map[string][]string{"zh-CN": {"排名", "满意率"}, "en": {"Rank", "Satisfaction"}} {
		x := filepath.Join(dir, lang+".xlsx")
		if _, err := run("fetch", "--unit", "4101", "--period", "202601", "-o", x, "--lang", lang); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenFile(x)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		f.Close()
		if err != nil || len(rows) < 3 || rows[0][0] != want[0] || !strings.Contains(strings.Join(rows[0], "|"), want[1]) ||
			rows[1][1] != "410103" || rows[2][1] != "410102" || rows[2][4] != "66.7%" {
			t.Fatalf("%s workbook: %v %v", lang, rows, err)
		}
	}
}
