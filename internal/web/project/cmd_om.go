package project

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"zhihui/internal/cli"
	"zhihui/internal/i18n"
	"zhihui/internal/project"
)

const omUsage = `usage: zhihui projects om list [--year Y] [--unit CODE] [--status submitted|approved|cut] [--flag any|CODE] [--json]
       zhihui projects om submit --system ID --amount WAN [--year Y] [--last-actual WAN] [--basis TEXT] [--json]
       zhihui projects om import FILE [--dry-run] [--json]
       zhihui projects om decide ID --decision approve|cut [--approved WAN] [--reason R] [--json] (the office)
       zhihui projects om thresholds [--over-last-year PCT] [--over-catalogue PCT] [--investment-share PCT] [--json] (the office)
every command takes --as USER (act as that user, within its units; default: the system, over the whole province), --lang zh-CN|en and --data DIR | --db DSN`

// runOM handles the O&M budget requests (运维经费申请) as the API does.
func runOM(env cli.Env, args []string) error {
	return cli.Dispatch(env, "projects om", omUsage, args, map[string]func(cli.Env, []string) error{"list": omList, "submit": omSubmit, "import": omImport, "thresholds": omThresholdsCmd, "decide": omDecide})
}

// printOM prints O&M requests as a table, flags in lang.
func printOM(rs []*project.OMRequest, lang string) error {
	t := cli.NewTable("id", "year", "unit", "system", "amount (万元)", "last year", "status", "flags")
	for _, x := range rs {
		last := ""
		if x.LastActual != nil {
			last = x.LastActual.Wan()
		}
		var flags []string
		for _, f := range x.Flags {
			flags = append(flags, f.Code+": "+f.In(lang))
		}
		id := "-"
		if x.ID != 0 {
			id = fmt.Sprint(x.ID)
		}
		t.Row(id, x.Year, x.Owner+" "+x.OwnerName, x.SystemName, x.Amount.Wan(), last, x.Status, strings.Join(flags, "；"))
	}
	return t.Flush()
}

func flagged(rs []*project.OMRequest) int {
	n := 0
	for _, x := range rs {
		if x.Flagged() {
			n++
		}
	}
	return n
}

func omList(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects om list")
	var f project.OMFilter
	fs.IntVar(&f.Year, "year", 0, "the year asked for (default: all)")
	fs.StringVar(&f.Unit, "unit", "", "a unit code: its subtree's requests")
	fs.StringVar(&f.Status, "status", "", "submitted, approved or cut")
	fs.StringVar(&f.Flag, "flag", "", "any (flagged ones) or a flag code: "+strings.Join(project.FlagCodes, ", "))
	fs.StringVar(&f.Q, "q", "", "words of the system or unit name")
	lang := fs.String("lang", "zh-CN", "language of the flags' reasons: zh-CN or en")
	asJSON := fs.Bool("json", false, "print JSON as GET /api/v1/projects/om does")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	f.Scopes, f.PerPage = as.P.Scopes(Viewers...), project.MaxExport
	rs, tot, err := project.New(a.DB).ListOM(ctx, f)
	if err != nil {
		return outside(as, err)
	}
	if rs == nil {
		rs = []*project.OMRequest{}
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"requests": rs, "count": tot.Count, "flagged": tot.Flagged, "amount": tot.Amount, "approved": tot.Approved})
	}
	if err := printOM(rs, *lang); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "%d requests (%d flagged), %s 万元 asked, %s 万元 granted\n", tot.Count, tot.Flagged, tot.Amount.Wan(), tot.Approved.Wan())
	return nil
}

// wanFlag is a flag holding an exact amount in 万元.
type wanFlag struct {
	m   *project.Money
	set bool
}

func (w *wanFlag) String() string {
	if w.m == nil || !w.set {
		return ""
	}
	return w.m.Wan()
}

func (w *wanFlag) Set(s string) error {
	m, err := project.ParseWan(s)
	if err != nil {
		return err
	}
	*w.m, w.set = m, true
	return nil
}

