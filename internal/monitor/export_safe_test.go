package monitor

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Comments typed by users are written as text that spreadsheet programs
// do not evaluate; numbers stay numbers.
func TestExportNeutralisesFormulas(t *testing.T) {
	vals := []StoredValue{{Value: Value{DataElement: "ADMIN_VILLAGES", OrgUnit: "410102", Period: "2024", Value: "-5", Comment: `=HYPERLINK("http://evil.example","x")`}}}
	var b bytes.Buffer
	if err := WriteValues(&b, vals, CSV); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `'=HYPERLINK(`) || strings.Contains(out, `,=HYPERLINK(`) || strings.Contains(out, `,"=HYPERLINK(`) {
		t.Fatalf("CSV comment not neutralised:\n%s", out)
	}
	if !strings.Contains(out, ",-5,") {
		t.Fatalf("a negative number was changed:\n%s", out)
	}
	b.Reset()
	if err := WriteValues(&b, vals, XLSX); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("dataValues")
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[1][4]; !strings.HasPrefix(got, "'=") {
		t.Fatalf("XLSX comment cell %q", got)
	}
}
