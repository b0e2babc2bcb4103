package publiceval

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/audit"
	"zhihui/internal/cli"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/publiceval"
	"zhihui/internal/spreadsheet"
)

const volumesUsage = "usage: zhihui ratings volumes import FILE [--dry-run] [--unit CODE] [--json] | volumes export --unit CODE --period YYYY|YYYYMM [--format csv|json|xlsx] --out FILE | volumes list --unit CODE --period P"

// runVolumes imports, exports and lists the case volumes (办件量) of the
// services and disclosure items, the denominator of the 主动评价率.
func runVolumes(env cli.Env, args []string) error {
	if len(args) == 0 {
		return errors.New(volumesUsage)
	}
	switch args[0] {
	case "import":
		return volumesImport(env, args[1:])
	case "export":
		return volumesExport(env, args[1:], false)
	case "list":
		return volumesExport(env, args[1:], true)
	}
	return fmt.Errorf("unknown ratings volumes command %q: import, export or list", args[0])
}

// volumesImport records a CSV, XLSX or JSON file of case volumes, all or
// nothing, for the targets under --unit (default: the whole province).
func volumesImport(env cli.Env, args []string) error {
	ic := cli.NewImport(env, "ratings volumes import", cli.DryRunHelp, cli.LangHelp)
	unit := ic.FS.String("unit", orgunit.Root, "only targets of this unit's subtree may be in the file")
	asJSON := ic.FS.Bool("json", false, "print the result (or the errors, in both languages) as JSON")
	return ic.Run(args, volumesUsage, func(ctx context.Context, a *cli.App, f *os.File) error {
		data, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		u, err := orgunit.Get(ctx, a.DB, *unit)
		if err != nil {
			return fmt.Errorf("unit %s: %w", *unit, err)
		}
		var vs []publiceval.Volume
		var errs []*i18n.Error
		if strings.EqualFold(filepath.Ext(ic.File), ".json") {
			vs, errs = publiceval.ParseVolumesJSON(data)
		} else {
			vs, errs = publiceval.ParseVolumes(ic.File, data)
		}
		res := publiceval.VolumeResult{Rows: len(vs), Errors: errs, DryRun: *ic.Dry}
		if len(errs) == 0 {
			save := publiceval.SaveVolumes
			if *ic.Dry {
				save = publiceval.CheckVolumes
			}
			inside := func(path string) bool { return strings.HasPrefix(path, u.Path) }
			if res, err = save(ctx, a.DB, audit.System, vs, time.Now(), inside); err != nil {
				return err
			}
		}
		var js any
		if *asJSON {
			js = res
		}
		return ic.Report(cli.ImportWords{Nothing: "no case volume recorded", Did: "recorded", Would: "would record"}, res.Errors, len(res.Errors), js, func(verb string) error {
			fmt.Printf("%s: %d rows, %s %d new and %d changed case volumes, %d unchanged\n", ic.File, res.Rows, verb, res.New, res.Changed, res.Same)
			return nil
		})
	})
}

// volumesExport writes the case volumes of a unit's subtree over a
// period in the columns an import reads; list prints them as a table.
func volumesExport(env cli.Env, args []string, list bool) error {
	name := "export"
	if list {
		name = "list"
	}
	fs := flag.NewFlagSet("ratings volumes "+name, flag.ContinueOnError)
	env.StoreFlags(fs)
	unit := fs.String("unit", orgunit.Root, "the unit whose subtree's case volumes are listed")
	per := fs.String("period", time.Now().Format("2006"), "YYYY or YYYYMM")
	format := fs.String("format", "csv", "csv, json or xlsx")
	out := fs.String("out", "", "output file (- for standard output)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !list && *out == "" {
		return errors.New(volumesUsage)
	}
	p, err := publiceval.ParsePeriod(*per)
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
	vs, err := publiceval.Volumes(ctx, a.DB, u.Path, p)
	if err != nil {
		return err
	}
	if list {
		t := cli.NewTable(publiceval.VolumeListColumns...)
		for _, v := range vs {
			t.Row(publiceval.VolumeRow(v)...)
		}
		if err := t.Flush(); err != nil {
			return err
		}
		fmt.Printf("%d case volumes of %s %s\n", len(vs), u.Code, p.ID)
		return nil
	}
	var write func(io.Writer) error
	switch strings.ToLower(*format) {
	case "csv":
		write = func(w io.Writer) error { return publiceval.WriteVolumesCSV(w, vs) }
	case "json":
		if vs == nil {
			vs = []publiceval.Volume{}
		}
		write = func(w io.Writer) error {
			return cli.PrintJSON(w, map[string]any{"unit": u.Code, "period": p.ID, "volumes": vs})
		}
	case "xlsx":
		write = func(w io.Writer) error { return writeVolumesWorkbook(w, vs) }
	default:
		return fmt.Errorf("unknown format %q: csv, json or xlsx", *format)
	}
	if err := cli.WriteOut(*out, write); err != nil {
		return err
	}
	if *out != "-" {
		fmt.Printf("%d case volumes of %s %s → %s\n", len(vs), u.Code, p.ID, *out)
	}
	return nil
}

// writeVolumesWorkbook writes the list as one sheet headed by the column
// names an import reads.
func writeVolumesWorkbook(w io.Writer, vs []publiceval.Volume) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	head := make([]any, len(publiceval.VolumeListColumns))
	for i, c := range publiceval.VolumeListColumns {
		head[i] = c
	}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		return err
	}
	for i, v := range vs {
		row := publiceval.VolumeRow(v)
		for j := range row {
			row[j] = spreadsheet.Value(row[j])
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	return f.Write(w)
}
