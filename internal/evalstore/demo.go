package evalstore

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"zhihui/internal/i18n"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/store"
)

// Demo datasets: synthetic values for the built-in regional frameworks,
// 2013–2020, for the 18 cities and the 181 county-level units. The names
// say that they are synthetic, and so does the synthetic flag.
const (
	DemoTwoIntegrationCities = "演示数据（合成）：两化融合·市"
	DemoTwoIntegrationCounty = "演示数据（合成）：两化融合·县"
	DemoInformatization      = "演示数据（合成）：城市信息化·市"
	DemoInformatizationCount = "演示数据（合成）：城市信息化·县"
	// legacyDemoNote is the note earlier releases gave the demo datasets,
	// one "中文 / English" string; the synthetic flag says it now, in the
	// reader's language (evaluate.synthetic_note), and it reads as none.
	legacyDemoNote = "合成的演示数据，不是统计数据 / synthetic demo data, not statistics"
	DemoFirstYear  = 2013
	DemoLastYear   = 2020
)

// demoLevel is a made-up starting level (0–1) per city, to give the demo
// a plausible spread; it is not a measurement.
var demoLevel = map[string]float64{
	"4101": 0.62, "4103": 0.5, "419001": 0.46, "4107": 0.42, "4108": 0.42, "4110": 0.41,
	"4106": 0.38, "4112": 0.37, "4104": 0.35, "4105": 0.34, "4111": 0.35, "4102": 0.31,
	"4113": 0.31, "4109": 0.3, "4114": 0.24, "4115": 0.24, "4116": 0.2, "4117": 0.2,
}

// DemoDataset generates the synthetic dataset of a built-in framework
// ("two-integration-region" or "city-informatization") for cities or
// counties. It is deterministic.
func DemoDataset(framework string, counties bool) (*evaluate.Dataset, error) {
	fw, err := evaluate.Builtin(framework)
	if err != nil {
		return nil, err
	}
	cs, cos, err := Regions()
	if err != nil {
		return nil, err
	}
	units := cs
	if counties {
		units = cos
	}
	var codes []string
	for _, u := range units {
		codes = append(codes, u.Code)
	}
	var years []int
	for y := DemoFirstYear; y <= DemoLastYear; y++ {
		years = append(years, y)
	}
	ids := fw.IndicatorIDs()
	d := evaluate.NewDataset(codes, ids, years)
	seed := uint64(len(framework))
	if counties {
		seed += 1000
	}
	rng := rand.New(rand.NewPCG(seed, 2013))
	inds := map[string]evaluate.Indicator{}
	for _, in := range fw.Indicators {
		inds[in.ID] = in
	}
	for _, u := range units {
		city := cityOf(u.Code)
		if u.Level == 2 {
			city = u.Code
		}
		base := demoLevel[city]
		if counties {
			d.Groups[u.Code] = city
			base += rng.NormFloat64() * 0.07
			if strings.HasSuffix(u.Name, "区") {
				base += 0.08
			}
		}
		growth := 0.035 + 0.02*rng.Float64()
		bias := map[string]float64{}
		for _, id := range ids {
			bias[id] = rng.NormFloat64() * 0.08
		}
		for _, y := range years {
			for _, id := range ids {
				if rng.Float64() < 0.02 {
					continue // missing
				}
				s := base + bias[id] + growth*float64(y-DemoFirstYear) + rng.NormFloat64()*0.025
				s = math.Min(0.98, math.Max(0.02, s))
				in := inds[id]
				nm := fw.Normalisation
				if in.Normalisation != nil {
					nm = *in.Normalisation
				}
				lo, hi := 0.0, 100.0
				if nm.Min != nil && nm.Max != nil {
					lo, hi = *nm.Min, *nm.Max
				}
				if in.Direction == "lower" {
					s = 1 - s
				}
				v := lo + s*(hi-lo)
				if in.Transform == "log" && lo > 0 {
					v = lo * math.Pow(hi/lo, s)
				}
				d.Set(u.Code, y, id, math.Round(v*100)/100)
			}
		}
	}
	return d, nil
}

// LoadDemo stores the demo datasets and synthetic enterprise assessments
// unless they exist. It returns quickly when they do.
// Concurrent calls are serialised.
func LoadDemo(ctx context.Context, db *store.DB) error {
	demoMu.Lock()
	defer demoMu.Unlock()
	if _, err := DatasetByName(ctx, db, DemoTwoIntegrationCities); err == nil {
		return nil
	}
	actor := audit.Actor{Name: "demo"}
	for _, ds := range []struct {
		name, fw string
		counties bool
	}{
		{DemoTwoIntegrationCities, "two-integration-region", false},
		{DemoTwoIntegrationCounty, "two-integration-region", true},
		{DemoInformatization, "city-informatization", false},
		{DemoInformatizationCount, "city-informatization", true},
	} {
		d, err := DemoDataset(ds.fw, ds.counties)
		if err != nil {
			return err
		}
		if _, err := SaveDataset(ctx, db, actor, ds.name, "", "/41/", true, d); err != nil {
			return fmt.Errorf("demo dataset %s: %w", ds.name, err)
		}
	}
	if err := loadDemoAHP(ctx, db, actor); err != nil {
		return err
	}
	return loadDemoEnterprises(ctx, db, actor)
}

