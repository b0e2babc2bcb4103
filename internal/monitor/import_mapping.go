package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// Column mappings: a header text of a report template that names no
// element (a county's own wording) is mapped to an element once, by the
// office, in the import preview; the mapping is kept per template (the
// whole header's wording) and applied the next time the same template is
// imported.

// Ignore maps a column to nothing: it is read past, as before it was
// mapped, but no longer listed as unmatched.
const Ignore = "-"

// Unmatched is a header column that names no element.
type Unmatched struct {
	Col   string `json:"column"`
	Label string `json:"label"` // parents and child, "城镇家庭 / 户数（户）"
}

// Mapping is one saved header text → element of a template.
type Mapping struct {
	Template string `json:"template"`
	Label    string `json:"label"`
	Element  string `json:"element"` // element code, or Ignore
}

// templateKey identifies a report template by its header's wording.
func templateKey(labels []string) string {
	h := sha256.Sum256([]byte(strings.Join(labels, "\x1f")))
	return hex.EncodeToString(h[:8])
}

// mappings loads every saved mapping: template → label → element code.
func mappings(ctx context.Context, db *store.DB) (map[string]map[string]string, error) {
	rows, err := db.R.QueryContext(ctx, "SELECT template, label, element_code FROM monitor_import_mapping")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]string{}
	for rows.Next() {
		var t, l, e string
		if err := rows.Scan(&t, &l, &e); err != nil {
			return nil, err
		}
		if out[t] == nil {
			out[t] = map[string]string{}
		}
		out[t][l] = e
	}
	return out, rows.Err()
}

// maxMappingLabel bounds a mapped header text.
const maxMappingLabel = 200

// SaveMappings stores header → element mappings of a template (replacing
// earlier ones for the same texts), audited.
func SaveMappings(ctx context.Context, db *store.DB, actor audit.Actor, ms []Mapping) error {
	if len(ms) == 0 {
		return i18n.Errorf("没有要保存的列对应关系", "no column mappings to save")
	}
	if len(ms) > 500 {
		return i18n.Errorf("一次最多保存 500 个列对应关系", "at most 500 column mappings at once")
	}
	for _, m := range ms {
		if len(m.Template) != 16 || m.Label == "" || len(m.Label) > maxMappingLabel {
			return i18n.Errorf("列对应关系无效：%q", "invalid column mapping: %q", m.Label)
		}
		if m.Element == Ignore {
			continue
		}
		if _, err := GetElement(ctx, db, m.Element); err != nil {
			return i18n.Errorf("未知的数据元 %q", "unknown data element %q", m.Element)
		}
	}
	return db.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		for _, m := range ms {
			if _, err := tx.ExecContext(ctx, `INSERT INTO monitor_import_mapping (template, label, element_code, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (template, label) DO UPDATE SET element_code = excluded.element_code, created_by = excluded.created_by, created_at = excluded.created_at`,
				m.Template, m.Label, m.Element, actor.UserID, now); err != nil {
				return fmt.Errorf("monitor: save mapping: %w", err)
			}
		}
		return audit.Record(ctx, tx, actor, "update", "import_mapping", ms[0].Template, "", nil, ms)
	})
}
