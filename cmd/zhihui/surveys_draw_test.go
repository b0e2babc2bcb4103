package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/ecstat"
	"zhihui/internal/monitor"
)

// TestSurveysSampleRotationPublish: `zhihui surveys sample` draws a
// survey's sample from a seed, the next year's keeping half of the last
// (and refuses, in the language asked for, to rotate from a quarterly
// survey); `surveys rotation` lists the firms rotated in and out;
// `surveys responses` stores every return of a list or, with one bad
// line, none; `surveys publish` writes the estimates into monitoring and
// refuses a quarterly survey — on both stores.
func TestSurveysSampleRotationPublish(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var c app.Config
			storeArgs := []string{"--data", dataDir(t)}
			c.DataDir, c.LogLevel = storeArgs[1], "error"
			if engine == "postgres" {
				c.DSN = postgresDSN(t)
				storeArgs = []string{"--db", c.DSN}
			}
			storeArgs = append(storeArgs, "--log-level", "error")
			dir := t.TempDir()
			run := func(args ...string) (string, error) {
				t.Helper()
				return captureStdout(t, func() error { return cmdRun("surveys")(append(args, storeArgs...)) })
			}
			ctx := context.Background()
			csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
			for i := 0; i < 40; i++ {
				body := fmt.Sprintf("91410102%09d", 300+i)
				ch, _ := ecstat.CreditCheck(body)
				above := "否"
				if i < 3 {
					above = "是"
				}
				csv += fmt.Sprintf("%s%s,轮换企业%02d,F5292,410102,小型,%s,10,%d\n", body, string(ch), i, above, 1000+10*i)
			}
			reg := filepath.Join(dir, "register.csv")
			if err := os.WriteFile(reg, []byte(csv), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := captureStdout(t, func() error {
				return cmdRun("enterprises")(append([]string{"import", reg, "--year", "2015"}, storeArgs...))
			}); err != nil {
				t.Fatalf("register: %v %s", err, out)
			}
			a, err := app.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			items := []ecstat.Item{{Code: ecstat.EcomSales, Name: "电子商务销售额"}, {Code: ecstat.EcomPurchases, Name: "电子商务采购额"},
				{Code: ecstat.InfoGoods, Name: "信息产品消费支出"}, {Code: ecstat.InfoServices, Name: "信息服务消费支出"}}
			ids := map[string]string{}
			for _, p := range []string{"2015", "2016", "2016Q1"} {
				id, err := ecstat.CreateSurvey(ctx, a.DB, audit.System, ecstat.NewSurvey{Name: p + " 命令行调查", Period: p, Items: items})
				if err != nil {
					a.Close()
					t.Fatal(err)
				}
				ids[p] = fmt.Sprint(id)
			}
			a.Close()
			if _, err := run("sample", ids["2015"]); err == nil || !strings.Contains(err.Error(), "--seed") {
				t.Fatalf("no seed: %v", err)
			}
			out, err := run("sample", ids["2015"], "--seed", "1", "--n", "10")
			if err != nil || !strings.Contains(out, "drew 13 of 40 enterprises") || !strings.Contains(out, "seed 1") {
				t.Fatalf("sample 2015: %v %s", err, out)
			}
			if _, err := run("sample", ids["2016Q1"], "--seed", "3", "--n", "10"); err != nil {
				t.Fatalf("sample 2016Q1: %v", err)
			}
			_, err = run("sample", ids["2016"], "--seed", "2", "--n", "10", "--keep", "0.5", "--rotate-from", ids["2016Q1"], "--lang", "en")
			if err == nil || !strings.Contains(err.Error(), "not of the same frequency") {
				t.Fatalf("rotating from a quarter: %v", err)
			}
			out, err = run("sample", ids["2016"], "--seed", "2", "--n", "10", "--keep", "0.5")
			if err != nil || !strings.Contains(out, "rotation: 5 kept from survey "+ids["2015"]) || !strings.Contains(out, "5 drawn afresh") {
				t.Fatalf("sample 2016 rotating: %v %s", err, out)
			}
			out, err = run("rotation", ids["2016"])
			if err != nil || !strings.Contains(out, "8 kept") || !strings.Contains(out, "5 rotated in, 5 rotated out") || strings.Count(out, "\nin\t") != 5 {
				t.Fatalf("rotation: %v %s", err, out)
			}
			// Every sampled firm of 2016 answers; one bad line refuses them all.
			a, err = app.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			s16, err := ecstat.GetSurvey(ctx, a.DB, mustInt(t, ids["2016"]))
			var sample []ecstat.Selected
			if err == nil {
				sample, err = ecstat.Sample(ctx, a.DB, s16.ID, []string{"/41/"}, 0)
			}
			a.Close()
			if err != nil || len(sample) != 13 {
				t.Fatalf("sample: %d %v", len(sample), err)
			}
			var lines []ecstat.ResponseLine
			for _, x := range sample {
				for code, v := range map[string]string{ecstat.EcomSales: "100", ecstat.EcomPurchases: "50", ecstat.InfoGoods: "5", ecstat.InfoServices: "6"} {
					lines = append(lines, ecstat.ResponseLine{CreditCode: x.CreditCode, Item: code, Value: v})
				}
			}
			write := func(lines []ecstat.ResponseLine) string {
				b, _ := json.Marshal(lines)
				p := filepath.Join(dir, "answers.json")
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			bad := append([]ecstat.ResponseLine{}, lines...)
			bad[len(bad)-1].Value = "-1"
			out, err = run("responses", ids["2016"], write(bad), "--lang", "en")
			if err == nil || !strings.Contains(err.Error(), "1 errors: nothing stored") || !strings.Contains(out, fmt.Sprintf("row %d", len(bad))) {
				t.Fatalf("a bad line: %v %s", err, out)
			}
			if out, err := run("publish", ids["2016"]); err == nil || !strings.Contains(err.Error(), "不能发布") {
				t.Fatalf("published with no answers: %v %s", err, out)
			}
			if out, err = run("responses", ids["2016"], write(lines), "--on-behalf"); err != nil || !strings.Contains(out, "13 returns stored") {
				t.Fatalf("responses: %v %s", err, out)
			}
			if _, err := run("publish", ids["2016Q1"], "--lang", "en"); err == nil || !strings.Contains(err.Error(), "quarterly estimates are not written") {
				t.Fatalf("published a quarter: %v", err)
			}
			out, err = run("publish", ids["2016"], "--estimator", "ht")
			if err != nil || !strings.Contains(out, ecstat.ElementEcom+" 2016: ") || !strings.Contains(out, ecstat.ElementInfo+" 2016: ") || !strings.Contains(out, "ht estimator") {
				t.Fatalf("publish: %v %s", err, out)
			}
			a, err = app.Open(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			vals, err := monitor.DataValues(ctx, a.DB, monitor.ValueFilter{Elements: []string{ecstat.ElementEcom}, OrgUnits: []string{"41"}, Periods: []string{"2016"}})
			if err != nil || len(vals) != 1 || vals[0].Value.Value == "" {
				t.Fatalf("published value: %+v %v", vals, err)
			}
		})
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
