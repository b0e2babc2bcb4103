package calls

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

// The corrections to a call from the command line: the office edits and
// withdraws it, reads its panel and undoes a recusal; an expert reads
// their seats and recuses themselves from an application. Each acts as
// --as USER, with the same checks as the server.

const callsCorrectionsUsage = `       zhihui calls edit CALL [--title T] [--description D] [--deadline YYYY-MM-DD] [--criteria "名称 权重; …"] [--field F] [--panel-size N] [--levels L,…] [--categories C,…] [--json]
       zhihui calls withdraw CALL --reason R [--json]
       zhihui calls panel CALL [--json]
       zhihui calls undo-recusal CALL --seat SEAT --application APP --reason R
       zhihui calls reviews [--json]
       zhihui calls recuse SEAT --application APP --reason R`

// idArg reads the one positional id argument of a command.
func idArg(pos []string, what, usage string) (int64, error) {
	if len(pos) != 1 {
		return 0, errors.New(usage)
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s id %q: a number is expected", what, pos[0])
	}
	return id, nil
}

func callsEdit(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls edit")
	title := fs.String("title", "", "the call's title")
	desc := fs.String("description", "", "the call's text")
	deadline := fs.String("deadline", "", "last day of applications, YYYY-MM-DD (a holiday moves to the next working day)")
	crit := fs.String("criteria", "", `scoring criteria "名称 权重", separated by ";" or new lines; weights sum to 100`)
	field := fs.String("field", "", "the experts' field: "+strings.Join(project.Fields, ", "))
	size := fs.Int("panel-size", 0, "experts on the panel, 3–15")
	levels := fs.String("levels", "", "eligible levels, comma-separated (empty: all): "+strings.Join(project.Levels, ", "))
	cats := fs.String("categories", "", "eligible categories, comma-separated (empty: all): "+strings.Join(project.Categories, ", "))
	asJSON := fs.Bool("json", false, "print the call as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls edit CALL [--title T] … (only the flags given change)")
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
	// The call as the server reads it: one the caller cannot see is refused.
	call, err := svc.CallFor(ctx, as.P.Scopes(Viewers...), id)
	if err != nil {
		return outside(as, err)
	}
	e := project.EditOf(call)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["title"] {
		e.Title = *title
	}
	if set["description"] {
		e.Description = *desc
	}
	if set["deadline"] {
		e.Deadline = *deadline
	}
	if set["criteria"] {
		e.Criteria = strings.ReplaceAll(strings.ReplaceAll(*crit, "；", "\n"), ";", "\n")
	}
	if set["field"] {
		e.Field = *field
	}
	if set["panel-size"] {
		e.PanelSize = *size
	}
	if set["levels"] {
		e.Levels = splitList(*levels)
	}
	if set["categories"] {
		e.Categories = splitList(*cats)
	}
	if err := svc.EditCall(ctx, as.A, as.P.Scopes(Offices...), id, e); err != nil {
		return outside(as, err)
	}
	return printCall(svc, ctx, id, *asJSON, "edited")
}

func printCall(svc *project.Service, ctx context.Context, id int64, asJSON bool, what string) error {
	x, err := svc.GetCall(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"call": x})
	}
	fmt.Printf("call %d %s: %s, %s, applications until %s\n", x.ID, what, x.Title, x.Status, x.Deadline)
	return nil
}

func callsWithdraw(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls withdraw")
	reason := fs.String("reason", "", "why the call is withdrawn (required; the applicants are told)")
	asJSON := fs.Bool("json", false, "print the call as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls withdraw CALL --reason R")
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
	if _, err := svc.CallFor(ctx, as.P.Scopes(Viewers...), id); err != nil {
		return outside(as, err)
	}
	if err := svc.WithdrawCall(ctx, as.A, as.P.Scopes(Offices...), id, *reason); err != nil {
		return outside(as, err)
	}
	return printCall(svc, ctx, id, *asJSON, "withdrawn")
}

// managedCall is call id if the user of as is its office.
func managedCall(ctx context.Context, svc *project.Service, as *cli.Actor, id int64) (*project.Call, error) {
	call, err := svc.CallFor(ctx, as.P.Scopes(Viewers...), id)
	if err != nil {
		return nil, outside(as, err)
	}
	if !as.P.Covers(call.OrgPath, Offices...) {
		return nil, as.Refused()
	}
	return call, nil
}

