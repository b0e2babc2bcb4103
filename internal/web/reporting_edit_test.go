package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/monitor"
	"zhihui/internal/plan"
	"zhihui/internal/reporting"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestDataSetEditing creates and edits a form through the pages as office
// staff at the province, with invalid input shown inline in Chinese and
// English, and refuses office staff at a city.
func TestDataSetEditing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, oc := e.user(t, "office", auth.Office, "41")
		_, cityOffice := e.user(t, "office4101", auth.Office, "4101")
		_, rc := e.user(t, "rep", auth.Reporter, "410102")

		if rec := e.do(t, oc, "GET", "/reporting/datasets/new", nil); rec.Code != ok || !strings.Contains(rec.Body.String(), `value="ADMIN_VILLAGES"`) {
			t.Fatalf("new form page: %d", rec.Code)
		}
		form := url.Values{"code": {"TOWN_ANNUAL"}, "name": {"乡镇年报"}, "period_type": {"yearly"}, "org_kinds": {"township"},
			"due_days": {"30"}, "elements": {"ADMIN_VILLAGES", "ADMIN_VILLAGES_BB"}}
		if rec := e.do(t, oc, "POST", "/reporting/datasets", form); rec.Code != redirect {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		d, err := reporting.GetDataSet(ctx, db, "TOWN_ANNUAL")
		if err != nil || len(d.Elements) != 2 || d.DueDays != 30 || !d.ReportedBy("township") {
			t.Fatalf("created data set = %+v, %v", d, err)
		}
		// Listed for reporters, without edit links.
		rec := e.do(t, rc, "GET", "/reporting/datasets", nil)
		if rec.Code != ok || !strings.Contains(rec.Body.String(), "乡镇年报") || strings.Contains(rec.Body.String(), `href="/reporting/datasets/TOWN_ANNUAL"`) {
			t.Fatalf("list for a reporter: %d", rec.Code)
		}
		if rec = e.do(t, oc, "GET", "/reporting/datasets", nil); !strings.Contains(rec.Body.String(), `href="/reporting/datasets/TOWN_ANNUAL"`) {
			t.Fatal("no edit link for the province office")
		}

		// The same code again is refused on the code field.
		rec = e.do(t, oc, "POST", "/reporting/datasets", form)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "已存在") {
			t.Fatalf("duplicate code: %d", rec.Code)
		}
		// Invalid input: a monthly element on a yearly form, no unit kind,
		// due days that are no number. Each problem shows at its field.
		bad := url.Values{"name": {""}, "period_type": {"yearly"}, "due_days": {"soon"}, "elements": {"VILLAGE_BB"}}
		rec = e.do(t, oc, "POST", "/reporting/datasets/TOWN_ANNUAL", bad)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "截止天数须为整数") {
			t.Fatalf("bad due days: %d", rec.Code)
		}
		bad.Set("due_days", "10")
		rec = e.do(t, oc, "POST", "/reporting/datasets/TOWN_ANNUAL", bad)
		body := rec.Body.String()
		if rec.Code != http.StatusBadRequest || !strings.Contains(body, "请填写中文名称") || !strings.Contains(body, "请指定填报单位类型") || !strings.Contains(body, "与表单周期不符") {
			t.Fatalf("invalid edit: %d", rec.Code)
		}
		// The page keeps what was typed.
		if !strings.Contains(body, `value="VILLAGE_BB" checked`) {
			t.Error("the invalid form lost the picked element")
		}
		if got, _ := reporting.GetDataSet(ctx, db, "TOWN_ANNUAL"); got.DueDays != 30 {
			t.Fatalf("refused edit was written: %+v", got)
		}
		// In English.
		if rec = e.do(t, oc, "POST", "/lang", url.Values{"lang": {"en"}, "back": {"/"}}); rec.Code != redirect {
			t.Fatalf("switch language: %d", rec.Code)
		}
		rec = e.do(t, oc, "POST", "/reporting/datasets/TOWN_ANNUAL", bad)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "the Chinese name is required") || !strings.Contains(rec.Body.String(), "name the kinds of unit that report") {
			t.Fatalf("English errors: %d", rec.Code)
		}

		// A valid edit, audited with the state it replaced.
		form.Set("due_days", "25")
		form.Set("name_en", "Township annual report")
		form["org_kinds"] = []string{"township", "county"}
		if rec = e.do(t, oc, "POST", "/reporting/datasets/TOWN_ANNUAL", form); rec.Code != redirect {
			t.Fatalf("edit: %d %s", rec.Code, rec.Body)
		}
		if d, _ = reporting.GetDataSet(ctx, db, "TOWN_ANNUAL"); d.DueDays != 25 || !d.ReportedBy("county") || d.NameEn != "Township annual report" {
			t.Fatalf("edited data set = %+v", d)
		}
		es, _, _ := audit.Search(ctx, db, audit.Filter{Entity: "dataset", EntityID: "TOWN_ANNUAL"})
		if len(es) != 2 || es[0].Actor.Name != "office" || !strings.Contains(string(es[0].Before), `"due_days":30`) {
			t.Fatalf("audit: %d entries", len(es))
		}

		// Office staff at a city may read but not edit.
		if rec = e.do(t, cityOffice, "GET", "/reporting/datasets/TOWN_ANNUAL", nil); rec.Code != forbid {
			t.Fatalf("edit page for a city office: %d", rec.Code)
		}
		if rec = e.do(t, cityOffice, "POST", "/reporting/datasets/TOWN_ANNUAL", form); rec.Code != forbid {
			t.Fatalf("edit by a city office: %d", rec.Code)
		}
		if rec = e.do(t, oc, "GET", "/reporting/datasets/NO_SUCH_FORM", nil); rec.Code != http.StatusNotFound {
			t.Fatalf("unknown form: %d", rec.Code)
		}
	})
}

