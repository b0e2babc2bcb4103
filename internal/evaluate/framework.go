package evaluate

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"zhihui/internal/i18n"

	"gopkg.in/yaml.v3"
)

// Normalisation methods. The normalised value of an indicator is a number
// where higher is always better; every method except [NormZScore] maps into
// [0, 1].
const (
	NormMinMax      = "minmax"      // (x-min)/(max-min) over the units of the year
	NormZScore      = "zscore"      // (x-mean)/sd over the units of the year
	NormGoalpost    = "goalpost"    // (x-lo)/(hi-lo) with lo, hi fixed in the framework, clipped to [0,1]
	NormReference   = "reference"   // x/ref (distance to a reference value or unit), capped at 1 unless cap: false
	NormRank        = "rank"        // fractional rank (r-1)/(n-1), ties averaged
	NormCategorical = "categorical" // thresholds → category scores
	NormTarget      = "target"      // x/target ("percent of target"), capped at 1 unless cap: false
)

// Aggregation methods of a node.
const (
	AggArithmetic = "arithmetic"
	AggGeometric  = "geometric"
	AggCopeland   = "copeland"
)

// Weighting methods of a node (how the weights of its children are set).
const (
	WeightExplicit = "explicit" // weight: on each child; must sum to 1
	WeightEqual    = "equal"
	WeightAHP      = "ahp"     // pairwise comparison matrix, principal eigenvector
	WeightEntropy  = "entropy" // Shannon entropy of the children's normalised values
	WeightPCA      = "pca"     // squared loadings of the principal components (Handbook §6.1)
	WeightBudget   = "budget"  // expert budget allocation: points per child
)

// Missing-data and outlier treatments.
const (
	MissingExclude   = "exclude"    // aggregate over the available children, weights re-normalised
	MissingGroupMean = "group_mean" // impute the mean of the unit's group (else of all units) for the year
	OutlierNone      = "none"
	OutlierWinsorise = "winsorise" // COINr rule; falls back to log if winsorising does not fix it
	OutlierLog       = "log"
)

