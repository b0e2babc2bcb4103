package project

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"zhihui/internal/store"
)

var errBadSignature = errors.New("project: a stored signature has the wrong length")

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

// Piece is a run of a passage, Shared when its words are in a word pair
// the other text has too.
type Piece struct {
	Text   string `json:"text"`
	Shared bool   `json:"shared,omitempty"`
}

// PassagePair is a sentence of the other text beside the sentence of the
// text asked about that shares most with it, each with its shared words
// marked.
type PassagePair struct {
	Mine   []Piece `json:"mine"`
	Theirs []Piece `json:"theirs"`
}

// sentenceSet is a sentence with its shingles.
type sentenceSet struct {
	text string
	set  []uint64
}

func sentenceSets(text string) ([]sentenceSet, []uint64) {
	var out []sentenceSet
	var all []uint64
	for _, s := range sentences(text) {
		set := Shingles(s)
		out = append(out, sentenceSet{s, set})
		all = append(all, set...)
	}
	slices.Sort(all)
	return out, slices.Compact(all)
}

// Passages returns up to max sentences of other that share the most word
// pairs (at least three) with the text whose sentences are mine, in the
// order they appear, each beside the sentence of mine sharing most with
// it, shared words marked.
func Passages(mine []sentenceSet, mineAll []uint64, other string, max int) ([]string, []PassagePair) {
	type cand struct {
		i, n int
		s    sentenceSet
	}
	var cs []cand
	for i, s := range sentences(other) {
		set := Shingles(s)
		if n := Overlap(mineAll, set); n >= 3 {
			cs = append(cs, cand{i, n, sentenceSet{s, set}})
		}
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].n > cs[b].n })
	if len(cs) > max {
		cs = cs[:max]
	}
	sort.Slice(cs, func(a, b int) bool { return cs[a].i < cs[b].i })
	texts := make([]string, 0, len(cs))
	pairs := make([]PassagePair, 0, len(cs))
	for _, c := range cs {
		texts = append(texts, c.s.text)
		best, bn := -1, 0
		for j, m := range mine {
			if n := Overlap(m.set, c.s.set); n > bn {
				best, bn = j, n
			}
		}
		p := PassagePair{Theirs: Mark(c.s.text, mineAll)}
		if best >= 0 {
			p.Mine = Mark(mine[best].text, c.s.set)
		}
		pairs = append(pairs, p)
	}
	return texts, pairs
}

// Mark cuts text into pieces, marking the words that are in a word pair
// (a shingle) of set.
func Mark(text string, set []uint64) []Piece {
	toks := Tokens(text)
	shared := make([]bool, len(toks))
	in := func(a, b string) bool {
		_, ok := slices.BinarySearch(set, hashWords(strings.ToLower(a), strings.ToLower(b)))
		return ok
	}
	// runs of word tokens, as Words cuts them
	for i := 0; i < len(toks); {
		if !wordy(toks[i]) {
			i++
			continue
		}
		j := i
		for j < len(toks) && wordy(toks[j]) {
			j++
		}
		if j-i == 1 {
			shared[i] = in(toks[i], "")
		}
		for k := i + 1; k < j; k++ {
			if in(toks[k-1], toks[k]) {
				shared[k-1], shared[k] = true, true
			}
		}
		i = j
	}
	var out []Piece
	for i, t := range toks {
		if n := len(out); n > 0 && (out[n-1].Shared == shared[i] || !wordy(t) && out[n-1].Shared && i+1 < len(toks) && shared[i+1]) {
			out[n-1].Text += t
			continue
		}
		out = append(out, Piece{Text: t, Shared: shared[i]})
	}
	return out
}

// Match is a project or system similar to a text.
type Match struct {
	Kind   string  `json:"kind"` // "project" or "system"
	ID     int64   `json:"id"`
	Number string  `json:"number,omitempty"`
	Name   string  `json:"name"`
	Owner  string  `json:"owner_name"`
	Score  float64 `json:"score"` // estimated Jaccard index of the word pairs
	// NearCopy is set when the SimHashes of the texts are at most
	// NearCopyBits apart: one text is all but a copy of the other.
	NearCopy bool `json:"near_copy"`
	// The structured overlap: the same owner unit, function items and
	// data resources in common, linked systems in common (or, for a
	// system, linked by the project asked about).
	SameOwner       bool          `json:"same_owner"`
	SharedFunctions []string      `json:"shared_functions"`
	SharedResources []string      `json:"shared_resources"`
	SharedSystems   []int64       `json:"shared_systems"`
	Linked          bool          `json:"linked,omitempty"`
	Passages        []string      `json:"passages"`
	Pairs           []PassagePair `json:"pairs"`
	text            string
}

// MinScore is the lowest text score a match is shown with unless it
// overlaps in structure.
const MinScore = 0.08

// Query is what Similar compares with the portfolio: a text and its
// structured fields.
type Query struct {
	Text      string
	Owner     string // owner unit code; "" when none
	Functions string
	Systems   []int64
	Exclude   int64 // a project left out (the one asked about)
}

// Structured reports whether m overlaps in structure strongly enough to
// be shown whatever its text: a linked or shared system, a data resource
// in common, two function items in common, or the same owner with one.
func (m *Match) Structured() bool {
	return m.Linked || len(m.SharedSystems) > 0 || len(m.SharedResources) > 0 || len(m.SharedFunctions) >= 2 ||
		m.SameOwner && len(m.SharedFunctions) > 0
}

