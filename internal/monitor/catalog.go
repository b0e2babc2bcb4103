package monitor

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"zhihui/internal/audit"
	"zhihui/internal/store"
)

//go:embed catalog.yaml
var catalogYAML []byte

//go:embed data/henan-actuals.csv
var actualsCSV []byte

// ActualSource ties an element to rows of data/henan-actuals.csv.
type ActualSource struct {
	Code    string `yaml:"code"`
	NameHas string `yaml:"name_has,omitempty"`
}

// CatalogElement is an element of the embedded catalogue with the
// published series it is filled from.
type CatalogElement struct {
	Element `yaml:",inline"`
	Actuals []ActualSource `yaml:"actuals,omitempty"`
}

// Catalog is the embedded set of elements and indicators.
type Catalog struct {
	Elements   []CatalogElement `yaml:"elements"`
	Indicators []Indicator      `yaml:"indicators"`
}

// DefaultCatalog parses the embedded catalogue and checks every entry.
func DefaultCatalog() (*Catalog, error) {
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(catalogYAML))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("monitor: catalog: %w", err)
	}
	codes := map[string]bool{}
	for _, e := range c.Elements {
		if errs := ValidateElement(e.Element); len(errs) > 0 {
			return nil, fmt.Errorf("monitor: catalog element %s: %v", e.Code, errs[0])
		}
		if codes[e.Code] {
			return nil, fmt.Errorf("monitor: catalog: code %s twice", e.Code)
		}
		codes[e.Code] = true
	}
	for _, i := range c.Indicators {
		if errs := ValidateIndicator(i, func(code string) bool { return codes[code] }); len(errs) > 0 {
			return nil, fmt.Errorf("monitor: catalog indicator %s: %v", i.Code, errs[0])
		}
		if codes[i.Code] {
			return nil, fmt.Errorf("monitor: catalog: code %s twice", i.Code)
		}
		codes[i.Code] = true
	}
	return &c, nil
}

// Actual is one row of the published figures file.
type Actual struct {
	Code, NameZh, Unit, OrgCode, Year, Value, SourceTitle, SourceURL, Note string
}

// Actuals parses the embedded data/henan-actuals.csv.
func Actuals() ([]Actual, error) {
	r := csv.NewReader(bytes.NewReader(actualsCSV))
	head, err := r.Read()
	if err != nil || len(head) != 9 || head[0] != "indicator_code" {
		return nil, fmt.Errorf("monitor: actuals header %v: %v", head, err)
	}
	var out []Actual
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("monitor: actuals: %w", err)
		}
		out = append(out, Actual{rec[0], rec[1], rec[2], rec[3], rec[4], rec[5], rec[6], rec[7], rec[8]})
	}
}

// InstallCatalog adds the elements and indicators of the embedded
// catalogue that the store lacks (existing codes are left as users edited
// them) and, for each element it adds, loads its published figures. It is
// safe to call on every start.
func InstallCatalog(ctx context.Context, db *store.DB) error {
	c, err := DefaultCatalog()
	if err != nil {
		return err
	}
	have, err := elementMap(ctx, db.R)
	if err != nil {
		return err
	}
	inds, err := listIndicators(ctx, db.R)
	if err != nil {
		return err
	}
	haveInd := map[string]bool{}
	for _, i := range inds {
		haveInd[i.Code] = true
	}
	actor := audit.Actor{Name: "system"}
	added := map[string]CatalogElement{}
	for _, e := range c.Elements {
		if _, ok := have[e.Code]; ok {
			continue
		}
		if _, err := SaveElement(ctx, db, actor, e.Element); err != nil {
			return fmt.Errorf("monitor: install %s: %w", e.Code, err)
		}
		added[e.Code] = e
	}
	for _, i := range c.Indicators {
		if haveInd[i.Code] {
			continue
		}
		if _, err := SaveIndicator(ctx, db, actor, i); err != nil {
			return fmt.Errorf("monitor: install %s: %w", i.Code, err)
		}
	}
	if len(added) == 0 {
		return nil
	}
	vals, err := actualValues(c, added)
	if err != nil {
		return err
	}
	if len(vals) == 0 {
		return nil
	}
	return SaveValues(ctx, db, actor, vals)
}

// actualValues maps the published figures onto the given elements. When
// a file holds two figures for one (element, unit, year) the first is
// kept, the way the file lists its preferred source first.
func actualValues(c *Catalog, only map[string]CatalogElement) ([]Value, error) {
	rows, err := Actuals()
	if err != nil {
		return nil, err
	}
	var out []Value
	seen := map[string]bool{}
	for _, e := range c.Elements {
		if _, ok := only[e.Code]; !ok {
			continue
		}
		for _, src := range e.Actuals {
			for _, a := range rows {
				if a.Code != src.Code || (src.NameHas != "" && !strings.Contains(a.NameZh, src.NameHas)) {
					continue
				}
				k := e.Code + "/" + a.OrgCode + "/" + a.Year
				if seen[k] {
					continue
				}
				seen[k] = true
				comment := a.SourceTitle
				if a.Note != "" {
					comment = a.Note + "；" + comment
				}
				if a.SourceURL != "" {
					comment += " " + a.SourceURL
				}
				out = append(out, Value{DataElement: e.Code, OrgUnit: a.OrgCode, Period: a.Year, Value: a.Value, Comment: comment})
			}
		}
	}
	return out, nil
}
