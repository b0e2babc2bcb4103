package evaluate

import (
	"math"
	"strconv"
)

// Value is a float64 that encodes NaN and ±Inf as JSON null, so results
// with missing scores stay valid JSON.
type Value float64

// MarshalJSON writes null for NaN/Inf, else the shortest representation.
func (v Value) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// UnmarshalJSON reads null as NaN.
func (v *Value) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*v = Value(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*v = Value(f)
	return err
}

// IsMissing reports whether v is NaN.
func (v Value) IsMissing() bool { return math.IsNaN(float64(v)) }

func values(x []float64) []Value {
	out := make([]Value, len(x))
	for i, f := range x {
		out[i] = Value(f)
	}
	return out
}
