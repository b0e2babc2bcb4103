package ecstat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

var office = audit.Actor{UserID: 1, Name: "office"}

var all = []string{"/41/"}

// setup migrates the tables, loads the 55,164 org units and bootstraps
// the module: once per test process into a template that each test's
// store copies (storetest.FillFromTemplate).
func setup(t *testing.T, db *store.DB) {
	t.Helper()
	build := func(ctx context.Context, db *store.DB) error {
		if err := db.Migrate(ctx, append([]store.Schema{orgunit.Schema, audit.Schema, auth.Schema, monitor.Schema}, Schemas...)...); err != nil {
			return err
		}
		if _, err := orgunit.Load(ctx, db, nil, nil); err != nil {
			return err
		}
		return Bootstrap(ctx, db)
	}
	if !storetest.FillFromTemplate(t, db, "ecstat", build) {
		if err := build(context.Background(), db); err != nil {
			t.Fatal(err)
		}
	}
}

// code builds a valid credit code for a county from a serial number.
func code(county string, n int) string {
	body := fmt.Sprintf("91%s%09d", county, n)
	c, _ := CreditCheck(body)
	return body + string(c)
}

const header = "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"

func importCSV(t *testing.T, db *store.DB, year int, csv string, scopes []string, dry bool) *ImportResult {
	t.Helper()
	res, err := ImportRegister(context.Background(), db, office, "r.csv", strings.NewReader(csv), ImportOptions{Year: year, Scopes: scopes, DryRun: dry})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRegisterImportBirthsChangesDeaths(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		a, b, c := code("410102", 1), code("410102", 2), code("410202", 3)
		file := header + a + ",甲商贸有限公司,F5292,410102,小型,否,25,\"1,200.50\"\n" +
			b + ",乙制造有限公司,3914,410102,medium,是,400,56000\n" +
			c + ",丙信息技术有限公司,I6513,410202,微型,no,8,90.5\n"
		if res := importCSV(t, db, 2015, file, all, true); !res.OK() || res.Births != 3 || res.Written {
			t.Fatalf("dry run: %+v", res)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_enterprise`); n != 0 {
			t.Fatalf("dry run wrote %d enterprises", n)
		}
		if res := importCSV(t, db, 2015, file, all, false); !res.OK() || res.Births != 3 || !res.Written {
			t.Fatalf("import: %+v", res)
		}
		list, total, err := Enterprises(ctx, db, Filter{Scopes: []string{"/41/4101/"}})
		if err != nil || total != 2 || len(list) != 2 || list[0].CreditCode != a || list[0].Revenue != 120050 || list[0].Section != "F" ||
			list[0].CityCode != "4101" || list[1].Size != Medium || !list[1].AboveScale {
			t.Fatalf("郑州 register: %+v %d %v", list, total, err)
		}
		// 2016: a moves up a size class and grows, c closes, one birth.
		d := code("410105", 4)
		file2 := header + "status\n"
		file2 = "credit_code,name,industry,org_code,size,above_scale,employees,revenue,status\n" +
			a + ",甲商贸有限公司,F5292,410102,中型,是,320,30000,在营\n" +
			b + ",乙制造有限公司,3914,410102,medium,是,400,56000,在营\n" +
			c + ",丙信息技术有限公司,I6513,410202,微型,no,8,90.5,注销\n" +
			d + ",丁电子商务有限公司,5292,410105,小型,否,30,800,在营\n"
		res := importCSV(t, db, 2016, file2, all, false)
		if !res.OK() || res.Births != 1 || res.Changes != 1 || res.Deaths != 1 || res.Unchanged != 1 {
			t.Fatalf("2016 import: %+v", res)
		}
		demo, err := Demography(ctx, db, all)
		if err != nil || len(demo) != 2 || demo[0] != (YearCount{2016, 1, 1, 1}) || demo[1] != (YearCount{2015, 3, 0, 0}) {
			t.Fatalf("demography: %+v %v", demo, err)
		}
		ent, _, _ := Enterprises(ctx, db, Filter{Scopes: all, Query: c})
		if len(ent) != 1 || ent[0].ClosedYear != 2016 || ent[0].Active(2016) || !ent[0].Active(2015) {
			t.Fatalf("closed enterprise: %+v", ent)
		}
		hist, err := Changes(ctx, db, list[0].ID)
		if err != nil || len(hist) != 2 || hist[1].Kind != "change" || hist[1].Detail["size"][1] != Medium || hist[1].Detail["revenue"][1] != "30000.00" {
			t.Fatalf("history of %s: %+v %v", a, hist, err)
		}
		// The birth is read from the register row: year, name and unit then, who imported it.
		if b := hist[0]; b.Kind != "birth" || b.Year != 2015 || b.Detail["name"][1] != "甲商贸有限公司" || b.Detail["org_code"][1] != "410102" ||
			b.Detail["name"][0] != nil || b.Actor == "" || b.At.IsZero() {
			t.Fatalf("birth of %s: %+v", a, b)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'ecstat_register' AND action = 'import'`); n != 2 {
			t.Fatalf("%d import audit entries", n)
		}
	})
}

func TestRegisterImportRefusesBadRowsAndWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		good := code("410102", 1)
		bad := good[:17] + string("0123456789ABCDEFGHJKLMNPQRTUWXY"[(strings.IndexByte(creditAlphabet, good[17])+1)%31])
		file := header +
			good + ",甲,F5292,410102,小型,否,25,100\n" + // row 2 fine
			bad + ",乙,5292,410102,小型,否,25,100\n" + // row 3 checksum
			code("410102", 3) + ",丙,9999,410102,小型,否,25,100\n" + // row 4 industry
			code("410102", 4) + ",丁,5292,419999,小型,否,25,100\n" + // row 5 unknown unit
			good + ",甲二,5292,410102,小型,否,25,100\n" + // row 6 duplicate
			code("410102", 6) + ",戊,5292,410102,小型,否,25,-5\n" + // row 7 negative revenue
			code("410102", 7) + ",己,5292,4101,小型,否,25,5\n" + // row 8 a city, not a county
			code("410102", 8) + ",庚,5292,410102,巨型,否,25,5\n" // row 9 size
		res := importCSV(t, db, 2015, file, all, false)
		want := map[int]string{3: "校验码", 4: "行业大类", 5: "未知的地区代码", 6: "与第 2 行重复", 7: "营业收入", 8: "不是县级单位", 9: "企业规模"}
		if res.OK() || res.Written || res.ErrorCount != len(want) {
			t.Fatalf("result: %+v", res)
		}
		for _, e := range res.Errors {
			if w, ok := want[e.Row]; !ok || !strings.Contains(e.Zh, w) || e.En == "" || e.Col == "" {
				t.Errorf("row %d col %s: %s / %s (want %q)", e.Row, e.Col, e.Zh, e.En, w)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_enterprise`); n != 0 {
			t.Fatalf("a refused file wrote %d enterprises", n)
		}
		// Outside the importer's subtree.
		res = importCSV(t, db, 2015, header+code("410202", 1)+",甲,5292,410202,小型,否,25,100\n", []string{"/41/4101/"}, false)
		if res.OK() || !strings.Contains(res.Errors[0].Zh, "不在您管理的范围内") || res.Errors[0].Row != 2 {
			t.Fatalf("outside scope: %+v", res.Errors)
		}
		// A header without the required columns.
		res = importCSV(t, db, 2015, "code,name\nx,y\n", all, false)
		if res.OK() || !strings.Contains(res.Errors[0].Zh, "表头缺少列") || res.Errors[0].Row != 1 {
			t.Fatalf("bad header: %+v", res.Errors)
		}
	})
}

func TestRegisterImportXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		f := excelize.NewFile()
		rows := [][]any{
			{"统一社会信用代码", "企业名称", "行业代码", "所在地区代码", "企业规模", "是否规模以上", "从业人员", "营业收入（万元）"},
			{code("410102", 1), "甲", "F5292", "410102", "小型", "否", 25, 1200.5},
			{code("410105", 2), "乙", "3914", "410105", "大型", "是", 2000, 880000},
		}
		for i, r := range rows {
			if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		res, err := ImportRegister(context.Background(), db, office, "名录.xlsx", &buf, ImportOptions{Year: 2015, Scopes: all})
		if err != nil || !res.OK() || res.Births != 2 {
			t.Fatalf("xlsx import: %+v %v", res, err)
		}
		list, _, _ := Enterprises(context.Background(), db, Filter{Scopes: all})
		if len(list) != 2 || list[0].Revenue != 120050 || list[1].Revenue != 88000000 {
			t.Fatalf("xlsx register: %+v", list)
		}
	})
}

func TestAmount(t *testing.T) {
	for s, want := range map[string]Amount{"0": 0, "1": 100, "1.5": 150, "1,234.56": 123456, ".5": 50, "-2.01": -201} {
		if got, ok := ParseAmount(s); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "1.234", "abc", "1e5", "1.2.3", "."} {
		if _, ok := ParseAmount(s); ok {
			t.Errorf("%q accepted", s)
		}
	}
	if Amount(123456).String() != "1234.56" || Amount(-5).String() != "-0.05" {
		t.Fatal(Amount(123456).String(), Amount(-5).String())
	}
}

// loadSynthetic writes a generated register for the tests.
func loadSynthetic(t *testing.T, db *store.DB, n int) []Enterprise {
	t.Helper()
	ctx := context.Background()
	counties, err := orgunit.Descendants(ctx, db, "/41/", orgunit.LevelOf[orgunit.County], 0)
	if err != nil {
		t.Fatal(err)
	}
	reg := GenerateRegister(rand.New(rand.NewPCG(7, 7)), counties[:40], n)
	for _, e := range reg {
		if err := CheckCreditCode(e.CreditCode); err != nil {
			t.Fatal(err)
		}
	}
	if err := insertRegister(ctx, db, office, reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestDrawReproducibleWithCertaintyStratum(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		reg := loadSynthetic(t, db, 3000)
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2018年调查", Period: "2018"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		d1, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 300, Seed: 99})
		if err != nil {
			t.Fatal(err)
		}
		s1, _ := Sample(ctx, db, id, all, 0)
		d2, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 300, Seed: 99})
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := Sample(ctx, db, id, all, 0)
		if len(s1) != len(s2) || d1.SampleSize != d2.SampleSize || len(s1) != d1.SampleSize {
			t.Fatalf("redraw sizes %d %d", len(s1), len(s2))
		}
		for i := range s1 {
			if s1[i].ID != s2[i].ID {
				t.Fatalf("same seed drew different samples at %d", i)
			}
		}
		frame, certain := 0, 0
		for _, e := range reg {
			if e.Active(2018) {
				frame++
				if e.AboveScale {
					certain++
				}
			}
		}
		inSample := map[int64]bool{}
		var wsum float64
		for _, x := range s1 {
			inSample[x.ID] = true
			wsum += x.Weight
			if x.AboveScale != x.Certainty || (x.Certainty && x.Weight != 1) {
				t.Fatalf("certainty mismatch: %+v", x)
			}
		}
		if d1.FrameSize != frame || d1.Certainty != certain || math.Abs(wsum-float64(frame)) > 1e-6*float64(frame) {
			t.Fatalf("frame %d (want %d), certainty %d (want %d), weights sum to %v", d1.FrameSize, frame, d1.Certainty, certain, wsum)
		}
		if d1.SampleSize-d1.Certainty < 300 { // minimums may add a few
			t.Fatalf("take-some sample %d, want at least 300", d1.SampleSize-d1.Certainty)
		}
		// A different seed draws differently; a Neyman draw for a CV target is stored with its prediction.
		d3, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, CV: 0.05, Seed: 100})
		if err != nil || d3.PredictedCV > 0.05 || d3.PredictedCV <= 0 {
			t.Fatalf("neyman: %+v %v", d3, err)
		}
		got, err := GetDesign(ctx, db, id)
		if err != nil || got.Seed != 100 || got.Method != Neyman || got.CV != 0.05 || len(got.Strata) != len(d3.Strata) || math.Abs(got.PredictedCV-d3.PredictedCV) > 0.01 {
			t.Fatalf("stored design: %+v %v", got, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'ecstat_survey' AND action = 'draw'`); n != 3 {
			t.Fatalf("%d draws audited", n)
		}
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, CV: 0.05, Seed: 1}); err == nil {
			t.Fatal("proportional with a CV target accepted")
		}
	})
}

func TestFormsEditsEstimatesAndPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 2000)
		id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: "2015年调查", Period: "2015"})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := GetSurvey(ctx, db, id)
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, N: 200, Seed: 5}); err != nil {
			t.Fatal(err)
		}
		sample, _ := Sample(ctx, db, id, all, 0)
		first := sample[0].Enterprise
		// Edits: online retail above sales, sales without trading online.
		bad := map[string]string{TradesOnline: "否", Platform: "none", EcomSales: "10", EcomPurchases: "0", OnlineRetail: "20", InfoGoods: "1", InfoServices: "1"}
		err = Submit(ctx, db, office, s, first, bad, false)
		var fe *FormError
		if !errors.As(err, &fe) || len(fe.Errors) != 2 || fe.Errors[0].Field != OnlineRetail || fe.Errors[1].Field != EcomSales {
			t.Fatalf("edits: %v", err)
		}
		var ie *i18n.Error
		if !errors.As(err, &ie) || ie.En == "" {
			t.Fatalf("a form error is not bilingual: %v", err)
		}
		bad[EcomSales] = "-1"
		if err := Submit(ctx, db, office, s, first, bad, false); !errors.As(err, &fe) || fe.Errors[0].Field != EcomSales {
			t.Fatalf("negative sales: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_return`); n != 0 {
			t.Fatalf("refused forms stored %d returns", n)
		}
		// Not sampled.
		var outside Enterprise
		list, _, _ := Enterprises(ctx, db, Filter{Scopes: all})
		in := map[int64]bool{}
		for _, x := range sample {
			in[x.ID] = true
		}
		for _, e := range list {
			if !in[e.ID] {
				outside = e
				break
			}
		}
		if err := Submit(ctx, db, office, s, outside, bad, false); err != ErrNotSampled {
			t.Fatalf("outside the sample: %v", err)
		}
		// Everybody but the last five answers: y = revenue share, exact.
		rng := rand.New(rand.NewPCG(1, 1))
		answers := map[int64]map[string]string{}
		for i, x := range sample {
			if i >= len(sample)-5 {
				break
			}
			a := DemoAnswers(rng, x.Enterprise, 2015)
			if _, errs := CheckForm(s, x.Enterprise, a); len(errs) > 0 {
				continue
			}
			if err := Submit(ctx, db, office, s, x.Enterprise, a, i%2 == 0); err != nil {
				t.Fatalf("submit %s: %v", x.CreditCode, err)
			}
			answers[x.ID] = a
		}
		if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Neyman, N: 200, Seed: 6}); err == nil {
			t.Fatal("redraw after answers accepted")
		}
		non, err := Nonrespondents(ctx, db, id, all)
		if err != nil || len(non) != len(sample)-len(answers) {
			t.Fatalf("nonrespondents %d, want %d: %v", len(non), len(sample)-len(answers), err)
		}
		f, err := GetForm(ctx, db, s, sample[0].Enterprise)
		if err != nil || f.Return == nil || !f.Return.OnBehalf || f.Values[EcomSales] != mustAmount(answers[sample[0].ID][EcomSales]) {
			t.Fatalf("stored form: %+v %v", f, err)
		}
		// The HT total equals the weighted sum computed here from the strata.
		res, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCity, HT)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := GetDesign(ctx, db, id)
		resp := map[int]int{}
		for _, x := range sample {
			if answers[x.ID] != nil {
				resp[hOf(d, x.Stratum)]++
			}
		}
		var want float64
		cityWant := map[string]float64{}
		for _, x := range sample {
			a := answers[x.ID]
			if a == nil {
				continue
			}
			h := hOf(d, x.Stratum)
			y := (float64(mustParse(a[EcomSales])) + float64(mustParse(a[EcomPurchases]))) / 1e6
			w := float64(d.Strata[h].Pop) / float64(resp[h])
			want += w * y
			cityWant[x.CityCode] += w * y
		}
		if math.Abs(res.Province.Total-want) > 1e-9*want || res.Respondents != len(answers) || res.Sampled != len(sample) {
			t.Fatalf("province %+v, want total %v with %d respondents", res.Province, want, len(answers))
		}
		var citySum float64
		for _, c := range res.Cells {
			if math.Abs(c.Total-cityWant[c.Code]) > 1e-9*math.Max(1, cityWant[c.Code]) || c.Name == "" {
				t.Errorf("city %s: %v, want %v", c.Code, c.Total, cityWant[c.Code])
			}
			citySum += c.Total
		}
		if math.Abs(citySum-res.Province.Total) > 1e-9*want {
			t.Fatalf("cities add to %v, province %v", citySum, res.Province.Total)
		}
		ratio, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCounty, Ratio)
		if err != nil || ratio.Province.SE <= 0 || ratio.Province.Low >= ratio.Province.Total || len(ratio.Cells) != 40 {
			t.Fatalf("ratio: %+v %v", ratio, err)
		}
		for _, c := range ratio.Cells {
			if c.Respondents < MinRespondents && c.Mark != "suppressed" {
				t.Errorf("cell %s with %d respondents not suppressed", c.Code, c.Respondents)
			}
		}
		yes, err := Estimate(ctx, db, s, TradesOnline, BySection, HT)
		if err != nil || yes.Unit != "家" || yes.Province.Total <= 0 || yes.Province.Total > float64(d.FrameSize) {
			t.Fatalf("firms trading online: %+v %v", yes, err)
		}
		// Publish into monitoring.
		pubs, err := Publish(ctx, db, office, s, Ratio)
		if err != nil || len(pubs) != 2 {
			t.Fatalf("publish: %+v %v", pubs, err)
		}
		vals, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: []string{ElementEcom, ElementEcomCV}, OrgUnits: []string{"41"}, Periods: []string{"2015"}})
		if err != nil || len(vals) != 2 {
			t.Fatalf("monitoring values: %+v %v", vals, err)
		}
		for _, v := range vals {
			switch v.DataElement {
			case ElementEcom:
				if got, _ := strconv.ParseFloat(v.Value.Value, 64); math.Abs(got-ratio.Province.Total) > 0.006 || !strings.HasPrefix(v.Comment, "ecstat.estimate ratio se=") {
					t.Errorf("published total %+v, estimate %v", v, ratio.Province.Total)
				}
				// Stored in no language, read in either.
				if c, ok := EstimateComment(v.Comment); !ok || !strings.Contains(c.Zh, "标准误") || !strings.Contains(c.En, "Sample survey estimate (ratio estimator") || strings.ContainsAny(v.Comment, "标准误推算") {
					t.Errorf("comment %q read as %+v", v.Comment, c)
				}
			case ElementEcomCV:
				if got, _ := strconv.ParseFloat(v.Value.Value, 64); math.Abs(got-100*ratio.Province.CV) > 0.006 {
					t.Errorf("cv: %+v", v)
				}
			}
		}
		got, err := Publications(ctx, db, id)
		if err != nil || len(got) != 2 {
			t.Fatalf("publications %+v %v", got, err)
		}
		// Cities and counties: every estimate not suppressed is written
		// with its CV, the suppressed ones are not and are listed.
		counties, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCounty, Ratio)
		if err != nil {
			t.Fatal(err)
		}
		cities, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCity, Ratio)
		if err != nil {
			t.Fatal(err)
		}
		all41, err := monitor.DataValues(ctx, db, monitor.ValueFilter{Elements: []string{ElementEcom, ElementEcomCV}, Periods: []string{"2015"}})
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]string{}
		for _, v := range all41 {
			stored[v.DataElement+"|"+v.OrgUnit] = v.Value.Value
		}
		suppressed := map[string]string{}
		for _, p := range got {
			if p.Element == ElementEcom {
				for _, x := range p.Suppressed {
					suppressed[x.Code] = x.Reason
				}
				if p.Units != 1+len(cities.Cells)+len(counties.Cells)-len(p.Suppressed) {
					t.Errorf("units written %d with %d suppressed of %d cities and %d counties", p.Units, len(p.Suppressed), len(cities.Cells), len(counties.Cells))
				}
			}
		}
		nSup := 0
		for _, c := range append(append([]Cell(nil), cities.Cells...), counties.Cells...) {
			v, has := stored[ElementEcom+"|"+c.Code]
			_, hasCV := stored[ElementEcomCV+"|"+c.Code]
			if c.Mark == "suppressed" {
				nSup++
				if has || hasCV || suppressed[c.Code] != c.Reason {
					t.Errorf("suppressed %s (%s) written %q or listed as %q", c.Code, c.Reason, v, suppressed[c.Code])
				}
				continue
			}
			if got, _ := strconv.ParseFloat(v, 64); !has || !hasCV || math.Abs(got-c.Total) > 0.006 {
				t.Errorf("%s: stored %q (cv %v), estimate %v", c.Code, v, hasCV, c.Total)
			}
		}
		if nSup == 0 || nSup == len(counties.Cells) {
			t.Fatalf("%d of %d counties suppressed: the test needs both kinds", nSup, len(counties.Cells))
		}
		// County × section: the HT cells of a county add up to the county.
		hc, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCounty, HT)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCountySection, HT)
		if err != nil {
			t.Fatal(err)
		}
		sum := map[string]float64{}
		for _, c := range cs.Cells {
			if c.Section == "" || !strings.Contains(c.Name, "·") {
				t.Errorf("county × section cell %+v", c)
			}
			sum[c.Code] += c.Total
		}
		for _, c := range hc.Cells {
			if math.Abs(sum[c.Code]-c.Total) > 1e-9*math.Max(1, c.Total) {
				t.Errorf("county %s: sections add to %v, county %v", c.Code, sum[c.Code], c.Total)
			}
		}
		if len(cs.Cells) <= len(hc.Cells) {
			t.Errorf("%d county × section cells for %d counties", len(cs.Cells), len(hc.Cells))
		}
	})
}

