package evalstore

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/i18n"
)

// FuzzReadUpload feeds arbitrary bytes as CSV and as XLSX: the reader
// either returns a dataset or a bilingual user error, never panics.
func FuzzReadUpload(f *testing.F) {
	f.Add([]byte(longCSV), false)
	f.Add([]byte("unit,year,a,b\n4101,2020,1,\n4102,2020,NA,2\n"), false)
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"unit", "year", "a"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"4101", 2020, 1})
	var b bytes.Buffer
	x.Write(&b)
	f.Add(b.Bytes(), true)
	f.Fuzz(func(t *testing.T, data []byte, xlsx bool) {
		name := "f.csv"
		if xlsx {
			name = "f.xlsx"
		}
		d, err := ReadUpload(name, bytes.NewReader(data))
		if err != nil {
			var ue *i18n.Error
			if !errors.As(err, &ue) || ue.Zh == "" || ue.En == "" {
				t.Fatalf("not a bilingual user error: %v", err)
			}
			return
		}
		if len(d.Units) == 0 || len(d.Years) == 0 {
			t.Fatalf("empty dataset without error: %+v", d)
		}
	})
}
