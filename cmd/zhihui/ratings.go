package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/publiceval"
)

func init() {
	register("ratings", "public evaluation ratings in the provincial exchange format: import FILE [--dry-run] | export --unit CODE --period YYYY|YYYYMM [--format csv|json] --out FILE; case volumes (办件量): volumes import FILE [--dry-run] [--unit CODE] | volumes export|list --unit CODE --period P [--format csv|json|xlsx] [--out FILE]", runRatings)
}

func runRatings(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: zhihui ratings import FILE [--dry-run] | export --unit CODE --period P [--format csv|json] --out FILE | volumes import|export|list …")
	}
	switch args[0] {
	case "import":
		return ratingsImport(args[1:])
	case "export":
		return ratingsExport(args[1:])
	case "volumes":
		return runVolumes(args[1:])
	}
	return fmt.Errorf("unknown ratings command %q: import, export or volumes", args[0])
}

func ratingsImport(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("ratings import", flag.ContinueOnError)
	c.StoreFlags(fs)
	dry := fs.Bool("dry-run", false, "check the file and print what importing it would do, writing nothing")
	lang := fs.String("lang", "zh-CN", "language of the error report: zh-CN or en")
	file, err := parseFileArgs(fs, args)
	if err != nil {
		return err
	}
	if file == "" {
		return errors.New("usage: zhihui ratings import FILE [--dry-run]")
	}
	ctx := context.Background()
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := publiceval.New(a.DB).Import(ctx, audit.System, file, f, *dry, func(string) bool { return true })
	if err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Println(e.Message(*lang))
	}
	if !res.OK() {
		return fmt.Errorf("%d errors: nothing imported", len(res.Errors))
	}
	verb := "imported"
	if *dry {
		verb = "would import"
	}
	fmt.Printf("%s: %d rows, %s %d new ratings (%d 差评 cases opened), %d already here\n", file, res.Rows, verb, res.New, res.Cases, res.Existing)
	return nil
}

func ratingsExport(args []string) error {
	var c app.Config
	fs := flag.NewFlagSet("ratings export", flag.ContinueOnError)
	c.StoreFlags(fs)
	unit := fs.String("unit", orgunit.Root, "the unit whose subtree's ratings are exported")
	period := fs.String("period", "", "YYYY or YYYYMM")
	format := fs.String("format", "csv", "csv or json")
	out := fs.String("out", "", "output file (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("usage: zhihui ratings export --unit CODE --period P [--format csv|json] --out FILE")
	}
	p, err := publiceval.ParsePeriod(*period)
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := openApp(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := orgunit.Get(ctx, a.DB, *unit)
	if err != nil {
		return fmt.Errorf("unit %s: %w", *unit, err)
	}
	recs, err := publiceval.Export(ctx, a.DB, u.Path, p)
	if err != nil {
		return err
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	switch strings.ToLower(*format) {
	case "csv":
		err = publiceval.WriteCSV(w, recs)
	case "json":
		err = publiceval.WriteJSON(w, recs)
	default:
		return fmt.Errorf("unknown format %q: csv or json", *format)
	}
	if err != nil {
		return err
	}
	if *out != "-" {
		fmt.Printf("%d ratings of %s %s → %s\n", len(recs), u.Code, p.ID, *out)
	}
	return nil
}
