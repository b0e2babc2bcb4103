package publiceval

import (
	"io"
	"net/http"
	"net/url"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/web/kit"
)

// Case volumes (办件量): the services' and disclosures' cases handled per
// month, entered one at a time or imported from CSV/XLSX by the units
// that handle them, the denominator of the 主动评价率.

type volumesView struct {
	Unit       orgunit.Unit
	Period     dom.Period
	Volumes    []dom.Volume
	Targets    []dom.Target
	Counts     dom.Counts
	IsOffice   bool
	Month      string // the entry form's default: last month
	Columns    []string
	ExportHref string
	Result     *dom.VolumeResult
	File       string
	Lang       string
}

// KindName names a kind.
func (v volumesView) KindName(k string) string { return dom.KindNames[k].In(v.Lang) }

func (h *handlers) renderVolumes(w http.ResponseWriter, r *http.Request, status int, res *dom.VolumeResult, file string, errs []*i18n.Error) error {
	u, err := h.scope(r, Handlers...)
	if err != nil {
		return err
	}
	p, err := periodOf(r)
	if err != nil {
		return err
	}
	v := volumesView{Unit: u, Period: p, IsOffice: kit.Principal(r).Has(Offices...), Columns: dom.VolumeColumns, Result: res, File: file, Lang: kit.Lang(r),
		Month: time.Now().In(period.Shanghai).AddDate(0, 0, -time.Now().In(period.Shanghai).Day()).Format("2006-01")}
	if v.Volumes, err = dom.Volumes(r.Context(), h.k.DB, u.Path, p); err != nil {
		return err
	}
	if v.Targets, err = dom.VolumeTargets(r.Context(), h.k.DB, u.Path); err != nil {
		return err
	}
	if v.Counts, err = dom.Stats(r.Context(), h.k.DB, u.Path, p); err != nil {
		return err
	}
	v.ExportHref = "/publiceval/volumes/export?" + url.Values{"unit": {u.Code}, "period": {p.ID}}.Encode()
	return h.k.Render(w, r, h.pages, "volumes", status, kit.View{Title: kit.T(r, "publiceval.volumes"), Nav: "publiceval", Data: v, Errors: errs})
}

func (h *handlers) volumes(w http.ResponseWriter, r *http.Request) error {
	return h.renderVolumes(w, r, http.StatusOK, nil, "", nil)
}

// saveVolume records one target's cases of one month.
func (h *handlers) saveVolume(w http.ResponseWriter, r *http.Request) error {
	v, err := dom.VolumeEntry(r.PostFormValue("target"), r.PostFormValue("month"), r.PostFormValue("handled"))
	if ue, ok := kit.UserError(err); ok {
		return h.renderVolumes(w, r, http.StatusBadRequest, nil, "", []*i18n.Error{ue})
	}
	if t, err := dom.Resolve(r.Context(), h.k.DB, v.Target); err == nil && !kit.Principal(r).Covers(t.OrgPath, Handlers...) {
		return kit.ErrOutside
	}
	res, err := dom.SaveVolumes(r.Context(), h.k.DB, kit.Actor(r), []dom.Volume{v}, time.Now(), allowedHandler(r))
	if err != nil {
		return err
	}
	if !res.OK() {
		return h.renderVolumes(w, r, http.StatusBadRequest, nil, "", res.Errors)
	}
	return kit.Redirect(w, r, "/publiceval/volumes?"+url.Values{"unit": {r.URL.Query().Get("unit")}, "period": {v.Month[:4]}, "flash": {"saved"}}.Encode())
}

// importVolumes reads an uploaded CSV or XLSX file and records all its
// volumes, or none when any row has a problem.
func (h *handlers) importVolumes(w http.ResponseWriter, r *http.Request) error {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return h.renderVolumes(w, r, http.StatusBadRequest, nil, "", []*i18n.Error{i18n.Errorf("请选择要导入的 CSV 或 XLSX 文件", "choose a CSV or XLSX file to import").OnField("file")})
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, dom.MaxVolumeFile+1))
	if err != nil {
		return err
	}
	vs, errs := dom.ParseVolumes(hdr.Filename, data)
	res := &dom.VolumeResult{Rows: len(vs), Errors: errs}
	if len(errs) == 0 {
		// show the year of the file's latest month
		latest := vs[0].Month
		for _, v := range vs {
			latest = max(latest, v.Month)
		}
		q := r.URL.Query()
		q.Set("period", latest[:4])
		r.URL.RawQuery = q.Encode()
		out, err := dom.SaveVolumes(r.Context(), h.k.DB, kit.Actor(r), vs, time.Now(), allowedHandler(r))
		if err != nil {
			return err
		}
		res = &out
	}
	status := http.StatusOK
	if !res.OK() {
		status = http.StatusUnprocessableEntity
	}
	return h.renderVolumes(w, r, status, res, hdr.Filename, nil)
}

// volumesExport downloads the list as XLSX, in the columns an import
// reads, with the ratings and the 主动评价率 after them.
func (h *handlers) volumesExport(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, Handlers...)
	if err != nil {
		return err
	}
	p, err := periodOf(r)
	if err != nil {
		return err
	}
	vs, err := dom.Volumes(r.Context(), h.k.DB, u.Path, p)
	if err != nil {
		return err
	}
	// the headers an import reads back (the last two it skips)
	var head []string
	for _, c := range []string{"target", "name", "unit", "month", "handled", "rated", "active_rate"} {
		head = append(head, kit.T(r, "publiceval.vcol."+c))
	}
	rows := make([][]any, 0, len(vs))
	for _, v := range vs {
		rows = append(rows, []any{v.Target, v.Name, v.OrgCode, v.Month[:4] + "-" + v.Month[4:], v.Handled, v.Rated, v.ActiveRate().String()})
	}
	return kit.XLSX(w, "case-volumes-"+u.Code+"-"+p.ID+".xlsx", head, rows)
}

// allowedHandler is whether the caller handles a unit's cases.
func allowedHandler(r *http.Request) func(string) bool {
	p := kit.Principal(r)
	return func(path string) bool { return p.Covers(path, Handlers...) }
}
