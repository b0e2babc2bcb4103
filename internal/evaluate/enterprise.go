package evaluate

import (
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"slices"
	"sort"
	"zhihui/internal/i18n"

	"gopkg.in/yaml.v3"
)

// Questionnaire is the enterprise self-assessment instrument: dimensions
// of questions, answer scales and stage thresholds.
type Questionnaire struct {
	ID         string           `yaml:"id" json:"id"`
	Name       i18n.Text        `yaml:"name" json:"name"`
	Stages     []Stage          `yaml:"stages" json:"stages"`
	Scales     map[string]Scale `yaml:"scales" json:"scales"`
	Dimensions []Dimension      `yaml:"dimensions" json:"dimensions"`
}

// Stage is a development stage reached when the overall score is ≥ Min.
type Stage struct {
	ID   string    `yaml:"id" json:"id"`
	Min  float64   `yaml:"min" json:"min"`
	Name i18n.Text `yaml:"name" json:"name"`
}

// Scale is an answer scale: "choice" (fixed options with scores) or
// "number" (a value mapped linearly from [Min, Max] onto 0–1, clipped).
// A Bounded number cannot lie outside [Min, Max] (a share of a whole):
// forms refuse such answers instead of clipping them.
type Scale struct {
	Type    string   `yaml:"type" json:"type"`
	Options []Option `yaml:"options,omitempty" json:"options,omitempty"`
	Min     float64  `yaml:"min,omitempty" json:"min,omitempty"`
	Max     float64  `yaml:"max,omitempty" json:"max,omitempty"`
	Unit    string   `yaml:"unit,omitempty" json:"unit,omitempty"`
	Bounded bool     `yaml:"bounded,omitempty" json:"bounded,omitempty"`
}

// Option is one choice of a choice scale.
type Option struct {
	Value float64   `yaml:"value" json:"value"`
	Score float64   `yaml:"score" json:"score"`
	Name  i18n.Text `yaml:"name" json:"name"`
}

// Dimension groups questions; its weight counts towards the overall score.
type Dimension struct {
	ID        string     `yaml:"id" json:"id"`
	Name      i18n.Text  `yaml:"name" json:"name"`
	Weight    float64    `yaml:"weight" json:"weight"`
	Questions []Question `yaml:"questions" json:"questions"`
}

// Question is one item of the questionnaire.
type Question struct {
	ID    string    `yaml:"id" json:"id"`
	Scale string    `yaml:"scale" json:"scale"`
	Name  i18n.Text `yaml:"name" json:"name"`
}

//go:embed questionnaire/gbt23020.yaml
var gbt23020YAML []byte

// EnterpriseQuestionnaire returns the embedded self-assessment
// questionnaire (after GB/T 23020-2013), for rendering the form.
func EnterpriseQuestionnaire() *Questionnaire {
	var q Questionnaire
	dec := yaml.NewDecoder(bytes.NewReader(gbt23020YAML))
	dec.KnownFields(true)
	if err := dec.Decode(&q); err != nil {
		panic("evaluate: embedded questionnaire: " + err.Error())
	}
	return &q
}

var enterpriseQ = EnterpriseQuestionnaire()

// EnterpriseAnswers is one enterprise's filled questionnaire.
type EnterpriseAnswers struct {
	Enterprise string             `json:"enterprise"` // id (e.g. unified social credit code)
	Name       string             `json:"name,omitempty"`
	Industry   string             `json:"industry,omitempty"` // e.g. GB/T 4754 code
	City       string             `json:"city,omitempty"`     // NBS division code
	Year       int                `json:"year,omitempty"`
	Answers    map[string]float64 `json:"answers"` // question id → option value or number
}

// DimensionScore is the score (0–100) of one dimension.
type DimensionScore struct {
	ID    string    `json:"id"`
	Name  i18n.Text `json:"name"`
	Score Value     `json:"score"`
}

// EnterpriseResult is the outcome of [ScoreEnterprise].
type EnterpriseResult struct {
	Enterprise string           `json:"enterprise"`
	Name       string           `json:"name,omitempty"`
	Industry   string           `json:"industry,omitempty"`
	City       string           `json:"city,omitempty"`
	Year       int              `json:"year,omitempty"`
	Score      float64          `json:"score"` // 0–100
	Stage      Stage            `json:"stage"`
	Dimensions []DimensionScore `json:"dimensions"`
	Strengths  []string         `json:"strengths"`  // dimension ids above the overall score, best first (at most 2)
	Weaknesses []string         `json:"weaknesses"` // dimension ids below the overall score, worst first (at most 2)
}

