package evaluate

import (
	"fmt"
	"math"
	"slices"
	"zhihui/internal/i18n"
)

// Options changes a run without editing the framework.
type Options struct {
	// Years to compute; nil means every year of the dataset.
	Years []int `json:"years,omitempty"`
	// Normalisation, if set, replaces every indicator's method by a
	// data-relative one: minmax, zscore or rank.
	Normalisation string `json:"normalisation,omitempty"`
	// Aggregation, if set, replaces every node's aggregation: arithmetic or geometric.
	Aggregation string `json:"aggregation,omitempty"`
	// Drop leaves these indicators out; their parents re-weight the rest.
	Drop []string `json:"drop,omitempty"`
}

// NodeInfo describes one item of the tree (a node or an indicator).
type NodeInfo struct {
	ID          string    `json:"id"`
	Parent      string    `json:"parent,omitempty"`
	Name        i18n.Text `json:"name"`
	Level       int       `json:"level"` // 0 = the index
	Indicator   bool      `json:"indicator"`
	Unit        string    `json:"unit,omitempty"`
	Direction   string    `json:"direction,omitempty"`
	Aggregation string    `json:"aggregation,omitempty"`
	Weighting   string    `json:"weighting,omitempty"`
	AHPCR       float64   `json:"ahp_cr,omitempty"` // consistency ratio when weighting is AHP
	Target      *float64  `json:"target,omitempty"`
}

// TargetStatus compares a unit's score (node) or raw value (indicator) with
// the target of the framework.
type TargetStatus struct {
	ID     string `json:"id"`
	Unit   string `json:"unit"`
	Target Value  `json:"target"`
	Actual Value  `json:"actual"`
	Gap    Value  `json:"gap"` // actual − target, sign flipped for lower-is-better indicators
	Met    bool   `json:"met"`
}

// YearResult holds everything computed for one year. Slices are aligned
// with [Result.Units]. Ranks are 1 = best, ties share the best rank, 0 =
// no score.
type YearResult struct {
	Year          int                           `json:"year"`
	ChangeFrom    int                           `json:"change_from,omitempty"` // previous year used for Change
	Scores        map[string][]Value            `json:"scores"`                // node → score (× scale); Copeland root: wins − losses
	Ranks         map[string][]int              `json:"ranks"`                 // node and indicator ranks
	Change        map[string][]Value            `json:"change,omitempty"`      // node → score − score(ChangeFrom)
	Normalised    map[string][]Value            `json:"normalised"`            // indicator → normalised value (0–1 except z-score)
	Contributions map[string][]Value            `json:"contributions"`         // indicator → points of the index score; null off arithmetic paths
	Weights       map[string]map[string]float64 `json:"weights"`               // node → child → weight used
	Targets       []TargetStatus                `json:"targets,omitempty"`
	Outliers      []OutlierReport               `json:"outliers,omitempty"`
}

// Result is the outcome of [Run]. It is plain data, ready to be served as JSON.
type Result struct {
	Framework   string            `json:"framework"`
	Name        i18n.Text         `json:"name"`
	Scale       float64           `json:"scale"`
	Root        string            `json:"root"`
	Units       []string          `json:"units"`
	Groups      map[string]string `json:"groups,omitempty"`
	Nodes       []NodeInfo        `json:"nodes"` // pre-order, root first
	Years       []YearResult      `json:"years"`
	Imputations []Imputation      `json:"imputations,omitempty"`
	Notes       []i18n.Text       `json:"notes,omitempty"`
}

// prepared is the normalised indicator matrix of one year.
type prepared struct {
	year     int
	z        [][]float64 // indicator → unit
	raw      [][]float64 // indicator → unit, after per-capita (before log/treatment), for targets
	imputed  []Imputation
	outliers []OutlierReport
	notes    []i18n.Text
}

