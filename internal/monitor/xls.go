package monitor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// Reading Excel 97–2003 workbooks (.xls, BIFF8 records in a compound
// file), as many statistics offices still save them. Only what an import
// needs is read: sheet names, cell text and numbers (shared strings,
// labels, numbers, RK and MULRK, the cached results of formulas) and
// merged ranges. Everything is bounded and a damaged file is an error,
// never a panic.

// xlsSheet is one worksheet of a .xls workbook.
type xlsSheet struct {
	Name   string
	Rows   [][]string // dense, row 0 first
	Merges [][4]int   // first row, last row, first col, last col (0-based)
	// Percent holds the numbers shown as percentages (0.9512 shown as
	// 95.12%), by 0-based row and column.
	Percent map[[2]int]bool
}

// Limits on what one .xls file may unpack to.
const (
	xlsMaxStream = 256 << 20
	xlsMaxCells  = 10_000_000 // cells of the dense grid, empty ones included
	xlsMaxRows   = 1 << 20
	xlsMaxCols   = 1 << 14
	xlsMaxSST    = 10_000_000
	xlsMaxSheets = 1000
)

var errXLS = errors.New("not a readable Excel 97–2003 workbook")

// readXLSBook reads the worksheets of a .xls file.
func readXLSBook(r io.ReaderAt) ([]xlsSheet, error) {
	doc, err := mscfb.New(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errXLS, err)
	}
	var stream []byte
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		if strings.EqualFold(e.Name, "Book") {
			return nil, fmt.Errorf("%w: Excel 5/95 (BIFF5) workbooks are not read; save as .xlsx", errXLS)
		}
		if !strings.EqualFold(e.Name, "Workbook") {
			continue
		}
		if e.Size > xlsMaxStream {
			return nil, fmt.Errorf("%w: the workbook stream is too large", errXLS)
		}
		if stream, err = io.ReadAll(io.LimitReader(e, xlsMaxStream)); err != nil {
			return nil, fmt.Errorf("%w: %v", errXLS, err)
		}
		break
	}
	if stream == nil {
		return nil, fmt.Errorf("%w: no Workbook stream", errXLS)
	}
	return parseBIFF8(stream, xlsMaxCells)
}

type biffRecord struct {
	typ  uint16
	data []byte
}

// biffRecords splits a stream into records starting at off, up to and
// including the EOF record of the substream.
func biffRecords(s []byte, off int) ([]biffRecord, error) {
	var out []biffRecord
	for off+4 <= len(s) {
		typ := binary.LittleEndian.Uint16(s[off:])
		n := int(binary.LittleEndian.Uint16(s[off+2:]))
		if off+4+n > len(s) {
			return nil, fmt.Errorf("%w: a record runs past the end", errXLS)
		}
		out = append(out, biffRecord{typ, s[off+4 : off+4+n]})
		off += 4 + n
		if typ == 0x000A { // EOF
			return out, nil
		}
	}
	return out, nil
}

type boundSheet struct {
	pos  int
	name string
}

