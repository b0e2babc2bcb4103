package project

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"zhihui/internal/store"
)

// Doc is a text reduced to its shingle set (see [Shingles]).
type Doc struct {
	ID  int64
	Set []uint64
}

// Pair is two documents whose similarity is at least a threshold.
type Pair struct {
	A, B  int64
	Score float64
	// NearCopy marks a pair of near copies by SimHash (SimilarPairs
	// reports them whatever their score).
	NearCopy bool
}

// AllPairs returns every pair of docs whose Jaccard similarity is at least
// t (0 < t ≤ 1), ordered by score, best first. It is the all-pairs
// similarity join with a prefix filter: each set is ordered rarest
// shingle first, and two sets with Jaccard ≥ t must share one of the
// first |x| − ⌈t·|x|⌉ + 1 shingles of each, so only those are indexed
// and probed; sets too different in size are skipped; a candidate is
// then scored exactly, unless the positions of the shared shingles in
// both orders show the pair cannot reach t (PPJoin's positional filter).
// It finds the same pairs as comparing every pair
// ([AllPairsBrute]) in far fewer comparisons.
func AllPairs(docs []Doc, t float64) []Pair {
	if t <= 0 || t > 1 {
		return AllPairsBrute(docs, t)
	}
	freq := map[uint64]int32{}
	for _, d := range docs {
		for _, s := range d.Set {
			freq[s]++
		}
	}
	type entry struct {
		idx   int
		order []uint64 // the set, rarest first
	}
	es := make([]entry, 0, len(docs))
	for i, d := range docs {
		if len(d.Set) == 0 {
			continue
		}
		o := slices.Clone(d.Set)
		sort.Slice(o, func(a, b int) bool {
			if freq[o[a]] != freq[o[b]] {
				return freq[o[a]] < freq[o[b]]
			}
			return o[a] < o[b]
		})
		es = append(es, entry{i, o})
	}
	sort.SliceStable(es, func(a, b int) bool { return len(es[a].order) < len(es[b].order) })
	// index: shingle → (position in es, position of the shingle in its order)
	type posting struct{ doc, pos int32 }
	index := map[uint64][]posting{}
	stamp := make([]int32, len(es))
	count := make([]int32, len(es)) // shared prefix shingles found; -1 pruned
	for i := range stamp {
		stamp[i] = -1
	}
	var out []Pair
	var cands []int32
	for xi, x := range es {
		n := len(x.order)
		prefix := n - ceilInt(t*float64(n)) + 1
		minLen := ceilInt(t * float64(n))
		cands = cands[:0]
		for i, s := range x.order[:prefix] {
			for _, py := range index[s] {
				yi := py.doc
				ny := len(es[yi].order)
				if ny < minLen {
					continue
				}
				if stamp[yi] != int32(xi) {
					stamp[yi], count[yi] = int32(xi), 0
					cands = append(cands, yi)
				}
				if count[yi] < 0 {
					continue
				}
				// Positional filter: the overlap can grow at most by what
				// is left after these positions in both orders.
				need := int32(ceilInt(t / (1 + t) * float64(n+ny)))
				if count[yi]+1+int32(min(n-i-1, ny-int(py.pos)-1)) >= need {
					count[yi]++
				} else {
					count[yi] = -1
				}
			}
		}
		for _, yi := range cands {
			if count[yi] <= 0 {
				continue
			}
			a, b := docs[x.idx], docs[es[yi].idx]
			if j := Jaccard(a.Set, b.Set); j >= t {
				out = append(out, ordered(a.ID, b.ID, j))
			}
		}
		for i, s := range x.order[:prefix] {
			index[s] = append(index[s], posting{int32(xi), int32(i)})
		}
	}
	sortPairs(out)
	return out
}

// AllPairsBrute compares every pair of docs: the plain baseline of [AllPairs].
func AllPairsBrute(docs []Doc, t float64) []Pair {
	var out []Pair
	for i := range docs {
		for j := i + 1; j < len(docs); j++ {
			if s := Jaccard(docs[i].Set, docs[j].Set); s >= t && s > 0 {
				out = append(out, ordered(docs[i].ID, docs[j].ID, s))
			}
		}
	}
	sortPairs(out)
	return out
}

func ordered(a, b int64, s float64) Pair {
	if a > b {
		a, b = b, a
	}
	return Pair{A: a, B: b, Score: s}
}

func sortPairs(ps []Pair) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Score != ps[j].Score {
			return ps[i].Score > ps[j].Score
		}
		if ps[i].A != ps[j].A {
			return ps[i].A < ps[j].A
		}
		return ps[i].B < ps[j].B
	})
}

// Names returns the numbers and names of projects ids, by id.
func (s *Service) Names(ctx context.Context, ids []int64) (map[int64]*Project, error) {
	out := map[int64]*Project{}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var a store.Args
		rows, err := s.DB.R.QueryContext(ctx, `SELECT id, number, name, owner_name FROM project_project WHERE id IN (`+store.In(&a, ids[:n])+`)`, a...)
		if err != nil {
			return nil, fmt.Errorf("project: names: %w", err)
		}
		for rows.Next() {
			var p Project
			if err := rows.Scan(&p.ID, &p.Number, &p.Name, &p.OwnerName); err != nil {
				rows.Close()
				return nil, fmt.Errorf("project: names: %w", err)
			}
			out[p.ID] = &p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// ceilInt is ⌈v⌉ forgiving the rounding of a product that should be a
// whole number (0.2/1.2·30 is 5.000000000000001 in floating point), so
// that a bound never rules out a pair exactly at the threshold.
func ceilInt(v float64) int { return int(math.Ceil(v - 1e-9)) }
