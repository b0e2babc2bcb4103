package evaluate

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// saatyRI is Saaty's random consistency index by matrix order (1-based;
// index 0 unused). Orders 11–15 use Saaty's extended table.
var saatyRI = []float64{0, 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59}

// AHPResult is the outcome of [AHP].
type AHPResult struct {
	Weights []float64 `json:"weights"`    // principal eigenvector, summing to 1
	Lambda  float64   `json:"lambda_max"` // principal eigenvalue
	CI      float64   `json:"ci"`         // (λmax − n)/(n − 1)
	CR      float64   `json:"cr"`         // CI / RI(n); 0 for n ≤ 2
}

// AHP computes weights from a pairwise comparison matrix: m[i][j] says how
// much more important item i is than item j (Saaty's 1–9 scale). The matrix
// must be square, positive, with ones on the diagonal and reciprocal
// (m[j][i] = 1/m[i][j] within 1e-3). The weights are the principal
// eigenvector, found by power iteration. A consistency ratio CR ≥ 0.1 is an
// error naming the matrix. Orders above 15 are refused (no random index).
func AHP(m [][]float64, name string) (*AHPResult, error) {
	n := len(m)
	place := name + ".ahp"
	if n == 0 {
		return nil, errf("ahp_empty", place, "判断矩阵 %s 为空", "AHP matrix %s is empty", name)
	}
	if n >= len(saatyRI) {
		return nil, errf("ahp_size", place, "判断矩阵 %s 为 %d 阶，最多支持 15 阶", "AHP matrix %s has order %d; at most 15 is supported", name, n)
	}
	for i := range m {
		if len(m[i]) != n {
			return nil, errf("ahp_square", place, "判断矩阵 %s 不是方阵（第 %d 行有 %d 个元素）", "AHP matrix %s is not square (row %d has %d entries)", name, i+1, len(m[i]))
		}
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			v := m[i][j]
			if !(v > 0) || math.IsInf(v, 0) {
				return nil, errf("ahp_positive", place, "判断矩阵 %s 第 %d 行第 %d 列必须为正数", "AHP matrix %s: entry at row %d, column %d must be positive", name, i+1, j+1)
			}
			if i == j && math.Abs(v-1) > 1e-9 {
				return nil, errf("ahp_diagonal", place, "判断矩阵 %s 的对角线第 %d 个元素必须为 1", "AHP matrix %s: diagonal entry %d must be 1", name, i+1)
			}
			if math.Abs(v*m[j][i]-1) > 1e-3 {
				return nil, errf("ahp_reciprocal", place, "判断矩阵 %s 不互反：第 %d 行第 %d 列与第 %d 行第 %d 列的乘积应为 1", "AHP matrix %s is not reciprocal: entries (%d,%d) and (%d,%d) must multiply to 1", name, i+1, j+1, j+1, i+1)
			}
		}
	}
	w := make([]float64, n)
	next := make([]float64, n)
	for i := range w {
		w[i] = 1 / float64(n)
	}
	lambda := 0.0
	for it := 0; it < 1000; it++ {
		sum := 0.0
		for i := 0; i < n; i++ {
			s := 0.0
			for j := 0; j < n; j++ {
				s += m[i][j] * w[j]
			}
			next[i] = s
			sum += s
		}
		diff := 0.0
		for i := range next {
			next[i] /= sum
			diff = math.Max(diff, math.Abs(next[i]-w[i]))
		}
		w, next = next, w
		lambda = sum // since Σw = 1, Σ(Aw) → λmax
		if diff < 1e-13 {
			break
		}
	}
	res := &AHPResult{Weights: w, Lambda: lambda}
	if n > 2 {
		res.CI = (lambda - float64(n)) / float64(n-1)
		res.CR = res.CI / saatyRI[n]
		if res.CR < 0 && res.CR > -1e-9 {
			res.CR = 0
		}
	}
	if res.CR >= 0.1 {
		return res, errf("ahp_inconsistent", place, "判断矩阵 %s 的一致性比率 CR = %.3f ≥ 0.1，判断不一致，请修改", "AHP matrix %s is inconsistent: consistency ratio CR = %.3f ≥ 0.1", name, res.CR)
	}
	return res, nil
}