// parseBIFF8 reads the worksheets of a Workbook stream; maxCells bounds
// the cells of their dense grids together.
func parseBIFF8(s []byte, maxCells int) ([]xlsSheet, error) {
	glob, err := biffRecords(s, 0)
	if err != nil {
		return nil, err
	}
	if len(glob) == 0 || glob[0].typ != 0x0809 || len(glob[0].data) < 4 || binary.LittleEndian.Uint16(glob[0].data) != 0x0600 {
		return nil, fmt.Errorf("%w: not BIFF8 (Excel 97 or later)", errXLS)
	}
	var sheets []boundSheet
	var sst []string
	formats := map[uint16]string{}
	var xfFormats []uint16
	for i := 0; i < len(glob); i++ {
		rec := glob[i]
		switch rec.typ {
		case 0x002F: // FILEPASS
			return nil, fmt.Errorf("%w: the workbook is protected by a password; remove the password and save it again", errXLS)
		case 0x041E: // FORMAT
			if len(rec.data) >= 2 {
				if f, _, err := longString(rec.data[2:]); err == nil {
					formats[binary.LittleEndian.Uint16(rec.data)] = f
				}
			}
		case 0x00E0: // XF: the number format of each cell style
			if len(rec.data) >= 4 && len(xfFormats) < 1<<16 {
				xfFormats = append(xfFormats, binary.LittleEndian.Uint16(rec.data[2:]))
			}
		case 0x0085: // BOUNDSHEET8
			d := rec.data
			if len(d) < 8 {
				return nil, fmt.Errorf("%w: short sheet record", errXLS)
			}
			if d[5] != 0 { // not a worksheet (chart, macro sheet)
				continue
			}
			name, _, err := shortString(d[6:])
			if err != nil {
				return nil, err
			}
			if len(sheets) >= xlsMaxSheets {
				return nil, fmt.Errorf("%w: more than %d sheets", errXLS, xlsMaxSheets)
			}
			sheets = append(sheets, boundSheet{int(binary.LittleEndian.Uint32(d)), name})
		case 0x00FC: // SST with its CONTINUE records
			parts := [][]byte{rec.data}
			for i+1 < len(glob) && glob[i+1].typ == 0x003C {
				i++
				parts = append(parts, glob[i].data)
			}
			sst, err = parseSST(parts)
			if err != nil {
				return nil, err
			}
		}
	}
	percent := make([]bool, len(xfFormats))
	for i, f := range xfFormats {
		percent[i] = f == 9 || f == 10 || percentFormat(formats[f])
	}
	out := make([]xlsSheet, 0, len(sheets))
	cells := 0
	for _, bs := range sheets {
		if bs.pos < 0 || bs.pos >= len(s) {
			return nil, fmt.Errorf("%w: sheet %q lies outside the file", errXLS, bs.name)
		}
		recs, err := biffRecords(s, bs.pos)
		if err != nil {
			return nil, err
		}
		sh, n, err := parseSheet(bs.name, recs, sst, percent, maxCells-cells)
		if err != nil {
			return nil, err
		}
		cells += n
		out = append(out, sh)
	}
	return out, nil
}

// shortString reads a ShortXLUnicodeString (8-bit count).
func shortString(d []byte) (string, int, error) {
	if len(d) < 2 {
		return "", 0, fmt.Errorf("%w: short string", errXLS)
	}
	n, high := int(d[0]), d[1]&1 == 1
	return chars(d[2:], n, high, 2)
}

// longString reads an XLUnicodeString (16-bit count) without rich text.
func longString(d []byte) (string, int, error) {
	if len(d) < 3 {
		return "", 0, fmt.Errorf("%w: short string", errXLS)
	}
	n, flags := int(binary.LittleEndian.Uint16(d)), d[2]
	off := 3
	runs, ext := 0, 0
	if flags&8 != 0 {
		if len(d) < off+2 {
			return "", 0, fmt.Errorf("%w: short string", errXLS)
		}
		runs = int(binary.LittleEndian.Uint16(d[off:]))
		off += 2
	}
	if flags&4 != 0 {
		if len(d) < off+4 {
			return "", 0, fmt.Errorf("%w: short string", errXLS)
		}
		ext = int(binary.LittleEndian.Uint32(d[off:]))
		off += 4
	}
	s, used, err := chars(d[off:], n, flags&1 == 1, off)
	return s, used + runs*4 + ext, err
}

// chars decodes n characters, 8-bit (Latin-1, the low bytes of UTF-16) or
// 16-bit; used counts the bytes read including head.
func chars(d []byte, n int, high bool, head int) (string, int, error) {
	size := n
	if high {
		size = 2 * n
	}
	if size > len(d) {
		return "", 0, fmt.Errorf("%w: a string runs past its record", errXLS)
	}
	return decodeChars(d[:size], high), head + size, nil
}

func decodeChars(d []byte, high bool) string {
	if !high {
		r := make([]rune, len(d))
		for i, b := range d {
			r[i] = rune(b)
		}
		return string(r)
	}
	u := make([]uint16, len(d)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(d[2*i:])
	}
	return string(utf16.Decode(u))
}

