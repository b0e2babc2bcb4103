package calls

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

// A call's steps from the command line, around the same domain functions
// as the pages and the API: the office closes the call, checks an
// application, draws the panel and publishes the ranking; an expert
// scores an application of their seat. Each acts as --as USER.

const callsStepsUsage = `       zhihui calls close CALL [--json]
       zhihui calls check CALL APP --decision eligible|ineligible [--note N] [--json]
       zhihui calls draw CALL [--json]
       zhihui calls score SEAT --application APP --scores 80,70 --opinion TEXT [--json]
       zhihui calls publish CALL [--note N] [--json]`

func callsClose(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls close")
	asJSON := fs.Bool("json", false, "print the call as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls close CALL")
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
	if err := svc.CloseCall(ctx, as.A, as.P.Scopes(Offices...), id); err != nil {
		return outside(as, err)
	}
	return printCall(svc, ctx, id, *asJSON, "closed")
}

func callsCheck(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls check")
	decision := fs.String("decision", "", "eligible or ineligible")
	note := fs.String("note", "", "the check's note (required when ineligible)")
	asJSON := fs.Bool("json", false, "print the application as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	const usage = "usage: zhihui calls check CALL APP --decision eligible|ineligible [--note N]"
	if len(pos) != 2 {
		return fmt.Errorf("%s", usage)
	}
	id, err := idArg(pos[:1], "call", usage)
	if err != nil {
		return err
	}
	app, err := idArg(pos[1:], "application", usage)
	if err != nil {
		return err
	}
	if *decision != "eligible" && *decision != "ineligible" {
		return fmt.Errorf("--decision: eligible or ineligible is expected (请选择是否符合申报条件)")
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	x, c, err := svc.GetApplication(ctx, as.P.Scopes(Viewers...), app)
	if err != nil {
		return outside(as, err)
	}
	if c.ID != id {
		return fmt.Errorf("application %d is not one of call %d", app, id)
	}
	if !as.P.Covers(c.OrgPath, Offices...) {
		return as.Refused()
	}
	if err := svc.CheckApplication(ctx, as.A, as.P.Scopes(Offices...), x.ID, *decision == "eligible", *note); err != nil {
		return outside(as, err)
	}
	if x, _, err = svc.GetApplication(ctx, as.P.Scopes(Viewers...), app); err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"application": x})
	}
	fmt.Printf("application %d checked: %s\n", x.ID, x.Status)
	return nil
}

// callsDraw draws the panel with a fresh seed, which the draw records,
// and prints it as calls panel does.
func callsDraw(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls draw")
	fs.Bool("json", false, "print JSON as POST /api/v1/calls/{id}/draw does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls draw CALL [--json]")
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	svc := project.New(a.DB)
	if _, err := svc.CallFor(ctx, as.P.Scopes(Viewers...), id); err != nil {
		a.Close()
		return outside(as, err)
	}
	err = svc.DrawCallPanel(ctx, as.A, as.P.Scopes(Offices...), id, nil)
	a.Close()
	if err != nil {
		return outside(as, err)
	}
	return callsPanel(env, args)
}

func callsScore(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls score")
	appID := fs.Int64("application", 0, "the application you score")
	list := fs.String("scores", "", "a score 0–100 per criterion, in the call's order, comma-separated")
	opinion := fs.String("opinion", "", "your written opinion (required)")
	asJSON := fs.Bool("json", false, "print JSON as POST /api/v1/calls/{id}/seats/{seat}/{app}/score does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	seat, err := idArg(pos, "seat", "usage: zhihui calls score SEAT --application APP --scores 80,70 --opinion TEXT --as USER")
	if err != nil {
		return err
	}
	var scores []int
	for i, s := range splitList(strings.ReplaceAll(*list, "，", ",")) {
		v, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("--scores: score %d %q must be a whole number from 0 to 100 (评分应为 0 至 100 的整数)", i+1, s)
		}
		scores = append(scores, v)
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
	svc := project.New(a.DB)
	if err := svc.ScoreApplication(ctx, as.A, acct, seat, *appID, scores, *opinion); err != nil {
		return outside(as, err)
	}
	asg, err := svc.CallAssignment(ctx, acct, seat)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"seat": seatOut(asg), "score": asg.Mine[*appID]})
	}
	fmt.Printf("scored application %d on seat %d: %v\n", *appID, seat, asg.Mine[*appID].Scores)
	return nil
}

func callsPublish(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls publish")
	note := fs.String("note", "", "the results' note")
	asJSON := fs.Bool("json", false, "print JSON as POST /api/v1/calls/{id}/publish does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := idArg(pos, "call", "usage: zhihui calls publish CALL [--note N]")
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
	if err := svc.Publish(ctx, as.A, as.P.Scopes(Offices...), id, *note); err != nil {
		return outside(as, err)
	}
	c, err := svc.GetCall(ctx, id)
	if err != nil {
		return err
	}
	rs, err := svc.Ranking(ctx, id)
	if err != nil {
		return err
	}
	rows := []publicRow{}
	for _, x := range rs {
		rows = append(rows, publicRow{Rank: x.Rank, Title: x.Application.Title, Unit: x.Application.Unit, UnitName: x.Application.UnitName, Score: x.Score.String(), Tied: x.Tied})
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"call": c, "ranking": rows})
	}
	fmt.Printf("call %d published: %s\n", c.ID, c.Title)
	t := cli.NewTable("rank", "score", "unit", "title")
	for _, x := range rows {
		t.Row(x.Rank, x.Score, x.Unit+" "+x.UnitName, x.Title)
	}
	return t.Flush()
}
