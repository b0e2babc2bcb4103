package publiceval

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/spreadsheet"
	"zhihui/internal/store"
)

// Volume is the number of service cases (办件量) one service or
// disclosure target handled in one month: the denominator of the
// 主动评价率.
type Volume struct {
	Target  string `json:"target"` // target key
	Month   string `json:"month"`  // YYYYMM
	Handled int64  `json:"handled"`

	// Filled in by [Volumes].
	Name    string `json:"name,omitempty"`
	OrgCode string `json:"org_code,omitempty"`
	Rated   int64  `json:"rated"`                 // valid ratings of the target in the month
	Active  string `json:"active_rate,omitempty"` // Rated ÷ Handled as "12.5%", "—" without cases
	Demo    bool   `json:"demo,omitempty"`

	row int // where it is in its file
}

// ActiveRate is the valid ratings per case handled.
func (v Volume) ActiveRate() Rate { return Rate{v.Rated, v.Handled} }

// VolumeColumns are the columns of a volume file, in the order exports
// write them: the target's key, its name and unit (both for reading
// only: the key decides), the month and the cases handled.
var VolumeColumns = []string{"target", "name", "unit", "month", "handled"}

// volumeAliases are the Chinese headers accepted.
var volumeAliases = map[string]string{
	"评价对象": "target", "事项编码": "target", "对象编码": "target",
	"名称": "name", "事项名称": "name", "对象名称": "name",
	"单位": "unit", "单位代码": "unit",
	"月份": "month", "统计月份": "month",
	"办件量": "handled", "办件数": "handled", "办件量（件）": "handled",
}

// volumeIgnored are the columns an export adds after the volumes (the
// ratings and the rate), skipped when the file comes back.
var volumeIgnored = map[string]bool{"rated": true, "active_rate": true, "active rate": true, "评价数": true, "主动评价率": true}

// Limits of volumes.
const (
	MaxVolumeRows = 20_000
	MaxVolumeFile = 8 << 20
	MaxHandled    = 10_000_000 // cases of one target in one month
)

var monthRE = regexp.MustCompile(`^(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?$`)

// ParseMonth reads a month written 202603, 2026-03, 2026/3, 2026.3 or
// 2026年3月 as YYYYMM.
func ParseMonth(s string) (string, bool) {
	s = strings.TrimSpace(s)
	m := monthRE.FindStringSubmatch(s)
	if m == nil || (len(m[2]) == 1 && !strings.ContainsAny(s, "-/.年")) {
		return "", false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	if y < 2000 || y > 2100 || mo < 1 || mo > 12 {
		return "", false
	}
	return fmt.Sprintf("%04d%02d", y, mo), true
}

// ParseVolumes reads a volume file: XLSX (the first sheet) when name
// ends in .xlsx or the content is a zip archive, CSV (UTF-8, optional
// BOM) otherwise. Row 1 names the columns ([VolumeColumns] or their
// Chinese headers, in any order; target, month and handled are
// required). It returns the volumes and every problem, each at its row
// and column in both languages; the volumes are usable only without
// errors. A target and month given twice is an error.
func ParseVolumes(name string, data []byte) ([]Volume, []*i18n.Error) {
	if len(data) > MaxVolumeFile {
		return nil, []*i18n.Error{i18n.Errorf("文件超过 %d MB", "the file is larger than %d MB", MaxVolumeFile>>20)}
	}
	var rows [][]string
	sheet := ""
	if strings.HasSuffix(strings.ToLower(name), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 64 << 20, UnzipXMLSizeLimit: 16 << 20})
		if err != nil {
			return nil, []*i18n.Error{i18n.Errorf("无法读取 Excel 文件（应为 .xlsx）", "the Excel file cannot be read (it should be .xlsx)")}
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, []*i18n.Error{i18n.Errorf("Excel 文件没有工作表", "the Excel file has no sheet")}
		}
		sheet = sheets[0]
		it, err := f.Rows(sheet)
		if err != nil {
			return nil, []*i18n.Error{i18n.Errorf("无法读取工作表「%s」", "sheet %q cannot be read", clip(sheet, 40))}
		}
		defer it.Close()
		for it.Next() {
			if len(rows) > MaxVolumeRows+1 {
				break
			}
			cols, err := it.Columns()
			if err != nil {
				return nil, []*i18n.Error{i18n.Errorf("无法读取工作表「%s」", "sheet %q cannot be read", clip(sheet, 40))}
			}
			rows = append(rows, cols)
		}
	} else {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			return nil, []*i18n.Error{i18n.Errorf("文件不是 UTF-8 编码的文本", "the file is not UTF-8 text")}
		}
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		for {
			rec, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				line := 0
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.StartLine
				}
				return nil, []*i18n.Error{i18n.Errorf("CSV 格式错误（如引号未闭合）", "malformed CSV (such as an unclosed quote)").At(line, "")}
			}
			// csv skips empty lines: keep row numbers those of the file
			line, _ := cr.FieldPos(0)
			for len(rows) < line-1 {
				rows = append(rows, nil)
			}
			rows = append(rows, rec)
			if len(rows) > MaxVolumeRows+1 {
				break
			}
		}
	}
	vs, errs := volumesFrom(rows, 2)
	if sheet != "" {
		for i, e := range errs {
			errs[i] = e.InSheet(sheet)
		}
	}
	return vs, errs
}