func hOf(d *Design, key string) int {
	for _, s := range d.Strata {
		if s.Key == key {
			return s.H
		}
	}
	return -1
}

func mustParse(s string) Amount {
	a, _ := ParseAmount(s)
	return a
}

func mustAmount(s string) string { return mustParse(s).String() }

func TestLoadDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		if _, err := auth.CreateUser(ctx, db, office, auth.NewUser{Name: "enterprise", DisplayName: "企业", Password: "a-long-demo-password-1"}); err != nil {
			t.Fatal(err)
		}
		if err := LoadDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		if err := LoadDemo(ctx, db); err != nil { // idempotent
			t.Fatal(err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_enterprise`); n != DemoRegisterSize {
			t.Fatalf("%d enterprises", n)
		}
		surveys, err := Surveys(ctx, db)
		if err != nil || len(surveys) != len(DemoYears) {
			t.Fatalf("surveys %d %v", len(surveys), err)
		}
		for _, s := range surveys {
			r, err := Estimate(ctx, db, s, "ECOM_TURNOVER", ByCity, Ratio)
			if err != nil || r.Province.CV <= 0 || r.Province.CV > 0.15 || len(r.Cells) != 18 {
				t.Fatalf("%d: %+v %v", s.Year, r.Province, err)
			}
			t.Logf("%d: e-commerce turnover %.0f 亿元, CV %.2f%%, %d of %d answered", s.Year, r.Province.Total, 100*r.Province.CV, r.Respondents, r.Sampled)
		}
		u, err := auth.UserByName(ctx, db, "enterprise")
		if err != nil {
			t.Fatal(err)
		}
		mine, err := AccountEnterprises(ctx, db, u.ID)
		if err != nil || len(mine) != 1 || mine[0].CityCode != "4101" {
			t.Fatalf("demo account's enterprises: %+v %v", mine, err)
		}
		f, err := GetForm(ctx, db, surveys[0], mine[0])
		if err != nil || f.Return != nil {
			t.Fatalf("demo account's open form: %+v %v", f, err)
		}
	})
}

func TestDrawRotatesPartOfLastYearsSample(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 3000)
		newSurvey := func(year string) *Survey {
			id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: year + "年调查", Period: year})
			if err != nil {
				t.Fatal(err)
			}
			s, _ := GetSurvey(ctx, db, id)
			return s
		}
		s17, s18 := newSurvey("2017"), newSurvey("2018")
		if _, err := Draw(ctx, db, office, s18, DesignSpec{Method: Proportional, N: 400, Seed: 5, Keep: 0.5}); err == nil {
			t.Fatal("rotation without an earlier drawn survey accepted")
		}
		if _, err := Draw(ctx, db, office, s17, DesignSpec{Method: Proportional, N: 400, Seed: 4}); err != nil {
			t.Fatal(err)
		}
		ids := func(id int64) map[int64]Selected {
			list, err := Sample(ctx, db, id, all, 0)
			if err != nil {
				t.Fatal(err)
			}
			m := map[int64]Selected{}
			for _, x := range list {
				m[x.ID] = x
			}
			return m
		}
		last := ids(s17.ID)
		for _, keep := range []float64{0.5, 0.8} {
			d, err := Draw(ctx, db, office, s18, DesignSpec{Method: Proportional, N: 400, Seed: 5, Keep: keep})
			if err != nil {
				t.Fatal(err)
			}
			now := ids(s18.ID)
			// Per take-some stratum: round(keep·n) kept from last year when
			// enough of them are still in the stratum, the rest new.
			byStratum := map[string][2]int{} // kept, n
			lastIn := map[string]int{}
			for _, x := range now {
				if x.Certainty {
					continue
				}
				c := byStratum[x.Stratum]
				c[1]++
				if _, was := last[x.ID]; was {
					c[0]++
				}
				byStratum[x.Stratum] = c
			}
			kept := 0
			for _, x := range last {
				if !x.Certainty && x.Active(2018) {
					lastIn[x.Stratum]++
				}
			}
			for key, c := range byStratum {
				want := min(int(math.Round(keep*float64(c[1]))), lastIn[key])
				if c[0] < want || c[0] > c[1] {
					t.Errorf("keep %v, stratum %s: %d of %d kept, want %d (last year %d)", keep, key, c[0], c[1], want, lastIn[key])
				}
				kept += c[0]
			}
			if kept != d.Kept || d.Kept == 0 || d.Rotated == 0 || d.RotateFrom != s17.ID {
				t.Fatalf("keep %v: design says kept %d rotated %d from %d; counted %d", keep, d.Kept, d.Rotated, d.RotateFrom, kept)
			}
			got, err := GetDesign(ctx, db, s18.ID)
			if err != nil || got.Keep != keep || got.Kept != d.Kept || got.Rotated != d.Rotated || got.RotateFrom != s17.ID {
				t.Fatalf("stored design %+v %v", got, err)
			}
			// Reproducible from the seed.
			if _, err := Draw(ctx, db, office, s18, DesignSpec{Method: Proportional, N: 400, Seed: 5, Keep: keep}); err != nil {
				t.Fatal(err)
			}
			again := ids(s18.ID)
			if len(again) != len(now) {
				t.Fatalf("redraw %d, first %d", len(again), len(now))
			}
			for id := range now {
				if _, ok := again[id]; !ok {
					t.Fatalf("the same seed and share drew a different sample")
				}
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'ecstat_survey' AND action = 'draw' AND after_json LIKE '%"kept"%'`); n < 4 {
			t.Fatalf("%d rotation draws audited with their counts", n)
		}
		if _, err := Draw(ctx, db, office, s18, DesignSpec{Method: Proportional, N: 400, Seed: 5, Keep: 1.5}); err == nil {
			t.Fatal("a kept share above 1 accepted")
		}
	})
}

