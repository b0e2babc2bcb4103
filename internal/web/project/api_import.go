package project

import (
	"bytes"
	"context"
	"io"
	"net/http"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// importProjects reads a project list (XLSX or CSV) and, unless dry,
// registers every row, all or nothing: the page, the API and the command
// line alike. errs are the rows' errors by row and column (nothing
// written); a user error of the write comes back as one of errs.
func importProjects(ctx context.Context, svc *dom.Service, a audit.Actor, scopes []string, name string, r io.Reader, dry bool) ([]dom.ImportRow, []int64, []*i18n.Error, error) {
	rows, errs, err := svc.ReadImport(ctx, scopes, name, r)
	if err != nil || len(errs) > 0 || dry {
		return rows, nil, errs, err
	}
	ids, err := svc.Import(ctx, a, rows)
	if ue, ok := asUserError(err); ok {
		return rows, nil, []*i18n.Error{ue}, nil
	}
	return rows, ids, nil, err
}

// importedProjects is the answer of an import: the rows as read on a dry
// run, the stored projects otherwise.
func importedProjects(ctx context.Context, svc *dom.Service, viewers []string, rows []dom.ImportRow, ids []int64, dry bool) (map[string]any, error) {
	out := map[string]any{"dry_run": dry, "written": !dry, "rows": len(rows)}
	if dry {
		ps := make([]dom.NewProject, 0, len(rows))
		for _, r := range rows {
			ps = append(ps, r.Project)
		}
		out["projects"] = ps
		return out, nil
	}
	ps := make([]*dom.Project, 0, len(ids))
	for _, id := range ids {
		p, err := svc.Get(ctx, viewers, id)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	out["projects"] = ps
	return out, nil
}

// apiImport imports a project list as the import page does, all or
// nothing: a CSV body (text/csv), an XLSX body, or multipart with the file
// as field file; ?dryRun=true checks the rows without storing them. 200
// {dry_run, written, rows, projects}; 400 {errors: [{row, column, zh,
// en}]} with every error, nothing stored.
func (h handlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	name, data, err := importBody(r)
	if err != nil {
		return err
	}
	dry := r.URL.Query().Get("dryRun") == "true" || r.URL.Query().Get("dryRun") == "1"
	rows, ids, errs, err := importProjects(r.Context(), h.svc, kit.Actor(r), scopes(r, Owners), name, bytes.NewReader(data), dry)
	if err != nil {
		return refuse(err)
	}
	if len(errs) > 0 {
		return i18n.Errors(errs)
	}
	out, err := importedProjects(r.Context(), h.svc, scopes(r, Viewers), rows, ids, dry)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, out)
}
