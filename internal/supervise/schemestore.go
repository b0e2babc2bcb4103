package supervise

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// SchemeVersion is one saved text of the scoring schemes.
type SchemeVersion struct {
	ID      int64     `json:"id"`
	YAML    string    `json:"yaml"`
	SavedBy string    `json:"saved_by"`
	SavedAt time.Time `json:"saved_at"`
}

// DefaultSchemeYAML is the embedded scoring schemes' text.
func DefaultSchemeYAML() string { return string(defaultScheme) }

// CurrentSchemes returns the schemes the office saved last, or the
// embedded ones when it never saved any, with the saved version (nil for
// the embedded text).
func (s *Service) CurrentSchemes(ctx context.Context) (*Schemes, *SchemeVersion, error) {
	var v SchemeVersion
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, yaml, saved_by, saved_at FROM supervise_scheme ORDER BY id DESC LIMIT 1`).
		Scan(&v.ID, &v.YAML, &v.SavedBy, &v.SavedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultSchemes(), nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("supervise: schemes: %w", err)
	}
	sc, err := ParseSchemes([]byte(v.YAML))
	if err != nil {
		return nil, nil, fmt.Errorf("supervise: saved scheme %d: %w", v.ID, err)
	}
	v.SavedAt = v.SavedAt.UTC()
	return sc, &v, nil
}

// SchemeVersions lists the saved texts, newest first.
func (s *Service) SchemeVersions(ctx context.Context) ([]SchemeVersion, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, saved_by, saved_at FROM supervise_scheme ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("supervise: scheme versions: %w", err)
	}
	defer rows.Close()
	var out []SchemeVersion
	for rows.Next() {
		var v SchemeVersion
		if err := rows.Scan(&v.ID, &v.SavedBy, &v.SavedAt); err != nil {
			return nil, err
		}
		v.SavedAt = v.SavedAt.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// MaxSchemeYAML bounds a scheme's text.
const MaxSchemeYAML = 64 << 10

// SaveSchemes checks text and saves it as the schemes' new version. It is
// refused when it would change the scheme of a year whose assessment is
// final: a closed year always recomputes to the same result.
func (s *Service) SaveSchemes(ctx context.Context, a audit.Actor, text string) error {
	if len(text) > MaxSchemeYAML {
		return i18n.Errorf("评分方案最多 %d KB", "the scoring scheme is at most %d KB", MaxSchemeYAML>>10).OnField("yaml")
	}
	next, err := ParseSchemes([]byte(text))
	if ue := (*i18n.Error)(nil); errors.As(err, &ue) {
		return ue.OnField("yaml")
	} else if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "supervise_scheme"); err != nil {
			return err
		}
		prev, pv, err := s.CurrentSchemes(ctx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT year FROM supervise_publication WHERE state = $1 ORDER BY year`, PubFinal)
		if err != nil {
			return err
		}
		var final []int
		for rows.Next() {
			var y int
			if err := rows.Scan(&y); err != nil {
				rows.Close()
				return err
			}
			final = append(final, y)
		}
		rows.Close()
		for _, y := range final {
			a, aok := prev.For(y)
			b, bok := next.For(y)
			if aok != bok || !reflect.DeepEqual(a.Parts, b.Parts) {
				return i18n.Errorf("%d 年考核结果已终审，不能改变该年适用的评分方案；请为以后年度新增一个方案（from: 以后的年度）",
					"the %d assessment is final and its scheme cannot change; add a scheme for later years (from: a later year) instead", y).OnField("yaml")
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO supervise_scheme (yaml, saved_by, saved_at) VALUES ($1, $2, $3)`, text, a.Name, s.stamp()); err != nil {
			return err
		}
		before := map[string]any{"version": "embedded"}
		if pv != nil {
			before = map[string]any{"version": pv.ID}
		}
		return audit.Record(ctx, tx, a, "save", "supervise_scheme", "", "/"+orgunit.Root+"/", before, map[string]any{"yaml": text})
	})
}
