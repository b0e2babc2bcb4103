package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/ecstat"
)

// captureStdout runs f with the standard output going to a file and
// returns what it printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	out, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = out
	runErr := f()
	os.Stdout = old
	out.Close()
	b, _ := os.ReadFile(out.Name())
	return string(b), runErr
}

// TestSurveysCommand: the register is imported from a file (a dry run
// writes nothing), a survey's edits are replaced from a JSON file and
// printed back, and returns are loaded from a JSON file: the one an edit
// warns of is refused until its line carries a reason.
func TestSurveysCommand(t *testing.T) {
	dir := dataDir(t)
	ctx := context.Background()
	csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
	var codes []string
	for i := 0; i < 2; i++ {
		body := fmt.Sprintf("91410102%09d", 800+i)
		c, _ := ecstat.CreditCheck(body)
		codes = append(codes, body+string(c))
		csv += fmt.Sprintf("%s,命令行企业%d,F5292,410102,小型,是,10,1000\n", codes[i], i)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	reg := write("register.csv", csv)
	flags := []string{"--data", dir, "--log-level", "error"}
	out, err := captureStdout(t, func() error {
		return cmdRun("enterprises")(append([]string{"import", reg, "--dry-run", "--year", "2015"}, flags...))
	})
	if err != nil || !strings.Contains(out, "would import 2 births") {
		t.Fatalf("dry run: %v %s", err, out)
	}
	if out, err := captureStdout(t, func() error {
		return cmdRun("enterprises")(append([]string{"import", reg, "--year", "2015"}, flags...))
	}); err != nil || !strings.Contains(out, "imported 2 births") {
		t.Fatalf("import: %v %s", err, out)
	}
	a, err := app.Open(ctx, app.Config{DataDir: dir, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ecstat.CreateSurvey(ctx, a.DB, audit.System, ecstat.NewSurvey{Name: "命令行调查", Period: "2015",
		Items: []ecstat.Item{{Code: ecstat.EcomSales, Name: "电子商务销售额", Unit: "万元"}}})
	if err == nil {
		var s *ecstat.Survey
		if s, err = ecstat.GetSurvey(ctx, a.DB, id); err == nil {
			_, err = ecstat.Draw(ctx, a.DB, audit.System, s, ecstat.DesignSpec{Method: ecstat.Proportional, N: 10, Seed: 1})
		}
	}
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	sid := fmt.Sprint(id)
	bad := write("bad.json", `{"edits":[{"kind":"range","left":"NOPE","max":1}]}`)
	if _, err := captureStdout(t, func() error { return cmdRun("surveys")(append([]string{"form", sid, "--set", bad}, flags...)) }); err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Fatalf("bad edit accepted: %v", err)
	}
	form := write("form.json", `{"edits":[{"kind":"range","left":"ECOM_SALES","max":100,"severity":"warning"}]}`)
	out, err = captureStdout(t, func() error { return cmdRun("surveys")(append([]string{"form", sid, "--set", form}, flags...)) })
	if err != nil || !strings.Contains(out, `"kind": "range"`) || !strings.Contains(out, "不大于 100") {
		t.Fatalf("form: %v %s", err, out)
	}
	if out, err := captureStdout(t, func() error { return cmdRun("surveys")(append([]string{"list"}, flags...)) }); err != nil || !strings.Contains(out, "命令行调查") || !strings.Contains(out, "1 edits") {
		t.Fatalf("list: %v %s", err, out)
	}
	lines := func(reason string) string {
		return write("answers.json", fmt.Sprintf(`[{"credit_code":%q,"period":"2015","item":"ECOM_SALES","value":"500","reason":%q},{"credit_code":%q,"item":"ECOM_SALES","value":"50"}]`, codes[0], reason, codes[1]))
	}
	if out, err := captureStdout(t, func() error {
		return cmdRun("surveys")(append([]string{"responses", sid, lines(""), "--lang", "en"}, flags...))
	}); err == nil || !strings.Contains(err.Error(), "nothing stored") || !strings.Contains(out, "row 1") || !strings.Contains(out, "please check") {
		t.Fatalf("a warning without a reason accepted: %v %s", err, out)
	}
	out, err = captureStdout(t, func() error {
		return cmdRun("surveys")(append([]string{"responses", sid, lines("新开网店"), "--on-behalf"}, flags...))
	})
	if err != nil || !strings.Contains(out, "2 returns stored, 1 warnings kept") {
		t.Fatalf("responses: %v %s", err, out)
	}
	if out, err := captureStdout(t, func() error { return cmdRun("surveys")(append([]string{"form", sid}, flags...)) }); err != nil || !strings.Contains(out, `"locked": true`) {
		t.Fatalf("form after answers: %v %s", err, out)
	}
}