func (fw *Framework) prepare(data *Dataset, year int, normOverride string, dropped []bool) (*prepared, error) {
	t := &fw.t
	nu := len(data.Units)
	p := &prepared{year: year, z: make([][]float64, t.nInd), raw: make([][]float64, t.nInd)}
	den := make([]float64, nu)
	for i := 0; i < t.nInd; i++ {
		in := t.ind[i]
		if dropped != nil && dropped[i] {
			continue
		}
		x := make([]float64, nu)
		if !data.HasSeries(in.ID) {
			return nil, errf("unknown_indicator", in.ID, "数据中没有指标 %s", "the data has no indicator %s", in.ID)
		}
		data.column(year, in.ID, x)
		if in.Denominator != "" {
			if !data.HasSeries(in.Denominator) {
				return nil, errf("unknown_denominator", in.ID, "指标 %s 的分母 %s 不在数据中", "denominator %[2]s of indicator %[1]s is not in the data", in.ID, in.Denominator)
			}
			data.column(year, in.Denominator, den)
			for u := range x {
				if den[u] == 0 || math.IsNaN(den[u]) {
					x[u] = math.NaN()
				} else {
					x[u] = x[u] / den[u] * in.Per
				}
			}
		}
		n := 0
		for _, v := range x {
			if !math.IsNaN(v) {
				n++
			}
		}
		if n == 0 {
			return nil, errf("all_missing", in.ID, "指标 %s 在 %d 年全部缺失", "indicator %s has no values in %d", in.ID, year)
		}
		p.raw[i] = append([]float64(nil), x...)
		if in.Transform == "log" {
			bad := 0
			for u, v := range x {
				if !math.IsNaN(v) {
					if v <= 0 {
						x[u] = math.NaN()
						bad++
					} else {
						x[u] = math.Log10(v)
					}
				}
			}
			if bad > 0 {
				p.notes = append(p.notes, i18n.Text{
					Zh: fmt.Sprintf("%d 年指标 %s 有 %d 个非正值，无法取对数，按缺失处理", year, in.ID, bad),
					En: fmt.Sprintf("%d: indicator %s has %d non-positive values that cannot be logged; treated as missing", year, in.ID, bad),
				})
			}
		}
		missing := in.Missing
		if missing == "" {
			missing = fw.Treatment.Missing
		}
		if missing == MissingGroupMean {
			p.imputed = append(p.imputed, imputeGroupMean(x, data.Units, data.Groups, year, in.ID)...)
		}
		nm := in.Normalisation
		if normOverride != "" {
			nm = &Normalisation{Method: normOverride}
		}
		out := in.Outliers
		if out == "" {
			out = fw.Treatment.Outliers
		}
		rep := treatOutliers(x, out, fw.Treatment.WinsorMax, !fixedScale(nm.Method), data.Units)
		if out != OutlierNone {
			rep.Indicator, rep.Year = in.ID, year
			p.outliers = append(p.outliers, rep)
		}
		refVal := math.NaN()
		if nm.RefUnit != "" {
			u, ok := data.unitIdx[nm.RefUnit]
			if !ok {
				return nil, errf("unknown_ref_unit", in.ID, "指标 %s 的参考单位 %s 不在数据中", "reference unit %[2]s of indicator %[1]s is not in the data", in.ID, nm.RefUnit)
			}
			refVal = x[u]
		}
		z := make([]float64, nu)
		normalise(z, x, nm, in.Direction == "lower", in.Transform == "log", refVal)
		p.z[i] = z
	}
	return p, nil
}

// yearValues is the outcome of aggregating one year: values of every item
// (unscaled, 0–1 for nodes) and the weights used per node.
type yearValues struct {
	v       [][]float64
	weights [][]float64 // node item → weights of its children (nominal, before missing re-weighting)
}

func (fw *Framework) aggregate(p *prepared, nu int, aggOverride string, dropped []bool) (*yearValues, error) {
	t := &fw.t
	n := len(t.ids)
	yv := &yearValues{v: make([][]float64, n), weights: make([][]float64, n)}
	for i := 0; i < t.nInd; i++ {
		yv.v[i] = p.z[i]
	}
	isDropped := make([]bool, n)
	if dropped != nil {
		copy(isDropped, dropped)
	}
	floor := fw.Treatment.GeoFloor
	for _, k := range t.post {
		kids := t.children[k]
		var live []int
		for _, c := range kids {
			if !isDropped[c] {
				live = append(live, c)
			}
		}
		if len(live) == 0 {
			isDropped[k] = true
			continue
		}
		w := make([]float64, len(kids))
		switch t.method[k] {
		case WeightEntropy, WeightPCA:
			cols := make([][]float64, nu)
			names := make([]string, len(live))
			for u := 0; u < nu; u++ {
				row := make([]float64, len(live))
				for j, c := range live {
					row[j] = yv.v[c][u]
				}
				cols[u] = row
			}
			for j, c := range live {
				names[j] = t.ids[c]
			}
			var lw []float64
			if t.method[k] == WeightEntropy {
				lw = EntropyWeights(cols)
			} else {
				var err error
				lw, err = PCAWeights(cols, t.ids[k], names)
				if err != nil {
					return nil, err
				}
			}
			for j, c := range live {
				w[indexOf(kids, c)] = lw[j]
			}
		default:
			copy(w, t.weights[k])
		}
		yv.weights[k] = w
		agg := t.agg[k]
		if aggOverride != "" && agg != AggCopeland {
			agg = aggOverride
		}
		out := make([]float64, nu)
		yv.v[k] = out
		if agg == AggCopeland {
			if err := copeland(out, yv.v, kids, w, isDropped, t.ids[k]); err != nil {
				return nil, err
			}
			continue
		}
		for u := 0; u < nu; u++ {
			s, W := 0.0, 0.0
			for j, c := range kids {
				if isDropped[c] || w[j] == 0 {
					continue
				}
				v := yv.v[c][u]
				if math.IsNaN(v) {
					continue
				}
				if agg == AggGeometric {
					s += w[j] * math.Log(math.Max(v, floor))
				} else {
					s += w[j] * v
				}
				W += w[j]
			}
			switch {
			case W == 0:
				out[u] = math.NaN()
			case agg == AggGeometric:
				out[u] = math.Exp(s / W)
			default:
				out[u] = s / W
			}
		}
	}
	return yv, nil
}

