package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/monitor"
	"zhihui/internal/orgunit"
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

// uploadPath is where an uploaded file waits between preview and
// confirmation; the user id in the name keeps others from confirming it.
func uploadPath(userID int64, token, ext string) string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("zhihui-import-%d-%s%s", userID, token, ext))
}

var tokenRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// uploadTTL is how long an import waits between preview and confirm.
const uploadTTL = 24 * time.Hour

// sweepUploads removes uploads whose preview was never confirmed or
// rejected within uploadTTL. It runs with every new preview, so stale files
// never pile up without needing a timer.
func sweepUploads(now time.Time) {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "zhihui-import-*"))
	for _, f := range old {
		if fi, err := os.Stat(f); err == nil && now.Sub(fi.ModTime()) > uploadTTL {
			os.Remove(f)
		}
	}
}

// monitorImportPreview stores the upload and shows what importing it would
// do: every row's errors, or the values ready to commit.
func (s *Server) monitorImportPreview(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
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
	sweepUploads(time.Now())
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	path := uploadPath(p.User.ID, token, ext)
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := io.Copy(out, file); err != nil {
		out.Close()
		os.Remove(path)
		s.fail(w, r, err)
		return
	}
	out.Close()
	im, err := s.readUpload(r, path, hdr.Filename)
	if err != nil {
		os.Remove(path)
		s.fail(w, r, err)
		return
	}
	if !im.OK() {
		os.Remove(path)
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

func (s *Server) readUpload(r *http.Request, path, name string) (*monitor.Import, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return monitor.ReadImport(r.Context(), s.db, name, f, monitor.ImportOptions{
		Scopes: principal(r).Scopes(monitorReporters...), Period: strings.TrimSpace(r.PostFormValue("period")),
	})
}

// monitorImportConfirm reads the stored upload again (the user's units
// may have changed meanwhile) and commits it in one transaction.
func (s *Server) monitorImportConfirm(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	token, ext := r.PostFormValue("token"), r.PostFormValue("ext")
	if !tokenRE.MatchString(token) || (ext != ".csv" && ext != ".xlsx") {
		s.fail(w, r, i18n.Errorf("导入已过期，请重新上传", "the import has expired; upload the file again"))
		return
	}
	path := uploadPath(p.User.ID, token, ext)
	defer os.Remove(path)
	im, err := s.readUpload(r, path, r.PostFormValue("name"))
	if errors.Is(err, os.ErrNotExist) {
		s.fail(w, r, i18n.Errorf("导入已过期，请重新上传", "the import has expired; upload the file again"))
		return
	}
	if err != nil {
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
