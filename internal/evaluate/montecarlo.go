package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"zhihui/internal/i18n"
)

// MCOptions configures [MonteCarlo]. Each sample draws, independently and
// uniformly: one of the weight sets, one normalisation, one aggregation and
// (unless NoDrop) either no indicator or one indicator to leave out.
type MCOptions struct {
	Samples int    `json:"samples"` // default 1000
	Seed    uint64 `json:"seed"`    // same seed, same result (independent of Workers)
	Year    int    `json:"year"`    // default: latest year of the dataset
	// WeightRange perturbs every nominal weight by a factor drawn from
	// U(1−r, 1+r) before re-normalising among siblings (default 0.25).
	WeightRange float64 `json:"weight_range"`
	// WeightSets is how many perturbed weight sets are drawn up front
	// (default 32); the weight factor of a sample is the index of its set,
	// which makes the factor discrete for the sensitivity analysis.
	WeightSets int `json:"weight_sets"`
	// Normalisations to choose from; "" is the framework's own. Default
	// ["", "minmax", "rank"].
	Normalisations []string `json:"normalisations"`
	// Aggregations to choose from, applied to every node: "" (as the
	// framework; Copeland nodes count as arithmetic), arithmetic, geometric.
	// Default ["arithmetic", "geometric"].
	Aggregations []string `json:"aggregations"`
	NoDrop       bool     `json:"no_drop"`
	Workers      int      `json:"workers"` // default GOMAXPROCS
}

// RankInterval is a unit's rank in the nominal run and across samples.
type RankInterval struct {
	Unit    string  `json:"unit"`
	Nominal int     `json:"nominal"`
	Median  int     `json:"median"`
	P5      int     `json:"p5"`
	P95     int     `json:"p95"`
	Mean    float64 `json:"mean"`
}

// SobolIndex is the first-order sensitivity index of one uncertain choice.
type SobolIndex struct {
	Factor     string  `json:"factor"` // weights, normalisation, aggregation, dropped_indicator
	Levels     int     `json:"levels"`
	FirstOrder float64 `json:"first_order"`
}

// MCResult is the outcome of [MonteCarlo].
type MCResult struct {
	Framework string         `json:"framework"`
	Year      int            `json:"year"`
	Samples   int            `json:"samples"`
	Intervals []RankInterval `json:"intervals"` // aligned with the dataset's units
	Sobol     []SobolIndex   `json:"sobol"`
	// Output is the scalar whose variance the Sobol indices split: the mean
	// absolute rank shift of all units against the nominal ranking.
	Output     string      `json:"output"`
	OutputMean float64     `json:"output_mean"`
	OutputVar  float64     `json:"output_var"`
	Notes      []i18n.Text `json:"notes,omitempty"`
}

// mcSetup is the precomputed, read-only state shared by the workers.
type mcSetup struct {
	nu, nInd, nItems int
	post             []int // node items in post-order
	off              []int // item → offset into kids/wsets
	cnt              []int // item → number of children
	kids             []int // flat children
	parentOf         []int
	// per normalisation choice: unit-major nu×nInd, missing values as 0
	z, logz [][]float64
	hasNaN  [][]bool // per normalisation choice and unit
	// per normalisation choice, for the units with missing values: the
	// missing indicators (miss[c][missOff[c][u]:missOff[c][u+1]]) and the
	// nodes above them in post-order (aff, affOff alike)
	missOff, miss, affOff, aff [][]int32
	// The matrix columns are the indicators in depth-first order, so that
	// the leaves of every item are the columns lo[k] ≤ col < hi[k]; pos maps
	// an indicator to its column.
	pos, lo, hi []int
	kidIdx      []int       // item → its index into kids (and a weight set)
	wsets       [][]float64 // per weight set: flat weights aligned with kids
	aggs        []int8      // per aggregation choice: 0 configured, 1 arithmetic, 2 geometric
	nodeAgg     []int8      // configured per item (1 arithmetic / 2 geometric)
	uniform     int8        // configured aggregation if all nodes agree, else 0
	floor       float64
	nominal     []int32
	drop        bool
}

