package supervise

import (
	"context"
	"flag"
	"fmt"
	"os"

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
		return cli.PrintJSON(os.Stdout, res)
	}
	fmt.Printf("%d %s, items as of %s\n", res.Year, res.Group, res.Cutoff)
	head := []string{"rank", "unit", "name", "score"}
	for _, p := range res.Scheme.Parts {
		head = append(head, fmt.Sprintf("%s(%g)", p.Key, p.Weight))
	}
	t := cli.NewTable(head...)
	for _, r := range res.Rows {
		rank := "-"
		if r.Rank > 0 {
			rank = fmt.Sprint(r.Rank)
		}
		cells := []any{rank, r.Unit, r.UnitName, scoreText(r.Score)}
		for _, p := range r.Parts {
			cells = append(cells, scoreText(p.Score))
		}
		t.Row(cells...)
	}
	return t.Flush()
}

func scoreText(v *float64) string {
	if v == nil {
		return "not assessed"
	}
	return fmt.Sprintf("%.2f", *v)
}