// volumesFrom reads the rows of a volume file, rows[0] the header (row
// 1 of a file) and rows[1] row number first.
func volumesFrom(rows [][]string, first int) ([]Volume, []*i18n.Error) {
	if len(rows) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件是空的", "the file is empty")}
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if a, ok := volumeAliases[h]; ok {
			h = a
		}
		if volumeIgnored[h] {
			continue
		}
		known := false
		for _, c := range VolumeColumns {
			known = known || c == h
		}
		if !known {
			return nil, []*i18n.Error{i18n.Errorf("不认识的列「%s」；可用的列：%s", "unknown column %q; the columns are %s", clip(h, 40), strings.Join(VolumeColumns, ", ")).At(1, clip(h, 40))}
		}
		if _, dup := col[h]; dup {
			return nil, []*i18n.Error{i18n.Errorf("列「%s」出现了两次", "column %q appears twice", h).At(1, h)}
		}
		col[h] = i
	}
	var errs []*i18n.Error
	for _, need := range []string{"target", "month", "handled"} {
		if _, ok := col[need]; !ok {
			errs = append(errs, i18n.Errorf("缺少必需的列「%s」", "the required column %q is missing", need).At(1, need))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(rows)-1 > MaxVolumeRows {
		return nil, []*i18n.Error{i18n.Errorf("一个文件最多 %d 行办件量", "one file holds at most %d rows of case volumes", MaxVolumeRows)}
	}
	var out []Volume
	seen := map[[2]string]int{}
	for i, rec := range rows[1:] {
		row := i + first
		get := func(c string) string {
			if j, ok := col[c]; ok && j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		v := Volume{Target: get("target"), row: row}
		if v.Target == "" || len(v.Target) > 64 || !utf8.ValidString(v.Target) {
			errs = append(errs, i18n.Errorf("请填写评价对象编码（如 service-12）", "enter the target's key (such as service-12)").At(row, "target"))
		}
		m, ok := ParseMonth(get("month"))
		if !ok {
			errs = append(errs, i18n.Errorf("月份「%s」应写作 202603 或 2026-03", "the month %q is written 202603 or 2026-03", clip(get("month"), 20)).At(row, "month"))
		}
		v.Month = m
		h := strings.ReplaceAll(get("handled"), ",", "")
		n, err := strconv.ParseInt(h, 10, 64)
		if f, ferr := strconv.ParseFloat(h, 64); err != nil && ferr == nil && f == float64(int64(f)) {
			n, err = int64(f), nil // a spreadsheet's 120.0
		}
		if err != nil || n < 0 || n > MaxHandled {
			errs = append(errs, i18n.Errorf("办件量「%s」应为 0 至 %d 的整数", "the cases handled %q is a whole number from 0 to %d", clip(h, 20), MaxHandled).At(row, "handled"))
		}
		v.Handled = n
		k := [2]string{v.Target, v.Month}
		if first, dup := seen[k]; dup && ok && v.Target != "" {
			errs = append(errs, i18n.Errorf("「%s」%s 的办件量与第 %d 行重复", "the cases of %q in %s repeat row %d", clip(v.Target, 40), v.Month, first).At(row, "month"))
		} else {
			seen[k] = row
		}
		out = append(out, v)
		if len(errs) >= 200 {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(out) == 0 {
		return nil, []*i18n.Error{i18n.Errorf("文件中没有办件量", "the file holds no case volumes")}
	}
	return out, nil
}

// volumeJSONIgnored are the fields a listing adds to a volume, skipped
// when the list comes back.
var volumeJSONIgnored = map[string]bool{"org_code": true, "demo": true}

// ParseVolumesJSON reads volumes sent as JSON: an array of objects (or
// {"volumes": [...]}) with the fields of [VolumeColumns], month and
// handled as text or numbers, so a listing posted back is read as it
// is. The rows are the objects' places in the array from 1; errors are
// located at their row and field in both languages, as [ParseVolumes]
// does.
func ParseVolumesJSON(data []byte) ([]Volume, []*i18n.Error) {
	if len(data) > MaxVolumeFile {
		return nil, []*i18n.Error{i18n.Errorf("文件超过 %d MB", "the file is larger than %d MB", MaxVolumeFile>>20)}
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if bytes.HasPrefix(data, []byte("{")) {
		var wrap struct {
			Volumes json.RawMessage `json:"volumes"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil || wrap.Volumes == nil {
			return nil, []*i18n.Error{i18n.Errorf("JSON 应为办件量数组或 {\"volumes\": [...]}", "the JSON is an array of case volumes or {\"volumes\": [...]}")}
		}
		data = wrap.Volumes
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var objs []map[string]any
	if err := dec.Decode(&objs); err != nil {
		return nil, []*i18n.Error{i18n.Errorf("JSON 格式错误：应为办件量对象的数组", "malformed JSON: an array of case volume objects is expected")}
	}
	if len(objs) > MaxVolumeRows {
		return nil, []*i18n.Error{i18n.Errorf("一个文件最多 %d 行办件量", "one file holds at most %d rows of case volumes", MaxVolumeRows)}
	}
	rows := [][]string{VolumeColumns}
	var errs []*i18n.Error
	for i, o := range objs {
		rec := make([]string, len(VolumeColumns))
		for k, val := range o {
			j := slices.Index(VolumeColumns, k)
			if j < 0 {
				if !volumeIgnored[k] && !volumeJSONIgnored[k] {
					errs = append(errs, i18n.Errorf("不认识的字段「%s」；可用的字段：%s", "unknown field %q; the fields are %s", clip(k, 40), strings.Join(VolumeColumns, ", ")).At(i+1, clip(k, 40)))
				}
				continue
			}
			switch x := val.(type) {
			case nil:
			case string:
				rec[j] = x
			case json.Number:
				rec[j] = x.String()
			default:
				errs = append(errs, i18n.Errorf("字段「%s」应为文字或数字", "the field %q is text or a number", k).At(i+1, k))
			}
		}
		rows = append(rows, rec)
		if len(errs) >= 200 {
			break
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return volumesFrom(rows, 1)
}

// VolumeResult says what storing volumes did.
type VolumeResult struct {
	DryRun  bool          `json:"dry_run,omitempty"` // checked only: nothing was written
	Rows    int           `json:"rows"`
	New     int           `json:"new"`     // target-months recorded for the first time
	Changed int           `json:"changed"` // recorded before with another figure
	Same    int           `json:"same"`    // recorded before with this figure
	Errors  []*i18n.Error `json:"errors,omitempty"`
}

// OK reports whether nothing was refused.
func (r VolumeResult) OK() bool { return len(r.Errors) == 0 }

// SaveVolumes records the case volumes vs (a file's rows or one entry),
// all or nothing: each target must be a registered service or
// disclosure item of a unit the caller may act for (allowed), the month
// not after the current one. A target and month recorded before takes
// the new figure, so the same file twice changes nothing. Problems are
// returned in the result, located by row (0 for a single entry) and
// column, with nothing written.
func SaveVolumes(ctx context.Context, db *store.DB, a audit.Actor, vs []Volume, now time.Time, allowed func(path string) bool) (VolumeResult, error) {
	return saveVolumes(ctx, db, a, vs, now, allowed, false)
}

// CheckVolumes is [SaveVolumes] without writing: the result says what
// saving vs now would do (new, changed, same) or every error.
func CheckVolumes(ctx context.Context, db *store.DB, a audit.Actor, vs []Volume, now time.Time, allowed func(path string) bool) (VolumeResult, error) {
	return saveVolumes(ctx, db, a, vs, now, allowed, true)
}

// errDryRun rolls a checking run's transaction back.
var errDryRun = errors.New("publiceval: dry run")

func saveVolumes(ctx context.Context, db *store.DB, a audit.Actor, vs []Volume, now time.Time, allowed func(path string) bool, dry bool) (VolumeResult, error) {
	res := VolumeResult{Rows: len(vs), DryRun: dry}
	thisMonth := MonthOf(now)
	targets := map[string]Target{}
	for _, v := range vs {
		at := func(e *i18n.Error, c string) *i18n.Error {
			if v.row > 0 {
				return e.At(v.row, c)
			}
			return e.OnField(c)
		}
		if v.Month > thisMonth {
			res.Errors = append(res.Errors, at(i18n.Errorf("月份 %s 还没有到", "the month %s has not come yet", v.Month), "month"))
		}
		t, ok := targets[v.Target]
		if !ok {
			var err error
			t, err = Resolve(ctx, db, v.Target)
			if err == ErrNoTarget {
				res.Errors = append(res.Errors, at(i18n.Errorf("评价对象「%s」未登记", "nothing is registered as %q", clip(v.Target, 40)), "target"))
				continue
			}
			if err != nil {
				return res, err
			}
			targets[v.Target] = t
		}
		switch {
		case t.Kind != KindService && t.Kind != KindDisclosure:
			res.Errors = append(res.Errors, at(i18n.Errorf("「%s」是%s，办件量只记政务服务事项和政府信息公开", "%s is a %s; case volumes are kept for services and information disclosure only",
				t.Name, KindNames[t.Kind].Zh), "target"))
		case !allowed(t.OrgPath):
			res.Errors = append(res.Errors, at(i18n.Errorf("您不能为「%s」填报办件量", "you may not enter case volumes for %s", t.Name), "target"))
		}
		if len(res.Errors) >= 200 {
			break
		}
	}
	if len(res.Errors) > 0 || len(vs) == 0 {
		return res, nil
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		res.New, res.Changed, res.Same = 0, 0, 0
		var changes []map[string]any
		for _, v := range vs {
			t := targets[v.Target]
			var old int64
			err := tx.QueryRowContext(ctx, `SELECT handled FROM publiceval_volume WHERE month = $1 AND target_id = $2`, v.Month, t.ID).Scan(&old)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.New++
				if _, err := tx.ExecContext(ctx, `INSERT INTO publiceval_volume (month, target_id, org_path, handled, demo, actor_name, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7)`, v.Month, t.ID, t.OrgPath, v.Handled, v.Demo, a.Name, now); err != nil {
					return fmt.Errorf("publiceval: volume: %w", err)
				}
				changes = append(changes, map[string]any{"target": t.Key, "month": v.Month, "handled": v.Handled})
			case err != nil:
				return fmt.Errorf("publiceval: volume: %w", err)
			case old == v.Handled:
				res.Same++
			default:
				res.Changed++
				if _, err := tx.ExecContext(ctx, `UPDATE publiceval_volume SET handled = $1, actor_name = $2, updated_at = $3 WHERE month = $4 AND target_id = $5`,
					v.Handled, a.Name, now, v.Month, t.ID); err != nil {
					return fmt.Errorf("publiceval: volume: %w", err)
				}
				changes = append(changes, map[string]any{"target": t.Key, "month": v.Month, "handled": v.Handled, "before": old})
			}
		}
		if dry {
			return errDryRun
		}
		if len(changes) == 0 {
			return nil
		}
		if len(changes) > 50 {
			changes = changes[:50]
		}
		return audit.Record(ctx, tx, a, "update", "publiceval_volume", fmt.Sprintf("%d rows", len(vs)), "/"+orgunit.Root+"/", nil,
			map[string]any{"rows": len(vs), "new": res.New, "changed": res.Changed, "first": changes})
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return res, err
}

// volumeFigure is one recorded volume with the valid ratings of its
// target and month.
type volumeFigure struct {
	Key, Name, OrgCode, OrgPath string
	Month                       string
	Handled, Rated              int64
	Demo                        bool
}

// volumeFigures reads the volumes of the subtree path over p, each with
// the valid ratings of its target in its month.
func volumeFigures(ctx context.Context, db *store.DB, path string, p Period) ([]volumeFigure, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT t.tkey, t.name, t.org_code, v.org_path, v.month, v.handled,
		COALESCE(m.l1 + m.l2 + m.l3 + m.l4 + m.l5, 0), v.demo
		FROM publiceval_volume v JOIN publiceval_target t ON t.id = v.target_id
		LEFT JOIN publiceval_month m ON m.month = v.month AND m.target_id = v.target_id
		WHERE v.org_path >= $1 AND v.org_path < $2 AND v.month >= $3 AND v.month <= $4
		ORDER BY v.month DESC, v.org_path, t.name, t.tkey`, lo, hi, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("publiceval: volumes: %w", err)
	}
	defer rows.Close()
	var out []volumeFigure
	for rows.Next() {
		var f volumeFigure
		if err := rows.Scan(&f.Key, &f.Name, &f.OrgCode, &f.OrgPath, &f.Month, &f.Handled, &f.Rated, &f.Demo); err != nil {
			return nil, fmt.Errorf("publiceval: volumes: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// MaxVolumeList bounds a list of volumes.
const MaxVolumeList = 10_000

// Volumes lists the recorded volumes of the subtree path over p, newest
// month first, each with its target's valid ratings that month; at most
// [MaxVolumeList].
func Volumes(ctx context.Context, db *store.DB, path string, p Period) ([]Volume, error) {
	fs, err := volumeFigures(ctx, db, path, p)
	if err != nil {
		return nil, err
	}
	out := make([]Volume, 0, min(len(fs), MaxVolumeList))
	for _, f := range fs {
		if len(out) >= MaxVolumeList {
			break
		}
		v := Volume{Target: f.Key, Month: f.Month, Handled: f.Handled, Name: f.Name, OrgCode: f.OrgCode, Rated: f.Rated, Demo: f.Demo}
		v.Active = v.ActiveRate().String()
		out = append(out, v)
	}
	return out, nil
}

// VolumeListColumns are the columns of a volume list: those an import
// reads ([VolumeColumns]) and then the ratings and the 主动评价率, which
// an import skips.
var VolumeListColumns = append(append([]string{}, VolumeColumns...), "rated", "active_rate")

// VolumeRow is a listed volume's cells in [VolumeListColumns] order,
// the month written 2026-03.
func VolumeRow(v Volume) []any {
	return []any{v.Target, v.Name, v.OrgCode, v.Month[:4] + "-" + v.Month[4:], v.Handled, v.Rated, v.ActiveRate().String()}
}

// WriteVolumesCSV writes a volume list as CSV in [VolumeListColumns],
// a file [ParseVolumes] reads back; text a spreadsheet would take for a
// formula is written as text.
func WriteVolumesCSV(w io.Writer, vs []Volume) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(VolumeListColumns); err != nil {
		return err
	}
	for _, v := range vs {
		var rec []string
		for _, c := range VolumeRow(v) {
			rec = append(rec, fmt.Sprint(c))
		}
		if err := cw.Write(spreadsheet.Row(rec)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// VolumeTargets lists the services and disclosure items of the subtree
// path, for the entry form.
func VolumeTargets(ctx context.Context, db *store.DB, path string) ([]Target, error) {
	lo, hi := orgunit.SubtreeRange(path)
	rows, err := db.R.QueryContext(ctx, `SELECT `+targetCols+` FROM publiceval_target WHERE org_path >= $1 AND org_path < $2
		AND kind IN ('service', 'disclosure') ORDER BY org_path, name LIMIT `+strconv.Itoa(MaxTargets), lo, hi)
	if err != nil {
		return nil, fmt.Errorf("publiceval: volume targets: %w", err)
	}
	defer rows.Close()
	var out []Target
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// VolumeEntry reads one volume typed into the entry form.
func VolumeEntry(target, month, handled string) (Volume, error) {
	v := Volume{Target: strings.TrimSpace(target)}
	if v.Target == "" || len(v.Target) > 64 {
		return v, i18n.Errorf("请选择评价对象", "choose the service or disclosure item").OnField("target")
	}
	m, ok := ParseMonth(month)
	if !ok {
		return v, i18n.Errorf("月份「%s」应写作 202603 或 2026-03", "the month %q is written 202603 or 2026-03", clip(month, 20)).OnField("month")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(handled), 10, 64)
	if err != nil || n < 0 || n > MaxHandled {
		return v, i18n.Errorf("办件量应为 0 至 %d 的整数", "the cases handled are a whole number from 0 to %d", MaxHandled).OnField("handled")
	}
	v.Month, v.Handled = m, n
	return v, nil
}
