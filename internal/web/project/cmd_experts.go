package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"zhihui/internal/cli"
	dom "zhihui/internal/project"
)

const expertsUsage = `usage: zhihui experts show EXPERT [--json]
       zhihui experts window [--years N] [--json]
       zhihui experts absence add EXPERT --from YYYY-MM-DD --to YYYY-MM-DD --reason R [--json]
       zhihui experts absence update EXPERT ABSENCE --from YYYY-MM-DD --to YYYY-MM-DD --reason R [--json]
       zhihui experts absence delete EXPERT ABSENCE
       zhihui experts tie add EXPERT --kind employed|worked --unit CODE [--until YYYY-MM-DD] [--note N] [--json]
       zhihui experts tie update EXPERT TIE --kind employed|worked --unit CODE [--until YYYY-MM-DD] [--note N] [--json]
       zhihui experts tie delete EXPERT TIE
the pool is the province's: an office of any unit corrects it, as on the expert's page;
every command takes --as USER (default: the system) and --data DIR | --db DSN`

func runExperts(env cli.Env, args []string) error {
	return cli.Dispatch(env, "experts", expertsUsage, args, map[string]func(cli.Env, []string) error{
		"show":   expertsShow,
		"window": expertsWindow,
		"absence": func(env cli.Env, args []string) error {
			return cli.Dispatch(env, "experts absence", expertsUsage, args, map[string]func(cli.Env, []string) error{
				"add": absenceCmd("add"), "update": absenceCmd("update"), "delete": absenceCmd("delete")})
		},
		"tie": func(env cli.Env, args []string) error {
			return cli.Dispatch(env, "experts tie", expertsUsage, args, map[string]func(cli.Env, []string) error{
				"add": tieCmd("add"), "update": tieCmd("update"), "delete": tieCmd("delete")})
		},
	})
}

// expertIDs reads n positional ids named by names.
func expertIDs(pos []string, names ...string) ([]int64, error) {
	if len(pos) != len(names) {
		return nil, errors.New(expertsUsage)
	}
	out := make([]int64, len(pos))
	for i, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("%s id %q: a number is expected", names[i], p)
		}
		out[i] = id
	}
	return out, nil
}

// openOffice opens the store and resolves as, who must hold an office's
// role (the pool is the province's: any office corrects it).
func openOffice(ctx context.Context, env cli.Env, as *cli.Actor) (*cli.App, error) {
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return nil, err
	}
	if !as.P.Has(Offices...) {
		a.Close()
		return nil, as.Refused()
	}
	return a, nil
}

func expertsShow(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "experts show")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/experts/{id} does")
	pos, err := cli.Positional(fs, args)
	if err != nil {
		return err
	}
	id, err := expertIDs(pos, "expert")
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := openOffice(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := dom.New(a.DB)
	e, err := svc.Expert(ctx, id[0])
	if err != nil {
		return err
	}
	rec, err := svc.ExpertRecord(ctx, id[0])
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"expert": e, "absences": nonNil(rec.Absences), "ties": nonNil(rec.Ties), "recusals": nonNil(rec.Recusals)})
	}
	fmt.Printf("expert %d: %s, %s, available: %v\n", e.ID, e.Name, e.Employer, e.Available)
	for _, x := range rec.Absences {
		fmt.Printf("absence %d: %s — %s %s\n", x.ID, x.From, x.To, x.Reason)
	}
	for _, x := range rec.Ties {
		until := x.Until
		if until == "" {
			until = "ongoing"
		}
		fmt.Printf("tie %d: %s %s %s until %s %s\n", x.ID, x.Kind, x.Unit, x.UnitName, until, x.Note)
	}
	for _, x := range rec.Recusals {
		fmt.Printf("recusal %s: %s %s\n", x.Date, x.What, x.Reference)
	}
	return nil
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func absenceCmd(op string) func(cli.Env, []string) error {
	return func(env cli.Env, args []string) error {
		fs, as := cli.ActingFlags(env, "experts absence "+op)
		from := fs.String("from", "", "first day unavailable, YYYY-MM-DD")
		to := fs.String("to", "", "last day unavailable, YYYY-MM-DD")
		reason := fs.String("reason", "", "why the expert is unavailable")
		asJSON := fs.Bool("json", false, "print the absence as JSON")
		pos, err := cli.Positional(fs, args)
		if err != nil {
			return err
		}
		names := []string{"expert", "absence"}
		if op == "add" {
			names = names[:1]
		}
		id, err := expertIDs(pos, names...)
		if err != nil {
			return err
		}
		ctx := context.Background()
		a, err := openOffice(ctx, env, as)
		if err != nil {
			return err
		}
		defer a.Close()
		svc := dom.New(a.DB)
		var aid int64
		switch op {
		case "add":
			aid, err = svc.AddAbsence(ctx, as.A, id[0], *from, *to, *reason)
		case "update":
			aid, err = id[1], svc.UpdateAbsence(ctx, as.A, id[0], id[1], *from, *to, *reason)
		case "delete":
			if err = svc.DeleteAbsence(ctx, as.A, id[0], id[1]); err == nil {
				fmt.Printf("absence %d of expert %d deleted\n", id[1], id[0])
			}
			return err
		}
		if err != nil {
			return err
		}
		ab, err := svc.Absence(ctx, aid)
		if err != nil {
			return err
		}
		if *asJSON {
			return cli.PrintJSON(os.Stdout, map[string]any{"absence": ab})
		}
		fmt.Printf("absence %d of expert %d: %s — %s %s\n", ab.ID, ab.ExpertID, ab.From, ab.To, ab.Reason)
		return nil
	}
}

func tieCmd(op string) func(cli.Env, []string) error {
	return func(env cli.Env, args []string) error {
		fs, as := cli.ActingFlags(env, "experts tie "+op)
		kind := fs.String("kind", "", "employed (worked for the unit) or worked (on a project of the unit)")
		unit := fs.String("unit", "", "the unit's code")
		until := fs.String("until", "", "the day the tie ended, YYYY-MM-DD (empty while it lasts)")
		note := fs.String("note", "", "a note")
		asJSON := fs.Bool("json", false, "print the tie as JSON")
		pos, err := cli.Positional(fs, args)
		if err != nil {
			return err
		}
		names := []string{"expert", "tie"}
		if op == "add" {
			names = names[:1]
		}
		id, err := expertIDs(pos, names...)
		if err != nil {
			return err
		}
		ctx := context.Background()
		a, err := openOffice(ctx, env, as)
		if err != nil {
			return err
		}
		defer a.Close()
		svc := dom.New(a.DB)
		var tid int64
		switch op {
		case "add":
			tid, err = svc.AddTie(ctx, as.A, id[0], *kind, *unit, *until, *note)
		case "update":
			tid, err = id[1], svc.UpdateTie(ctx, as.A, id[0], id[1], *kind, *unit, *until, *note)
		case "delete":
			if err = svc.DeleteTie(ctx, as.A, id[0], id[1]); err == nil {
				fmt.Printf("tie %d of expert %d deleted\n", id[1], id[0])
			}
			return err
		}
		if err != nil {
			return err
		}
		t, err := svc.Tie(ctx, tid)
		if err != nil {
			return err
		}
		if *asJSON {
			return cli.PrintJSON(os.Stdout, map[string]any{"tie": t})
		}
		fmt.Printf("tie %d of expert %d: %s %s %s until %s\n", t.ID, t.ExpertID, t.Kind, t.Unit, t.UnitName, t.Until)
		return nil
	}
}
