package supervise

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"zhihui/internal/cli"
	"zhihui/internal/orgunit"
	"zhihui/internal/supervise"
)

func runAssess(env cli.Env, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return fmt.Errorf("usage: zhihui assess run --year Y [--group city|county|department] [--json] [--data DIR] [--db DSN]")
	}
	fs := flag.NewFlagSet("assess run", flag.ContinueOnError)
	env.StoreFlags(fs)
	year := fs.Int("year", 0, "the year assessed")
	group := fs.String("group", "city", "city, county or department")
	asJSON := fs.Bool("json", false, "print JSON (the same rows as GET /api/v1/assessment/{year})")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *year == 0 {
		return fmt.Errorf("--year is required")
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := supervise.New(a.DB)
	schemes, _, err := svc.CurrentSchemes(ctx)
	if err != nil {
		return err
	}
	res, err := svc.Assess(ctx, schemes, []string{"/" + orgunit.Root + "/"}, *year, *group)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Printf("%d %s, items as of %s\n", res.Year, res.Group, res.Cutoff)
	w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprint(w, "rank\tunit\tname\tscore")
	for _, p := range res.Scheme.Parts {
		fmt.Fprintf(w, "\t%s(%g)", p.Key, p.Weight)
	}
	fmt.Fprintln(w)
	for _, r := range res.Rows {
		rank := "-"
		if r.Rank > 0 {
			rank = fmt.Sprint(r.Rank)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s", rank, r.Unit, r.UnitName, scoreText(r.Score))
		for _, p := range r.Parts {
			fmt.Fprintf(w, "\t%s", scoreText(p.Score))
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}

func scoreText(v *float64) string {
	if v == nil {
		return "not assessed"
	}
	return fmt.Sprintf("%.2f", *v)
}
