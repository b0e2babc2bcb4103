package monitor

import (
	"context"
	"fmt"
	"os"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/cli"
	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
)

func runImport(env cli.Env, args []string) error {
	ic := cli.NewImport(env, "import", "check the file and print the report without writing", cli.LangHelp)
	pe := ic.FS.String("period", "", "period for report sheets that name none, e.g. 2015 or 201507")
	asJSON := ic.FS.Bool("json", false, `print the report as JSON: {"values", "missing", "errors", "sheets"}`)
	return ic.Run(args, "usage: zhihui import FILE [--dry-run] [--data DIR | --db DSN]", func(ctx context.Context, a *cli.App, f *os.File) error {
		start := time.Now()
		im, err := monitor.ReadImport(ctx, a.DB, ic.File, f, monitor.ImportOptions{Period: *pe})
		if err != nil {
			return err
		}
		if *asJSON {
			return importJSON(ctx, a, im, *ic.Dry)
		}
		lang := *ic.Lang
		fmt.Printf("%s: %s, %s shape, header at row %d, %d rows, %d values, %d errors (read in %s)\n",
			im.File, im.Format, im.Shape, im.HeaderRow, im.Rows, im.Values, im.ErrorCount, time.Since(start).Round(time.Millisecond))
		for _, sh := range im.Sheets {
			if sh.Name == "" {
				continue
			}
			if sh.Skipped.Zh != "" {
				fmt.Printf("  sheet %s: skipped (%s)\n", sh.Name, sh.Skipped.In(lang))
				continue
			}
			fmt.Printf("  sheet %s: %s shape, header at row %d, period %s, %d rows, %d values, %d missing\n", sh.Name, sh.Shape, sh.HeaderRow, sh.Period, sh.Rows, sh.Values, sh.Missing)
			for _, c := range sh.Conversions {
				fmt.Println("    converted " + c.In(lang))
			}
		}
		for _, e := range im.Errors {
			fmt.Println("  " + e.Message(lang))
		}
		if im.ErrorCount > len(im.Errors) {
			fmt.Printf("  … %d more\n", im.ErrorCount-len(im.Errors))
		}
		if im.ErrorCount > 0 {
			return fmt.Errorf("nothing imported: %d errors", im.ErrorCount)
		}
		if *ic.Dry {
			fmt.Println("dry run: nothing written")
			return nil
		}
		start = time.Now()
		res, err := im.Commit(ctx, a.DB, audit.Actor{Name: "cli"})
		if err != nil {
			return err
		}
		fmt.Printf("imported into %s: %d created, %d updated, %d deleted, %d unchanged (%s)\n",
			a.Where(), res.Created, res.Updated, res.Deleted, res.Unchanged, time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// importJSON prints the import report as JSON and, unless dry, commits.
func importJSON(ctx context.Context, a *cli.App, im *monitor.Import, dry bool) error {
	out := struct {
		File    string               `json:"file"`
		Values  int                  `json:"values"`
		Missing int                  `json:"missing"`
		Errors  []*i18n.Error        `json:"errors"`
		Sheets  []monitor.SheetInfo  `json:"sheets"`
		Written *monitor.WriteResult `json:"written,omitempty"`
	}{File: im.File, Values: im.Values, Missing: im.Missing, Errors: im.Errors, Sheets: im.Sheets}
	if out.Errors == nil {
		out.Errors = []*i18n.Error{}
	}
	var failed error
	if im.ErrorCount > 0 {
		failed = fmt.Errorf("nothing imported: %d errors", im.ErrorCount)
	} else if !dry {
		res, err := im.Commit(ctx, a.DB, audit.Actor{Name: "cli"})
		if err != nil {
			return err
		}
		out.Written = &res
	}
	if err := cli.PrintJSON(os.Stdout, out); err != nil {
		return err
	}
	return failed
}
