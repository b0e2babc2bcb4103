package evalstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// ErrNotFound is returned for a framework, dataset or assessment that does
// not exist.
var ErrNotFound = fmt.Errorf("evalstore: %w", store.ErrNotFound)

// FrameworkInfo describes a framework in a list: a built-in one or one
// stored in evaluate_framework.
type FrameworkInfo struct {
	Key       string    `json:"key"`
	Name      i18n.Text `json:"name"`
	Builtin   bool      `json:"builtin"`
	OrgPath   string    `json:"org_path,omitempty"` // owner unit of a stored framework
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// StoredFramework is a framework with its YAML text.
type StoredFramework struct {
	FrameworkInfo
	YAML      string              `json:"yaml"`
	Framework *evaluate.Framework `json:"-"`
}

var keyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,62}$`)

// Frameworks lists the built-in frameworks, then the stored ones by key.
func Frameworks(ctx context.Context, db *store.DB) ([]FrameworkInfo, error) {
	var out []FrameworkInfo
	for _, id := range evaluate.BuiltinNames() {
		fw, err := evaluate.Builtin(id)
		if err != nil {
			return nil, err
		}
		out = append(out, FrameworkInfo{Key: id, Name: fw.Name, Builtin: true})
	}
	rows, err := db.R.QueryContext(ctx, `SELECT key, name_zh, name_en, org_path, updated_at, updated_by FROM evaluate_framework ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("evalstore: frameworks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var f FrameworkInfo
		if err := rows.Scan(&f.Key, &f.Name.Zh, &f.Name.En, &f.OrgPath, &f.UpdatedAt, &f.UpdatedBy); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// Framework loads a built-in or stored framework by key.
func Framework(ctx context.Context, db *store.DB, key string) (*StoredFramework, error) {
	if slices.Contains(evaluate.BuiltinNames(), key) {
		fw, err := evaluate.Builtin(key)
		if err != nil {
			return nil, err
		}
		text, err := MarshalFramework(fw)
		if err != nil {
			return nil, err
		}
		return &StoredFramework{FrameworkInfo: FrameworkInfo{Key: key, Name: fw.Name, Builtin: true}, YAML: text, Framework: fw}, nil
	}
	var f StoredFramework
	err := db.R.QueryRowContext(ctx, `SELECT key, name_zh, name_en, org_path, updated_at, updated_by, yaml FROM evaluate_framework WHERE key = $1`, key).
		Scan(&f.Key, &f.Name.Zh, &f.Name.En, &f.OrgPath, &f.UpdatedAt, &f.UpdatedBy, &f.YAML)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("evalstore: framework %s: %w", key, err)
	}
	if f.Framework, err = evaluate.ParseFramework(strings.NewReader(f.YAML)); err != nil {
		return nil, fmt.Errorf("evalstore: stored framework %s no longer loads: %w", key, err)
	}
	return &f, nil
}

// MarshalFramework writes a framework back as YAML.
func MarshalFramework(fw *evaluate.Framework) (string, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(fw); err != nil {
		return "", fmt.Errorf("evalstore: marshal framework: %w", err)
	}
	return b.String(), nil
}

