package jobs

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"zhihui/internal/cli"
	"zhihui/internal/i18n"
	eng "zhihui/internal/jobs"
	"zhihui/internal/period"
)

const jobsUsage = `usage: zhihui jobs list [--state STATE] [--limit N] [--lang zh-CN|en] [--json]
       zhihui jobs retry ID
       zhihui jobs cancel ID
list shows the latest jobs as the job list /jobs does (state, attempts, schedule, the last error in --lang);
retry runs a finished, failed or scheduled job again now; cancel cancels a waiting or running job`

// runJobs is `zhihui jobs`: the job list from the command line.
func runJobs(env cli.Env, args []string) error {
	return cli.Dispatch(env, "jobs", jobsUsage, args, map[string]func(cli.Env, []string) error{
		"list":   jobsList,
		"retry":  func(env cli.Env, args []string) error { return jobsAct(env, "retry", args, (*eng.Engine).Retry) },
		"cancel": func(env cli.Env, args []string) error { return jobsAct(env, "cancel", args, (*eng.Engine).Cancel) },
	})
}

// jobLine is one job as `jobs list --json` prints it.
type jobLine struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	State       string     `json:"state"`
	Attempt     int        `json:"attempt"`
	MaxAttempts int        `json:"max_attempts"`
	Scheduled   time.Time  `json:"scheduled_at"`
	Attempted   *time.Time `json:"attempted_at,omitempty"`
	Error       string     `json:"error,omitempty"`
}

func jobsList(env cli.Env, args []string) error {
	fs := flag.NewFlagSet("jobs list", flag.ContinueOnError)
	env.StoreFlags(fs)
	state := fs.String("state", "", "only jobs in this state (running, available, scheduled, retryable, discarded, cancelled, completed, pending)")
	limit := fs.Int("limit", listLimit, "the newest jobs shown, at most 10000")
	lang := fs.String("lang", "zh-CN", "language of kinds, states and errors: zh-CN or en")
	asJSON := fs.Bool("json", false, "print the jobs as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := eng.Filter{Limit: *limit}
	if *state != "" {
		if !slices.Contains(eng.States, eng.State(*state)) {
			return fmt.Errorf("unknown state %q\n%s", *state, jobsUsage)
		}
		f.States = []eng.State{eng.State(*state)}
	}
	ctx := context.Background()
	e, closeAll, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer closeAll()
	list, err := e.List(ctx, f)
	if err != nil {
		return err
	}
	l := i18n.Normalize(*lang)
	lines := make([]jobLine, len(list))
	for i, j := range list {
		lines[i] = jobLine{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, MaxAttempts: j.MaxAttempts,
			Scheduled: j.Scheduled, Attempted: j.Attempted, Error: j.LastError(l)}
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"jobs": lines})
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	for _, j := range lines {
		kind := j.Kind
		if s, ok := i18n.Lookup(l, "jobs.kind."+j.Kind); ok {
			kind = s
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d/%d\t%s\t%s\n", j.ID, kind, i18n.T(l, "jobs.state."+j.State), j.Attempt, j.MaxAttempts,
			j.Scheduled.In(period.Shanghai).Format("2006-01-02 15:04"), j.Error)
	}
	return tw.Flush()
}

func jobsAct(env cli.Env, op string, args []string, act func(*eng.Engine, context.Context, int64) (eng.Info, error)) error {
	fs := flag.NewFlagSet("jobs "+op, flag.ContinueOnError)
	env.StoreFlags(fs)
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s", jobsUsage)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("job id %q is not a number", pos[0])
	}
	ctx := context.Background()
	e, closeAll, err := open(ctx, env)
	if err != nil {
		return err
	}
	defer closeAll()
	i, err := act(e, ctx, id)
	if err != nil {
		return err
	}
	fmt.Printf("job %d (%s): %s\n", i.ID, i.Kind, i.State)
	return nil
}

// open opens the store and a client that lists and manages jobs (it
// works none).
func open(ctx context.Context, env cli.Env) (*eng.Engine, func(), error) {
	a, err := env.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	e, err := eng.Open(ctx, a.DB, nil, eng.Config{Log: a.Log})
	if err != nil {
		a.Close()
		return nil, nil, err
	}
	return e, func() { e.Stop(context.Background()); a.Close() }, nil
}
