package evalstore

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func migrated(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Migrate(context.Background(), orgunit.Schema, audit.Schema, Schema); err != nil {
		t.Fatal(err)
	}
}

func auditCount(t *testing.T, db *store.DB, entity string) int {
	var n int
	if err := db.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = $1`, entity).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFrameworkStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrated(t, db)
		ctx := context.Background()
		actor := audit.Actor{Name: "tester"}
		base, err := Framework(ctx, db, "two-integration-region")
		if err != nil || !base.Builtin {
			t.Fatalf("builtin: %v", err)
		}
		// A built-in id cannot be stored.
		if _, err := SaveFramework(ctx, db, actor, "/41/4101/", base.YAML); err == nil {
			t.Fatal("saved over a built-in framework")
		}
		text := strings.Replace(base.YAML, "id: two-integration-region", "id: tii-zz", 1)
		sf, err := SaveFramework(ctx, db, actor, "/41/4101/", text)
		if err != nil {
			t.Fatal(err)
		}
		// Re-weight: application 0.4, benefit 0.35.
		text2, err := ApplyWeights(sf.Framework, WeightEdit{Weights: map[string]float64{"application": 0.4, "benefit": 0.35}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := SaveFramework(ctx, db, actor, "/41/4102/", text2); err != nil {
			t.Fatal(err)
		}
		got, err := Framework(ctx, db, "tii-zz")
		if err != nil {
			t.Fatal(err)
		}
		if got.OrgPath != "/41/4101/" {
			t.Errorf("update moved the owner to %s", got.OrgPath)
		}
		for _, n := range got.Framework.Nodes {
			if n.ID == "benefit" && (n.Weight == nil || *n.Weight != 0.35) {
				t.Errorf("benefit weight %v", n.Weight)
			}
		}
		// Weights that do not sum to 1 are refused with a bilingual error.
		_, err = ApplyWeights(sf.Framework, WeightEdit{Weights: map[string]float64{"application": 0.9}})
		var ue *i18n.Error
		if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
			t.Fatalf("bad weights: %v", err)
		}
		list, err := Frameworks(ctx, db)
		if err != nil || len(list) != len(evaluate.BuiltinNames())+1 {
			t.Fatalf("list %d %v", len(list), err)
		}
		if n := auditCount(t, db, "evaluate_framework"); n != 2 {
			t.Errorf("%d audit entries, want 2", n)
		}
		if err := DeleteFramework(ctx, db, actor, "tii-zz"); err != nil {
			t.Fatal(err)
		}
		if _, err := Framework(ctx, db, "tii-zz"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
	})
}

func TestAHPWeightsEdit(t *testing.T) {
	fw, err := evaluate.ParseFramework(strings.NewReader(`
id: ahp-test
name: {zh: 测试, en: Test}
normalisation: {method: minmax}
nodes:
  - id: root
    weighting: ahp
    ahp: {order: [a, b], matrix: [[1, 3], ["1/3", 1]]}
indicators:
  - {id: a, parent: root, name: {zh: 甲, en: A}}
  - {id: b, parent: root, name: {zh: 乙, en: B}}
`))
	if err != nil {
		t.Fatal(err)
	}
	text, err := ApplyWeights(fw, WeightEdit{AHP: map[string][][]float64{"root": {{1, 0.2}, {5, 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	fw2, err := evaluate.ParseFramework(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if m := fw2.Nodes[0].AHP.Matrix; m[1][0] != 5 {
		t.Fatalf("matrix not applied: %v", m)
	}
}

const longCSV = "unit,year,indicator,value\n4101,2019,a,1\n4101,2020,a,2\n4102,2020,a,3\n4102,2020,b,NA\n"

func TestReadUpload(t *testing.T) {
	d, err := ReadUpload("x.csv", strings.NewReader(longCSV))
	if err != nil {
		t.Fatal(err)
	}
	if d.Value("4102", 2020, "a") != 3 || !math.IsNaN(d.Value("4102", 2020, "b")) {
		t.Fatal("csv values")
	}
	// Wide XLSX.
	f := excelize.NewFile()
	rows := [][]any{{"unit", "year", "a", "b"}, {"4101", 2020, 1.5, 2}, {"4102", 2020, "", 4}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	d, err = ReadUpload("x.xlsx", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if d.Value("4101", 2020, "a") != 1.5 || d.Value("4102", 2020, "b") != 4 || !math.IsNaN(d.Value("4102", 2020, "a")) {
		t.Fatal("xlsx values")
	}
	// A bad value names its row and column in both languages.
	_, err = ReadUpload("x.csv", strings.NewReader("unit,year,a\n4101,2020,1\n4102,2020,abc\n"))
	var ue *i18n.Error
	if !errors.As(err, &ue) || !strings.Contains(ue.Message("zh-CN"), "第3行「a」列") || !strings.Contains(ue.Message("en"), "row 3, column a") {
		t.Fatalf("error: %v", err)
	}
	if _, err := ReadUpload("x.pdf", strings.NewReader("")); !errors.As(err, &ue) {
		t.Fatalf("pdf accepted: %v", err)
	}
}

func TestDatasetStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrated(t, db)
		ctx := context.Background()
		d, _ := ReadUpload("x.csv", strings.NewReader("unit,year,indicator,value,group\n4101,2019,a,1,g1\n4101,2020,a,2,g1\n4102,2020,a,3,g2\n4102,2020,b,4.25,g2\n"))
		info, err := SaveDataset(ctx, db, audit.Actor{Name: "tester"}, "测试", "", "/41/", false, d)
		if err != nil {
			t.Fatal(err)
		}
		if info.Units != 2 || info.Series != 2 || info.FirstYear != 2019 || info.LastYear != 2020 {
			t.Fatalf("info %+v", info)
		}
		if _, err := SaveDataset(ctx, db, audit.Actor{Name: "tester"}, "测试", "", "/41/", false, d); err == nil {
			t.Fatal("duplicate name accepted")
		}
		got, err := LoadDataset(ctx, db, info.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range d.Units {
			for _, y := range d.Years {
				for _, s := range d.Series {
					a, b := d.Value(u, y, s), got.Value(u, y, s)
					if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
						t.Errorf("%s/%d/%s: %v, want %v", u, y, s, b, a)
					}
				}
			}
		}
		if got.Groups["4102"] != "g2" {
			t.Errorf("groups %v", got.Groups)
		}
		// The DataSource restricts units, indicators and years.
		part, err := Stored{DB: db, ID: info.ID}.Values(ctx, []string{"b"}, []string{"4102"}, []int{2020})
		if err != nil {
			t.Fatal(err)
		}
		if len(part.Units) != 1 || len(part.Series) != 1 || part.Value("4102", 2020, "b") != 4.25 {
			t.Fatalf("part %+v", part)
		}
		if auditCount(t, db, "evaluate_dataset") != 1 {
			t.Error("dataset create not audited")
		}
		// A demo dataset of an earlier release carries its note as one
		// "中文 / English" string; the synthetic flag says it now.
		demo, err := SaveDataset(ctx, db, audit.Actor{Name: "tester"}, "演示", legacyDemoNote, "/41/", true, d)
		if err != nil {
			t.Fatal(err)
		}
		all, err := Datasets(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, ds := range all {
			if ds.ID == demo.ID && (ds.Note != "" || !ds.Synthetic) {
				t.Errorf("earlier demo dataset reads %+v", ds)
			}
		}
	})
}

var demoAnswers = map[string]float64{"B1": 60, "B2": 3, "B3": 20, "B4": 1, "S1": 3, "S2": 2, "S3": 3, "S4": 4, "I1": 2, "I2": 2, "I3": 1, "C1": 1, "C2": 1, "C3": 0, "K1": 5, "K2": 20, "K3": 2, "E1": 8, "E2": 3, "E3": 2}

func answersFor(t *testing.T) map[string]float64 {
	a := map[string]float64{}
	for _, d := range evaluate.EnterpriseQuestionnaire().Dimensions {
		for _, q := range d.Questions {
			v, ok := demoAnswers[q.ID]
			if !ok {
				v = 1
			}
			a[q.ID] = v
		}
	}
	return a
}

func TestEnterpriseStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrated(t, db)
		ctx := context.Background()
		_, units, err := Regions()
		if err != nil {
			t.Fatal(err)
		}
		byCode := map[string]orgunit.Unit{}
		for _, u := range units {
			byCode[u.Code] = u
		}
		sub := func(name, code, credit, ind string) *Assessment {
			a, err := Submit(ctx, db, audit.Actor{Name: "ent"}, byCode[code], Submission{Name: name, CreditCode: credit, Industry: ind, Year: 2020, Answers: answersFor(t)})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a := sub("甲公司", "410102", "91410100MA0000000A", "C36")
		sub("乙公司", "410103", "91410100MA0000000B", "C36")
		sub("丙公司", "410202", "91410200MA0000000C", "C39")
		if a.Result.Score <= 0 || a.Result.Stage.ID == "" || a.City() != "4101" {
			t.Fatalf("result %+v", a.Result)
		}
		if _, err := Submit(ctx, db, audit.Actor{}, byCode["410102"], Submission{Name: "x", CreditCode: "bad", Industry: "C36", Year: 2020, Answers: answersFor(t)}); err == nil {
			t.Fatal("bad credit code accepted")
		}
		missing := answersFor(t)
		delete(missing, "B1")
		if _, err := Submit(ctx, db, audit.Actor{}, byCode["410102"], Submission{Name: "x", CreditCode: "91410100MA0000000D", Industry: "C36", Year: 2020, Answers: missing}); err == nil {
			t.Fatal("missing answer accepted")
		}
		zz, err := Assessments(ctx, db, AssessmentFilter{Scopes: []string{"/41/4101/"}})
		if err != nil || len(zz) != 2 {
			t.Fatalf("scoped list: %d %v", len(zz), err)
		}
		none, _ := Assessments(ctx, db, AssessmentFilter{Scopes: []string{}})
		if len(none) != 0 {
			t.Fatal("empty scope listed assessments")
		}
		got, err := GetAssessment(ctx, db, a.ID)
		if err != nil || got.Result.Score != a.Result.Score || got.Answers["B1"] != 60 {
			t.Fatalf("get: %v", err)
		}
		ind, city, err := Benchmark(ctx, db, got)
		if err != nil || ind == nil || city == nil || ind.Peers != 1 || city.Peers != 1 {
			t.Fatalf("benchmark %+v %+v %v", ind, city, err)
		}
		byCity, byInd := Distribution(zz)
		if len(byCity) != 1 || byCity[0].Count != 2 || len(byInd) != 1 {
			t.Fatalf("distribution %+v %+v", byCity, byInd)
		}
		if auditCount(t, db, "evaluate_enterprise") != 3 {
			t.Error("submissions not audited")
		}
	})
}

func TestLoadDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrated(t, db)
		ctx := context.Background()
		start := time.Now()
		if err := LoadDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		t.Logf("demo load took %v", time.Since(start))
		if err := LoadDemo(ctx, db); err != nil {
			t.Fatal(err)
		}
		ds, err := Datasets(ctx, db)
		if err != nil || len(ds) != 4 {
			t.Fatalf("%d datasets (%v)", len(ds), err)
		}
		for _, d := range ds {
			if !d.Synthetic || !strings.Contains(d.Name, "合成") {
				t.Errorf("%s not labelled synthetic", d.Name)
			}
		}
		info, _ := DatasetByName(ctx, db, DemoTwoIntegrationCities)
		if info.Units != 18 || info.FirstYear != 2013 || info.LastYear != 2020 {
			t.Fatalf("cities dataset %+v", info)
		}
		info, _ = DatasetByName(ctx, db, DemoTwoIntegrationCounty)
		if info.Units != 181 {
			t.Fatalf("counties dataset %+v", info)
		}
		d, err := LoadDataset(ctx, db, info.ID)
		if err != nil {
			t.Fatal(err)
		}
		fw, _ := evaluate.Builtin("two-integration-region")
		res, err := evaluate.Run(fw, d, evaluate.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The synthetic model grows every year: the mean index rises.
		mean := func(y int) float64 {
			s, n := 0.0, 0
			for _, yr := range res.Years {
				if yr.Year == y {
					for _, v := range yr.Scores[fw.Root()] {
						if !v.IsMissing() {
							s += float64(v)
							n++
						}
					}
				}
			}
			return s / float64(n)
		}
		if !(mean(2020) > mean(2013)) {
			t.Errorf("index mean %v (2013) → %v (2020)", mean(2013), mean(2020))
		}
		ahp, err := Framework(ctx, db, DemoAHPFramework)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := evaluate.Run(ahp.Framework, d, evaluate.Options{}); err != nil {
			t.Fatal(err)
		}
		as, err := Assessments(ctx, db, AssessmentFilter{})
		if err != nil || len(as) != DemoEnterprises {
			t.Fatalf("%d demo assessments (%v)", len(as), err)
		}
	})
}
