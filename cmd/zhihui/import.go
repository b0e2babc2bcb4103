package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/monitor"
)

func init() {
	register("import", "import data values from a CSV or XLSX file (long or 统计报表 shape): FILE [--dry-run]", runImport)
}

func runImport(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	c.StoreFlags(fs)
	dry := fs.Bool("dry-run", false, "check the file and print the report without writing")
	pe := fs.String("period", "", "period for report sheets that name none, e.g. 2015 or 201507")
	lang := fs.String("lang", "zh-CN", "language of the error report: zh-CN or en")
	// Accept the file before or after the flags.
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return errors.New("usage: zhihui import FILE [--dry-run] [--data DIR | --db DSN]")
	}
	ctx := context.Background()
	a, err := app.Open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Bootstrap(ctx); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	im, err := monitor.ReadImport(ctx, a.DB, file, f, monitor.ImportOptions{Period: *pe})
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s, %s shape, header at row %d, %d rows, %d values, %d errors (read in %s)\n",
		im.File, im.Format, im.Shape, im.HeaderRow, im.Rows, im.Values, im.ErrorCount, time.Since(start).Round(time.Millisecond))
	for _, e := range im.Errors {
		fmt.Println("  " + e.Message(*lang))
	}
	if im.ErrorCount > len(im.Errors) {
		fmt.Printf("  … %d more\n", im.ErrorCount-len(im.Errors))
	}
	if im.ErrorCount > 0 {
		return fmt.Errorf("nothing imported: %d errors", im.ErrorCount)
	}
	if *dry {
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
}
