package project

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestVarianceLights(t *testing.T) {
	th := Thresholds{Amber: 5, Red: 10, StaleDays: 90}
	b := &Baseline{Start: "2025-01-01", End: "2025-12-31", Cost: 1000 * 10000}
	money := func(w int64) *Money { m := Money(w * 10000); return &m }
	for _, c := range []struct {
		pr    *Progress
		risk  int
		light string
		cost  float64
		sched float64
	}{
		{&Progress{ProjectedCost: money(1000), ProjectedEnd: "2025-12-31"}, 0, "green", 0, 0},
		{&Progress{ProjectedCost: money(1060)}, 4, "amber", 6, 0},
		{&Progress{ProjectedCost: money(900), ActualCost: money(1100)}, 5, "red", 10, 0}, // the actual cost wins
		{&Progress{ProjectedEnd: "2026-03-01"}, 0, "red", 0, 16.5},                       // 60 days late of 364
		{&Progress{ProjectedEnd: "2025-12-01"}, 2, "red", 0, -8.2},                       // early, but rated high risk
		{nil, 3, "amber", 0, 0},
		{nil, 0, "", 0, 0},
	} {
		v := ComputeVariance(b, c.pr, c.risk, th)
		if v.Light != c.light || v.Cost != c.cost || v.Schedule != c.sched {
			t.Errorf("%+v risk %d: %+v, want %s cost %v schedule %v", c.pr, c.risk, v, c.light, c.cost, c.sched)
		}
	}
}

