// Package spreadsheet keeps text written to CSV and XLSX exports from being
// read as formulas by Excel, WPS or LibreOffice (CSV injection).
package spreadsheet

import "strconv"

// Text returns s safe for a text cell of an exported sheet: a value that
// starts with =, +, -, @, a tab or a carriage return, and is not a plain
// number, gets a leading apostrophe so that spreadsheet programs show it as
// text instead of evaluating it. Numbers such as "-3.5" are unchanged.
func Text(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if _, err := strconv.ParseFloat(s, 64); err == nil && s[0] != '\t' && s[0] != '\r' {
			return s
		}
		return "'" + s
	}
	return s
}

// Row applies [Text] to every cell of a row of text, in place, and returns it.
func Row(cells []string) []string {
	for i, c := range cells {
		cells[i] = Text(c)
	}
	return cells
}

// Value applies [Text] to a string value and leaves other values (numbers,
// times) alone, for rows of mixed cells.
func Value(v any) any {
	if s, ok := v.(string); ok {
		return Text(s)
	}
	return v
}
