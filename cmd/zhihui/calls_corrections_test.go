package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store/storetest"
)

// cliSiteOn is cliSite on engine ("sqlite" or "postgres").
func cliSiteOn(t *testing.T, engine string, users map[string][2]string) (*app.App, []string) {
	t.Helper()
	if engine == "sqlite" {
		return cliSite(t, users)
	}
	base := storetest.PostgresDSN()
	if base == "off" {
		t.Skip("PostgreSQL tests disabled by ZHIHUI_TEST_POSTGRES=off")
	}
	dsn := storetest.WithSearchPath(base, storetest.NewSchema(t, base))
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DSN: dsn, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	for name, g := range users {
		u, err := auth.CreateUser(ctx, a.DB, audit.System, auth.NewUser{Name: name, Password: "a-long-password-" + name})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, a.DB, audit.System, u.ID, auth.Role(g[0]), g[1]); err != nil {
			t.Fatal(err)
		}
	}
	return a, []string{"--db", dsn, "--log-level", "error"}
}

// TestCallCorrectionsCommand: the city's office edits a call (only the
// flags given change) and withdraws another; another city's office and
// a reporter are refused; on a call under review an expert lists their
// seats and recuses, another expert may not recuse on that seat; the
// office reads the panel and undoes the recusal with a reason — on both
// stores, each step audited.
func TestCallCorrectionsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			users := map[string][2]string{"zz-ban": {"office", "4101"}, "kf-ban": {"office", "4102"}, "zy": {"reporter", "410102"}}
			for i := 0; i < 3; i++ {
				users[fmt.Sprint("cx", i)] = [2]string{"expert", "41"}
			}
			a, flags := cliSiteOn(t, engine, users)
			ctx := context.Background()
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("calls")(append(args, flags...)) })
			}
			svc := project.New(a.DB)
			all := []string{"/41/"}
			open := func(title string) string {
				t.Helper()
				id, err := svc.OpenCall(ctx, audit.System, all, project.NewCall{Kind: project.CallPilot, Title: title, Description: "遴选。", Org: "4101", Deadline: "2099-12-31",
					Criteria: "成效 50\n创新 50", Field: "egov", PanelSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				return strconv.FormatInt(id, 10)
			}
			cid := open("郑州市数据共享试点")
			for _, as := range []string{"kf-ban", "zy"} {
				if _, err := run("edit", cid, "--as", as, "--title", "改"); err == nil || !strings.Contains(err.Error(), "outside its units") {
					t.Fatalf("%s edits the call: %v", as, err)
				}
			}
			if _, err := run("edit", cid, "--as", "zz-ban", "--panel-size", "2"); err == nil || !strings.Contains(err.Error(), "3 to 15") {
				t.Fatalf("a panel of two: %v", err)
			}
			out, err := run("edit", cid, "--as", "zz-ban", "--title", "郑州市数据共享试点（第二批）", "--criteria", "成效 70；创新 30", "--json")
			var got struct {
				Call project.Call `json:"call"`
			}
			if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Call.Title != "郑州市数据共享试点（第二批）" || got.Call.Criteria[0].Weight != 70 ||
				got.Call.Description != "遴选。" || got.Call.Deadline != "2099-12-31" {
				t.Fatalf("edit: %v\n%s", err, out)
			}
			if _, err := run("withdraw", cid, "--as", "zz-ban"); err == nil || !strings.Contains(err.Error(), "withdrawn") {
				t.Fatalf("a withdrawal without a reason: %v", err)
			}
			if _, err := run("withdraw", cid, "--as", "kf-ban", "--reason", "撤回"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city withdraws the call: %v", err)
			}
			if out, err := run("withdraw", cid, "--as", "zz-ban", "--reason", "试点方案调整"); err != nil || !strings.Contains(out, "withdrawn") {
				t.Fatalf("withdraw: %v\n%s", err, out)
			}

			rid := open("郑州市优秀工程评选")
			id, _ := strconv.ParseInt(rid, 10, 64)
			for i := 0; i < 3; i++ {
				if _, err := svc.AddExpert(ctx, audit.System, project.Expert{Name: fmt.Sprint("专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某大学", i), Region: "41",
					Available: true, Account: fmt.Sprint("cx", i)}); err != nil {
					t.Fatal(err)
				}
			}
			app, err := svc.Apply(ctx, audit.System, all, id, project.NewApplication{Unit: "410102", Title: "中原区数据共享平台", Body: "正文"})
			if err != nil {
				t.Fatal(err)
			}
			if err := svc.CheckApplication(ctx, audit.System, all, app, true, ""); err != nil {
				t.Fatal(err)
			}
			if err := svc.CloseCall(ctx, audit.System, all, id); err != nil {
				t.Fatal(err)
			}
			if err := svc.DrawCallPanel(ctx, audit.System, all, id, nil); err != nil {
				t.Fatal(err)
			}
			seats, _ := svc.CallSeats(ctx, id)
			first, second := seats[0], seats[1]
			seat, appArg := strconv.FormatInt(first.ID, 10), strconv.FormatInt(app, 10)
			if out, err := run("reviews", "--as", first.Account); err != nil || !strings.Contains(out, "中原区数据共享平台") || !strings.Contains(out, "to score") {
				t.Fatalf("the expert's seats: %v\n%s", err, out)
			}
			if _, err := run("reviews", "--as", "zy"); err == nil {
				t.Fatal("a reporter lists seats")
			}
			if _, err := run("recuse", seat, "--as", second.Account, "--application", appArg, "--reason", "冲突"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("recusing on another expert's seat: %v", err)
			}
			if _, err := run("recuse", seat, "--as", first.Account, "--application", appArg, "--reason", "曾为该项目提供咨询"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("panel", rid, "--as", "kf-ban"); err == nil {
				t.Fatal("another city reads the panel")
			}
			out, err = run("panel", rid, "--as", "zz-ban", "--json")
			if err != nil || !strings.Contains(out, "曾为该项目提供咨询") || !strings.Contains(out, `"reproduces": true`) {
				t.Fatalf("the panel: %v\n%s", err, out)
			}
			undo := []string{"undo-recusal", rid, "--seat", seat, "--application", appArg}
			if _, err := run(append(undo, "--as", "kf-ban", "--reason", "误报")...); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("another city undoes the recusal: %v", err)
			}
			if _, err := run(append(undo, "--as", "zz-ban")...); err == nil || !strings.Contains(err.Error(), "undone") {
				t.Fatalf("an undoing without a reason: %v", err)
			}
			if out, err := run(append(undo, "--as", "zz-ban", "--reason", "咨询合同未履行")...); err != nil || !strings.Contains(out, "undone") {
				t.Fatalf("undo: %v\n%s", err, out)
			}
			for action, n := range map[string]int{"recuse": 1, "undo_recusal": 1} {
				es, _, err := audit.Search(ctx, a.DB, audit.Filter{Action: action, Entity: "project_application", EntityID: appArg})
				if err != nil || len(es) != n {
					t.Errorf("%s audit entries: %d %v", action, len(es), err)
				}
			}
		})
	}
}

