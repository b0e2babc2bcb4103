package webcheck

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"zhihui/internal/i18n"
)

//go:embed scheme.yaml
var defaultScheme []byte

// MetricNames lists every metric the inspector computes; scheme rules must
// name one of them.
var MetricNames = []string{
	"availability_failure_pct", "home_unreachable", "broken_links_home", "broken_links_other",
	"home_stale", "stale_news", "stale_notice", "stale_policy", "stale_interaction", "stale_other",
	"stale_key_columns", "stale_columns", "empty_columns", "severe_errors",
	"no_https", "tls_invalid", "tls_expiring", "no_hsts", "mixed_content", "missing_security_headers",
	"missing_site_code", "missing_icp", "missing_psb", "missing_service_entry", "missing_interaction_entry",
	"ipv6_no_aaaa", "ipv6_unreachable", "a11y_critical", "a11y_serious", "a11y_other",
}

// Rule turns one metric into a veto or a loss of points.
type Rule struct {
	ID     string  `yaml:"id" json:"id"`
	Zh     string  `yaml:"zh" json:"zh"`
	En     string  `yaml:"en" json:"en"`
	Metric string  `yaml:"metric" json:"metric"`
	Min    float64 `yaml:"min" json:"min,omitempty"`       // threshold; 0 means "any value above zero"
	Each   float64 `yaml:"each" json:"each,omitempty"`     // points per unit
	Points float64 `yaml:"points" json:"points,omitempty"` // points once the threshold is reached
	Max    float64 `yaml:"max" json:"max,omitempty"`       // cap for this rule; 0 = none
}

// Indicator is one scored area of the 2019 scheme.
type Indicator struct {
	ID    string  `yaml:"id"`
	Zh    string  `yaml:"zh"`
	En    string  `yaml:"en"`
	Max   float64 `yaml:"max"`
	Rules []Rule  `yaml:"rules"`
}

// Scheme is a complete scoring configuration; see scheme.yaml for the
// embedded default and the meaning of each field.
type Scheme struct {
	Name          Text           `yaml:"name"`
	Freshness     map[string]int `yaml:"freshness_days"`
	MinProbes     int            `yaml:"min_probes"`
	CertWarnDays  int            `yaml:"cert_warn_days"`
	FailOver      float64        `yaml:"fail_deduction_over"`
	SeverePhrases []string       `yaml:"severe_phrases"`
	Vetoes        []Rule         `yaml:"vetoes"`
	Deductions    []Rule         `yaml:"deductions"`
	Indicators    []Indicator    `yaml:"indicators"`
}

// DefaultScheme returns a fresh copy of the embedded default scheme.
func DefaultScheme() *Scheme {
	s, err := ParseScheme(defaultScheme)
	if err != nil {
		panic("webcheck: embedded scheme: " + err.Error())
	}
	return s
}

// DefaultSchemeYAML returns the embedded default scheme as YAML, a starting
// point for a custom one.
func DefaultSchemeYAML() []byte { return slices.Clone(defaultScheme) }

