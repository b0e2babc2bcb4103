package evaluate

import (
	"errors"
	"net/http"
	"slices"

	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/web/kit"
)

// deleteRoles delete stored frameworks and datasets of their subtree.
var deleteRoles = []auth.Role{auth.Office, auth.Admin}

// evalFrameworkDelete: POST /evaluate/frameworks/{key}/delete — remove a
// stored framework (built-in ones cannot be removed).
func (h handlers) evalFrameworkDelete(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	owner, err := evalstore.FrameworkOwner(r.Context(), h.k.DB, key)
	switch {
	case errors.Is(err, evalstore.ErrNotFound) && slices.Contains(evaluate.BuiltinNames(), key):
		return i18n.Errorf("%q 是内置指标体系，不能删除", "%q is a built-in framework and cannot be deleted", key)
	case errors.Is(err, evalstore.ErrNotFound):
		return kit.ErrNotFound
	case err != nil:
		return err
	}
	if err := h.covers(r, owner, deleteRoles); err != nil {
		return err
	}
	if err := evalstore.DeleteFramework(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), key); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/evaluate/frameworks?flash=evaluate_deleted")
}

// evalDatasetDelete: POST /evaluate/datasets/{id}/delete — remove a stored
// dataset and its values.
func (h handlers) evalDatasetDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	info, err := evalstore.GetDataset(r.Context(), h.k.DB, id)
	if err != nil {
		return err
	}
	if err := h.covers(r, info.OrgPath, deleteRoles); err != nil {
		return err
	}
	if err := evalstore.DeleteDataset(r.Context(), h.k.DB, kit.Principal(r).Actor(kit.ClientIP(r)), id); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/evaluate/datasets?flash=evaluate_deleted")
}