// ScoreEnterprise scores a questionnaire. Every question must be answered:
// a choice answer must be one of the option values, a number answer must be
// finite. Question score = option score / best option score, or for number
// scales (x − min)/(max − min) clipped to [0, 1]; dimension score = mean of
// its question scores × 100; overall = dimension scores weighted by the
// dimension weights. The stage is the last stage whose threshold the
// overall score reaches.
func ScoreEnterprise(a EnterpriseAnswers) (*EnterpriseResult, error) {
	q := enterpriseQ
	if a.Enterprise == "" {
		return nil, errf("missing_enterprise", "enterprise", "缺少企业标识", "enterprise id is missing")
	}
	known := map[string]bool{}
	res := &EnterpriseResult{Enterprise: a.Enterprise, Name: a.Name, Industry: a.Industry, City: a.City, Year: a.Year}
	total, wsum := 0.0, 0.0
	for _, d := range q.Dimensions {
		s := 0.0
		for _, qu := range d.Questions {
			known[qu.ID] = true
			v, ok := a.Answers[qu.ID]
			if !ok {
				return nil, errf("unanswered", qu.ID, "问题 %s（%s）未作答", "question %s (%s) is not answered", qu.ID, qu.Name.Zh)
			}
			sc, err := scoreAnswer(q.Scales[qu.Scale], qu, v)
			if err != nil {
				return nil, err
			}
			s += sc
		}
		ds := 100 * s / float64(len(d.Questions))
		res.Dimensions = append(res.Dimensions, DimensionScore{ID: d.ID, Name: d.Name, Score: Value(ds)})
		total += d.Weight * ds
		wsum += d.Weight
	}
	for id := range a.Answers {
		if !known[id] {
			return nil, errf("unknown_question", id, "问卷中没有问题 %s", "the questionnaire has no question %s", id)
		}
	}
	res.Score = total / wsum
	res.Stage = q.Stages[0]
	for _, st := range q.Stages {
		if res.Score >= st.Min {
			res.Stage = st
		}
	}
	dims := slices.Clone(res.Dimensions)
	sort.SliceStable(dims, func(i, j int) bool { return dims[i].Score > dims[j].Score })
	for _, d := range dims {
		if float64(d.Score) > res.Score && len(res.Strengths) < 2 {
			res.Strengths = append(res.Strengths, d.ID)
		}
	}
	for i := len(dims) - 1; i >= 0; i-- {
		if float64(dims[i].Score) < res.Score && len(res.Weaknesses) < 2 {
			res.Weaknesses = append(res.Weaknesses, dims[i].ID)
		}
	}
	return res, nil
}

func scoreAnswer(sc Scale, qu Question, v float64) (float64, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errf("bad_answer", qu.ID, "问题 %s 的答案不是有效数字", "the answer to question %s is not a finite number", qu.ID)
	}
	switch sc.Type {
	case "choice":
		best := 0.0
		for _, o := range sc.Options {
			best = math.Max(best, o.Score)
		}
		for _, o := range sc.Options {
			if o.Value == v {
				return o.Score / best, nil
			}
		}
		return 0, errf("bad_answer", qu.ID, "问题 %s 的答案 %g 不是可选项", "the answer %[2]g to question %[1]s is not one of the options", qu.ID, v)
	case "number":
		return clamp01((v - sc.Min) / (sc.Max - sc.Min)), nil
	}
	return 0, fmt.Errorf("evaluate: question %s: scale %q unknown", qu.ID, qu.Scale)
}

// PeerBenchmark places one enterprise among its peers.
type PeerBenchmark struct {
	Enterprise string             `json:"enterprise"`
	By         string             `json:"by"`    // "industry" or "city"
	Group      string             `json:"group"` // the industry or city code
	Peers      int                `json:"peers"` // peers compared with (the enterprise itself excluded)
	Percentile float64            `json:"percentile"`
	Median     float64            `json:"median"`
	Dimensions map[string]float64 `json:"dimensions"` // dimension id → percentile
}

// BenchmarkEnterprise computes the percentile of r among the results in
// all that share its industry (by = "industry") or city (by = "city").
// Percentile = 100 × (peers below + ½ peers equal) / peers. Results of the
// same enterprise are not counted as peers. With no peers it is an error.
func BenchmarkEnterprise(r *EnterpriseResult, all []*EnterpriseResult, by string) (*PeerBenchmark, error) {
	key := func(e *EnterpriseResult) string {
		if by == "city" {
			return e.City
		}
		return e.Industry
	}
	if by != "industry" && by != "city" {
		return nil, errf("bad_option", "by", "对标维度只能是 industry 或 city", "peers can be grouped by industry or city only")
	}
	g := key(r)
	if g == "" {
		return nil, errf("no_group", by, "企业 %s 没有填写 %s", "enterprise %s has no %s", r.Enterprise, by)
	}
	var peers []*EnterpriseResult
	for _, e := range all {
		if e != nil && e.Enterprise != r.Enterprise && key(e) == g {
			peers = append(peers, e)
		}
	}
	if len(peers) == 0 {
		return nil, errf("no_peers", g, "没有同组（%s）的其他企业可供对标", "no other enterprise in the same group (%s) to compare with", g)
	}
	pct := func(x float64, get func(*EnterpriseResult) float64) float64 {
		below, eq := 0.0, 0.0
		for _, p := range peers {
			switch v := get(p); {
			case v < x:
				below++
			case v == x:
				eq++
			}
		}
		return 100 * (below + eq/2) / float64(len(peers))
	}
	b := &PeerBenchmark{Enterprise: r.Enterprise, By: by, Group: g, Peers: len(peers), Dimensions: map[string]float64{}}
	b.Percentile = pct(r.Score, func(e *EnterpriseResult) float64 { return e.Score })
	sc := make([]float64, len(peers))
	for i, p := range peers {
		sc[i] = p.Score
	}
	sort.Float64s(sc)
	if n := len(sc); n%2 == 1 {
		b.Median = sc[n/2]
	} else {
		b.Median = (sc[n/2-1] + sc[n/2]) / 2
	}
	for i, d := range r.Dimensions {
		b.Dimensions[d.ID] = pct(float64(d.Score), func(e *EnterpriseResult) float64 {
			if i < len(e.Dimensions) {
				return float64(e.Dimensions[i].Score)
			}
			return math.NaN()
		})
	}
	return b, nil
}
