package evaluate

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"zhihui/internal/i18n"
)

func FuzzParseFramework(f *testing.F) {
	for _, n := range BuiltinNames() {
		b, _ := builtinFS.ReadFile("frameworks/" + n + ".yaml")
		f.Add(string(b))
	}
	f.Add(smallFW)
	f.Add("id: x\nnodes: [{id: r, weighting: ahp, ahp: {order: [a], matrix: [[1/0]]}}]\nindicators: [{id: a, parent: r}]\n")
	f.Fuzz(func(t *testing.T, s string) {
		fw, err := ParseFramework(strings.NewReader(s))
		if err != nil {
			if _, ok := err.(*i18n.Error); !ok {
				t.Fatalf("error is not an *i18n.Error: %T %v", err, err)
			}
			return
		}
		// a framework that loads must have a root and consistent weights
		if fw.Root() == "" {
			t.Fatal("no root")
		}
		for k, w := range fw.t.weights {
			if w == nil {
				continue
			}
			sum := 0.0
			for _, v := range w {
				sum += v
			}
			if math.Abs(sum-1) > 1e-6 {
				t.Fatalf("weights of %s sum to %v", fw.t.ids[k], sum)
			}
		}
	})
}

func FuzzAHP(f *testing.F) {
	f.Add([]byte{3, 1, 2, 4, 8})
	f.Add([]byte{2, 3})
	f.Add([]byte{4, 9, 1, 1, 9, 2, 2, 5})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		n := int(b[0]%17) + 1
		// upper triangle from the bytes (Saaty scale 1/9..9, or raw floats), reciprocal below
		m := make([][]float64, n)
		for i := range m {
			m[i] = make([]float64, n)
			m[i][i] = 1
		}
		p := 1
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				v := 1.0
				if p < len(b) {
					c := int(b[p]%17) - 8 // −8..8
					if c >= 0 {
						v = float64(c + 1)
					} else {
						v = 1 / float64(1-c)
					}
					if p+8 < len(b) && b[p]&0x80 != 0 {
						v = math.Float64frombits(binary.LittleEndian.Uint64(b[p : p+8]))
					}
					p++
				}
				m[i][j], m[j][i] = v, 1/v
			}
		}
		r, err := AHP(m, "fuzz")
		if err != nil {
			if _, ok := err.(*i18n.Error); !ok {
				t.Fatalf("error is not an *i18n.Error: %v", err)
			}
			return
		}
		sum := 0.0
		for _, w := range r.Weights {
			if !(w >= 0) {
				t.Fatalf("weight %v", w)
			}
			sum += w
		}
		if math.Abs(sum-1) > 1e-9 || r.CR >= 0.1 {
			t.Fatalf("sum %v CR %v", sum, r.CR)
		}
	})
}
