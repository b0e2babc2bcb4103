package publiceval

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
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
	if !kit.HasUpload(r, "file") {
		return h.renderVolumes(w, r, http.StatusBadRequest, nil, "", []*i18n.Error{i18n.Errorf("请选择要导入的 CSV 或 XLSX 文件", "choose a CSV or XLSX file to import").OnField("file")})
	}
	var vs []dom.Volume
	var errs []*i18n.Error
	name, data, err := kit.Upload(r, "file", dom.MaxVolumeFile)
	if ue, ok := kit.UserError(err); ok {
		errs = []*i18n.Error{ue}
	} else if err != nil {
		return err
	} else {
		vs, errs = dom.ParseVolumes(name, data)
	}
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
	return h.renderVolumes(w, r, status, res, name, nil)
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
	return writeVolumesXLSX(w, r, u.Code, p.ID, vs)
}

// writeVolumesXLSX answers with the list as XLSX, the headers in the
// reader's language (an import reads them back and skips the last two).
func writeVolumesXLSX(w http.ResponseWriter, r *http.Request, unit, pid string, vs []dom.Volume) error {
	var head []string
	for _, c := range dom.VolumeListColumns {
		head = append(head, kit.T(r, "publiceval.vcol."+c))
	}
	rows := make([][]any, 0, len(vs))
	for _, v := range vs {
		rows = append(rows, dom.VolumeRow(v))
	}
	return kit.XLSX(w, "case-volumes-"+unit+"-"+pid+".xlsx", head, rows)
}

// apiVolumes lists the case volumes of a unit's subtree over a period:
// ?unit=CODE&period=YYYY|YYYYMM (default: the caller's unit, this
// year); ?format=csv|xlsx downloads the list in the columns an import
// reads.
func (h *handlers) apiVolumes(w http.ResponseWriter, r *http.Request) error {
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
	switch strings.ToLower(r.URL.Query().Get("format")) {
	case "xlsx":
		return writeVolumesXLSX(w, r, u.Code, p.ID, vs)
	case "csv":
		var b bytes.Buffer
		b.WriteString("\xef\xbb\xbf")
		if err := dom.WriteVolumesCSV(&b, vs); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="case-volumes-`+u.Code+"-"+p.ID+`.csv"`)
		_, err = w.Write(b.Bytes())
		return err
	case "", "json":
	default:
		return i18n.Errorf("格式应为 json、csv 或 xlsx", "the format is json, csv or xlsx").OnField("format")
	}
	if vs == nil {
		vs = []dom.Volume{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"unit": u.Code, "period": p.ID, "volumes": vs, "truncated": len(vs) >= dom.MaxVolumeList})
}

// apiImportVolumes records case volumes sent as JSON rows
// (application/json), a CSV body (text/csv), an XLSX body, a file in
// field file of multipart/form-data or one entry as form fields target,
// month and handled (the page's form); ?dryRun=true checks only. All or
// nothing: 200 with what was (or would be) done, 422 with every error
// located by row and column in both languages and nothing written.
func (h *handlers) apiImportVolumes(w http.ResponseWriter, r *http.Request) error {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	name, body := "api.csv", io.Reader(r.Body)
	switch {
	case strings.HasPrefix(ct, "multipart/form-data"):
		f, hdr, err := r.FormFile("file")
		if err != nil {
			return i18n.Errorf("请在字段 file 中上传 CSV 或 XLSX 文件", "upload the CSV or XLSX file as field file").OnField("file")
		}
		defer f.Close()
		name, body = hdr.Filename, f
	case strings.Contains(ct, "json"):
		name = "api.json"
	case strings.Contains(ct, "spreadsheetml"):
		name = "api.xlsx"
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		v, err := dom.VolumeEntry(r.PostFormValue("target"), r.PostFormValue("month"), r.PostFormValue("handled"))
		if err != nil {
			return err
		}
		if t, err := dom.Resolve(r.Context(), h.k.DB, v.Target); err == nil && !kit.Principal(r).Covers(t.OrgPath, Handlers...) {
			return kit.ErrOutside
		}
		return h.saveVolumesAPI(w, r, []dom.Volume{v}, nil)
	}
	data, err := io.ReadAll(io.LimitReader(body, dom.MaxVolumeFile+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(data) > dom.MaxVolumeFile {
		return &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
	}
	if err != nil {
		return kit.ErrBadForm
	}
	var vs []dom.Volume
	var errs []*i18n.Error
	if name == "api.json" {
		vs, errs = dom.ParseVolumesJSON(data)
	} else {
		vs, errs = dom.ParseVolumes(name, data)
	}
	return h.saveVolumesAPI(w, r, vs, errs)
}

// saveVolumesAPI records vs read without errs (or checks them only,
// ?dryRun=true) and answers with what was done or every error.
func (h *handlers) saveVolumesAPI(w http.ResponseWriter, r *http.Request, vs []dom.Volume, errs []*i18n.Error) error {
	var err error
	res := dom.VolumeResult{Rows: len(vs), Errors: errs}
	q := r.URL.Query()
	dry := q.Get("dryRun") == "true" || q.Get("dryRun") == "1" || q.Get("dry_run") == "true" || q.Get("dry_run") == "1"
	if len(errs) == 0 {
		save := dom.SaveVolumes
		if dry {
			save = dom.CheckVolumes
		}
		if res, err = save(r.Context(), h.k.DB, kit.Actor(r), vs, time.Now(), allowedHandler(r)); err != nil {
			return err
		}
	}
	res.DryRun = dry
	if !res.OK() {
		var es []map[string]any
		for _, e := range res.Errors {
			es = append(es, map[string]any{"sheet": e.Sheet, "row": e.Row, "column": e.Col, "message_zh": e.Message("zh-CN"), "message_en": e.Message("en")})
		}
		return kit.JSON(w, http.StatusUnprocessableEntity, map[string]any{"rows": res.Rows, "written": false, "errors": es,
			"message_zh": "有错误，未记录任何办件量", "message_en": "there are errors; no case volume was recorded"})
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"rows": res.Rows, "new": res.New, "changed": res.Changed, "same": res.Same,
		"dry_run": dry, "written": !dry && res.New+res.Changed > 0})
}

// allowedHandler is whether the caller handles a unit's cases.
func allowedHandler(r *http.Request) func(string) bool {
	p := kit.Principal(r)
	return func(path string) bool { return p.Covers(path, Handlers...) }
}
