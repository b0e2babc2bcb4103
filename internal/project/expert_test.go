package project

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/notify"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestPickIsReproducible(t *testing.T) {
	cands := []int64{3, 5, 8, 13, 21, 34, 55, 89}
	a, b := Pick(cands, 42, 4), Pick(cands, 42, 4)
	if !slices.Equal(a, b) || len(a) != 4 {
		t.Fatalf("same seed, different panels: %v %v", a, b)
	}
	seen := map[int64]bool{}
	for _, id := range a {
		if seen[id] || !slices.Contains(cands, id) {
			t.Fatalf("panel %v repeats or invents an expert", a)
		}
		seen[id] = true
	}
	differ := false
	for seed := uint64(1); seed < 20; seed++ {
		differ = differ || !slices.Equal(Pick(cands, seed, 4), a)
	}
	if !differ {
		t.Error("every seed draws the same panel")
	}
}

func TestDrawAvoidsConflictsAndScores(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		zz := []string{pathOf(t, db, "4101")}
		id := register(t, s, zz, NewProject{Name: "郑州市政务服务一体化平台", Owner: "4101", Category: "new", Funding: "市级财政", Estimate: wan(t, "800")})
		// Seven egov experts: one works for the applicant, one declared a tie with 郑州市.
		for i, e := range []Expert{
			{Name: "甲", Employer: "郑州市", EmployerCode: "4101"},
			{Name: "乙", Employer: "郑州大学", Conflicts: []string{"4101"}},
			{Name: "丙", Employer: "河南大学", Account: "bing"},
			{Name: "丁", Employer: "河南工业大学"},
			{Name: "戊", Employer: "郑州轻工业大学"},
			{Name: "己", Employer: "河南省信息中心"},
			{Name: "庚", Employer: "洛阳师范学院", Conflicts: []string{"4103"}},
		} {
			e.Fields, e.Region, e.Available = []string{"egov"}, "4101", true
			if i == 6 {
				e.Fields = []string{"egov", "gis"}
			}
			if _, err := s.AddExpert(ctx, office, e); err != nil {
				t.Fatal(err)
			}
		}
		users := map[string]int64{}
		for _, g := range []struct {
			name string
			role auth.Role
			org  string
		}{{"bing", auth.Expert, "41"}, {"ban", auth.Office, "41"}, {"zz", auth.Reporter, "4101"}, {"kf", auth.Reporter, "4102"}} {
			u, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: g.name, DisplayName: g.name, Password: "a-long-password-" + g.name})
			if err != nil {
				t.Fatal(err)
			}
			if err := auth.AddGrant(ctx, db, office, u.ID, g.role, g.org); err != nil {
				t.Fatal(err)
			}
			users[g.name] = u.ID
		}
		inbox := func(name string) []string {
			ns, err := notify.List(ctx, db, users[name], 20)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, n := range ns {
				out = append(out, n.Key+" "+n.Link)
			}
			return out
		}
		if _, err := s.DrawPanel(ctx, office, []string{province}, id, "egov", 3, nil); err == nil {
			t.Fatal("a panel drawn for a draft")
		}
		if _, err := s.AddDocument(ctx, owner, zz, id, Material, "可研.txt", []byte("可行性研究报告")); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(ctx, owner, zz, id, ""); err != nil {
			t.Fatal(err)
		}
		var ue *i18n.Error
		if _, err := s.DrawPanel(ctx, office, []string{province}, id, "egov", 6, nil); !errors.As(err, &ue) || !strings.Contains(ue.Zh, "只有 5 名") {
			t.Fatalf("drawing more than the candidates: %v", err)
		}
		if _, err := s.DrawPanel(ctx, office, []string{pathOf(t, db, "4102")}, id, "egov", 3, nil); !IsOutside(err) {
			t.Fatalf("drawing outside the office's units: %v", err)
		}
		for seed := uint64(1); seed <= 8; seed++ {
			sd := seed
			if _, err := s.DrawPanel(ctx, office, []string{province}, id, "egov", 5, &sd); err != nil {
				t.Fatal(err)
			}
		}
		revs, err := s.Reviews(ctx, id)
		if err != nil || len(revs) != 8 {
			t.Fatalf("reviews: %d %v", len(revs), err)
		}
		for _, r := range revs {
			if !r.Reproduces() || len(r.Candidates) != 5 {
				t.Errorf("review %d (seed %d) does not reproduce: %+v", r.ID, r.Seed, r)
			}
			for _, st := range r.Seats {
				if st.ExpertName == "甲" || st.ExpertName == "乙" {
					t.Errorf("conflicted expert %s drawn", st.ExpertName)
				}
			}
		}
		var seat int64
		for _, st := range revs[0].Seats {
			if st.ExpertName == "丙" {
				seat = st.ID
			}
		}
		if seat == 0 {
			t.Fatal("a panel of 5 out of 5 candidates lacks 丙")
		}
		if _, err := s.Assignment(ctx, "ding", seat); !IsOutside(err) {
			t.Fatalf("another expert's seat: %v", err)
		}
		if err := s.Score(ctx, owner, "bing", seat, 101, "好"); !errors.As(err, &ue) || ue.Field != "score" {
			t.Fatalf("score 101: %v", err)
		}
		if err := s.Score(ctx, owner, "bing", seat, 88, "方案可行"); err != nil {
			t.Fatal(err)
		}
		as, err := s.Assignments(ctx, "bing")
		if err != nil || len(as) != 8 || !as[len(as)-1].Open || as[len(as)-1].Seat.Score == nil || *as[len(as)-1].Seat.Score != 88 {
			t.Fatalf("assignments: %+v %v", as, err)
		}
		revs, _ = s.Reviews(ctx, id)
		if revs[0].Mean() != "88" {
			t.Errorf("mean %q", revs[0].Mean())
		}
		tl, _ := s.Timeline(ctx, zz, id)
		for _, e := range tl {
			if strings.Contains(e.Body, "丙") {
				t.Errorf("the timeline names an expert: %+v", e)
			}
		}
		if err := s.Decide(ctx, office, []string{province}, id, Approve, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.Score(ctx, owner, "bing", seat, 90, "改分"); err == nil {
			t.Fatal("a score changed after the decision")
		}
		if got := inbox("bing"); len(got) != 8 {
			t.Errorf("the expert was told of %d seats, want 8: %v", len(got), got)
		}
		if got := inbox("ban"); len(got) != 1 {
			t.Errorf("the office's inbox: %v", got)
		}
		if got := inbox("zz"); len(got) != 1 || !strings.Contains(got[0], "project.notify.decided /projects/") {
			t.Errorf("the owner unit's inbox: %v", got)
		}
		if got := inbox("kf"); len(got) != 0 {
			t.Errorf("another city was told: %v", got)
		}
	})
}

func TestImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		zz := []string{pathOf(t, db, "4101")}
		csv := "项目编号,项目名称,建设单位代码,项目类别,资金来源,估算（万元）,项目层级\n" +
			"A-1,郑州市智慧城管平台,4101,新建,市级财政,1200.5,\n" +
			"A-2,开封市智慧城管平台,4102,新建,市级财政,300,\n" +
			"A-1,中原区协同办公系统,410102,运维,区级财政,1.23456,\n" +
			"A-4,中原区电子证照库,410102,扩建,区级财政,50,镇级\n"
		rows, errs, err := s.ReadImport(ctx, zz, "p.csv", strings.NewReader(csv))
		if err != nil || rows != nil {
			t.Fatalf("rows %v err %v", rows, err)
		}
		var got []string
		for _, e := range errs {
			got = append(got, e.Message("zh-CN"))
			if e.En == "" || e.Row == 0 || e.Col == "" {
				t.Errorf("error without English, row or column: %+v", e)
			}
		}
		joined := strings.Join(got, "\n")
		for _, want := range []string{"第3行「建设单位代码」列：单位 4102 不在您的管辖范围内", "第4行「估算（万元）」列", "第5行「项目层级」列", "第5行「项目类别」列"} {
			if !strings.Contains(joined, want) {
				t.Errorf("errors lack %q:\n%s", want, joined)
			}
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d projects stored by a failed import (%v)", n, err)
		}
		good := "name,owner,category,funding,estimate,summary\n郑州市智慧城管平台,4101,new,市级财政,1200.5,城市管理\n中原区电子证照库,410102,升级改造,区级财政,50,证照\n"
		rows, errs, err = s.ReadImport(ctx, zz, "p.csv", strings.NewReader(good))
		if err != nil || len(errs) > 0 || len(rows) != 2 {
			t.Fatalf("good file: %v %v %v", rows, errs, err)
		}
		ids, err := s.Import(ctx, office, rows)
		if err != nil || len(ids) != 2 {
			t.Fatal(ids, err)
		}
		p, err := s.Get(ctx, zz, ids[0])
		if err != nil || p.Estimate != wan(t, "1200.5") || p.Level != "city" {
			t.Fatalf("imported %+v %v", p, err)
		}
		if _, errs, _ := s.ReadImport(ctx, zz, "p.txt", strings.NewReader("x")); len(errs) != 1 {
			t.Errorf("a .txt file: %v", errs)
		}
		if _, errs, _ := s.ReadImport(ctx, zz, "p.csv", strings.NewReader("项目名称,颜色\nx,red\n")); len(errs) < 2 {
			t.Errorf("unknown and missing columns: %v", errs)
		}
	})
}

func TestSimilarFindsTheNearCopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		all := []string{province}
		th := demoThemes[0]
		orig := register(t, s, all, NewProject{Name: "郑州市" + th.name, Owner: "4101", Category: "new", Funding: "市级财政", Estimate: wan(t, "500"),
			Content: th.content, Functions: th.functions})
		for i, other := range demoThemes[1:8] {
			register(t, s, all, NewProject{Name: "洛阳市" + other.name, Owner: "4103", Category: "new", Funding: "市级财政", Estimate: wan(t, "500"),
				Content: other.content, Functions: other.functions, Number: "O-" + itoa(int64(i))})
		}
		if _, err := s.AddSystem(ctx, office, all, NewSystem{Owner: "4102", Name: "开封市网上办事大厅", Description: "网上办事大厅，统一受理政务服务事项。",
			DataResources: "办件库", OMCost: wan(t, "30"), MLPSLevel: 3}); err != nil {
			t.Fatal(err)
		}
		sents := sentences(th.content)
		slices.Reverse(sents)
		draft := "开封市政务服务一体化系统\n" + strings.ReplaceAll(strings.Join(sents, ""), "建设", "构建")
		ms, err := s.Similar(ctx, all, Query{Text: draft}, 5)
		if err != nil || len(ms) == 0 {
			t.Fatal(ms, err)
		}
		// The LSH buckets find the same best match as comparing every
		// sketch.
		lsh := *s
		lsh.CompareAll = -1
		if viaBuckets, err := lsh.Similar(ctx, all, Query{Text: draft}, 5); err != nil || len(viaBuckets) == 0 || viaBuckets[0].ID != ms[0].ID || viaBuckets[0].Score != ms[0].Score {
			t.Fatalf("via the buckets: %+v %v", viaBuckets, err)
		}
		if ms[0].Kind != "project" || ms[0].ID != orig || ms[0].Score < 0.4 || len(ms[0].Passages) == 0 || len(ms[0].Pairs) != len(ms[0].Passages) {
			t.Fatalf("best match %+v", ms[0])
		}
		// Side by side: each passage of the other text is beside a
		// sentence of the draft, and both mark shared words.
		for i, p := range ms[0].Pairs {
			if joinPieces(p.Theirs) != ms[0].Passages[i] || !strings.Contains(draft, joinPieces(p.Mine)) || !anyShared(p.Mine) || !anyShared(p.Theirs) {
				t.Errorf("pair %d: %+v", i, p)
			}
		}
		for i := 1; i < len(ms); i++ {
			if !ms[i].NearCopy && !ms[i-1].NearCopy && ms[i].Score > ms[i-1].Score {
				t.Errorf("not ranked: %+v", ms)
			}
		}
		if ms, _ := s.Similar(ctx, all, Query{Text: draft, Exclude: orig}, 5); len(ms) > 0 && ms[0].ID == orig && ms[0].Kind == "project" {
			t.Error("the excluded project was matched")
		}
		if ms, _ := s.Similar(ctx, []string{pathOf(t, db, "4102")}, Query{Text: draft}, 5); len(ms) > 0 && ms[0].Kind == "project" {
			t.Errorf("a project outside the caller's units: %+v", ms)
		}

		// A copy is a near copy (SimHash); the structured overlap is reported.
		copied := register(t, s, all, NewProject{Name: "郑州市" + th.name + "二期", Owner: "4101", Category: "new", Funding: "市级财政", Estimate: wan(t, "300"),
			Content: th.content, Functions: th.functions, Number: "COPY-1"})
		p, err := s.Get(ctx, all, copied)
		if err != nil {
			t.Fatal(err)
		}
		ms, err = s.SimilarTo(ctx, all, p, 5)
		if err != nil || len(ms) == 0 || ms[0].ID != orig || !ms[0].NearCopy || !ms[0].SameOwner || len(ms[0].SharedFunctions) != len(Items(th.functions)) {
			t.Fatalf("the copy: %+v %v", ms, err)
		}
		for _, m := range ms {
			if m.Kind == "project" && m.ID == copied {
				t.Error("a project matched itself")
			}
		}
		// A system sharing only a data resource item with the draft's
		// linked system is found by its structure.
		sys, err := s.AddSystem(ctx, office, all, NewSystem{Owner: "4101", Name: "郑州市办件系统", Description: "办件数据的存储。", DataResources: "办件库；证照库", OMCost: wan(t, "10"), MLPSLevel: 2})
		if err != nil {
			t.Fatal(err)
		}
		ms, err = s.Similar(ctx, all, Query{Text: "城市照明设施维护管理", Owner: "4101", Systems: []int64{sys}}, 10)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range ms {
			if m.Kind == "system" && m.Name == "开封市网上办事大厅" {
				found = slices.Equal(m.SharedResources, []string{"办件库"}) && !m.SameOwner
			}
			if m.Kind == "system" && m.ID == sys && !m.Linked {
				t.Errorf("the linked system is not marked: %+v", m)
			}
		}
		if !found {
			t.Errorf("the system sharing a data resource: %+v", ms)
		}

		// Signatures written before they were kept are made once.
		if _, err := db.W.ExecContext(ctx, `DELETE FROM project_bucket WHERE kind = 'project'`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.ExecContext(ctx, `DELETE FROM project_signature WHERE kind = 'project'`); err != nil {
			t.Fatal(err)
		}
		if ms, _ := s.Similar(ctx, all, Query{Text: draft}, 5); len(ms) > 0 && ms[0].Kind == "project" {
			t.Errorf("matched without signatures: %+v", ms)
		}
		if ms, _ := lsh.Similar(ctx, all, Query{Text: draft}, 5); len(ms) > 0 && ms[0].Kind == "project" {
			t.Errorf("matched without buckets: %+v", ms)
		}
		n, err := s.IndexAll(ctx)
		if err != nil || n != 9 {
			t.Fatalf("indexed %d: %v", n, err)
		}
		if n, err := s.IndexMissing(ctx); err != nil || n != 0 {
			t.Fatalf("indexed again %d: %v", n, err)
		}
		if ms, _ := s.Similar(ctx, all, Query{Text: draft}, 5); len(ms) == 0 || ms[0].ID != orig {
			t.Errorf("after indexing: %+v", ms)
		}
		if ms, _ := lsh.Similar(ctx, all, Query{Text: draft}, 5); len(ms) == 0 || ms[0].ID != orig {
			t.Errorf("after indexing, via the buckets: %+v", ms)
		}
	})
}

