package web

import (
	"errors"
	"net/http"
	"slices"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
)

// deleteRoles delete stored frameworks and datasets of their subtree.
var deleteRoles = []auth.Role{auth.Office, auth.Admin}

// evalFrameworkDelete: POST /evaluate/frameworks/{key}/delete — remove a
// stored framework (built-in ones cannot be removed).
func (s *Server) evalFrameworkDelete(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	owner, err := evalstore.FrameworkOwner(r.Context(), s.db, key)
	switch {
	case errors.Is(err, evalstore.ErrNotFound) && slices.Contains(evaluate.BuiltinNames(), key):
		s.fail(w, r, i18n.Errorf("%q 是内置指标体系，不能删除", "%q is a built-in framework and cannot be deleted", key))
		return
	case errors.Is(err, evalstore.ErrNotFound):
		s.notFound(w, r)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if !s.coversOrDeny(w, r, owner, deleteRoles) {
		return
	}
	if err := evalstore.DeleteFramework(r.Context(), s.db, principal(r).Actor(clientIP(r)), key); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/evaluate/frameworks?flash=evaluate_deleted", http.StatusSeeOther)
}

// evalDatasetDelete: POST /evaluate/datasets/{id}/delete — remove a stored
// dataset and its values.
func (s *Server) evalDatasetDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathInt(w, r, "id")
	if !ok {
		return
	}
	info, err := evalstore.GetDataset(r.Context(), s.db, id)
	if s.lookupFailed(w, r, err, evalstore.ErrNotFound) {
		return
	}
	if !s.coversOrDeny(w, r, info.OrgPath, deleteRoles) {
		return
	}
	if err := evalstore.DeleteDataset(r.Context(), s.db, principal(r).Actor(clientIP(r)), id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/evaluate/datasets?flash=evaluate_deleted", http.StatusSeeOther)
}
