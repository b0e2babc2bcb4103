package evaluate

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Dataset holds indicator values per unit and year, dense: for every year a
// units × series matrix with NaN for missing. Series are the columns of the
// data: framework indicators and any extra series (denominators).
type Dataset struct {
	Units  []string          `json:"units"`
	Groups map[string]string `json:"groups,omitempty"` // unit → group (for group-mean imputation, peer comparison)
	Series []string          `json:"series"`
	Years  []int             `json:"years"`

	unitIdx   map[string]int
	seriesIdx map[string]int
	data      map[int][]float64 // year → row-major len(Units)*len(Series)
}

// NewDataset makes an empty dense dataset with the given units, series and
// years; fill it with [Dataset.Set]. All values start missing.
func NewDataset(units, series []string, years []int) *Dataset {
	d := &Dataset{Units: units, Series: series, Years: append([]int(nil), years...), Groups: map[string]string{}}
	sort.Ints(d.Years)
	d.index()
	d.data = make(map[int][]float64, len(years))
	for _, y := range d.Years {
		v := make([]float64, len(units)*len(series))
		for i := range v {
			v[i] = math.NaN()
		}
		d.data[y] = v
	}
	return d
}

func (d *Dataset) index() {
	d.unitIdx = make(map[string]int, len(d.Units))
	for i, u := range d.Units {
		d.unitIdx[u] = i
	}
	d.seriesIdx = make(map[string]int, len(d.Series))
	for i, s := range d.Series {
		d.seriesIdx[s] = i
	}
}

// Set stores a value. Unknown unit, series or year is an error.
func (d *Dataset) Set(unit string, year int, series string, v float64) error {
	u, ok1 := d.unitIdx[unit]
	s, ok2 := d.seriesIdx[series]
	row, ok3 := d.data[year]
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("evaluate: set %s/%d/%s: not in the dataset", unit, year, series)
	}
	row[u*len(d.Series)+s] = v
	return nil
}

// Value returns a value, NaN if missing or unknown.
func (d *Dataset) Value(unit string, year int, series string) float64 {
	u, ok1 := d.unitIdx[unit]
	s, ok2 := d.seriesIdx[series]
	row, ok3 := d.data[year]
	if !ok1 || !ok2 || !ok3 {
		return math.NaN()
	}
	return row[u*len(d.Series)+s]
}

// column copies the values of a series for a year into dst (len(Units)).
func (d *Dataset) column(year int, series string, dst []float64) bool {
	s, ok := d.seriesIdx[series]
	row, ok2 := d.data[year]
	if !ok || !ok2 {
		for i := range dst {
			dst[i] = math.NaN()
		}
		return false
	}
	ns := len(d.Series)
	for u := range d.Units {
		dst[u] = row[u*ns+s]
	}
	return true
}

// HasSeries reports whether the dataset has a column for the series.
func (d *Dataset) HasSeries(s string) bool { _, ok := d.seriesIdx[s]; return ok }

type obs struct {
	unit   string
	year   int
	series string
	v      float64
}

// ReadCSV reads a dataset from CSV, in long form (header unit,year,indicator,value
// and optionally group) or wide form (header unit,year,IND1,IND2,… and
// optionally group). Empty cells and "NA", "NaN", "-", ".." are missing.
// Errors name the row and column (1-based, header is row 1).
func ReadCSV(r io.Reader) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, csvErr("csv_header", 1, "", "无法读取 CSV 表头：%s", "cannot read the CSV header: %s", err.Error())
	}
	orig := make([]string, len(head))
	for i, h := range head {
		orig[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		head[i] = h
		col[h] = i
	}
	ui, okU := col["unit"]
	yi, okY := col["year"]
	if !okU || !okY {
		return nil, csvErr("csv_header", 1, "", "CSV 表头必须含 unit 和 year 列", "the CSV header must have unit and year columns")
	}
	gi, hasG := col["group"]
	ii, okI := col["indicator"]
	vi, okV := col["value"]
	long := okI && okV
	var all []obs
	groups := map[string]string{}
	line := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line++
		if err != nil {
			return nil, csvErr("csv_row", line, "", "无法解析：%s", "cannot be parsed: %s", err.Error())
		}
		if len(rec) != len(head) {
			return nil, csvErr("csv_row", line, "", "有 %d 列，表头有 %d 列", "has %d fields, the header has %d", len(rec), len(head))
		}
		unit := strings.TrimSpace(rec[ui])
		if unit == "" {
			return nil, csvErr("csv_unit", line, "unit", "unit 为空", "unit is empty")
		}
		year, err := strconv.Atoi(strings.TrimSpace(rec[yi]))
		if err != nil || year < 1000 || year > 9999 {
			return nil, csvErr("csv_year", line, "year", "年份 %q 无效", "year %q is not valid", rec[yi])
		}
		if hasG {
			if g := strings.TrimSpace(rec[gi]); g != "" {
				groups[unit] = g
			}
		}
		if long {
			name := strings.TrimSpace(rec[ii])
			if name == "" {
				return nil, csvErr("csv_indicator", line, "indicator", "indicator 为空", "indicator is empty")
			}
			v, err := parseCell(rec[vi])
			if err != nil {
				return nil, csvErr("csv_value", line, "value", "数值 %q 无效", "value %q is not a number", rec[vi])
			}
			all = append(all, obs{unit, year, name, v})
			continue
		}
		for c := range head {
			if c == ui || c == yi || (hasG && c == gi) {
				continue
			}
			v, err := parseCell(rec[c])
			if err != nil {
				return nil, csvErr("csv_value", line, orig[c], "数值 %q 无效", "value %q is not a number", rec[c])
			}
			all = append(all, obs{unit, year, orig[c], v})
		}
	}
	if len(all) == 0 {
		return nil, errf("csv_empty", "", "CSV 没有数据行", "the CSV has no data rows")
	}
	return buildDataset(all, groups)
}

func parseCell(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "na", "nan", "-", "..", "null":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return v, nil
}

func buildDataset(all []obs, groups map[string]string) (*Dataset, error) {
	var units, series []string
	seenU, seenS, seenY := map[string]bool{}, map[string]bool{}, map[int]bool{}
	var years []int
	for _, o := range all {
		if !seenU[o.unit] {
			seenU[o.unit] = true
			units = append(units, o.unit)
		}
		if !seenS[o.series] {
			seenS[o.series] = true
			series = append(series, o.series)
		}
		if !seenY[o.year] {
			seenY[o.year] = true
			years = append(years, o.year)
		}
	}
	d := NewDataset(units, series, years)
	for u, g := range groups {
		d.Groups[u] = g
	}
	seen := make(map[obs]bool)
	for _, o := range all {
		k := obs{o.unit, o.year, o.series, 0}
		if seen[k] {
			return nil, errf("csv_duplicate", fmt.Sprintf("%s/%d/%s", o.unit, o.year, o.series), "数据重复：%s %d 年的 %s 出现多次", "duplicate value: %[3]s of %[1]s in %[2]d appears more than once", o.unit, o.year, o.series)
		}
		seen[k] = true
		_ = d.Set(o.unit, o.year, o.series, o.v)
	}
	return d, nil
}
