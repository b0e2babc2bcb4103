package project

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestParseCriteria(t *testing.T) {
	good := []struct {
		text string
		want []Criterion
	}{
		{"创新性 30\n实用性：40\n推广价值,30", []Criterion{{"创新性", 30}, {"实用性", 40}, {"推广价值", 30}}},
		{"\n  应用成效 60%  \r\n\n建设 管理规范　40\n", []Criterion{{"应用成效", 60}, {"建设 管理规范", 40}}},
		{"A: 50\nB，50", []Criterion{{"A", 50}, {"B", 50}}},
	}
	for _, g := range good {
		got, err := ParseCriteria(g.text)
		if err != nil {
			t.Errorf("%q: %v", g.text, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(g.want) {
			t.Errorf("%q: %v, want %v", g.text, got, g.want)
		}
		again, err := ParseCriteria(CriteriaText(got))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(got) {
			t.Errorf("%q does not read back: %v %v", CriteriaText(got), again, err)
		}
	}
	bad := []struct {
		text string
		row  int
		zh   string
	}{
		{"创新性 30\n实用性 40", 0, "之和应为 100"},
		{"创新性 30\n实用性", 2, "第 2 行应写作"},
		{"创新性 0\n实用性 100", 1, "1 至 100"},
		{"创新性 x\n实用性 100", 1, "1 至 100"},
		{"创新性 50\n创新性 50", 2, "重复"},
		{"创新性 100", 0, "至少填写两项"},
		{"", 0, "至少填写两项"},
		{" 50\n实用性 50", 1, "第 1 行应写作"},
		{"：50\n实用性 50", 1, "缺少评分项名称"},
		{strings.Repeat("长", 51) + " 50\n实用性 50", 1, "过长"},
		{"项1 9\n项2 9\n项3 9\n项4 9\n项5 9\n项6 9\n项7 9\n项8 9\n项9 9\n项10 9\n项11 9", 11, "最多 10 项"},
	}
	for _, b := range bad {
		_, err := ParseCriteria(b.text)
		var ue *i18n.Error
		if !errors.As(err, &ue) || !strings.Contains(ue.Zh, b.zh) || ue.Row != b.row || ue.Field != "criteria" || ue.En == "" {
			t.Errorf("%q: %#v, want row %d and %q", b.text, err, b.row, b.zh)
		}
	}
}

func FuzzParseCriteria(f *testing.F) {
	for _, s := range []string{"创新性 30\n实用性：40\n推广价值,30", "A 50\nB 50", "a\nb", "：\n", "x 1%", "\xff 50\n\xfe 50"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cs, err := ParseCriteria(text)
		if err != nil {
			var ue *i18n.Error
			if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
				t.Fatalf("%q: an error that is not bilingual: %v", text, err)
			}
			return
		}
		sum := 0
		seen := map[string]bool{}
		for _, c := range cs {
			if c.Name == "" || c.Weight < 1 || c.Weight > 100 || seen[c.Name] || utf8.RuneCountInString(c.Name) > 50 || strings.ContainsAny(c.Name, "\n") {
				t.Fatalf("%q: bad criterion %+v", text, c)
			}
			seen[c.Name] = true
			sum += c.Weight
		}
		if sum != 100 || len(cs) < 2 || len(cs) > 10 {
			t.Fatalf("%q: %d criteria summing to %d", text, len(cs), sum)
		}
		if again, err := ParseCriteria(CriteriaText(cs)); err != nil || fmt.Sprint(again) != fmt.Sprint(cs) {
			t.Fatalf("%q: %v does not read back: %v %v", text, cs, again, err)
		}
	})
}

