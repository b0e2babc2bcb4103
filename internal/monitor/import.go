package monitor

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Import shapes.
const (
	Long = "long" // one value per row: element, org unit, period, value[, comment]
	Wide = "wide" // 统计报表: rows are units, columns are elements, one period
)

// ImportOptions steer reading an import file.
type ImportOptions struct {
	// Scopes are the org paths the importing user may write to; nil means
	// everywhere. Rows for units outside are errors.
	Scopes []string
	// Period is used for wide sheets that name no 报告期.
	Period string
	// MaxErrors bounds the errors kept (0: 1000); the count goes on.
	MaxErrors int
}

// ImportRow is one value read from the file, for the preview table.
type ImportRow struct {
	Row     int    `json:"row"`
	Element string `json:"element"`
	OrgUnit string `json:"org_unit"`
	OrgName string `json:"org_name,omitempty"`
	Period  string `json:"period"`
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
}

// Preview describes what an import would do.
type Preview struct {
	File       string        `json:"file"`
	Format     string        `json:"format"` // csv or xlsx
	Shape      string        `json:"shape"`  // long or wide
	HeaderRow  int           `json:"header_row"`
	ReportUnit string        `json:"report_unit,omitempty"` // 填报单位
	Period     string        `json:"period,omitempty"`      // 报告期 of a wide sheet
	Unit       string        `json:"unit,omitempty"`        // 单位 (of measure) line
	Rows       int           `json:"rows"`                  // data rows read
	Values     int           `json:"values"`                // values that would be written
	ErrorCount int           `json:"error_count"`
	Errors     []*i18n.Error `json:"errors"`
	Sample     []ImportRow   `json:"sample"`
}

// OK reports whether the import can be committed.
func (p *Preview) OK() bool { return p.ErrorCount == 0 && p.Values > 0 }

// Import is a read and checked file, ready to commit.
type Import struct {
	Preview
	b *batch
}

// maxSample is the number of rows a preview shows.
const maxSample = 200

// ReadImport reads a CSV or XLSX file (by name's extension, else by
// content) in long or wide shape, validating every value. It never
// writes; call [Import.Commit] to store the values when the preview has
// no errors.
func ReadImport(ctx context.Context, db *store.DB, name string, r io.Reader, opt ImportOptions) (*Import, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	format := "csv"
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		format = "xlsx"
	case ".csv", ".txt":
	default:
		if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
			format = "xlsx"
		}
	}
	im := &Import{Preview: Preview{File: filepath.Base(name), Format: format}}
	if opt.MaxErrors <= 0 {
		opt.MaxErrors = 1000
	}
	rd := &reader{ctx: ctx, db: db, opt: opt, im: im, b: newBatch(), x: units(db), names: map[string][]orgunit.Unit{}}
	var err error
	if format == "xlsx" {
		err = rd.readXLSX(br)
	} else {
		err = rd.readCSV(br)
	}
	if err != nil {
		return nil, err
	}
	im.b = rd.b
	im.Values = len(rd.b.rows)
	if im.Rows == 0 && im.ErrorCount == 0 {
		rd.fail(i18n.Errorf("文件中没有数据行", "the file holds no data rows"))
	}
	return im, nil
}

// Commit writes every value of the import in one transaction (values,
// aggregates, audit), or nothing. It refuses an import with errors.
func (im *Import) Commit(ctx context.Context, db *store.DB, actor audit.Actor) (WriteResult, error) {
	if im.ErrorCount > 0 {
		return WriteResult{}, i18n.Errorf("导入文件有 %d 处错误，请修正后再提交", "the import has %d errors; fix them first", im.ErrorCount)
	}
	var res WriteResult
	err := db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = write(ctx, db, tx, actor, im.b)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "import", "datavalueset", im.File, "", nil, map[string]any{
			"file": im.File, "shape": im.Shape, "rows": im.Rows, "values": im.Values,
			"created": res.Created, "updated": res.Updated, "deleted": res.Deleted, "unchanged": res.Unchanged})
	})
	return res, err
}

type reader struct {
	ctx   context.Context
	db    *store.DB
	opt   ImportOptions
	im    *Import
	b     *batch
	els   map[string]*Element // by code and by name
	x     *unitIndex
	names map[string][]orgunit.Unit
	// header state
	shape     string
	headerRow int
	cols      map[string]int // long: element, orgunit, period, value, comment
	codeCol   int            // wide: org code column, -1 if none
	nameCol   int            // wide: org name column, -1 if none
	periodCol int            // wide: optional period column
	elCols    []wideCol
	period    string
	pending   [][]string // rows before the header is found
}