// SaveFramework validates text as a framework and stores it under its id
// (insert, or update when it exists and owner covers it — the caller
// checks that). Built-in ids cannot be overwritten. orgPath is the unit
// that owns a new framework.
func SaveFramework(ctx context.Context, db *store.DB, actor audit.Actor, orgPath, text string) (*StoredFramework, error) {
	fw, err := evaluate.ParseFramework(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	if !keyRe.MatchString(fw.ID) {
		return nil, i18n.Errorf("指标体系标识 %q 无效：只能使用小写字母、数字、- 和 _（2–63 个字符）", "framework id %q is invalid: use lower-case letters, digits, - and _ (2–63 characters)", fw.ID).OnField("id")
	}
	if slices.Contains(evaluate.BuiltinNames(), fw.ID) {
		return nil, i18n.Errorf("%q 是内置指标体系，不能覆盖；请换一个标识另存", "%q is a built-in framework and cannot be overwritten; save it under another id", fw.ID).OnField("id")
	}
	now := store.Now()
	f := &StoredFramework{FrameworkInfo: FrameworkInfo{Key: fw.ID, Name: fw.Name, OrgPath: orgPath, UpdatedAt: now, UpdatedBy: actor.Name}, YAML: text, Framework: fw}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var before *FrameworkInfo
		var old FrameworkInfo
		var oldYAML string
		err := tx.QueryRowContext(ctx, `SELECT key, name_zh, name_en, org_path, yaml FROM evaluate_framework WHERE key = $1`, fw.ID).Scan(&old.Key, &old.Name.Zh, &old.Name.En, &old.OrgPath, &oldYAML)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO evaluate_framework (key, name_zh, name_en, yaml, org_path, created_at, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
				fw.ID, fw.Name.Zh, fw.Name.En, text, orgPath, now, actor.Name)
		case err != nil:
		default:
			before = &old
			f.OrgPath = old.OrgPath
			_, err = tx.ExecContext(ctx, `UPDATE evaluate_framework SET name_zh = $2, name_en = $3, yaml = $4, updated_at = $5, updated_by = $6 WHERE key = $1`,
				fw.ID, fw.Name.Zh, fw.Name.En, text, now, actor.Name)
		}
		if err != nil {
			return fmt.Errorf("evalstore: save framework %s: %w", fw.ID, err)
		}
		action := "create"
		var b any
		if before != nil {
			action = "update"
			b = map[string]any{"key": old.Key, "name": old.Name, "yaml": oldYAML}
		}
		return audit.Record(ctx, tx, actor, action, "evaluate_framework", fw.ID, f.OrgPath, b, map[string]any{"key": fw.ID, "name": fw.Name, "yaml": text})
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// FrameworkOwner returns the owner unit path of a stored framework.
func FrameworkOwner(ctx context.Context, db *store.DB, key string) (string, error) {
	var p string
	err := db.R.QueryRowContext(ctx, `SELECT org_path FROM evaluate_framework WHERE key = $1`, key).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return p, err
}

// DeleteFramework removes a stored framework.
func DeleteFramework(ctx context.Context, db *store.DB, actor audit.Actor, key string) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		var path, text string
		err := tx.QueryRowContext(ctx, `SELECT org_path, yaml FROM evaluate_framework WHERE key = $1`, key).Scan(&path, &text)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM evaluate_framework WHERE key = $1`, key); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "delete", "evaluate_framework", key, path, map[string]any{"key": key, "yaml": text}, nil)
	})
}

// WeightEdit changes the weights of a framework: explicit weights by item
// id (node or indicator), and AHP matrices by node id (upper triangle in
// the order of the node's AHP spec; the lower triangle is the reciprocal).
type WeightEdit struct {
	NewID   string // when set, the edited framework gets this id (saving a copy)
	Weights map[string]float64
	AHP     map[string][][]float64
}

// ApplyWeights returns the YAML of fw with the weights in e, validated.
func ApplyWeights(fw *evaluate.Framework, e WeightEdit) (string, error) {
	c := *fw
	if e.NewID != "" {
		c.ID = e.NewID
	}
	c.Nodes = slices.Clone(fw.Nodes)
	c.Indicators = slices.Clone(fw.Indicators)
	for i := range c.Nodes {
		if w, ok := e.Weights[c.Nodes[i].ID]; ok {
			c.Nodes[i].Weight = &w
		}
		if m, ok := e.AHP[c.Nodes[i].ID]; ok && c.Nodes[i].AHP != nil {
			spec := *c.Nodes[i].AHP
			spec.Matrix = make([][]evaluate.Ratio, len(m))
			for r := range m {
				spec.Matrix[r] = make([]evaluate.Ratio, len(m[r]))
				for k := range m[r] {
					spec.Matrix[r][k] = evaluate.Ratio(m[r][k])
				}
			}
			c.Nodes[i].AHP = &spec
		}
	}
	for i := range c.Indicators {
		if w, ok := e.Weights[c.Indicators[i].ID]; ok {
			c.Indicators[i].Weight = &w
		}
	}
	text, err := MarshalFramework(&c)
	if err != nil {
		return "", err
	}
	if _, err := evaluate.ParseFramework(strings.NewReader(text)); err != nil {
		return "", err
	}
	return text, nil
}
