package project

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Duplicate-construction detection compares texts by their word pairs:
// a text is cut at punctuation into segments; inside a segment each Han
// character and each run of Latin letters or digits is a token, and every
// two adjacent tokens form a shingle ("政务", "务服", "服务"…). The score of
// two texts is the Jaccard index of their shingle sets — the share of
// distinct shingles they have in common — which a reviewer can check by
// reading the overlapping passages shown beside it. It informs; it never
// refuses a project.

// Shingles returns the sorted, distinct hashes of the shingles of text.
func Shingles(text string) []uint64 {
	var out []uint64
	h := fnv.New64a()
	add := func(a, b string) {
		h.Reset()
		h.Write([]byte(a))
		h.Write([]byte{0})
		h.Write([]byte(b))
		out = append(out, h.Sum64())
	}
	for _, seg := range segments(text) {
		toks := tokens(seg)
		if len(toks) == 1 {
			add(toks[0], "")
		}
		for i := 1; i < len(toks); i++ {
			add(toks[i-1], toks[i])
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// segments cuts text at punctuation, symbols and white space.
func segments(text string) []string {
	return strings.FieldsFunc(text, func(r rune) bool {
		return !(unicode.Is(unicode.Han, r) || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
}

// tokens splits a segment into Han characters and lower-case runs of
// other letters and digits.
func tokens(seg string) []string {
	var out []string
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			out = append(out, run.String())
			run.Reset()
		}
	}
	for _, r := range seg {
		if unicode.Is(unicode.Han, r) {
			flush()
			out = append(out, string(r))
			continue
		}
		run.WriteRune(unicode.ToLower(r))
	}
	flush()
	return out
}

// Jaccard is |a∩b| / |a∪b| of two sorted distinct sets; 0 when both are empty.
func Jaccard(a, b []uint64) float64 {
	inter := Overlap(a, b)
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

// Overlap counts the elements two sorted distinct sets share.
func Overlap(a, b []uint64) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// Passages returns up to max sentences of other that share the most
// shingles with the query set q (at least three), in the order they
// appear, so a reviewer sees where the texts overlap.
func Passages(q []uint64, other string, max int) []string {
	type cand struct {
		i, n int
		s    string
	}
	var cs []cand
	for i, s := range sentences(other) {
		if n := Overlap(q, Shingles(s)); n >= 3 {
			cs = append(cs, cand{i, n, s})
		}
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].n > cs[b].n })
	if len(cs) > max {
		cs = cs[:max]
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].i < cs[b].i })
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.s)
	}
	return out
}

// sentences cuts text after 。！？；, line ends and full stops.
func sentences(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			out = append(out, s)
		}
		b.Reset()
	}
	for _, r := range text {
		if r == '\n' || r == '\r' {
			flush()
			continue
		}
		b.WriteRune(r)
		if strings.ContainsRune("。！？；!?;", r) {
			flush()
		}
	}
	flush()
	return out
}

// Match is a project or system similar to a text.
type Match struct {
	Kind     string   `json:"kind"` // "project" or "system"
	ID       int64    `json:"id"`
	Number   string   `json:"number,omitempty"`
	Name     string   `json:"name"`
	Owner    string   `json:"owner_name"`
	Score    float64  `json:"score"`
	Passages []string `json:"passages"`
}

// MinScore is the lowest score a match is shown with.
const MinScore = 0.08

// Similar ranks the projects and systems in scopes by the similarity of
// their text with text, best first, leaving out project exclude, and
// returns at most limit with a score of at least MinScore.
func (s *Service) Similar(ctx context.Context, scopes []string, text string, exclude int64, limit int) ([]Match, error) {
	limit = min(max(limit, 1), 100)
	q := Shingles(text)
	if len(q) == 0 {
		return []Match{}, nil
	}
	var out []Match
	var args []any
	cond := ""
	for i, sc := range scopes {
		if i > 0 {
			cond += " OR "
		}
		args = append(args, sc+"%")
		cond += fmt.Sprintf("owner_path LIKE $%d", len(args))
	}
	if cond == "" {
		return []Match{}, nil
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, number, name, owner_name, name || '
' || summary || '
' || content || '
' || functions FROM project_project WHERE (`+cond+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: similar: %w", err)
	}
	texts := map[int64]string{}
	for rows.Next() {
		var m Match
		var t string
		if err := rows.Scan(&m.ID, &m.Number, &m.Name, &m.Owner, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: similar: %w", err)
		}
		if m.ID == exclude {
			continue
		}
		if m.Score = Jaccard(q, Shingles(t)); m.Score >= MinScore {
			m.Kind = "project"
			texts[m.ID] = t
			out = append(out, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT id, name, owner_name, name || '
' || description || '
' || data_resources FROM project_system WHERE (`+cond+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: similar: %w", err)
	}
	stexts := map[int64]string{}
	for rows.Next() {
		var m Match
		var t string
		if err := rows.Scan(&m.ID, &m.Name, &m.Owner, &t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: similar: %w", err)
		}
		if m.Score = Jaccard(q, Shingles(t)); m.Score >= MinScore {
			m.Kind = "system"
			stexts[m.ID] = t
			out = append(out, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Kind < out[j].Kind || (out[i].Kind == out[j].Kind && out[i].ID < out[j].ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		t := texts[out[i].ID]
		if out[i].Kind == "system" {
			t = stexts[out[i].ID]
		}
		out[i].Passages = Passages(q, t, 3)
		out[i].Score = float64(int(out[i].Score*1000+0.5)) / 1000
	}
	return out, nil
}

// Percent is the score in whole percent, for display.
func (m Match) Percent() int { return int(m.Score*100 + 0.5) }
