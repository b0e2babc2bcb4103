// Package ecstat is the web side of the e-commerce and information
// consumption statistical survey (电子商务和信息消费统计监测): the
// enterprise register and its import, survey forms, the design and draw,
// the forms enterprises (or county staff on their behalf) fill, the
// non-respondents, the estimates with their precision and their
// publication into monitoring. The domain is package internal/ecstat.
package ecstat

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"zhihui/internal/cli"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	dom "zhihui/internal/ecstat"
	"zhihui/internal/module"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed all:templates catalog
var files embed.FS

// Roles.
var (
	// Offices import the register, design, draw, estimate and publish
	// (designing and publishing need the province).
	Offices = []auth.Role{auth.Office, auth.Admin}
	// Viewers see the register, surveys, samples and non-respondents of
	// their units.
	Viewers = []auth.Role{auth.Office, auth.Admin, auth.Leader, auth.Reporter}
	// Readers see the estimates.
	Readers = []auth.Role{auth.Office, auth.Admin, auth.Leader}
	// Fillers fill forms: enterprises for their own firm, county staff
	// (reporters) and offices for the firms of their units.
	Fillers = []auth.Role{auth.Enterprise, auth.Reporter, auth.Office, auth.Admin}
	// Members reach the module's home.
	Members = []auth.Role{auth.Office, auth.Admin, auth.Leader, auth.Reporter, auth.Enterprise}
)

// MaxUpload bounds a register upload.
const MaxUpload = dom.MaxFile + 1<<20

