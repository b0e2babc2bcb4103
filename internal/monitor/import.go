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
	"math"
	"math/big"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
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
	Sheet   string `json:"sheet,omitempty"`
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
	Format     string        `json:"format"` // csv, xlsx or xls
	Shape      string        `json:"shape"`  // long or wide
	HeaderRow  int           `json:"header_row"`
	ReportUnit string        `json:"report_unit,omitempty"` // 填报单位
	Period     string        `json:"period,omitempty"`      // 报告期 of a wide sheet
	Unit       string        `json:"unit,omitempty"`        // 单位 (of measure) line
	Rows       int           `json:"rows"`                  // data rows read
	Values     int           `json:"values"`                // values that would be written
	Missing    int           `json:"missing"`               // cells marked as no data (—, …, /)
	Sheets     []SheetInfo   `json:"sheets"`
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
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case ext == ".xlsx" || ext == ".xlsm":
		format = "xlsx"
	case ext == ".xls" || (bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")) && (ext == "" || ext == ".csv" || ext == ".txt")):
		format = "xls"
	case ext == ".et" || ext == ".ods" || ext == ".numbers" || ext == ".wps" || ext == ".xlsb" ||
		bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return nil, unsupportedFormat(ext, head)
	case ext == ".csv" || ext == ".txt":
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
	switch format {
	case "xlsx":
		err = rd.readXLSX(br)
	case "xls":
		err = rd.readXLS(br)
	default:
		err = rd.readCSV(br)
	}
	if err == nil {
		err = rd.end()
	}
	if err != nil {
		return nil, err
	}
	rd.b.sheets = make([]string, len(im.Sheets))
	for i, sh := range im.Sheets {
		rd.b.sheets[i] = sh.Name
	}
	// What a commit would refuse (values in approved, locked reports)
	// is said per row in the preview already.
	if err := runCheckHooks(ctx, db, rd.b); err != nil {
		var ve i18n.Errors
		if !errors.As(err, &ve) {
			return nil, err
		}
		for _, e := range ve {
			rd.sheet = e.Sheet
			rd.fail(e)
		}
		im.Errors = groupErrors(im.Errors)
	}
	im.b = rd.b
	im.Values = len(rd.b.rows)
	for _, si := range im.Sheets {
		im.Missing += si.Missing
		if im.Shape == "" && si.Shape != "" {
			im.Shape, im.HeaderRow, im.Period, im.ReportUnit, im.Unit = si.Shape, si.HeaderRow, si.Period, si.ReportUnit, si.Unit
		}
	}
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
	els   map[string]*Element          // by code and by name
	cands map[string][]*Element        // by name and alias, every element so named
	maps  map[string]map[string]string // saved column mappings: template → header text → element
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
	// per sheet
	sheet      string            // worksheet name, "" for a CSV file
	sheetIdx   int16             // index into im.Sheets
	info       *SheetInfo        // the current sheet's summary
	merges     map[[2]int]string // merged cells of the sheet: (row, col) → the range's value
	win        [][]string        // rows of the sheet before the header, merges filled
	sheetUnit  string            // a single unit named by the 计量单位 line
	dataRows   int               // rows after the header
	tent       *wideHeader       // a header found on the row above, kept while the next row may continue it
	tentRow    int
	headerSeen bool // a sheet of this import had a header
	numRows    int  // rows of figures met while no header was found
	// percent tells whether a cell (row, col) is shown as a percentage;
	// nil where numbers arrive as shown (CSV) or already marked (.xls).
	percent  func(row, col int) bool
	pctShown map[int]bool // columns whose percent cells the preview names
}

type wideCol struct {
	idx    int
	el     *Element
	factor *big.Rat // multiplies the cell into the element's unit; nil: 1
	from   string   // the unit the header states
}

func (rd *reader) fail(e *i18n.Error) {
	if rd.sheet != "" && e.Sheet == "" {
		e = e.InSheet(rd.sheet)
	}
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
	rd.startSheet("", nil)
	defer rd.endSheet()
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
	return nil
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
	for _, name := range sheets {
		if err := rd.readSheet(f, name); err != nil {
			return err
		}
	}
	return nil
}