// parseSST reads the shared strings, which may continue from one record
// into the next: characters split across a CONTINUE record carry a new
// flags byte there.
func parseSST(parts [][]byte) ([]string, error) {
	if len(parts[0]) < 8 {
		return nil, fmt.Errorf("%w: short shared string table", errXLS)
	}
	unique := int(binary.LittleEndian.Uint32(parts[0][4:]))
	if unique < 0 || unique > xlsMaxSST {
		return nil, fmt.Errorf("%w: too many shared strings", errXLS)
	}
	r := &sstReader{parts: parts, p: 0, off: 8}
	out := make([]string, 0, min(unique, 1<<16))
	for range unique {
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

type sstReader struct {
	parts [][]byte
	p     int
	off   int
}

func (r *sstReader) next() bool {
	for r.off >= len(r.parts[r.p]) {
		if r.p+1 >= len(r.parts) {
			return false
		}
		r.p++
		r.off = 0
	}
	return true
}

func (r *sstReader) bytes(n int) ([]byte, error) {
	var out []byte
	for n > 0 {
		if !r.next() {
			return nil, fmt.Errorf("%w: the shared string table ends early", errXLS)
		}
		cur := r.parts[r.p]
		k := min(n, len(cur)-r.off)
		out = append(out, cur[r.off:r.off+k]...)
		r.off += k
		n -= k
	}
	return out, nil
}

func (r *sstReader) str() (string, error) {
	h, err := r.bytes(3)
	if err != nil {
		return "", err
	}
	n, flags := int(binary.LittleEndian.Uint16(h)), h[2]
	runs, ext := 0, 0
	if flags&8 != 0 {
		b, err := r.bytes(2)
		if err != nil {
			return "", err
		}
		runs = int(binary.LittleEndian.Uint16(b))
	}
	if flags&4 != 0 {
		b, err := r.bytes(4)
		if err != nil {
			return "", err
		}
		ext = int(binary.LittleEndian.Uint32(b))
		if ext < 0 || ext > xlsMaxStream {
			return "", fmt.Errorf("%w: bad string extension", errXLS)
		}
	}
	high := flags&1 == 1
	var buf bytes.Buffer
	for n > 0 {
		if r.off >= len(r.parts[r.p]) {
			// The characters go on in the next CONTINUE record, which
			// starts with a flags byte for the rest of them.
			if r.p+1 >= len(r.parts) || len(r.parts[r.p+1]) == 0 {
				return "", fmt.Errorf("%w: the shared string table ends early", errXLS)
			}
			r.p++
			high = r.parts[r.p][0]&1 == 1
			r.off = 1
		}
		cur := r.parts[r.p]
		width := 1
		if high {
			width = 2
		}
		k := min(n, (len(cur)-r.off)/width)
		if k == 0 {
			return "", fmt.Errorf("%w: a shared string is cut", errXLS)
		}
		buf.WriteString(decodeChars(cur[r.off:r.off+k*width], high))
		r.off += k * width
		n -= k
	}
	if _, err := r.bytes(runs*4 + ext); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func rkNumber(rk uint32) float64 {
	var v float64
	if rk&2 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&0xfffffffc) << 32)
	}
	if rk&1 != 0 {
		v /= 100
	}
	return v
}