func joinPieces(ps []Piece) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Text)
	}
	return b.String()
}

func anyShared(ps []Piece) bool {
	for _, p := range ps {
		if p.Shared {
			return true
		}
	}
	return false
}

func TestJaccard(t *testing.T) {
	a := Shingles("建设政务服务平台，实现统一受理")
	if len(a) < 3 || Jaccard(a, a) != 1 || Jaccard(a, Shingles("完全不同的文本")) != 0 || Jaccard(nil, nil) != 0 {
		t.Fatalf("shingles %v", a)
	}
	if got := Jaccard([]uint64{1, 2, 3}, []uint64{1, 2, 3, 4, 5}); got != 0.6 {
		t.Errorf("Jaccard = %v, want 3/5", got)
	}
	// Words, not characters: the segmenter keeps 政务 and 服务 whole.
	if ws := Words("政务服务平台"); len(ws) != 1 || len(ws[0]) >= 6 || len(ws[0]) < 1 {
		t.Errorf("words %q", ws)
	}
	if got := Shingles("GIS 平台，GIS"); len(got) != 2 {
		t.Errorf("latin words are one token each; segments split at punctuation: %v", got)
	}
}

func FuzzShingles(f *testing.F) {
	f.Add("政务服务一体化平台。", "数据共享交换平台，GIS 3.0")
	f.Add("", "\xff\xfe")
	f.Fuzz(func(t *testing.T, a, b string) {
		sa, sb := Shingles(a), Shingles(b)
		if !slices.IsSorted(sa) || len(slices.Compact(slices.Clone(sa))) != len(sa) {
			t.Fatalf("shingles of %q not sorted and distinct", a)
		}
		j := Jaccard(sa, sb)
		if j < 0 || j > 1 || j != Jaccard(sb, sa) {
			t.Fatalf("Jaccard(%q, %q) = %v, not symmetric in [0,1]", a, b, j)
		}
		if len(sa) > 0 && Jaccard(sa, sa) != 1 {
			t.Fatalf("Jaccard(%q, itself) = %v", a, Jaccard(sa, sa))
		}
		if got := strings.Join(Tokens(a), ""); got != a && utf8.ValidString(a) {
			t.Fatalf("tokens of %q put together give %q", a, got)
		}
		mine, all := sentenceSets(a)
		texts, pairs := Passages(mine, all, b, 3)
		for i, p := range texts {
			if !strings.Contains(b, p) || joinPieces(pairs[i].Theirs) != p {
				t.Fatalf("passage %q not in %q", p, b)
			}
			if m := joinPieces(pairs[i].Mine); !strings.Contains(a, m) {
				t.Fatalf("passage %q beside %q not in %q", p, m, a)
			}
		}
		ga, gb := Sign(sa), Sign(sb)
		if e := Estimate(&ga, &gb); e < 0 || e > 1 || e != Estimate(&gb, &ga) {
			t.Fatalf("Estimate(%q, %q) = %v", a, b, e)
		}
		if len(sa) > 0 && (Estimate(&ga, &ga) != 1 || !NearCopy(&ga, &ga)) {
			t.Fatalf("%q is not its own copy", a)
		}
		var back Signature
		if blob, _ := ga.MarshalBinary(); back.UnmarshalBinary(blob) != nil || back != ga {
			t.Fatalf("signature of %q does not round-trip", a)
		}
	})
}

