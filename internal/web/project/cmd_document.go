package project

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"zhihui/internal/cli"
	dom "zhihui/internal/project"
)

const documentUsage = `usage: zhihui projects document ID FILE --kind KIND [--json] [--as USER] (kinds: ` + "%s" + `; PDF, PNG, JPEG, TXT, CSV, DOCX, XLSX or PPTX, checked as on the project page)`

// projectsDocument adds a document to the current stage of a project as
// the project page and POST /api/v1/projects/{id}/documents do.
func projectsDocument(env cli.Env, args []string) error {
	fs, as := cli.ActingFlags(env, "projects document")
	kind := fs.String("kind", "", "kind of document: "+strings.Join(dom.DocKinds, ", "))
	asJSON := fs.Bool("json", false, "print {id, project} as the API does")
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	pos = append(pos, fs.Args()...)
	usage := fmt.Errorf(documentUsage, strings.Join(dom.DocKinds, ", "))
	if len(pos) != 2 {
		return usage
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usage
	}
	f, err := os.Open(pos[1])
	if err != nil {
		return err
	}
	// One byte past the limit is enough for the domain's size check.
	data, err := io.ReadAll(io.LimitReader(f, dom.MaxDocument+1))
	f.Close()
	if err != nil {
		return err
	}
	ctx := context.Background()
	a, err := cli.OpenAs(ctx, env, as)
	if err != nil {
		return err
	}
	defer a.Close()
	svc := dom.New(a.DB)
	did, err := svc.AddDocument(ctx, as.A, as.P.Scopes(Owners...), id, *kind, filepath.Base(pos[1]), data)
	if err != nil {
		if ue, ok := asUserError(err); ok && ue.Field == "kind" {
			return fmt.Errorf("--kind: %w", err)
		}
		return outside(as, err)
	}
	p, err := svc.Get(ctx, as.P.Scopes(Viewers...), id)
	if err != nil {
		return outside(as, err)
	}
	if *asJSON {
		return cli.PrintJSON(os.Stdout, map[string]any{"id": did, "project": p})
	}
	fmt.Printf("document %d added to project %s %s (%s)\n", did, p.Number, p.Name, p.Stage)
	return nil
}
