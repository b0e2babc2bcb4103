package web

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/xuri/excelize/v2"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

type monitorEnv struct {
	t      *testing.T
	db     *store.DB
	srv    *httptest.Server
	tokens map[string]string
}

func newMonitorEnv(t *testing.T) *monitorEnv { return newMonitorEnvOn(t, storetest.SQLite(t)) }

// newMonitorEnvOn is newMonitorEnv on the store db.
func newMonitorEnvOn(t *testing.T, db *store.DB) *monitorEnv {
	ctx := context.Background()
	a := &app.App{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Modules: app.Modules()}
	prepare(t, db, a.Modules, "", nil) // as a.Bootstrap leaves it
	s, err := New(db, a.Log, Options{Modules: a.Modules})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	e := &monitorEnv{t: t, db: db, srv: srv, tokens: map[string]string{}}
	for name, g := range map[string]struct {
		role auth.Role
		org  string
	}{"reporter": {auth.Reporter, "410102"}, "office": {auth.Office, "41"}, "leader": {auth.Leader, "41"}, "approver": {auth.Approver, "4101"}, "cityoffice": {auth.Office, "4101"}} {
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Name: name, DisplayName: name, Password: "a-long-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		if err := auth.AddGrant(ctx, db, audit.System, u.ID, g.role, g.org); err != nil {
			t.Fatal(err)
		}
		tok, err := auth.NewToken(ctx, db, audit.System, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = tok
	}
	return e
}

func (e *monitorEnv) do(who, method, path, ctype string, body io.Reader) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func form(kv ...string) io.Reader {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return strings.NewReader(v.Encode())
}

const formType = "application/x-www-form-urlencoded"