func FuzzParseWan(f *testing.F) {
	for _, s := range []string{"1234.5", "0.0001", "１２", "1,000", "-3", "1e5", ".", "9999999.9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseWan(s)
		if err != nil {
			var ue *i18n.Error
			if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
				t.Fatalf("ParseWan(%q): error %v is not bilingual", s, err)
			}
			return
		}
		if m < 0 || m > maxWan*10000 {
			t.Fatalf("ParseWan(%q) = %d out of range", s, m)
		}
		if back, err := ParseWan(m.Wan()); err != nil || back != m {
			t.Fatalf("ParseWan(%q) = %d does not round-trip via %q", s, m, m.Wan())
		}
	})
}

func TestAllPairsEqualsBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var docs []Doc
	for i := 0; i < 300; i++ {
		th := demoThemes[r.IntN(len(demoThemes))]
		sents := sentences(th.content + strings.Join(demoGeneric, ""))
		r.Shuffle(len(sents), func(a, b int) { sents[a], sents[b] = sents[b], sents[a] })
		text := strings.Join(sents[:2+r.IntN(len(sents)-2)], "")
		docs = append(docs, Doc{ID: int64(i + 1), Set: Shingles(text)})
	}
	docs = append(docs, Doc{ID: 999}) // an empty text matches nothing
	for _, th := range []float64{0.2, 0.5, 0.8, 1} {
		fast, slow := AllPairs(docs, th), AllPairsBrute(docs, th)
		if len(slow) == 0 || !slices.Equal(fast, slow) {
			t.Errorf("threshold %v: %d pairs by prefix filter, %d by brute force", th, len(fast), len(slow))
		}
	}
}