// maxCopelandUnits bounds the O(n²) outranking computation.
const maxCopelandUnits = 5000

// copeland scores each unit by wins − losses in pairwise weighted majority
// contests (Handbook §6.2, non-compensatory): unit a beats b when the
// weights of the children where a is strictly better exceed those where b
// is; children missing for either unit are skipped for that pair.
func copeland(out []float64, v [][]float64, kids []int, w []float64, dropped []bool, id string) error {
	nu := len(out)
	if nu > maxCopelandUnits {
		return errf("copeland_too_many", id, "Copeland 汇总最多支持 %d 个单位，当前 %d 个", "Copeland aggregation supports at most %d units, got %d", maxCopelandUnits, nu)
	}
	has := make([]bool, nu)
	for u := 0; u < nu; u++ {
		for _, c := range kids {
			if !dropped[c] && !math.IsNaN(v[c][u]) {
				has[u] = true
			}
		}
		out[u] = 0
	}
	for a := 0; a < nu; a++ {
		if !has[a] {
			out[a] = math.NaN()
			continue
		}
		for b := a + 1; b < nu; b++ {
			if !has[b] {
				continue
			}
			wa, wb := 0.0, 0.0
			for j, c := range kids {
				if dropped[c] {
					continue
				}
				x, y := v[c][a], v[c][b]
				if math.IsNaN(x) || math.IsNaN(y) {
					continue
				}
				if x > y {
					wa += w[j]
				} else if y > x {
					wb += w[j]
				}
			}
			if wa > wb {
				out[a]++
				out[b]--
			} else if wb > wa {
				out[b]++
				out[a]--
			}
		}
	}
	return nil
}

// rankDesc writes competition ranks (1 = highest; ties share the best rank;
// NaN → 0) of x into dst.
func rankDesc(dst []int, x []float64) {
	idx := make([]int, 0, len(x))
	for i, v := range x {
		dst[i] = 0
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case x[a] > x[b]:
			return -1
		case x[a] < x[b]:
			return 1
		}
		return a - b
	})
	for r, i := range idx {
		if r > 0 && x[idx[r-1]] == x[i] {
			dst[i] = dst[idx[r-1]]
		} else {
			dst[i] = r + 1
		}
	}
}

func (fw *Framework) checkOptions(opts Options) ([]bool, error) {
	if opts.Normalisation != "" && !isValid(opts.Normalisation, NormMinMax, NormZScore, NormRank) {
		return nil, errf("bad_option", "normalisation", "只能统一替换为 minmax、zscore 或 rank，而不是 %q", "normalisation can only be replaced by minmax, zscore or rank, not %q", opts.Normalisation)
	}
	if opts.Aggregation != "" && !isValid(opts.Aggregation, AggArithmetic, AggGeometric) {
		return nil, errf("bad_option", "aggregation", "只能统一替换为 arithmetic 或 geometric，而不是 %q", "aggregation can only be replaced by arithmetic or geometric, not %q", opts.Aggregation)
	}
	if len(opts.Drop) == 0 {
		return nil, nil
	}
	d := make([]bool, len(fw.t.ids))
	for _, id := range opts.Drop {
		i, ok := fw.t.index[id]
		if !ok || i >= fw.t.nInd {
			return nil, errf("unknown_indicator", id, "要剔除的指标 %s 不在框架中", "indicator %s to drop is not in the framework", id)
		}
		d[i] = true
	}
	return d, nil
}

