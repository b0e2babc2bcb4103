package monitor

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
	"zhihui/internal/upload"
	"zhihui/internal/web/kit"
)

type importView struct {
	Preview  *monitor.Preview
	Token    string
	Result   *monitor.WriteResult
	Elements []monitor.Element
	Home     string
	Period   string
	CanMap   bool // the caller may map unmatched columns (office)
}

func (h handlers) monitorImportPage(w http.ResponseWriter, r *http.Request) error {
	els, err := monitor.Elements(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "import", http.StatusOK, kit.View{Title: kit.T(r, "monitor.import"), Nav: "monitor", Data: importView{Elements: els, Home: kit.Principal(r).Home()}})
}

// importKind names monitoring imports among the stored uploads.
const importKind = "monitor.import"

var errImportExpired = i18n.Errorf("导入已过期，请重新上传", "the import has expired; upload the file again")

// monitorImportPreview stores the upload in the database (any server
// process sharing the store can confirm it) and shows what importing it
// would do: every row's errors, or the values ready to commit.
func (h handlers) monitorImportPreview(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return i18n.Errorf("请选择要上传的 CSV、XLSX 或 XLS 文件（最大 200 MB）", "choose a CSV, XLSX or XLS file to upload (at most 200 MB)")
	}
	defer file.Close()
	ext := strings.ToLower(filepath.Ext(hdr.Filename))
	switch ext {
	case ".csv", ".xlsx", ".xls":
	case ".et", ".ods", ".numbers", ".wps", ".xlsb":
		return i18n.Errorf("暂不能直接读取 %s 文件：请在 Excel 或 WPS 中“另存为” .xlsx（或 CSV）后再导入", "%s files cannot be read yet: save the workbook as .xlsx (or CSV) in Excel or WPS and import that", ext)
	default:
		return i18n.Errorf("只支持 .csv、.xlsx 和 .xls 文件", "only .csv, .xlsx and .xls files are accepted")
	}
	up, err := upload.Save(r.Context(), h.k.DB, p.User.ID, importKind, hdr.Filename, file, MaxUpload)
	if errors.Is(err, upload.ErrTooLarge) {
		return &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
	}
	if err != nil {
		return err
	}
	im, err := h.readUpload(r, up.Token)
	if err != nil {
		upload.Delete(r.Context(), h.k.DB, up.Token)
		return err
	}
	return h.renderPreview(w, r, im, up.Token)
}

// renderPreview shows a read import. An import with errors cannot be
// confirmed and its upload is removed, unless the office can still map
// unmatched columns of it; the caller's units are read again on confirm.
func (h handlers) renderPreview(w http.ResponseWriter, r *http.Request, im *monitor.Import, token string) error {
	v := importView{Preview: &im.Preview, Period: r.PostFormValue("period")}
	for _, sh := range im.Sheets {
		if len(sh.Unmatched) > 0 && kit.Principal(r).Has(Editors...) {
			v.CanMap = true
		}
	}
	if v.CanMap {
		els, err := monitor.Elements(r.Context(), h.k.DB)
		if err != nil {
			return err
		}
		v.Elements = els
	}
	if im.OK() || v.CanMap {
		v.Token = token
	} else if err := upload.Delete(r.Context(), h.k.DB, token); err != nil {
		return err
	}
	status := http.StatusOK
	if im.ErrorCount > 0 {
		status = http.StatusUnprocessableEntity
	}
	return h.k.Render(w, r, h.pages, "import_preview", status, kit.View{Title: kit.T(r, "monitor.import_preview"), Nav: "monitor", Data: v})
}

// monitorImportMapping saves the office's mapping of unmatched header
// columns to elements (kept for the template) and shows the preview of the
// same upload again, now reading those columns.
func (h handlers) monitorImportMapping(w http.ResponseWriter, r *http.Request) error {
	template := r.PostFormValue("template")
	labels, els := r.PostForm["label"], r.PostForm["element"]
	if len(labels) != len(els) {
		return i18n.Errorf("列对应关系不完整", "the column mappings are incomplete")
	}
	var ms []monitor.Mapping
	for i := range labels {
		if els[i] == "" {
			continue // left for later
		}
		ms = append(ms, monitor.Mapping{Template: template, Label: labels[i], Element: els[i]})
	}
	p := kit.Principal(r)
	if err := monitor.SaveMappings(r.Context(), h.k.DB, p.Actor(kit.ClientIP(r)), ms); err != nil {
		return err
	}
	token := r.PostFormValue("token")
	im, err := h.readUpload(r, token)
	if errors.Is(err, errImportExpired) {
		return kit.Redirect(w, r, "/monitor/import?flash=mapping_saved")
	}
	if err != nil {
		return err
	}
	return h.renderPreview(w, r, im, token)
}

