package monitor

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/monitor"
)

func runExport(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	env.StoreFlags(fs)
	dx := fs.String("dx", "", "data elements or indicators, ';'-separated")
	pe := fs.String("pe", "", "periods, ';'-separated (2015;2015Q3;LAST_12_MONTHS)")
	ou := fs.String("ou", "41", "org units, ';'-separated (41;LEVEL-3, 4101;CHILDREN)")
	raw := fs.Bool("raw", false, "export raw values (long import shape) instead of analytics")
	format := fs.String("format", "", "csv or xlsx (default: from --out's extension)")
	out := fs.String("out", "", "file to write")
	lang := fs.String("lang", "zh-CN", "language of names: zh-CN or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || *dx == "" || (!*raw && *pe == "") {
		return errors.New("usage: zhihui export --dx CODES --pe PERIODS [--ou UNITS] [--raw] [--format csv|xlsx] --out FILE")
	}
	if *format == "" {
		*format = monitor.CSV
		if strings.HasSuffix(strings.ToLower(*out), ".xlsx") {
			*format = monitor.XLSX
		}
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	split := func(s string) []string { return strings.Split(s, ";") }
	n := 0
	if *raw {
		var pes []string
		if *pe != "" {
			pes = split(*pe)
		}
		vals, err := monitor.DataValues(ctx, a.DB, monitor.ValueFilter{Elements: split(*dx), OrgUnits: split(*ou), Periods: pes, Children: true})
		if err != nil {
			return err
		}
		if err := monitor.WriteValues(f, vals, *format); err != nil {
			return err
		}
		n = len(vals)
	} else {
		r, err := monitor.Analytics(ctx, a.DB, monitor.Query{DX: split(*dx), PE: split(*pe), OU: split(*ou)})
		if err != nil {
			return err
		}
		if err := monitor.WriteAnalytics(f, r, *format, *lang); err != nil {
			return err
		}
		n = len(r.Rows)
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %d rows to %s\n", n, *out)
	return nil
}