// Run computes the index for every year (or opts.Years) of the dataset:
// treatment, normalisation, weighting, aggregation, scores and ranks at
// every level, contributions, year-on-year change and targets.
func Run(fw *Framework, data *Dataset, opts Options) (*Result, error) {
	if fw == nil || data == nil {
		return nil, errf("nil_input", "", "框架或数据为空", "framework or data is nil")
	}
	dropped, err := fw.checkOptions(opts)
	if err != nil {
		return nil, err
	}
	t := &fw.t
	years := opts.Years
	if len(years) == 0 {
		years = data.Years
	}
	years = slices.Clone(years)
	slices.Sort(years)
	nu := len(data.Units)
	if nu == 0 {
		return nil, errf("no_units", "", "数据中没有单位", "the data has no units")
	}
	res := &Result{Framework: fw.ID, Name: fw.Name, Scale: fw.Scale, Root: fw.Root(), Units: data.Units, Groups: data.Groups}
	res.Nodes = fw.nodeInfos()
	root := t.post[len(t.post)-1]
	var prev *YearResult
	for _, y := range years {
		if _, ok := data.data[y]; !ok {
			return nil, errf("unknown_year", fmt.Sprint(y), "数据中没有 %d 年", "the data has no year %d", y)
		}
		p, err := fw.prepare(data, y, opts.Normalisation, dropped)
		if err != nil {
			return nil, err
		}
		yv, err := fw.aggregate(p, nu, opts.Aggregation, dropped)
		if err != nil {
			return nil, err
		}
		res.Imputations = append(res.Imputations, p.imputed...)
		res.Notes = append(res.Notes, p.notes...)
		yr := YearResult{Year: y, Scores: map[string][]Value{}, Ranks: map[string][]int{},
			Normalised: map[string][]Value{}, Contributions: map[string][]Value{}, Weights: map[string]map[string]float64{},
			Outliers: p.outliers}
		for k, id := range t.ids {
			x := yv.v[k]
			if x == nil {
				continue
			}
			r := make([]int, nu)
			rankDesc(r, x)
			yr.Ranks[id] = r
			if k < t.nInd {
				yr.Normalised[id] = values(x)
				continue
			}
			s := make([]Value, nu)
			for u, v := range x {
				if t.agg[k] == AggCopeland {
					s[u] = Value(v)
				} else {
					s[u] = Value(v * fw.Scale)
				}
			}
			yr.Scores[id] = s
			wm := map[string]float64{}
			for j, c := range t.children[k] {
				wm[t.ids[c]] = yv.weights[k][j]
			}
			yr.Weights[id] = wm
		}
		if t.agg[root] != AggCopeland {
			fw.contributions(&yr, yv, nu, opts.Aggregation)
		}
		fw.targets(&yr, p, data.Units)
		if prev != nil {
			yr.ChangeFrom = prev.Year
			yr.Change = map[string][]Value{}
			for id, s := range yr.Scores {
				ps, ok := prev.Scores[id]
				if !ok {
					continue
				}
				c := make([]Value, nu)
				for u := range s {
					c[u] = s[u] - ps[u]
				}
				yr.Change[id] = c
			}
		}
		res.Years = append(res.Years, yr)
		prev = &res.Years[len(res.Years)-1]
	}
	return res, nil
}

// contributions: points of the index score owed to each indicator, for
// units whose path to the root is arithmetic: scale × z × Π ŵ, where ŵ are
// the weights re-normalised over the children the unit has.
func (fw *Framework) contributions(yr *YearResult, yv *yearValues, nu int, aggOverride string) {
	t := &fw.t
	factor := make([][]float64, len(t.ids))
	root := t.post[len(t.post)-1]
	one := make([]float64, nu)
	for u := range one {
		one[u] = 1
	}
	factor[root] = one
	for i := len(t.post) - 1; i >= 0; i-- {
		k := t.post[i]
		f := factor[k]
		if f == nil || yv.v[k] == nil {
			continue
		}
		agg := t.agg[k]
		if aggOverride != "" {
			agg = aggOverride
		}
		if agg != AggArithmetic {
			continue // below a geometric node contributions are not additive
		}
		w := yv.weights[k]
		kids := t.children[k]
		for j, c := range kids {
			fc := make([]float64, nu)
			for u := 0; u < nu; u++ {
				if yv.v[c] == nil || math.IsNaN(yv.v[c][u]) || math.IsNaN(f[u]) {
					fc[u] = math.NaN()
					continue
				}
				W := 0.0
				for jj, cc := range kids {
					if yv.v[cc] != nil && !math.IsNaN(yv.v[cc][u]) {
						W += w[jj]
					}
				}
				fc[u] = f[u] * w[j] / W
			}
			factor[c] = fc
		}
	}
	for i := 0; i < t.nInd; i++ {
		if yv.v[i] == nil {
			continue
		}
		c := make([]Value, nu)
		for u := 0; u < nu; u++ {
			if factor[i] == nil {
				c[u] = Value(math.NaN())
			} else {
				c[u] = Value(factor[i][u] * yv.v[i][u] * fw.Scale)
			}
		}
		yr.Contributions[t.ids[i]] = c
	}
}

