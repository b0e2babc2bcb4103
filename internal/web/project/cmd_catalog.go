package project

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/project"
)

const systemsUsage = `usage: zhihui projects systems list [--q WORDS] [--mlps 1-5] [--json]
       zhihui projects systems add --owner CODE --name NAME --om-cost WAN --mlps-level 1-5 [--description TEXT] [--data-resources TEXT] [--json]
       zhihui projects systems retire ID [--year Y] (no --year or 0: it runs again)
every command takes --as USER (act as that user, within its units; default: the system, over the whole province), --data DIR | --db DSN`

// runSystems handles the information-system catalogue as the API does.
func runSystems(env cli.Env, args []string) error {
	return cli.Dispatch(env, "projects systems", systemsUsage, args, map[string]func(cli.Env, []string) error{"list": systemsList, "add": systemsAdd, "retire": systemsRetire})
}

func printSystems(ss []project.System) error {
	t := cli.NewTable("id", "unit", "system", "O&M (万元)", "MLPS", "retired", "data resources")
	for _, s := range ss {
		retired := ""
		if s.RetiredYear != 0 {
			retired = strconv.Itoa(s.RetiredYear)
		}
		t.Row(s.ID, s.Owner+" "+s.OwnerName, s.Name, s.OMCost.Wan(), s.MLPSLevel, retired, s.DataResources)
	}
	return t.Flush()
}

func systemsList(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects systems list")
	var f project.SystemFilter
	fs.StringVar(&f.Q, "q", "", "words of the system or unit name")
	fs.IntVar(&f.MLPS, "mlps", 0, "only systems of this 等保 level")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/projects/systems does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	f.Scopes, f.Page, f.PerPage = as.P.Scopes(Viewers...), 1, project.MaxExport
	ss, total, err := project.New(a.DB).Systems(ctx, f)
	if err != nil {
		return outside(as, err)
	}
	if ss == nil {
		ss = []project.System{}
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"systems": ss, "total": total})
	}
	if err := printSystems(ss); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d systems\n", total)
	return nil
}

// systemFlags are the flags of systems add and the form fields they fill.
var systemFlags = []struct{ flag, field, help string }{
	{"owner", "owner", "code of the unit that runs the system"},
	{"name", "name", "name of the system"},
	{"description", "description", "what the system does"},
	{"data-resources", "data_resources", "the data resources it holds"},
	{"om-cost", "om_cost", "annual O&M cost, 万元 (exact decimal)"},
	{"mlps-level", "mlps_level", "等保 level, 1 to 5"},
}

func systemFlagOf(field string) string {
	for _, f := range systemFlags {
		if f.field == field {
			return f.flag
		}
	}
	return field
}

func systemsAdd(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects systems add")
	vals := make([]*string, len(systemFlags))
	for i, f := range systemFlags {
		vals[i] = fs.String(f.flag, "", f.help)
	}
	asJSON := fs.Bool("json", false, "print {id} as POST /api/v1/projects/systems does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v := url.Values{}
	for i, f := range systemFlags {
		v.Set(f.field, *vals[i])
	}
	n, err := systemOf(v)
	if err == nil {
		var ctx = context.Background()
		var a *cli.App
		if a, err = cli.OpenAs(ctx, env, as); err != nil {
			return err
		}
		defer a.Close()
		var id int64
		if id, err = project.New(a.DB).AddSystem(ctx, as.A, as.P.Scopes(Owners...), n); err == nil {
			if *asJSON {
				return cli.PrintJSON(os.Stdout, map[string]any{"id": id})
			}
			fmt.Printf("system %d added: %s\n", id, n.Name)
			return nil
		}
	}
	if ue, ok := asUserError(err); ok && ue.Field != "" {
		return fmt.Errorf("--%s: %w", systemFlagOf(ue.Field), err)
	}
	return outside(as, err)
}

func systemsRetire(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects systems retire")
	yearFlag := fs.String("year", "", "the year the system stops running (none or 0: it runs again)")
	var idArg string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		idArg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if idArg == "" && fs.NArg() > 0 {
		idArg = fs.Arg(0)
	}
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil || id <= 0 {
		return errors.New("usage: zhihui projects systems retire ID [--year Y] [--as USER]")
	}
	year, err := retiredYearOf(url.Values{"retired_year": {*yearFlag}})
	if err == nil {
		ctx := context.Background()
		var a *cli.App
		if a, err = cli.OpenAs(ctx, env, as); err != nil {
			return err
		}
		defer a.Close()
		if err = project.New(a.DB).RetireSystem(ctx, as.A, as.P.Scopes(Owners...), id, year); err == nil {
			if year == 0 {
				fmt.Printf("system %d runs again\n", id)
			} else {
				fmt.Printf("system %d retired in %d\n", id, year)
			}
			return nil
		}
	}
	if ue, ok := asUserError(err); ok && ue.Field != "" {
		return fmt.Errorf("--year: %w", err)
	}
	return outside(as, err)
}