func omSubmit(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects om submit")
	var n project.NewOM
	var last project.Money
	amount, lastFlag := &wanFlag{m: &n.Amount}, &wanFlag{m: &last}
	fs.Int64Var(&n.SystemID, "system", 0, "id of the system in the catalogue")
	fs.IntVar(&n.Year, "year", 0, "the year asked for (default: next year)")
	fs.Var(amount, "amount", "the amount asked, 万元 (exact decimal)")
	fs.Var(lastFlag, "last-actual", "last year's actual spending, 万元 (default: last year's approved amount)")
	fs.StringVar(&n.Basis, "basis", "", "the basis of the estimate")
	lang := fs.String("lang", "zh-CN", "language of the flags' reasons: zh-CN or en")
	asJSON := fs.Bool("json", false, "print the request as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if n.SystemID == 0 || !amount.set {
		return errors.New("usage: zhihui projects om submit --system ID --amount WAN [--year Y] [--last-actual WAN] [--basis TEXT] [--as USER]")
	}
	if lastFlag.set {
		n.LastActual = &last
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := project.New(a.DB)
	id, err := svc.SubmitOM(ctx, as.A, as.P.Scopes(Owners...), n)
	if err != nil {
		return outside(as, err)
	}
	x, err := svc.GetOM(ctx, as.P.Scopes(Viewers...), id)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"request": x})
	}
	return printOM([]*project.OMRequest{x}, *lang)
}

func omImport(env cli.Env, args []string) error {
	ic := cli.NewImport(env, "projects om import", "check and flag the requests, writing nothing", "language of the errors and flags: zh-CN or en").Acting()
	asJSON := ic.FS.Bool("json", false, `print the result as POST /api/v1/projects/om/import does: {"dry_run","written","rows","flagged","requests"} or {"errors"}`)
	return ic.Run(args, "usage: zhihui projects om import FILE [--dry-run] [--as USER]", func(ctx context.Context, a *cli.App, f *os.File) error {
		as, dry := ic.As, *ic.Dry
		svc := project.New(a.DB)
		owners := as.P.Scopes(Owners...)
		rows, errs, err := svc.ReadOMImport(ctx, owners, ic.File, f)
		var out []*project.OMRequest
		if err == nil && len(errs) == 0 {
			if dry {
				out, err = svc.PreviewOM(ctx, as.A, owners, rows)
			} else {
				var ids []int64
				if ids, err = svc.ImportOM(ctx, as.A, owners, rows); err == nil {
					for _, id := range ids {
						x, err := svc.GetOM(ctx, as.P.Scopes(Viewers...), id)
						if err != nil {
							return outside(as, err)
						}
						out = append(out, x)
					}
				}
			}
		}
		if ue, ok := asUserError(err); ok {
			errs, err = append(errs, ue), nil
		}
		if err != nil {
			return outside(as, err)
		}
		var js any
		if *asJSON && len(errs) > 0 {
			js = map[string]any{"dry_run": dry, "written": false, "errors": errs}
		} else if *asJSON {
			js = map[string]any{"dry_run": dry, "written": !dry, "rows": len(out), "flagged": flagged(out), "requests": out}
		}
		return ic.Report(cli.ImportWords{Nothing: "nothing imported", Did: "imported", Would: "would import (dry run, nothing written)"}, errs, len(errs), js, func(verb string) error {
			if err := printOM(out, *ic.Lang); err != nil {
				return err
			}
			fmt.Printf("%s: %s %d requests, %d flagged\n", ic.File, verb, len(out), flagged(out))
			return nil
		})
	})
}

// asUserError returns the bilingual error inside err.
func asUserError(err error) (*i18n.Error, bool) {
	var ue *i18n.Error
	ok := errors.As(err, &ue)
	return ue, ok
}

// outside words the domain's scope refusal for the command line.
func outside(x *cli.Actor, err error) error {
	if project.IsOutside(err) {
		return x.Refused()
	}
	return err
}