type wideCol struct {
	idx int
	el  *Element
}

func (rd *reader) fail(e *i18n.Error) {
	rd.im.ErrorCount++
	if len(rd.im.Errors) < rd.opt.MaxErrors {
		rd.im.Errors = append(rd.im.Errors, e)
	}
}

// colName is the spreadsheet letter of 0-based column i.
func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func (rd *reader) readCSV(br *bufio.Reader) error {
	var src io.Reader = br
	peek, _ := br.Peek(64 << 10)
	peek = bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf"))
	// Trim a rune cut at the end of the peek window before checking.
	for i := 0; i < 3 && len(peek) > 0 && !utf8.Valid(peek); i++ {
		peek = peek[:len(peek)-1]
	}
	if !utf8.Valid(peek) {
		src = simplifiedchinese.GB18030.NewDecoder().Reader(br)
	} else if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.LazyQuotes = true
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		n++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rd.fail(i18n.Errorf("CSV 格式错误：%v", "malformed CSV: %v", pe.Err).At(pe.Line, ""))
				return nil
			}
			return fmt.Errorf("monitor: read csv: %w", err)
		}
		if err := rd.line(n, rec); err != nil {
			return err
		}
		if n%50000 == 0 {
			if err := rd.ctx.Err(); err != nil {
				return err
			}
		}
	}
	return rd.end()
}

// maxXLSX bounds the size of an uploaded workbook (compressed).
const maxXLSX = 200 << 20

// Limits on what a workbook may unpack to. excelize allocates each part's
// declared size up front, so the declared sizes are checked first: a part
// claiming far more than its compressed bytes could hold is refused.
const (
	maxUnzipped    = 1 << 30
	maxPart        = 256 << 20
	maxRatio       = 200
	sheetInMemory  = 32 << 20 // larger sheets are unpacked to a temporary file
	ratioAllowance = 1 << 20
)

func checkZip(b []byte) *i18n.Error {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return i18n.Errorf("不是有效的 XLSX 文件：%v", "not a valid XLSX file: %v", err)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxPart || total > maxUnzipped || f.UncompressedSize64 > f.CompressedSize64*maxRatio+ratioAllowance {
			return i18n.Errorf("XLSX 文件内容过大或已损坏（%s）", "the XLSX file unpacks too large or is damaged (%s)", f.Name)
		}
	}
	return nil
}

func (rd *reader) readXLSX(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, maxXLSX+1))
	if err != nil {
		return fmt.Errorf("monitor: read xlsx: %w", err)
	}
	if len(b) > maxXLSX {
		rd.fail(i18n.Errorf("文件过大（最大 %d MB）", "the file is too large (at most %d MB)", maxXLSX>>20))
		return nil
	}
	if e := checkZip(b); e != nil {
		rd.fail(e)
		return nil
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: sheetInMemory})
	if err != nil {
		rd.fail(i18n.Errorf("无法读取 XLSX 文件：%v", "cannot read the XLSX file: %v", err))
		return nil
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		rd.fail(i18n.Errorf("工作簿中没有工作表", "the workbook has no sheet"))
		return nil
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		rd.fail(i18n.Errorf("无法读取工作表：%v", "cannot read the sheet: %v", err))
		return nil
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		rec, err := rows.Columns()
		if err != nil {
			rd.fail(i18n.Errorf("无法读取该行：%v", "cannot read the row: %v", err).At(n, ""))
			continue
		}
		if err := rd.line(n, rec); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		rd.fail(i18n.Errorf("无法读取工作表：%v", "cannot read the sheet: %v", err))
	}
	return rd.end()
}

func (rd *reader) loadElements() error {
	if rd.els != nil {
		return nil
	}
	els, err := listElements(rd.ctx, rd.db.R)
	if err != nil {
		return err
	}
	rd.els = map[string]*Element{}
	for i := range els {
		e := &els[i]
		rd.els[e.Code] = e
		for _, n := range []string{e.Name, e.NameEn} {
			if n = normName(n); n != "" {
				if _, taken := rd.els[n]; !taken {
					rd.els[n] = e
				}
			}
		}
	}
	return nil
}

var parenRE = regexp.MustCompile(`\s*[（(][^（）()]*[）)]\s*$`)

// normName strips spaces and a trailing parenthesised unit.
func normName(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
	s = parenRE.ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), " ")
}