// MonteCarlo runs the uncertainty and sensitivity analysis for one year:
// opts.Samples evaluations of the index under randomly chosen weights,
// normalisation, aggregation and dropped indicator, giving each unit's rank
// median and 5–95 % interval, and the first-order Sobol index of each choice
// for the mean absolute rank shift. Work is split over opts.Workers
// goroutines; the normalised matrices are computed once per normalisation
// choice, so a sample is a weighted sum per unit plus a radix sort.
func MonteCarlo(fw *Framework, data *Dataset, base Options, opts MCOptions) (*MCResult, error) {
	if fw == nil || data == nil {
		return nil, errf("nil_input", "", "框架或数据为空", "framework or data is nil")
	}
	if opts.Samples == 0 {
		opts.Samples = 1000
	}
	if opts.Samples < 2 || opts.Samples > 1_000_000 {
		return nil, errf("bad_option", "samples", "样本数须在 2 到 1000000 之间", "samples must be between 2 and 1000000")
	}
	if opts.WeightRange == 0 {
		opts.WeightRange = 0.25
	}
	if !(opts.WeightRange > 0 && opts.WeightRange < 1) {
		return nil, errf("bad_option", "weight_range", "权重扰动幅度须在 0 与 1 之间", "weight_range must be between 0 and 1")
	}
	if opts.WeightSets == 0 {
		opts.WeightSets = 32
	}
	if opts.Normalisations == nil {
		opts.Normalisations = []string{"", NormMinMax, NormRank}
	}
	if opts.Aggregations == nil {
		opts.Aggregations = []string{AggArithmetic, AggGeometric}
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	for _, n := range opts.Normalisations {
		if n != "" && !isValid(n, NormMinMax, NormZScore, NormRank) {
			return nil, errf("bad_option", "normalisations", "蒙特卡洛的标准化备选 %q 无效：只能是 minmax、zscore、rank 或框架自身", "Monte Carlo normalisation %q is not minmax, zscore, rank or the framework's own", n)
		}
	}
	for _, a := range opts.Aggregations {
		if a != "" && !isValid(a, AggArithmetic, AggGeometric) {
			return nil, errf("bad_option", "aggregations", "蒙特卡洛的汇总备选只能是 arithmetic、geometric 或框架自身", "Monte Carlo aggregations can be arithmetic, geometric or the framework's own")
		}
	}
	year := opts.Year
	if year == 0 {
		year = data.Years[len(data.Years)-1]
	}
	if _, ok := data.data[year]; !ok {
		return nil, errf("unknown_year", fmt.Sprint(year), "数据中没有 %d 年", "the data has no year %d", year)
	}
	t := &fw.t
	nu := len(data.Units)
	st := &mcSetup{nu: nu, nInd: t.nInd, nItems: len(t.ids), post: t.post, parentOf: t.parent, floor: fw.Treatment.GeoFloor, drop: !opts.NoDrop}
	res := &MCResult{Framework: fw.ID, Year: year, Samples: opts.Samples, Output: "mean absolute rank shift against the nominal ranking"}

	// nominal run, as configured
	p0, err := fw.prepare(data, year, base.Normalisation, nil)
	if err != nil {
		return nil, err
	}
	yv0, err := fw.aggregate(p0, nu, base.Aggregation, nil)
	if err != nil {
		return nil, err
	}
	root := t.post[len(t.post)-1]
	nomRank := make([]int, nu)
	rankDesc(nomRank, yv0.v[root])
	st.nominal = make([]int32, nu)
	for u, r := range nomRank {
		st.nominal[u] = int32(r)
		if r == 0 {
			st.nominal[u] = int32(nu) // unscored units rank last
		}
	}

	// normalised matrices, unit-major, one per normalisation choice
	postPos := make([]int, len(t.ids))
	for i, k := range t.post {
		postPos[k] = i
	}
	st.pos, st.lo, st.hi = leafColumns(t)
	st.kidIdx = make([]int, len(t.ids))
	// The choices are prepared concurrently (at most opts.Workers at a
	// time); the framework's own normalisation reuses the nominal run's.
	nn := len(opts.Normalisations)
	// the log matrices are needed only if some sample aggregates geometrically
	geo := false
	for _, a := range opts.Aggregations {
		geo = geo || a == AggGeometric || (a == "" && slices.Contains(t.agg, AggGeometric))
	}
	st.z, st.logz, st.hasNaN = make([][]float64, nn), make([][]float64, nn), make([][]bool, nn)
	st.missOff, st.miss, st.affOff, st.aff = make([][]int32, nn), make([][]int32, nn), make([][]int32, nn), make([][]int32, nn)
	errs := make([]error, nn)
	sem := make(chan struct{}, opts.Workers)
	var pw sync.WaitGroup
	for c, nm := range opts.Normalisations {
		ov := nm
		if nm == "" {
			ov = base.Normalisation
		}
		pw.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; pw.Done() }()
			p := p0
			if ov != base.Normalisation {
				var err error
				if p, err = fw.prepare(data, year, ov, nil); err != nil {
					errs[c] = err
					return
				}
			}
			z := make([]float64, nu*t.nInd)
			var lz []float64
			if geo {
				lz = make([]float64, nu*t.nInd)
			}
			hn := make([]bool, nu)
			// transpose in blocks of units so that the writes stay in cache
			const block = 256
			for u0 := 0; u0 < nu; u0 += block {
				u1 := min(u0+block, nu)
				for i := 0; i < t.nInd; i++ {
					col, c := p.z[i][u0:u1], st.pos[i]
					for j, v := range col {
						u := u0 + j
						if math.IsNaN(v) {
							hn[u] = true
							continue // stays 0; the missing lists say it is missing
						}
						z[u*t.nInd+c] = v
						if geo {
							lz[u*t.nInd+c] = math.Log(math.Max(v, st.floor))
						}
					}
				}
			}
			st.z[c], st.logz[c], st.hasNaN[c] = z, lz, hn
			st.missOff[c], st.miss[c], st.affOff[c], st.aff[c] = missingLists(p.z, hn, t, postPos)
		}()
	}
	pw.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	// flat tree and weight sets around the nominal weights
	st.off = make([]int, st.nItems)
	st.cnt = make([]int, st.nItems)
	st.nodeAgg = make([]int8, st.nItems)
	for _, k := range t.post {
		st.off[k] = len(st.kids)
		for j, c := range t.children[k] {
			st.kidIdx[c] = st.off[k] + j
		}
		st.kids = append(st.kids, t.children[k]...)
		st.cnt[k] = len(t.children[k])
		if t.agg[k] == AggGeometric {
			st.nodeAgg[k] = 2
		} else {
			st.nodeAgg[k] = 1
		}
	}
	st.uniform = st.nodeAgg[root]
	for _, k := range t.post {
		if st.nodeAgg[k] != st.uniform {
			st.uniform = 0
		}
	}
	if t.agg[root] == AggCopeland {
		res.Notes = append(res.Notes, i18n.Text{Zh: "蒙特卡洛中 Copeland 根节点按算术平均计算；名义排名仍为 Copeland", En: "in the Monte Carlo the Copeland root is evaluated as arithmetic; the nominal ranking stays Copeland"})
	}
	wr := rand.New(rand.NewPCG(opts.Seed, math.MaxUint64))
	for m := 0; m < opts.WeightSets; m++ {
		ws := make([]float64, len(st.kids))
		for _, k := range t.post {
			o := st.off[k]
			sum := 0.0
			for j := range t.children[k] {
				w := yv0.weights[k][j] * (1 - opts.WeightRange + 2*opts.WeightRange*wr.Float64())
				ws[o+j] = w
				sum += w
			}
			for j := range t.children[k] {
				if sum > 0 {
					ws[o+j] /= sum
				}
			}
		}
		st.wsets = append(st.wsets, ws)
	}
	for _, a := range opts.Aggregations {
		switch a {
		case AggArithmetic:
			st.aggs = append(st.aggs, 1)
		case AggGeometric:
			st.aggs = append(st.aggs, 2)
		default:
			st.aggs = append(st.aggs, 0)
		}
	}

	if mcSetupHook != nil {
		mcSetupHook(st)
	}
	return st.run(res, opts, data.Units, nomRank)
}

