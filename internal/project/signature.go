package project

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// Duplicate-construction detection compares texts by their word pairs: a
// text is cut into words by the Chinese segmenter (see [Words]), and every
// two adjacent words of a run between punctuation form a shingle
// ("政务服务 平台", "平台 建设"…; a run of one word is a shingle by
// itself). The similarity of two texts is the Jaccard index of their
// shingle sets — the share of distinct shingles they have in common —
// which a reviewer can check by reading the overlapping passages shown
// beside it. It informs; it never refuses a project.
//
// Comparing sets is too slow for a portfolio of thousands of proposals,
// so every text is reduced once, when it is written, to a [Signature]:
//   - a MinHash sketch of [SketchSize] values, the least hash of the
//     shingles under each of that many hash functions; two sketches agree
//     at a position with probability equal to the texts' Jaccard index, so
//     the share of agreeing positions estimates it (standard error
//     √(J(1−J)/128) ≤ 0.045);
//   - [Bands] locality-sensitive buckets of [Rows] sketch values each:
//     texts that share a bucket are candidates, which catches a pair with
//     Jaccard J with probability 1 − (1 − J^Rows)^Bands (0.68 at 0.3, 0.94
//     at 0.4, 0.996 at 0.5, 0.04 at 0.1);
//   - a 64-bit SimHash of the shingles: near copies differ in a few bits
//     (at most NearCopyBits; unrelated texts in about 32, and fewer than
//     7 with a probability below 10⁻¹¹), and its four 16-bit blocks are
//     buckets too (two SimHashes at most 3 bits apart share one block).
//
// The signatures and buckets are kept in the store per project and per
// system; a check segments only the text it is asked about.

// SketchSize is the number of MinHash values of a signature; Bands × Rows
// of them form the LSH buckets.
const (
	SketchSize = 128
	Rows       = 3
	Bands      = 42
	// NearCopyBits is the largest SimHash distance of a near copy: a
	// proposal of 50 word pairs with its name changed is 4 bits away.
	NearCopyBits = 6
)

// Shingles returns the sorted, distinct hashes of the word shingles of text.
func Shingles(text string) []uint64 {
	var out []uint64
	for _, run := range Words(text) {
		if len(run) == 1 {
			out = append(out, hashWords(run[0], ""))
		}
		for i := 1; i < len(run); i++ {
			out = append(out, hashWords(run[i-1], run[i]))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// hashWords is FNV-1a of a, a zero byte and b, finished by a mixer.
func hashWords(a, b string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(a); i++ {
		h ^= uint64(a[i])
		h *= 1099511628211
	}
	h *= 1099511628211
	for i := 0; i < len(b); i++ {
		h ^= uint64(b[i])
		h *= 1099511628211
	}
	return mix(h)
}

// mix is the finaliser of SplitMix64: a bijection that spreads every input
// bit over the output.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// seeds are the hash functions of the sketch: h_i(x) = mix(x ^ seeds[i]).
var seeds = func() [SketchSize]uint64 {
	var s [SketchSize]uint64
	x := uint64(2013)
	for i := range s {
		x += 0x9e3779b97f4a7c15
		s[i] = mix(x)
	}
	return s
}()

// Signature is what similarity keeps of a text.
type Signature struct {
	Sketch   [SketchSize]uint32
	SimHash  uint64
	Shingles int // distinct shingles; 0 for an empty text
}

// Sign computes the signature of a shingle set (see [Shingles]).
func Sign(set []uint64) Signature {
	var sg Signature
	sg.Shingles = len(set)
	for i := range sg.Sketch {
		sg.Sketch[i] = ^uint32(0)
	}
	var counts [64]int32
	for _, x := range set {
		for i := range sg.Sketch {
			if v := uint32(mix(x ^ seeds[i])); v < sg.Sketch[i] {
				sg.Sketch[i] = v
			}
		}
		for b := range 64 {
			if x&(1<<b) != 0 {
				counts[b]++
			} else {
				counts[b]--
			}
		}
	}
	for b := range 64 {
		if counts[b] > 0 {
			sg.SimHash |= 1 << b
		}
	}
	return sg
}

// SignText is Sign(Shingles(text)).
func SignText(text string) Signature { return Sign(Shingles(text)) }

// Estimate is the share of positions where two sketches agree: an
// unbiased estimate of the Jaccard index of their texts.
func Estimate(a, b *Signature) float64 {
	if a.Shingles == 0 || b.Shingles == 0 {
		return 0
	}
	n := 0
	for i := range a.Sketch {
		if a.Sketch[i] == b.Sketch[i] {
			n++
		}
	}
	return float64(n) / SketchSize
}

// Distance is the number of bits two SimHashes differ in.
func Distance(a, b *Signature) int { return bits.OnesCount64(a.SimHash ^ b.SimHash) }

// NearCopy reports whether two texts are near copies of each other: their
// SimHashes differ in at most NearCopyBits bits.
func NearCopy(a, b *Signature) bool {
	return a.Shingles > 0 && b.Shingles > 0 && Distance(a, b) <= NearCopyBits
}

// Buckets returns the LSH bucket keys of sg: one per band of the sketch,
// then one per 16-bit block of the SimHash. Keys of different bands never
// collide by construction of the hash; an empty text has none.
func (sg *Signature) Buckets() []int64 {
	if sg.Shingles == 0 {
		return nil
	}
	out := make([]int64, 0, Bands+4)
	for b := range Bands {
		h := uint64(b+1) * 0x9e3779b97f4a7c15
		for r := range Rows {
			h = mix(h ^ uint64(sg.Sketch[b*Rows+r]))
		}
		out = append(out, int64(h))
	}
	for k := range 4 {
		h := mix(uint64(1000+k)*0x9e3779b97f4a7c15 ^ (sg.SimHash>>(16*k))&0xffff)
		out = append(out, int64(h))
	}
	return out
}

// MarshalBinary encodes the sketch, SimHash and shingle count.
func (sg *Signature) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 4*SketchSize+12)
	for _, v := range sg.Sketch {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint64(b, sg.SimHash)
	b = binary.LittleEndian.AppendUint32(b, uint32(sg.Shingles))
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (sg *Signature) UnmarshalBinary(b []byte) error {
	if len(b) != 4*SketchSize+12 {
		return errBadSignature
	}
	for i := range sg.Sketch {
		sg.Sketch[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	sg.SimHash = binary.LittleEndian.Uint64(b[4*SketchSize:])
	sg.Shingles = int(binary.LittleEndian.Uint32(b[4*SketchSize+8:]))
	return nil
}
