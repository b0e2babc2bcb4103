package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/project"
)

// TestOMCommand: a county submits an O&M request and sees its flags; a
// list with errors is refused whole with its rows and columns; a dry run
// flags the rows and writes nothing; the import stores them; the list of
// flagged requests shows them; another city's reporter does not.
func TestOMCommand(t *testing.T) {
	a, flags := cliSite(t, map[string][2]string{"zy": {"reporter", "410102"}, "kf": {"reporter", "4102"}})
	ctx := context.Background()
	sid, err := project.New(a.DB).AddSystem(ctx, audit.System, []string{"/41/"}, project.NewSystem{Owner: "410102", Name: "中原区协同办公系统", OMCost: 500000, MLPSLevel: 2})
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		return captureStdout(t, func() error { return cmdRun("projects")(append(append([]string{"om"}, args...), flags...)) })
	}
	sys := strconv.FormatInt(sid, 10)
	if _, err := run("submit", "--as", "kf", "--system", sys, "--year", "2026", "--amount", "10"); err == nil || !strings.Contains(err.Error(), "outside its units") {
		t.Fatalf("another city's reporter submits: %v", err)
	}
	out, err := run("submit", "--as", "zy", "--system", sys, "--year", "2026", "--amount", "80", "--last-actual", "50", "--lang", "en")
	if err != nil || !strings.Contains(out, "over_last_year") || !strings.Contains(out, "above last year's actual spending") {
		t.Fatalf("submit: %v\n%s", err, out)
	}
	count := func() int {
		var n int
		if err := a.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_om`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := "年度,单位代码,信息系统,申请金额（万元）,上年实际支出（万元）,测算依据\n"
	bad := write("bad.csv", head+"2027,410102,中原区协同办公系统,1.23456,,\n2027,410102,不存在的系统,10,,\n")
	out, err = run("import", bad, "--as", "zy", "--lang", "en")
	if err == nil || !strings.Contains(out, "row 2") || !strings.Contains(out, "申请金额（万元）") || count() != 1 {
		t.Fatalf("a list with errors: %v\n%s", err, out)
	}
	good := write("good.csv", head+"2027,410102,中原区协同办公系统,55,50,合同\n2027,410102,#"+sys+",40,,补充\n")
	if _, err := run("import", good, "--as", "kf"); err == nil {
		t.Fatal("another city imports the county's requests")
	}
	out, err = run("import", good, "--as", "zy", "--dry-run", "--json")
	var res struct {
		DryRun   bool                 `json:"dry_run"`
		Rows     int                  `json:"rows"`
		Flagged  int                  `json:"flagged"`
		Requests []*project.OMRequest `json:"requests"`
	}
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || !res.DryRun || res.Rows != 2 || res.Flagged != 1 || count() != 1 {
		t.Fatalf("dry run: %v %d stored\n%s", err, count(), out)
	}
	if out, err := run("import", good, "--as", "zy"); err != nil || !strings.Contains(out, "imported 2 requests, 1 flagged") || count() != 3 {
		t.Fatalf("import: %v %d stored\n%s", err, count(), out)
	}
	out, err = run("list", "--as", "zy", "--flag", "any", "--year", "2027", "--json")
	var listed struct {
		Requests []*project.OMRequest `json:"requests"`
	}
	if err != nil || json.Unmarshal([]byte(out), &listed) != nil || len(listed.Requests) != 1 || listed.Requests[0].Flags[0].Code != project.FlagDuplicate {
		t.Fatalf("flagged list: %v\n%s", err, out)
	}
	if out, err := run("list", "--as", "kf"); err != nil || strings.Contains(out, "中原区协同办公系统") {
		t.Fatalf("another city's list: %v\n%s", err, out)
	}
}