// ParseScheme reads and validates a scheme. Errors are [*i18n.Error] with
// Chinese and English text naming the offending entry.
func ParseScheme(b []byte) (*Scheme, error) {
	var s Scheme
	if err := yaml.Unmarshal(b, &s); err != nil {
		return nil, i18n.Errorf("评分方案YAML格式错误", "scoring scheme is not valid YAML").Wrap(err)
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Scheme) validate() error {
	bad := func(zh, en string, args ...any) error {
		return i18n.Errorf(zh, en, args...)
	}
	for _, k := range []string{"home", "news", "notice", "policy", "interaction", "other"} {
		if s.Freshness[k] <= 0 {
			return bad("freshness_days 缺少 %s 或不为正数", "freshness_days.%s missing or not positive", k)
		}
	}
	if s.MinProbes <= 0 {
		s.MinProbes = 20
	}
	if s.CertWarnDays <= 0 {
		s.CertWarnDays = 30
	}
	check := func(where string, r Rule, scored bool) error {
		if r.ID == "" {
			return bad("%s 中有规则缺少 id", "a rule in %s has no id", where)
		}
		if !slices.Contains(MetricNames, r.Metric) {
			return bad("%s 规则 %s 的指标 %q 不存在", "%s rule %s: unknown metric %q", where, r.ID, r.Metric)
		}
		if r.Each < 0 || r.Points < 0 || r.Max < 0 || r.Min < 0 {
			return bad("%s 规则 %s 含负数", "%s rule %s has a negative number", where, r.ID)
		}
		if scored && r.Each == 0 && r.Points == 0 {
			return bad("%s 规则 %s 需要 each 或 points", "%s rule %s needs each or points", where, r.ID)
		}
		return nil
	}
	for _, r := range s.Vetoes {
		if err := check("vetoes", r, false); err != nil {
			return err
		}
	}
	for _, r := range s.Deductions {
		if err := check("deductions", r, true); err != nil {
			return err
		}
	}
	total := 0.0
	for _, ind := range s.Indicators {
		if ind.ID == "" || ind.Max <= 0 {
			return bad("指标 %q 缺少 id 或满分", "indicator %q needs an id and a positive max", ind.ID)
		}
		total += ind.Max
		for _, r := range ind.Rules {
			if err := check("indicators."+ind.ID, r, true); err != nil {
				return err
			}
		}
	}
	if len(s.Indicators) > 0 && math.Abs(total-100) > 1e-9 {
		return bad("各指标满分之和为 %g，应为100", "indicator maxima add up to %g, not 100", total)
	}
	return nil
}

// Loss is points lost under one rule, with its evidence.
type Loss struct {
	Rule          string     `json:"rule"`
	Zh            string     `json:"zh"`
	En            string     `json:"en"`
	Metric        string     `json:"metric"`
	Value         float64    `json:"value"`
	Points        float64    `json:"points"`
	Evidence      []Evidence `json:"evidence"`
	EvidenceTotal int        `json:"evidence_total"`
}

// Verdict is the 2015 census outcome: 合格 (Pass) unless a veto applies or
// the deductions exceed the scheme's limit.
type Verdict struct {
	Pass        bool    `json:"pass"`
	Vetoes      []Loss  `json:"vetoes"`       // Points unused
	NotAssessed []Rule  `json:"not_assessed"` // veto rules whose metric is unknown
	Deductions  []Loss  `json:"deductions"`
	Deducted    float64 `json:"deducted"`
	Reasons     []Text  `json:"reasons"`
}

// IndicatorScore is one indicator's outcome in the 2019 scheme.
type IndicatorScore struct {
	ID      string  `json:"id"`
	Zh      string  `json:"zh"`
	En      string  `json:"en"`
	Max     float64 `json:"max"`
	Score   float64 `json:"score"`
	Losses  []Loss  `json:"losses"`
	Unknown []Rule  `json:"not_assessed"`
}

// Score is the 2019 100-point outcome.
type Score struct {
	Total      float64          `json:"total"`
	Max        float64          `json:"max"`
	Indicators []IndicatorScore `json:"indicators"`
}

// MaxEvidencePerLoss bounds the evidence copied into each loss; the full
// count is in Loss.EvidenceTotal.
const MaxEvidencePerLoss = 100

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// apply evaluates one scoring rule; ok is false when the metric is unknown.
func (r Rule) apply(m Metric) (points float64, hit, ok bool) {
	if !m.Known {
		return 0, false, false
	}
	if r.Each > 0 {
		points = r.Each * m.Value
		if r.Min > 0 && m.Value < r.Min {
			points = 0
		}
	} else if (r.Min > 0 && m.Value >= r.Min) || (r.Min == 0 && m.Value > 0) {
		points = r.Points
	}
	if r.Max > 0 && points > r.Max {
		points = r.Max
	}
	return round2(points), points > 0, true
}

func (r Rule) loss(m Metric, points float64) Loss {
	ev := m.Evidence
	if len(ev) > MaxEvidencePerLoss {
		ev = ev[:MaxEvidencePerLoss]
	}
	return Loss{Rule: r.ID, Zh: r.Zh, En: r.En, Metric: r.Metric, Value: m.Value, Points: points, Evidence: ev, EvidenceTotal: len(m.Evidence)}
}

// Evaluate applies the scheme to measured metrics. Missing metrics count as
// unknown.
func (s *Scheme) Evaluate(metrics map[string]Metric) (Verdict, Score) {
	var v Verdict
	for _, r := range s.Vetoes {
		m, ok := metrics[r.Metric]
		if !ok || !m.Known {
			v.NotAssessed = append(v.NotAssessed, r)
			continue
		}
		if (r.Min > 0 && m.Value >= r.Min) || (r.Min == 0 && m.Value > 0) {
			v.Vetoes = append(v.Vetoes, r.loss(m, 0))
			v.Reasons = append(v.Reasons, Text{Zh: r.Zh, En: r.En})
		}
	}
	for _, r := range s.Deductions {
		p, hit, _ := r.apply(metrics[r.Metric])
		if hit {
			v.Deductions = append(v.Deductions, r.loss(metrics[r.Metric], p))
			v.Deducted += p
		}
	}
	v.Deducted = round2(v.Deducted)
	if s.FailOver > 0 && v.Deducted > s.FailOver {
		v.Reasons = append(v.Reasons, Text{
			Zh: fmt.Sprintf("扣分合计 %g 分，超过 %g 分", v.Deducted, s.FailOver),
			En: fmt.Sprintf("deductions total %g points, over %g", v.Deducted, s.FailOver),
		})
	}
	v.Pass = len(v.Reasons) == 0

	var sc Score
	for _, ind := range s.Indicators {
		is := IndicatorScore{ID: ind.ID, Zh: ind.Zh, En: ind.En, Max: ind.Max}
		lost := 0.0
		for _, r := range ind.Rules {
			m := metrics[r.Metric]
			p, hit, ok := r.apply(m)
			if !ok {
				is.Unknown = append(is.Unknown, r)
				continue
			}
			if hit {
				is.Losses = append(is.Losses, r.loss(m, p))
				lost += p
			}
		}
		is.Score = round2(math.Max(0, ind.Max-lost))
		sc.Indicators = append(sc.Indicators, is)
		sc.Total += is.Score
		sc.Max += ind.Max
	}
	sc.Total = round2(sc.Total)
	return v, sc
}

// VerdictText is 合格 or 不合格 with its English equivalent.
func (v Verdict) VerdictText() Text {
	if v.Pass {
		return Text{Zh: "合格", En: "pass"}
	}
	return Text{Zh: "不合格", En: "fail"}
}

func joinReasons(ts []Text, zh bool) string {
	var parts []string
	for _, t := range ts {
		if zh {
			parts = append(parts, t.Zh)
		} else {
			parts = append(parts, t.En)
		}
	}
	return strings.Join(parts, "；")
}