// TestSimilarPairsAgreesWithExact: the LSH report over signatures finds
// the pairs whose exact Jaccard index is well above the threshold, and
// reports none well below it, on texts sharing much boilerplate.
func TestSimilarPairsAgreesWithExact(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	var docs []Doc
	var signed []Signed
	add := func(text string) {
		set := Shingles(text)
		docs = append(docs, Doc{ID: int64(len(docs) + 1), Set: set})
		signed = append(signed, Signed{ID: int64(len(signed) + 1), Sig: Sign(set)})
	}
	for i := 0; i < 200; i++ {
		th := demoThemes[r.IntN(len(demoThemes))]
		sents := sentences(th.content + strings.Join(demoGeneric, ""))
		r.Shuffle(len(sents), func(a, b int) { sents[a], sents[b] = sents[b], sents[a] })
		text := strings.Join(sents[:4+r.IntN(len(sents)-4)], "")
		add(text)
		if i%10 == 0 { // a near duplicate: reordered, one word replaced
			s := sentences(text)
			slices.Reverse(s)
			add(strings.ReplaceAll(strings.Join(s, ""), "建设", "构建"))
		}
	}
	const th = 0.5
	exact := map[[2]int64]float64{}
	for _, p := range AllPairsBrute(docs, 0.01) {
		exact[[2]int64{p.A, p.B}] = p.Score
	}
	found := map[[2]int64]bool{}
	for _, p := range SimilarPairs(signed, th) {
		found[[2]int64{p.A, p.B}] = true
		if j := exact[[2]int64{p.A, p.B}]; j < th-0.15 && !NearCopy(&signed[p.A-1].Sig, &signed[p.B-1].Sig) {
			t.Errorf("pair %d–%d reported with exact Jaccard %.3f", p.A, p.B, j)
		}
		if p.Score < th && !NearCopy(&signed[p.A-1].Sig, &signed[p.B-1].Sig) {
			t.Errorf("pair %d–%d reported below the threshold: %.3f", p.A, p.B, p.Score)
		}
	}
	missed, strong := 0, 0
	for k, j := range exact {
		if j >= th+0.15 {
			strong++
			if !found[k] {
				missed++
			}
		}
	}
	if strong < 20 || missed > strong/50 {
		t.Errorf("%d of %d pairs with exact Jaccard ≥ %.2f missed", missed, strong, th+0.15)
	}
}
