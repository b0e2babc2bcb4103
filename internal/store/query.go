package store

import (
	"strconv"
	"strings"
)

// Args collects the arguments of a query while its text is written, and
// hands out their numbered placeholders ($1, $2, …), which both engines
// read. Rebind turns them into anonymous ones where that is faster.
//
//	var a store.Args
//	q := "SELECT … WHERE kind = " + a.Add(kind) + " AND code IN (" + store.In(&a, codes) + ")"
//	rows, err := db.R.QueryContext(ctx, q, a...)
type Args []any

// Add appends v and returns its placeholder.
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// In appends every value of vs and returns their placeholders separated
// by commas, for an IN list ("$3,$4,$5"); vs must not be empty.
func In[T any](a *Args, vs []T) string {
	from := len(*a) + 1
	for _, v := range vs {
		*a = append(*a, v)
	}
	return Placeholders(from, len(vs))
}

// Placeholders returns n numbered placeholders from $from, separated by
// commas.
func Placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// Tuples returns n parenthesised groups of width numbered placeholders
// from $from, separated by commas, for a multi-row VALUES list:
// Tuples(1, 2, 3) is "($1,$2,$3),($4,$5,$6)".
func Tuples(from, n, width int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		b.WriteString(Placeholders(from+i*width, width))
		b.WriteByte(')')
	}
	return b.String()
}

// Rebind turns $1, $2, … into anonymous ? placeholders on SQLite when
// they appear in order. SQLite resolves every numbered parameter by
// walking a list of names, which makes statements with thousands of
// parameters quadratic to bind; anonymous ? parameters skip that.
// Statements whose placeholders are out of order or repeated are
// returned as they are.
func Rebind(d Dialect, q string) string {
	if d != SQLite {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	next := 1
	for i := 0; i < len(q); i++ {
		if q[i] != '$' || i+1 >= len(q) || q[i+1] < '0' || q[i+1] > '9' {
			b.WriteByte(q[i])
			continue
		}
		j := i + 1
		n := 0
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			n = n*10 + int(q[j]-'0')
			j++
		}
		if n != next {
			return q // out of order: keep the numbered form
		}
		next++
		b.WriteByte('?')
		i = j - 1
	}
	return b.String()
}

// Rebind is [Rebind] for db's dialect.
func (db *DB) Rebind(q string) string { return Rebind(db.Dialect, q) }

// SkipLocked is the clause that makes a SELECT lock the rows it returns
// and pass over rows other transactions hold (PostgreSQL: concurrent
// workers claim different rows); "" on SQLite, whose single writer
// already serialises claims.
func (db *DB) SkipLocked() string {
	if db.Dialect == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}