// TestRuleEditing creates and edits a validation rule, with the live
// check of each side and invalid input shown inline.
func TestRuleEditing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		_, ac := e.user(t, "admin", auth.Admin, "41")
		_, cityAdmin := e.user(t, "admin4101", auth.Admin, "4101")

		check := func(side, expr, pt string) string {
			t.Helper()
			rec := e.do(t, ac, "POST", "/reporting/rules/check?side="+side, url.Values{side: {expr}, "period_type": {pt}})
			if rec.Code != ok {
				t.Fatalf("check %s: %d", expr, rec.Code)
			}
			return rec.Body.String()
		}
		if got := check("left", "#{ADMIN_VILLAGES_BB} + #{ADMIN_VILLAGES_FIBER}", "yearly"); !strings.Contains(got, "form-hint") || strings.Contains(got, "form-error") {
			t.Errorf("valid left side: %s", got)
		}
		if got := check("right", "#{NO_SUCH_ELEMENT} * 2", "yearly"); !strings.Contains(got, "form-error") || !strings.Contains(got, "NO_SUCH_ELEMENT") {
			t.Errorf("unknown element: %s", got)
		}
		if got := check("right", "#{ADMIN_VILLAGES} *", "yearly"); !strings.Contains(got, "form-error") {
			t.Errorf("broken expression: %s", got)
		}
		if got := check("left", "#{VILLAGE_BB}", "yearly"); !strings.Contains(got, "form-error") || !strings.Contains(got, "VILLAGE_BB") {
			t.Errorf("monthly element in a yearly rule: %s", got)
		}
		if rec := e.do(t, ac, "POST", "/reporting/rules/check?side=middle", url.Values{}); rec.Code != http.StatusBadRequest {
			t.Errorf("unknown side: %d", rec.Code)
		}

		if rec := e.do(t, ac, "GET", "/reporting/rules/new", nil); rec.Code != ok || !strings.Contains(rec.Body.String(), `hx-post="/reporting/rules/check?side=left"`) {
			t.Fatalf("new rule page: %d", rec.Code)
		}
		form := url.Values{"code": {"FIBER_LE_HOUSEHOLDS"}, "name": {"光纤入户不超过城镇家庭数"}, "left": {"#{FTTH_URBAN_HOUSEHOLDS}"}, "op": {"<="},
			"right": {"#{HOUSEHOLDS_URBAN}"}, "importance": {"medium"}, "message_zh": {"光纤入户家庭多于城镇家庭"}, "period_type": {"yearly"}}
		if rec := e.do(t, ac, "POST", "/reporting/rules", form); rec.Code != redirect {
			t.Fatalf("create rule: %d %s", rec.Code, rec.Body)
		}
		if r, err := reporting.GetRule(ctx, db, "FIBER_LE_HOUSEHOLDS"); err != nil || r.Right != "#{HOUSEHOLDS_URBAN}" || r.Importance != "medium" {
			t.Fatalf("created rule = %+v, %v", r, err)
		}
		if rec := e.do(t, ac, "GET", "/reporting/rules", nil); !strings.Contains(rec.Body.String(), "光纤入户不超过城镇家庭数") {
			t.Fatal("rule list lacks the new rule")
		}
		// Invalid: broken left side, unknown operator and importance.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("left", "#{FTTH_URBAN_HOUSEHOLDS} +")
		bad.Set("op", "=<")
		bad.Set("importance", "urgent")
		rec := e.do(t, ac, "POST", "/reporting/rules/FIBER_LE_HOUSEHOLDS", bad)
		body := rec.Body.String()
		if rec.Code != http.StatusBadRequest || !strings.Contains(body, "未知的运算符") || !strings.Contains(body, "重要程度须为") || !strings.Contains(body, `id="left-check"`) {
			t.Fatalf("invalid rule: %d", rec.Code)
		}
		if !strings.Contains(body, `value="#{FTTH_URBAN_HOUSEHOLDS} &#43;"`) && !strings.Contains(body, `value="#{FTTH_URBAN_HOUSEHOLDS} +"`) {
			t.Error("the invalid form lost the typed left side")
		}
		// Edit: now high importance, with an English message.
		form.Set("importance", "high")
		form.Set("message_en", "more fibre households than urban households")
		if rec = e.do(t, ac, "POST", "/reporting/rules/FIBER_LE_HOUSEHOLDS", form); rec.Code != redirect {
			t.Fatalf("edit rule: %d %s", rec.Code, rec.Body)
		}
		if r, _ := reporting.GetRule(ctx, db, "FIBER_LE_HOUSEHOLDS"); r.Importance != "high" || r.MessageEn == "" {
			t.Fatalf("edited rule = %+v", r)
		}
		es, _, _ := audit.Search(ctx, db, audit.Filter{Entity: "rule", EntityID: "FIBER_LE_HOUSEHOLDS"})
		if len(es) != 2 || !strings.Contains(string(es[0].Before), `"importance":"medium"`) {
			t.Fatalf("rule audit: %d entries", len(es))
		}
		if rec = e.do(t, ac, "POST", "/reporting/rules", form); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "已存在") {
			t.Fatalf("duplicate rule code: %d", rec.Code)
		}
		// An admin at a city does not edit province-wide rules.
		if rec = e.do(t, cityAdmin, "POST", "/reporting/rules/FIBER_LE_HOUSEHOLDS", form); rec.Code != forbid {
			t.Fatalf("edit by a city admin: %d", rec.Code)
		}
		if rec = e.do(t, cityAdmin, "POST", "/reporting/rules/check?side=left", url.Values{"left": {"1"}}); rec.Code != forbid {
			t.Fatalf("check by a city admin: %d", rec.Code)
		}
		if rec = e.do(t, ac, "GET", "/reporting/rules/NO_SUCH_RULE", nil); rec.Code != http.StatusNotFound {
			t.Fatalf("unknown rule: %d", rec.Code)
		}
	})
}

