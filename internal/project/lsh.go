package project

import (
	"runtime"
	"slices"
	"sync"
)

// Signed is a text reduced to its signature (see [Sign]).
type Signed struct {
	ID  int64
	Sig Signature
}

// SimilarPairs returns every pair of docs that shares an LSH bucket and
// whose estimated Jaccard index is at least t, or whose SimHashes make
// them near copies, best first. A pair with Jaccard J shares a band with
// probability 1 − (1 − J^Rows)^Bands, so a few pairs near t may be
// missed; none is reported below t unless it is a near copy. Buckets
// holding more than MaxBucket(len(docs)) documents are passed over: they
// gather texts by what nearly all of them share (the boilerplate every
// proposal repeats), while two similar texts share many small buckets.
// It reads only the signatures, never the texts, and works the documents
// on every core.
func SimilarPairs(docs []Signed, t float64) []Pair {
	if len(docs) < 2 {
		return nil
	}
	type entry struct {
		key int64
		doc int32
	}
	per := Bands + 4
	es := make([]entry, 0, len(docs)*per)
	for i := range docs {
		for _, k := range docs[i].Sig.Buckets() {
			es = append(es, entry{k, int32(i)})
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return int(a.doc - b.doc)
	})
	// groups[g] is the run es[start[g]:start[g+1]] of one key; of a doc,
	// the groups it is in (only groups of two or more).
	var start []int32
	of := make([][]int32, len(docs))
	maxBucket := MaxBucket(len(docs))
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].key == es[i].key {
			j++
		}
		if j-i > 1 && j-i <= maxBucket {
			g := int32(len(start))
			start = append(start, int32(i))
			for _, e := range es[i:j] {
				of[e.doc] = append(of[e.doc], g)
			}
		}
		i = j
	}
	start = append(start, int32(len(es)))
	need := ceilInt(t * SketchSize)
	workers := min(runtime.GOMAXPROCS(0), 8)
	results := make([][]Pair, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stamp := make([]int32, len(docs))
			for i := range stamp {
				stamp[i] = -1
			}
			var out []Pair
			for i := w; i < len(docs); i += workers {
				x := &docs[i].Sig
				for _, g := range of[i] {
					for _, e := range es[start[g]:start[g+1]] {
						y := e.doc
						if int(y) <= i || stamp[y] == int32(i) {
							continue
						}
						stamp[y] = int32(i)
						ys := &docs[y].Sig
						near := NearCopy(x, ys)
						if n := agree(x, ys, need); n >= need || near {
							p := ordered(docs[i].ID, docs[y].ID, Estimate(x, ys))
							p.NearCopy = near
							out = append(out, p)
						}
					}
				}
			}
			results[w] = out
		}()
	}
	wg.Wait()
	var out []Pair
	for _, r := range results {
		out = append(out, r...)
	}
	sortPairs(out)
	return out
}

// agree counts the positions where two sketches agree, stopping early
// once need can no longer be reached.
func agree(a, b *Signature, need int) int {
	if a.Shingles == 0 || b.Shingles == 0 {
		return 0
	}
	n, miss, maxMiss := 0, 0, SketchSize-need
	for i := range a.Sketch {
		if a.Sketch[i] == b.Sketch[i] {
			n++
		} else if miss++; miss > maxMiss {
			return n
		}
	}
	return n
}

// MaxBucket is the most documents a bucket may hold, among n, and still
// make candidates: 1 % of them, at least 50.
func MaxBucket(n int) int { return max(50, n/100) }
