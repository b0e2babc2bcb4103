package publiceval

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/cli"
	"zhihui/internal/orgunit"
	"zhihui/internal/publiceval"
)

func runRatings(env cli.Env, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: zhihui ratings import FILE [--dry-run] | export --unit CODE --period P [--format csv|json] --out FILE | volumes import|export|list … | bulletin issue|fetch …")
	}
	switch args[0] {
	case "import":
		return ratingsImport(env, args[1:])
	case "export":
		return ratingsExport(env, args[1:])
	case "volumes":
		return runVolumes(env, args[1:])
	case "bulletin":
		return runBulletin(env, args[1:])
	}
	return fmt.Errorf("unknown ratings command %q: import, export, volumes or bulletin", args[0])
}

func ratingsImport(env cli.Env, args []string) error {
	ic := cli.NewImport(env, "ratings import", cli.DryRunHelp, cli.LangHelp)
	return ic.Run(args, "usage: zhihui ratings import FILE [--dry-run]", func(ctx context.Context, a *cli.App, f *os.File) error {
		res, err := publiceval.New(a.DB).Import(ctx, audit.System, ic.File, f, *ic.Dry, func(string) bool { return true })
		if err != nil {
			return err
		}
		return ic.Report(cli.Imported, res.Errors, len(res.Errors), nil, func(verb string) error {
			fmt.Printf("%s: %d rows, %s %d new ratings (%d 差评 cases opened), %d already here\n", ic.File, res.Rows, verb, res.New, res.Cases, res.Existing)
			return nil
		})
	})
}

func ratingsExport(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("ratings export", flag.ContinueOnError)
	env.StoreFlags(fs)
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
	a, err := env.Open(ctx)
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
	var write func(io.Writer, []publiceval.Record) error
	switch strings.ToLower(*format) {
	case "csv":
		write = publiceval.WriteCSV
	case "json":
		write = publiceval.WriteJSON
	default:
		return fmt.Errorf("unknown format %q: csv or json", *format)
	}
	if err := cli.WriteOut(*out, func(w io.Writer) error { return write(w, recs) }); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Printf("%d ratings of %s %s → %s\n", len(recs), u.Code, p.ID, *out)
	}
	return nil
}
