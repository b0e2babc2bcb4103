package project

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

// The steps of a project on the command line, as the API takes them
// (POST /api/v1/projects/{id}/…): the same fields, read by the same
// readers, passed to the same domain functions with the same roles.

const stepsUsage = `       zhihui projects submit ID [--note TEXT]
       zhihui projects decide ID --decision approve|return|reject|reapprove --reason TEXT
       zhihui projects amounts ID [--estimate WAN] [--budget WAN] [--final WAN]
       zhihui projects baseline ID --start DATE --end DATE --cost WAN [--milestones TEXT] [--reason TEXT]
       zhihui projects progress ID [--projected-end DATE] [--actual-start DATE] [--actual-end DATE] [--projected-cost WAN] [--actual-cost WAN] [--milestones TEXT]
       zhihui projects rate ID --rating 1-5 --comment TEXT
       zhihui projects action ID --plan TEXT --review-due DATE
       zhihui projects action-review ID --review TEXT
each step takes --as USER (act as that user, within its units; default: the system, over the whole province), --json and --data DIR | --db DSN`

// stepField is a flag of a step and the form field it fills.
type stepField struct{ flag, field, help string }

// projectStep is one step: its flags and what it does with their values.
type projectStep struct {
	fields []stepField
	do     func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error
}

var projectSteps = map[string]projectStep{
	"submit": {[]stepField{{"note", "note", "a note to the office"}}, func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
		return s.Submit(ctx, as.A, as.P.Scopes(Owners...), id, v.Get("note"))
	}},
	"decide": {[]stepField{{"decision", "decision", "approve, return, reject or reapprove"}, {"reason", "reason", "the reason of the decision"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			return s.Decide(ctx, as.A, as.P.Scopes(Offices...), id, v.Get("decision"), v.Get("reason"))
		}},
	"amounts": {[]stepField{{"estimate", "estimate", "the estimate, 万元 (exact decimal)"}, {"budget", "budget", "the budget estimate (概算), 万元"}, {"final", "final", "the final account (决算), 万元"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			am, err := amountsOf(v)
			if err != nil {
				return err
			}
			return s.SetAmounts(ctx, as.A, as.P.Scopes(Owners...), id, am)
		}},
	"baseline": {[]stepField{{"start", "start", "planned start, YYYY-MM-DD"}, {"end", "end", "planned end, YYYY-MM-DD"}, {"cost", "cost", "planned cost, 万元"},
		{"milestones", "milestones", `milestones, one "YYYY-MM-DD name" a line`}, {"reason", "reason", "the reason (required for a rebaseline)"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			n, err := baselineOf(v)
			if err != nil {
				return err
			}
			return s.SetBaseline(ctx, as.A, as.P.Scopes(Offices...), id, n)
		}},
	"progress": {[]stepField{{"projected-end", "projected_end", "projected end, YYYY-MM-DD"}, {"actual-start", "actual_start", "actual start"}, {"actual-end", "actual_end", "actual end"},
		{"projected-cost", "projected_cost", "projected cost, 万元"}, {"actual-cost", "actual_cost", "actual cost, 万元"}, {"milestones", "progress_milestones", "milestones' progress"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			n, err := progressOf(v)
			if err != nil {
				return err
			}
			return s.ReportProgress(ctx, as.A, as.P.Scopes(Owners...), id, n)
		}},
	"rate": {[]stepField{{"rating", "rating", "1 (high risk) to 5 (low risk)"}, {"comment", "comment", "the comment"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			n, err := ratingOf(v)
			if err != nil {
				return err
			}
			return s.Rate(ctx, as.A, as.P.Scopes(Offices...), id, n, v.Get("comment"))
		}},
	"action": {[]stepField{{"plan", "plan", "the action plan of a red project"}, {"review-due", "review_due", "the date of its follow-up review, YYYY-MM-DD"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			return s.AddAction(ctx, as.A, as.P.Scopes(Owners...), id, v.Get("plan"), v.Get("review_due"))
		}},
	"action-review": {[]stepField{{"review", "review", "the office's follow-up review of the open action plan"}},
		func(ctx context.Context, s *project.Service, as *cli.Actor, id int64, v url.Values) error {
			return s.ReviewAction(ctx, as.A, as.P.Scopes(Offices...), id, v.Get("review"))
		}},
}

// runStep runs step name on the project whose id comes first in args.
func runStep(env cli.Env, name string, st projectStep, args []string) error {
	fs, as := cli.ActingFlags(env, "projects "+name)
	vals := make([]*string, len(st.fields))
	for i, f := range st.fields {
		vals[i] = fs.String(f.flag, "", f.help)
	}
	asJSON := fs.Bool("json", false, "print the project as JSON")
	usage := func() error { return errors.New("usage: zhihui projects " + name + " ID [flags]; see zhihui projects") }
	var idArg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		idArg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if idArg == "" && fs.NArg() > 0 {
		idArg = fs.Arg(0)
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return usage()
	}
	v := url.Values{}
	for i, f := range st.fields {
		if *vals[i] != "" {
			v.Set(f.field, *vals[i])
		}
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	if err := st.do(ctx, svc, as, id, v); err != nil {
		if ue, ok := asUserError(err); ok && ue.Field != "" {
			return fmt.Errorf("--%s: %w", flagOf(st, ue.Field), err)
		}
		return outside(as, err)
	}
	p, err := svc.Get(ctx, as.P.Scopes(Viewers...), id)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"project": p})
	}
	t := cli.NewTable("id", "number", "name", "stage", "status", "estimate (万元)", "budget", "final account")
	t.Row(p.ID, p.Number, p.Name, p.Stage, p.Status, p.Estimate.Wan(), wanOrEmpty(p.Budget), wanOrEmpty(p.Final))
	return t.Flush()
}

// flagOf names the flag of a form field of st.
func flagOf(st projectStep, field string) string {
	for _, f := range st.fields {
		if f.field == field {
			return f.flag
		}
	}
	return field
}