func (rd *reader) findElement(s string) *Element {
	s = strings.TrimSpace(s)
	if e, ok := rd.els[s]; ok {
		return e
	}
	if e, ok := rd.els[strings.ToUpper(s)]; ok {
		return e
	}
	return rd.els[normName(s)]
}

var (
	longElement = []string{"dataelement", "data element", "element", "数据元", "数据元代码", "指标代码", "指标", "code"}
	longOrg     = []string{"orgunit", "org unit", "org_unit", "orgunit code", "单位代码", "组织机构", "组织机构代码", "区划代码", "单位"}
	longPeriod  = []string{"period", "报告期", "期间", "时期"}
	longValue   = []string{"value", "数值", "值", "数据"}
	longComment = []string{"comment", "备注", "说明"}
	wideCode    = []string{"单位代码", "区划代码", "代码", "编码", "统计用区划代码", "code", "orgunit", "org unit", "org_unit"}
	wideName    = []string{"单位名称", "名称", "地区", "单位", "行政区划", "区划名称", "name", "org unit name"}
)

func match(cell string, names []string) bool {
	c := strings.ToLower(normName(cell))
	for _, n := range names {
		if c == n {
			return true
		}
	}
	return false
}

// metaRE reads pre-header lines such as "填报单位：郑州市" or "报告期: 2015".
var metaRE = regexp.MustCompile(`^\s*(填报单位|报告期|单位)\s*[:：]\s*(.*)$`)

func (rd *reader) line(n int, rec []string) error {
	if rd.shape == "" {
		return rd.findHeader(n, rec)
	}
	empty := true
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			empty = false
			break
		}
	}
	if empty {
		return nil
	}
	rd.im.Rows++
	if rd.shape == Long {
		rd.longRow(n, rec)
	} else {
		rd.wideRow(n, rec)
	}
	return nil
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// findHeader looks for the header row among the first rows, reading
// 填报单位 / 报告期 / 单位 lines above it.
func (rd *reader) findHeader(n int, rec []string) error {
	if err := rd.loadElements(); err != nil {
		return err
	}
	for i, c := range rec {
		c = strings.TrimSpace(c)
		if m := metaRE.FindStringSubmatch(c); m != nil {
			v := strings.TrimSpace(m[2])
			if v == "" {
				v = cell(rec, i+1)
			}
			rd.meta(m[1], v)
		} else if c == "填报单位" || c == "报告期" {
			rd.meta(c, cell(rec, i+1))
		}
	}
	long := map[string]int{}
	for i, c := range rec {
		for k, names := range map[string][]string{"element": longElement, "orgunit": longOrg, "period": longPeriod, "value": longValue, "comment": longComment} {
			if _, ok := long[k]; !ok && match(c, names) {
				long[k] = i
			}
		}
	}
	if _, a := long["element"]; a {
		if _, b := long["orgunit"]; b {
			if _, c := long["period"]; c {
				if _, d := long["value"]; d {
					rd.shape, rd.headerRow, rd.cols = Long, n, long
					rd.im.Shape, rd.im.HeaderRow = Long, n
					return nil
				}
			}
		}
	}
	codeCol, nameCol, periodCol := -1, -1, -1
	var elCols []wideCol
	for i, c := range rec {
		switch {
		case strings.TrimSpace(c) == "":
		case codeCol < 0 && match(c, wideCode):
			codeCol = i
		case nameCol < 0 && match(c, wideName):
			nameCol = i
		case periodCol < 0 && match(c, longPeriod):
			periodCol = i
		default:
			if e := rd.findElement(c); e != nil {
				elCols = append(elCols, wideCol{i, e})
			}
		}
	}
	if (codeCol >= 0 || nameCol >= 0) && len(elCols) > 0 {
		rd.shape, rd.headerRow = Wide, n
		rd.codeCol, rd.nameCol, rd.periodCol, rd.elCols = codeCol, nameCol, periodCol, elCols
		rd.im.Shape, rd.im.HeaderRow = Wide, n
		if rd.period == "" {
			rd.period = strings.TrimSpace(rd.opt.Period)
		}
		rd.im.Period = rd.period
		if rd.period == "" && periodCol < 0 {
			rd.fail(i18n.Errorf("未找到报告期：请在表头上方写“报告期：2015”，或增加“报告期”列", `no reporting period: add a line "报告期：2015" above the header or a 报告期 column`).At(n, ""))
		}
		return nil
	}
	if n >= 30 {
		rd.fail(i18n.Errorf("前 30 行中没有找到表头（长表需有 数据元、单位代码、报告期、数值 列；统计报表需有 单位代码或单位名称 列和数据元列）",
			"no header row in the first 30 rows (long files need element, org unit, period and value columns; report sheets need an org unit code or name column and element columns)"))
		rd.shape = "none"
	}
	return nil
}