func TestSupervisionBaselinesActionsAndStaleRatings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		all := []string{province}
		id := register(t, s, all, NewProject{Name: "郑州市智慧城管平台", Owner: "4101", Category: "new", Funding: "市级财政", Estimate: wan(t, "1000"), Content: "建设数字化城市管理系统。"})
		var ue *i18n.Error
		if err := s.ReportProgress(ctx, owner, all, id, NewProgress{ProjectedEnd: "2015-12-31"}); !errors.As(err, &ue) {
			t.Fatalf("progress before a baseline: %v", err)
		}
		for _, bad := range []NewBaseline{
			{Start: "2015-04-01", End: "2015-03-01", Cost: wan(t, "1000")},
			{Start: "2015-04-01", End: "2015/12/31", Cost: wan(t, "1000")},
			{Start: "2015-04-01", End: "2015-12-31"},
			{Start: "2015-04-01", End: "2015-12-31", Cost: wan(t, "1000"), Milestones: "上线 2016-06-01"},
			{Start: "2015-04-01", End: "2015-12-31", Cost: wan(t, "1000"), Milestones: "没有日期的里程碑"},
		} {
			if err := s.SetBaseline(ctx, office, all, id, bad); !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
				t.Errorf("%+v accepted: %v", bad, err)
			}
		}
		if err := s.SetBaseline(ctx, office, []string{pathOf(t, db, "4102")}, id, NewBaseline{Start: "2015-04-01", End: "2015-12-31", Cost: wan(t, "1000")}); !IsOutside(err) {
			t.Fatalf("outside: %v", err)
		}
		if err := s.SetBaseline(ctx, office, all, id, NewBaseline{Start: "2015-04-01", End: "2015-12-31", Cost: wan(t, "1000"),
			Milestones: "需求调研 2015-05-31\n系统上线试运行 2015-10-31"}); err != nil {
			t.Fatal(err)
		}
		if err := s.ReportProgress(ctx, owner, all, id, NewProgress{ProjectedEnd: "2016-03-31", ProjectedCost: ptr(wan(t, "1150")), ActualStart: "2015-04-10",
			Milestones: "需求调研 2015-06-15 2015-06-20\n系统上线试运行 2016-01-31"}); err != nil {
			t.Fatal(err)
		}
		th, _ := s.Thresholds(ctx)
		p, _ := s.Get(ctx, all, id)
		sv, err := s.Supervise(ctx, p, th)
		if err != nil || len(sv.Baselines) != 1 || len(sv.Current().Milestones) != 2 || sv.Progress == nil || sv.Progress.Milestones[0].Actual != "2015-06-20" ||
			sv.Variance.Cost != 15 || sv.Variance.Light != "red" {
			t.Fatalf("supervision: %+v %v", sv, err)
		}
		// A rebaseline needs a reason and keeps the history.
		if err := s.SetBaseline(ctx, office, all, id, NewBaseline{Start: "2015-04-01", End: "2016-03-31", Cost: wan(t, "1150")}); !errors.As(err, &ue) || ue.Field != "reason" {
			t.Fatalf("rebaseline without a reason: %v", err)
		}
		// Red: submitting needs an action plan first.
		if _, err := s.AddDocument(ctx, owner, all, id, Material, "建议书.txt", []byte("项目建议书")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, all, id, "报送"); !errors.As(err, &ue) || !contains(ue.Zh, "整改计划") {
			t.Fatalf("a red project submitted without an action plan: %v", err)
		}
		if err := s.AddAction(ctx, owner, all, id, "增加开发人员，调整上线计划", "2015-01-01"); !errors.As(err, &ue) || ue.Field != "review_due" {
			t.Fatalf("a review date in the past: %v", err)
		}
		if err := s.AddAction(ctx, owner, all, id, "增加开发人员，调整上线计划", "2015-04-30"); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, all, id, "报送"); err != nil {
			t.Fatalf("submit with an action plan: %v", err)
		}
		// Once the review date passes, the office must review it.
		later := *s
		later.Now = func() time.Time { return time.Date(2015, 5, 10, 2, 0, 0, 0, time.UTC) }
		sv, _ = later.Supervise(ctx, p, th)
		if c := ActionCheck(sv, later.Today()); c.OK {
			t.Fatalf("an overdue review passes: %+v", c)
		}
		if err := later.ReviewAction(ctx, office, all, id, "已增加人员，进度恢复"); err != nil {
			t.Fatal(err)
		}
		if err := later.ReviewAction(ctx, office, all, id, "再次复核"); !errors.As(err, &ue) {
			t.Fatalf("a second review without an open plan: %v", err)
		}
		sv, _ = later.Supervise(ctx, p, th)
		if c := ActionCheck(sv, later.Today()); !c.OK || sv.Actions[0].ReviewedBy != "office" {
			t.Fatalf("after the review: %+v %+v", c, sv.Actions)
		}
		if err := s.SetBaseline(ctx, office, all, id, NewBaseline{Start: "2015-04-01", End: "2016-03-31", Cost: wan(t, "1150"), Reason: "批复调整概算"}); err != nil {
			t.Fatal(err)
		}
		sv, _ = s.Supervise(ctx, p, th)
		if len(sv.Baselines) != 2 || sv.Current().Version != 2 || sv.Current().Reason != "批复调整概算" || sv.Variance.Light != "green" {
			t.Fatalf("after the rebaseline: %+v", sv)
		}
		// Thresholds are the office's.
		if err := s.SetThresholds(ctx, office, Thresholds{Amber: 10, Red: 5, StaleDays: 30}); !errors.As(err, &ue) {
			t.Fatalf("red below amber: %v", err)
		}
		if err := s.SetThresholds(ctx, office, Thresholds{Amber: 2, Red: 4, StaleDays: 30}); err != nil {
			t.Fatal(err)
		}
		if th, _ := s.Thresholds(ctx); th.Red != 4 || th.StaleDays != 30 {
			t.Fatalf("thresholds %+v", th)
		}

		// Stale ratings: the office covering the project hears once per period.
		u, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: "zz-office", DisplayName: "郑州市信息办", Password: "a-long-password-zz"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, office, u.ID, auth.Office, "4101"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE project_project SET stage = $1, status = 'draft' WHERE id = $2`, Implement, id); err != nil {
			t.Fatal(err)
		}
		if err := s.Rate(ctx, office, all, id, 3, "总体可控"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.NotifyStale(ctx); err != nil || n != 0 {
			t.Fatalf("a fresh rating reported stale: %d %v", n, err)
		}
		late := *s
		late.Now = func() time.Time { return time.Date(2015, 4, 20, 2, 0, 0, 0, time.UTC) } // 49 days later, stale after 30
		if n, err := late.NotifyStale(ctx); err != nil || n != 1 {
			t.Fatalf("stale: %d %v", n, err)
		}
		if n, err := late.NotifyStale(ctx); err != nil || n != 0 {
			t.Fatalf("reported twice: %d %v", n, err)
		}
		var msgs int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notify_message WHERE user_id = $1 AND kind = 'project.stale'`, u.ID).Scan(&msgs); err != nil || msgs != 1 {
			t.Fatalf("messages: %d %v", msgs, err)
		}
	})
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