func TestMonitorRoutesByRole(t *testing.T) {
	e := newMonitorEnv(t)
	ctx := context.Background()
	if err := monitor.SaveValues(ctx, e.db, audit.System, []monitor.Value{
		{DataElement: "BB_ACCESS_USERS", OrgUnit: "4102", Period: "2015", Value: "5"},
		{DataElement: "ECOMMERCE_VOLUME", OrgUnit: "4102", Period: "2015", Value: "7"},
	}); err != nil {
		t.Fatal(err)
	}
	dvs := func(org, val string) io.Reader {
		b, _ := json.Marshal(map[string]any{"dataValues": []map[string]string{{"dataElement": "ECOMMERCE_VOLUME", "orgUnit": org, "period": "2015", "value": val}}})
		return bytes.NewReader(b)
	}
	cases := []struct {
		name, who, method, path, ctype string
		body                           io.Reader
		status                         int
		contains                       string
	}{
		{"public analytics of published data", "", "GET", "/api/v1/analytics?dx=ECOMMERCE_VOLUME&pe=2015&ou=41", "", nil, 200, `"value":7`},
		{"public analytics of unpublished data", "", "GET", "/api/v1/analytics?dx=BB_ACCESS_USERS&pe=2015&ou=41", "", nil, 403, "outside_scope"},
		{"reporter outside scope, unpublished", "reporter", "GET", "/api/v1/analytics?dx=BB_ACCESS_USERS&pe=2015&ou=4102", "", nil, 403, ""},
		{"reporter outside scope, published", "reporter", "GET", "/api/v1/analytics?dx=ECOMMERCE_VOLUME&pe=2015&ou=4102", "", nil, 200, `"value":7`},
		{"reporter in scope", "reporter", "GET", "/api/v1/analytics?dx=BB_ACCESS_USERS&pe=2015&ou=410102", "", nil, 200, `"rows":null`},
		{"leader everywhere", "leader", "GET", "/api/v1/analytics?dx=BB_ACCESS_USERS&pe=2015&ou=41;LEVEL-2", "", nil, 200, `"ou":"4102"`},
		{"bad period", "leader", "GET", "/api/v1/analytics?dx=BB_ACCESS_USERS&pe=2015X&ou=41", "", nil, 400, "invalid period"},
		{"write in scope", "reporter", "POST", "/api/v1/dataValueSets", "application/json", dvs("410102", "3"), 200, `"SUCCESS"`},
		{"write out of scope", "reporter", "POST", "/api/v1/dataValueSets", "application/json", dvs("4102", "3"), 403, ""},
		{"write by a reader", "leader", "POST", "/api/v1/dataValueSets", "application/json", dvs("410102", "3"), 403, ""},
		{"write anonymously", "", "POST", "/api/v1/dataValueSets", "application/json", dvs("410102", "3"), 401, ""},
		{"invalid value", "reporter", "POST", "/api/v1/dataValueSets", "application/json", dvs("410102", "x"), 409, "not a number"},
		{"dry run", "reporter", "POST", "/api/v1/dataValueSets?dryRun=true", "application/json", dvs("410102", "99"), 200, `"dryRun":true`},
		{"read values in scope", "reporter", "GET", "/api/v1/dataValueSets?dataElement=ECOMMERCE_VOLUME&orgUnit=410102&period=2015", "", nil, 200, `"value":"3"`},
		{"read values out of scope", "reporter", "GET", "/api/v1/dataValueSets?orgUnit=4102", "", nil, 403, ""},
		{"monitor home", "reporter", "GET", "/monitor?dx=ECOMMERCE_VOLUME&pe=2015&ou=410102", "", nil, 200, "中原区"},
		{"element list", "approver", "GET", "/monitor/elements", "", nil, 200, "BB_URBAN_CAP"},
		{"element form for a reporter", "reporter", "GET", "/monitor/elements/new", "", nil, 403, ""},
		{"element form for a city office", "cityoffice", "GET", "/monitor/elements/BB_URBAN_CAP", "", nil, 403, ""},
		{"element save by a city office", "cityoffice", "POST", "/monitor/elements/BB_URBAN_CAP", formType, form("name", "x", "value_type", "number", "aggregation", "average", "period_type", "yearly"), 403, ""},
		{"element form for office", "office", "GET", "/monitor/elements/BB_URBAN_CAP", "", nil, 200, "城市家庭宽带接入能力"},
		{"create element", "office", "POST", "/monitor/elements", formType, form("code", "NEW_EL", "name", "新数据元", "value_type", "integer", "aggregation", "sum", "period_type", "yearly", "min", "0"), 303, ""},
		{"create invalid element", "office", "POST", "/monitor/elements", formType, form("code", "bad", "name", "", "value_type", "integer", "aggregation", "sum", "period_type", "yearly"), 400, "form-error"},
		{"create indicator with a bad formula", "office", "POST", "/monitor/indicators", formType, form("code", "NEW_IND", "name", "新指标", "direction", "higher", "formula", "#{NEW_EL} / ", "decimals", "1"), 400, "个字符"},
		{"create indicator", "office", "POST", "/monitor/indicators", formType, form("code", "NEW_IND", "name", "新指标", "direction", "higher", "formula", "#{NEW_EL} / #{ADMIN_VILLAGES} * 100", "decimals", "1"), 303, ""},
		{"formula check", "office", "POST", "/monitor/formula/check", formType, form("formula", "#{NOPE} +"), 200, "form-error"},
		{"formula check by reporter", "reporter", "POST", "/monitor/formula/check", formType, form("formula", "1"), 403, ""},
		{"template in scope", "reporter", "GET", "/monitor/template?ou=410102&dx=ADMIN_VILLAGES&pe=2015", "", nil, 200, "PK"},
		{"template out of scope", "reporter", "GET", "/monitor/template?ou=4102&dx=ADMIN_VILLAGES&pe=2015", "", nil, 403, ""},
		{"template for a reader", "leader", "GET", "/monitor/template?ou=41&dx=ADMIN_VILLAGES&pe=2015", "", nil, 403, ""},
		{"export values out of scope", "reporter", "GET", "/monitor/export/download?kind=values&dx=ECOMMERCE_VOLUME&ou=4102", "", nil, 403, ""},
		{"export analytics", "leader", "GET", "/monitor/export/download?kind=analytics&dx=ECOMMERCE_VOLUME&pe=2015&ou=41&format=csv", "", nil, 200, "ECOMMERCE_VOLUME,电子商务交易额,2015"},
		{"import page for a reader", "leader", "GET", "/monitor/import", "", nil, 403, ""},
		{"import page for a reporter", "reporter", "GET", "/monitor/import", "", nil, 200, `enctype="multipart/form-data"`},
		{"indicator list", "leader", "GET", "/monitor/indicators", "", nil, 200, "CNC_RATE"},
		{"indicator form", "office", "GET", "/monitor/indicators/CNC_RATE", "", nil, 200, "hx-post=\"/monitor/formula/check\""},
		{"new indicator form", "office", "GET", "/monitor/indicators/new", "", nil, 200, "formula"},
		{"unknown indicator", "office", "GET", "/monitor/indicators/NOPE", "", nil, 404, ""},
		{"export page", "leader", "GET", "/monitor/export", "", nil, 200, "/monitor/export/download"},
		{"monitor home anonymously", "", "GET", "/monitor", "", nil, 303, ""},
		{"catalogue API", "leader", "GET", "/api/v1/indicators", "", nil, 200, "IPV6_ACTIVE_USER_RATE"},
		{"openapi lists analytics", "", "GET", "/api/v1/openapi.json", "", nil, 200, "/api/v1/analytics"},
	}
	for _, c := range cases {
		status, body := e.do(c.who, c.method, c.path, c.ctype, c.body)
		if status != c.status || !strings.Contains(body, c.contains) {
			t.Errorf("%s: %s %s as %q = %d, want %d containing %q\n%.400s", c.name, c.method, c.path, c.who, status, c.status, c.contains, body)
		}
	}
	// The dry run wrote nothing; the real write is audited.
	vals, _ := monitor.DataValues(ctx, e.db, monitor.ValueFilter{Elements: []string{"ECOMMERCE_VOLUME"}, OrgUnits: []string{"410102"}})
	if len(vals) != 1 || vals[0].Value.Value != "3" {
		t.Fatalf("values = %+v", vals)
	}
}

