package plan

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
)

// Department is a provincial department that leads or takes part in tasks.
// Code is its org-unit code ("41D-GXT").
type Department struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

//go:embed departments.csv
var departmentsCSV string

var departments = sync.OnceValues(func() ([]Department, error) {
	return parseDepartments(departmentsCSV)
})

// Departments returns the departments named by plan tasks, in the order of
// departments.csv (code,name,name_en). The slice is a fresh copy. It panics
// if the embedded file is malformed, which the package tests rule out.
func Departments() []Department {
	ds, err := departments()
	if err != nil {
		panic(err)
	}
	out := make([]Department, len(ds))
	copy(out, ds)
	return out
}

// LookupDepartment returns the department with the given code.
func LookupDepartment(code string) (Department, bool) {
	ds, err := departments()
	if err != nil {
		panic(err)
	}
	for _, d := range ds {
		if d.Code == code {
			return d, true
		}
	}
	return Department{}, false
}

func parseDepartments(text string) ([]Department, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = 3
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("plan: read departments.csv: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != "code,name,name_en" {
		return nil, fmt.Errorf("plan: departments.csv: header must be code,name,name_en")
	}
	seen := map[string]bool{}
	var ds []Department
	for i, row := range rows[1:] {
		d := Department{Code: row[0], Name: row[1], NameEn: row[2]}
		if !departmentCode.MatchString(d.Code) || d.Name == "" || d.NameEn == "" {
			return nil, fmt.Errorf("plan: departments.csv line %d: bad row %q", i+2, row)
		}
		if seen[d.Code] {
			return nil, fmt.Errorf("plan: departments.csv line %d: duplicate code %s", i+2, d.Code)
		}
		seen[d.Code] = true
		ds = append(ds, d)
	}
	return ds, nil
}
