package project

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
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

const publicationUsage = `usage: zhihui projects publication [--fields F,F,...] [--json]   (the office: print or choose the fields the public page shows)
       zhihui projects publish ID [--withdraw] [--json]   (the office: publish or withdraw one project of its units)`

// projectsPublication prints or chooses the published fields.
func projectsPublication(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects publication")
	set := fs.String("fields", "", "the fields to publish, comma separated, of: "+strings.Join(dom.PublicFields, ", ")+" (default: print them)")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/projects/publication does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := openOffice(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := dom.New(a.DB)
	if *set != "" {
		if err := svc.SetPublishedFields(ctx, as.A, strings.Split(*set, ",")); err != nil {
			return fmt.Errorf("--fields: %w", err)
		}
	}
	fields, err := svc.PublishedFields(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"fields": fields, "available": dom.PublicFields})
	}
	fmt.Println(strings.Join(fields, ","))
	return nil
}

// projectsPublish publishes or withdraws one project.
func projectsPublish(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects publish")
	withdraw := fs.Bool("withdraw", false, "withdraw the project from the public page")
	asJSON := fs.Bool("json", false, "print JSON as POST /api/v1/projects/{id}/publish does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	var id int64
	if len(pos) == 1 {
		id, _ = strconv.ParseInt(pos[0], 10, 64)
	}
	if id <= 0 {
		return fmt.Errorf("%s", publicationUsage)
	}
	v := url.Values{"publish": {"1"}}
	if *withdraw {
		v.Set("publish", "0")
	}
	on, err := publishOf(v)
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := dom.New(a.DB)
	if err := svc.PublishProject(ctx, as.A, as.P.Scopes(Offices...), id, on); err != nil {
		return outside(as, err)
	}
	pub, err := svc.PublishedIDs(ctx, []int64{id})
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"id": id, "published": pub[id]})
	}
	fmt.Printf("project %d published: %v\n", id, pub[id])
	return nil
}

// expertsWindow prints or sets the office's window of years for ties.
func expertsWindow(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "experts window")
	years := fs.String("years", "", "the window of years, 0 to 10 (default: print it)")
	asJSON := fs.Bool("json", false, "print JSON as POST /api/v1/experts/window does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := openOffice(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := dom.New(a.DB)
	if *years != "" {
		n, err := tieYearsOf(url.Values{"tie_years": {*years}})
		if err == nil {
			err = svc.SetTieYears(ctx, as.A, n)
		}
		if err != nil {
			return fmt.Errorf("--years: %w", err)
		}
	}
	n, err := svc.TieYears(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"tie_years": n})
	}
	fmt.Println(n)
	return nil
}
