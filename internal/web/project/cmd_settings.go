package project

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"zhihui/internal/cli"
	dom "zhihui/internal/project"
)

const thresholdsUsage = `usage: zhihui projects thresholds [--amber PCT] [--red PCT] [--stale-days N] [--json]
       zhihui projects om thresholds [--over-last-year PCT] [--over-catalogue PCT] [--investment-share PCT] [--json]
without a value the thresholds are printed; a value given changes that threshold, the others keep theirs (the office; audited);
every command takes --as USER (default: the system) and --data DIR | --db DSN`

// settingCmd reads and changes one of the office's settings: the flags
// are its form's fields (flag names with - for _), read by the page's
// reader and stored by the page's domain function.
func settingCmd[T any](name string, fields []string, get func(context.Context, *dom.Service) (T, error),
	set func(context.Context, *dom.Service, *cli.Actor, url.Values) error, row func(T) []any) func(cli.Env, []string) error {
	return func(env cli.Env, args []string) error {
		fs, as := cli.ActingFlags(env, name)
		vals := make([]*string, len(fields))
		for i, f := range fields {
			vals[i] = fs.String(strings.ReplaceAll(f, "_", "-"), "", f+": a whole number (default: unchanged)")
		}
		asJSON := fs.Bool("json", false, "print the thresholds as JSON as the API does")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return fmt.Errorf("%s", thresholdsUsage)
		}
		ctx := context.Background()
		a, err := openOffice(ctx, env, as)
		if err != nil {
			return err
		}
		defer a.Close()
		svc := dom.New(a.DB)
		cur, err := get(ctx, svc)
		if err != nil {
			return err
		}
		changed := false
		for _, p := range vals {
			changed = changed || *p != ""
		}
		if changed {
			// The unchanged fields keep their stored values.
			v := url.Values{}
			for i, x := range row(cur) {
				v.Set(fields[i], fmt.Sprint(x))
			}
			for i, p := range vals {
				if *p != "" {
					v.Set(fields[i], *p)
				}
			}
			if err := set(ctx, svc, as, v); err != nil {
				if ue, ok := asUserError(err); ok && ue.Field != "" {
					return fmt.Errorf("--%s: %w", strings.ReplaceAll(ue.Field, "_", "-"), err)
				}
				return err
			}
			if cur, err = get(ctx, svc); err != nil {
				return err
			}
		}
		if *asJSON {
			return cli.PrintJSON(os.Stdout, map[string]any{"thresholds": cur})
		}
		t := cli.NewTable(fields...)
		t.Row(row(cur)...)
		return t.Flush()
	}
}

// projectsThresholds reads and sets the supervision thresholds.
var projectsThresholds = settingCmd("projects thresholds", thresholdFields,
	func(ctx context.Context, s *dom.Service) (dom.Thresholds, error) { return s.Thresholds(ctx) },
	func(ctx context.Context, s *dom.Service, as *cli.Actor, v url.Values) error {
		th, err := thresholdsOf(v)
		if err != nil {
			return err
		}
		return s.SetThresholds(ctx, as.A, th)
	},
	func(th dom.Thresholds) []any { return []any{th.Amber, th.Red, th.StaleDays} })

// omThresholdsCmd reads and sets the O&M outlier thresholds.
var omThresholdsCmd = settingCmd("projects om thresholds", omThresholdFields,
	func(ctx context.Context, s *dom.Service) (dom.OMThresholds, error) { return s.OMThresholds(ctx) },
	func(ctx context.Context, s *dom.Service, as *cli.Actor, v url.Values) error {
		th, err := omThresholdsOf(v)
		if err != nil {
			return err
		}
		return s.SetOMThresholds(ctx, as.A, th)
	},
	func(th dom.OMThresholds) []any { return []any{th.OverLastYear, th.OverCatalogue, th.InvestmentShare} })
