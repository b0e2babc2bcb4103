package supervise

import (
	"net/http"
	"strconv"

	dom "zhihui/internal/supervise"
	"zhihui/internal/web/kit"
)

type unitView struct {
	badges
	V       *dom.UnitView
	Lights  []string
	Links   map[string]string // light → the item list of the unit with that light
	Years   []int
	ListURL string
}

// unit is the leader's page of one city, county or department: lights,
// standing this year and last, overdue items, targets at risk.
func (h handlers) unit(w http.ResponseWriter, r *http.Request) error {
	code := r.PathValue("code")
	def, err := h.svc.LatestYear(r.Context())
	if err != nil {
		return err
	}
	year, err := kit.FormInt(r, "year", def)
	if err != nil {
		return err
	}
	sc, err := h.schemesOf(r)
	if err != nil {
		return err
	}
	v, err := h.svc.ForUnit(r.Context(), sc, viewScopes(r), code, year)
	if err != nil {
		return refuse(err)
	}
	lights := []string{dom.Red, dom.Yellow, dom.Blue, dom.Green, dom.Done}
	links := map[string]string{}
	for _, l := range lights {
		links[l] = "/supervise" + listQuery(dom.Filter{Unit: code, Light: l, Year: year})
	}
	var years []int
	for y := h.svc.Today().Year(); y >= 2014; y-- {
		years = append(years, y)
	}
	return h.k.Render(w, r, h.pages, "unit", http.StatusOK, kit.View{Title: v.Unit.Name + " · " + kit.T(r, "supervise.unit_title", strconv.Itoa(year)), Nav: "supervise",
		Data: unitView{badges: badges{kit.Lang(r)}, V: v, Lights: lights, Links: links, Years: years,
			ListURL: "/supervise" + listQuery(dom.Filter{Unit: code, Year: year})}})
}
