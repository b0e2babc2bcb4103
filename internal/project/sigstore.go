package project

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/store"
)

// The stored signatures: one row per project and per system in
// project_signature (the sketch with the SimHash, and the structured
// fields compared besides the text: owner, function items, data resource
// items, linked systems), and its bucket keys in project_bucket — the
// LSH bands, the SimHash blocks, and one key per function and data
// resource item, so that a text is found by what it shares.

// Kinds of what is compared.
const (
	KindProject = "project"
	KindSystem  = "system"
)

// sigRow is what is stored for one project or system.
type sigRow struct {
	Kind      string
	ID        int64
	OwnerCode string
	OwnerPath string
	Sig       Signature
	Functions []string // normalised items
	Resources []string
	Systems   []int64
}

// Items splits a list written with ；;、,，or line breaks into its
// distinct, trimmed, lower-case items, sorted.
func Items(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("；;、,，\n\r", r) })
	var out []string
	for _, x := range f {
		if x = strings.ToLower(strings.TrimSpace(x)); x != "" && len([]rune(x)) <= 100 {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// itemKey is the bucket key of a structured item.
func itemKey(kind, item string) int64 {
	return int64(hashWords("\x00"+kind, item))
}

// keys are all bucket keys of r.
func (r *sigRow) keys() []int64 {
	ks := r.Sig.Buckets()
	for _, f := range r.Functions {
		ks = append(ks, itemKey("f", f))
	}
	for _, x := range r.Resources {
		ks = append(ks, itemKey("r", x))
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}

// writeSig replaces the stored signature and buckets of r.
func writeSig(ctx context.Context, tx *store.Tx, r *sigRow, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM project_bucket WHERE kind = $1 AND ref_id = $2`, r.Kind, r.ID); err != nil {
		return fmt.Errorf("project: signature: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM project_signature WHERE kind = $1 AND ref_id = $2`, r.Kind, r.ID); err != nil {
		return fmt.Errorf("project: signature: %w", err)
	}
	blob, _ := r.Sig.MarshalBinary()
	if _, err := tx.ExecContext(ctx, `INSERT INTO project_signature (kind, ref_id, owner_code, owner_path, sketch, functions, resources, systems, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, r.Kind, r.ID, r.OwnerCode, r.OwnerPath, blob,
		strings.Join(r.Functions, "\n"), strings.Join(r.Resources, "\n"), joinIDs(r.Systems), now); err != nil {
		return fmt.Errorf("project: signature: %w", err)
	}
	ks := r.keys()
	for len(ks) > 0 {
		n := min(len(ks), 200)
		var a store.Args
		var vals []string
		kind, id := a.Add(r.Kind), a.Add(r.ID)
		for _, k := range ks[:n] {
			vals = append(vals, "("+a.Add(k)+","+kind+","+id+")")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_bucket (bucket, kind, ref_id) VALUES `+strings.Join(vals, ","), a...); err != nil {
			return fmt.Errorf("project: buckets: %w", err)
		}
		ks = ks[n:]
	}
	return nil
}

// projectSig is the signature row of a project about to be written; the
// data resources are those of its linked systems.
func projectSig(ctx context.Context, q querier, id int64, ownerCode, ownerPath string, sig Signature, functions string, systems []int64) (*sigRow, error) {
	r := &sigRow{Kind: KindProject, ID: id, OwnerCode: ownerCode, OwnerPath: ownerPath, Sig: sig, Functions: Items(functions), Systems: systems}
	if len(systems) > 0 {
		var a store.Args
		rows, err := q.QueryContext(ctx, `SELECT data_resources FROM project_system WHERE id IN (`+store.In(&a, systems)+`)`, a...)
		if err != nil {
			return nil, fmt.Errorf("project: signature: %w", err)
		}
		var all []string
		for rows.Next() {
			var d string
			if err := rows.Scan(&d); err != nil {
				rows.Close()
				return nil, fmt.Errorf("project: signature: %w", err)
			}
			all = append(all, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		r.Resources = Items(strings.Join(all, "\n"))
	}
	return r, nil
}

// systemText is what similarity compares of a system.
func systemText(name, description, resources string) string {
	return strings.Join([]string{name, description, resources}, "\n")
}

// MaxIndexBatch bounds the projects and systems one IndexMissing call
// signs.
const MaxIndexBatch = 2000

// IndexMissing signs up to MaxIndexBatch projects and systems that have
// no stored signature yet (those written before signatures were kept)
// and returns how many it signed. Texts never change once registered, so
// a signature stays valid.
func (s *Service) IndexMissing(ctx context.Context) (int, error) {
	type todo struct {
		kind              string
		id                int64
		code, path, text  string
		functions         string
		systems, resource string
	}
	var ts []todo
	rows, err := s.DB.R.QueryContext(ctx, `SELECT p.id, p.owner_code, p.owner_path, p.name, p.summary, p.content, p.functions, p.systems FROM project_project p
		WHERE NOT EXISTS (SELECT 1 FROM project_signature g WHERE g.kind = 'project' AND g.ref_id = p.id) ORDER BY p.id LIMIT `+strconv.Itoa(MaxIndexBatch))
	if err != nil {
		return 0, fmt.Errorf("project: index: %w", err)
	}
	for rows.Next() {
		t := todo{kind: KindProject}
		var name, summary, content string
		if err := rows.Scan(&t.id, &t.code, &t.path, &name, &summary, &content, &t.functions, &t.systems); err != nil {
			rows.Close()
			return 0, fmt.Errorf("project: index: %w", err)
		}
		t.text = (&Project{Name: name, Summary: summary, Content: content, Functions: t.functions}).Text()
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT y.id, y.owner_code, y.owner_path, y.name, y.description, y.data_resources FROM project_system y
		WHERE NOT EXISTS (SELECT 1 FROM project_signature g WHERE g.kind = 'system' AND g.ref_id = y.id) ORDER BY y.id LIMIT `+strconv.Itoa(MaxIndexBatch))
	if err != nil {
		return 0, fmt.Errorf("project: index: %w", err)
	}
	for rows.Next() {
		t := todo{kind: KindSystem}
		var name, desc string
		if err := rows.Scan(&t.id, &t.code, &t.path, &name, &desc, &t.resource); err != nil {
			rows.Close()
			return 0, fmt.Errorf("project: index: %w", err)
		}
		t.text = systemText(name, desc, t.resource)
		ts = append(ts, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ts) == 0 {
		return 0, nil
	}
	if _, err := WarmSegmenter(); err != nil {
		return 0, err
	}
	sigs := make([]Signature, len(ts))
	for i, t := range ts {
		sigs[i] = SignText(t.text)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := s.now()
		for i, t := range ts {
			var r *sigRow
			if t.kind == KindProject {
				var err error
				if r, err = projectSig(ctx, tx, t.id, t.code, t.path, sigs[i], t.functions, splitIDs(t.systems)); err != nil {
					return err
				}
			} else {
				r = &sigRow{Kind: KindSystem, ID: t.id, OwnerCode: t.code, OwnerPath: t.path, Sig: sigs[i], Resources: Items(t.resource)}
			}
			if err := writeSig(ctx, tx, r, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(ts), nil
}

// IndexAll signs every project and system without a signature, batch by
// batch.
func (s *Service) IndexAll(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.IndexMissing(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

const sigCols = `kind, ref_id, owner_code, owner_path, sketch, functions, resources, systems`

func scanSig(sc interface{ Scan(...any) error }) (*sigRow, error) {
	var r sigRow
	var blob []byte
	var fn, res, sys string
	if err := sc.Scan(&r.Kind, &r.ID, &r.OwnerCode, &r.OwnerPath, &blob, &fn, &res, &sys); err != nil {
		return nil, err
	}
	if err := r.Sig.UnmarshalBinary(blob); err != nil {
		return nil, err
	}
	r.Functions, r.Resources, r.Systems = splitLines(fn), splitLines(res), splitIDs(sys)
	return &r, nil
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// storedSig returns the stored signature of kind id.
func (s *Service) storedSig(ctx context.Context, kind string, id int64) (*sigRow, error) {
	r, err := scanSig(s.DB.R.QueryRowContext(ctx, `SELECT `+sigCols+` FROM project_signature WHERE kind = $1 AND ref_id = $2`, kind, id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("project: signature: %w", err)
	}
	return r, nil
}

// CompareAll is the most signatures in the caller's units that a check
// compares one by one (Service.CompareAll, when not set); above it, the
// LSH buckets give the candidates.
const CompareAll = 2000

// lshCandidates returns the stored signatures in scopes sharing a bucket
// key with q, or all of them when there are at most CompareAll.
func (s *Service) lshCandidates(ctx context.Context, scopes []string, q *sigRow) ([]*sigRow, error) {
	ks := q.keys()
	if len(ks) == 0 || len(scopes) == 0 {
		return nil, nil
	}
	// A few signatures are all compared: that is cheaper than looking
	// up buckets, and finds short drafts whose sketch agrees with a long
	// text's in too few places to share a band.
	var sa store.Args
	var sc []string
	for _, p := range scopes {
		sc = append(sc, "owner_path LIKE "+sa.Add(p+"%"))
	}
	inScope := "(" + strings.Join(sc, " OR ") + ")"
	var total, scoped int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_signature`).Scan(&total); err != nil {
		return nil, fmt.Errorf("project: candidates: %w", err)
	}
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_signature WHERE `+inScope, sa...).Scan(&scoped); err != nil {
		return nil, fmt.Errorf("project: candidates: %w", err)
	}
	compareAll := CompareAll
	if s.CompareAll != 0 {
		compareAll = max(s.CompareAll, 0)
	}
	if scoped <= compareAll {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT `+sigCols+` FROM project_signature WHERE `+inScope, sa...)
		if err != nil {
			return nil, fmt.Errorf("project: candidates: %w", err)
		}
		defer rows.Close()
		var out []*sigRow
		for rows.Next() {
			r, err := scanSig(rows)
			if err != nil {
				return nil, fmt.Errorf("project: candidates: %w", err)
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	// Buckets too full to tell texts apart are passed over (see
	// SimilarPairs).
	var a store.Args
	rows, err := s.DB.R.QueryContext(ctx, `SELECT bucket FROM project_bucket WHERE bucket IN (`+store.In(&a, ks)+`) GROUP BY bucket HAVING COUNT(*) <= `+
		strconv.Itoa(MaxBucket(total)), a...)
	if err != nil {
		return nil, fmt.Errorf("project: candidates: %w", err)
	}
	ks = ks[:0]
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: candidates: %w", err)
		}
		ks = append(ks, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ks) == 0 {
		return nil, nil
	}
	a = a[:0]
	rows, err = s.DB.R.QueryContext(ctx, `SELECT DISTINCT kind, ref_id FROM project_bucket WHERE bucket IN (`+store.In(&a, ks)+`)`, a...)
	if err != nil {
		return nil, fmt.Errorf("project: candidates: %w", err)
	}
	ids := map[string][]int64{}
	for rows.Next() {
		var kind string
		var id int64
		if err := rows.Scan(&kind, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: candidates: %w", err)
		}
		ids[kind] = append(ids[kind], id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*sigRow
	for _, kind := range []string{KindProject, KindSystem} {
		list := ids[kind]
		slices.Sort(list)
		for len(list) > 0 {
			n := min(len(list), 500)
			var b store.Args
			var sc []string
			for _, p := range scopes {
				sc = append(sc, "owner_path LIKE "+b.Add(p+"%"))
			}
			q := `SELECT ` + sigCols + ` FROM project_signature WHERE (` + strings.Join(sc, " OR ") + `) AND kind = ` + b.Add(kind) + ` AND ref_id IN (` + store.In(&b, list[:n]) + `)`
			rows, err := s.DB.R.QueryContext(ctx, q, b...)
			if err != nil {
				return nil, fmt.Errorf("project: candidates: %w", err)
			}
			for rows.Next() {
				r, err := scanSig(rows)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("project: candidates: %w", err)
				}
				out = append(out, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			list = list[n:]
		}
	}
	return out, nil
}

// Signatures reads the stored signatures of every project (kind
// KindProject) or system, ordered by id, for the all-pairs report.
func (s *Service) Signatures(ctx context.Context, kind string) ([]Signed, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT ref_id, sketch FROM project_signature WHERE kind = $1 ORDER BY ref_id`, kind)
	if err != nil {
		return nil, fmt.Errorf("project: signatures: %w", err)
	}
	defer rows.Close()
	var out []Signed
	for rows.Next() {
		var d Signed
		var blob []byte
		if err := rows.Scan(&d.ID, &blob); err != nil {
			return nil, fmt.Errorf("project: signatures: %w", err)
		}
		if err := d.Sig.UnmarshalBinary(blob); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