func TestTrimmedMeanAndRankOrder(t *testing.T) {
	// Totals in hundredths of a point.
	tr, all := Trimmed([]int64{9000, 8000, 7000})
	if tr != all || tr.String() != "80.00" {
		t.Errorf("three scores: %v %v", tr, all)
	}
	tr, all = Trimmed([]int64{9000, 8000, 7000, 6000, 10000})
	if tr.String() != "80.00" || all.String() != "80.00" || tr.N != 3 {
		t.Errorf("five scores: %v %v", tr, all)
	}
	tr, _ = Trimmed([]int64{8001, 8000, 8000})
	if tr.String() != "80.00" { // 80.0033… rounds down
		t.Errorf("rounding: %s", tr)
	}
	tr, _ = Trimmed([]int64{8001, 8000})
	if tr.String() != "80.01" { // 80.005 rounds half up
		t.Errorf("rounding half up: %s", tr)
	}
	if (Mean{}).String() != "—" || (Mean{}).Cmp(Mean{Sum: 0, N: 1}) != -1 {
		t.Error("a mean without scores")
	}
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	app := func(id int64, at int) *Application {
		return &Application{ID: id, CreatedAt: t0.Add(time.Duration(at) * time.Hour)}
	}
	rs := []Ranked{
		{Application: app(1, 3), Score: Mean{24000, 3}, All: Mean{40000, 5}}, // 80, all 80
		{Application: app(2, 2), Score: Mean{24000, 3}, All: Mean{40500, 5}}, // 80, all 81: wins the tie
		{Application: app(3, 1), Score: Mean{25500, 3}, All: Mean{40000, 5}}, // 85
		{Application: app(4, 0), Score: Mean{24000, 3}, All: Mean{40000, 5}}, // as 1, earlier
		{Application: app(5, 0), Score: Mean{}, All: Mean{}},
	}
	RankOrder(rs)
	var order []int64
	for i, r := range rs {
		order = append(order, r.Application.ID)
		want := i + 1
		if r.Score.N == 0 {
			want = 0 // nobody scored it: last and unranked
		}
		if r.Rank != want {
			t.Errorf("rank %d at %d, want %d", r.Rank, i, want)
		}
	}
	if fmt.Sprint(order) != "[3 2 4 1 5]" {
		t.Errorf("order %v, want [3 2 4 1 5]", order)
	}
	if rs[0].Tied || !rs[2].Tied || !rs[3].Tied || rs[1].Tied == false && rs[1].Score.Cmp(rs[0].Score) == 0 {
		t.Errorf("ties %v %v %v %v", rs[0].Tied, rs[1].Tied, rs[2].Tied, rs[3].Tied)
	}
}