// DemoAHPFramework is a stored copy of the two-integration index whose
// sub-index weights come from an AHP matrix, so that the AHP editor and
// the comparison of weighting schemes have something to show.
const DemoAHPFramework = "two-integration-ahp"

func loadDemoAHP(ctx context.Context, db *store.DB, actor audit.Actor) error {
	base, err := evaluate.Builtin("two-integration-region")
	if err != nil {
		return err
	}
	c := *base
	c.ID = DemoAHPFramework
	c.Name = i18n.Text{Zh: "区域两化融合发展水平指数（层次分析法权重，演示）", En: "Regional two-integration index (AHP weights, demo)"}
	c.Nodes = append([]evaluate.Node(nil), base.Nodes...)
	for i := range c.Nodes {
		n := &c.Nodes[i]
		switch {
		case n.Parent == "":
			n.Weighting = evaluate.WeightAHP
			// industrial application matters most, benefits least
			n.AHP = &evaluate.AHPSpec{Order: []string{"environment", "application", "benefit"},
				Matrix: [][]evaluate.Ratio{{1, evaluate.Ratio(1.0 / 3), 2}, {3, 1, 4}, {0.5, 0.25, 1}}}
		case n.Parent == base.Root():
			n.Weight = nil
		}
	}
	text, err := MarshalFramework(&c)
	if err != nil {
		return err
	}
	if _, err := SaveFramework(ctx, db, actor, "/41/", text); err != nil {
		return fmt.Errorf("demo framework: %w", err)
	}
	return nil
}

var demoMu sync.Mutex

// DemoEnterprises is how many synthetic assessments the demo holds.
const DemoEnterprises = 240

const creditChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// demoAssessments makes synthetic, scored assessments.
func demoAssessments() ([]*Assessment, error) {
	_, counties, err := Regions()
	if err != nil {
		return nil, err
	}
	q := evaluate.EnterpriseQuestionnaire()
	rng := rand.New(rand.NewPCG(23020, 2013))
	var out []*Assessment
	for i := range DemoEnterprises {
		u := counties[rng.IntN(len(counties))]
		ind := Industries[rng.IntN(len(Industries))]
		lvl := demoLevel[cityOf(u.Code)] + rng.NormFloat64()*0.15 + 0.15
		answers := map[string]float64{}
		for _, dim := range q.Dimensions {
			for _, qu := range dim.Questions {
				sc := q.Scales[qu.Scale]
				x := math.Min(1, math.Max(0, lvl+rng.NormFloat64()*0.15))
				if sc.Type == "number" {
					answers[qu.ID] = math.Round(sc.Min + x*(sc.Max-sc.Min))
				} else {
					answers[qu.ID] = sc.Options[int(math.Round(x*float64(len(sc.Options)-1)))].Value
				}
			}
		}
		var cc strings.Builder
		cc.WriteString("91")
		cc.WriteString(u.Code[:6])
		for range 10 {
			cc.WriteByte(creditChars[rng.IntN(len(creditChars))])
		}
		s := Submission{Name: fmt.Sprintf("演示企业%03d（合成）", i+1), CreditCode: cc.String(), Industry: ind.Code, OrgCode: u.Code, Year: 2020, Answers: answers, Synthetic: true}
		if err := s.Validate(); err != nil {
			return nil, err
		}
		res, err := evaluate.ScoreEnterprise(evaluate.EnterpriseAnswers{Enterprise: s.CreditCode, Name: s.Name, Industry: s.Industry, City: cityOf(u.Code), Year: s.Year, Answers: answers})
		if err != nil {
			return nil, err
		}
		out = append(out, &Assessment{Name: s.Name, CreditCode: s.CreditCode, Industry: s.Industry, OrgCode: u.Code, OrgPath: u.Path, Year: s.Year, Answers: answers, Result: res, Synthetic: true, CreatedAt: store.Now(), CreatedBy: "demo"})
	}
	return out, nil
}

func loadDemoEnterprises(ctx context.Context, db *store.DB, actor audit.Actor) error {
	as, err := demoAssessments()
	if err != nil {
		return err
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		_, err := db.Copy(ctx, tx, "evaluate_enterprise", []string{"name", "credit_code", "industry", "org_code", "org_path", "year", "answers_json", "result_json", "score", "stage", "synthetic", "created_at", "created_by"},
			func(yield func([]any) error) error {
				for _, a := range as {
					answers, _ := json.Marshal(a.Answers)
					result, _ := json.Marshal(a.Result)
					if err := yield([]any{a.Name, a.CreditCode, a.Industry, a.OrgCode, a.OrgPath, a.Year, string(answers), string(result), a.Result.Score, a.Result.Stage.ID, true, a.CreatedAt, a.CreatedBy}); err != nil {
						return err
					}
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("demo assessments: %w", err)
		}
		return audit.Record(ctx, tx, actor, "create", "evaluate_enterprise", "demo", "/41/", nil, map[string]any{"synthetic": true, "count": len(as)})
	})
}