// SimilarTo ranks what is similar to project p (see [Service.Similar]),
// from its stored signature: nothing of the portfolio is segmented but
// the passages of the matches shown.
func (s *Service) SimilarTo(ctx context.Context, scopes []string, p *Project, limit int) ([]Match, error) {
	q := Query{Text: p.Text(), Owner: p.Owner, Functions: p.Functions, Systems: p.Systems, Exclude: p.ID}
	row, err := s.storedSig(ctx, KindProject, p.ID)
	if err != nil {
		return nil, err
	}
	return s.similar(ctx, scopes, q, row, limit)
}

// Similar ranks the projects and systems in scopes by their similarity
// with q, best first: candidates are those sharing an LSH bucket, a
// SimHash block, a function item or a data resource with it; each is
// scored by its sketch, and kept when its score is at least MinScore, it
// is a near copy or it overlaps in structure. At most limit are returned,
// each with the passages that overlap. It informs; it never refuses.
func (s *Service) Similar(ctx context.Context, scopes []string, q Query, limit int) ([]Match, error) {
	return s.similar(ctx, scopes, q, nil, limit)
}

func (s *Service) similar(ctx context.Context, scopes []string, q Query, row *sigRow, limit int) ([]Match, error) {
	limit = min(max(limit, 1), 100)
	if row == nil {
		var err error
		if row, err = projectSig(ctx, s.DB.R, 0, q.Owner, "", SignText(q.Text), q.Functions, q.Systems); err != nil {
			return nil, err
		}
	}
	if row.Sig.Shingles == 0 && len(row.Functions) == 0 && len(row.Resources) == 0 {
		return []Match{}, nil
	}
	cands, err := s.lshCandidates(ctx, scopes, row)
	if err != nil {
		return nil, err
	}
	out := []Match{}
	for _, c := range cands {
		if c.Kind == KindProject && c.ID == q.Exclude {
			continue
		}
		m := Match{Kind: c.Kind, ID: c.ID, Score: Estimate(&row.Sig, &c.Sig), NearCopy: NearCopy(&row.Sig, &c.Sig),
			SameOwner:       q.Owner != "" && c.OwnerCode == q.Owner,
			SharedFunctions: intersect(row.Functions, c.Functions), SharedResources: intersect(row.Resources, c.Resources),
			SharedSystems: []int64{}}
		if c.Kind == KindSystem {
			m.Linked = slices.Contains(row.Systems, c.ID)
		} else {
			for _, id := range c.Systems {
				if slices.Contains(row.Systems, id) {
					m.SharedSystems = append(m.SharedSystems, id)
				}
			}
		}
		if m.Score >= MinScore || m.NearCopy || m.Structured() {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].NearCopy != out[j].NearCopy {
			return out[i].NearCopy
		}
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Kind < out[j].Kind || (out[i].Kind == out[j].Kind && out[i].ID < out[j].ID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	if err := s.describe(ctx, out); err != nil {
		return nil, err
	}
	mine, mineAll := sentenceSets(q.Text)
	for i := range out {
		out[i].Passages, out[i].Pairs = Passages(mine, mineAll, out[i].text, 3)
		out[i].text = ""
		out[i].Score = float64(int(out[i].Score*1000+0.5)) / 1000
	}
	return out, nil
}

// describe fills the names, owners and texts of ms.
func (s *Service) describe(ctx context.Context, ms []Match) error {
	idx := map[string]map[int64]int{KindProject: {}, KindSystem: {}}
	var pids, sids []int64
	for i, m := range ms {
		idx[m.Kind][m.ID] = i
		if m.Kind == KindProject {
			pids = append(pids, m.ID)
		} else {
			sids = append(sids, m.ID)
		}
	}
	if len(pids) > 0 {
		var a store.Args
		rows, err := s.DB.R.QueryContext(ctx, `SELECT id, number, name, owner_name, summary, content, functions FROM project_project WHERE id IN (`+store.In(&a, pids)+`)`, a...)
		if err != nil {
			return fmt.Errorf("project: similar: %w", err)
		}
		for rows.Next() {
			var p Project
			if err := rows.Scan(&p.ID, &p.Number, &p.Name, &p.OwnerName, &p.Summary, &p.Content, &p.Functions); err != nil {
				rows.Close()
				return fmt.Errorf("project: similar: %w", err)
			}
			m := &ms[idx[KindProject][p.ID]]
			m.Number, m.Name, m.Owner, m.text = p.Number, p.Name, p.OwnerName, p.Text()
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	if len(sids) > 0 {
		var a store.Args
		rows, err := s.DB.R.QueryContext(ctx, `SELECT id, name, owner_name, description, data_resources FROM project_system WHERE id IN (`+store.In(&a, sids)+`)`, a...)
		if err != nil {
			return fmt.Errorf("project: similar: %w", err)
		}
		for rows.Next() {
			var id int64
			var name, owner, desc, res string
			if err := rows.Scan(&id, &name, &owner, &desc, &res); err != nil {
				rows.Close()
				return fmt.Errorf("project: similar: %w", err)
			}
			m := &ms[idx[KindSystem][id]]
			m.Name, m.Owner, m.text = name, owner, systemText(name, desc, res)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func intersect(a, b []string) []string {
	out := []string{}
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Percent is the score in whole percent, for display.
func (m Match) Percent() int { return int(m.Score*100 + 0.5) }
