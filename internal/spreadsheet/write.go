package spreadsheet

import (
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Write writes a one-sheet XLSX workbook with a header row and rows to w;
// text cells go through [Text] and other values through [Value], so that
// nothing exported is evaluated as a formula.
func Write(w io.Writer, header []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	head := make([]any, len(header))
	for i, h := range header {
		head[i] = Text(h)
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	for i, row := range rows {
		vals := make([]any, len(row))
		for j, v := range row {
			vals[j] = Value(v)
		}
		if err := f.SetSheetRow(sheet, "A"+strconv.Itoa(i+2), &vals); err != nil {
			return err
		}
	}
	return f.Write(w)
}