func (fw *Framework) targets(yr *YearResult, p *prepared, units []string) {
	t := &fw.t
	for k, id := range t.ids {
		var tg *float64
		var actual []float64
		lower := false
		if k < t.nInd {
			tg = t.ind[k].Target
			actual = p.raw[k]
			lower = t.ind[k].Direction == "lower"
		} else {
			tg = t.node[k].Target
			if s, ok := yr.Scores[id]; ok {
				actual = make([]float64, len(s))
				for u := range s {
					actual[u] = float64(s[u])
				}
			}
		}
		if tg == nil || actual == nil {
			continue
		}
		for u, a := range actual {
			gap := a - *tg
			if lower {
				gap = -gap
			}
			yr.Targets = append(yr.Targets, TargetStatus{ID: id, Unit: units[u], Target: Value(*tg), Actual: Value(a), Gap: Value(gap), Met: !math.IsNaN(gap) && gap >= 0})
		}
	}
}

func (fw *Framework) nodeInfos() []NodeInfo {
	t := &fw.t
	var out []NodeInfo
	var walk func(k int)
	walk = func(k int) {
		ni := NodeInfo{ID: t.ids[k], Level: t.depth[k], Indicator: k < t.nInd}
		if t.parent[k] >= 0 {
			ni.Parent = t.ids[t.parent[k]]
		}
		if k < t.nInd {
			in := t.ind[k]
			ni.Name, ni.Unit, ni.Direction, ni.Target = in.Name, in.Unit, in.Direction, in.Target
		} else {
			nd := t.node[k]
			ni.Name, ni.Aggregation, ni.Weighting, ni.AHPCR, ni.Target = nd.Name, nd.Aggregation, nd.Weighting, t.ahpCR[k], nd.Target
		}
		out = append(out, ni)
		for _, c := range t.children[k] {
			walk(c)
		}
	}
	walk(t.post[len(t.post)-1])
	return out
}

// UnitScore is one line of [Result.Unit]: a node or indicator of the tree
// for one unit and year.
type UnitScore struct {
	ID           string `json:"id"`
	Level        int    `json:"level"`
	Indicator    bool   `json:"indicator"`
	Score        Value  `json:"score"` // node score, or normalised value for an indicator
	Rank         int    `json:"rank"`
	Change       Value  `json:"change"`
	Contribution Value  `json:"contribution"` // indicators only
}

// Unit returns the scores of one unit in one year at every level of the
// tree, in pre-order.
func (r *Result) Unit(unit string, year int) ([]UnitScore, error) {
	u := slices.Index(r.Units, unit)
	if u < 0 {
		return nil, errf("unknown_unit", unit, "结果中没有单位 %s", "no unit %s in the result", unit)
	}
	var yr *YearResult
	for i := range r.Years {
		if r.Years[i].Year == year {
			yr = &r.Years[i]
		}
	}
	if yr == nil {
		return nil, errf("unknown_year", fmt.Sprint(year), "结果中没有 %d 年", "no year %d in the result", year)
	}
	nan := Value(math.NaN())
	var out []UnitScore
	for _, n := range r.Nodes {
		us := UnitScore{ID: n.ID, Level: n.Level, Indicator: n.Indicator, Score: nan, Change: nan, Contribution: nan}
		if n.Indicator {
			if z, ok := yr.Normalised[n.ID]; ok {
				us.Score = z[u]
			}
			if c, ok := yr.Contributions[n.ID]; ok {
				us.Contribution = c[u]
			}
		} else if s, ok := yr.Scores[n.ID]; ok {
			us.Score = s[u]
			if c, ok := yr.Change[n.ID]; ok {
				us.Change = c[u]
			}
		}
		if rk, ok := yr.Ranks[n.ID]; ok {
			us.Rank = rk[u]
		}
		out = append(out, us)
	}
	return out, nil
}
