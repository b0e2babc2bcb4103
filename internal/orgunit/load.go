package orgunit

import (
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"

	"zhihui/internal/store"
)

//go:embed data/henan-divisions-2023.csv.gz
var divisionsGz []byte

// PilotCounties are the 省直管县（市） pilot counties.
var PilotCounties = Group{
	Code: "PILOT", Name: "省直管县（市）", NameEn: "Directly administered pilot counties",
	Members: []string{"410181", "410225", "410482", "410526", "410783", "411381", "411481", "411525", "411628", "411729"},
}

// Divisions parses the embedded NBS 2023 division list of Henan.
func Divisions() ([]Unit, error) {
	zr, err := gzip.NewReader(bytes.NewReader(divisionsGz))
	if err != nil {
		return nil, err
	}
	return parseDivisions(zr)
}

func parseDivisions(r io.Reader) ([]Unit, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("orgunit: divisions header: %w", err)
	}
	if len(head) < 4 || head[0] != "code" || head[1] != "name" || head[2] != "level" || head[3] != "parent_code" {
		return nil, fmt.Errorf("orgunit: divisions header %v, want code,name,level,parent_code", head)
	}
	var out []Unit
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("orgunit: divisions: %w", err)
		}
		lvl, ok := LevelOf[rec[2]]
		if !ok || rec[2] == Department {
			return nil, fmt.Errorf("orgunit: divisions line %d: unknown level %q", len(out)+2, rec[2])
		}
		out = append(out, Unit{Code: rec[0], Name: rec[1], Kind: rec[2], Level: lvl, Parent: rec[3]})
	}
	return out, nil
}

// Build fills in Path and ChildCount of units, checking that every parent
// exists and the hierarchy has no cycle. Units are returned ordered by path.
func Build(units []Unit) ([]Unit, error) {
	idx := make(map[string]int, len(units))
	for i, u := range units {
		if u.Code == "" {
			return nil, fmt.Errorf("orgunit: unit %d has no code", i)
		}
		if _, dup := idx[u.Code]; dup {
			return nil, fmt.Errorf("orgunit: code %s appears twice", u.Code)
		}
		idx[u.Code] = i
	}
	var pathOf func(i, depth int) (string, error)
	pathOf = func(i, depth int) (string, error) {
		u := &units[i]
		if u.Path != "" {
			return u.Path, nil
		}
		if depth > 10 {
			return "", fmt.Errorf("orgunit: hierarchy too deep or cyclic at %s", u.Code)
		}
		if u.Parent == "" {
			u.Path = "/" + u.Code + "/"
			return u.Path, nil
		}
		p, ok := idx[u.Parent]
		if !ok {
			return "", fmt.Errorf("orgunit: %s has unknown parent %s", u.Code, u.Parent)
		}
		pp, err := pathOf(p, depth+1)
		if err != nil {
			return "", err
		}
		u.Path = pp + u.Code + "/"
		return u.Path, nil
	}
	for i := range units {
		units[i].Path, units[i].ChildCount = "", 0
	}
	for i := range units {
		if _, err := pathOf(i, 0); err != nil {
			return nil, err
		}
	}
	for _, u := range units {
		if u.Parent != "" {
			units[idx[u.Parent]].ChildCount++
		}
	}
	sort.Slice(units, func(a, b int) bool { return units[a].Path < units[b].Path })
	return units, nil
}

// Loaded reports whether the hierarchy is in the store.
func Loaded(ctx context.Context, db *store.DB) (bool, error) {
	var n int
	err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM orgunit WHERE code = $1", Root).Scan(&n)
	return n > 0, err
}

// Load writes the Henan divisions plus extra units (the provincial
// departments) and groups into an empty store in one transaction.
func Load(ctx context.Context, db *store.DB, extra []Unit, groups []Group) (int, error) {
	divs, err := Divisions()
	if err != nil {
		return 0, err
	}
	for _, u := range extra {
		if u.Kind == "" {
			u.Kind = Department
		}
		if u.Parent == "" {
			u.Parent = Root
		}
		u.Level = LevelOf[u.Kind]
		divs = append(divs, u)
	}
	units, err := Build(divs)
	if err != nil {
		return 0, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		_, err := db.Copy(ctx, tx, "orgunit", []string{"code", "name", "name_en", "kind", "level", "parent_code", "path", "child_count"},
			func(yield func([]any) error) error {
				row := make([]any, 8)
				for _, u := range units {
					var parent any
					if u.Parent != "" {
						parent = u.Parent
					}
					row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7] = u.Code, u.Name, u.NameEn, u.Kind, u.Level, parent, u.Path, u.ChildCount
					if err := yield(row); err != nil {
						return err
					}
				}
				return nil
			})
		if err != nil {
			return err
		}
		for _, g := range groups {
			if _, err := tx.ExecContext(ctx, "INSERT INTO orgunit_group (code, name, name_en) VALUES ($1, $2, $3)", g.Code, g.Name, g.NameEn); err != nil {
				return err
			}
			for _, m := range g.Members {
				if _, err := tx.ExecContext(ctx, "INSERT INTO orgunit_group_member (group_code, unit_code) VALUES ($1, $2)", g.Code, m); err != nil {
					return fmt.Errorf("group %s member %s: %w", g.Code, m, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("orgunit: load: %w", err)
	}
	return len(units), nil
}
