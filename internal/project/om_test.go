package project

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/i18n"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func setupPortfolio(t *testing.T, db *store.DB) *Service {
	t.Helper()
	return setup(t, db)
}

func codes(fs []Flag) string {
	var out []string
	for _, f := range fs {
		if f.Zh == "" || f.En == "" {
			return "untranslated " + f.Code
		}
		out = append(out, f.Code)
	}
	return strings.Join(out, ",")
}

func TestOMFlags(t *testing.T) {
	th := OMThresholds{OverLastYear: 10, OverCatalogue: 20, InvestmentShare: 15}
	m := func(w int64) *Money { x := Money(w * 10000); return &x }
	sys := &omSystem{ID: 1, OMCost: 100 * 10000}
	for _, c := range []struct {
		amount int64
		last   *Money
		inv    int64
		dup    int
		sys    *omSystem
		want   string
	}{
		{110, m(100), 1000, 0, sys, ""},                                                      // exactly 10 % above: not flagged
		{111, m(100), 1000, 0, sys, "over_last_year"},                                        // just above
		{121, m(121), 1000, 0, sys, "over_catalogue"},                                        // 21 % above the catalogue
		{100, m(100), 600, 0, sys, "over_investment"},                                        // 16.7 % of the investment
		{100, m(100), 0, 0, sys, ""},                                                         // no investment known: no share check
		{100, nil, 1000, 0, sys, "no_last_year"},                                             // nothing to compare with
		{100, m(0), 1000, 0, sys, "over_last_year"},                                          // nothing spent last year
		{100, m(100), 1000, 1, sys, "duplicate"},                                             // a second request
		{100, m(100), 1000, 0, &omSystem{OMCost: 100 * 10000, RetiredYear: 2026}, "retired"}, // retired that year
		{100, m(100), 1000, 0, &omSystem{OMCost: 100 * 10000, RetiredYear: 2027}, ""},        // retired later
	} {
		got := codes(OMFlags(NewOM{Year: 2026, Amount: Money(c.amount * 10000)}, c.sys, c.last, "entered", Money(c.inv*10000), c.dup, th))
		if got != c.want {
			t.Errorf("amount %d last %v inv %d dup %d: flags %q, want %q", c.amount, c.last, c.inv, c.dup, got, c.want)
		}
	}
}

