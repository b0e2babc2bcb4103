package ecstat

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"zhihui/internal/i18n"
)

// MaxFile bounds an uploaded register file.
const MaxFile = 200 << 20

// Limits on what a workbook may unpack to (a zip bomb is refused before
// excelize allocates it).
const (
	maxUnzipped = 1 << 30
	maxPart     = 256 << 20
	maxRatio    = 200
)

// readTable reads the rows of a CSV file (UTF-8, with or without a byte
// order mark, or GB18030 as Chinese Excel writes it) or of the first sheet
// of an XLSX workbook, chosen by the file name's extension. fn receives
// each row with its 1-based number; a returned error stops the reading.
func readTable(name string, r io.Reader, fn func(n int, rec []string) error) (*i18n.Error, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".xlsx":
		return readXLSX(r, fn)
	case ".csv", ".txt", "":
		return readCSV(r, fn)
	}
	return i18n.Errorf("不支持的文件类型 %q：请上传 CSV 或 XLSX 文件", "unsupported file type %q: upload a CSV or XLSX file", path.Ext(name)), nil
}

func readCSV(r io.Reader, fn func(int, []string) error) (*i18n.Error, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var src io.Reader = br
	peek, _ := br.Peek(64 << 10)
	peek = bytes.TrimPrefix(peek, []byte("\xef\xbb\xbf"))
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
	n := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil, nil
		}
		n++
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return i18n.Errorf("CSV 格式错误：%v", "malformed CSV: %v", pe.Err).At(pe.Line, ""), nil
			}
			return nil, fmt.Errorf("ecstat: read csv: %w", err)
		}
		if err := fn(n, rec); err != nil {
			return nil, err
		}
	}
}

func readXLSX(r io.Reader, fn func(int, []string) error) (*i18n.Error, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFile+1))
	if err != nil {
		return nil, fmt.Errorf("ecstat: read xlsx: %w", err)
	}
	if len(b) > MaxFile {
		return i18n.Errorf("文件过大（最大 %d MB）", "the file is too large (at most %d MB)", MaxFile>>20), nil
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return i18n.Errorf("不是有效的 XLSX 文件：%v", "not a valid XLSX file: %v", err), nil
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxPart || total > maxUnzipped || f.UncompressedSize64 > f.CompressedSize64*maxRatio+1<<20 {
			return i18n.Errorf("XLSX 文件内容过大或已损坏（%s）", "the XLSX file unpacks too large or is damaged (%s)", f.Name), nil
		}
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: 32 << 20})
	if err != nil {
		return i18n.Errorf("无法读取 XLSX 文件：%v", "cannot read the XLSX file: %v", err), nil
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return i18n.Errorf("工作簿中没有工作表", "the workbook has no sheet"), nil
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return i18n.Errorf("无法读取工作表「%s」：%v", "cannot read sheet %q: %v", sheets[0], err), nil
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
		rec, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return i18n.Errorf("无法读取第 %d 行：%v", "cannot read row %d: %v", n, err), nil
		}
		if err := fn(n, rec); err != nil {
			return nil, err
		}
	}
	return nil, rows.Error()
}

// colName is the spreadsheet letter of 0-based column i.
func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