// TestCallRound: the province opens an award call for county and city
// projects; two counties and a city apply (one county with a project of
// the portfolio, the city without), a unit of another city is refused,
// so is an application after the deadline; the office finds the city's
// application ineligible, closes the call and draws a panel of five that
// leaves out the expert working for an applicant and the one away; the
// experts score; the ranking follows the trimmed mean; the office
// publishes and the applicants are told.
func TestCallRound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		now := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC) // Monday
		s.Now = func() time.Time { return now }
		all := []string{province}
		users := map[string]int64{}
		for _, g := range []struct {
			name string
			role auth.Role
			org  string
		}{{"zy", auth.Reporter, "410102"}, {"ban", auth.Office, "41"}, {"e1", auth.Expert, "41"}, {"e2", auth.Expert, "41"}} {
			u, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: g.name, DisplayName: g.name, Password: "a-long-password-" + g.name})
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.AddGrant(ctx, db, office, u.ID, g.role, g.org); err != nil {
				t.Fatal(err)
			}
			users[g.name] = u.ID
		}
		zy := []string{pathOf(t, db, "410102")}
		pid := register(t, s, zy, NewProject{Name: "中原区一网通办平台", Owner: "410102", Category: "new", Funding: "区级财政", Estimate: wan(t, "260")})
		nc := NewCall{Kind: CallAward, Title: "2026 年度优秀信息化工程评选", Description: "评选建成运行一年以上、成效显著的信息化工程。", Org: "41",
			Levels: []string{"city", "county"}, Deadline: "2026-06-20", Criteria: "应用成效 40\n创新性 30\n推广价值 20", Field: "egov", PanelSize: 5}
		var ue *i18n.Error
		if _, err := s.OpenCall(ctx, office, all, nc); !errors.As(err, &ue) || ue.Code != "weights_sum" {
			t.Fatalf("weights summing to 90: %v", err)
		}
		nc.Criteria = "应用成效 40\n创新性 30\n推广价值 30"
		if _, err := s.OpenCall(ctx, office, zy, nc); !IsOutside(err) {
			t.Fatalf("a county opening a call for the province: %v", err)
		}
		nc.Deadline = "2026-06-12"
		if _, err := s.OpenCall(ctx, office, all, nc); !errors.As(err, &ue) || ue.Field != "deadline" {
			t.Fatalf("a past deadline: %v", err)
		}
		nc.Deadline = "2026-06-20" // Saturday: moves to Monday 22 June
		cid, err := s.OpenCall(ctx, office, all, nc)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.CallFor(ctx, zy, cid)
		if err != nil || c.Deadline != "2026-06-22" || c.Status != CallOpen || len(c.Criteria) != 3 {
			t.Fatalf("the call as a county sees it: %+v %v", c, err)
		}
		zyActor := owner
		zyActor.UserID = users["zy"]
		if _, err := s.Apply(ctx, zyActor, zy, cid, NewApplication{Unit: "410102", ProjectID: pid, Body: "平台上线两年，办件量增长三倍。", DocName: "申报书.pdf", Doc: []byte("%PDF-1.4 申报书")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, zyActor, zy, cid, NewApplication{Unit: "410102", ProjectID: pid, Body: "再报一次"}); !errors.As(err, &ue) || ue.Field != "title" {
			t.Fatalf("the same project twice: %v", err)
		}
		other := register(t, s, []string{province}, NewProject{Name: "金水区智慧社区", Owner: "410105", Category: "new", Funding: "区级财政", Estimate: wan(t, "100")})
		if _, err := s.Apply(ctx, zyActor, zy, cid, NewApplication{Unit: "410102", ProjectID: other, Body: "别人的项目"}); !errors.As(err, &ue) || ue.Field != "project" {
			t.Fatalf("another unit's project: %v", err)
		}
		if _, err := s.Apply(ctx, zyActor, zy, cid, NewApplication{Unit: "410105", Title: "金水区", Body: "越权"}); !IsOutside(err) {
			t.Fatalf("applying for another unit: %v", err)
		}
		if _, err := s.Apply(ctx, owner, all, cid, NewApplication{Unit: "410105", ProjectID: other, Body: "社区服务全覆盖。"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, owner, all, cid, NewApplication{Unit: "4101", Title: "郑州市城市大脑", Body: "城市运行一网统管。"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, owner, all, cid, NewApplication{Unit: "41", Title: "省级平台", Body: "省级", DocName: "x.exe", Doc: []byte("MZ\x90\x00")}); !errors.As(err, &ue) {
			t.Fatalf("an executable attached: %v", err)
		}
		now = time.Date(2026, 6, 23, 2, 0, 0, 0, time.UTC)
		if _, err := s.Apply(ctx, owner, all, cid, NewApplication{Unit: "410103", Title: "二七区", Body: "迟到"}); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "已截止") {
			t.Fatalf("an application after the deadline: %v", err)
		}
		apps, err := s.Applications(ctx, all, cid)
		if err != nil || len(apps) != 3 {
			t.Fatalf("applications: %d %v", len(apps), err)
		}
		mine, err := s.Applications(ctx, zy, cid)
		if err != nil || len(mine) != 1 || mine[0].Document == nil || mine[0].Level != "county" || mine[0].Category != "new" {
			t.Fatalf("the county's own applications: %+v %v", mine, err)
		}
		if err := s.DrawCallPanel(ctx, office, all, cid, nil); !errors.As(err, &ue) {
			t.Fatalf("a draw while open: %v", err)
		}
		if err := s.CloseCall(ctx, office, all, cid); err != nil {
			t.Fatal(err)
		}
		// The city applied without a project: the category cannot be known,
		// but this call does not restrict categories; the office finds it
		// out of scope anyway.
		for _, x := range apps {
			ok, why := Eligible(c, x)
			if !ok {
				t.Errorf("%s: %s", x.Title, why.Zh)
			}
			eligible, note := true, ""
			if x.Unit == "4101" {
				if err := s.CheckApplication(ctx, office, all, x.ID, false, ""); !errors.As(err, &ue) || ue.Field != "note" {
					t.Fatalf("ineligible without a reason: %v", err)
				}
				eligible, note = false, "建成运行不满一年"
			}
			if err := s.CheckApplication(ctx, office, zy, x.ID, true, ""); !IsOutside(err) {
				t.Fatalf("a county checking: %v", err)
			}
			if err := s.CheckApplication(ctx, office, all, x.ID, eligible, note); err != nil {
				t.Fatal(err)
			}
		}
		ids := map[string]int64{}
		for i, name := range []string{"赵", "钱", "孙", "李", "周", "郑"} {
			e := Expert{Name: name, Fields: []string{"egov"}, Employer: "某大学", Region: "41", Available: true, Account: fmt.Sprintf("x%d", i)}
			switch name {
			case "赵":
				e.Employer, e.EmployerCode = "金水区", "410105" // an applicant's
			case "钱":
				e.Account = "e1"
			case "孙":
				e.Account = "e2"
			case "郑":
				e.EmployerCode = "4101" // the ineligible applicant's: no conflict
			}
			eid, err := s.AddExpert(ctx, office, e)
			if err != nil {
				t.Fatal(err)
			}
			ids[name] = eid
		}
		if _, err := s.AddAbsence(ctx, office, ids["李"], "2026-06-22", "2026-06-30", "出差"); err != nil {
			t.Fatal(err)
		}
		if err := s.DrawCallPanel(ctx, office, all, cid, nil); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "只有 4 名") {
			t.Fatalf("a panel of 5 from 4 candidates: %v", err)
		}
		if _, err := s.AddExpert(ctx, office, Expert{Name: "王", Fields: []string{"egov", "gis"}, Employer: "某研究院", Region: "41", Available: true, Account: "x9"}); err != nil {
			t.Fatal(err)
		}
		seed := uint64(77)
		if err := s.DrawCallPanel(ctx, office, all, cid, &seed); err != nil {
			t.Fatal(err)
		}
		c, _ = s.GetCall(ctx, cid)
		seats, err := s.CallSeats(ctx, cid)
		if err != nil || len(seats) != 5 || c.Status != CallReview || c.Seed != 77 || !c.Reproduces(seats) {
			t.Fatalf("the panel: %+v %+v %v", c, seats, err)
		}
		ex, err := s.Exclusions(ctx, "call", cid)
		if err != nil || len(ex) != 2 || ex[0].ExpertName != "赵" || ex[0].Reason != ExEmployer || !strings.Contains(ex[0].Detail, "金水区") ||
			ex[1].ExpertName != "李" || ex[1].Reason != ExAbsent {
			t.Fatalf("exclusions: %+v %v", ex, err)
		}
		if err := s.CheckApplication(ctx, office, all, apps[0].ID, false, "改判"); !errors.As(err, &ue) {
			t.Fatalf("eligibility changed after the draw: %v", err)
		}
		mineAs, err := s.CallAssignments(ctx, "e1")
		if err != nil || len(mineAs) != 1 || len(mineAs[0].Applications) != 2 || !mineAs[0].Open {
			t.Fatalf("e1's assignments: %+v %v", mineAs, err)
		}
		seatOf := map[string]int64{}
		for _, st := range seats {
			seatOf[st.Account] = st.ID
		}
		if _, err := s.CallAssignment(ctx, "e2", seatOf["e1"]); !IsOutside(err) {
			t.Fatalf("another expert's seat: %v", err)
		}
		eligible := mineAs[0].Applications
		if err := s.ScoreApplication(ctx, office, "e1", seatOf["e1"], eligible[0].ID, []int{90, 80}, "好"); !errors.As(err, &ue) {
			t.Fatalf("two scores for three criteria: %v", err)
		}
		if err := s.ScoreApplication(ctx, office, "e1", seatOf["e1"], eligible[0].ID, []int{90, 80, 101}, "好"); !errors.As(err, &ue) || ue.Field != "c2" {
			t.Fatalf("a score of 101: %v", err)
		}
		if err := s.ScoreApplication(ctx, office, "e1", seatOf["e1"], apps[2].ID, []int{90, 80, 70}, "好"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("scoring the ineligible application: %v", err)
		}
		// 中原区 (first) gets 90,85,80,75,40 → trimmed 80; 金水区 gets 81 from every expert.
		zyScores := []int{90, 85, 80, 75, 40}
		k := 0
		for _, st := range seats {
			v := zyScores[k]
			k++
			if err := s.ScoreApplication(ctx, office, st.Account, st.ID, eligible[0].ID, []int{v, v, v}, "意见"); err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(ctx, office, all, cid, ""); !errors.As(err, &ue) {
				t.Fatalf("publishing before every score: %v", err)
			}
			if err := s.ScoreApplication(ctx, office, st.Account, st.ID, eligible[1].ID, []int{81, 81, 81}, "意见"); err != nil {
				t.Fatal(err)
			}
		}
		rs, err := s.Ranking(ctx, cid)
		if err != nil || len(rs) != 2 {
			t.Fatalf("ranking: %+v %v", rs, err)
		}
		if rs[0].Application.Unit != "410105" || rs[0].Score.String() != "81.00" || rs[1].Score.String() != "80.00" || rs[1].All.String() != "74.00" {
			t.Errorf("ranking: %s %s %s / %s %s", rs[0].Application.Unit, rs[0].Score, rs[0].All, rs[1].Score, rs[1].All)
		}
		if err := s.Publish(ctx, office, zy, cid, ""); !IsOutside(err) {
			t.Fatalf("a county publishing: %v", err)
		}
		if err := s.Publish(ctx, office, all, cid, "经评审，评出优秀工程 2 项。"); err != nil {
			t.Fatal(err)
		}
		pub, err := s.PublishedCalls(ctx)
		if err != nil || len(pub) != 1 || pub[0].ResultNote != "经评审，评出优秀工程 2 项。" {
			t.Fatalf("published: %+v %v", pub, err)
		}
		apps, _ = s.Applications(ctx, all, cid)
		if apps[0].Rank != 2 || apps[1].Rank != 1 || apps[2].Rank != 0 {
			t.Errorf("stored ranks %d %d %d", apps[0].Rank, apps[1].Rank, apps[2].Rank)
		}
		if err := s.ScoreApplication(ctx, office, "e1", seatOf["e1"], eligible[0].ID, []int{1, 1, 1}, "改"); !errors.As(err, &ue) {
			t.Fatalf("a score after publication: %v", err)
		}
		ns, err := notify.List(ctx, db, users["zy"], 20)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, n := range ns {
			keys = append(keys, n.Key)
		}
		if !strings.Contains(strings.Join(keys, " "), "project.notify.call_published") || !strings.Contains(strings.Join(keys, " "), "project.notify.call_checked") {
			t.Errorf("the applicant's inbox: %v", keys)
		}
		ns, _ = notify.List(ctx, db, users["e1"], 20)
		if len(ns) != 1 || ns[0].Key != "project.notify.call_assigned" {
			t.Errorf("the expert's inbox: %+v", ns)
		}
		// The panel's seats are ties for the next draws for 中原区 and 金水区.
		rec, err := s.ExpertRecord(ctx, ids["钱"])
		if err != nil || len(rec.Reviews) != 2 || rec.Reviews[0].DrawKind != "call" {
			t.Fatalf("钱's record: %+v %v", rec, err)
		}
	})
}

func TestLoadCallDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		if err := LoadCallDemo(ctx, db); err != nil { // no portfolio yet: nothing
			t.Fatal(err)
		}
		if err := LoadDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		for range 2 { // idempotent
			if err := LoadCallDemo(ctx, db); err != nil {
				t.Fatal(err)
			}
		}
		cs, err := s.Calls(ctx, []string{province})
		if err != nil || len(cs) != 2 {
			t.Fatalf("demo calls: %+v %v", cs, err)
		}
		var award, pilot *Call
		for _, c := range cs {
			if !c.Demo || !strings.Contains(c.Title, "演示数据") {
				t.Errorf("call %q is not marked as demo data", c.Title)
			}
			if c.Kind == CallAward {
				award = c
			} else {
				pilot = c
			}
		}
		if award == nil || award.Status != CallPublished || pilot == nil || !pilot.Accepting(s.Today()) {
			t.Fatalf("the award round %+v and the pilot call %+v", award, pilot)
		}
		rs, err := s.Ranking(ctx, award.ID)
		if err != nil || len(rs) < 2 {
			t.Fatalf("the published ranking: %+v %v", rs, err)
		}
		seats, err := s.CallSeats(ctx, award.ID)
		if err != nil || len(seats) != award.PanelSize || !award.Reproduces(seats) {
			t.Fatalf("the award panel: %+v %v", seats, err)
		}
		for i, r := range rs {
			if r.Rank != i+1 || r.Application.Rank != 0 && r.Application.Rank != r.Rank || len(r.Scores) != award.PanelSize {
				t.Errorf("ranked %d: %+v", i, r)
			}
		}
		apps, err := s.Applications(ctx, nil, pilot.ID)
		if err != nil || len(apps) != 2 || apps[0].Status != AppSubmitted {
			t.Fatalf("the pilot's applications: %+v %v", apps, err)
		}
		as, err := s.CallAssignments(ctx, DemoExpertAccount)
		if err != nil || len(as) != 1 || as[0].Open || len(as[0].Mine) != len(rs) {
			t.Fatalf("the demo expert's call seats: %+v %v", as, err)
		}
	})
}
