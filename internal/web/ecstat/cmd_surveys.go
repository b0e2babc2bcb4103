package ecstat

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/cli"
	"zhihui/internal/ecstat"
	"zhihui/internal/period"
)

const surveysUsage = "usage: zhihui surveys list | form ID [--set FILE.json] | responses ID FILE.json [--on-behalf] | sample ID --seed N (--n N | --cv X) [--keep S] [--rotate-from ID] | rotation ID | publish ID [--estimator ratio|ht]"

func runSurveys(env cli.Env, args []string) error {
	if len(args) == 0 {
		return errors.New(surveysUsage)
	}
	switch args[0] {
	case "list":
		return surveysList(env, args[1:])
	case "form":
		return surveysForm(env, args[1:])
	case "responses":
		return surveysResponses(env, args[1:])
	case "sample":
		return surveysSample(env, args[1:])
	case "rotation":
		return surveysRotation(env, args[1:])
	case "publish":
		return surveysPublish(env, args[1:])
	}
	return fmt.Errorf("unknown surveys command %q: list, form, responses, sample, rotation or publish", args[0])
}

func surveysList(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("surveys list", flag.ContinueOnError)
	env.StoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := env.Open(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	list, err := ecstat.Surveys(ctx, a.DB)
	if err != nil {
		return err
	}
	for _, s := range list {
		fmt.Printf("%d\t%s\t%s\t%d items, %d edits\n", s.ID, s.Period(), s.Name, len(s.Items), len(s.Edits))
	}
	return nil
}

// surveyArg opens the survey named by its id.
func surveyArg(ctx context.Context, a *cli.App, arg string) (*ecstat.Survey, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("survey id %q: a number is expected", arg)
	}
	return ecstat.GetSurvey(ctx, a.DB, id)
}

// surveysForm prints a survey's form as JSON, or replaces its edits (and
// items, when the file gives them) from a JSON file in the API's shape.
func surveysForm(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("surveys form", flag.ContinueOnError)
	env.StoreFlags(fs)
	set := fs.String("set", "", `JSON file {"items": [...], "edits": [...]} replacing the form (items optional)`)
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: zhihui surveys form ID [--set FILE.json]")
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
	if *set != "" {
		raw, err := os.ReadFile(*set)
		if err != nil {
			return err
		}
		var body struct {
			Items *[]ecstat.Item `json:"items"`
			Edits []ecstat.Edit  `json:"edits"`
		}
		if err := json.Unmarshal(raw, &body); err != nil {
			return fmt.Errorf("%s: %w", *set, err)
		}
		items := s.Items
		if body.Items != nil {
			items = *body.Items
		}
		if err := ecstat.SaveForm(ctx, a.DB, audit.System, s.ID, items, body.Edits); err != nil {
			return err
		}
		if s, err = ecstat.GetSurvey(ctx, a.DB, s.ID); err != nil {
			return err
		}
	}
	f, err := ecstat.GetFormSpec(ctx, a.DB, s)
	if err != nil {
		return err
	}
	return cli.PrintJSON(os.Stdout, f)
}

// surveysResponses stores returns from a JSON file in the API's shape
// ([{"credit_code","period","item","value","reason"}]).
func surveysResponses(env cli.Env, args []string) error {
	c := storeFlags{env: env}
	fs := flag.NewFlagSet("surveys responses", flag.ContinueOnError)
	c.add(fs)
	behalf := fs.Bool("on-behalf", false, "record that staff entered the returns on the enterprises' behalf")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return errors.New("usage: zhihui surveys responses ID FILE.json [--on-behalf] [--lang en]")
	}
	raw, err := os.ReadFile(pos[1])
	if err != nil {
		return err
	}
	var lines []ecstat.ResponseLine
	if err := json.Unmarshal(raw, &lines); err != nil {
		return fmt.Errorf("%s: %w", pos[1], err)
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
	// All or nothing: every line's problem is printed and nothing stored.
	res, err := ecstat.SubmitLines(ctx, a.DB, audit.System, s, lines, func(ecstat.Enterprise) (bool, error) { return *behalf, nil })
	if err != nil {
		return c.userError(err)
	}
	fmt.Printf("%s: %d returns stored, %d warnings kept with a reason\n", pos[1], res.Saved, res.Confirmed)
	return nil
}

func runEnterprises(env cli.Env, args []string) error {
	if len(args) > 0 && args[0] == "summary" {
		return enterprisesSummary(env, args[1:])
	}
	if len(args) == 0 || args[0] != "import" {
		return errors.New("usage: zhihui enterprises import FILE [--dry-run] [--year Y] | summary [--repair]")
	}
	ic := cli.NewImport(env, "enterprises import", cli.DryRunHelp, cli.LangHelp)
	year := ic.FS.Int("year", time.Now().In(period.Shanghai).Year(), "the register year births, deaths and changes are recorded in")
	return ic.Run(args[1:], "usage: zhihui enterprises import FILE [--dry-run] [--year Y]", func(ctx context.Context, a *cli.App, f *os.File) error {
		res, err := ecstat.ImportRegister(ctx, a.DB, audit.System, ic.File, f, ecstat.ImportOptions{Year: *year, Scopes: []string{"/41/"}, DryRun: *ic.Dry})
		if err != nil {
			return err
		}
		return ic.Report(cli.Imported, res.Errors, res.ErrorCount, nil, func(verb string) error {
			fmt.Printf("%s: %d rows, %s %d births, %d changes, %d deaths, %d unchanged\n", ic.File, res.Rows, verb, res.Births, res.Changes, res.Deaths, res.Unchanged)
			return nil
		})
	})
}