// readUpload reads the caller's stored upload token as an import, within
// the caller's units as they are now.
func (h handlers) readUpload(r *http.Request, token string) (*monitor.Import, error) {
	up, content, err := upload.Open(r.Context(), h.k.DB, kit.Principal(r).User.ID, importKind, token)
	if errors.Is(err, upload.ErrNotFound) {
		return nil, errImportExpired
	}
	if err != nil {
		return nil, err
	}
	return monitor.ReadImport(r.Context(), h.k.DB, up.Name, content, monitor.ImportOptions{
		Scopes: kit.Principal(r).Scopes(Reporters...), Period: strings.TrimSpace(r.PostFormValue("period")),
	})
}

// monitorImportConfirm reads the stored upload again (the user's units
// may have changed meanwhile) and commits it in one transaction. The
// upload is removed whatever the outcome.
func (h handlers) monitorImportConfirm(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	token := r.PostFormValue("token")
	im, err := h.readUpload(r, token)
	if err != nil {
		return err
	}
	if err := upload.Delete(r.Context(), h.k.DB, token); err != nil {
		return err
	}
	if !im.OK() {
		return h.k.Render(w, r, h.pages, "import_preview", http.StatusUnprocessableEntity, kit.View{Title: kit.T(r, "monitor.import_preview"), Nav: "monitor", Data: importView{Preview: &im.Preview}})
	}
	res, err := im.Commit(r.Context(), h.k.DB, p.Actor(kit.ClientIP(r)))
	var ve i18n.Errors
	if errors.As(err, &ve) {
		// refused by a check at commit (a report approved meanwhile):
		// nothing was written; say why, row by row
		im.Errors, im.ErrorCount = ve, len(ve)
		return h.k.Render(w, r, h.pages, "import_preview", http.StatusUnprocessableEntity, kit.View{Title: kit.T(r, "monitor.import_preview"), Nav: "monitor", Data: importView{Preview: &im.Preview}})
	}
	if err != nil {
		return err
	}
	return h.k.Render(w, r, h.pages, "import_preview", http.StatusOK, kit.View{Title: kit.T(r, "monitor.import_done"), Nav: "monitor", Data: importView{Preview: &im.Preview, Result: &res}})
}

// monitorTemplate downloads a blank report sheet for the caller's units.
func (h handlers) monitorTemplate(w http.ResponseWriter, r *http.Request) error {
	q := queryValues(r)
	root := q.Get("ou")
	if root == "" {
		root = kit.Principal(r).Home()
	}
	u, err := orgunit.Get(r.Context(), h.k.DB, root)
	if err != nil {
		return kit.ErrNotFound
	}
	if !kit.Principal(r).Covers(u.Path, Reporters...) {
		return kit.ErrOutside
	}
	level, _ := strconv.Atoi(q.Get("level"))
	var els []string
	for _, c := range strings.FieldsFunc(q.Get("dx"), func(r rune) bool { return r == ';' || r == ',' }) {
		els = append(els, strings.TrimSpace(c))
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="template-%s-%s.xlsx"`, u.Code, sanitizeFile(q.Get("pe"))))
	if err := monitor.WriteTemplate(r.Context(), h.k.DB, &bufferedWriter{w: w}, monitor.TemplateOptions{Root: u.Code, Level: level, Elements: els, Period: q.Get("pe")}); err != nil {
		w.Header().Del("Content-Disposition")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		return err
	}
	return nil
}

// bufferedWriter defers the status line until the first byte, so that a
// failure before any output can still answer with an error page.
type bufferedWriter struct {
	w       http.ResponseWriter
	started bool
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		b.w.WriteHeader(http.StatusOK)
	}
	return b.w.Write(p)
}

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

func sanitizeFile(s string) string { return unsafeFile.ReplaceAllString(s, "_") }
