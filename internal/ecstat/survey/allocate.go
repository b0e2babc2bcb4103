package survey

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
)

// clampMin is the smallest sample of a stratum of N units: min, or N when
// the stratum is smaller.
func clampMin(N, min int) int {
	if N < min {
		return N
	}
	return min
}

// Proportional allocates n sampled units to strata of sizes N in
// proportion to N_h, each stratum getting at least min units (or all its
// units when it has fewer) and at most N_h. Rounding is by largest
// remainder, so the allocations add up to n (or to ΣN_h when n exceeds
// it, or to the minimums when they exceed n).
func Proportional(N []int, n, min int) []int {
	w := make([]float64, len(N))
	for h, x := range N {
		w[h] = float64(x)
	}
	return allocate(N, w, n, min)
}

// Neyman allocates n sampled units to strata of sizes N and standard
// deviations S in proportion to N_h·S_h, which minimises the variance of
// the estimated total for a given n (Neyman 1934). Bounds and rounding
// are those of [Proportional]; a stratum whose share exceeds N_h is taken
// whole and the rest reallocated among the others.
func Neyman(N []int, S []float64, n, min int) []int {
	w := make([]float64, len(N))
	for h := range N {
		w[h] = float64(N[h]) * S[h]
	}
	return allocate(N, w, n, min)
}

// allocate shares n in proportion to w within the bounds [min, N_h].
func allocate(N []int, w []float64, n, min int) []int {
	k := len(N)
	out := make([]int, k)
	fixed := make([]bool, k)
	total := 0
	for h := range N {
		total += N[h]
	}
	if n >= total {
		copy(out, N)
		return out
	}
	// Iterate: strata whose share falls below the minimum or above N_h are
	// fixed at that bound, and the rest is shared again among the others.
	for {
		left := n
		var sw float64
		for h := range N {
			if fixed[h] {
				left -= out[h]
			} else {
				sw += w[h]
			}
		}
		changed := false
		for h := range N {
			if fixed[h] {
				continue
			}
			share := 0.0
			if sw > 0 {
				share = float64(left) * w[h] / sw
			}
			lo := clampMin(N[h], min)
			switch {
			case share >= float64(N[h]):
				out[h], fixed[h], changed = N[h], true, true
			case share < float64(lo):
				out[h], fixed[h], changed = lo, true, true
			}
		}
		if changed {
			continue
		}
		if left < 0 {
			left = 0
		}
		// Largest remainder among the free strata.
		type rem struct {
			h int
			r float64
		}
		var rs []rem
		given := 0
		for h := range N {
			if fixed[h] {
				continue
			}
			share := 0.0
			if sw > 0 {
				share = float64(left) * w[h] / sw
			}
			out[h] = int(math.Floor(share))
			given += out[h]
			rs = append(rs, rem{h, share - math.Floor(share)})
		}
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].r > rs[j].r })
		for i := 0; given < left && len(rs) > 0; i = (i + 1) % len(rs) {
			if out[rs[i].h] < N[rs[i].h] {
				out[rs[i].h]++
				given++
			}
		}
		return out
	}
}

// Variance is the variance of the expansion estimator of a total under a
// stratified SRS without replacement with n_h units from strata of sizes
// N and standard deviations S: Σ N_h²(1 − n_h/N_h) S_h²/n_h. A stratum
// with no sampled unit and N_h > 0 makes it infinite.
func Variance(N []int, S []float64, n []int) float64 {
	var v float64
	for h := range N {
		if N[h] == 0 || n[h] >= N[h] {
			continue
		}
		if n[h] == 0 {
			return math.Inf(1)
		}
		v += float64(N[h]) * float64(N[h]) * (1 - float64(n[h])/float64(N[h])) * S[h] * S[h] / float64(n[h])
	}
	return v
}

// NeymanForCV returns the smallest Neyman allocation (bounds as in
// [Neyman]) whose predicted coefficient of variation of the estimated
// total, Variance/total², is at most cv. The first guess is the textbook
// n = (Σ N_h S_h)² / (V + Σ N_h S_h²), V = (cv·total)² (Cochran 5.26);
// rounding, minimums and strata taken whole are then corrected by growing
// n until the target is met or the whole frame is taken.
func NeymanForCV(N []int, S []float64, total, cv float64, min int) []int {
	var a, b float64
	all := 0
	for h := range N {
		a += float64(N[h]) * S[h]
		b += float64(N[h]) * S[h] * S[h]
		all += N[h]
	}
	V := cv * cv * total * total
	n := all
	if V+b > 0 {
		n = int(math.Ceil(a * a / (V + b)))
	}
	if n > all {
		n = all
	}
	for {
		alloc := Neyman(N, S, n, min)
		if n >= all || Variance(N, S, alloc) <= V {
			return alloc
		}
		step := n / 100
		if step < 1 {
			step = 1
		}
		n += step
		if n > all {
			n = all
		}
	}
}

// Draw selects n of ids by simple random sampling without replacement,
// reproducibly: the same seed, stratum key and ids (in any order) give
// the same selection. The result is in ascending order.
func Draw(ids []int64, n int, seed uint64, key string) []int64 {
	pool := append([]int64(nil), ids...)
	sort.Slice(pool, func(i, j int) bool { return pool[i] < pool[j] })
	return DrawSorted(pool, n, seed, key)
}

// DrawSorted is [Draw] of ids already in ascending order, without copying
// them: the selection is ids at [DrawRanks]. The result is in ascending
// order (ids itself when n >= len(ids)).
func DrawSorted(ids []int64, n int, seed uint64, key string) []int64 {
	if n >= len(ids) {
		return ids
	}
	out := make([]int64, 0, n)
	for _, r := range DrawRanks(len(ids), n, seed, key) {
		out = append(out, ids[r])
	}
	return out
}

// DrawRanks is the selection of [Draw] as ranks: which n of N units, by
// their position in ascending order of id, the seed and stratum key
// select (all N when n >= N), in ascending order. It works in O(n) time
// and space whatever N: a partial Fisher–Yates shuffle of the positions
// 0..N-1 that keeps only the positions it moved.
func DrawRanks(N, n int, seed uint64, key string) []int {
	if n >= N {
		out := make([]int, N)
		for i := range out {
			out[i] = i
		}
		return out
	}
	if n <= 0 {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	rng := rand.New(rand.NewPCG(seed, h.Sum64()))
	// The pool is the identity but where moved: pos[i] is what position i
	// holds.
	moved := make(map[int]int, 2*n)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, n)
	for i := 0; i < n; i++ {
		j := i + rng.IntN(N-i)
		vi, vj := at(i), at(j)
		moved[j] = vi
		out[i] = vj
	}
	sort.Ints(out)
	return out
}

// StdDev is the sample standard deviation of xs (0 for fewer than two).
func StdDev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	var s, ss float64
	for _, x := range xs {
		s += x
	}
	mean := s / float64(len(xs))
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return math.Sqrt(ss / float64(len(xs)-1))
}