// Normalisation configures how one indicator is normalised.
type Normalisation struct {
	Method     string    `yaml:"method" json:"method"`
	Min        *float64  `yaml:"min,omitempty" json:"min,omitempty"`             // goalpost low (raw units)
	Max        *float64  `yaml:"max,omitempty" json:"max,omitempty"`             // goalpost high (raw units)
	Reference  *float64  `yaml:"reference,omitempty" json:"reference,omitempty"` // reference / ideal value (raw units)
	RefUnit    string    `yaml:"ref_unit,omitempty" json:"ref_unit,omitempty"`   // or: the value of this unit
	Target     *float64  `yaml:"target,omitempty" json:"target,omitempty"`       // target value (raw units)
	Cap        *bool     `yaml:"cap,omitempty" json:"cap,omitempty"`             // cap reference/target at 1 (default true)
	Thresholds []float64 `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	Scores     []float64 `yaml:"scores,omitempty" json:"scores,omitempty"`
}

// Treatment configures data treatment for the framework (indicators may
// override missing and outliers).
type Treatment struct {
	Missing  string `yaml:"missing" json:"missing"`
	Outliers string `yaml:"outliers" json:"outliers"`
	// WinsorMax is the most points winsorised per indicator and year
	// before falling back to a log transform (COINr's winmax, default 5).
	WinsorMax int `yaml:"winsor_max" json:"winsor_max"`
	// GeoFloor replaces normalised values ≤ 0 in geometric aggregation
	// (default 0.01 on the 0–1 scale). See [AggGeometric].
	GeoFloor float64 `yaml:"geo_floor" json:"geo_floor"`
}

// Indicator is a leaf of the framework tree.
type Indicator struct {
	ID            string         `yaml:"id" json:"id"`
	Parent        string         `yaml:"parent" json:"parent"`
	Name          i18n.Text      `yaml:"name" json:"name"`
	Unit          string         `yaml:"unit,omitempty" json:"unit,omitempty"`
	Direction     string         `yaml:"direction,omitempty" json:"direction,omitempty"` // higher (default) or lower
	Transform     string         `yaml:"transform,omitempty" json:"transform,omitempty"` // "" or log (log10, applied after per-capita)
	Denominator   string         `yaml:"denominator,omitempty" json:"denominator,omitempty"`
	Per           float64        `yaml:"per,omitempty" json:"per,omitempty"` // per-capita multiplier, default 1
	Normalisation *Normalisation `yaml:"normalisation,omitempty" json:"normalisation,omitempty"`
	Weight        *float64       `yaml:"weight,omitempty" json:"weight,omitempty"`
	Missing       string         `yaml:"missing,omitempty" json:"missing,omitempty"`
	Outliers      string         `yaml:"outliers,omitempty" json:"outliers,omitempty"`
	Target        *float64       `yaml:"target,omitempty" json:"target,omitempty"` // raw-value target for reporting
	// Source says where the indicator's values come from when it is not
	// the dataset the index is run on: "monitor:CODE" reads the monitoring
	// element or indicator CODE (see package evalstore).
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// MonitorCode returns the monitoring code of an indicator whose source is
// "monitor:CODE", and "" otherwise.
func (in *Indicator) MonitorCode() string {
	c, _ := strings.CutPrefix(in.Source, "monitor:")
	if c == in.Source {
		return ""
	}
	return c
}

var sourceRe = regexp.MustCompile(`^monitor:[A-Za-z0-9_]{1,64}$`)

// AHPSpec is a pairwise comparison matrix over the children of a node, in
// the given order. Entries may be numbers or fractions written "1/3".
type AHPSpec struct {
	Order  []string  `yaml:"order" json:"order"`
	Matrix [][]Ratio `yaml:"matrix" json:"matrix"`
}

// Ratio is a matrix entry that unmarshals from 3, 0.5 or "1/3".
type Ratio float64

// UnmarshalYAML accepts numbers and "a/b" fractions.
func (r *Ratio) UnmarshalYAML(n *yaml.Node) error {
	v, err := parseRatio(n.Value)
	if err != nil {
		return err
	}
	*r = Ratio(v)
	return nil
}

func parseRatio(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if a, b, ok := strings.Cut(s, "/"); ok {
		x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		if err1 != nil || err2 != nil || y == 0 {
			return 0, fmt.Errorf("bad ratio %q", s)
		}
		return x / y, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("bad ratio %q", s)
	}
	return v, nil
}

// Node is an aggregate (the index or a sub-index) of the framework tree.
type Node struct {
	ID          string             `yaml:"id" json:"id"`
	Parent      string             `yaml:"parent,omitempty" json:"parent,omitempty"`
	Name        i18n.Text          `yaml:"name" json:"name"`
	Weight      *float64           `yaml:"weight,omitempty" json:"weight,omitempty"`
	Aggregation string             `yaml:"aggregation,omitempty" json:"aggregation,omitempty"` // default arithmetic
	Weighting   string             `yaml:"weighting,omitempty" json:"weighting,omitempty"`     // default explicit
	AHP         *AHPSpec           `yaml:"ahp,omitempty" json:"ahp,omitempty"`
	Budget      map[string]float64 `yaml:"budget,omitempty" json:"budget,omitempty"`
	Target      *float64           `yaml:"target,omitempty" json:"target,omitempty"` // score target
}

// Framework is a composite index as data. Load it with [ParseFramework] or
// [Builtin]; the loader validates it and precomputes the tree.
type Framework struct {
	ID            string        `yaml:"id" json:"id"`
	Name          i18n.Text     `yaml:"name" json:"name"`
	Source        string        `yaml:"source,omitempty" json:"source,omitempty"`
	Note          string        `yaml:"note,omitempty" json:"note,omitempty"`
	Scale         float64       `yaml:"scale,omitempty" json:"scale"` // aggregate scores are multiplied by this (default 100)
	Normalisation Normalisation `yaml:"normalisation" json:"normalisation"`
	Treatment     Treatment     `yaml:"treatment" json:"treatment"`
	Nodes         []Node        `yaml:"nodes" json:"nodes"`
	Indicators    []Indicator   `yaml:"indicators" json:"indicators"`

	t tree `yaml:"-"`
}

// tree is the compiled framework: items 0..nInd-1 are indicators (framework
// order), nInd.. are nodes. Children are listed per item; post lists the
// nodes in post-order (children before parents), root last.
type tree struct {
	nInd     int
	ids      []string
	index    map[string]int
	parent   []int
	children [][]int
	post     []int // node items, post-order
	depth    []int
	weights  [][]float64 // static nominal weights per item's children (nil for data-driven)
	agg      []string
	method   []string
	ahpCR    []float64
	ind      []*Indicator
	node     []*Node
}

// ParseFramework reads and validates a framework written in YAML.
func ParseFramework(r io.Reader) (*Framework, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("evaluate: read framework: %w", err)
	}
	return parseFrameworkBytes(b)
}

func parseFrameworkBytes(b []byte) (*Framework, error) {
	var fw Framework
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&fw); err != nil {
		return nil, errf("yaml", "", "框架 YAML 无法解析：%s", "framework YAML cannot be parsed: %s", err.Error())
	}
	if err := fw.compile(); err != nil {
		return nil, err
	}
	return &fw, nil
}

//go:embed frameworks/*.yaml
var builtinFS embed.FS

// BuiltinNames lists the embedded frameworks by id.
func BuiltinNames() []string {
	ents, _ := builtinFS.ReadDir("frameworks")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Builtin loads an embedded framework by id: "idi2017",
// "two-integration-region", "city-informatization".
func Builtin(id string) (*Framework, error) {
	b, err := builtinFS.ReadFile("frameworks/" + id + ".yaml")
	if err != nil {
		return nil, errf("unknown_framework", id, "没有名为 %s 的内置框架", "no built-in framework named %s", id)
	}
	return parseFrameworkBytes(b)
}

func isValid(v string, opts ...string) bool {
	for _, o := range opts {
		if v == o {
			return true
		}
	}
	return false
}

func (fw *Framework) compile() error {
	if fw.ID == "" {
		return errf("missing_id", "framework", "框架缺少 id", "framework has no id")
	}
	if fw.Scale == 0 {
		fw.Scale = 100
	}
	if fw.Scale < 0 || math.IsNaN(fw.Scale) || math.IsInf(fw.Scale, 0) {
		return errf("bad_scale", "scale", "scale 必须为正数", "scale must be positive")
	}
	tr := &fw.Treatment
	if tr.Missing == "" {
		tr.Missing = MissingExclude
	}
	if tr.Outliers == "" {
		tr.Outliers = OutlierNone
	}
	if tr.WinsorMax == 0 {
		tr.WinsorMax = 5
	}
	if tr.GeoFloor == 0 {
		tr.GeoFloor = 0.01
	}
	if !isValid(tr.Missing, MissingExclude, MissingGroupMean) {
		return errf("bad_missing", "treatment.missing", "未知的缺失值处理方法 %q", "unknown missing-data treatment %q", tr.Missing)
	}
	if !isValid(tr.Outliers, OutlierNone, OutlierWinsorise, OutlierLog) {
		return errf("bad_outliers", "treatment.outliers", "未知的异常值处理方法 %q", "unknown outlier treatment %q", tr.Outliers)
	}
	if tr.WinsorMax < 0 || !(tr.GeoFloor > 0) {
		return errf("bad_treatment", "treatment", "winsor_max 不能为负，geo_floor 必须为正", "winsor_max must not be negative and geo_floor must be positive")
	}
	if fw.Normalisation.Method == "" {
		fw.Normalisation.Method = NormMinMax
	}
	if len(fw.Indicators) == 0 {
		return errf("no_indicators", "indicators", "框架没有指标", "framework has no indicators")
	}
	if len(fw.Nodes) == 0 {
		return errf("no_nodes", "nodes", "框架没有节点（至少需要一个总指数）", "framework has no nodes (at least the index itself is needed)")
	}
	t := tree{nInd: len(fw.Indicators), index: map[string]int{}}
	n := len(fw.Indicators) + len(fw.Nodes)
	t.ids = make([]string, n)
	t.parent = make([]int, n)
	t.children = make([][]int, n)
	t.depth = make([]int, n)
	t.weights = make([][]float64, n)
	t.agg = make([]string, n)
	t.method = make([]string, n)
	t.ahpCR = make([]float64, n)
	t.ind = make([]*Indicator, len(fw.Indicators))
	t.node = make([]*Node, n)
	add := func(i int, id, what string) error {
		if strings.TrimSpace(id) == "" {
			return errf("missing_id", fmt.Sprintf("%s #%d", what, i+1), "第 %[1]d 个%[2]s缺少 id", "%[3]s #%[1]d has no id", i+1, map[string]string{"indicator": "指标", "node": "节点"}[what], what)
		}
		if _, dup := t.index[id]; dup {
			return errf("duplicate_id", id, "id %s 重复", "duplicate id %s", id)
		}
		return nil
	}
	for i := range fw.Indicators {
		in := &fw.Indicators[i]
		if err := add(i, in.ID, "indicator"); err != nil {
			return err
		}
		t.index[in.ID] = i
		t.ids[i] = in.ID
		t.ind[i] = in
	}
	for j := range fw.Nodes {
		nd := &fw.Nodes[j]
		if err := add(j, nd.ID, "node"); err != nil {
			return err
		}
		k := t.nInd + j
		t.index[nd.ID] = k
		t.ids[k] = nd.ID
		t.node[k] = nd
	}
	root := -1
	for k := 0; k < n; k++ {
		var p string
		if k < t.nInd {
			p = t.ind[k].Parent
			if p == "" {
				return errf("no_parent", t.ids[k], "指标 %s 没有上级节点", "indicator %s has no parent", t.ids[k])
			}
		} else {
			p = t.node[k].Parent
		}
		if p == "" {
			if root >= 0 {
				return errf("two_roots", t.ids[k], "框架有多个根节点：%s 与 %s", "framework has more than one root: %s and %s", t.ids[root], t.ids[k])
			}
			root = k
			t.parent[k] = -1
			continue
		}
		pi, ok := t.index[p]
		if !ok {
			return errf("unknown_parent", t.ids[k], "%s 的上级 %s 不存在", "parent %[2]s of %[1]s does not exist", t.ids[k], p)
		}
		if pi < t.nInd {
			return errf("parent_is_indicator", t.ids[k], "%s 的上级 %s 是指标，指标不能有下级", "parent %[2]s of %[1]s is an indicator; indicators cannot have children", t.ids[k], p)
		}
		t.parent[k] = pi
		t.children[pi] = append(t.children[pi], k)
	}
	if root < 0 {
		// every item has a parent: there must be a cycle
		return errf("cycle", t.ids[t.nInd], "框架存在循环引用，没有根节点", "framework has a cycle and no root")
	}
	// cycle detection: walk up from every item
	for k := 0; k < n; k++ {
		seen := 0
		for p := t.parent[k]; p >= 0; p = t.parent[p] {
			seen++
			if seen > n {
				return errf("cycle", t.ids[k], "从 %s 向上存在循环引用", "cycle in the parents above %s", t.ids[k])
			}
		}
		t.depth[k] = seen
	}
	// post-order from root; unreachable nodes are cycles (already caught) or orphans
	visited := make([]bool, n)
	var walk func(k int)
	walk = func(k int) {
		visited[k] = true
		for _, c := range t.children[k] {
			walk(c)
		}
		if k >= t.nInd {
			t.post = append(t.post, k)
		}
	}
	walk(root)
	for k := 0; k < n; k++ {
		if !visited[k] {
			return errf("cycle", t.ids[k], "%s 不在以 %s 为根的树中（循环引用）", "%[1]s is not in the tree under %[2]s (cycle)", t.ids[k], t.ids[root])
		}
	}
	for i, in := range t.ind {
		if err := fw.checkIndicator(in); err != nil {
			return err
		}
		_ = i
	}
	for _, k := range t.post {
		if err := fw.checkNode(&t, k); err != nil {
			return err
		}
		if t.agg[k] == AggCopeland && k != root {
			return errf("copeland_not_root", t.ids[k], "Copeland（非补偿）汇总只能用于根节点 %s，不能用于 %s", "Copeland (non-compensatory) aggregation is only allowed at the root %s, not at %s", t.ids[root], t.ids[k])
		}
	}
	fw.t = t
	return nil
}

func (fw *Framework) checkIndicator(in *Indicator) error {
	if in.Direction == "" {
		in.Direction = "higher"
	}
	if !isValid(in.Direction, "higher", "lower") {
		return errf("bad_direction", in.ID, "指标 %s 的方向 %q 无效（应为 higher 或 lower）", "indicator %s: direction %q is not higher or lower", in.ID, in.Direction)
	}
	if !isValid(in.Transform, "", "log") {
		return errf("bad_transform", in.ID, "指标 %s 的变换 %q 无效（应为 log）", "indicator %s: transform %q is not log", in.ID, in.Transform)
	}
	if in.Per == 0 {
		in.Per = 1
	}
	if in.Source != "" && !sourceRe.MatchString(in.Source) {
		return errf("bad_source", in.ID, "指标 %s 的数据来源 %q 无效（应为 monitor:代码）", "indicator %s: source %q is not monitor:CODE", in.ID, in.Source)
	}
	if in.Denominator == in.ID && in.ID != "" {
		return errf("bad_denominator", in.ID, "指标 %s 不能以自身为分母", "indicator %s cannot be its own denominator", in.ID)
	}
	if in.Missing != "" && !isValid(in.Missing, MissingExclude, MissingGroupMean) {
		return errf("bad_missing", in.ID, "指标 %s 的缺失值处理 %q 无效", "indicator %s: unknown missing-data treatment %q", in.ID, in.Missing)
	}
	if in.Outliers != "" && !isValid(in.Outliers, OutlierNone, OutlierWinsorise, OutlierLog) {
		return errf("bad_outliers", in.ID, "指标 %s 的异常值处理 %q 无效", "indicator %s: unknown outlier treatment %q", in.ID, in.Outliers)
	}
	if in.Weight != nil && (!(*in.Weight >= 0) || math.IsInf(*in.Weight, 0)) {
		return errf("bad_weight", in.ID, "指标 %s 的权重必须是非负数", "indicator %s: weight must be a non-negative number", in.ID)
	}
	nm := fw.Normalisation
	if in.Normalisation != nil {
		nm = *in.Normalisation
	}
	if nm.Method == "" {
		nm.Method = fw.Normalisation.Method
	}
	in.Normalisation = &nm
	return checkNorm(in, &nm)
}

func checkNorm(in *Indicator, nm *Normalisation) error {
	id := in.ID
	logT := in.Transform == "log"
	pos := func(p *float64) bool { return p != nil && *p > 0 && !math.IsInf(*p, 0) }
	fin := func(p *float64) bool { return p != nil && !math.IsNaN(*p) && !math.IsInf(*p, 0) }
	switch nm.Method {
	case NormMinMax, NormZScore, NormRank:
	case NormGoalpost:
		if !fin(nm.Min) || !fin(nm.Max) || *nm.Min >= *nm.Max {
			return errf("bad_goalposts", id, "指标 %s 的目标值区间需要 min < max", "indicator %s: goalposts need min < max", id)
		}
		if logT && *nm.Min <= 0 {
			return errf("bad_goalposts", id, "指标 %s 做对数变换，目标值 min 必须为正", "indicator %s is log-transformed: goalpost min must be positive", id)
		}
	case NormReference:
		if nm.RefUnit == "" && !pos(nm.Reference) {
			return errf("bad_reference", id, "指标 %s 需要正的参考值 reference 或参考单位 ref_unit", "indicator %s needs a positive reference value or a ref_unit", id)
		}
		if logT && nm.Reference != nil && *nm.Reference <= 1 {
			return errf("bad_reference", id, "指标 %s 做对数变换，参考值必须大于 1", "indicator %s is log-transformed: the reference value must exceed 1", id)
		}
	case NormTarget:
		if !pos(nm.Target) {
			return errf("bad_target", id, "指标 %s 需要正的目标值 target", "indicator %s needs a positive target", id)
		}
	case NormCategorical:
		if len(nm.Thresholds) == 0 || len(nm.Scores) != len(nm.Thresholds)+1 {
			return errf("bad_categories", id, "指标 %s：分类标度需要 thresholds，且 scores 比 thresholds 多一个", "indicator %s: categorical scale needs thresholds and one more score than thresholds", id)
		}
		for i := 1; i < len(nm.Thresholds); i++ {
			if !(nm.Thresholds[i] > nm.Thresholds[i-1]) {
				return errf("bad_categories", id, "指标 %s：thresholds 必须严格递增", "indicator %s: thresholds must increase strictly", id)
			}
		}
		mx := 0.0
		for _, s := range nm.Scores {
			if !(s >= 0) || math.IsInf(s, 0) {
				return errf("bad_categories", id, "指标 %s：scores 必须是非负数", "indicator %s: scores must be non-negative", id)
			}
			mx = math.Max(mx, s)
		}
		if mx == 0 {
			return errf("bad_categories", id, "指标 %s：scores 不能全为 0", "indicator %s: scores cannot all be zero", id)
		}
	default:
		return errf("bad_normalisation", id, "指标 %s 的标准化方法 %q 未知", "indicator %s: unknown normalisation method %q", id, nm.Method)
	}
	return nil
}

func (fw *Framework) checkNode(t *tree, k int) error {
	nd := t.node[k]
	id := nd.ID
	kids := t.children[k]
	if len(kids) == 0 {
		return errf("empty_node", id, "节点 %s 没有下级", "node %s has no children", id)
	}
	if nd.Aggregation == "" {
		nd.Aggregation = AggArithmetic
	}
	if !isValid(nd.Aggregation, AggArithmetic, AggGeometric, AggCopeland) {
		return errf("bad_aggregation", id, "节点 %s 的汇总方法 %q 未知", "node %s: unknown aggregation %q", id, nd.Aggregation)
	}
	if nd.Weighting == "" {
		nd.Weighting = WeightExplicit
	}
	t.agg[k] = nd.Aggregation
	t.method[k] = nd.Weighting
	if nd.Weight != nil && (!(*nd.Weight >= 0) || math.IsInf(*nd.Weight, 0)) {
		return errf("bad_weight", id, "节点 %s 的权重必须是非负数", "node %s: weight must be a non-negative number", id)
	}
	childWeight := func(c int) *float64 {
		if c < t.nInd {
			return t.ind[c].Weight
		}
		return t.node[c].Weight
	}
	switch nd.Weighting {
	case WeightExplicit:
		w := make([]float64, len(kids))
		sum := 0.0
		for i, c := range kids {
			p := childWeight(c)
			if p == nil {
				return errf("missing_weight", t.ids[c], "节点 %s 使用显式权重，但下级 %s 没有 weight", "node %s uses explicit weights but child %s has no weight", id, t.ids[c])
			}
			w[i] = *p
			sum += *p
		}
		if math.Abs(sum-1) > 1e-3 {
			return errf("weights_sum", id, "节点 %s 的下级权重之和为 %.4g，应为 1", "weights of the children of node %s sum to %.4g, not 1", id, sum)
		}
		for i := range w {
			w[i] /= sum
		}
		t.weights[k] = w
	case WeightEqual:
		w := make([]float64, len(kids))
		for i := range w {
			w[i] = 1 / float64(len(kids))
		}
		t.weights[k] = w
	case WeightAHP:
		if nd.AHP == nil {
			return errf("missing_ahp", id, "节点 %s 使用 AHP，但没有给出判断矩阵 ahp", "node %s uses AHP but gives no ahp matrix", id)
		}
		order, err := childOrder(t, k, nd.AHP.Order, "ahp.order")
		if err != nil {
			return err
		}
		m := make([][]float64, len(nd.AHP.Matrix))
		for i, row := range nd.AHP.Matrix {
			m[i] = make([]float64, len(row))
			for j, v := range row {
				m[i][j] = float64(v)
			}
		}
		if len(m) != len(kids) {
			return errf("ahp_size", id+".ahp", "节点 %s 的判断矩阵为 %d 阶，但有 %d 个下级", "node %s: the AHP matrix has %d rows but the node has %d children", id, len(m), len(kids))
		}
		res, err := AHP(m, id)
		if err != nil {
			return err
		}
		w := make([]float64, len(kids))
		for i, c := range order {
			w[indexOf(kids, c)] = res.Weights[i]
		}
		t.weights[k] = w
		t.ahpCR[k] = res.CR
	case WeightBudget:
		if len(nd.Budget) == 0 {
			return errf("missing_budget", id, "节点 %s 使用预算分配法，但没有 budget", "node %s uses budget allocation but gives no budget", id)
		}
		w := make([]float64, len(kids))
		sum := 0.0
		for name, pts := range nd.Budget {
			c, ok := t.index[name]
			if !ok || t.parent[c] != k {
				return errf("unknown_child", id+".budget", "节点 %s 的预算分配里的 %s 不是它的下级", "node %s: budget entry %s is not one of its children", id, name)
			}
			if !(pts >= 0) || math.IsInf(pts, 0) {
				return errf("bad_budget", id+".budget", "节点 %s 的预算点数必须是非负数", "node %s: budget points must be non-negative", id)
			}
			w[indexOf(kids, c)] = pts
			sum += pts
		}
		if !(sum > 0) {
			return errf("bad_budget", id+".budget", "节点 %s 的预算点数之和为 0", "node %s: budget points sum to zero", id)
		}
		for i := range w {
			w[i] /= sum
		}
		t.weights[k] = w
	case WeightEntropy, WeightPCA:
		if len(kids) < 2 {
			return errf("too_few_children", id, "节点 %s 只有一个下级，无法用数据驱动的权重", "node %s has one child; data-driven weights need at least two", id)
		}
	default:
		return errf("bad_weighting", id, "节点 %s 的赋权方法 %q 未知", "node %s: unknown weighting method %q", id, nd.Weighting)
	}
	return nil
}

func childOrder(t *tree, k int, names []string, where string) ([]int, error) {
	id := t.ids[k]
	if len(names) != len(t.children[k]) {
		return nil, errf("bad_order", id+"."+where, "节点 %s 的 %s 须列出全部 %d 个下级", "node %s: %s must list all %d children", id, where, len(t.children[k]))
	}
	out := make([]int, len(names))
	seen := map[int]bool{}
	for i, nm := range names {
		c, ok := t.index[nm]
		if !ok || t.parent[c] != k {
			return nil, errf("unknown_child", id+"."+where, "节点 %s 的 %s 中的 %s 不是它的下级", "node %s: %s entry %s is not one of its children", id, where, nm)
		}
		if seen[c] {
			return nil, errf("bad_order", id+"."+where, "节点 %s 的 %s 中 %s 重复", "node %s: %s lists %s twice", id, where, nm)
		}
		seen[c] = true
		out[i] = c
	}
	return out, nil
}

func indexOf(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// Root returns the id of the index (the root of the tree).
func (fw *Framework) Root() string { return fw.t.ids[fw.t.post[len(fw.t.post)-1]] }

// IndicatorIDs returns the indicator ids in framework order.
func (fw *Framework) IndicatorIDs() []string {
	return append([]string(nil), fw.t.ids[:fw.t.nInd]...)
}
