package project

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var office = audit.Actor{UserID: 9001, Name: "office"}
var owner = audit.Actor{UserID: 9002, Name: "owner"}

const province = "/41/"

func setup(t *testing.T, db *store.DB) *Service {
	t.Helper()
	// once per test process into a template that each test's store copies
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, notify.Schema, Schema, PanelSchema, PortfolioSchema); err != nil {
			return err
		}
		_, err := orgunit.Load(ctx, db, nil, nil)
		return err
	}
	if !storetest.FillFromTemplate(t, db, "project", build) {
		if err := build(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
	s := New(db)
	s.Now = func() time.Time { return time.Date(2015, 3, 2, 2, 0, 0, 0, time.UTC) }
	return s
}

func pathOf(t *testing.T, db *store.DB, code string) string {
	t.Helper()
	u, err := orgunit.Get(context.Background(), db, code)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

func wan(t *testing.T, s string) Money {
	t.Helper()
	m, err := ParseWan(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseWan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Money
		bad  string
	}{
		{in: "1234.5", want: 12345000},
		{in: "1,234.5678", want: 12345678},
		{in: "０.０００１", want: 1},
		{in: "300万元", want: 3000000},
		{in: ".5", want: 5000},
		{in: "", bad: "请填写金额"},
		{in: "-1", bad: "不能为负数"},
		{in: "1.23456", bad: "最多保留 4 位小数"},
		{in: "12a", bad: "应为数字"},
		{in: "1.2.3", bad: "应为数字"},
		{in: "99999999", bad: "金额过大"},
	} {
		m, err := ParseWan(c.in)
		if c.bad != "" {
			var ue *i18n.Error
			if !errors.As(err, &ue) || !strings.Contains(ue.Zh, c.bad) || ue.En == "" {
				t.Errorf("ParseWan(%q) = %v, %v; want an error with %q", c.in, m, err, c.bad)
			}
			continue
		}
		if err != nil || m != c.want {
			t.Errorf("ParseWan(%q) = %d, %v; want %d", c.in, m, err, c.want)
		}
		if back, err := ParseWan(m.Wan()); err != nil || back != m {
			t.Errorf("%q does not round-trip through %q: %d %v", c.in, m.Wan(), back, err)
		}
	}
	if got := Money(12345000).Wan(); got != "1234.5" {
		t.Errorf("Wan = %q", got)
	}
	base := Money(1000_0000)
	if Money(1100_0000).ExceedsBy(base, 10) || !Money(1100_0001).ExceedsBy(base, 10) {
		t.Error("ExceedsBy must be strict at exactly 10 %")
	}
	if got := Money(1125_0000).PercentOver(base); got != "12.5" {
		t.Errorf("PercentOver = %q", got)
	}
}

func TestRoutes(t *testing.T) {
	for _, c := range []struct {
		level, cat, est, want string
	}{
		{"county", "new", "300", "small"},
		{"province", "new", "300", "medium"},
		{"city", "upgrade", "2500", "medium"},
		{"city", "new", "3000.0001", "full"},
		{"province", "om", "8000", "om"},
	} {
		if got := DefaultRoutes.For(c.level, c.cat, wan(t, c.est)).ID; got != c.want {
			t.Errorf("route of %s %s %s = %s, want %s", c.level, c.cat, c.est, got, c.want)
		}
	}
	full, _ := DefaultRoutes.ByID("full")
	if len(full.Stages) != len(AllStages) || full.Next(Design) != Implement || full.Next(PostEval) != "" {
		t.Errorf("full route: %+v", full)
	}
	for _, bad := range []string{
		"routes: []",
		"routes: [{id: a, stages: [design, feasibility]}]",
		"routes: [{id: a, stages: [design], levels: [town]}]",
		"routes: [{id: a, max_estimate: '10', stages: [design]}]",
		"routes: [{id: a, stages: [nowhere]}]",
	} {
		if _, err := ParseRoutes([]byte(bad)); err == nil {
			t.Errorf("ParseRoutes(%q) accepted", bad)
		}
	}
}

func register(t *testing.T, s *Service, scopes []string, n NewProject) int64 {
	t.Helper()
	id, err := s.Register(context.Background(), owner, scopes, n)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestGateLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		zz := []string{pathOf(t, db, "4101")}
		n := NewProject{Name: "郑州市数据共享交换平台建设项目", Owner: "4101", Category: "new", Funding: "市级财政预算资金", Estimate: wan(t, "1000"),
			Content: "建设全市政务数据共享交换体系。"}
		if _, err := s.Register(ctx, owner, []string{pathOf(t, db, "4102")}, n); !IsOutside(err) {
			t.Fatalf("registering for a unit outside the caller's: %v", err)
		}
		bad := n
		bad.Category = "big"
		var ue *i18n.Error
		if _, err := s.Register(ctx, owner, zz, bad); !errors.As(err, &ue) || ue.Field != "category" {
			t.Fatalf("bad category: %v", err)
		}
		id := register(t, s, zz, n)
		p, err := s.Get(ctx, zz, id)
		if err != nil || p.Route != "medium" || p.Stage != Feasibility || p.Status != Draft || p.Level != "city" || p.Number != "XM-2015-4101-001" {
			t.Fatalf("registered: %+v %v", p, err)
		}
		if _, err := s.Get(ctx, []string{pathOf(t, db, "4102")}, id); !IsOutside(err) {
			t.Fatalf("read from outside: %v", err)
		}
		// No material: the gate cannot be submitted.
		if err := s.Submit(ctx, owner, zz, id, ""); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "本阶段材料") {
			t.Fatalf("submit without material: %v", err)
		}
		if _, err := s.AddDocument(ctx, owner, zz, id, Material, "evil.pdf", []byte("MZ\x90\x00 not a pdf")); err == nil {
			t.Fatal("a document whose content does not match its name was accepted")
		}
		if _, err := s.AddDocument(ctx, owner, zz, id, Material, "可研.pdf", []byte("%PDF-1.4 feasibility")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zz, id, "报请审批"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAmounts(ctx, owner, zz, id, Amounts{Estimate: ptr(wan(t, "900"))}); err == nil {
			t.Fatal("amounts changed while the gate waits for its decision")
		}
		if err := s.Decide(ctx, office, []string{province}, id, Return, ""); !errors.As(err, &ue) || ue.Field != "reason" {
			t.Fatalf("a return without a reason: %v", err)
		}
		if err := s.Decide(ctx, office, []string{province}, id, Approve, "同意"); err != nil {
			t.Fatal(err)
		}
		p, _ = s.Get(ctx, zz, id)
		if p.Stage != Design || p.Status != Draft || p.Approved == nil || *p.Approved != wan(t, "1000") {
			t.Fatalf("after the feasibility approval: %+v", p)
		}
		// Design: budget 1,150 万元 is 15 % above the approved 1,000.
		if err := s.SetAmounts(ctx, owner, zz, id, Amounts{Estimate: ptr(wan(t, "1200"))}); err == nil {
			t.Fatal("the estimate changed after the feasibility approval")
		}
		if _, err := s.AddDocument(ctx, owner, zz, id, Material, "初步设计.txt", []byte("初步设计与概算")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zz, id, ""); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "概算") {
			t.Fatalf("design submitted without a budget estimate: %v", err)
		}
		if err := s.SetAmounts(ctx, owner, zz, id, Amounts{Budget: ptr(wan(t, "1150"))}); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zz, id, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.Decide(ctx, office, []string{province}, id, Approve, ""); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "15%") || !strings.Contains(ue.En, "approved again") {
			t.Fatalf("approving a budget 15 %% over: %v", err)
		}
		if err := s.Decide(ctx, office, []string{province}, id, Reapprove, "概算超出估算 15%，请重新报批可研"); err != nil {
			t.Fatal(err)
		}
		p, _ = s.Get(ctx, zz, id)
		if p.Stage != Feasibility || p.Status != Draft || p.Approved != nil || p.Estimate != wan(t, "1150") {
			t.Fatalf("after re-approval was required: %+v", p)
		}
		// Fast forward to the final acceptance: evidence is required.
		if _, err := db.W.ExecContext(ctx, `UPDATE project_project SET stage = $1 WHERE id = $2`, FinalAccept, id); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDocument(ctx, owner, zz, id, Material, "竣工验收申请.txt", []byte("申请竣工验收")); err != nil {
			t.Fatal(err)
		}
		err = s.Submit(ctx, owner, zz, id, "")
		if !errors.As(err, &ue) || !strings.Contains(ue.Zh, "等级保护测评报告") || !strings.Contains(ue.Zh, "密评") || !strings.Contains(ue.Zh, "决算") {
			t.Fatalf("acceptance without evidence: %v", err)
		}
		for _, k := range []string{MLPS, Crypto} {
			if _, err := s.AddDocument(ctx, owner, zz, id, k, k+".txt", []byte("report")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.SetAmounts(ctx, owner, zz, id, Amounts{Final: ptr(wan(t, "1120.25"))}); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zz, id, ""); err != nil {
			t.Fatal(err)
		}
		tl, err := s.Timeline(ctx, zz, id)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range tl {
			kinds = append(kinds, e.Kind)
		}
		want := "register document submit approve document amounts submit reapprove document document document amounts submit"
		if strings.Join(kinds, " ") != want {
			t.Errorf("timeline %v\nwant %s", kinds, want)
		}
		var audits int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'project' AND entity_id = $1`, itoa(id)).Scan(&audits); err != nil {
			t.Fatal(err)
		}
		if audits != len(tl) {
			t.Errorf("%d audit entries for %d steps", audits, len(tl))
		}
	})
}

func ptr(m Money) *Money { return &m }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func TestRiskRatings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		zz := []string{pathOf(t, db, "4101")}
		id := register(t, s, zz, NewProject{Name: "郑州市应急指挥信息系统", Owner: "4101", Category: "new", Funding: "市级财政", Estimate: wan(t, "900")})
		var ue *i18n.Error
		if err := s.Rate(ctx, office, []string{province}, id, 6, "x"); !errors.As(err, &ue) || ue.Field != "rating" {
			t.Fatalf("rating 6: %v", err)
		}
		if err := s.Rate(ctx, office, []string{province}, id, 2, ""); !errors.As(err, &ue) || ue.Field != "comment" {
			t.Fatalf("a rating without comment: %v", err)
		}
		if err := s.Rate(ctx, office, []string{pathOf(t, db, "4102")}, id, 2, "进度滞后"); !IsOutside(err) {
			t.Fatalf("rating outside: %v", err)
		}
		for _, r := range []struct {
			n int
			c string
		}{{4, "按计划推进"}, {2, "进度滞后三个月，需制定整改计划"}} {
			if err := s.Rate(ctx, office, []string{province}, id, r.n, r.c); err != nil {
				t.Fatal(err)
			}
		}
		p, _ := s.Get(ctx, zz, id)
		rs, err := s.Ratings(ctx, id)
		if err != nil || p.Risk != 2 || Light(p.Risk) != "red" || len(rs) != 2 || rs[0].Rating != 2 || rs[1].Comment != "按计划推进" {
			t.Fatalf("risk %d, history %+v %v", p.Risk, rs, err)
		}
	})
}

func TestOMCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		zz := []string{pathOf(t, db, "4101")}
		var ids []int64
		for _, c := range []string{"60", "40"} {
			id, err := s.AddSystem(ctx, office, zz, NewSystem{Owner: "4101", Name: "系统" + c, OMCost: wan(t, c), MLPSLevel: 3})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		for _, c := range []struct {
			est  string
			sys  []int64
			ok   bool
			text string
		}{
			{"120", ids, true, "合计 100 万元（高出 20%"},
			{"120.0001", ids, false, "高出 20%"},
			{"130", ids, false, "高出 30%"},
			{"50", ids[:1], true, "合计 60 万元"},
			{"50", nil, false, "未关联"},
		} {
			id := register(t, s, zz, NewProject{Name: "郑州市运维项目", Owner: "4101", Category: "om", Funding: "市级财政", Estimate: wan(t, c.est), Systems: c.sys})
			p, _ := s.Get(ctx, zz, id)
			sys, err := s.SystemsByID(ctx, p.Systems)
			if err != nil {
				t.Fatal(err)
			}
			got := OMCheck(p, sys)
			if got.OK != c.ok || !strings.Contains(got.Text.Zh, c.text) || got.Blocks != "" {
				t.Errorf("request %s with %v: %+v", c.est, c.sys, got)
			}
		}
		if _, err := s.Register(ctx, owner, zz, NewProject{Name: "x", Owner: "4101", Category: "om", Funding: "f", Estimate: 1, Systems: []int64{99999}}); err == nil {
			t.Error("a link to a system that does not exist was accepted")
		}
	})
}
