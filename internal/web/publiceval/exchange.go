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
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/upload"
	"zhihui/internal/web/kit"
)

// MaxExchangeFile caps an uploaded exchange file.
const MaxExchangeFile = 32 << 20

// exchangeKind names exchange imports among the stored uploads.
const exchangeKind = "publiceval.exchange"

type exchangeView struct {
	IsOffice bool
	Result   *dom.ImportResult
	Token    string
	File     string
	Done     bool
	Unit     string
	Period   string
	Columns  []string
	Links    []exportLink
}

// exportLink is a ready export of the caller's unit.
type exportLink struct {
	Label string
	Href  string
}

func (h *handlers) exchangeView(r *http.Request) exchangeView {
	v := exchangeView{IsOffice: kit.Principal(r).Has(Offices...), Unit: kit.Principal(r).Home(),
		Period: time.Now().In(period.Shanghai).Format("2006"), Columns: dom.ExchangeColumns}
	for _, f := range []string{"csv", "json"} {
		v.Links = append(v.Links, exportLink{Label: kit.T(r, "publiceval.exchange_year_"+f, v.Period),
			Href: "/publiceval/exchange/export?" + url.Values{"unit": {v.Unit}, "period": {v.Period}, "format": {f}}.Encode()})
	}
	return v
}

func (h *handlers) renderExchange(w http.ResponseWriter, r *http.Request, status int, v exchangeView, errs []*i18n.Error) error {
	return h.k.Render(w, r, h.pages, "exchange", status, kit.View{Title: kit.T(r, "publiceval.exchange"), Nav: "publiceval", Data: v, Errors: errs})
}

func (h *handlers) exchange(w http.ResponseWriter, r *http.Request) error {
	return h.renderExchange(w, r, http.StatusOK, h.exchangeView(r), nil)
}

// allowedFor is whether the caller may import ratings of a unit's targets.
func allowedFor(r *http.Request) func(string) bool {
	p := kit.Principal(r)
	return func(path string) bool { return p.Covers(path, Offices...) }
}

// exchangePreview stores the upload (any server process sharing the
// store can confirm it) and shows what importing it would do.
func (h *handlers) exchangePreview(w http.ResponseWriter, r *http.Request) error {
	file, hdr, err := r.FormFile("file")
	if err != nil {
		return h.renderExchange(w, r, http.StatusBadRequest, h.exchangeView(r), []*i18n.Error{i18n.Errorf("请选择要导入的 CSV 或 JSON 文件", "choose a CSV or JSON file to import").OnField("file")})
	}
	defer file.Close()
	up, err := upload.Save(r.Context(), h.k.DB, kit.Principal(r).User.ID, exchangeKind, hdr.Filename, file, MaxExchangeFile)
	if errors.Is(err, upload.ErrTooLarge) {
		return &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
	}
	if err != nil {
		return err
	}
	res, err := h.importUpload(r, up.Token, true)
	if err != nil {
		upload.Delete(r.Context(), h.k.DB, up.Token)
		return err
	}
	v := h.exchangeView(r)
	v.Result, v.File = &res, hdr.Filename
	if !res.OK() || res.New == 0 {
		if err := upload.Delete(r.Context(), h.k.DB, up.Token); err != nil {
			return err
		}
	} else {
		v.Token = up.Token
	}
	status := http.StatusOK
	if !res.OK() {
		status = http.StatusUnprocessableEntity
	}
	return h.renderExchange(w, r, status, v, nil)
}

var errExchangeExpired = i18n.Errorf("导入已过期，请重新上传", "the import has expired; upload the file again")

func (h *handlers) importUpload(r *http.Request, token string, dryRun bool) (dom.ImportResult, error) {
	up, content, err := upload.Open(r.Context(), h.k.DB, kit.Principal(r).User.ID, exchangeKind, token)
	if errors.Is(err, upload.ErrNotFound) {
		return dom.ImportResult{}, errExchangeExpired
	}
	if err != nil {
		return dom.ImportResult{}, err
	}
	return h.svc.Import(r.Context(), kit.Actor(r), up.Name, content, dryRun, allowedFor(r))
}

// exchangeConfirm imports the stored upload (checked again: the store may
// have changed since the preview) in one transaction and removes it.
func (h *handlers) exchangeConfirm(w http.ResponseWriter, r *http.Request) error {
	token := r.PostFormValue("token")
	res, err := h.importUpload(r, token, false)
	if err != nil {
		return err
	}
	if err := upload.Delete(r.Context(), h.k.DB, token); err != nil {
		return err
	}
	v := h.exchangeView(r)
	v.Result, v.Done = &res, res.OK()
	status := http.StatusOK
	if !res.OK() {
		status = http.StatusUnprocessableEntity
	}
	return h.renderExchange(w, r, status, v, nil)
}

// exchangeExport downloads the ratings of a unit's subtree over a period
// in the exchange format, identities masked.
func (h *handlers) exchangeExport(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, Handlers...)
	if err != nil {
		return err
	}
	p, err := periodOf(r)
	if err != nil {
		return err
	}
	recs, err := dom.Export(r.Context(), h.k.DB, u.Path, p)
	if err != nil {
		return err
	}
	name := "ratings-" + u.Code + "-" + p.ID
	var b bytes.Buffer
	if strings.ToLower(r.URL.Query().Get("format")) == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		err = dom.WriteJSON(&b, recs)
	} else {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		b.WriteString("\xef\xbb\xbf") // spreadsheet programs read the BOM as UTF-8
		err = dom.WriteCSV(&b, recs)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// apiImport imports an exchange body (CSV or JSON; ?dry_run=true checks
// only): 200 with what was done, 422 with every error and nothing written.
func (h *handlers) apiImport(w http.ResponseWriter, r *http.Request) error {
	name := "api.csv"
	ct := r.Header.Get("Content-Type")
	if strings.Contains(ct, "json") {
		name = "api.json"
	}
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &kit.Status{Code: http.StatusRequestEntityTooLarge, Key: "errors.too_large"}
	}
	if err != nil {
		return kit.ErrBadForm
	}
	dry := r.URL.Query().Get("dry_run") == "true" || r.URL.Query().Get("dry_run") == "1"
	res, err := h.svc.Import(r.Context(), kit.Actor(r), name, bytes.NewReader(body), dry, allowedFor(r))
	if err != nil {
		return err
	}
	if !res.OK() {
		return kit.JSON(w, http.StatusUnprocessableEntity, errorsJSON(res))
	}
	return kit.JSON(w, http.StatusOK, res)
}

func errorsJSON(res dom.ImportResult) map[string]any {
	var es []map[string]any
	for _, e := range res.Errors {
		es = append(es, map[string]any{"row": e.Row, "column": e.Col, "message_zh": e.Message("zh-CN"), "message_en": e.Message("en")})
	}
	return map[string]any{"rows": res.Rows, "written": false, "errors": es,
		"message_zh": "文件有错误，未导入任何评价", "message_en": "the file has errors; no rating was imported"}
}