// readXLS reads every worksheet of an Excel 97–2003 workbook.
func (rd *reader) readXLS(r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, maxXLSX+1))
	if err != nil {
		return fmt.Errorf("monitor: read xls: %w", err)
	}
	if len(b) > maxXLSX {
		rd.fail(i18n.Errorf("文件过大（最大 %d MB）", "the file is too large (at most %d MB)", maxXLSX>>20))
		return nil
	}
	sheets, err := readXLSBook(bytes.NewReader(b))
	if err != nil {
		rd.fail(i18n.Errorf("无法读取 .xls 文件（%v）：请在 Excel 或 WPS 中另存为 .xlsx 后再导入", "cannot read the .xls file (%v): save it as .xlsx in Excel or WPS and import that", err))
		return nil
	}
	if len(sheets) == 0 {
		rd.fail(i18n.Errorf("工作簿中没有工作表", "the workbook has no sheet"))
		return nil
	}
	for _, sh := range sheets {
		merges := map[[2]int]string{}
		for _, m := range sh.Merges {
			if m[0] >= headerSearchRows || m[0] >= len(sh.Rows) || m[2] >= len(sh.Rows[m[0]]) {
				continue
			}
			v := sh.Rows[m[0]][m[2]]
			for r := m[0]; r <= min(m[1], headerSearchRows-1); r++ {
				for c := m[2]; c <= m[3] && len(merges) < maxMergeFill; c++ {
					merges[[2]int{r + 1, c}] = v
				}
			}
		}
		rd.startSheet(sh.Name, merges)
		if pct := sh.Percent; pct != nil {
			rd.percent = func(row, col int) bool { return pct[[2]int{row - 1, col}] }
		}
		for i, rec := range sh.Rows {
			if err := rd.line(i+1, rec); err != nil {
				rd.endSheet()
				return err
			}
		}
		rd.endSheet()
	}
	return nil
}

// maxMergeFill bounds the merged-header cells filled per sheet.
const maxMergeFill = 20000

