package publiceval

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/web/kit"
)

// The monthly bulletin (月度通报) of the units under the caller's unit:
// a page, its PDF and XLSX, the office's button that issues it (the
// monthly job does it on the first days of the next month) and, once the
// office published the month, the PDF on the public page.

type bulletinView struct {
	dom.Bulletin
	Months    []string
	Rules     []string
	IsOffice  bool
	CanIssue  bool
	PDFHref   string
	XLSXHref  string
	Lang      string
	MonthText string
}

// IssuedText is when the bulletin was issued, Asia/Shanghai.
func (v bulletinView) IssuedText() string {
	if v.Issued == nil {
		return ""
	}
	return v.Issued.In(period.Shanghai).Format("2006-01-02 15:04")
}

// Fmt formats a row's rates.
func (bulletinView) Fmt(c dom.Counts) Row { return statsView{}.Fmt(c) }

// bulletinMonth reads ?month= (default: last month, Asia/Shanghai).
func bulletinMonth(r *http.Request) string {
	m := strings.TrimSpace(r.URL.Query().Get("month"))
	if m == "" {
		t := time.Now().In(period.Shanghai)
		m = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, period.Shanghai).AddDate(0, -1, 0).Format("200601")
	}
	return m
}

func (h *handlers) bulletinData(r *http.Request, u orgunit.Unit, month string) (bulletinView, error) {
	b, err := dom.BuildBulletin(r.Context(), h.k.DB, u, month)
	if err != nil {
		return bulletinView{}, err
	}
	lang := kit.Lang(r)
	v := bulletinView{Bulletin: b, Lang: lang, MonthText: b.MonthName(lang)}
	for _, x := range dom.BulletinRules {
		v.Rules = append(v.Rules, x.In(lang))
	}
	q := url.Values{"unit": {u.Code}, "month": {month}}.Encode()
	v.PDFHref, v.XLSXHref = "/publiceval/bulletin.pdf?"+q, "/publiceval/bulletin.xlsx?"+q
	return v, nil
}

func (h *handlers) bulletin(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	v, err := h.bulletinData(r, u, bulletinMonth(r))
	if err != nil {
		return err
	}
	if v.Months, err = dom.Months(r.Context(), h.k.DB, u.Path); err != nil {
		return err
	}
	if !contains(v.Months, v.Month) {
		v.Months = append([]string{v.Month}, v.Months...)
	}
	p := kit.Principal(r)
	v.IsOffice = p.Has(Offices...)
	v.CanIssue = p.Covers(u.Path, Offices...) && v.Issued == nil
	return h.k.Render(w, r, h.pages, "bulletin", http.StatusOK, kit.View{Title: kit.T(r, "publiceval.bulletin"), Nav: "publiceval", Data: v})
}

// writeBulletin answers with the bulletin of u and month as a PDF, an
// XLSX workbook or JSON, in the reader's language.
func (h *handlers) writeBulletin(w http.ResponseWriter, r *http.Request, u orgunit.Unit, month, format string) error {
	b, err := dom.BuildBulletin(r.Context(), h.k.DB, u, month)
	if err != nil {
		return err
	}
	if format == "json" {
		return kit.JSON(w, http.StatusOK, b.Data(kit.Lang(r)))
	}
	var buf bytes.Buffer
	if err := dom.WriteBulletin(&buf, b, kit.Lang(r), format); err != nil {
		return err
	}
	types := map[string]string{"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	w.Header().Set("Content-Type", types[format])
	w.Header().Set("Content-Disposition", `attachment; filename="bulletin-`+u.Code+`-`+month+`.`+format+`"`)
	_, err = w.Write(buf.Bytes())
	return err
}

func (h *handlers) bulletinPDF(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	return h.writeBulletin(w, r, u, bulletinMonth(r), "pdf")
}

func (h *handlers) bulletinXLSX(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	return h.writeBulletin(w, r, u, bulletinMonth(r), "xlsx")
}

// apiBulletin is GET /api/v1/ratings/bulletin: the bulletin of ?unit= and
// ?month= (default: last month) as JSON, or ?format=pdf|xlsx.
func (h *handlers) apiBulletin(w http.ResponseWriter, r *http.Request) error {
	u, err := h.scope(r, auth.Roles...)
	if err != nil {
		return err
	}
	format := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("format")))
	if format == "" {
		format = "json"
	}
	if !contains(dom.BulletinFormats, format) {
		return i18n.Errorf("通报格式「%s」应为 pdf、xlsx 或 json", "the bulletin's format %q is pdf, xlsx or json", format).OnField("format")
	}
	return h.writeBulletin(w, r, u, bulletinMonth(r), format)
}

// apiIssueBulletin is POST /api/v1/ratings/bulletin/issue?unit=&month=:
// the office issues the month's bulletin for the units under unit and
// they are told; a month issued before is not issued again.
func (h *handlers) apiIssueBulletin(w http.ResponseWriter, r *http.Request) error {
	u, err := orgunit.Get(r.Context(), h.k.DB, strings.TrimSpace(r.FormValue("unit")))
	if err != nil {
		return kit.ErrNotFound
	}
	if !kit.Principal(r).Covers(u.Path, Offices...) {
		return kit.ErrOutside
	}
	month := strings.TrimSpace(r.FormValue("month"))
	issued, err := dom.Issue(r.Context(), h.k.DB, kit.Actor(r), u, month, time.Now())
	if err != nil {
		return err
	}
	b, err := dom.BuildBulletin(r.Context(), h.k.DB, u, month)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"unit": u.Code, "month": month, "issued": issued, "issued_at": b.Issued})
}

// issueBulletin issues the month's bulletin now and tells the units.
func (h *handlers) issueBulletin(w http.ResponseWriter, r *http.Request) error {
	u, err := orgunit.Get(r.Context(), h.k.DB, strings.TrimSpace(r.PostFormValue("unit")))
	if err != nil {
		return kit.ErrNotFound
	}
	if !kit.Principal(r).Covers(u.Path, Offices...) {
		return kit.ErrOutside
	}
	month := strings.TrimSpace(r.PostFormValue("month"))
	if _, err := dom.Issue(r.Context(), h.k.DB, kit.Actor(r), u, month, time.Now()); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/publiceval/bulletin?"+url.Values{"unit": {u.Code}, "month": {month}, "flash": {"publiceval_issued"}}.Encode())
}

// publicBulletin is the province's bulletin of a published month.
func (h *handlers) publicBulletin(w http.ResponseWriter, r *http.Request) error {
	pub, err := dom.Published(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	m := r.URL.Query().Get("month")
	if !contains(pub, m) {
		return kit.ErrNotFound
	}
	root, err := orgunit.Get(r.Context(), h.k.DB, orgunit.Root)
	if err != nil {
		return err
	}
	return h.writeBulletin(w, r, root, m, "pdf")
}

// BulletinHref is the public PDF of month m.
func (publicView) BulletinHref(m string) string {
	return "/rate/stats/bulletin.pdf?" + url.Values{"month": {m}}.Encode()
}