// Module is the survey module.
func Module() module.Module {
	catalog, _ := fs.Sub(files, "catalog")
	return module.Module{
		Commands: []cli.Command{
			{Name: "surveys", Summary: "e-commerce surveys: list | form ID [--set FILE.json] | responses ID FILE.json [--on-behalf] | sample ID --seed N (--n N | --cv X) [--keep S] [--rotate-from ID] | rotation ID | publish ID [--estimator ratio|ht]", Run: runSurveys},
			{Name: "enterprises", Summary: "the enterprise register (名录库): import FILE [--dry-run] [--year Y] | summary [--repair]", Run: runEnterprises},
		},
		Name:             "ecstat",
		Schemas:          dom.Schemas,
		Catalog:          catalog,
		Bootstrap:        dom.Bootstrap,
		LoadDemo:         loadDemo,
		DemoInBackground: true,
		Routes:           routes,
		Nav:              []module.Nav{{Key: "ecstat", Href: "/ecstat", Label: "ecstat.nav", Roles: Members, Order: 65}},
		Pages:            []string{"/ecstat", "/ecstat/register", "/ecstat/surveys/new", "/ecstat/infoconsumption", "/ecstat/infoconsumption/composition"},
		API: map[string]string{
			"GET /api/v1/surveys":                      "Surveys with their year, items and sample progress",
			"POST /api/v1/surveys":                     `Create a survey {"name","period","items":[{"code","name","unit"}],"edits":[...]} (office at the province; without edits the standard edits that apply to the items); answers its id`,
			"GET /api/v1/surveys/{id}/estimates":       "Estimates of ?item=CODE (also ECOM_TURNOVER, INFO_CONSUMPTION) with ?ou=41;LEVEL-2|LEVEL-3 and ?estimator=ht|ratio: per unit total, se, cv, ci_low, ci_high, respondents, and the precision mark (mark: caution|suppressed, reason: few|cv, note: the reason in the reader's language)",
			"GET /api/v1/surveys/{id}/publications":    `What the survey published into monitoring, newest first: {"publications":[{"element","estimator","total","se","published_at","published_by","units","suppressed":[{"ou","name","reason":"few|cv","note","respondents","cv"}]}]}`,
			"POST /api/v1/surveys/{id}/publish":        `Publish the estimates of e-commerce turnover and information consumption into monitoring (office at the province; annual surveys): {"estimator":"ratio|ht"}; answers the publications as GET .../publications does`,
			"GET /api/v1/enterprises/summary":          `Check the register summary the survey design reads against a recomputation from the register (office at the province): {"matches","differences":[{"county","section","size","above_scale","born_year","closed_year","stored":[enterprises,revenue,Σrevenue²],"recomputed":[...]}]} (revenue in hundredths of 万元)`,
			"POST /api/v1/enterprises/summary":         `Rewrite the register summary from the register where it differs (office at the province), audited: {"repaired","differences"}`,
			"POST /api/v1/enterprises/import":          "Import the register from a CSV body (credit_code,name,industry,org_code,size,above_scale,employees,revenue); ?dryRun=true checks only; ?year=Y",
			"POST /api/v1/surveys/{id}/sample":         `Draw the sample {"seed":N,"cv_target":0.05} or {"seed":N,"n":N}; answers the selected enterprises with stratum and design weight`,
			"POST /api/v1/surveys/{id}/responses":      `Submit answers [{"credit_code","period","item","value","reason"}] for enterprises the caller may answer for, all or nothing (one bad line stores no return; every problem is listed with its row — the line, from 1 — and column); a reason keeps an answer that an edit of severity warning questions (every warning about that item), without one the return is refused with errors of code edit_warning (field: the item, place: the credit code); answers {"saved","confirmed"}`,
			"GET /api/v1/infoconsumption":              `Information consumption year by year (?from=YYYY&to=YYYY) in 亿元: {"composition","years":[{"year","survey","parts":[{"code","value","se","cv","mark"}],"goods","services","total","complete","se","cv","ecom_turnover","target","met"}]}`,
			"GET /api/v1/infoconsumption/composition":  `The composition of information consumption: {"parts":[{"code","kind":"survey|published","category":"goods|services","name":{"zh","en"},"source":{"zh","en"}}]}`,
			"POST /api/v1/infoconsumption/composition": `Replace the composition (office at the province), audited: {"parts":[{"kind":"survey","code":"INFO_GOODS","category":"goods"},{"kind":"published","code":"TELECOM_BUSINESS_VOLUME","category":"services","name":{"zh":"通信服务消费","en":"Telecommunication services"}}]}; survey parts are money items of a survey form, published parts yearly numeric data elements of monitoring`,
			"GET /api/v1/surveys/{id}/form":            `The survey's form: {"items","edits","locked","described"} — each edit {"kind":"range|ratio|change|le|zero_unless|le_revenue","left","right","min","max","factor","severity":"error|warning"} and in words`,
			"POST /api/v1/surveys/{id}/form":           `Replace the survey's edits, and its items when given: {"items":[...],"edits":[{"kind":"range","left":"ONLINE_RETAIL","max":50000,"severity":"warning"},{"kind":"ratio","left":"ONLINE_RETAIL","right":"ECOM_SALES","max":1},{"kind":"change","left":"ECOM_SALES","factor":5,"severity":"warning"}]} (office at the province) while nobody has answered; answers the form`,
		},
		Authz: moduleAuthz(),
		// Reminders of open surveys before their deadline.
		Jobs:       jobsOf,
		AuthzSetup: authzSetup,
	}
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(files, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /ecstat", Access: kit.Roles, Roles: Members, Handler: h.home},
		{Pattern: "GET /ecstat/register", Access: kit.Roles, Roles: Viewers, Handler: h.register},
		{Pattern: "GET /ecstat/register/export", Access: kit.Roles, Roles: Viewers, Handler: h.registerExport},
		{Pattern: "POST /ecstat/register/import", Access: kit.Roles, Roles: Offices, Handler: h.registerImport, BodyLimit: MaxUpload},
		{Pattern: "GET /ecstat/register/summary", Access: kit.Roles, Roles: Offices, Handler: h.summaryCheck},
		{Pattern: "GET /ecstat/register/summary/export", Access: kit.Roles, Roles: Offices, Handler: h.summaryExport},
		{Pattern: "POST /ecstat/register/summary", Access: kit.Roles, Roles: Offices, Handler: h.summaryRepair},
		{Pattern: "GET /api/v1/enterprises/summary", Access: kit.Roles, Roles: Offices, Handler: h.apiSummary},
		{Pattern: "POST /api/v1/enterprises/summary", Access: kit.Roles, Roles: Offices, Handler: h.apiSummaryRepair},
		{Pattern: "GET /ecstat/register/{id}", Access: kit.Roles, Roles: Viewers, Handler: h.enterprise},
		{Pattern: "POST /ecstat/register/{id}/close", Access: kit.Roles, Roles: Offices, Handler: h.closeEnterprise},
		{Pattern: "POST /ecstat/register/{id}/link", Access: kit.Roles, Roles: Offices, Handler: h.link},
		{Pattern: "GET /ecstat/surveys/new", Access: kit.Roles, Roles: Offices, Handler: h.newSurvey},
		{Pattern: "POST /ecstat/surveys", Access: kit.Roles, Roles: Offices, Handler: h.createSurvey},
		{Pattern: "GET /ecstat/surveys/{id}", Access: kit.Roles, Roles: Viewers, Handler: h.survey},
		{Pattern: "POST /ecstat/surveys/{id}/draw", Access: kit.Roles, Roles: Offices, Handler: h.draw},
		{Pattern: "GET /ecstat/surveys/{id}/sample/export", Access: kit.Roles, Roles: Viewers, Handler: h.sampleExport},
		{Pattern: "GET /ecstat/surveys/{id}/nonrespondents", Access: kit.Roles, Roles: Viewers, Handler: h.nonrespondents},
		{Pattern: "GET /ecstat/surveys/{id}/nonrespondents/export", Access: kit.Roles, Roles: Viewers, Handler: h.nonrespondentsExport},
		{Pattern: "POST /ecstat/surveys/{id}/responses/import", Access: kit.Roles, Roles: Fillers, Handler: h.batchResponses, BodyLimit: MaxUpload},
		{Pattern: "GET /ecstat/surveys/{id}/forms/{eid}", Access: kit.Roles, Roles: Fillers, Handler: h.form},
		{Pattern: "POST /ecstat/surveys/{id}/forms/{eid}", Access: kit.Roles, Roles: Fillers, Handler: h.submit},
		{Pattern: "GET /ecstat/surveys/{id}/results", Access: kit.Roles, Roles: Readers, Handler: h.results},
		{Pattern: "GET /ecstat/surveys/{id}/results/export", Access: kit.Roles, Roles: Readers, Handler: h.resultsExport},
		{Pattern: "POST /ecstat/surveys/{id}/publish", Access: kit.Roles, Roles: Offices, Handler: h.publish},
		{Pattern: "GET /api/v1/surveys", Access: kit.Roles, Roles: Viewers, Handler: h.apiSurveys},
		{Pattern: "POST /api/v1/surveys", Access: kit.Roles, Roles: Offices, Handler: h.apiCreateSurvey},
		{Pattern: "GET /api/v1/surveys/{id}/estimates", Access: kit.Roles, Roles: Readers, Handler: h.apiEstimates},
		{Pattern: "POST /api/v1/enterprises/import", Access: kit.Roles, Roles: Offices, Handler: h.apiImport, BodyLimit: MaxUpload},
		{Pattern: "POST /api/v1/surveys/{id}/sample", Access: kit.Roles, Roles: Offices, Handler: h.apiSample},
		{Pattern: "GET /api/v1/surveys/{id}/publications", Access: kit.Roles, Roles: Readers, Handler: h.apiPublications},
		{Pattern: "POST /api/v1/surveys/{id}/publish", Access: kit.Roles, Roles: Offices, Handler: h.apiPublish},
		{Pattern: "POST /api/v1/surveys/{id}/responses", Access: kit.Roles, Roles: Fillers, Handler: h.apiResponses},
		{Pattern: "GET /api/v1/surveys/{id}/form", Access: kit.Roles, Roles: Viewers, Handler: h.apiForm},
		{Pattern: "POST /api/v1/surveys/{id}/form", Access: kit.Roles, Roles: Offices, Handler: h.apiSaveForm},
		{Pattern: "GET /ecstat/surveys/{id}/form", Access: kit.Roles, Roles: Offices, Handler: h.editor},
		{Pattern: "POST /ecstat/surveys/{id}/form", Access: kit.Roles, Roles: Offices, Handler: h.saveEditor},
		{Pattern: "POST /ecstat/surveys/{id}/schedule", Access: kit.Roles, Roles: Offices, Handler: h.schedule},
		{Pattern: "GET /ecstat/surveys/{id}/rotation", Access: kit.Roles, Roles: Viewers, Handler: h.rotation},
		{Pattern: "GET /ecstat/surveys/{id}/rotation/export", Access: kit.Roles, Roles: Viewers, Handler: h.rotationExport},
		{Pattern: "GET /ecstat/surveys/{id}/results.pdf", Access: kit.Roles, Roles: Readers, Handler: h.resultsPDF},
		{Pattern: "GET /ecstat/infoconsumption", Access: kit.Roles, Roles: Readers, Handler: h.infoConsumption},
		{Pattern: "GET /ecstat/infoconsumption/export", Access: kit.Roles, Roles: Readers, Handler: h.infoExport},
		{Pattern: "GET /ecstat/infoconsumption/composition", Access: kit.Roles, Roles: Readers, Handler: h.composition},
		{Pattern: "POST /ecstat/infoconsumption/composition", Access: kit.Roles, Roles: Offices, Handler: h.saveComposition},
		{Pattern: "GET /api/v1/infoconsumption", Access: kit.Roles, Roles: Readers, Handler: h.apiInfoConsumption},
		{Pattern: "GET /api/v1/infoconsumption/composition", Access: kit.Roles, Roles: Readers, Handler: h.apiComposition},
		{Pattern: "POST /api/v1/infoconsumption/composition", Access: kit.Roles, Roles: Offices, Handler: h.apiSaveComposition},
	}, nil
}

