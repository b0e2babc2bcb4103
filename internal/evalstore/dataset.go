package evalstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/store"
)

// DataSource supplies indicator values to the engine. A stored dataset is
// one; the monitoring module can be another. Empty units or years mean
// "all that the source has".
type DataSource interface {
	Values(ctx context.Context, indicators []string, units []string, years []int) (*evaluate.Dataset, error)
}

// DatasetInfo describes a stored dataset.
type DatasetInfo struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Note      string    `json:"note,omitempty"`
	Synthetic bool      `json:"synthetic"`
	OrgPath   string    `json:"org_path"`
	Units     int       `json:"units"`
	Series    int       `json:"series"`
	FirstYear int       `json:"first_year"`
	LastYear  int       `json:"last_year"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}

// maxUpload bounds the cells of an uploaded dataset.
const maxUpload = 2_000_000

// ReadUpload reads a dataset from an uploaded file: CSV, or the first
// sheet of an XLSX workbook, in long or wide form (see [evaluate.ReadCSV]).
// Errors name the row and column.
func ReadUpload(filename string, r io.Reader) (*evaluate.Dataset, error) {
	switch strings.ToLower(path.Ext(filename)) {
	case ".xlsx":
		f, err := excelize.OpenReader(r)
		if err != nil {
			return nil, i18n.Errorf("无法读取 XLSX 文件：%v", "cannot read the XLSX file: %v", err)
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, i18n.Errorf("XLSX 文件没有工作表", "the XLSX file has no sheet")
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return nil, i18n.Errorf("无法读取工作表 %s：%v", "cannot read sheet %s: %v", sheets[0], err)
		}
		width := 0
		for _, row := range rows {
			width = max(width, len(row))
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		for _, row := range rows {
			for len(row) < width {
				row = append(row, "")
			}
			w.Write(row)
		}
		w.Flush()
		return readCSV(&b)
	case ".csv", ".txt", "":
		return readCSV(r)
	}
	return nil, i18n.Errorf("不支持的文件类型 %q：请上传 CSV 或 XLSX", "unsupported file type %q: upload CSV or XLSX", path.Ext(filename))
}

func readCSV(r io.Reader) (*evaluate.Dataset, error) {
	d, err := evaluate.ReadCSV(r)
	if err != nil {
		return nil, err
	}
	if len(d.Units)*len(d.Series)*len(d.Years) > maxUpload {
		return nil, i18n.Errorf("数据集过大：%d 个单位 × %d 个指标 × %d 年超过 %d 个单元格", "the dataset is too large: %d units × %d series × %d years exceeds %d cells", len(d.Units), len(d.Series), len(d.Years), maxUpload)
	}
	return d, nil
}

// SaveDataset stores d under a new name. orgPath is the unit the dataset
// belongs to.
func SaveDataset(ctx context.Context, db *store.DB, actor audit.Actor, name, note, orgPath string, synthetic bool, d *evaluate.Dataset) (*DatasetInfo, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return nil, i18n.Errorf("数据集名称不能为空，且不超过 100 个字符", "the dataset name must be 1–100 characters").OnField("name")
	}
	if len(d.Units) == 0 || len(d.Years) == 0 {
		return nil, i18n.Errorf("数据集是空的", "the dataset is empty")
	}
	info := &DatasetInfo{Name: name, Note: note, Synthetic: synthetic, OrgPath: orgPath, Units: len(d.Units), Series: len(d.Series),
		FirstYear: d.Years[0], LastYear: d.Years[len(d.Years)-1], CreatedAt: store.Now(), CreatedBy: actor.Name}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM evaluate_dataset WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return i18n.Errorf("已有名为 %q 的数据集", "a dataset named %q exists already", name).OnField("name")
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO evaluate_dataset (name, note, synthetic, org_path, units, series, first_year, last_year, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			name, note, synthetic, orgPath, info.Units, info.Series, info.FirstYear, info.LastYear, info.CreatedAt, info.CreatedBy).Scan(&info.ID)
		if err != nil {
			return fmt.Errorf("evalstore: insert dataset: %w", err)
		}
		if _, err := db.Copy(ctx, tx, "evaluate_dataset_unit", []string{"dataset_id", "ord", "unit", "grp"}, func(yield func([]any) error) error {
			for i, u := range d.Units {
				if err := yield([]any{info.ID, i, u, d.Groups[u]}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("evalstore: dataset units: %w", err)
		}
		if _, err := db.Copy(ctx, tx, "evaluate_value", []string{"dataset_id", "unit", "year", "series", "value"}, func(yield func([]any) error) error {
			for _, y := range d.Years {
				for _, u := range d.Units {
					for _, s := range d.Series {
						v := d.Value(u, y, s)
						if math.IsNaN(v) || math.IsInf(v, 0) {
							continue
						}
						if err := yield([]any{info.ID, u, y, s, v}); err != nil {
							return err
						}
					}
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("evalstore: dataset values: %w", err)
		}
		return audit.Record(ctx, tx, actor, "create", "evaluate_dataset", fmt.Sprint(info.ID), orgPath, nil, info)
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

const datasetCols = "id, name, note, synthetic, org_path, units, series, first_year, last_year, created_at, created_by"

func scanDataset(sc interface{ Scan(...any) error }) (DatasetInfo, error) {
	var d DatasetInfo
	err := sc.Scan(&d.ID, &d.Name, &d.Note, &d.Synthetic, &d.OrgPath, &d.Units, &d.Series, &d.FirstYear, &d.LastYear, &d.CreatedAt, &d.CreatedBy)
	if d.Synthetic && d.Note == legacyDemoNote {
		d.Note = ""
	}
	return d, err
}

// Datasets lists the stored datasets, newest first.
func Datasets(ctx context.Context, db *store.DB) ([]DatasetInfo, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT `+datasetCols+` FROM evaluate_dataset ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("evalstore: datasets: %w", err)
	}
	defer rows.Close()
	var out []DatasetInfo
	for rows.Next() {
		d, err := scanDataset(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// GetDataset returns one dataset's description.
func GetDataset(ctx context.Context, db *store.DB, id int64) (DatasetInfo, error) {
	d, err := scanDataset(db.R.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM evaluate_dataset WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	return d, err
}

// DatasetByName finds a dataset by its name.
func DatasetByName(ctx context.Context, db *store.DB, name string) (DatasetInfo, error) {
	d, err := scanDataset(db.R.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM evaluate_dataset WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return d, ErrNotFound
	}
	return d, err
}

// Stored is a stored dataset as a DataSource.
type Stored struct {
	DB *store.DB
	ID int64
}

// Values loads the dataset, restricted to the given indicators (plus
// nothing else), units and years when they are not empty.
func (s Stored) Values(ctx context.Context, indicators, units []string, years []int) (*evaluate.Dataset, error) {
	if _, err := GetDataset(ctx, s.DB, s.ID); err != nil {
		return nil, err
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT unit, grp FROM evaluate_dataset_unit WHERE dataset_id = $1 ORDER BY ord`, s.ID)
	if err != nil {
		return nil, fmt.Errorf("evalstore: dataset units: %w", err)
	}
	var us []string
	groups := map[string]string{}
	for rows.Next() {
		var u, g string
		if err := rows.Scan(&u, &g); err != nil {
			rows.Close()
			return nil, err
		}
		if len(units) > 0 && !slices.Contains(units, u) {
			continue
		}
		us = append(us, u)
		if g != "" {
			groups[u] = g
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	type val struct {
		unit, series string
		year         int
		v            float64
	}
	var vals []val
	seriesSet := map[string]bool{}
	yearSet := map[int]bool{}
	want := map[string]bool{}
	for _, u := range us {
		want[u] = true
	}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT unit, year, series, value FROM evaluate_value WHERE dataset_id = $1`, s.ID)
	if err != nil {
		return nil, fmt.Errorf("evalstore: dataset values: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v val
		if err := rows.Scan(&v.unit, &v.year, &v.series, &v.v); err != nil {
			return nil, err
		}
		if !want[v.unit] || (len(indicators) > 0 && !slices.Contains(indicators, v.series)) || (len(years) > 0 && !slices.Contains(years, v.year)) {
			continue
		}
		seriesSet[v.series] = true
		yearSet[v.year] = true
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var series []string
	if len(indicators) > 0 {
		series = slices.Clone(indicators)
	} else {
		for k := range seriesSet {
			series = append(series, k)
		}
		slices.Sort(series)
	}
	var ys []int
	for y := range yearSet {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	d := evaluate.NewDataset(us, series, ys)
	for u, g := range groups {
		d.Groups[u] = g
	}
	for _, v := range vals {
		if err := d.Set(v.unit, v.year, v.series, v.v); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// LoadDataset loads a whole stored dataset.
func LoadDataset(ctx context.Context, db *store.DB, id int64) (*evaluate.Dataset, error) {
	return Stored{DB: db, ID: id}.Values(ctx, nil, nil, nil)
}

// Subset returns the part of d whose units keep says to keep (all series
// and years, groups carried over).
func Subset(d *evaluate.Dataset, keep func(unit string) bool) *evaluate.Dataset {
	var us []string
	for _, u := range d.Units {
		if keep(u) {
			us = append(us, u)
		}
	}
	out := evaluate.NewDataset(us, slices.Clone(d.Series), d.Years)
	for _, u := range us {
		if g, ok := d.Groups[u]; ok {
			out.Groups[u] = g
		}
		for _, y := range d.Years {
			for _, s := range d.Series {
				if v := d.Value(u, y, s); !math.IsNaN(v) {
					out.Set(u, y, s, v)
				}
			}
		}
	}
	return out
}

// DeleteDataset removes a stored dataset and its values.
func DeleteDataset(ctx context.Context, db *store.DB, actor audit.Actor, id int64) error {
	return db.InTx(ctx, func(tx *store.Tx) error {
		d, err := scanDataset(tx.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM evaluate_dataset WHERE id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM evaluate_value WHERE dataset_id = $1`, `DELETE FROM evaluate_dataset_unit WHERE dataset_id = $1`, `DELETE FROM evaluate_dataset WHERE id = $1`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("evalstore: delete dataset %d: %w", id, err)
			}
		}
		return audit.Record(ctx, tx, actor, "delete", "evaluate_dataset", fmt.Sprint(id), d.OrgPath, d, nil)
	})
}