// missingLists lists, for every unit with missing values, the missing
// indicators and the nodes above them (in post-order).
func missingLists(z [][]float64, hn []bool, t *tree, postPos []int) (missOff, miss, affOff, aff []int32) {
	nu := len(hn)
	missOff = make([]int32, nu+1)
	affOff = make([]int32, nu+1)
	mark := make([]int, len(t.ids))
	var nodes []int
	for u := 0; u < nu; u++ {
		missOff[u] = int32(len(miss))
		affOff[u] = int32(len(aff))
		if !hn[u] {
			continue
		}
		nodes = nodes[:0]
		for i := 0; i < t.nInd; i++ {
			if !math.IsNaN(z[i][u]) {
				continue
			}
			miss = append(miss, int32(i))
			for k := t.parent[i]; k >= 0 && mark[k] != u+1; k = t.parent[k] {
				mark[k] = u + 1
				nodes = append(nodes, k)
			}
		}
		slices.SortFunc(nodes, func(a, b int) int { return postPos[a] - postPos[b] })
		for _, k := range nodes {
			aff = append(aff, int32(k))
		}
	}
	missOff[nu] = int32(len(miss))
	affOff[nu] = int32(len(aff))
	return
}

// leafColumns orders the indicators depth-first from the root and returns
// each indicator's column and each item's column range.
func leafColumns(t *tree) (pos, lo, hi []int) {
	pos = make([]int, t.nInd)
	lo = make([]int, len(t.ids))
	hi = make([]int, len(t.ids))
	col := 0
	var walk func(k int)
	walk = func(k int) {
		lo[k] = col
		if k < t.nInd {
			pos[k] = col
			col++
		}
		for _, c := range t.children[k] {
			walk(c)
		}
		hi[k] = col
	}
	walk(t.post[len(t.post)-1])
	return
}

