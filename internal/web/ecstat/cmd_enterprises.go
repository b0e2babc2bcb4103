package ecstat

import (
	"context"
	"flag"
	"fmt"

	"zhihui/internal/audit"
	"zhihui/internal/cli"
	"zhihui/internal/ecstat"
)

// enterprisesSummary checks the register summary the survey design reads
// against a recomputation from the register, and with --repair rewrites
// it from the register when they differ.
func enterprisesSummary(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("enterprises summary", flag.ContinueOnError)
	env.StoreFlags(fs)
	repair := fs.Bool("repair", false, "rewrite the summary from the register where it differs (audited)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	var diffs []ecstat.SummaryDiff
	if *repair {
		diffs, err = ecstat.RepairRegisterSummary(ctx, a.DB, audit.System)
	} else {
		diffs, err = ecstat.CheckRegisterSummary(ctx, a.DB)
	}
	if err != nil {
		return err
	}
	for i, d := range diffs {
		if i == 50 {
			fmt.Printf("… and %d more\n", len(diffs)-i)
			break
		}
		fmt.Printf("%s %s %s above=%t born %d closed %d: stored %s enterprises, revenue %s, Σrevenue² %s; register %s, %s, %s\n",
			d.County, d.Section, d.Size, d.Above, d.Born, d.Closed, d.Stored[0], d.Stored[1], d.Stored[2], d.Recomputed[0], d.Recomputed[1], d.Recomputed[2])
	}
	switch {
	case len(diffs) == 0:
		fmt.Println("the register summary matches the register")
	case *repair:
		fmt.Printf("repaired %d rows of the register summary\n", len(diffs))
	default:
		return fmt.Errorf("the register summary differs from the register in %d rows: run zhihui enterprises summary --repair", len(diffs))
	}
	return nil
}