var setupSeq atomic.Int64

// authzSetup creates, per caller, enterprises inside the caller's city
// (中原区 410102) and outside it (开封 410202), a survey drawn as a census
// with no answer yet ("survey"), an undrawn one ("survey-draw"), one with
// three answers from the province's view ("survey-pub"), and an account
// the office may link.
func authzSetup(ctx context.Context, db *store.DB, f *module.Fixture) error {
	if err := dom.Bootstrap(ctx, db); err != nil {
		return err
	}
	a := audit.Actor{Name: "authz"}
	all := []string{"/41/"}
	n := setupSeq.Add(1)
	codes := map[string]string{}
	csv := "credit_code,name,industry,org_code,size,above_scale,employees,revenue\n"
	for i, c := range []struct{ key, county string }{{"in", "410102"}, {"out", "410202"}, {"in2", "410102"}, {"in3", "410102"}} {
		body := fmt.Sprintf("91%s%04d%05d", c.county, n, i)
		ch, _ := dom.CreditCheck(body)
		codes[c.key] = body + string(ch)
		csv += fmt.Sprintf("%s,授权测试企业%d-%d,F5292,%s,小型,否,10,100\n", codes[c.key], n, i, c.county)
	}
	res, err := dom.ImportRegister(ctx, db, a, "authz.csv", strings.NewReader(csv), dom.ImportOptions{Year: 2015, Scopes: all})
	if err != nil {
		return err
	}
	if !res.OK() {
		return fmt.Errorf("authz register: %v", res.Errors)
	}
	ents := map[string]dom.Enterprise{}
	for key, code := range codes {
		list, _, err := dom.Enterprises(ctx, db, dom.Filter{Scopes: all, Query: code})
		if err != nil || len(list) != 1 {
			return fmt.Errorf("authz enterprise %s: %v", code, err)
		}
		ents[key] = list[0]
		f.Obj["code-"+key] = code
		f.IDs["ent-"+key] = list[0].ID
	}
	for _, key := range []string{"survey", "survey-draw", "survey-pub"} {
		id, err := dom.CreateSurvey(ctx, db, a, dom.NewSurvey{Name: "授权测试 " + key, Period: "2015"})
		if err != nil {
			return err
		}
		f.IDs[key] = id
		if key == "survey-draw" {
			continue
		}
		s, err := dom.GetSurvey(ctx, db, id)
		if err != nil {
			return err
		}
		if _, err := dom.Draw(ctx, db, a, s, dom.DesignSpec{Method: dom.Proportional, N: 1_000_000, Seed: 1}); err != nil {
			return err
		}
		if key == "survey-pub" {
			for _, k := range []string{"in", "in2", "in3"} {
				if err := dom.Submit(ctx, db, a, s, ents[k], validAnswers(), false); err != nil {
					return err
				}
			}
		}
	}
	name := fmt.Sprintf("authzfirm%d", n)
	if _, err := auth.CreateUser(ctx, db, a, auth.NewUser{Name: name, DisplayName: "企业账号", Password: "authz-firm-password-1"}); err != nil {
		return err
	}
	f.Obj["account"] = name
	return nil
}