// EntropyWeights returns Shannon-entropy weights for the columns of x
// (rows are units, NaN is skipped). Values are shifted to be non-negative
// (x − min), p_ij = x_ij / Σ_i x_ij, e_j = −Σ p ln p / ln n, and the weight
// of column j is (1 − e_j)/Σ(1 − e). A column with no spread has zero
// divergence; if every column has none, the weights are equal.
func EntropyWeights(x [][]float64) []float64 {
	k := 0
	if len(x) > 0 {
		k = len(x[0])
	}
	w := make([]float64, k)
	d := make([]float64, k)
	total := 0.0
	for j := 0; j < k; j++ {
		mn := math.Inf(1)
		n := 0
		for i := range x {
			if v := x[i][j]; !math.IsNaN(v) {
				mn = math.Min(mn, v)
				n++
			}
		}
		if n < 2 {
			continue
		}
		sum := 0.0
		for i := range x {
			if v := x[i][j]; !math.IsNaN(v) {
				sum += v - mn
			}
		}
		if sum <= 0 {
			continue
		}
		e := 0.0
		for i := range x {
			if v := x[i][j]; !math.IsNaN(v) {
				p := (v - mn) / sum
				if p > 0 {
					e -= p * math.Log(p)
				}
			}
		}
		e /= math.Log(float64(n))
		d[j] = math.Max(0, 1-e)
		total += d[j]
	}
	for j := range w {
		if total > 0 {
			w[j] = d[j] / total
		} else {
			w[j] = 1 / float64(k)
		}
	}
	return w
}

// PCAWeights derives weights from the principal components of the
// correlation matrix of the columns of x (rows with NaN are dropped), after
// the Handbook (OECD/JRC 2008, §6.1): components with eigenvalue > 1 are
// retained (at least one); squared loadings are scaled to unit sum within
// each component; each indicator takes its largest scaled squared loading,
// multiplied by that component's share of the retained variance; the results
// are normalised to sum to 1. No varimax rotation is applied. A column with
// zero variance makes the correlation matrix singular: that is an error
// naming the node and the column.
func PCAWeights(x [][]float64, node string, names []string) ([]float64, error) {
	k := len(names)
	var rows [][]float64
	for _, r := range x {
		ok := true
		for _, v := range r {
			if math.IsNaN(v) {
				ok = false
				break
			}
		}
		if ok {
			rows = append(rows, r)
		}
	}
	n := len(rows)
	if n < k+1 || n < 3 {
		return nil, errf("pca_too_few", node, "节点 %s：完整数据的单位只有 %d 个，PCA 赋权至少需要 %d 个", "node %s: only %d units have complete data; PCA weights need at least %d", node, n, max(k+1, 3))
	}
	mean := make([]float64, k)
	sd := make([]float64, k)
	for j := 0; j < k; j++ {
		for _, r := range rows {
			mean[j] += r[j]
		}
		mean[j] /= float64(n)
		for _, r := range rows {
			d := r[j] - mean[j]
			sd[j] += d * d
		}
		sd[j] = math.Sqrt(sd[j] / float64(n-1))
		if !(sd[j] > 1e-12) {
			return nil, errf("pca_singular", node, "节点 %s：%s 没有差异（方差为 0），相关矩阵奇异，无法做 PCA 赋权", "node %s: %s has zero variance, the correlation matrix is singular and PCA weights cannot be computed", node, names[j])
		}
	}
	corr := mat.NewSymDense(k, nil)
	for a := 0; a < k; a++ {
		for b := a; b < k; b++ {
			s := 0.0
			for _, r := range rows {
				s += (r[a] - mean[a]) / sd[a] * (r[b] - mean[b]) / sd[b]
			}
			corr.SetSym(a, b, s/float64(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(corr, true) {
		return nil, errf("pca_failed", node, "节点 %s：相关矩阵特征分解失败", "node %s: eigen-decomposition of the correlation matrix failed", node)
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	var keep []int
	for c := k - 1; c >= 0; c-- {
		if vals[c] > 1 || len(keep) == 0 {
			keep = append(keep, c)
		}
	}
	retained := 0.0
	for _, c := range keep {
		retained += vals[c]
	}
	w := make([]float64, k)
	best := make([]float64, k)
	for _, c := range keep {
		ss := 0.0
		for j := 0; j < k; j++ {
			l := vecs.At(j, c) * math.Sqrt(vals[c])
			ss += l * l
		}
		for j := 0; j < k; j++ {
			l := vecs.At(j, c) * math.Sqrt(vals[c])
			if v := l * l / ss; v > best[j] {
				best[j] = v
				w[j] = v * vals[c] / retained
			}
		}
	}
	s := 0.0
	for _, v := range w {
		s += v
	}
	for j := range w {
		w[j] /= s
	}
	return w, nil
}