// mcSetupHook lets tests inspect the precomputed state.
var mcSetupHook func(*mcSetup)

// run draws the samples and summarises them.
func (st *mcSetup) run(res *MCResult, opts MCOptions, units []string, nomRank []int) (*MCResult, error) {
	nu := st.nu
	S := opts.Samples
	ranks := make([]int32, S*nu)
	Y := make([]float64, S)
	levels := make([][4]int, S)
	nDrop := 1
	if st.drop {
		nDrop = st.nInd + 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newMCWorker(st)
			pcg := rand.NewPCG(0, 0)
			r := rand.New(pcg)
			lvs := make([][4]int, mcBatch)
			rks := make([][]int32, mcBatch)
			for {
				s0 := int(next.Add(mcBatch) - mcBatch)
				if s0 >= S {
					return
				}
				s1 := min(s0+mcBatch, S)
				for s := s0; s < s1; s++ {
					// each sample's choices depend on the seed and its index only
					pcg.Seed(opts.Seed, uint64(s))
					lv := [4]int{r.IntN(len(st.wsets)), r.IntN(len(st.z)), r.IntN(len(st.aggs)), r.IntN(nDrop)}
					levels[s] = lv
					lvs[s-s0] = lv
					rks[s-s0] = ranks[s*nu : (s+1)*nu]
				}
				wk.batch(lvs[:s1-s0], rks[:s1-s0], Y[s0:s1])
			}
		}()
	}
	wg.Wait()

	res.Intervals = intervals(ranks, S, nu, st.nominal, units, opts.Workers)
	for u := range res.Intervals {
		if nomRank[u] == 0 {
			res.Intervals[u].Nominal = 0
		}
	}
	mean, vr := meanVar(Y)
	res.OutputMean, res.OutputVar = mean, vr
	names := []string{"weights", "normalisation", "aggregation", "dropped_indicator"}
	nl := []int{len(st.wsets), len(st.z), len(st.aggs), nDrop}
	for f := 0; f < 4; f++ {
		if nl[f] < 2 {
			continue
		}
		res.Sobol = append(res.Sobol, SobolIndex{Factor: names[f], Levels: nl[f], FirstOrder: firstOrder(Y, levels, f, nl[f])})
	}
	return res, nil
}

// mcBatch is how many samples a worker evaluates together: samples of the
// batch that share a normalised matrix and an aggregation read each unit's
// row once, which cuts the memory traffic of the sweep over the matrix.
const mcBatch = 24

// mcSample is one sample's choices, effective weights and scores.
type mcSample struct {
	lv    [4]int
	ws    []float64 // weight set (aligned with mcSetup.kids)
	agg   int8      // 1 arithmetic, 2 geometric, 0 as configured (mixed)
	drop  int       // dropped indicator, −1 none
	live  []bool    // item has a live indicator below
	F     []float64 // effective weight of each item in the root
	W     []float64 // effective indicator weights, by matrix column
	sum   []float64 // node → sum of the weights of its live children
	nlive []int32   // node → number of live children
	score []float64
}