func multipartUpload(t *testing.T, name, content string, fields ...string) (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write([]byte(content))
	mw.Close()
	return &buf, mw.FormDataContentType()
}

func TestMonitorImportFlow(t *testing.T) {
	e := newMonitorEnv(t)
	// Out of scope rows are reported, nothing is offered for commit.
	body, ct := multipartUpload(t, "v.csv", "dataElement,orgUnit,period,value\nECOMMERCE_VOLUME,410102,2015,1\nECOMMERCE_VOLUME,4102,2015,2\n")
	status, page := e.do("reporter", "POST", "/monitor/import", ct, body)
	if status != 422 || !strings.Contains(page, "4102") || strings.Contains(page, `name="token"`) {
		t.Fatalf("preview with errors: %d\n%.600s", status, page)
	}
	body, ct = multipartUpload(t, "v.csv", "填报单位：中原区\n报告期：2016年\n单位代码,电子商务交易额（亿元）,农村综合信息服务站数量\n410102,12.5,4\n")
	status, page = e.do("reporter", "POST", "/monitor/import", ct, body)
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("preview: %d\n%.800s", status, page)
	}
	// Another user cannot confirm it.
	status, _ = e.do("office", "POST", "/monitor/import/confirm", formType, form("token", m[1], "ext", ".csv", "name", "v.csv"))
	if status != 400 {
		t.Fatalf("confirm by another user: %d", status)
	}
	status, page = e.do("reporter", "POST", "/monitor/import/confirm", formType, form("token", m[1], "ext", ".csv", "name", "v.csv"))
	if status != 200 || !strings.Contains(page, "新增 2") {
		t.Fatalf("confirm: %d\n%.800s", status, page)
	}
	status, page = e.do("reporter", "GET", "/api/v1/analytics?dx=ECOMMERCE_VOLUME;RURAL_INFO_STATIONS&pe=2016&ou=4101", "", nil)
	if status != 200 || !strings.Contains(page, `"value":12.5`) || !strings.Contains(page, `"value":4`) {
		t.Fatalf("analytics after import: %d %s", status, page)
	}
}