// TestExpertsCommand: an office marks an expert absent and declares a
// tie, corrects and deletes both; a reporter is refused; bad dates are
// errors naming the field in both languages — on both stores.
func TestExpertsCommand(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			a, flags := cliSiteOn(t, engine, map[string][2]string{"kf-ban": {"office", "4102"}, "zy": {"reporter", "410102"}})
			ctx := context.Background()
			run := func(args ...string) (string, error) {
				return captureStdout(t, func() error { return cmdRun("experts")(append(args, flags...)) })
			}
			eid, err := project.New(a.DB).AddExpert(ctx, audit.System, project.Expert{Name: "王建国", Fields: []string{"egov"}, Employer: "郑州大学", Region: "41", Available: true})
			if err != nil {
				t.Fatal(err)
			}
			e := strconv.FormatInt(eid, 10)
			if _, err := run("absence", "add", e, "--as", "zy", "--from", "2099-07-01", "--to", "2099-07-10", "--reason", "出国"); err == nil || !strings.Contains(err.Error(), "outside its units") {
				t.Fatalf("a reporter marks an expert absent: %v", err)
			}
			if _, err := run("absence", "add", e, "--as", "kf-ban", "--from", "2099-07-10", "--to", "2099-07-01", "--reason", "出国"); err == nil ||
				!strings.Contains(err.Error(), "before the first day") || !strings.Contains(err.Error(), "早于") {
				t.Fatalf("an absence ending before it starts: %v", err)
			}
			out, err := run("absence", "add", e, "--as", "kf-ban", "--from", "2099-07-01", "--to", "2099-07-10", "--reason", "出国访问", "--json")
			var ab struct {
				Absence project.Absence `json:"absence"`
			}
			if err != nil || json.Unmarshal([]byte(out), &ab) != nil || ab.Absence.ID == 0 {
				t.Fatalf("add an absence: %v\n%s", err, out)
			}
			aid := strconv.FormatInt(ab.Absence.ID, 10)
			if out, err := run("absence", "update", e, aid, "--as", "kf-ban", "--from", "2099-07-01", "--to", "2099-07-05", "--reason", "出国（提前回国）"); err != nil || !strings.Contains(out, "2099-07-05") {
				t.Fatalf("correct the absence: %v\n%s", err, out)
			}
			out, err = run("tie", "add", e, "--as", "kf-ban", "--kind", "employed", "--unit", "410102", "--note", "原中原区大数据局", "--json")
			var tie struct {
				Tie project.Tie `json:"tie"`
			}
			if err != nil || json.Unmarshal([]byte(out), &tie) != nil || tie.Tie.UnitName != "中原区" {
				t.Fatalf("declare a tie: %v\n%s", err, out)
			}
			tid := strconv.FormatInt(tie.Tie.ID, 10)
			if _, err := run("tie", "update", e, tid, "--as", "kf-ban", "--kind", "friend", "--unit", "410102"); err == nil || !strings.Contains(err.Error(), "kind of tie") {
				t.Fatalf("an unknown kind of tie: %v", err)
			}
			if out, err := run("tie", "update", e, tid, "--as", "kf-ban", "--kind", "employed", "--unit", "410102", "--until", "2025-12-31", "--note", "已离职"); err != nil || !strings.Contains(out, "2025-12-31") {
				t.Fatalf("correct the tie: %v\n%s", err, out)
			}
			if out, err := run("show", e, "--as", "kf-ban"); err != nil || !strings.Contains(out, "出国（提前回国）") || !strings.Contains(out, "2025-12-31") {
				t.Fatalf("show: %v\n%s", err, out)
			}
			if _, err := run("absence", "delete", e, aid, "--as", "kf-ban"); err != nil {
				t.Fatal(err)
			}
			if _, err := run("absence", "delete", e, aid, "--as", "kf-ban"); err == nil {
				t.Fatal("deleting an absence twice")
			}
			if _, err := run("tie", "delete", e, tid, "--as", "kf-ban"); err != nil {
				t.Fatal(err)
			}
			for _, entity := range []struct{ kind, id string }{{"project_absence", aid}, {"project_tie", tid}} {
				for _, action := range []string{"create", "update", "delete"} {
					es, _, err := audit.Search(ctx, a.DB, audit.Filter{Action: action, Entity: entity.kind, EntityID: entity.id})
					if err != nil || len(es) != 1 || es[0].Actor.Name != "kf-ban" {
						t.Errorf("%s %s audit: %+v %v", action, entity.kind, es, err)
					}
				}
			}
		})
	}
}