func TestOMRequestsCheckedReviewedAndListed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setupPortfolio(t, db)
		all := []string{province}
		zz := []string{"/41/4101/"}
		sid, err := s.AddSystem(ctx, owner, all, NewSystem{Owner: "4101", Name: "郑州市政务服务平台", OMCost: wan(t, "100"), MLPSLevel: 3})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.AddSystem(ctx, owner, all, NewSystem{Owner: "4102", Name: "开封市政务服务平台", OMCost: wan(t, "80"), MLPSLevel: 3})
		if err != nil {
			t.Fatal(err)
		}
		// The construction project of the system: 1000 万元.
		register(t, s, all, NewProject{Name: "郑州市政务服务平台建设项目", Owner: "4101", Category: "new", Funding: "市级财政", Estimate: wan(t, "1000"), Systems: []int64{sid}})
		last := wan(t, "100")
		id1, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: sid, Year: 2025, Amount: wan(t, "105.5"), LastActual: &last, Basis: "按合同"})
		if err != nil {
			t.Fatal(err)
		}
		r1, err := s.GetOM(ctx, zz, id1)
		if err != nil || r1.Flagged() || r1.Investment != wan(t, "1000") || r1.CatalogueCost != wan(t, "100") || r1.LastSource != "entered" {
			t.Fatalf("first request: %+v %v", r1, err)
		}
		if _, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: other, Year: 2025, Amount: wan(t, "10")}); !IsOutside(err) {
			t.Fatalf("another city's system: %v", err)
		}
		var ue *i18n.Error
		if _, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: 99999, Year: 2025, Amount: wan(t, "10")}); !errors.As(err, &ue) || ue.Field != "system" {
			t.Fatalf("a system not in the catalogue: %v", err)
		}
		if _, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: sid, Year: 2025}); !errors.As(err, &ue) || ue.Field != "amount" {
			t.Fatalf("no amount: %v", err)
		}
		if err := s.ReviewOM(ctx, office, all, id1, OMApprove, nil, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.ReviewOM(ctx, office, all, id1, OMApprove, nil, ""); !errors.As(err, &ue) {
			t.Fatalf("reviewed twice: %v", err)
		}
		// Next year: no figure entered, so last year's approved amount
		// (105.5) is the comparison: 130 is 23.2 % above it and 30 %
		// above the catalogue.
		id2, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: sid, Year: 2026, Amount: wan(t, "130")})
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := s.GetOM(ctx, zz, id2)
		if got := codes(r2.Flags); got != "over_last_year,over_catalogue" || r2.LastSource != "approved" || *r2.LastActual != wan(t, "105.5") ||
			!strings.Contains(r2.Flags[0].Zh, "23.2%") || !strings.Contains(r2.Flags[0].En, "23.2%") {
			t.Fatalf("second year: %q %+v", got, r2)
		}
		id3, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: sid, Year: 2026, Amount: wan(t, "100"), LastActual: &last})
		if err != nil {
			t.Fatal(err)
		}
		if r3, _ := s.GetOM(ctx, zz, id3); codes(r3.Flags) != "duplicate" {
			t.Fatalf("duplicate: %+v", r3.Flags)
		}
		if err := s.RetireSystem(ctx, owner, []string{"/41/4102/"}, sid, 2026); !IsOutside(err) {
			t.Fatalf("retired from outside: %v", err)
		}
		if err := s.RetireSystem(ctx, owner, zz, sid, 2026); err != nil {
			t.Fatal(err)
		}
		id4, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: sid, Year: 2027, Amount: wan(t, "50"), LastActual: &last})
		if err != nil {
			t.Fatal(err)
		}
		if r4, _ := s.GetOM(ctx, zz, id4); codes(r4.Flags) != "retired" {
			t.Fatalf("retired: %+v", r4.Flags)
		}
		// The office cuts the 2026 request: the amount must be below the
		// request and the reason given.
		for _, bad := range []struct {
			amount *Money
			reason string
			field  string
		}{{nil, "压减", "approved"}, {ptr(wan(t, "130")), "压减", "approved"}, {ptr(wan(t, "110")), "", "reason"}} {
			if err := s.ReviewOM(ctx, office, all, id2, OMCutDown, bad.amount, bad.reason); !errors.As(err, &ue) || ue.Field != bad.field {
				t.Errorf("cut %+v: %v", bad, err)
			}
		}
		if err := s.ReviewOM(ctx, office, []string{"/41/4102/"}, id2, OMApprove, nil, ""); !IsOutside(err) {
			t.Fatalf("reviewed from outside: %v", err)
		}
		if err := s.ReviewOM(ctx, office, all, id2, OMCutDown, ptr(wan(t, "110.25")), "超出上年支出，按上年水平核定"); err != nil {
			t.Fatal(err)
		}
		rs, tot, err := s.ListOM(ctx, OMFilter{Scopes: all, Year: 2026})
		if err != nil || len(rs) != 2 || tot.Count != 2 || tot.Flagged != 2 || tot.Amount != wan(t, "230") || tot.Approved != wan(t, "110.25") {
			t.Fatalf("2026: %d %+v %v", len(rs), tot, err)
		}
		if rs, _, err := s.ListOM(ctx, OMFilter{Scopes: all, Flag: FlagOverLastYear}); err != nil || len(rs) != 1 || rs[0].ID != id2 || rs[0].Status != OMCut {
			t.Fatalf("flag filter: %+v %v", rs, err)
		}
		if rs, _, err := s.ListOM(ctx, OMFilter{Scopes: []string{"/41/4102/"}}); err != nil || len(rs) != 0 {
			t.Fatalf("another city sees: %+v %v", rs, err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'portfolio_om'`).Scan(&n); err != nil || n != 6 {
			t.Fatalf("audited: %d %v", n, err)
		}
	})
}

func TestOMImportAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setupPortfolio(t, db)
		all := []string{province}
		sid, err := s.AddSystem(ctx, owner, all, NewSystem{Owner: "4101", Name: "郑州市数据共享交换平台", OMCost: wan(t, "60"), MLPSLevel: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddSystem(ctx, owner, all, NewSystem{Owner: "4102", Name: "开封市数据共享交换平台", OMCost: wan(t, "60"), MLPSLevel: 3}); err != nil {
			t.Fatal(err)
		}
		bad := "年度,单位代码,信息系统,申请金额（万元）,上年实际支出（万元）,测算依据\n" +
			"2026,4101,郑州市数据共享交换平台,66,60,合同\n" +
			"二〇二六,4101,郑州市数据共享交换平台,1.23456,,\n" +
			"2026,4101,不存在的系统,10,,\n" +
			"2026,4102,开封市数据共享交换平台,10,,\n"
		rows, errs, err := s.ReadOMImport(ctx, []string{"/41/4101/"}, "om.csv", strings.NewReader(bad))
		if err != nil || rows != nil || len(errs) != 2 {
			t.Fatalf("parse errors: %v %v %v", rows, errs, err)
		}
		if errs[0].Row != 3 || errs[0].Col != "年度" || errs[1].Row != 3 || errs[1].Col != "申请金额（万元）" || errs[1].En == "" {
			t.Fatalf("located: %+v %+v", errs[0], errs[1])
		}
		bad = strings.Replace(bad, "二〇二六,4101,郑州市数据共享交换平台,1.23456,,\n", "", 1)
		rows, errs, err = s.ReadOMImport(ctx, []string{"/41/4101/"}, "om.csv", strings.NewReader(bad))
		if err != nil || rows != nil || len(errs) != 2 || errs[0].Row != 3 || errs[0].Col != "信息系统" || errs[1].Row != 4 || errs[1].Col != "单位代码" {
			t.Fatalf("catalogue and scope errors: %v %+v %v", rows, errs, err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_om`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("stored after errors: %d %v", n, err)
		}
		good := "\ufeffyear,owner,system,amount,last actual\n2026,4101,郑州市数据共享交换平台,66,60\n2026,4101,#" + strconv.FormatInt(sid, 10) + ",70,60\n"
		rows, errs, err = s.ReadOMImport(ctx, []string{"/41/4101/"}, "om.csv", strings.NewReader(good))
		if err != nil || len(errs) != 0 || len(rows) != 2 {
			t.Fatalf("good file: %v %v %v", rows, errs, err)
		}
		// A preview flags the rows as the import will and stores nothing.
		pre, err := s.PreviewOM(ctx, owner, []string{"/41/4101/"}, rows)
		if err != nil || len(pre) != 2 || pre[0].ID != 0 || codes(pre[0].Flags) != "" || codes(pre[1].Flags) != "duplicate,over_last_year" || pre[1].Amount != 700000 {
			t.Fatalf("preview: %+v %v", pre, err)
		}
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_om`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("stored by the preview: %d %v", n, err)
		}
		if _, err := s.PreviewOM(ctx, owner, []string{"/41/4102/"}, rows); !IsOutside(err) {
			t.Fatalf("a preview outside the caller's units: %v", err)
		}
		ids, err := s.ImportOM(ctx, owner, []string{"/41/4101/"}, rows)
		if err != nil || len(ids) != 2 {
			t.Fatalf("import: %v %v", ids, err)
		}
		r2, _ := s.GetOM(ctx, all, ids[1])
		r1, _ := s.GetOM(ctx, all, ids[0])
		if codes(r1.Flags) != "" || codes(r2.Flags) != "duplicate,over_last_year" {
			t.Fatalf("flags: %q and %q", codes(r1.Flags), codes(r2.Flags))
		}
	})
}

// FuzzOMGrid: whatever the cells, parsing a list never panics, every
// error has both languages and a row, and every parsed request has a year,
// a positive amount and a system.
func FuzzOMGrid(f *testing.F) {
	f.Add("年度,单位代码,信息系统,申请金额（万元）\n2026,4101,平台,12.5")
	f.Add("year,owner,system,amount,last actual,basis\n2026,4101,#3,1,0,x\n,,,,\n")
	f.Add("year,owner\n1,2")
	f.Fuzz(func(t *testing.T, text string) {
		var grid [][]string
		for _, line := range strings.Split(text, "\n") {
			grid = append(grid, strings.Split(line, ","))
		}
		raws, errs := parseOMGrid(grid)
		if (raws == nil) == (errs == nil) {
			t.Fatalf("both or neither: %v %v", raws, errs)
		}
		for _, e := range errs {
			if e.Zh == "" || e.En == "" {
				t.Fatalf("untranslated: %+v", e)
			}
		}
		for _, r := range raws {
			if r.N.Year < 2013 || r.N.Amount <= 0 || r.System == "" || r.Owner == "" || r.Row < 2 {
				t.Fatalf("accepted: %+v", r)
			}
		}
	})
}
