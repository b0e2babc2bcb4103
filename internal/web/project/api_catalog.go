package project

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	dom "zhihui/internal/project"
	"zhihui/internal/web/kit"
)

// The JSON API of the information-system catalogue: the list the
// catalogue page shows (scoped to the caller's units), adding a system
// and retiring one. Each reads the same fields as the page's forms and
// calls the same domain functions.

// systemFields are the fields of the catalogue page's form.
var systemFields = []string{"owner", "name", "description", "data_resources", "om_cost", "mlps_level"}

// systemOf reads a system to add from the catalogue page's form fields
// (the page, the API and the command line alike).
func systemOf(v url.Values) (dom.NewSystem, error) {
	n := dom.NewSystem{Owner: v.Get("owner"), Name: v.Get("name"), Description: v.Get("description"), DataResources: v.Get("data_resources")}
	var err error
	if n.OMCost, err = dom.ParseWan(v.Get("om_cost")); err != nil {
		return n, fieldErr(err, "om_cost")
	}
	if n.MLPSLevel, err = strconv.Atoi(strings.TrimSpace(v.Get("mlps_level"))); err != nil {
		return n, i18n.Errorf("等保级别应为 1 至 5", "the MLPS level must be 1 to 5").OnField("mlps_level")
	}
	return n, nil
}

// retiredYearOf reads the year a system stops running (empty or 0: it
// runs again).
func retiredYearOf(v url.Values) (int, error) {
	s := strings.TrimSpace(v.Get("retired_year"))
	if s == "" {
		return 0, nil
	}
	y, err := strconv.Atoi(s)
	if err != nil {
		return 0, dom.ErrWholeNumber("retired_year")
	}
	return y, nil
}

// apiSystems lists the catalogue in the caller's units: ?q=&mlps=; 200
// {systems, total}, at most dom.MaxExport systems.
func (h handlers) apiSystems(w http.ResponseWriter, r *http.Request) error {
	f, err := h.systemFilter(r)
	if err != nil {
		return err
	}
	f.Page, f.PerPage = 1, dom.MaxExport
	ss, total, err := h.svc.Systems(r.Context(), f)
	if err != nil {
		return refuse(err)
	}
	if ss == nil {
		ss = []dom.System{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"systems": ss, "total": total})
}

// apiAddSystem adds a system to the catalogue of a unit in the caller's
// units: 201 {id}.
func (h handlers) apiAddSystem(w http.ResponseWriter, r *http.Request) error {
	v, err := apiValues(r, systemFields...)
	if err != nil {
		return err
	}
	n, err := systemOf(v)
	if err != nil {
		return err
	}
	id, err := h.svc.AddSystem(r.Context(), kit.Actor(r), scopes(r, Owners), n)
	if err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusCreated, map[string]any{"id": id})
}

// apiRetireSystem records that a system of the caller's units stopped
// running: {"retired_year"}; 200 {retired: id, retired_year}.
func (h handlers) apiRetireSystem(w http.ResponseWriter, r *http.Request) error {
	id, err := kit.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := apiValues(r, "retired_year")
	if err != nil {
		return err
	}
	year, err := retiredYearOf(v)
	if err != nil {
		return err
	}
	if err := h.svc.RetireSystem(r.Context(), kit.Actor(r), scopes(r, Owners), id, year); err != nil {
		return refuse(err)
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"retired": id, "retired_year": year})
}
