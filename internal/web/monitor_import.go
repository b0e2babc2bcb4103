package web

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
)

// maxUpload bounds an uploaded import file.
const maxUpload = 200 << 20

type importView struct {
	Preview  *monitor.Preview
	Token    string
	Result   *monitor.WriteResult
	Elements []monitor.Element
	Home     string
	Period   string
}

func (s *Server) monitorImportPage(w http.ResponseWriter, r *http.Request) {
	els, err := monitor.Elements(r.Context(), s.db)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "monitor", importView{Elements: els, Home: principal(r).Home()})
	pg.Title = i18n.T(pg.Lang, "monitor.import")
	s.render(w, r, "monitor/import", http.StatusOK, pg)
}

// importKind names monitoring imports among the stored uploads.
const importKind = "monitor.import"

var errImportExpired = i18n.Errorf("导入已过期，请重新上传", "the import has expired; upload the file again")

// monitorImportPreview stores the upload in the database (any server
// process sharing the store can confirm it) and shows what importing it
// would do: every row's errors, or the values ready to commit.
func (s *Server) monitorImportPreview(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		s.fail(w, r, i18n.Errorf("请选择要上传的 CSV 或 XLSX 文件（最大 200 MB）", "choose a CSV or XLSX file to upload (at most 200 MB)"))
		return
	}
	defer file.Close()
	ext := strings.ToLower(filepath.Ext(hdr.Filename))
	if ext != ".csv" && ext != ".xlsx" {
		s.fail(w, r, i18n.Errorf("只支持 .csv 和 .xlsx 文件", "only .csv and .xlsx files are accepted"))
		return
	}
	up, err := upload.Save(r.Context(), s.db, p.User.ID, importKind, hdr.Filename, file, maxUpload)
	if errors.Is(err, upload.ErrTooLarge) {
		s.deny(w, r, http.StatusRequestEntityTooLarge, "errors.too_large")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	im, err := s.readUpload(r, up.Token)
	if err != nil {
		upload.Delete(r.Context(), s.db, up.Token)
		s.fail(w, r, err)
		return
	}
	token := up.Token
	if !im.OK() {
		if err := upload.Delete(r.Context(), s.db, up.Token); err != nil {
			s.fail(w, r, err)
			return
		}
		token = ""
	}
	pg := s.page(r, "monitor", importView{Preview: &im.Preview, Token: token, Period: r.PostFormValue("period")})
	pg.Title = i18n.T(pg.Lang, "monitor.import_preview")
	status := http.StatusOK
	if im.ErrorCount > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, "monitor/import_preview", status, pg)
}

// readUpload reads the caller's stored upload token as an import, within
// the caller's units as they are now.
func (s *Server) readUpload(r *http.Request, token string) (*monitor.Import, error) {
	up, content, err := upload.Open(r.Context(), s.db, principal(r).User.ID, importKind, token)
	if errors.Is(err, upload.ErrNotFound) {
		return nil, errImportExpired
	}
	if err != nil {
		return nil, err
	}
	return monitor.ReadImport(r.Context(), s.db, up.Name, content, monitor.ImportOptions{
		Scopes: principal(r).Scopes(monitorReporters...), Period: strings.TrimSpace(r.PostFormValue("period")),
	})
}

// monitorImportConfirm reads the stored upload again (the user's units
// may have changed meanwhile) and commits it in one transaction. The
// upload is removed whatever the outcome.
func (s *Server) monitorImportConfirm(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	token := r.PostFormValue("token")
	im, err := s.readUpload(r, token)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := upload.Delete(r.Context(), s.db, token); err != nil {
		s.fail(w, r, err)
		return
	}
	if !im.OK() {
		pg := s.page(r, "monitor", importView{Preview: &im.Preview})
		pg.Title = i18n.T(pg.Lang, "monitor.import_preview")
		s.render(w, r, "monitor/import_preview", http.StatusUnprocessableEntity, pg)
		return
	}
	res, err := im.Commit(r.Context(), s.db, p.Actor(clientIP(r)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := s.page(r, "monitor", importView{Preview: &im.Preview, Result: &res})
	pg.Title = i18n.T(pg.Lang, "monitor.import_done")
	s.render(w, r, "monitor/import_preview", http.StatusOK, pg)
}

// monitorTemplate downloads a blank report sheet for the caller's units.
func (s *Server) monitorTemplate(w http.ResponseWriter, r *http.Request) {
	q := queryValues(r)
	root := q.Get("ou")
	if root == "" {
		root = principal(r).Home()
	}
	u, err := orgunit.Get(r.Context(), s.db, root)
	if err != nil {
		s.notFound(w, r)
		return
	}
	if !principal(r).Covers(u.Path, monitorReporters...) {
		s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
		return
	}
	level, _ := strconv.Atoi(q.Get("level"))
	var els []string
	for _, c := range strings.FieldsFunc(q.Get("dx"), func(r rune) bool { return r == ';' || r == ',' }) {
		els = append(els, strings.TrimSpace(c))
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="template-%s-%s.xlsx"`, u.Code, sanitizeFile(q.Get("pe"))))
	if err := monitor.WriteTemplate(r.Context(), s.db, &bufferedWriter{w: w}, monitor.TemplateOptions{Root: u.Code, Level: level, Elements: els, Period: q.Get("pe")}); err != nil {
		w.Header().Del("Content-Disposition")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		s.fail(w, r, err)
		return
	}
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
