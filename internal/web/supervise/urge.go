package supervise

import (
	"fmt"
	"net/http"

	"zhihui/internal/i18n"
	"zhihui/internal/web/kit"
)

// urge presses the responsible unit on an item (催办): the office's note
// goes on the timeline and, through notify, to the unit's people and
// their superiors.
func (h handlers) urge(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	_, err = h.svc.Urge(r.Context(), kit.Actor(r), kit.Principal(r).Scopes(Offices...), id, r.PostFormValue("note"))
	if err == nil {
		return kit.Redirect(w, r, fmt.Sprintf("/supervise/items/%d?flash=urged", id))
	}
	if ue, ok := kit.UserError(err); ok {
		return h.renderItem(w, r, http.StatusBadRequest, []*i18n.Error{ue})
	}
	return refuse(err)
}
