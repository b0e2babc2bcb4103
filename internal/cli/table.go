package cli

import (
	"fmt"
	"os"
	"text/tabwriter"
)

// Table prints a list on standard output as columns two spaces apart
// under a line of column names.
type Table struct{ w *tabwriter.Writer }

// NewTable starts a table with the column names head.
func NewTable(head ...string) *Table {
	t := &Table{tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)}
	cells := make([]any, len(head))
	for i, h := range head {
		cells[i] = h
	}
	t.Row(cells...)
	return t
}

// Row adds a line of cells, each printed as fmt.Print prints it.
func (t *Table) Row(cells ...any) {
	for i, c := range cells {
		if i > 0 {
			fmt.Fprint(t.w, "\t")
		}
		fmt.Fprint(t.w, c)
	}
	fmt.Fprintln(t.w)
}

// Flush prints the table.
func (t *Table) Flush() error { return t.w.Flush() }