// readSheet reads one worksheet with its own header, period and units.
func (rd *reader) readSheet(f *excelize.File, name string) error {
	merges := map[[2]int]string{}
	if mcs, err := f.GetMergeCells(name); err == nil {
		for _, mc := range mcs {
			c1, r1, err1 := excelize.CellNameToCoordinates(mc.GetStartAxis())
			c2, r2, err2 := excelize.CellNameToCoordinates(mc.GetEndAxis())
			if err1 != nil || err2 != nil || r1 > headerSearchRows {
				continue
			}
			v := mc.GetCellValue()
			for r := r1; r <= min(r2, headerSearchRows); r++ {
				for c := c1; c <= c2 && len(merges) < maxMergeFill; c++ {
					merges[[2]int{r, c - 1}] = v
				}
			}
		}
	}
	rd.startSheet(name, merges)
	rd.percent = xlsxPercent(f, name)
	defer rd.endSheet()
	rows, err := f.Rows(name)
	if err != nil {
		rd.fail(i18n.Errorf("无法读取工作表：%v", "cannot read the sheet: %v", err))
		return nil
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		// Numbers as kept, not as their display format rounds them
		// (5.2314 shown as 5.23); percentages are found by their format.
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		for i, c := range rec {
			rec[i] = excelNumber(c)
		}
		if err != nil {
			rd.fail(i18n.Errorf("无法读取该行：%v", "cannot read the row: %v", err).At(n, ""))
			continue
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
	if err := rows.Error(); err != nil {
		rd.fail(i18n.Errorf("无法读取工作表：%v", "cannot read the sheet: %v", err))
	}
	return nil
}

// excelNumber writes a number kept in a workbook's XML with the 15
// significant digits a spreadsheet program shows ("5.2313999999999998" is
// 5.2314); other text is returned as it is.
func excelNumber(c string) string {
	if len(c) <= 15 && !strings.ContainsAny(c, "Ee") {
		return c
	}
	v, err := strconv.ParseFloat(c, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || strings.TrimSpace(c) != c {
		return c
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// xlsxPercent tells whether a cell of sheet (1-based row, 0-based column)
// is shown as a percentage, so that 0.9512 shown as 95.12% is read as
// 95.12%. It is asked only for numbers in columns kept in %.
func xlsxPercent(f *excelize.File, sheet string) func(row, col int) bool {
	byStyle := map[int]bool{}
	return func(row, col int) bool {
		axis, err := excelize.CoordinatesToCellName(col+1, row)
		if err != nil {
			return false
		}
		id, err := f.GetCellStyle(sheet, axis)
		if err != nil || id == 0 {
			return false
		}
		pct, ok := byStyle[id]
		if !ok {
			if st, err := f.GetStyle(id); err == nil {
				pct = st.NumFmt == 9 || st.NumFmt == 10 || (st.CustomNumFmt != nil && percentFormat(*st.CustomNumFmt))
			}
			byStyle[id] = pct
		}
		return pct
	}
}

// percentFormat reports whether a number format shows its value times 100
// with a percent sign (a % outside quotes and escapes).
func percentFormat(f string) bool {
	quoted := false
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '"':
			quoted = !quoted
		case '\\':
			i++
		case '%':
			if !quoted {
				return true
			}
		}
	}
	return false
}

// asPercent turns a plain number read from a cell shown as a percentage
// into the percentage it shows ("0.9512" → "95.12%"), exactly.
func (rd *reader) asPercent(n, col int, v string, el *Element) string {
	if rd.percent == nil || el == nil || (el.Unit != "%" && el.ValueType != Percent) || strings.HasSuffix(v, "%") || !rd.percent(n, col) {
		return v
	}
	pv, ok := convertNumber(v, big.NewRat(100, 1))
	if !ok {
		return v
	}
	if !rd.pctShown[col] {
		// The preview says so once per column, with the first cell.
		if rd.pctShown == nil {
			rd.pctShown = map[int]bool{}
		}
		rd.pctShown[col] = true
		rd.info.Conversions = append(rd.info.Conversions, i18n.Text{
			Zh: fmt.Sprintf("%s %s：百分比格式 %s → %s%%", colName(col), el.Name, v, pv),
			En: fmt.Sprintf("%s %s: percent format %s → %s%%", colName(col), el.Name, v, pv)})
	}
	return pv + "%"
}

// headerSearchRows is how far down a sheet the header is looked for.
const headerSearchRows = 30

// startSheet resets the header state for a new worksheet.
func (rd *reader) startSheet(name string, merges map[[2]int]string) {
	rd.im.Sheets = append(rd.im.Sheets, SheetInfo{Name: name})
	rd.sheetIdx = int16(len(rd.im.Sheets) - 1)
	rd.info = &rd.im.Sheets[rd.sheetIdx]
	rd.sheet, rd.merges, rd.win = name, merges, nil
	rd.shape, rd.headerRow, rd.cols, rd.elCols, rd.period, rd.sheetUnit, rd.dataRows, rd.tent = "", 0, nil, nil, "", "", 0, nil
	rd.codeCol, rd.nameCol, rd.periodCol = -1, -1, -1
	rd.numRows, rd.percent, rd.pctShown = 0, nil, nil
}

// endSheet closes the current worksheet's summary.
func (rd *reader) endSheet() {
	if rd.tent != nil && rd.shape == "" {
		rd.acceptWide(rd.tent, rd.tentRow)
	}
	rd.tent = nil
	rd.info.Period = rd.period
	if rd.shape == "" || rd.shape == "none" {
		rd.info.Shape = ""
		if rd.info.Skipped == (i18n.Text{}) {
			rd.info.Skipped = i18n.Text{Zh: "没有找到表头", En: "no header row"}
		}
		// A sheet of figures whose header is not understood is an error,
		// never silently left out; a sheet of notes is passed over.
		if rd.numRows >= 2 {
			rd.fail(i18n.Errorf("有 %d 行数字，但前 30 行中没有找到表头（长表需有 数据元、单位代码、报告期、数值 列；统计报表需有 单位代码或单位名称 列和数据元列）",
				"%d rows hold figures, but there is no header row in the first 30 rows (long files need element, org unit, period and value columns; report sheets need an org unit code or name column and element columns)", rd.numRows))
		}
	}
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
	rd.cands = map[string][]*Element{}
	byCode := map[string]*Element{}
	for i := range els {
		e := &els[i]
		rd.els[e.Code] = e
		byCode[e.Code] = e
		for _, n := range []string{e.Name, e.NameEn} {
			if n = normName(n); n != "" {
				if _, taken := rd.els[n]; !taken {
					rd.els[n] = e
				}
				rd.cands[n] = append(rd.cands[n], e)
			}
		}
	}
	if rd.maps, err = mappings(rd.ctx, rd.db); err != nil {
		return err
	}
	for alias, code := range headerAliases {
		if e := byCode[code]; e != nil {
			rd.cands[alias] = append(rd.cands[alias], e)
		}
	}
	return nil
}

// elementFor finds the element a header text names (code, name, English
// name or a known alias, without its bracketed unit), preferring one kept
// at the period type of the sheet when several match.
func (rd *reader) elementFor(s string, pt period.Type) *Element {
	s = strings.TrimSpace(s)
	if e, ok := rd.els[s]; ok && rd.els[s].Code == s {
		return e
	}
	if e, ok := rd.els[strings.ToUpper(s)]; ok && e.Code == strings.ToUpper(s) {
		return e
	}
	cs := rd.cands[normName(s)]
	if len(cs) == 0 {
		return nil
	}
	if pt != 0 {
		for _, e := range cs {
			if e.PType() == pt {
				return e
			}
		}
	}
	return cs[0]
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

func (rd *reader) line(n int, rec []string) error {
	if rd.shape == "" || rd.shape == "none" {
		if figures(rec) >= 2 {
			rd.numRows++
		}
		if rd.shape == "none" {
			return nil
		}
		return rd.findHeader(n, rec)
	}
	if n <= rd.headerRow {
		return nil
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
	rd.dataRows++
	if rd.dataRows == 1 && isColumnNumberRow(rec) {
		return nil // the 甲/乙/1/2/3 row under the header
	}
	if rd.shape == Long {
		rd.im.Rows++
		rd.info.Rows++
		rd.longRow(n, rec)
	} else {
		rd.wideRow(n, rec)
	}
	return nil
}

// figures counts the cells of rec that hold a number (digits with
// separators, a sign, a decimal point or a percent sign).
func figures(rec []string) int {
	n := 0
	for _, c := range rec {
		digit, other := false, false
		for _, r := range strings.TrimSpace(c) {
			switch {
			case r >= '0' && r <= '9' || r >= '０' && r <= '９':
				digit = true
			case strings.ContainsRune(".,-+% ．，％", r):
			default:
				other = true
			}
			if other {
				break
			}
		}
		if digit && !other {
			n++
		}
	}
	return n
}

func cell(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// findHeader looks for the header among the first rows of a sheet: one
// row, or up to three rows whose parent cells (merged or written once over
// their children) join the children's names. Lines above it give 填报单位,
// 报告期 and 计量单位, several in one cell or each in its own.
func (rd *reader) findHeader(n int, rec []string) error {
	if err := rd.loadElements(); err != nil {
		return err
	}
	row := make([]string, len(rec))
	for i, c := range rec {
		row[i] = strings.TrimSpace(strings.ReplaceAll(c, "\n", ""))
	}
	for i := range row {
		if row[i] == "" {
			if v, ok := rd.merges[[2]int{n, i}]; ok {
				row[i] = strings.TrimSpace(v)
			}
		}
	}
	for c := range maxMergeCol(rd.merges, n) {
		if c >= len(row) {
			if v, ok := rd.merges[[2]int{n, c}]; ok {
				for len(row) <= c {
					row = append(row, "")
				}
				row[c] = strings.TrimSpace(v)
			}
		}
	}
	for i, c := range row {
		if kv := metaPairs(c); len(kv) > 0 {
			for _, p := range kv {
				v := p[1]
				if v == "" {
					v = cell(row, i+1)
				}
				rd.meta(p[0], v)
			}
		} else if c == "填报单位" || c == "报告期" || c == "计量单位" {
			rd.meta(c, cell(row, i+1))
		}
	}
	rd.win = append(rd.win, row)
	long := map[string]int{}
	for i, c := range row {
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
					rd.info.Shape, rd.info.HeaderRow = Long, n
					rd.headerSeen = true
					return nil
				}
			}
		}
	}
	var best *wideHeader
	for k := 1; k <= 3 && k <= len(rd.win); k++ {
		h := rd.wideHeader(rd.win[len(rd.win)-k:])
		if h != nil && (best == nil || len(h.els) > len(best.els)) {
			best = h
		}
	}
	if rd.tent != nil {
		// A header was found on the row above; this row continues it
		// when its unit cells are empty and it names more columns
		// (children under parents), else it is the first data row.
		t, tn := rd.tent, rd.tentRow
		rd.tent = nil
		if best != nil && len(best.els) > len(t.els) && cell(rec, t.code) == "" && cell(rec, t.name) == "" {
			rd.acceptWide(best, n)
			return nil
		}
		rd.acceptWide(t, tn)
		return rd.line(n, rec)
	}
	if best != nil {
		rd.tent, rd.tentRow = best, n
		return nil
	}
	if n >= headerSearchRows {
		rd.shape = "none" // endSheet says whether that is an error
	}
	return nil
}

// acceptWide takes best, found with its last row at n, as the sheet's
// header.
func (rd *reader) acceptWide(best *wideHeader, n int) {
	// A header merged down over more rows ends where its merge does.
	key := best.code
	if key < 0 {
		key = best.name
	}
	for k := 0; k < 3 && rd.merges[[2]int{n + 1, key}] != "" && rd.merges[[2]int{n + 1, key}] == rd.merges[[2]int{n, key}]; k++ {
		n++
	}
	rd.shape, rd.headerRow = Wide, n
	rd.codeCol, rd.nameCol, rd.periodCol, rd.elCols = best.code, best.name, best.period, best.els
	rd.info.Shape, rd.info.HeaderRow = Wide, n
	rd.info.Template, rd.info.Unmatched = best.template, best.unmatched
	rd.headerSeen = true
	for _, c := range best.els {
		rd.info.Columns = append(rd.info.Columns, colName(c.idx)+" "+c.el.Code+" "+c.el.Name)
		if c.factor != nil {
			t := fmt.Sprintf("%s %s：%s → %s %s", colName(c.idx), c.el.Name, c.from, c.el.Unit, factorText(c.factor))
			rd.info.Conversions = append(rd.info.Conversions, i18n.Text{Zh: t, En: strings.Replace(t, "：", ": ", 1)})
		}
	}
	if rd.period == "" {
		rd.period = normalizeReportPeriod(rd.opt.Period)
	}
	if rd.period == "" && best.period < 0 {
		rd.fail(i18n.Errorf("未找到报告期：请在表头上方写“报告期：2015”，或增加“报告期”列", `no reporting period: add a line "报告期：2015" above the header or a 报告期 column`).At(n, ""))
	}
	for _, e := range best.errs {
		rd.fail(e.At(n, ""))
	}
}

// maxMergeCol is one past the last column merged into row n.
func maxMergeCol(m map[[2]int]string, n int) int {
	mx := 0
	for k := range m {
		if k[0] == n && k[1]+1 > mx {
			mx = k[1] + 1
		}
	}
	return mx
}

type wideHeader struct {
	code, name, period int
	els                []wideCol
	errs               []*i18n.Error
	template           string      // the header's wording, for saved column mappings
	unmatched          []Unmatched // columns that name no element
}

// wideHeader reads rows (top to bottom, the last being the header's last
// row) as a 统计报表 header: code and name columns, element columns named by
// a child joined with its parents, units in brackets. Nil when rows are
// not such a header.
func (rd *reader) wideHeader(rows [][]string) *wideHeader {
	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	// Parent rows: a parent written once over its children (in a CSV, or
	// a workbook without merges) covers the empty cells to its right.
	filled := make([][]string, len(rows))
	for k, r := range rows {
		f := make([]string, width)
		copy(f, r)
		if k < len(rows)-1 {
			last := ""
			for i := range f {
				if f[i] != "" {
					last = f[i]
				} else {
					f[i] = last
				}
			}
		}
		filled[k] = f
	}
	h := &wideHeader{code: -1, name: -1, period: -1}
	pt := periodType(rd.period)
	stacks := make([][]string, width)
	labels := make([]string, width)
	for i := range width {
		for _, r := range filled {
			if v := r[i]; v != "" && (len(stacks[i]) == 0 || stacks[i][len(stacks[i])-1] != v) {
				stacks[i] = append(stacks[i], v)
			}
		}
		labels[i] = strings.Join(stacks[i], " / ")
	}
	h.template = templateKey(labels)
	saved := rd.maps[h.template]
	for i := range width {
		stack := stacks[i]
		if len(stack) == 0 {
			continue
		}
		switch {
		case h.code < 0 && anyMatch(stack, wideCode):
			h.code = i
			continue
		case h.name < 0 && anyMatch(stack, wideName):
			h.name = i
			continue
		case h.period < 0 && anyMatch(stack, longPeriod):
			h.period = i
			continue
		}
		var el *Element
		for j := 0; j < len(stack) && el == nil; j++ {
			parts := make([]string, 0, len(stack)-j)
			for _, p := range stack[j:] {
				parts = append(parts, normName(p))
			}
			el = rd.elementFor(strings.Join(parts, ""), pt)
			if el == nil && j == len(stack)-1 {
				el = rd.elementFor(stack[j], pt)
			}
		}
		if el == nil {
			switch code := saved[labels[i]]; code {
			case "":
				h.unmatched = append(h.unmatched, Unmatched{Col: colName(i), Label: labels[i]})
				continue
			case Ignore:
				continue
			default:
				el = rd.els[code]
			}
		}
		if el == nil {
			h.unmatched = append(h.unmatched, Unmatched{Col: colName(i), Label: labels[i]})
			continue
		}
		wc := wideCol{idx: i, el: el}
		from := ""
		for k := len(stack) - 1; k >= 0 && from == ""; k-- {
			from = headerUnit(stack[k])
		}
		if from == "" {
			from = rd.sheetUnit
		}
		if from != "" && from != el.Unit {
			f, ok := unitFactor(from, el.Unit)
			switch {
			case !ok && unitScales[el.Unit].base != "":
				h.errs = append(h.errs, i18n.Errorf("「%s」列的单位 %s 与数据元 %s 的单位 %s 不同，无法换算", "column %s states unit %s, but %s is kept in %s and cannot be converted",
					colName(i), from, el.Name, el.Unit))
			case ok && f.Cmp(big.NewRat(1, 1)) != 0:
				wc.factor, wc.from = f, from
			}
		}
		h.els = append(h.els, wc)
	}
	if (h.code < 0 && h.name < 0) || len(h.els) == 0 {
		return nil
	}
	return h
}

func anyMatch(stack []string, lists ...[]string) bool {
	for _, s := range stack {
		for _, l := range lists {
			if match(s, l) {
				return true
			}
		}
	}
	return false
}

func (rd *reader) meta(key, v string) {
	switch key {
	case "填报单位":
		rd.info.ReportUnit = v
	case "报告期":
		rd.period = normalizeReportPeriod(v)
	case "单位", "计量单位":
		rd.info.Unit = v
		if _, ok := unitScales[strings.TrimSpace(v)]; ok {
			rd.sheetUnit = strings.TrimSpace(v)
		}
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

// cellValue turns a cell into the text to check: "" with missing set for a
// no-data mark, numbers with full-width digits and space separators folded.
func (rd *reader) cellValue(raw string) (string, bool) {
	if isNoData(raw) {
		rd.info.Missing++
		return "", true
	}
	return normalizeNumber(raw), false
}

func (rd *reader) longRow(n int, rec []string) {
	ec, oc, pc, vc := rd.cols["element"], rd.cols["orgunit"], rd.cols["period"], rd.cols["value"]
	cc, hasComment := rd.cols["comment"]
	comment := ""
	if hasComment {
		comment = cell(rec, cc)
	}
	v, missing := rd.cellValue(cell(rec, vc))
	if missing {
		return
	}
	if rd.percent != nil {
		v = rd.asPercent(n, vc, v, rd.findElement(cell(rec, ec)))
	}
	rd.add(n, cell(rec, ec), colName(ec), cell(rec, oc), "", colName(oc), normalizeReportPeriod(cell(rec, pc)), colName(pc), v, colName(vc), comment)
}

func (rd *reader) wideRow(n int, rec []string) {
	code, name := cell(rec, rd.codeCol), cell(rec, rd.nameCol)
	if code == "" && name == "" {
		return
	}
	name = strings.Join(strings.Fields(strings.ReplaceAll(name, "\u3000", " ")), "")
	if strings.HasPrefix(name, "合计") || strings.HasPrefix(name, "总计") || strings.EqualFold(name, "total") {
		return // a totals row is computed, not imported
	}
	rd.im.Rows++
	rd.info.Rows++
	pe := rd.period
	pcol := ""
	if rd.periodCol >= 0 {
		if p := cell(rec, rd.periodCol); p != "" {
			pe, pcol = normalizeReportPeriod(p), colName(rd.periodCol)
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
		v, missing := rd.cellValue(v)
		if missing {
			continue
		}
		v = rd.asPercent(n, c.idx, v, c.el)
		if c.factor != nil {
			cv, ok := convertNumber(v, c.factor)
			if !ok {
				rd.fail(i18n.Errorf("%q 不是数字", "%q is not a number", v).At(n, colName(c.idx)))
				continue
			}
			v = cv
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
	r := row{unit: u, num: num, fx: fx, text: text, comment: comment, src: int32(n), sheet: rd.sheetIdx}
	rd.info.Values++
	r.el = rd.b.element(e)
	r.pe = rd.b.period(p)
	rd.b.rows = append(rd.b.rows, r)
	if len(rd.im.Sample) < maxSample {
		v := raw
		if e.Numeric() {
			v = fmtNum(num)
		}
		rd.im.Sample = append(rd.im.Sample, ImportRow{Sheet: rd.sheet, Row: n, Element: e.Code, OrgUnit: u.code, OrgName: name, Period: p.ID(), Value: v, Comment: comment})
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
			where := ""
			if ps := rd.im.Sheets[prev.sheet].Name; ps != "" && prev.sheet != r.sheet {
				where = "「" + ps + "」"
			}
			err := i18n.Errorf("与%s第 %d 行重复（%s，%s，%s）", "duplicates %srow %d (%s, %s, %s)",
				where, prev.src, e.Code, r.unit.code, rd.b.peIDs[r.pe]).At(int(r.src), rd.dupCol(e))
			if name := rd.im.Sheets[r.sheet].Name; name != "" {
				err = err.InSheet(name)
			}
			rd.im.ErrorCount++
			if len(rd.im.Errors) < rd.opt.MaxErrors {
				rd.im.Errors = append(rd.im.Errors, err)
			}
			dups = true
			continue
		}
		kept = append(kept, r)
	}
	rd.b.rows = kept
	if dups {
		sort.SliceStable(rd.im.Errors, func(i, j int) bool { return rd.im.Errors[i].Row < rd.im.Errors[j].Row })
	}
	if !rd.headerSeen && rd.im.ErrorCount == 0 {
		rd.sheet = ""
		rd.fail(i18n.Errorf("没有找到表头（长表需有 数据元、单位代码、报告期、数值 列；统计报表需有 单位代码或单位名称 列和数据元列）",
			"no header row found (long files need element, org unit, period and value columns; report sheets need an org unit code or name column and element columns)"))
	}
	rd.im.Errors = groupErrors(rd.im.Errors)
	return nil
}