// TestImportPreviewAcrossProcesses previews an import on one server and
// confirms it on another that has its own connections to the same store,
// as two serve processes sharing PostgreSQL (or one SQLite file) do.
func TestImportPreviewAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			var opts store.Options
			if dialect == "sqlite" {
				opts.DataDir = t.TempDir()
			} else {
				base := storetest.PostgresDSN()
				if base == "off" {
					t.Skip("PostgreSQL tests disabled")
				}
				opts.DSN = storetest.WithSearchPath(base, storetest.NewSchema(t, base))
			}
			open := func() *store.DB {
				db, err := store.Open(ctx, opts)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			a := newMonitorEnvOn(t, open())
			if dialect == "postgres" {
				// The set-up may have moved the store to a copy of a
				// template database: the second process opens that.
				opts.DSN = storetest.DSN(t, a.db)
			}
			other, err := New(open(), slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Modules: app.Modules()})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(other.Handler())
			t.Cleanup(srv.Close)
			b := *a
			b.srv = srv

			body, ct := multipartUpload(t, "v.csv", "dataElement,orgUnit,period,value\nECOMMERCE_VOLUME,410102,2017,7.5\n")
			status, page := a.do("reporter", "POST", "/monitor/import", ct, body)
			m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)
			if status != 200 || m == nil {
				t.Fatalf("preview: %d\n%.800s", status, page)
			}
			status, page = b.do("reporter", "POST", "/monitor/import/confirm", formType, form("token", m[1]))
			if status != 200 || !strings.Contains(page, "新增 1") {
				t.Fatalf("confirm on the other server: %d\n%.800s", status, page)
			}
			// confirmed once: the preview is gone on both servers
			for _, e := range []*monitorEnv{a, &b} {
				if status, page := e.do("reporter", "POST", "/monitor/import/confirm", formType, form("token", m[1])); status != 400 || !strings.Contains(page, "导入已过期") {
					t.Fatalf("second confirm: %d\n%.400s", status, page)
				}
			}
			vals, err := monitor.DataValues(ctx, a.db, monitor.ValueFilter{Elements: []string{"ECOMMERCE_VOLUME"}, OrgUnits: []string{"410102"}, Periods: []string{"2017"}})
			if err != nil || len(vals) != 1 || vals[0].Value.Value != "7.5" {
				t.Fatalf("stored values %+v (%v)", vals, err)
			}
		})
	}
}