type mcWorker struct {
	st    *mcSetup
	sm    []mcSample
	group []*mcSample
	val   []float64 // item values of the unit being evaluated (mixed aggregation)
	gone  []bool    // indicator missing for the unit being evaluated
	sub   []float64 // node → Σ prefix sums of its children above a missing value
	add   []float64 // node → Σ weight × value of those children that have a value
	wrem  []float64 // node → weight of its live children without a value
	nrem  []int32   // node → number of those
	keys  []uint64
	keys2 []uint64
	idx   []int32
	idx2  []int32
}

func newMCWorker(st *mcSetup) *mcWorker {
	wk := &mcWorker{st: st, sm: make([]mcSample, mcBatch), group: make([]*mcSample, 0, mcBatch),
		val: make([]float64, st.nItems), gone: make([]bool, st.nInd),
		sub: make([]float64, st.nItems), add: make([]float64, st.nItems), wrem: make([]float64, st.nItems), nrem: make([]int32, st.nItems),
		keys: make([]uint64, st.nu), keys2: make([]uint64, st.nu), idx: make([]int32, st.nu), idx2: make([]int32, st.nu)}
	for i := range wk.sm {
		wk.sm[i] = mcSample{live: make([]bool, st.nItems), F: make([]float64, st.nItems), W: make([]float64, st.nInd),
			sum: make([]float64, st.nItems), nlive: make([]int32, st.nItems), score: make([]float64, st.nu)}
	}
	return wk
}

// sample evaluates one sample, writes the ranks and returns the mean
// absolute rank shift. It does not allocate.
func (wk *mcWorker) sample(lv [4]int, rk []int32) float64 {
	sm := &wk.sm[0]
	wk.prepare(sm, lv)
	wk.group = append(wk.group[:0], sm)
	wk.scoreGroup(wk.group)
	return wk.finish(sm, rk)
}

// batch evaluates len(lvs) ≤ mcBatch samples: samples that share a
// matrix and an aggregation are scored in one sweep over the units.
func (wk *mcWorker) batch(lvs [][4]int, rks [][]int32, ys []float64) {
	n := len(lvs)
	for i := 0; i < n; i++ {
		wk.prepare(&wk.sm[i], lvs[i])
	}
	done := 0
	var used [mcBatch]bool
	for done < n {
		wk.group = wk.group[:0]
		var key [2]int
		for i := 0; i < n; i++ {
			if used[i] {
				continue
			}
			k := [2]int{wk.sm[i].lv[1], int(wk.sm[i].agg)}
			if len(wk.group) == 0 {
				key = k
			}
			if k == key {
				used[i] = true
				wk.group = append(wk.group, &wk.sm[i])
			}
		}
		wk.scoreGroup(wk.group)
		done += len(wk.group)
	}
	for i := 0; i < n; i++ {
		ys[i] = wk.finish(&wk.sm[i], rks[i])
	}
}

// prepare draws nothing: it sets a sample's choices and computes the live
// items and effective weights.
func (wk *mcWorker) prepare(sm *mcSample, lv [4]int) {
	st := wk.st
	sm.lv = lv
	sm.ws = st.wsets[lv[0]]
	sm.agg = st.aggs[lv[2]]
	sm.drop = lv[3] - 1 // −1: none
	if sm.agg == 0 {
		sm.agg = st.uniform // 0 if the framework mixes aggregations
	}
	ws := sm.ws
	for i := 0; i < st.nInd; i++ {
		sm.live[i] = i != sm.drop
	}
	for _, k := range st.post {
		o := st.off[k]
		sm.live[k] = false
		for j := o; j < o+st.cnt[k]; j++ {
			if sm.live[st.kids[j]] {
				sm.live[k] = true
				break
			}
		}
	}
	root := st.post[len(st.post)-1]
	sm.F[root] = 1
	for p := len(st.post) - 1; p >= 0; p-- {
		k := st.post[p]
		o, n := st.off[k], st.cnt[k]
		sum := 0.0
		var nl int32
		for j := o; j < o+n; j++ {
			if sm.live[st.kids[j]] {
				sum += ws[j]
				nl++
			}
		}
		sm.sum[k], sm.nlive[k] = sum, nl
		for j := o; j < o+n; j++ {
			c := st.kids[j]
			if sm.live[c] && sum > 0 {
				sm.F[c] = sm.F[k] * ws[j] / sum
			} else {
				sm.F[c] = 0
			}
		}
	}
	for i := 0; i < st.nInd; i++ {
		sm.W[st.pos[i]] = sm.F[i]
	}
}