func (rd *reader) meta(key, v string) {
	switch key {
	case "填报单位":
		rd.im.ReportUnit = v
	case "报告期":
		rd.period = normalizePeriod(v)
	case "单位":
		rd.im.Unit = v
	}
}

var cnPeriodRE = regexp.MustCompile(`^(\d{4})\s*年\s*(?:(\d{1,2})\s*月|第?\s*([一二三四1-4])\s*季度?|([上下])半年)?$`)

// normalizePeriod accepts period ids and their common Chinese spellings
// (2015年, 2015年7月, 2015年第三季度, 2015年上半年).
func normalizePeriod(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "年") {
		return s
	}
	m := cnPeriodRE.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	switch {
	case m[2] != "":
		var mo int
		fmt.Sscanf(m[2], "%d", &mo)
		return fmt.Sprintf("%s%02d", m[1], mo)
	case m[3] != "":
		q := map[string]string{"一": "1", "二": "2", "三": "3", "四": "4"}[m[3]]
		if q == "" {
			q = m[3]
		}
		return m[1] + "Q" + q
	case m[4] != "":
		return map[string]string{"上": m[1] + "S1", "下": m[1] + "S2"}[m[4]]
	}
	return m[1]
}

func (rd *reader) longRow(n int, rec []string) {
	ec, oc, pc, vc := rd.cols["element"], rd.cols["orgunit"], rd.cols["period"], rd.cols["value"]
	cc, hasComment := rd.cols["comment"]
	comment := ""
	if hasComment {
		comment = cell(rec, cc)
	}
	rd.add(n, cell(rec, ec), colName(ec), cell(rec, oc), "", colName(oc), normalizePeriod(cell(rec, pc)), colName(pc), cell(rec, vc), colName(vc), comment)
}

func (rd *reader) wideRow(n int, rec []string) {
	code, name := cell(rec, rd.codeCol), cell(rec, rd.nameCol)
	if code == "" && name == "" {
		return
	}
	if strings.HasPrefix(name, "合计") || strings.HasPrefix(name, "总计") || strings.EqualFold(name, "total") {
		return // a totals row is computed, not imported
	}
	pe := rd.period
	pcol := ""
	if rd.periodCol >= 0 {
		if p := cell(rec, rd.periodCol); p != "" {
			pe, pcol = normalizePeriod(p), colName(rd.periodCol)
		}
	}
	ocol := colName(max(rd.codeCol, 0))
	if code == "" {
		ocol = colName(rd.nameCol)
	}
	for _, c := range rd.elCols {
		v := cell(rec, c.idx)
		if v == "" {
			continue
		}
		rd.add(n, c.el.Code, colName(c.idx), code, name, ocol, pe, pcol, v, colName(c.idx), "")
	}
}