// TestProgressAPIScope: unpublished targets only for units the caller
// holds a role over, as on the dashboard.
func TestProgressAPIScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		_, rc := e.user(t, "rep", auth.Reporter, "410102")
		// Withdraw the first target's figure from publication.
		ctx, code := context.Background(), plan.Default().Targets()[0].Indicator
		if ind, err := monitor.GetIndicator(ctx, db, code); err == nil {
			ind.Published = false
			if _, err := monitor.SaveIndicator(ctx, db, audit.Actor{Name: "test"}, ind); err != nil {
				t.Fatal(err)
			}
		} else {
			el, err := monitor.GetElement(ctx, db, code)
			if err != nil {
				t.Fatal(err)
			}
			el.Published = false
			if _, err := monitor.SaveElement(ctx, db, audit.Actor{Name: "test"}, el); err != nil {
				t.Fatal(err)
			}
		}
		read := func(target string) (all, published int) {
			t.Helper()
			rec := e.do(t, rc, "GET", target, nil)
			if rec.Code != ok {
				t.Fatalf("%s: %d", target, rec.Code)
			}
			var got struct {
				Progress []reporting.TargetProgress `json:"progress"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for _, tp := range got.Progress {
				if tp.Published {
					published++
				}
			}
			return len(got.Progress), published
		}
		all, pub := read("/api/v1/progress?ou=410102")
		if all == pub {
			t.Fatalf("inside the caller's unit: %d targets, all published; the test needs unpublished ones", all)
		}
		for _, target := range []string{"/api/v1/progress?ou=4102", "/api/v1/progress?ou=410102,4102", "/api/v1/progress"} {
			if n, pub := read(target); n == 0 || n != pub {
				t.Errorf("%s: %d targets, %d published", target, n, pub)
			}
		}
	})
}