// numText writes a number with the 15 significant digits a spreadsheet
// program shows (0.1+0.2 is 0.3).
func numText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func parseSheet(name string, recs []biffRecord, sst []string, percent []bool, budget int) (xlsSheet, int, error) {
	sh := xlsSheet{Name: name}
	cells := 0 // cells of the dense grid, counting the empty ones before a cell
	set := func(row, col int, v string) error {
		if row >= xlsMaxRows || col >= xlsMaxCols {
			return fmt.Errorf("%w: sheet %q is too large", errXLS, name)
		}
		if row >= len(sh.Rows) {
			if cells += row + 1 - len(sh.Rows); cells > budget {
				return fmt.Errorf("%w: the workbook has too many cells", errXLS)
			}
			sh.Rows = append(sh.Rows, make([][]string, row+1-len(sh.Rows))...)
		}
		r := sh.Rows[row]
		if col >= len(r) {
			if cells += col + 1 - len(r); cells > budget {
				return fmt.Errorf("%w: the workbook has too many cells", errXLS)
			}
			r = append(r, make([]string, col+1-len(r))...)
		}
		r[col] = v
		sh.Rows[row] = r
		return nil
	}
	// num sets a number, noting it when its style shows a percentage.
	num := func(row, col int, xf uint16, v float64) error {
		if err := set(row, col, numText(v)); err != nil {
			return err
		}
		if int(xf) < len(percent) && percent[xf] {
			if sh.Percent == nil {
				sh.Percent = map[[2]int]bool{}
			}
			sh.Percent[[2]int{row, col}] = true
		}
		return nil
	}
	xf := func(d []byte) uint16 { return binary.LittleEndian.Uint16(d[4:]) }
	cell := func(d []byte) (int, int, bool) {
		if len(d) < 6 {
			return 0, 0, false
		}
		return int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:])), true
	}
	pendingRow, pendingCol := -1, -1 // a formula whose string result follows
	for _, rec := range recs {
		d := rec.data
		var err error
		switch rec.typ {
		case 0x00FD: // LABELSST
			row, col, ok := cell(d)
			if !ok || len(d) < 10 {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			i := int(binary.LittleEndian.Uint32(d[6:]))
			if i < 0 || i >= len(sst) {
				return sh, 0, fmt.Errorf("%w: a cell refers to a missing shared string", errXLS)
			}
			err = set(row, col, sst[i])
		case 0x0204: // LABEL
			row, col, ok := cell(d)
			if !ok {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			s, _, e := longString(d[6:])
			if e != nil {
				return sh, 0, e
			}
			err = set(row, col, s)
		case 0x0203: // NUMBER
			row, col, ok := cell(d)
			if !ok || len(d) < 14 {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			err = num(row, col, xf(d), math.Float64frombits(binary.LittleEndian.Uint64(d[6:])))
		case 0x027E: // RK
			row, col, ok := cell(d)
			if !ok || len(d) < 10 {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			err = num(row, col, xf(d), rkNumber(binary.LittleEndian.Uint32(d[6:])))
		case 0x00BD: // MULRK
			if len(d) < 6 {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			row, col := int(binary.LittleEndian.Uint16(d)), int(binary.LittleEndian.Uint16(d[2:]))
			for off := 4; off+6 <= len(d)-2; off += 6 {
				if err = num(row, col, binary.LittleEndian.Uint16(d[off:]), rkNumber(binary.LittleEndian.Uint32(d[off+2:]))); err != nil {
					break
				}
				col++
			}
		case 0x0006: // FORMULA: the cached result
			row, col, ok := cell(d)
			if !ok || len(d) < 14 {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			res := d[6:14]
			if res[6] == 0xFF && res[7] == 0xFF {
				switch res[0] {
				case 0: // a string, in the next STRING record
					pendingRow, pendingCol = row, col
				case 1:
					err = set(row, col, map[bool]string{true: "TRUE", false: "FALSE"}[res[2] != 0])
				}
			} else {
				err = num(row, col, xf(d), math.Float64frombits(binary.LittleEndian.Uint64(res)))
			}
		case 0x0205: // BOOLERR: a yes/no value (errors such as #N/A are left empty)
			row, col, ok := cell(d)
			if !ok || len(d) < 8 {
				return sh, 0, fmt.Errorf("%w: short cell record", errXLS)
			}
			if d[7] == 0 {
				err = set(row, col, map[bool]string{true: "TRUE", false: "FALSE"}[d[6] != 0])
			}
		case 0x0207: // STRING: a formula's text result
			if pendingRow >= 0 {
				s, _, e := longString(d)
				if e != nil {
					return sh, 0, e
				}
				err = set(pendingRow, pendingCol, s)
				pendingRow, pendingCol = -1, -1
			}
		case 0x00E5: // MERGEDCELLS
			if len(d) < 2 {
				continue
			}
			n := int(binary.LittleEndian.Uint16(d))
			for k := 0; k < n && 2+8*k+8 <= len(d); k++ {
				o := 2 + 8*k
				sh.Merges = append(sh.Merges, [4]int{int(binary.LittleEndian.Uint16(d[o:])), int(binary.LittleEndian.Uint16(d[o+2:])),
					int(binary.LittleEndian.Uint16(d[o+4:])), int(binary.LittleEndian.Uint16(d[o+6:]))})
			}
		}
		if err != nil {
			return sh, 0, err
		}
	}
	return sh, cells, nil
}
