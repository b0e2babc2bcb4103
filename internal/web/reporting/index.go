package reporting

import (
	"net/http"

	"zhihui/internal/i18n"
	"zhihui/internal/notify"

	"zhihui/internal/orgunit"
	dom "zhihui/internal/reporting"
	"zhihui/internal/web/kit"
)

type indexView struct {
	DataSets      []dom.DataSet
	DataSet       dom.DataSet
	Periods       []periodChoice
	Picker        unitPicker
	Pending       []dom.QueueRow
	PendingTotal  int
	Notifications []notify.Notification
	CanDecide     bool
	Kinds         map[string]i18n.Text
}

// index: GET /reporting — open a form (data set, unit from the tree,
// period from the data set's periods), the reports awaiting the caller's
// decision, the caller's notifications.
func (h handlers) index(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p := kit.Principal(r)
	lg := kit.Lang(r)
	d, sets, err := h.pickDataSet(r)
	if err != nil {
		return err
	}
	v := indexView{DataSets: sets, DataSet: d, CanDecide: p.Has(deciders...), Kinds: orgunit.KindNames, Periods: periodChoices(d, lg, 12)}
	// The caller's own unit is picked when it is the only one.
	var home *orgunit.Unit
	if rs, err := roots(ctx, h.k.DB, p, viewers); err == nil && len(rs) == 1 && rs[0].ChildCount == 0 {
		home = &rs[0]
	}
	if v.Picker, err = h.picker(r, "ou", home, viewers); err != nil {
		return err
	}
	if v.CanDecide {
		page, err := dom.Queue(ctx, h.k.DB, p, dom.QueueFilter{Limit: 10})
		if err != nil {
			return err
		}
		v.Pending, v.PendingTotal = page.Rows, page.Total
	}
	v.Notifications, _ = notify.List(ctx, h.k.DB, p.User.ID, 20)
	return h.k.Render(w, r, h.pages, "index", http.StatusOK, kit.View{Title: kit.T(r, "reporting.title"), Nav: "reporting", Data: v})
}

type periodsView struct {
	Periods []periodChoice
}

// periods: GET /reporting/periods?ds= — the period picker of a data set
// (its period type, latest first), swapped in when the data set changes.
func (h handlers) periods(w http.ResponseWriter, r *http.Request) error {
	d, _, err := h.pickDataSet(r)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "periods", http.StatusOK, kit.View{Title: kit.T(r, "reporting.period"), Nav: "reporting",
		Data: periodsView{Periods: periodChoices(d, kit.Lang(r), 12)}})
}
