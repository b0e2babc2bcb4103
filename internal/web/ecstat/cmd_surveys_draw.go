package ecstat

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"zhihui/internal/audit"
	"zhihui/internal/cli"
	"zhihui/internal/ecstat"
	"zhihui/internal/i18n"
)

// surveysSample draws a survey's sample as the API's sample route and the
// survey page's draw form do: a sample size or a target CV, the
// allocation, the seed, and optionally the share of the previous sample
// kept (rotation) and the survey it is kept from.
func surveysSample(env cli.Env, args []string) error {
	c := storeFlags{env: env}
	fs := flag.NewFlagSet("surveys sample", flag.ContinueOnError)
	c.add(fs)
	seed := fs.Uint64("seed", 0, "the seed the draw starts from (required; the same seed draws the same sample)")
	n := fs.Int("n", 0, "sample size of the take-some strata (instead of --cv)")
	cv := fs.Float64("cv", 0, "target coefficient of variation of the revenue total, e.g. 0.05 (Neyman allocation)")
	method := fs.String("method", "", "allocation: neyman or proportional (default: neyman with --cv, proportional with --n)")
	keep := fs.Float64("keep", 0, "share (0–1) of each take-some stratum's sample kept from the previous survey's sample")
	from := fs.Int64("rotate-from", 0, "the survey to keep firms from (default: the previous drawn survey of the same frequency)")
	asJSON := fs.Bool("json", false, "print the design as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if len(pos) != 1 || !seedSet {
		return errors.New("usage: zhihui surveys sample ID --seed N (--n N | --cv 0.05) [--method neyman|proportional] [--keep 0.5] [--rotate-from ID] [--json]")
	}
	spec := ecstat.DesignSpec{Method: *method, N: *n, CV: *cv, Seed: *seed, Keep: *keep, RotateFrom: *from}
	if spec.Method == "" && spec.CV == 0 {
		spec.Method = ecstat.Proportional
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := surveyArg(ctx, a, pos[0])
	if err != nil {
		return err
	}
	d, err := ecstat.Draw(ctx, a.DB, audit.System, s, spec)
	if err != nil {
		return c.userError(err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, d)
	}
	fmt.Printf("survey %d (%s): drew %d of %d enterprises in %d strata (%d taken whole), %s allocation, seed %d, predicted CV %.2f%%\n",
		s.ID, s.Period(), d.SampleSize, d.FrameSize, len(d.Strata), d.Certainty, d.Method, d.Seed, d.PredictedCVPercent())
	if d.RotateFrom != 0 {
		fmt.Printf("rotation: %d kept from survey %d (%.0f%% of each take-some stratum), %d drawn afresh\n", d.Kept, d.RotateFrom, d.KeepPercent(), d.Rotated)
	}
	return nil
}

// surveysRotation lists the firms a survey's draw rotated in and out
// against the sample it rotated from (or, for a fresh draw, the previous
// drawn survey of the same frequency), as the rotation page and its
// export do.
func surveysRotation(env cli.Env, args []string) error {
	c := storeFlags{env: env}
	fs := flag.NewFlagSet("surveys rotation", flag.ContinueOnError)
	c.add(fs)
	asJSON := fs.Bool("json", false, "print the lists as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: zhihui surveys rotation ID [--json]")
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := surveyArg(ctx, a, pos[0])
	if err != nil {
		return err
	}
	diff, err := ecstat.Rotation(ctx, a.DB, s, []string{"/41/"})
	if err != nil {
		return c.userError(err)
	}
	if *asJSON {
		type firm struct {
			Change     string `json:"change"`
			CreditCode string `json:"credit_code"`
			Name       string `json:"name"`
			OrgCode    string `json:"org_code"`
			Stratum    string `json:"stratum"`
		}
		out := struct {
			From  int64  `json:"from,omitempty"`
			Firms []firm `json:"firms"`
		}{Firms: []firm{}}
		if diff.From != nil {
			out.From = diff.From.ID
		}
		for _, part := range []struct {
			key  string
			list []ecstat.Selected
		}{{"in", diff.In}, {"out", diff.Out}, {"kept", diff.Kept}} {
			for _, x := range part.list {
				out.Firms = append(out.Firms, firm{part.key, x.CreditCode, x.Name, x.OrgCode, x.Stratum})
			}
		}
		return cli.PrintJSON(os.Stdout, out)
	}
	if diff.From == nil {
		fmt.Printf("survey %d (%s) has no earlier drawn survey of the same frequency to compare with\n", s.ID, s.Period())
		return nil
	}
	fmt.Printf("survey %d (%s) against survey %d (%s): %d kept, %d rotated in, %d rotated out\n",
		s.ID, s.Period(), diff.From.ID, diff.From.Period(), len(diff.Kept), len(diff.In), len(diff.Out))
	for _, part := range []struct {
		key  string
		list []ecstat.Selected
	}{{"in", diff.In}, {"out", diff.Out}} {
		for _, x := range part.list {
			fmt.Printf("%s\t%s\t%s\t%s\t%s\n", part.key, x.CreditCode, x.Name, x.OrgCode, x.Stratum)
		}
	}
	return nil
}

// surveysPublish writes a survey's estimates of e-commerce turnover and
// information consumption into monitoring, as the results page's publish
// button does, and says what was written and which cities and counties
// were left out and why.
func surveysPublish(env cli.Env, args []string) error {
	c := storeFlags{env: env}
	fs := flag.NewFlagSet("surveys publish", flag.ContinueOnError)
	c.add(fs)
	est := fs.String("estimator", ecstat.Ratio, "ratio (to the register's revenue) or ht (Horvitz–Thompson)")
	asJSON := fs.Bool("json", false, "print the publications as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: zhihui surveys publish ID [--estimator ratio|ht] [--json] [--lang en]")
	}
	if *est != ecstat.Ratio && *est != ecstat.HT {
		return fmt.Errorf("--estimator %q: ratio or ht", *est)
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := surveyArg(ctx, a, pos[0])
	if err != nil {
		return err
	}
	pubs, err := ecstat.Publish(ctx, a.DB, audit.System, s, *est)
	if err != nil {
		return c.userError(err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, pubs)
	}
	for _, p := range pubs {
		fmt.Printf("%s %d: %.2f 亿元, CV %.2f%%, %s estimator, %d units written\n", p.Element, s.Year, p.Total, p.CVPercent(), p.Estimator, p.Units)
		for _, x := range p.Suppressed {
			fmt.Printf("  %s %s: %s\n", x.Code, x.DisplayName(c.Lang), i18n.T(c.Lang, "ecstat.mark.suppressed_"+x.Reason))
		}
	}
	return nil
}

// userError prints every problem of a user error in the chosen language
// and answers a short error; other errors pass unchanged.
func (c *storeFlags) userError(err error) error {
	var errs i18n.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e.Message(c.Lang))
		}
		return fmt.Errorf("%d errors: nothing stored", len(errs))
	}
	var ue *i18n.Error
	if errors.As(err, &ue) {
		return errors.New(ue.Message(c.Lang))
	}
	return err
}

// storeFlags are the store's flags and the language of messages.
type storeFlags struct {
	env  cli.Env
	Lang string
}

func (c *storeFlags) add(fs *flag.FlagSet) {
	c.env.StoreFlags(fs)
	fs.StringVar(&c.Lang, "lang", "zh-CN", "language of messages: zh-CN or en")
}
