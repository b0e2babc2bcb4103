package project

import (
	"context"
	"fmt"
	"os"

	"zhihui/internal/cli"
	dom "zhihui/internal/project"
)

const importUsage = `usage: zhihui projects import FILE [--dry-run] [--json] [--as USER] (XLSX or CSV with the columns of the import page's template; all or nothing)`

// projectsImport imports a project list as the import page and
// POST /api/v1/projects/import do.
func projectsImport(env cli.Env, args []string) error {
	ic := cli.NewImport(env, "projects import", "check the rows, writing nothing", "language of the errors: zh-CN or en").Acting()
	asJSON := ic.FS.Bool("json", false, `print the result as POST /api/v1/projects/import does: {"dry_run","written","rows","projects"} or {"errors"}`)
	return ic.Run(args, importUsage, func(ctx context.Context, a *cli.App, f *os.File) error {
		as, dry := ic.As, *ic.Dry
		svc := dom.New(a.DB)
		rows, ids, errs, err := importProjects(ctx, svc, as.A, as.P.Scopes(Owners...), ic.File, f, dry)
		if err != nil {
			return outside(as, err)
		}
		var js any
		if *asJSON && len(errs) > 0 {
			js = map[string]any{"dry_run": dry, "written": false, "errors": errs}
		} else if *asJSON {
			if js, err = importedProjects(ctx, svc, as.P.Scopes(Viewers...), rows, ids, dry); err != nil {
				return outside(as, err)
			}
		}
		return ic.Report(cli.Imported, errs, len(errs), js, func(verb string) error {
			t := cli.NewTable("row", "name", "owner", "level", "category", "estimate (万元)")
			for _, r := range rows {
				t.Row(r.Row, r.Project.Name, r.Project.Owner, r.Project.Level, r.Project.Category, r.Project.Estimate.Wan())
			}
			if err := t.Flush(); err != nil {
				return err
			}
			fmt.Printf("%s: %s %d projects\n", ic.File, verb, len(rows))
			return nil
		})
	})
}