func callsPanel(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls panel")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/calls/{id}/panel does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls panel CALL [--json]")
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
	call, err := managedCall(ctx, svc, as, id)
	if err != nil {
		return err
	}
	seats, err := svc.CallSeats(ctx, id)
	if err != nil {
		return err
	}
	rec, err := svc.Recusals(ctx, id)
	if err != nil {
		return err
	}
	ex, err := svc.Exclusions(ctx, "call", id)
	if err != nil {
		return err
	}
	if *asJSON {
		type seat struct {
			project.CallSeat
			ExpertID   int64  `json:"expert_id"`
			ExpertName string `json:"expert_name"`
			Employer   string `json:"employer"`
		}
		ss := []seat{}
		for _, st := range seats {
			ss = append(ss, seat{CallSeat: st, ExpertID: st.ExpertID, ExpertName: st.ExpertName, Employer: st.Employer})
		}
		if rec == nil {
			rec = []project.Recusal{}
		}
		return cli.PrintJSON(os.Stdout, map[string]any{"call": id, "status": call.Status, "drawn_at": call.DrawnAt, "seed": strconv.FormatUint(call.Seed, 10),
			"candidates": call.Candidates, "reproduces": call.DrawnAt != nil && call.Reproduces(seats), "seats": ss, "recusals": rec, "excluded": ex})
	}
	if call.DrawnAt == nil {
		fmt.Printf("call %d: no panel drawn yet (%s)\n", id, call.Status)
		return nil
	}
	fmt.Printf("call %d: seed %d, %d candidates, reproduces: %v\n", id, call.Seed, len(call.Candidates), call.Reproduces(seats))
	w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "seat\tposition\texpert\tscored\trecused")
	for _, st := range seats {
		fmt.Fprintf(w, "%d\t%d\t%s %s\t%d\t%d\n", st.ID, st.Position, st.ExpertName, st.Employer, st.Scored, st.Recused)
	}
	w.Flush()
	for _, x := range rec {
		fmt.Printf("recusal: seat %d (position %d) from application %d: %s\n", x.SeatID, x.Position, x.ApplicationID, x.Reason)
	}
	for _, x := range ex {
		fmt.Printf("left out: %s (%d): %s %s\n", x.ExpertName, x.ExpertID, x.Reason, x.Detail)
	}
	return nil
}

func callsUndoRecusal(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls undo-recusal")
	seat := fs.Int64("seat", 0, "the seat of the expert who recused (see calls panel)")
	appID := fs.Int64("application", 0, "the application recused from")
	reason := fs.String("reason", "", "why the recusal is undone (required; the expert is told)")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls undo-recusal CALL --seat SEAT --application APP --reason R")
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
	if _, err := managedCall(ctx, svc, as, id); err != nil {
		return err
	}
	if err := svc.UndoRecusal(ctx, as.A, as.P.Scopes(Offices...), id, *seat, *appID, *reason); err != nil {
		return outside(as, err)
	}
	fmt.Printf("recusal of seat %d from application %d undone; the expert is to score it\n", *seat, *appID)
	return nil
}

// expertAccount is the pool account of the user of as, who must hold the
// expert's role.
func expertAccount(as *cli.Actor) (string, error) {
	if as.Name == "" || !as.P.Has(Experts...) {
		return "", as.Refused()
	}
	return as.P.User.Name, nil
}

func callsReviews(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls reviews")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	acct, err := expertAccount(as)
	if err != nil {
		return err
	}
	seats, err := project.New(a.DB).CallAssignments(ctx, acct)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"seats": SeatsOut(seats)})
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(w, "seat\tcall\topen\tapplication\tunit\tstate\ttitle")
	for _, as := range seats {
		for _, x := range as.Applications {
			state := "to score"
			if _, ok := as.Mine[x.ID]; ok {
				state = "scored"
			}
			if _, ok := as.Recused[x.ID]; ok {
				state = "recused"
			}
			fmt.Fprintf(w, "%d\t%d %s\t%v\t%d\t%s\t%s\t%s\n", as.Seat.ID, as.Call.ID, as.Call.Title, as.Open, x.ID, x.UnitName, state, x.Title)
		}
	}
	return w.Flush()
}

func callsRecuse(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls recuse")
	appID := fs.Int64("application", 0, "the application you have a conflict with")
	reason := fs.String("reason", "", "what the conflict is (required)")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	seat, err := idArg(pos, "seat", "usage: zhihui calls recuse SEAT --application APP --reason R --as USER")
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	acct, err := expertAccount(as)
	if err != nil {
		return err
	}
	if err := project.New(a.DB).Recuse(ctx, as.A, acct, seat, *appID, *reason); err != nil {
		return outside(as, err)
	}
	fmt.Printf("recused from application %d on seat %d\n", *appID, seat)
	return nil
}
