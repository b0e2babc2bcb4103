package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

// Gate reviews from the command line, around the same domain functions as
// the pages and the API: the office draws a panel for a project's
// submitted gate; an expert lists their own assignments and scores one.
// Each acts as --as USER.

const reviewsUsage = `       zhihui projects draw PROJECT --field F --size N [--json]
       zhihui projects reviews [--json]
       zhihui projects score SEAT --score N --opinion TEXT [--json]
every command takes --as USER (act as that user, within its units) and --data DIR | --db DSN`

// reviewArg reads the one positional id argument of a command.
func reviewArg(pos []string, what, usage string) (int64, error) {
	if len(pos) != 1 {
		return 0, errors.New(usage)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s id %q: a number is expected", what, pos[0])
	}
	return id, nil
}

// reviewer is the pool account of the user of as, who must hold the
// expert's role.
func reviewer(as *cli.Actor) (string, error) {
	if as.Name == "" || !as.P.Has(Experts...) {
		return "", as.Refused()
	}
	return as.P.User.Name, nil
}

// projectsDraw draws a panel with a fresh seed, which the draw records,
// and prints it with the experts' names (only the office may draw).
func projectsDraw(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects draw")
	field := fs.String("field", "", "the experts' field: "+strings.Join(project.Fields, ", "))
	size := fs.Int("size", 5, "experts on the panel")
	asJSON := fs.Bool("json", false, "print JSON as POST /api/v1/projects/{id}/draw does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := reviewArg(pos, "project", "usage: zhihui projects draw PROJECT --field F --size N [--as USER] [--json]")
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	if _, err := svc.Get(ctx, as.P.Scopes(Viewers...), id); err != nil {
		return outside(as, err)
	}
	rid, err := svc.DrawPanel(ctx, as.A, as.P.Scopes(Offices...), id, *field, *size, nil)
	if err != nil {
		return outside(as, err)
	}
	revs, err := svc.Reviews(ctx, id)
	if err != nil {
		return err
	}
	for _, rv := range revs {
		if rv.ID != rid {
			continue
		}
		ex, err := svc.Exclusions(ctx, "review", rid)
		if err != nil {
			return err
		}
		if *asJSON {
			return cli.PrintJSON(os.Stdout, map[string]any{"review": rv, "reproduces": rv.Reproduces(), "excluded": ex})
		}
		fmt.Printf("review %d of project %d (%s): seed %d, %d candidates, reproduces: %v\n", rv.ID, id, rv.Stage, rv.Seed, len(rv.Candidates), rv.Reproduces())
		t := cli.NewTable("seat", "position", "expert", "employer")
		for _, st := range rv.Seats {
			t.Row(st.ID, st.Position, st.ExpertName, st.Employer)
		}
		return t.Flush()
	}
	return fmt.Errorf("review %d of project %d not found", rid, id)
}

func projectsReviews(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects reviews")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/projects/reviews does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	acct, err := reviewer(as)
	if err != nil {
		return err
	}
	ass, err := project.New(a.DB).Assignments(ctx, acct)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"assignments": ass})
	}
	t := cli.NewTable("seat", "project", "stage", "open", "score", "name")
	for _, x := range ass {
		score := ""
		if x.Seat.Score != nil {
			score = strconv.Itoa(*x.Seat.Score)
		}
		t.Row(x.Seat.ID, x.Project.Number, x.Review.Stage, x.Open, score, x.Project.Name)
	}
	return t.Flush()
}

func projectsScore(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects score")
	score := fs.Int("score", -1, "your score, 0–100")
	opinion := fs.String("opinion", "", "your written opinion (required)")
	asJSON := fs.Bool("json", false, "print JSON as POST /api/v1/projects/reviews/{id}/score does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := reviewArg(pos, "seat", "usage: zhihui projects score SEAT --score N --opinion TEXT --as USER")
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	acct, err := reviewer(as)
	if err != nil {
		return err
	}
	svc := project.New(a.DB)
	// The seat's owner first: a refusal never depends on the flags.
	if _, err := svc.Assignment(ctx, acct, id); err != nil {
		return outside(as, err)
	}
	if err := svc.Score(ctx, as.A, acct, id, *score, *opinion); err != nil {
		return outside(as, err)
	}
	x, err := svc.Assignment(ctx, acct, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"assignment": x})
	}
	fmt.Printf("seat %d scored %d: %s\n", id, *score, x.Project.Name)
	return nil
}
