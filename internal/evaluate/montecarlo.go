package evaluate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
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
	Output     string  `json:"output"`
	OutputMean float64 `json:"output_mean"`
	OutputVar  float64 `json:"output_var"`
	Notes      []Text  `json:"notes,omitempty"`
}

// mcSetup is the precomputed, read-only state shared by the workers.
type mcSetup struct {
	nu, nInd, nItems int
	post             []int // node items in post-order
	off              []int // item → offset into kids/wsets
	cnt              []int // item → number of children
	kids             []int // flat children
	parentOf         []int
	z, logz          [][]float64 // per normalisation choice: unit-major nu×nInd
	hasNaN           [][]bool    // per normalisation choice and unit
	wsets            [][]float64 // per weight set: flat weights aligned with kids
	aggs             []int8      // per aggregation choice: 0 configured, 1 arithmetic, 2 geometric
	nodeAgg          []int8      // configured per item (1 arithmetic / 2 geometric)
	uniform          int8        // configured aggregation if all nodes agree, else 0
	floor            float64
	nominal          []int32
	drop             bool
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
	for _, nm := range opts.Normalisations {
		ov := nm
		if nm == "" {
			ov = base.Normalisation
		}
		p, err := fw.prepare(data, year, ov, nil)
		if err != nil {
			return nil, err
		}
		z := make([]float64, nu*t.nInd)
		lz := make([]float64, nu*t.nInd)
		hn := make([]bool, nu)
		for i := 0; i < t.nInd; i++ {
			col := p.z[i]
			for u := 0; u < nu; u++ {
				v := col[u]
				z[u*t.nInd+i] = v
				lz[u*t.nInd+i] = math.Log(math.Max(v, st.floor))
				if math.IsNaN(v) {
					hn[u] = true
					lz[u*t.nInd+i] = math.NaN()
				}
			}
		}
		st.z = append(st.z, z)
		st.logz = append(st.logz, lz)
		st.hasNaN = append(st.hasNaN, hn)
	}

	// flat tree and weight sets around the nominal weights
	st.off = make([]int, st.nItems)
	st.cnt = make([]int, st.nItems)
	st.nodeAgg = make([]int8, st.nItems)
	for _, k := range t.post {
		st.off[k] = len(st.kids)
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
		res.Notes = append(res.Notes, Text{Zh: "蒙特卡洛中 Copeland 根节点按算术平均计算；名义排名仍为 Copeland", En: "in the Monte Carlo the Copeland root is evaluated as arithmetic; the nominal ranking stays Copeland"})
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
			for {
				s := int(next.Add(1) - 1)
				if s >= S {
					return
				}
				pcg.Seed(opts.Seed, uint64(s))
				lv := [4]int{r.IntN(len(st.wsets)), r.IntN(len(st.z)), r.IntN(len(st.aggs)), r.IntN(nDrop)}
				levels[s] = lv
				Y[s] = wk.sample(lv, ranks[s*nu:(s+1)*nu])
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

type mcWorker struct {
	st    *mcSetup
	live  []bool
	F     []float64 // effective weight of each item in the root
	W     []float64 // effective indicator weights
	val   []float64 // slow-path item values
	score []float64
	keys  []uint64
	keys2 []uint64
	idx   []int32
	idx2  []int32
}

func newMCWorker(st *mcSetup) *mcWorker {
	return &mcWorker{st: st, live: make([]bool, st.nItems), F: make([]float64, st.nItems), W: make([]float64, st.nInd),
		val: make([]float64, st.nItems), score: make([]float64, st.nu),
		keys: make([]uint64, st.nu), keys2: make([]uint64, st.nu), idx: make([]int32, st.nu), idx2: make([]int32, st.nu)}
}

// sample evaluates one sample, writes the ranks and returns the mean
// absolute rank shift. It does not allocate.
func (wk *mcWorker) sample(lv [4]int, rk []int32) float64 {
	st := wk.st
	ws := st.wsets[lv[0]]
	z, lz, hn := st.z[lv[1]], st.logz[lv[1]], st.hasNaN[lv[1]]
	agg := st.aggs[lv[2]]
	drop := lv[3] - 1 // −1: none
	if agg == 0 {
		agg = st.uniform // 0 if the framework mixes aggregations
	}
	// live items and effective weights
	for i := 0; i < st.nInd; i++ {
		wk.live[i] = i != drop
	}
	for _, k := range st.post {
		o := st.off[k]
		wk.live[k] = false
		for j := o; j < o+childCount(st, k); j++ {
			if wk.live[st.kids[j]] {
				wk.live[k] = true
				break
			}
		}
	}
	root := st.post[len(st.post)-1]
	wk.F[root] = 1
	for p := len(st.post) - 1; p >= 0; p-- {
		k := st.post[p]
		o, n := st.off[k], childCount(st, k)
		sum := 0.0
		for j := o; j < o+n; j++ {
			if wk.live[st.kids[j]] {
				sum += ws[j]
			}
		}
		for j := o; j < o+n; j++ {
			c := st.kids[j]
			if wk.live[c] && sum > 0 {
				wk.F[c] = wk.F[k] * ws[j] / sum
			} else {
				wk.F[c] = 0
			}
		}
	}
	copy(wk.W, wk.F[:st.nInd])
	nI := st.nInd
	for u := 0; u < st.nu; u++ {
		if agg != 0 && !hn[u] {
			row := z[u*nI : (u+1)*nI]
			if agg == 2 {
				row = lz[u*nI : (u+1)*nI]
			}
			s := 0.0
			for i, w := range wk.W {
				s += w * row[i]
			}
			wk.score[u] = s
			continue
		}
		wk.score[u] = wk.slow(u, z, lz, ws, agg, drop)
	}
	rankInto(rk, wk.score, wk.keys, wk.keys2, wk.idx, wk.idx2)
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

func childCount(st *mcSetup, k int) int { return st.cnt[k] }

// slow evaluates the tree for one unit, skipping missing children and
// re-weighting. With uniform geometric aggregation it works in the log
// domain on the precomputed log matrix and returns the log of the root
// value, so that it ranks together with the fast path.
func (wk *mcWorker) slow(u int, z, lz, ws []float64, agg int8, drop int) float64 {
	st := wk.st
	nI := st.nInd
	src := z
	if agg == 2 {
		src = lz
	}
	row := src[u*nI : (u+1)*nI]
	for _, k := range st.post {
		o, n := st.off[k], st.cnt[k]
		s, W := 0.0, 0.0
		if agg != 0 {
			// uniform arithmetic, or geometric in the log domain: both are
			// weighted means; indicator values are read from the row directly
			for j := o; j < o+n; j++ {
				c := st.kids[j]
				var v float64
				if c < nI {
					if c == drop {
						continue
					}
					v = row[c]
				} else {
					v = wk.val[c]
				}
				if v == v { // not NaN
					s += ws[j] * v
					W += ws[j]
				}
			}
			if W == 0 {
				wk.val[k] = math.NaN()
			} else {
				wk.val[k] = s / W
			}
			continue
		}
		geo := st.nodeAgg[k] == 2
		for j := o; j < o+n; j++ {
			c := st.kids[j]
			v := wk.val[c]
			if c < nI {
				v = z[u*nI+c]
				if c == drop {
					v = math.NaN()
				}
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

// rankInto ranks scores (1 = highest, ties share the best rank, NaN last)
// with an LSD radix sort on order-preserving keys. No allocation.
func rankInto(rk []int32, score []float64, keys, keys2 []uint64, idx, idx2 []int32) {
	n := len(score)
	for i, f := range score {
		var b uint64
		if math.IsNaN(f) {
			b = math.MaxUint64
		} else {
			b = math.Float64bits(f)
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
	}
	var cnt [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		cnt = [256]int{}
		for _, k := range keys[:n] {
			cnt[(k>>shift)&0xff]++
		}
		if cnt[(keys[0]>>shift)&0xff] == n {
			continue // every key has the same digit
		}
		sum := 0
		for d := 0; d < 256; d++ {
			c := cnt[d]
			cnt[d] = sum
			sum += c
		}
		for i, k := range keys[:n] {
			d := (k >> shift) & 0xff
			keys2[cnt[d]] = k
			idx2[cnt[d]] = idx[i]
			cnt[d]++
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
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
					out[u] = RankInterval{Unit: units[u], Nominal: int(nominal[u]), Mean: sum / float64(S),
						P5: int(nth(col, quantileIndex(S, 0.05))), Median: int(nth(col, quantileIndex(S, 0.5))), P95: int(nth(col, quantileIndex(S, 0.95)))}
				}
			}
		}()
	}
	wg.Wait()
	return out
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
