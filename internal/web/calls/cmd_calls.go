package calls

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

const callsUsage = `usage: zhihui calls list [--json]
       zhihui calls create --kind pilot|award --title T --description D --org CODE --deadline YYYY-MM-DD --criteria "应用成效 60; 创新性 40" --field F --panel-size N [--levels city,county] [--categories new,upgrade] [--json]
       zhihui calls apply CALL --unit CODE --title T --body TEXT [--project ID] [--document FILE] [--json]
       zhihui calls applications CALL [--json]
` + callsCorrectionsUsage + `
` + callsStepsUsage + `
every command takes --as USER (act as that user, within its units; default: the system, over the whole province) and --data DIR | --db DSN`

func runCalls(env cli.Env, args []string) error {
	return cli.Dispatch(env, "calls", callsUsage, args, map[string]func(cli.Env, []string) error{
		"list": callsList, "create": callsCreate, "apply": callsApply, "applications": callsApplications,
		"edit": callsEdit, "withdraw": callsWithdraw, "panel": callsPanel, "undo-recusal": callsUndoRecusal, "reviews": callsReviews, "recuse": callsRecuse,
		"close": callsClose, "check": callsCheck, "draw": callsDraw, "score": callsScore, "publish": callsPublish})
}

// outside words the domain's scope refusal for the command line.
func outside(x *cli.Actor, err error) error {
	if project.IsOutside(err) {
		return x.Refused()
	}
	return err
}

func callsList(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls list")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/calls does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	cs, err := project.New(a.DB).Calls(ctx, as.P.Scopes(Viewers...))
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"calls": cs})
	}
	t := cli.NewTable("id", "kind", "status", "deadline", "unit", "title")
	for _, x := range cs {
		t.Row(x.ID, x.Kind, x.Status, x.Deadline, x.Org+" "+x.OrgName, x.Title)
	}
	return t.Flush()
}

// splitList splits a flag's comma-separated values.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func callsCreate(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls create")
	var nc project.NewCall
	fs.StringVar(&nc.Kind, "kind", "", "pilot (试点示范) or award (优秀工程评选)")
	fs.StringVar(&nc.Title, "title", "", "the call's title")
	fs.StringVar(&nc.Description, "description", "", "the call's text")
	fs.StringVar(&nc.Org, "org", "", "code of the unit whose subtree may apply")
	fs.StringVar(&nc.Deadline, "deadline", "", "last day of applications, YYYY-MM-DD (a holiday moves to the next working day)")
	crit := fs.String("criteria", "", `scoring criteria "名称 权重", separated by ";" or new lines; weights sum to 100`)
	fs.StringVar(&nc.Field, "field", "", "the experts' field: "+strings.Join(project.Fields, ", "))
	fs.IntVar(&nc.PanelSize, "panel-size", 5, "experts on the panel, 3–15")
	levels := fs.String("levels", "", "eligible levels, comma-separated (default: all): "+strings.Join(project.Levels, ", "))
	cats := fs.String("categories", "", "eligible categories, comma-separated (default: all): "+strings.Join(project.Categories, ", "))
	asJSON := fs.Bool("json", false, "print the call as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	nc.Criteria = strings.ReplaceAll(strings.ReplaceAll(*crit, "；", "\n"), ";", "\n")
	nc.Levels, nc.Categories = splitList(*levels), splitList(*cats)
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	id, err := svc.OpenCall(ctx, as.A, as.P.Scopes(Offices...), nc)
	if err != nil {
		return outside(as, err)
	}
	x, err := svc.GetCall(ctx, id)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"call": x})
	}
	fmt.Printf("call %d opened: %s, for %s %s, applications until %s\n", x.ID, x.Title, x.Org, x.OrgName, x.Deadline)
	return nil
}

// callArg reads a call id argument.
func callArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("call id %q: a number is expected", s)
	}
	return id, nil
}

func callsApply(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls apply")
	var na project.NewApplication
	fs.StringVar(&na.Unit, "unit", "", "code of the applying unit")
	fs.StringVar(&na.Title, "title", "", "the application's title (default: the project's name)")
	fs.StringVar(&na.Body, "body", "", "the application's text")
	fs.Int64Var(&na.ProjectID, "project", 0, "id of the unit's portfolio project the application is for (optional)")
	doc := fs.String("document", "", "a file to attach (PDF, Office, image or text)")
	asJSON := fs.Bool("json", false, "print the application as JSON")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: zhihui calls apply CALL --unit CODE --title T --body TEXT [--project ID] [--document FILE] [--as USER]")
	}
	id, err := callArg(pos[0])
	if err != nil {
		return err
	}
	if *doc != "" {
		fi, err := os.Stat(*doc)
		if err != nil {
			return err
		}
		if fi.Size() > project.MaxAppDocument {
			return fmt.Errorf("%s is larger than %d MB", *doc, project.MaxAppDocument>>20)
		}
		if na.Doc, err = os.ReadFile(*doc); err != nil {
			return err
		}
		na.DocName = filepath.Base(*doc)
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	// The call first, as the server reads it: one the caller cannot see
	// is refused whatever the unit.
	if _, err := svc.CallFor(ctx, as.P.Scopes(Viewers...), id); err != nil {
		return outside(as, err)
	}
	aid, err := svc.Apply(ctx, as.A, as.P.Scopes(Applicants...), id, na)
	if err != nil {
		return outside(as, err)
	}
	x, _, err := svc.GetApplication(ctx, as.P.Scopes(Viewers...), aid)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"application": x})
	}
	fmt.Printf("application %d to call %d: %s of %s %s\n", x.ID, id, x.Title, x.Unit, x.UnitName)
	return nil
}

func callsApplications(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "calls applications")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/calls/{id}/applications does")
	lang := fs.String("lang", "zh-CN", "language of the eligibility rule's reading: zh-CN or en")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: zhihui calls applications CALL [--as USER] [--json]")
	}
	id, err := callArg(pos[0])
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	call, apps, err := project.New(a.DB).ApplicationsOf(ctx, as.P.Scopes(Viewers...), as.P.Scopes(Offices...), id)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"call": call.ID, "status": call.Status, "applications": apps})
	}
	t := cli.NewTable("id", "unit", "status", "project", "title", "rule")
	for _, x := range apps {
		_, why := project.Eligible(call, x)
		t.Row(x.ID, x.Unit+" "+x.UnitName, x.Status, x.ProjectNumber, x.Title, why.In(*lang))
	}
	return t.Flush()
}