func validAnswers() map[string]string {
	return map[string]string{dom.TradesOnline: "是", dom.Platform: "third", dom.EcomSales: "50", dom.EcomPurchases: "20",
		dom.OnlineRetail: "10", dom.InfoGoods: "1.5", dom.InfoServices: "2"}
}

func id(f *module.Fixture, key string) string { return strconv.FormatInt(f.IDs[key], 10) }

// province expects 403 from every logged-in caller and anon from
// visitors: designing, drawing and publishing need an office (or an
// administrator) of the province, and the matrix's callers hold their
// roles at a city (郑州市 4101). The province's own success is tested by
// the module's web test and journey.
func province(anon int) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		if r == "" {
			return anon
		}
		return http.StatusForbidden
	}
}

func authzCases() []module.AuthzCase {
	const see, un, ok, bad = http.StatusSeeOther, http.StatusUnauthorized, http.StatusOK, http.StatusBadRequest
	surveyGet := func(suffix string) func(*module.Fixture, bool) (string, string, url.Values) {
		return func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey") + suffix, nil
		}
	}
	formReq := func(method string) func(*module.Fixture, bool) (string, string, url.Values) {
		return func(f *module.Fixture, inside bool) (string, string, url.Values) {
			var form url.Values
			if method == http.MethodPost {
				form = url.Values{}
				for k, v := range validAnswers() {
					form.Set(k, v)
				}
			}
			return method, "/ecstat/surveys/" + id(f, "survey") + "/forms/" + id(f, "ent-"+module.Side(inside)), form
		}
	}
	return []module.AuthzCase{
		{Pattern: "GET /ecstat", Request: module.Get("/ecstat"), Want: module.AnyRole(ok, see, Members...)},
		{Pattern: "GET /ecstat/register", Request: module.Get("/ecstat/register"), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "GET /ecstat/register/export", Request: module.Get("/ecstat/register/export"), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "POST /ecstat/register/import", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/register/import", url.Values{"year": {"2015"}}
		}, Want: module.AnyRole(bad, un, Offices...)},
		{Pattern: "GET /ecstat/register/{id}", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/register/" + id(f, "ent-"+module.Side(inside)), nil
		}, Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "POST /ecstat/register/{id}/close", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/register/" + id(f, "ent-"+module.Side(inside)) + "/close", url.Values{"year": {"2019"}}
		}, Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /ecstat/register/{id}/link", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/register/" + id(f, "ent-"+module.Side(inside)) + "/link", url.Values{"account": {f.Obj["account"]}}
		}, Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /ecstat/surveys/new", Request: module.Get("/ecstat/surveys/new"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /ecstat/surveys", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/surveys", url.Values{"name": {"授权测试调查"}, "period": {"2016"}}
		}, Want: province(un)},
		{Pattern: "GET /ecstat/surveys/{id}", Request: surveyGet(""), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "POST /ecstat/surveys/{id}/draw", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/surveys/" + id(f, "survey-draw") + "/draw", url.Values{"method": {"proportional"}, "n": {"10"}, "seed": {"7"}}
		}, Want: province(un)},
		{Pattern: "GET /ecstat/surveys/{id}/sample/export", Request: surveyGet("/sample/export"), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "GET /ecstat/surveys/{id}/nonrespondents", Request: surveyGet("/nonrespondents"), Want: module.AnyRole(ok, see, Viewers...)},
		{Pattern: "GET /ecstat/surveys/{id}/nonrespondents/export", Request: surveyGet("/nonrespondents/export"), Want: module.AnyRole(ok, see, Viewers...)},
		// An upload without a file: refused with its error for every
		// filler (each enterprise of a file is then checked as the API's
		// list is).
		{Pattern: "POST /ecstat/surveys/{id}/responses/import", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/surveys/" + id(f, "survey") + "/responses/import", url.Values{}
		}, Want: module.AnyRole(bad, un, Fillers...)},
		// Enterprise accounts answer only for the firms linked to them;
		// the matrix's enterprise caller has none.
		{Pattern: "GET /ecstat/surveys/{id}/forms/{eid}", Request: formReq(http.MethodGet), Want: module.ScopedRole(ok, see, auth.Reporter, auth.Office, auth.Admin)},
		{Pattern: "POST /ecstat/surveys/{id}/forms/{eid}", Request: formReq(http.MethodPost), Want: module.ScopedRole(see, un, auth.Reporter, auth.Office, auth.Admin)},
		{Pattern: "GET /ecstat/surveys/{id}/results", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey-pub") + "/results", nil
		}, Want: module.AnyRole(ok, see, Readers...)},
		{Pattern: "GET /ecstat/surveys/{id}/results/export", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/ecstat/surveys/" + id(f, "survey-pub") + "/results/export", nil
		}, Want: module.AnyRole(ok, see, Readers...)},
		{Pattern: "POST /ecstat/surveys/{id}/publish", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/ecstat/surveys/" + id(f, "survey-pub") + "/publish", url.Values{"estimator": {"ht"}}
		}, Want: province(un)},
		{Pattern: "GET /api/v1/surveys", Request: module.Get("/api/v1/surveys"), Want: module.AnyRole(ok, un, Viewers...)},
		{Pattern: "POST /api/v1/surveys", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/surveys", url.Values{"name": {"授权测试调查"}, "period": {"2016"}}
		}, Want: province(un)},
		{Pattern: "GET /api/v1/surveys/{id}/estimates", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/api/v1/surveys/" + id(f, "survey-pub") + "/estimates?item=ECOM_SALES&ou=41;LEVEL-2", nil
		}, Want: module.AnyRole(ok, un, Readers...)},
		{Pattern: "POST /api/v1/enterprises/import", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/enterprises/import?dryRun=true", url.Values{}
		}, Want: module.AnyRole(bad, un, Offices...)},
		{Pattern: "POST /api/v1/surveys/{id}/sample", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/surveys/" + id(f, "survey-draw") + "/sample", url.Values{"seed": {"3"}, "n": {"5"}}
		}, Want: province(un)},
		{Pattern: "GET /api/v1/surveys/{id}/publications", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/api/v1/surveys/" + id(f, "survey-pub") + "/publications", nil
		}, Want: module.AnyRole(ok, un, Readers...)},
		{Pattern: "POST /api/v1/surveys/{id}/publish", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/surveys/" + id(f, "survey-pub") + "/publish", url.Values{"estimator": {"ht"}}
		}, Want: province(un)},
		{Pattern: "POST /api/v1/surveys/{id}/responses", Request: func(f *module.Fixture, inside bool) (string, string, url.Values) {
			form := url.Values{"credit_code": {f.Obj["code-"+module.Side(inside)]}}
			for k, v := range validAnswers() {
				form.Set(k, v)
			}
			return http.MethodPost, "/api/v1/surveys/" + id(f, "survey") + "/responses", form
		}, Want: module.ScopedRole(ok, un, auth.Reporter, auth.Office, auth.Admin)},
		{Pattern: "GET /api/v1/surveys/{id}/form", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodGet, "/api/v1/surveys/" + id(f, "survey") + "/form", nil
		}, Want: module.AnyRole(ok, un, Viewers...)},
		{Pattern: "POST /api/v1/surveys/{id}/form", Request: func(f *module.Fixture, _ bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/surveys/" + id(f, "survey-draw") + "/form", url.Values{}
		}, Want: province(un)},
	}
}

// moduleAuthz are the module's rows of the authorization matrix.
func moduleAuthz() []module.AuthzCase {
	var out []module.AuthzCase
	for _, part := range [][]module.AuthzCase{authzCases(), formAuthzCases(), infoAuthzCases(), compAuthzCases(), publishAuthzCases(), rotationAuthzCases(), summaryAuthzCases()} {
		out = append(out, part...)
	}
	return out
}

// loadDemo loads the survey demo: the register, the annual surveys
// 2014–2020 with their answers and publications, then an open quarterly
// survey with its edits and deadline.
func loadDemo(ctx context.Context, db *store.DB) error {
	if err := dom.LoadDemo(ctx, db); err != nil {
		return err
	}
	return dom.LoadFormsDemo(ctx, db)
}
