package kit

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

func TestStatusOf(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		ok   bool
	}{
		{ErrForbidden, http.StatusForbidden, true},
		{errors.Join(errors.New("x"), ErrNotFound), http.StatusNotFound, true},
		{orgunit.ErrNotFound, http.StatusNotFound, true}, // wraps store.ErrNotFound
		{store.ErrNotFound, http.StatusNotFound, true},
		{i18n.Errorf("坏", "bad"), 0, false},
		{errors.New("boom"), 0, false},
	} {
		st, ok := StatusOf(c.err)
		if ok != c.ok || ok && st.Code != c.code {
			t.Errorf("StatusOf(%v) = %v %v", c.err, st, ok)
		}
	}
	if ue, ok := UserError(errors.Join(errors.New("ctx"), i18n.Errorf("坏", "bad"))); !ok || ue.En != "bad" {
		t.Errorf("UserError: %v %v", ue, ok)
	}
}

func TestRequestHelpers(t *testing.T) {
	r := httptest.NewRequest("GET", "/x?n=12&bad=1x", nil)
	r.SetPathValue("id", "42")
	if id, err := PathID(r, "id"); err != nil || id != 42 {
		t.Errorf("PathID = %d %v", id, err)
	}
	for _, v := range []string{"0", "-3", "abc", ""} {
		r.SetPathValue("id", v)
		if _, err := PathID(r, "id"); err != ErrNotFound {
			t.Errorf("PathID(%q) = %v, want ErrNotFound", v, err)
		}
	}
	if n, err := FormInt(r, "n", 5); err != nil || n != 12 {
		t.Errorf("FormInt n = %d %v", n, err)
	}
	if n, err := FormInt(r, "missing", 5); err != nil || n != 5 {
		t.Errorf("FormInt default = %d %v", n, err)
	}
	var ue *i18n.Error
	if _, err := FormInt(r, "bad", 0); !errors.As(err, &ue) || ue.Field != "bad" {
		t.Errorf("FormInt bad = %v", err)
	}
	if IsJSON(r) {
		t.Error("a request without a body type is JSON")
	}
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	if !IsJSON(r) {
		t.Error("application/json is not JSON")
	}
	if p := Principal(r); p.Authenticated() {
		t.Error("a request without a principal is not anonymous")
	}
	u := &auth.User{Name: "u", Lang: "en"}
	r = r.WithContext(WithPrincipal(r.Context(), &auth.Principal{User: u}))
	if Principal(r).User != u || Lang(r) != "en" {
		t.Error("principal or language not carried")
	}
	r2 := httptest.NewRequest("GET", "/", nil)
	r2.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if Lang(r2) != "en" {
		t.Error("Accept-Language ignored")
	}
	r2.AddCookie(&http.Cookie{Name: LangCookie, Value: "zh-CN"})
	if Lang(r2) != "zh-CN" {
		t.Error("language cookie ignored")
	}
}

func TestDecodeJSON(t *testing.T) {
	var v struct{ A int }
	for _, c := range []struct {
		body string
		ok   bool
	}{{`{"A":1}`, true}, {`{"A":1,"B":2}`, false}, {`{"A":1} {"A":2}`, false}, {`[`, false}} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		err := DecodeJSON(r, &v)
		var ue *i18n.Error
		if (err == nil) != c.ok || err != nil && !errors.As(err, &ue) {
			t.Errorf("%s: %v", c.body, err)
		}
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"A":`+strings.Repeat("1", 100)+`}`))
	r.Body = http.MaxBytesReader(w, r.Body, 10)
	if st, ok := StatusOf(DecodeJSON(r, &v)); !ok || st.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("over the cap: %v", st)
	}
}

func TestXLSX(t *testing.T) {
	w := httptest.NewRecorder()
	err := XLSX(w, `list "a".xlsx`, []string{"名称", "数量"}, [][]any{{"=HYPERLINK(\"x\")", 3}, {"普通", 4.5}})
	if err != nil {
		t.Fatal(err)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="list a.xlsx"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	f, err := excelize.OpenReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "名称" || rows[2][1] != "4.5" || strings.HasPrefix(rows[1][0], "=") {
		t.Errorf("rows %q", rows)
	}
	if formula, _ := f.GetCellFormula(f.GetSheetName(0), "A2"); formula != "" {
		t.Errorf("text became a formula: %q", formula)
	}
}

// TestUpload reads a form's file under its cap and refuses a missing
// file and one over the cap with an error on the field.
func TestUpload(t *testing.T) {
	form := func(name, content string) *http.Request {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if name != "" {
			fw, _ := mw.CreateFormFile("file", name)
			fw.Write([]byte(content))
		}
		mw.WriteField("x", "1")
		mw.Close()
		r := httptest.NewRequest("POST", "/", &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := form("a.csv", "year,owner\n")
	if !HasUpload(r, "file") || HasUpload(r, "other") {
		t.Error("HasUpload wrong")
	}
	if name, data, err := Upload(r, "file", 100); err != nil || name != "a.csv" || string(data) != "year,owner\n" {
		t.Errorf("Upload = %q %q %v", name, data, err)
	}
	var ue *i18n.Error
	if _, _, err := Upload(r, "file", 4); !errors.As(err, &ue) || ue.Field != "file" || !strings.Contains(ue.Message("en"), "larger than") {
		t.Errorf("over the cap: %v", err)
	}
	if _, _, err := Upload(form("", ""), "file", 100); !errors.As(err, &ue) || ue.Field != "file" {
		t.Errorf("no file: %v", err)
	}
	if _, _, err := Upload(httptest.NewRequest("POST", "/", nil), "file", 100); !errors.As(err, &ue) {
		t.Errorf("not multipart: %v", err)
	}
}