func TestChangeAgainstLastPeriodEdit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		setup(t, db)
		ctx := context.Background()
		loadSynthetic(t, db, 1500)
		var firm Selected
		surveys := map[string]*Survey{}
		for _, y := range []string{"2016", "2017"} {
			id, err := CreateSurvey(ctx, db, office, NewSurvey{Name: y + "年调查", Period: y})
			if err != nil {
				t.Fatal(err)
			}
			s, _ := GetSurvey(ctx, db, id)
			surveys[y] = s
			if _, err := Draw(ctx, db, office, s, DesignSpec{Method: Proportional, N: 100, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			has := false
			for _, ed := range s.Edits {
				has = has || ed.Kind == EditChange && ed.Left == EcomSales
			}
			if !has {
				t.Fatalf("default edits lack the change edit: %+v", s.Edits)
			}
		}
		sample, _ := Sample(ctx, db, surveys["2017"].ID, all, 0)
		for _, x := range sample {
			if x.Certainty && x.Active(2016) && x.Revenue > 100_000 { // taken with certainty both years
				firm = x
				break
			}
		}
		if firm.ID == 0 {
			t.Fatal("no certainty firm with revenue")
		}
		form := func(sales Amount) map[string]string {
			return map[string]string{TradesOnline: "yes", Platform: "third", EcomSales: sales.String(), EcomPurchases: "0", OnlineRetail: "0", InfoGoods: "1", InfoServices: "1"}
		}
		last := firm.Revenue / 100
		if err := Submit(ctx, db, office, surveys["2016"], firm.Enterprise, form(last), false); err != nil {
			t.Fatal(err)
		}
		// 2017: fifty times last year's sales is refused, naming both years' figures.
		err := Submit(ctx, db, office, surveys["2017"], firm.Enterprise, form(last*50), false)
		var fe *FormError
		if !errors.As(err, &fe) || len(fe.Errors) != 1 || fe.Errors[0].Field != EcomSales ||
			!strings.Contains(fe.Errors[0].Zh, "2016") || !strings.Contains(fe.Errors[0].Zh, last.String()) || !strings.Contains(fe.Errors[0].En, "10 times") {
			t.Fatalf("change edit: %v", err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM ecstat_return WHERE survey_id = $1`, surveys["2017"].ID); n != 0 {
			t.Fatalf("a refused form stored a return")
		}
		// Three times is within the edit; a first answer (no last period) is not checked.
		if err := Submit(ctx, db, office, surveys["2017"], firm.Enterprise, form(last*3), false); err != nil {
			t.Fatal(err)
		}
		if _, errs := CheckForm(surveys["2017"], firm.Enterprise, form(last*50)); len(errs) != 0 {
			t.Fatalf("without a last period: %v", errs)
		}
		prev, err := LastPeriod(ctx, db, surveys["2017"], firm.Enterprise)
		if err != nil || prev == nil || prev.Year != 2016 || prev.Amounts[EcomSales] != int64(last) {
			t.Fatalf("last period %+v %v", prev, err)
		}
	})
}