// TestImportWorkbookSheets: an office previews a workbook with one sheet
// per city in 统计报表 shape (two-row merged header, 万户 in a header); the
// preview lists the sheets and the conversion, and confirming stores every
// sheet's values.
func TestImportWorkbookSheets(t *testing.T) {
	e := newMonitorEnv(t)
	f := excelize.NewFile()
	kf, ly := "开封市", "洛阳市"
	f.SetSheetName("Sheet1", kf)
	f.NewSheet(ly)
	for _, c := range []struct {
		sheet, cell string
		v           any
	}{
		{kf, "A1", "填报单位：开封市工信局　报告期：2024年　计量单位：户"},
		{kf, "A2", "单位名称"}, {kf, "B2", "代码"}, {kf, "C2", "城镇家庭"},
		{kf, "C3", "户数（户）"}, {kf, "D3", "宽带用户数（户）"},
		{kf, "A4", "龙亭区"}, {kf, "B4", "410202"}, {kf, "C4", 24876}, {kf, "D4", "—"},
		{ly, "A1", "报告期：2024年"}, {ly, "A2", "单位代码"}, {ly, "B2", "城镇家庭户数（万户）"},
		{ly, "A3", "410302"}, {ly, "B3", "5.231"},
	} {
		if err := f.SetCellValue(c.sheet, c.cell, c.v); err != nil {
			t.Fatal(err)
		}
	}
	f.MergeCell(kf, "A2", "A3")
	f.MergeCell(kf, "B2", "B3")
	f.MergeCell(kf, "C2", "D2")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	body, ct := multipartUpload(t, "宽带.xlsx", buf.String())
	status, page := e.do("office", "POST", "/monitor/import", ct, body)
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("preview: %d\n%.1500s", status, page)
	}
	for _, want := range []string{"开封市", "洛阳市", "万户 → 户 ×10000", "1 个单元格标为无数据"} {
		if !strings.Contains(page, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	status, page = e.do("office", "POST", "/monitor/import/confirm", formType, form("token", m[1]))
	if status != 200 || !strings.Contains(page, "新增 2") {
		t.Fatalf("confirm: %d\n%.800s", status, page)
	}
	status, page = e.do("office", "GET", "/api/v1/analytics?dx=HOUSEHOLDS_URBAN&pe=2024&ou=410202;410302", "", nil)
	if status != 200 || !strings.Contains(page, `"value":24876`) || !strings.Contains(page, `"value":52310`) {
		t.Fatalf("analytics after import: %d %s", status, page)
	}
}

// TestImportColumnMappingPage: the office previews a county's own report
// with a column that names no element, maps it on the preview page, sees
// the preview again with that column read, confirms; a reporter sees the
// column listed but no mapping form.
func TestImportColumnMappingPage(t *testing.T) {
	e := newMonitorEnv(t)
	file := "报告期：2016年\n单位代码,电子商务交易额（亿元）,益农社（个）\n410102,3.5,6\n"
	body, ct := multipartUpload(t, "县表.csv", file)
	status, page := e.do("reporter", "POST", "/monitor/import", ct, body)
	if status != 200 || !strings.Contains(page, "益农社（个）") || strings.Contains(page, `action="/monitor/import/mapping"`) {
		t.Fatalf("reporter preview: %d\n%.1200s", status, page)
	}
	body, ct = multipartUpload(t, "县表.csv", file)
	status, page = e.do("office", "POST", "/monitor/import", ct, body)
	tok := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	tpl := regexp.MustCompile(`name="template" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if status != 200 || tok == nil || tpl == nil {
		t.Fatalf("office preview: %d\n%.1500s", status, page)
	}
	status, page = e.do("office", "POST", "/monitor/import/mapping", formType, form("token", tok[1], "template", tpl[1], "label", "益农社（个）", "element", "RURAL_INFO_STATIONS"))
	if status != 200 || strings.Contains(page, `action="/monitor/import/mapping"`) || !strings.Contains(page, "RURAL_INFO_STATIONS") {
		t.Fatalf("preview after mapping: %d\n%.1500s", status, page)
	}
	status, page = e.do("office", "POST", "/monitor/import/confirm", formType, form("token", tok[1]))
	if status != 200 || !strings.Contains(page, "新增 2") {
		t.Fatalf("confirm: %d\n%.800s", status, page)
	}
	// The next upload of the same template maps the column by itself.
	body, ct = multipartUpload(t, "县表.csv", strings.Replace(file, "2016", "2017", 1))
	status, page = e.do("reporter", "POST", "/monitor/import", ct, body)
	if status != 200 || strings.Contains(page, "未对应数据元") || !strings.Contains(page, "RURAL_INFO_STATIONS") {
		t.Fatalf("next import: %d\n%.1500s", status, page)
	}
}

// TestImportXLSWorkbookPage: an office uploads an Excel 97–2003 workbook
// saved by a spreadsheet program (one sheet per city, a notes sheet, a
// percentage column, 万户 shown with two decimals); the preview groups it by
// sheet, confirming stores the values as the workbook keeps them.
func TestImportXLSWorkbookPage(t *testing.T) {
	e := newMonitorEnv(t)
	xls, err := os.ReadFile("../monitor/testdata/office.xls")
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartUpload(t, "开封洛阳.xls", string(xls))
	status, page := e.do("office", "POST", "/monitor/import", ct, body)
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if status != 200 || m == nil {
		t.Fatalf("preview: %d\n%.2000s", status, page)
	}
	for _, want := range []string{"开封市", "洛阳市", "填表说明", "万户 → 户 ×10000", "百分比格式", "信息化投资额（亿元）"} {
		if !strings.Contains(page, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	status, page = e.do("office", "POST", "/monitor/import/confirm", formType, form("token", m[1]))
	if status != 200 || !strings.Contains(page, "新增 10") {
		t.Fatalf("confirm: %d\n%.800s", status, page)
	}
	for q, want := range map[string]string{
		"dx=HOUSEHOLDS_URBAN&pe=2023&ou=410302":     `"value":52314`,
		"dx=INTERNET_PENETRATION&pe=2024&ou=410202": `"value":95.12`,
		"dx=BB_URBAN_SUBS&pe=2024&ou=410203":        `"value":4000`,
	} {
		status, page = e.do("office", "GET", "/api/v1/analytics?"+q, "", nil)
		if status != 200 || !strings.Contains(page, want) {
			t.Errorf("analytics %s: %d %s", q, status, page)
		}
	}
}
