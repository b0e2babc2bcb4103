package publiceval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"zhihui/internal/cli"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/publiceval"
	"zhihui/internal/store"
)

const bulletinUsage = `usage: zhihui ratings bulletin issue --period YYYYMM [--unit CODE] [--as USER]
       zhihui ratings bulletin fetch --period YYYYMM [--unit CODE] [--format pdf|xlsx|json] -o FILE|- [--lang zh-CN|en] [--as USER]
issue records the month's bulletin (月度通报) of the units under --unit (default 41, the province) as issued and tells their staff, once;
fetch writes it as the bulletin page's PDF or XLSX download or the API's JSON. --as acts as that user within its units (issue: office or admin)`

// runBulletin issues and fetches the monthly bulletin, as the bulletin
// page (/publiceval/bulletin) and GET/POST /api/v1/ratings/bulletin do.
func runBulletin(env cli.Env, args []string) error {
	return cli.Dispatch(env, "ratings bulletin", bulletinUsage, args, map[string]func(cli.Env, []string) error{"issue": bulletinIssue, "fetch": bulletinFetch})
}

// bulletinUnit resolves --unit and checks that the acting user holds one
// of roles over it.
func bulletinUnit(ctx context.Context, x *cli.Actor, db *store.DB, code string, roles ...auth.Role) (orgunit.Unit, error) {
	u, err := orgunit.Get(ctx, db, code)
	if err != nil {
		return u, fmt.Errorf("unit %s: %w", code, err)
	}
	if !x.P.Covers(u.Path, roles...) {
		who := x.Name
		if who == "" {
			who = "the system"
		}
		return u, fmt.Errorf("%s may not do this: unit %s lies outside its units or roles", who, u.Code)
	}
	return u, nil
}

func bulletinIssue(env cli.Env, args []string) error {
	fs, x := cli.ActingFlags(env, "ratings bulletin issue")
	unit := fs.String("unit", orgunit.Root, "the unit whose subunits the bulletin ranks")
	month := fs.String("period", "", "the month, YYYYMM")
	fs.StringVar(month, "month", "", "the same as --period")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *month == "" || fs.NArg() > 0 {
		return errors.New(bulletinUsage)
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, x)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := bulletinUnit(ctx, x, a.DB, *unit, auth.Office, auth.Admin)
	if err != nil {
		return err
	}
	issued, err := publiceval.Issue(ctx, a.DB, x.A, u, *month, time.Now())
	if err != nil {
		return err
	}
	if !issued {
		fmt.Printf("the bulletin of %s for %s was issued before: nothing done\n", *month, u.Code)
		return nil
	}
	fmt.Printf("issued the bulletin of %s for %s; the units' staff are told\n", *month, u.Code)
	return nil
}

func bulletinFetch(env cli.Env, args []string) error {
	fs, x := cli.ActingFlags(env, "ratings bulletin fetch")
	unit := fs.String("unit", orgunit.Root, "the unit whose subunits the bulletin ranks")
	month := fs.String("period", "", "the month, YYYYMM")
	fs.StringVar(month, "month", "", "the same as --period")
	format := fs.String("format", "", "pdf, xlsx or json (default: the output file's extension, else pdf)")
	out := fs.String("o", "", "output file (- for standard output)")
	fs.StringVar(out, "out", "", "the same as -o")
	lang := fs.String("lang", "zh-CN", "language of the document: zh-CN or en")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *month == "" || *out == "" || fs.NArg() > 0 {
		return errors.New(bulletinUsage)
	}
	f := strings.ToLower(*format)
	if f == "" {
		f = "pdf"
		if ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), ".")); slices.Contains(publiceval.BulletinFormats, ext) {
			f = ext
		}
	}
	if !slices.Contains(publiceval.BulletinFormats, f) {
		return fmt.Errorf("unknown format %q: pdf, xlsx or json", *format)
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, x)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := bulletinUnit(ctx, x, a.DB, *unit, auth.Roles...)
	if err != nil {
		return err
	}
	b, err := publiceval.BuildBulletin(ctx, a.DB, u, *month)
	if err != nil {
		var ue *i18n.Error
		if errors.As(err, &ue) {
			return errors.New(ue.Message(*lang))
		}
		return err
	}
	err = cli.WriteOut(*out, func(w io.Writer) error { return publiceval.WriteBulletin(w, b, *lang, f) })
	if err != nil {
		return err
	}
	if *out != "-" {
		state := "not issued yet"
		if b.Issued != nil {
			state = "issued " + b.Issued.In(period.Shanghai).Format("2006-01-02 15:04")
		}
		fmt.Printf("bulletin of %s for %s (%d units, %s) → %s\n", b.Month, u.Code, len(b.Rows), state, *out)
	}
	return nil
}
