package project

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// audited returns the audit entries of entity id with action, newest first.
func audited(t *testing.T, db *store.DB, action, entity, id string) []audit.Entry {
	t.Helper()
	es, _, err := audit.Search(context.Background(), db, audit.Filter{Action: action, Entity: entity, EntityID: id})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestCallEditWithdrawAndDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC) // Monday, 10:00 in Shanghai
		s.Now = func() time.Time { return now }
		all := []string{province}
		zy := []string{pathOf(t, db, "410102")}
		u, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: "zy", DisplayName: "中原区", Password: "a-long-password-zy"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, office, u.ID, auth.Reporter, "410102"); err != nil {
			t.Fatal(err)
		}
		nc := NewCall{Kind: CallPilot, Title: "2026 年数字政府试点", Description: "征集数字政府试点项目。", Org: "41", Levels: []string{"county"},
			Deadline: "2026-06-18", Criteria: "成效 60\n创新 40", Field: "egov", PanelSize: 3}
		cid, err := s.OpenCall(ctx, office, all, nc)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint(cid)
		c, _ := s.GetCall(ctx, cid)
		e := EditOf(c)
		var ue *i18n.Error

		// A county cannot edit; the office can change anything before anyone applies.
		if err := s.EditCall(ctx, office, zy, cid, e); !IsOutside(err) {
			t.Fatalf("a county editing: %v", err)
		}
		e.Title, e.Levels, e.Categories, e.Criteria, e.PanelSize = "2026 年数字政府试点（修订）", []string{"city", "county"}, []string{"new"}, "成效 50\n创新 30\n推广 20", 5
		if err := s.EditCall(ctx, office, all, cid, e); err != nil {
			t.Fatal(err)
		}
		c, _ = s.GetCall(ctx, cid)
		if c.Title != e.Title || len(c.Levels) != 2 || len(c.Criteria) != 3 || c.PanelSize != 5 || c.Status != CallOpen {
			t.Fatalf("after the edit: %+v", c)
		}
		if es := audited(t, db, "update", "project_call", id); len(es) != 1 || !strings.Contains(string(es[0].Before), "2026 年数字政府试点\"") || !strings.Contains(string(es[0].After), "修订") {
			t.Fatalf("the edit's audit: %+v", es)
		}
		// Bad input is refused in both languages, on its field.
		bad := e
		bad.Criteria = "成效 50\n创新 30"
		if err := s.EditCall(ctx, office, all, cid, bad); !errors.As(err, &ue) || ue.Code != "weights_sum" || ue.En == "" {
			t.Fatalf("weights summing to 80: %v", err)
		}
		bad = e
		bad.Deadline = "2026-06-12"
		if err := s.EditCall(ctx, office, all, cid, bad); !errors.As(err, &ue) || ue.Field != "deadline" {
			t.Fatalf("a deadline in the past: %v", err)
		}
		pid := register(t, s, zy, NewProject{Name: "中原区智慧社区", Owner: "410102", Category: "new", Funding: "区级财政", Estimate: wan(t, "80")})
		if _, err := s.Apply(ctx, owner, zy, cid, NewApplication{Unit: "410102", ProjectID: pid, Body: "社区服务全覆盖。"}); err != nil {
			t.Fatal(err)
		}
		// Once a unit applied, eligibility stays; other fields still change.
		bad = e
		bad.Levels = []string{"county"}
		if err := s.EditCall(ctx, office, all, cid, bad); !errors.As(err, &ue) || ue.Field != "levels" || !strings.Contains(ue.Zh, "已有 1 项申报") {
			t.Fatalf("levels changed after an application: %v", err)
		}
		e.Description = "征集数字政府试点项目，重点支持县级。"
		e.Levels = []string{"county", "city"} // the same, in another order
		if err := s.EditCall(ctx, office, all, cid, e); err != nil {
			t.Fatal(err)
		}

		// The deadline passes: applications are refused at once, and the
		// job closes the call, once, and tells the office.
		now = time.Date(2026, 6, 18, 15, 59, 0, 0, time.UTC) // 23:59 on the last day in Shanghai
		if n, err := s.CloseExpired(ctx); err != nil || n != 0 {
			t.Fatalf("closing on the last day: %d %v", n, err)
		}
		now = time.Date(2026, 6, 18, 16, 1, 0, 0, time.UTC) // 00:01 the next day in Shanghai
		if _, err := s.Apply(ctx, owner, all, cid, NewApplication{Unit: "410103", Title: "二七区", Body: "迟到"}); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "已截止") {
			t.Fatalf("an application after the deadline: %v", err)
		}
		if n, err := s.CloseExpired(ctx); err != nil || n != 1 {
			t.Fatalf("closing after the deadline: %d %v", n, err)
		}
		if n, err := s.CloseExpired(ctx); err != nil || n != 0 {
			t.Fatalf("closing again: %d %v", n, err)
		}
		c, _ = s.GetCall(ctx, cid)
		if c.Status != CallClosed {
			t.Fatalf("the call after its deadline: %s", c.Status)
		}
		if es := audited(t, db, "close", "project_call", id); len(es) != 1 || es[0].Actor.Name != audit.System.Name || !strings.Contains(string(es[0].After), "deadline_passed") {
			t.Fatalf("the closing's audit: %+v", es)
		}
		// A new deadline reopens the closed call.
		e.Deadline = "2026-06-26"
		if err := s.EditCall(ctx, office, all, cid, e); err != nil {
			t.Fatal(err)
		}
		c, _ = s.GetCall(ctx, cid)
		if c.Status != CallOpen || c.Deadline != "2026-06-26" || !c.Accepting(s.Today()) {
			t.Fatalf("the call with a new deadline: %+v", c)
		}

		// Withdrawal: the reason is required, the applicants are told, and
		// nothing more happens to the call.
		if err := s.WithdrawCall(ctx, office, all, cid, " "); !errors.As(err, &ue) || ue.Field != "reason" {
			t.Fatalf("a withdrawal without a reason: %v", err)
		}
		if err := s.WithdrawCall(ctx, office, zy, cid, "政策调整"); !IsOutside(err) {
			t.Fatalf("a county withdrawing: %v", err)
		}
		if err := s.WithdrawCall(ctx, office, all, cid, "政策调整，另行通知"); err != nil {
			t.Fatal(err)
		}
		c, _ = s.GetCall(ctx, cid)
		if c.Status != CallWithdrawn || c.WithdrawReason != "政策调整，另行通知" || c.WithdrawnAt == nil || c.Editable() || c.Withdrawable() {
			t.Fatalf("the withdrawn call: %+v", c)
		}
		if es := audited(t, db, "withdraw", "project_call", id); len(es) != 1 || !strings.Contains(string(es[0].After), "政策调整") {
			t.Fatalf("the withdrawal's audit: %+v", es)
		}
		if err := s.EditCall(ctx, office, all, cid, e); !errors.As(err, &ue) || ue.Code != "not_editable" {
			t.Fatalf("editing a withdrawn call: %v", err)
		}
		if err := s.WithdrawCall(ctx, office, all, cid, "再撤"); !errors.As(err, &ue) || ue.Code != "not_withdrawable" {
			t.Fatalf("withdrawing twice: %v", err)
		}
		if _, err := s.Apply(ctx, owner, zy, cid, NewApplication{Unit: "410102", Title: "再报", Body: "x"}); !errors.As(err, &ue) {
			t.Fatalf("applying to a withdrawn call: %v", err)
		}
		if err := s.CloseCall(ctx, office, all, cid); !errors.As(err, &ue) {
			t.Fatalf("closing a withdrawn call: %v", err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_message WHERE msg_key = 'project.notify.call_withdrawn' AND user_id = $1`, u.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("withdrawal notices: %d %v", n, err)
		}
	})
}

func TestRecusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		all := []string{province}
		cid, err := s.OpenCall(ctx, office, all, NewCall{Kind: CallAward, Title: "优秀工程评选", Description: "评选。", Org: "41",
			Deadline: "2026-06-19", Criteria: "成效 50\n创新 50", Field: "egov", PanelSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		var apps []int64
		for _, u := range []string{"410102", "410103"} {
			id, err := s.Apply(ctx, owner, all, cid, NewApplication{Unit: u, Title: "申报 " + u, Body: "正文"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CheckApplication(ctx, office, all, id, true, ""); err != nil {
				t.Fatal(err)
			}
			apps = append(apps, id)
		}
		if err := s.CloseCall(ctx, office, all, cid); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if _, err := s.AddExpert(ctx, office, Expert{Name: fmt.Sprint("专家", i), Fields: []string{"egov"}, Employer: "某大学", Region: "41", Available: true, Account: fmt.Sprint("r", i)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DrawCallPanel(ctx, office, all, cid, nil); err != nil {
			t.Fatal(err)
		}
		seats, _ := s.CallSeats(ctx, cid)
		var ue *i18n.Error
		// Application 0: five scores, trimmed. Application 1: the first
		// expert scores, then recuses (the score goes); four remain and
		// are not trimmed.
		first := seats[0]
		if err := s.ScoreApplication(ctx, audit.Actor{Name: first.Account}, first.Account, first.ID, apps[1], []int{100, 100}, "先评了"); err != nil {
			t.Fatal(err)
		}
		if err := s.Recuse(ctx, audit.Actor{Name: first.Account}, first.Account, first.ID, apps[1], ""); !errors.As(err, &ue) || ue.Field != "reason" {
			t.Fatalf("a recusal without a reason: %v", err)
		}
		if err := s.Recuse(ctx, audit.Actor{Name: "other"}, seats[1].Account, first.ID, apps[1], "冲突"); !IsOutside(err) {
			t.Fatalf("recusing on another expert's seat: %v", err)
		}
		if err := s.Recuse(ctx, audit.Actor{Name: first.Account}, first.Account, first.ID, apps[1], "曾为该项目提供咨询"); err != nil {
			t.Fatal(err)
		}
		if err := s.Recuse(ctx, audit.Actor{Name: first.Account}, first.Account, first.ID, apps[1], "again"); !errors.As(err, &ue) {
			t.Fatalf("recusing twice: %v", err)
		}
		if err := s.ScoreApplication(ctx, audit.Actor{Name: first.Account}, first.Account, first.ID, apps[1], []int{90, 90}, "想再评"); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "回避") {
			t.Fatalf("scoring after the recusal: %v", err)
		}
		es := audited(t, db, "recuse", "project_application", fmt.Sprint(apps[1]))
		if len(es) != 1 || es[0].Actor.Name != first.Account || !strings.Contains(string(es[0].Before), "10000") || !strings.Contains(string(es[0].After), "曾为该项目提供咨询") {
			t.Fatalf("the recusal's audit: %+v", es)
		}
		as, err := s.CallAssignment(ctx, first.Account, first.ID)
		if err != nil || len(as.Recused) != 1 || as.Recused[apps[1]].Reason != "曾为该项目提供咨询" {
			t.Fatalf("the assignment with its recusal: %+v %v", as.Recused, err)
		}
		app0 := []int{90, 80, 70, 60, 50} // trimmed: 70
		app1 := []int{0, 85, 75, 65, 95}  // the recused seat's 0 is never given: 80 over four
		for i, st := range seats {
			if err := s.ScoreApplication(ctx, audit.Actor{Name: st.Account}, st.Account, st.ID, apps[0], []int{app0[i], app0[i]}, "意见"); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				continue
			}
			if i == len(seats)-1 {
				// Every other seat is done; the last one still owes a score.
				if err := s.Publish(ctx, office, all, cid, ""); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "1 项申报未评分") {
					t.Fatalf("publishing with a score missing: %v", err)
				}
			}
			if err := s.ScoreApplication(ctx, audit.Actor{Name: st.Account}, st.Account, st.ID, apps[1], []int{app1[i], app1[i]}, "意见"); err != nil {
				t.Fatal(err)
			}
		}
		seats, _ = s.CallSeats(ctx, cid)
		if seats[0].Scored != 1 || seats[0].Recused != 1 || !seats[0].Done(2) {
			t.Fatalf("the recused seat: %+v", seats[0])
		}
		rs, err := s.Ranking(ctx, cid)
		if err != nil || len(rs) != 2 {
			t.Fatal(rs, err)
		}
		if rs[0].Application.ID != apps[1] || rs[0].Score.String() != "80.00" || rs[0].Score.N != 4 || len(rs[0].Scores) != 4 ||
			rs[1].Score.String() != "70.00" || rs[1].Score.N != 3 {
			t.Fatalf("the ranking: %+v / %+v", rs[0], rs[1])
		}
		if err := s.Publish(ctx, office, all, cid, "公布"); err != nil {
			t.Fatal(err)
		}
		if err := s.Recuse(ctx, audit.Actor{Name: seats[1].Account}, seats[1].Account, seats[1].ID, apps[0], "晚了"); !errors.As(err, &ue) {
			t.Fatalf("a recusal after publication: %v", err)
		}
		if err := s.WithdrawCall(ctx, office, all, cid, "撤回"); !errors.As(err, &ue) {
			t.Fatalf("withdrawing published results: %v", err)
		}
		rec, err := s.Recusals(ctx, cid)
		if err != nil || len(rec) != 1 || rec[0].Position != first.Position {
			t.Fatalf("recusals: %+v %v", rec, err)
		}
	})
}

func TestRankingWithoutAnyScore(t *testing.T) {
	rs := []Ranked{
		{Application: &Application{ID: 1}, Score: Mean{}},
		{Application: &Application{ID: 2}, Score: Mean{Sum: 8000, N: 2}, All: Mean{Sum: 8000, N: 2}},
	}
	RankOrder(rs)
	if rs[0].Application.ID != 2 || rs[0].Rank != 1 || rs[1].Rank != 0 || rs[1].Tied {
		t.Fatalf("an application nobody scored: %+v", rs)
	}
}

func TestAbsenceAndTieCorrections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		eid, err := s.AddExpert(ctx, office, Expert{Name: "王", Fields: []string{"egov"}, Employer: "某大学", Region: "41", Available: true})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.AddExpert(ctx, office, Expert{Name: "李", Fields: []string{"egov"}, Employer: "某大学", Region: "41", Available: true})
		if err != nil {
			t.Fatal(err)
		}
		aid, err := s.AddAbsence(ctx, office, eid, "2026-07-01", "2026-07-10", "出国")
		if err != nil {
			t.Fatal(err)
		}
		tid, err := s.AddTie(ctx, office, eid, TieEmployed, "410102", "", "原中原区大数据局")
		if err != nil {
			t.Fatal(err)
		}
		var ue *i18n.Error
		if err := s.UpdateAbsence(ctx, office, eid, aid, "2026-07-10", "2026-07-01", "出国"); !errors.As(err, &ue) || ue.Field != "to" || ue.En == "" {
			t.Fatalf("an absence ending before it starts: %v", err)
		}
		if err := s.UpdateAbsence(ctx, office, other, aid, "2026-07-01", "2026-07-05", "出国"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another expert's absence: %v", err)
		}
		if err := s.UpdateAbsence(ctx, office, eid, aid, "2026-07-01", "2026-07-05", "出国（提前回国）"); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateTie(ctx, office, eid, tid, "friend", "410102", "", ""); !errors.As(err, &ue) || ue.Field != "kind" {
			t.Fatalf("an unknown kind of tie: %v", err)
		}
		if err := s.UpdateTie(ctx, office, eid, tid, TieWorked, "9999", "", ""); !errors.As(err, &ue) || ue.Field != "unit" {
			t.Fatalf("an unknown unit: %v", err)
		}
		if err := s.UpdateTie(ctx, office, eid, tid, TieEmployed, "410102", "2025-12-31", "已离职"); err != nil {
			t.Fatal(err)
		}
		rec, err := s.ExpertRecord(ctx, eid)
		if err != nil || len(rec.Absences) != 1 || rec.Absences[0].To != "2026-07-05" || rec.Absences[0].Reason != "出国（提前回国）" ||
			len(rec.Ties) != 1 || rec.Ties[0].Until != "2025-12-31" || rec.Ties[0].Note != "已离职" {
			t.Fatalf("after the corrections: %+v %v", rec, err)
		}
		if es := audited(t, db, "update", "project_absence", fmt.Sprint(aid)); len(es) != 1 || !strings.Contains(string(es[0].Before), "2026-07-10") || !strings.Contains(string(es[0].After), "2026-07-05") {
			t.Fatalf("the absence's audit: %+v", es)
		}
		if es := audited(t, db, "update", "project_tie", fmt.Sprint(tid)); len(es) != 1 || !strings.Contains(string(es[0].After), "2025-12-31") {
			t.Fatalf("the tie's audit: %+v", es)
		}
		if err := s.DeleteTie(ctx, office, other, tid); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleting another expert's tie: %v", err)
		}
		if err := s.DeleteAbsence(ctx, office, eid, aid); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTie(ctx, office, eid, tid); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAbsence(ctx, office, eid, aid); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		rec, _ = s.ExpertRecord(ctx, eid)
		if len(rec.Absences) != 0 || len(rec.Ties) != 0 {
			t.Fatalf("after the deletions: %+v", rec)
		}
		if es := audited(t, db, "delete", "project_absence", fmt.Sprint(aid)); len(es) != 1 || !strings.Contains(string(es[0].Before), "出国（提前回国）") {
			t.Fatalf("the absence's deletion audit: %+v", es)
		}
		if es := audited(t, db, "delete", "project_tie", fmt.Sprint(tid)); len(es) != 1 || !strings.Contains(string(es[0].Before), "已离职") {
			t.Fatalf("the tie's deletion audit: %+v", es)
		}
	})
}

// TestRecusalUndoAndLaterDraws: the office of another city may not undo
// an expert's recusal, nor anyone without a reason; the call's office
// undoes it (audited, the expert told), the expert may then score and
// declares it again; after publication it can no longer be undone. A
// later draw for the applicant — here the panel of the very project the
// application was for, whose own earlier reviews are no tie — leaves the
// recused expert out with the reason recorded, and reproduces from its
// seed; the recusal counts within the office's window of years.
func TestRecusalUndoAndLaterDraws(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)
		s.Now = func() time.Time { return now }
		all := []string{province}
		zy := []string{pathOf(t, db, "410102")}
		pid := register(t, s, zy, NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "区级财政", Estimate: wan(t, "260")})
		if _, err := s.AddDocument(ctx, owner, zy, pid, Material, "可研.txt", []byte("可行性研究报告")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zy, pid, ""); err != nil {
			t.Fatal(err)
		}
		users := map[string]int64{}
		for i := 0; i < 6; i++ {
			acct := fmt.Sprint("ux", i)
			u, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: acct, Password: "a-long-password-" + acct})
			if err != nil {
				t.Fatal(err)
			}
			users[acct] = u.ID
			if _, err := s.AddExpert(ctx, office, Expert{Name: fmt.Sprint("专家", i), Fields: []string{"egov"}, Employer: fmt.Sprint("某大学", i), Region: "41", Available: true, Account: acct}); err != nil {
				t.Fatal(err)
			}
		}
		cid, err := s.OpenCall(ctx, office, all, NewCall{Kind: CallAward, Title: "优秀工程评选", Description: "评选。", Org: "41",
			Deadline: "2026-06-19", Criteria: "成效 50\n创新 50", Field: "egov", PanelSize: 5})
		if err != nil {
			t.Fatal(err)
		}
		var apps []int64
		for _, na := range []NewApplication{{Unit: "410102", ProjectID: pid, Body: "正文"}, {Unit: "410103", Title: "二七区申报", Body: "正文"}} {
			id, err := s.Apply(ctx, owner, all, cid, na)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.CheckApplication(ctx, office, all, id, true, ""); err != nil {
				t.Fatal(err)
			}
			apps = append(apps, id)
		}
		if err := s.CloseCall(ctx, office, all, cid); err != nil {
			t.Fatal(err)
		}
		if err := s.DrawCallPanel(ctx, office, all, cid, nil); err != nil {
			t.Fatal(err)
		}
		seats, _ := s.CallSeats(ctx, cid)
		first := seats[0]
		expert := audit.Actor{Name: first.Account}
		if err := s.Recuse(ctx, expert, first.Account, first.ID, apps[0], "曾为该项目提供咨询"); err != nil {
			t.Fatal(err)
		}
		var ue *i18n.Error
		if err := s.UndoRecusal(ctx, office, []string{pathOf(t, db, "4102")}, cid, first.ID, apps[0], "误报"); !IsOutside(err) {
			t.Fatalf("another city undoes the recusal: %v", err)
		}
		if err := s.UndoRecusal(ctx, office, all, cid, first.ID, apps[0], " "); !errors.As(err, &ue) || ue.Field != "reason" || ue.En == "" {
			t.Fatalf("undoing without a reason: %v", err)
		}
		if err := s.UndoRecusal(ctx, office, all, cid, first.ID, apps[1], "误报"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("undoing a recusal never declared: %v", err)
		}
		if err := s.UndoRecusal(ctx, office, all, cid+1, first.ID, apps[0], "误报"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("undoing through another call: %v", err)
		}
		if err := s.UndoRecusal(ctx, office, all, cid, first.ID, apps[0], "咨询合同未履行，不构成利益冲突"); err != nil {
			t.Fatal(err)
		}
		es := audited(t, db, "undo_recusal", "project_application", fmt.Sprint(apps[0]))
		if len(es) != 1 || es[0].Actor.Name != office.Name || !strings.Contains(string(es[0].Before), "曾为该项目提供咨询") || !strings.Contains(string(es[0].After), "不构成利益冲突") {
			t.Fatalf("the undoing's audit: %+v", es)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_message WHERE msg_key = 'project.notify.call_recusal_undone' AND user_id = $1`, users[first.Account]).Scan(&n); err != nil || n != 1 {
			t.Fatalf("the expert's notice: %d %v", n, err)
		}
		if rec, err := s.ExpertRecord(ctx, first.ExpertID); err != nil || len(rec.Recusals) != 0 {
			t.Fatalf("the undone recusal still counts: %+v %v", rec.Recusals, err)
		}
		if err := s.UndoRecusal(ctx, office, all, cid, first.ID, apps[0], "再次"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("undoing twice: %v", err)
		}
		// The expert may score it now, and declares the conflict again.
		if err := s.ScoreApplication(ctx, expert, first.Account, first.ID, apps[0], []int{80, 80}, "意见"); err != nil {
			t.Fatal(err)
		}
		if err := s.Recuse(ctx, expert, first.Account, first.ID, apps[0], "配偶在申报单位任职"); err != nil {
			t.Fatal(err)
		}
		for i, st := range seats {
			for j, app := range apps {
				if i == 0 && j == 0 {
					continue
				}
				if err := s.ScoreApplication(ctx, audit.Actor{Name: st.Account}, st.Account, st.ID, app, []int{70 + i, 70 + j}, "意见"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := s.Publish(ctx, office, all, cid, "公布"); err != nil {
			t.Fatal(err)
		}
		if err := s.UndoRecusal(ctx, office, all, cid, first.ID, apps[0], "晚了"); !errors.As(err, &ue) || ue.Code != "review_over" {
			t.Fatalf("undoing after publication: %v", err)
		}
		// The project's own panel: the other panellists reviewed this very
		// project and may sit; the recused expert may not.
		rid, err := s.DrawPanel(ctx, office, all, pid, "egov", 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := s.Exclusions(ctx, "review", rid)
		if err != nil || len(ex) != 1 || ex[0].ExpertID != first.ExpertID || ex[0].Reason != ExRecused || !strings.Contains(ex[0].Detail, "配偶在申报单位任职") ||
			!strings.Contains(ex[0].Detail, "中原区政务数据共享平台") {
			t.Fatalf("exclusions of the later draw: %+v %v", ex, err)
		}
		revs, err := s.Reviews(ctx, pid)
		if err != nil || len(revs) != 1 || len(revs[0].Candidates) != 5 || slices.Contains(revs[0].Candidates, first.ExpertID) || !revs[0].Reproduces() {
			t.Fatalf("the later draw: %+v %v", revs, err)
		}
		if es := audited(t, db, "draw", "project_review", fmt.Sprint(rid)); len(es) != 1 || !strings.Contains(string(es[0].After), ExRecused) {
			t.Fatalf("the draw's audit: %+v", es)
		}
		// Two years on with a one-year window the recusal no longer counts.
		if err := s.SetTieYears(ctx, office, 1); err != nil {
			t.Fatal(err)
		}
		now = now.AddDate(2, 0, 0)
		cands, err := s.candidates(ctx, mustGet(t, s, pid), "egov")
		if err != nil || !slices.Contains(cands, first.ExpertID) {
			t.Fatalf("candidates two years on: %v %v", cands, err)
		}
	})
}