// scoreGroup scores every unit for samples that share lv[1] and agg.
func (wk *mcWorker) scoreGroup(g []*mcSample) {
	st := wk.st
	c, agg := g[0].lv[1], g[0].agg
	z, hn := st.z[c], st.hasNaN[c]
	src := z
	if agg == 2 {
		src = st.logz[c]
	}
	missOff, miss := st.missOff[c], st.miss[c]
	affOff, aff := st.affOff[c], st.aff[c]
	nI := st.nInd
	for u := 0; u < st.nu; u++ {
		row := src[u*nI : (u+1)*nI]
		if agg != 0 && !hn[u] {
			for _, sm := range g {
				sm.score[u] = dot(sm.W, row)
			}
			continue
		}
		ms := miss[missOff[u]:missOff[u+1]]
		if agg != 0 {
			as := aff[affOff[u]:affOff[u+1]]
			for _, sm := range g {
				sm.score[u] = wk.incomplete(sm, row, as, ms)
			}
			continue
		}
		for _, i := range ms {
			wk.gone[i] = true
		}
		for _, sm := range g {
			sm.score[u] = wk.slow(sm, u, z)
		}
		for _, i := range ms {
			wk.gone[i] = false
		}
	}
}

// dot returns Σ w_i·x_i (len(x) ≥ len(w)) with four accumulators, which
// lets the additions overlap.
func dot(w, x []float64) float64 {
	x = x[:len(w)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(w); i += 4 {
		s0 += w[i] * x[i]
		s1 += w[i+1] * x[i+1]
		s2 += w[i+2] * x[i+2]
		s3 += w[i+3] * x[i+3]
	}
	for ; i < len(w); i++ {
		s0 += w[i] * x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// finish ranks a sample's scores into rk and returns the mean absolute
// rank shift against the nominal ranking.
func (wk *mcWorker) finish(sm *mcSample, rk []int32) float64 {
	st := wk.st
	rankInto(rk, sm.score, wk.keys, wk.keys2, wk.idx, wk.idx2)
	shift := 0.0
	for u, r := range rk {
		d := r - st.nominal[u]
		if d < 0 {
			d = -d
		}
		shift += float64(d)
	}
	return shift / float64(st.nu)
}

// incomplete evaluates the index of a unit with missing values under
// uniform aggregation (arithmetic, or geometric on the log matrix), where
// every node is the weighted mean of its children that have a value.
//
// A child c of node k without missing values below has the value
// P_c/F_c, P_c = Σ W_i·x_i over its columns, and F_c = F_k·w_c/Σw (Σw over
// k's live children), so w_c·value_c = (Σw/F_k)·P_c: all such children of k
// together contribute (Σw/F_k)·(P_k − Σ P over k's other children), where
// missing values count 0 in P. Only the nodes above a missing value (aff,
// in post-order) are visited, each with one dot product over its columns;
// counts, not weight sums, decide whether a node has a value at all.
func (wk *mcWorker) incomplete(sm *mcSample, row []float64, aff, miss []int32) float64 {
	st := wk.st
	for _, k := range aff {
		wk.sub[k], wk.add[k], wk.wrem[k], wk.nrem[k] = 0, 0, 0, 0
	}
	for _, i := range miss {
		if sm.live[i] {
			p := st.parentOf[i]
			wk.wrem[p] += sm.ws[st.kidIdx[i]]
			wk.nrem[p]++
		}
	}
	root := st.post[len(st.post)-1]
	val, avail := 0.0, false
	for _, k32 := range aff {
		k := int(k32)
		lo, hi := st.lo[k], st.hi[k]
		P := dot(sm.W[lo:hi], row[lo:hi])
		avail = sm.nlive[k] > wk.nrem[k] && sm.F[k] > 0
		if avail {
			val = (sm.sum[k]/sm.F[k]*(P-wk.sub[k]) + wk.add[k]) / (sm.sum[k] - wk.wrem[k])
		}
		if k == root {
			break
		}
		p := st.parentOf[k]
		wk.sub[p] += P
		j := st.kidIdx[k]
		switch {
		case avail:
			wk.add[p] += sm.ws[j] * val
		case sm.live[k]:
			wk.wrem[p] += sm.ws[j]
			wk.nrem[p]++
		}
	}
	if !avail {
		return math.NaN()
	}
	return val
}

// slow evaluates the whole tree for one unit when the framework mixes
// arithmetic and geometric nodes, skipping missing children (wk.gone) and
// re-weighting.
func (wk *mcWorker) slow(sm *mcSample, u int, z []float64) float64 {
	st := wk.st
	nI := st.nInd
	ws := sm.ws
	for _, k := range st.post {
		o, n := st.off[k], st.cnt[k]
		s, W := 0.0, 0.0
		geo := st.nodeAgg[k] == 2
		for j := o; j < o+n; j++ {
			c := st.kids[j]
			v := wk.val[c]
			if c < nI {
				if c == sm.drop || wk.gone[c] {
					continue
				}
				v = z[u*nI+st.pos[c]]
			}
			if math.IsNaN(v) {
				continue
			}
			if geo {
				s += ws[j] * math.Log(math.Max(v, st.floor))
			} else {
				s += ws[j] * v
			}
			W += ws[j]
		}
		switch {
		case W == 0:
			wk.val[k] = math.NaN()
		case geo:
			wk.val[k] = math.Exp(s / W)
		default:
			wk.val[k] = s / W
		}
	}
	return wk.val[st.post[len(st.post)-1]]
}

// Radix sort digits: 11 bits; the three passes sort on the top 33 bits of
// the 64-bit key (sign, exponent and 21 bits of mantissa), all three
// histograms counted in one read of the keys. Keys that agree on those
// bits are then put in order by their full value, which is rarely needed.
const (
	radixBits   = 11
	radixSize   = 1 << radixBits
	radixPasses = 3
	radixLow    = 64 - radixBits*radixPasses // bits below the sorted digits
)

// rankInto ranks scores (1 = highest, ties share the best rank, NaN last)
// with an LSD radix sort on order-preserving keys. No allocation.
func rankInto(rk []int32, score []float64, keys, keys2 []uint64, idx, idx2 []int32) {
	n := len(score)
	if n == 0 {
		return
	}
	var hist [radixPasses][radixSize]int32
	for i, f := range score {
		var b uint64
		if math.IsNaN(f) {
			b = math.MaxUint64
		} else {
			b = math.Float64bits(f + 0) // f + 0: −0 ranks with +0
			if b>>63 == 1 {
				b = ^b
			} else {
				b |= 1 << 63
			}
			b = ^b // descending
			if b == math.MaxUint64 {
				b--
			}
		}
		keys[i] = b
		idx[i] = int32(i)
		for p := 0; p < radixPasses; p++ {
			hist[p][(b>>(radixLow+p*radixBits))&(radixSize-1)]++
		}
	}
	for p := 0; p < radixPasses; p++ {
		shift := uint(radixLow + p*radixBits)
		h := &hist[p]
		if h[(keys[0]>>shift)&(radixSize-1)] == int32(n) {
			continue // every key has the same digit
		}
		var sum int32
		for d := range h {
			c := h[d]
			h[d] = sum
			sum += c
		}
		for i, k := range keys[:n] {
			d := (k >> shift) & (radixSize - 1)
			keys2[h[d]] = k
			idx2[h[d]] = idx[i]
			h[d]++
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	// insertion sort on the full key within runs equal in the top bits
	for r := 1; r < n; r++ {
		k, i := keys[r], idx[r]
		j := r
		for j > 0 && keys[j-1]>>radixLow == k>>radixLow && keys[j-1] > k {
			keys[j], idx[j] = keys[j-1], idx[j-1]
			j--
		}
		keys[j], idx[j] = k, i
	}
	for r := 0; r < n; r++ {
		i := idx[r]
		switch {
		case keys[r] == math.MaxUint64:
			rk[i] = int32(n)
		case r > 0 && keys[r] == keys[r-1]:
			rk[i] = rk[idx[r-1]]
		default:
			rk[i] = int32(r + 1)
		}
	}
}

// intervals computes per-unit rank statistics from the sample-major rank
// matrix, transposing it in blocks of units.
func intervals(ranks []int32, S, nu int, nominal []int32, units []string, workers int) []RankInterval {
	out := make([]RankInterval, nu)
	const block = 64
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]int32, block*S)
			hist := make([]int32, countRange)
			for {
				b0 := int(next.Add(block)) - block
				if b0 >= nu {
					return
				}
				b1 := min(b0+block, nu)
				for s := 0; s < S; s++ {
					row := ranks[s*nu+b0 : s*nu+b1]
					for j, r := range row {
						buf[j*S+s] = r
					}
				}
				for u := b0; u < b1; u++ {
					col := buf[(u-b0)*S : (u-b0+1)*S]
					sum := 0.0
					for _, r := range col {
						sum += float64(r)
					}
					p5, med, p95 := quantiles(col, hist)
					out[u] = RankInterval{Unit: units[u], Nominal: int(nominal[u]), Mean: sum / float64(S), P5: int(p5), Median: int(med), P95: int(p95)}
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// countRange is the widest spread of a unit's ranks that quantiles counts
// instead of selecting.
const countRange = 4096

// quantiles returns the nearest-rank 5 %, 50 % and 95 % quantiles of x.
// A unit's ranks usually lie close together: when their spread is below
// countRange they are counted in hist (len countRange), otherwise selected
// (the tails within the halves left and right of the median). x may be
// reordered.
func quantiles(x, hist []int32) (p5, med, p95 int32) {
	n := len(x)
	k5, km, k95 := quantileIndex(n, 0.05), quantileIndex(n, 0.5), quantileIndex(n, 0.95)
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	if int(hi-lo) < len(hist) {
		h := hist[:hi-lo+1]
		clear(h)
		for _, v := range x {
			h[v-lo]++
		}
		seen := 0
		want := [3]int{k5, km, k95}
		var got [3]int32
		w := 0
		for d, c := range h {
			seen += int(c)
			for w < 3 && seen > want[w] {
				got[w] = lo + int32(d)
				w++
			}
			if w == 3 {
				break
			}
		}
		return got[0], got[1], got[2]
	}
	med = nth(x, km)
	p5, p95 = med, med
	if k5 < km {
		p5 = nth(x[:km], k5)
	}
	if k95 > km {
		p95 = nth(x[km+1:], k95-km-1)
	}
	return p5, med, p95
}

// quantileIndex is the 0-based index of the nearest-rank quantile.
func quantileIndex(n int, q float64) int {
	k := int(math.Ceil(q*float64(n))) - 1
	return max(0, min(k, n-1))
}

// nth returns the k-th smallest element (0-based), reordering x (quickselect).
func nth(x []int32, k int) int32 {
	lo, hi := 0, len(x)-1
	for lo < hi {
		p := x[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for x[i] < p {
				i++
			}
			for x[j] > p {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k]
		}
	}
	return x[k]
}

func meanVar(y []float64) (float64, float64) {
	m := 0.0
	for _, v := range y {
		m += v
	}
	m /= float64(len(y))
	s := 0.0
	for _, v := range y {
		s += (v - m) * (v - m)
	}
	return m, s / float64(len(y))
}

// firstOrder estimates S_i = Var(E[Y|X_i]) / Var(Y) from the given samples
// for a discrete factor with L levels, ANOVA-style with the small-sample
// bias removed: (SSB − (L−1)·MSW) / SST, clipped to [0, 1].
func firstOrder(y []float64, levels [][4]int, f, L int) float64 {
	n := len(y)
	sum := make([]float64, L)
	cnt := make([]float64, L)
	m := 0.0
	for s, v := range y {
		sum[levels[s][f]] += v
		cnt[levels[s][f]]++
		m += v
	}
	m /= float64(n)
	sst, ssb := 0.0, 0.0
	for _, v := range y {
		sst += (v - m) * (v - m)
	}
	if sst == 0 {
		return 0
	}
	used := 0
	for l := 0; l < L; l++ {
		if cnt[l] > 0 {
			used++
			d := sum[l]/cnt[l] - m
			ssb += cnt[l] * d * d
		}
	}
	ssw := sst - ssb
	if n-used <= 0 {
		return clamp01(ssb / sst)
	}
	msw := ssw / float64(n-used)
	return clamp01((ssb - float64(used-1)*msw) / sst)
}