// resolveName finds the unit called name within the importer's scopes.
func (rd *reader) resolveName(name string) ([]orgunit.Unit, error) {
	if us, ok := rd.names[name]; ok {
		return us, nil
	}
	rows, err := rd.db.R.QueryContext(rd.ctx, "SELECT code, name, level, path FROM orgunit WHERE name = $1 ORDER BY path LIMIT 50", name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgunit.Unit
	for rows.Next() {
		var u orgunit.Unit
		if err := rows.Scan(&u.Code, &u.Name, &u.Level, &u.Path); err != nil {
			return nil, err
		}
		if rd.inScope(u.Path) {
			out = append(out, u)
		}
	}
	rd.names[name] = out
	return out, rows.Err()
}

func (rd *reader) inScope(path string) bool {
	if rd.opt.Scopes == nil {
		return true
	}
	for _, s := range rd.opt.Scopes {
		if orgunit.InSubtree(path, s) {
			return true
		}
	}
	return false
}

func (rd *reader) add(n int, elText, ecol, code, name, ocol, pe, pcol, raw, vcol, comment string) {
	e := rd.findElement(elText)
	if e == nil {
		rd.fail(i18n.Errorf("未知的数据元 %q", "unknown data element %q", elText).At(n, ecol))
		return
	}
	var u *ou
	if code != "" {
		got := rd.x.find(code)
		ok := got != nil
		if !ok {
			var err error
			got, ok, err = rd.x.get(rd.ctx, rd.db, code)
			ok = ok && err == nil
		}
		if !ok {
			rd.fail(i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", code).At(n, ocol))
			return
		}
		u = got
	} else {
		us, err := rd.resolveName(name)
		switch {
		case err != nil:
			rd.fail(i18n.Errorf("无法查找单位 %q", "cannot look up unit %q", name).At(n, ocol))
			return
		case len(us) == 0:
			rd.fail(i18n.Errorf("未知的单位名称 %q（或不在您的管辖范围内）", "unknown org unit name %q (or outside your units)", name).At(n, ocol))
			return
		case len(us) > 1:
			rd.fail(i18n.Errorf("单位名称 %q 对应 %d 个单位，请填写单位代码", "the name %q matches %d units; give the unit code", name, len(us)).At(n, ocol))
			return
		}
		got, ok, err := units(rd.db).get(rd.ctx, rd.db, us[0].Code)
		if err != nil || !ok {
			rd.fail(i18n.Errorf("未知的单位代码 %q", "unknown org unit code %q", us[0].Code).At(n, ocol))
			return
		}
		u = got
	}
	if !rd.inScope(u.path) {
		rd.fail(i18n.Errorf("单位 %s 不在您的管辖范围内", "unit %s is outside your units", u.code).At(n, ocol))
		return
	}
	if pe == "" {
		rd.fail(i18n.Errorf("缺少报告期", "no period").At(n, pcol))
		return
	}
	var p period.Period
	if i, ok := rd.b.peIdx[pe]; ok {
		p = rd.b.pes[i]
		if p.Type != e.PType() {
			_, perr := CheckPeriod(e, pe)
			rd.fail(perr.At(n, pcol))
			return
		}
	} else {
		var perr *i18n.Error
		p, perr = CheckPeriod(e, pe)
		if perr != nil {
			rd.fail(perr.At(n, pcol))
			return
		}
	}
	num, text, verr := CheckValue(e, raw)
	if verr != nil {
		rd.fail(verr.At(n, vcol))
		return
	}
	fx, _ := toFixed(num, e.Scale())
	r := row{unit: u, num: num, fx: fx, text: text, comment: comment, src: int32(n)}
	r.el = rd.b.element(e)
	r.pe = rd.b.period(p)
	rd.b.rows = append(rd.b.rows, r)
	if len(rd.im.Sample) < maxSample {
		v := raw
		if e.Numeric() {
			v = fmtNum(num)
		}
		rd.im.Sample = append(rd.im.Sample, ImportRow{Row: n, Element: e.Code, OrgUnit: u.code, OrgName: name, Period: p.ID(), Value: v, Comment: comment})
	}
}

// dupCol is the column a duplicate value of e was read from.
func (rd *reader) dupCol(e *Element) string {
	if rd.shape == Long {
		return colName(rd.cols["value"])
	}
	for _, c := range rd.elCols {
		if c.el.Code == e.Code {
			return colName(c.idx)
		}
	}
	return ""
}

func (rd *reader) end() error {
	// Duplicates: sort by key and file row; every repeat is an error.
	rows := rd.b.rows
	sortRows(rows)
	kept := rows[:0]
	dups := false
	for i := range rows {
		r := rows[i]
		if len(kept) > 0 && sameKey(&kept[len(kept)-1], &r) {
			prev := kept[len(kept)-1]
			e := rd.b.els[r.el]
			rd.fail(i18n.Errorf("与第 %d 行重复（%s，%s，%s）", "duplicates row %d (%s, %s, %s)",
				prev.src, e.Code, r.unit.code, rd.b.peIDs[r.pe]).At(int(r.src), rd.dupCol(e)))
			dups = true
			continue
		}
		kept = append(kept, r)
	}
	rd.b.rows = kept
	if dups {
		sort.SliceStable(rd.im.Errors, func(i, j int) bool { return rd.im.Errors[i].Row < rd.im.Errors[j].Row })
	}
	if rd.shape == "" {
		rd.fail(i18n.Errorf("没有找到表头（长表需有 数据元、单位代码、报告期、数值 列；统计报表需有 单位代码或单位名称 列和数据元列）",
			"no header row found (long files need element, org unit, period and value columns; report sheets need an org unit code or name column and element columns)"))
	}
	return nil
}
