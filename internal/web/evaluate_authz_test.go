package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/evaluate"
	"zhihui/internal/module"
)

func init() {
	authzSetups = append(authzSetups, evaluateSetup)
	prev := authzCases
	authzCases = func() []authzCase { return append(prev(), evaluateCases()...) }
}

// evaluateSetup creates, per caller, a stored framework, a dataset and an
// enterprise assessment inside (郑州 4101) and outside (开封 4102) the
// caller's subtree, and makes sure the demo data are there.
func evaluateSetup(t *testing.T, e *testEnv, f *authzFixture) {
	t.Helper()
	ctx := context.Background()
	if err := evalstore.LoadDemo(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	actor := audit.Actor{Name: "fixture"}
	base, err := evalstore.Framework(ctx, e.db, "two-integration-region")
	if err != nil {
		t.Fatal(err)
	}
	counties, err := demoCounties()
	if err != nil {
		t.Fatal(err)
	}
	for _, side := range []struct {
		name, path, county string
		units              []string
	}{{"in", "/41/4101/", "410102", []string{"410102", "410103"}}, {"out", "/41/4102/", "410202", []string{"410202", "410203"}}} {
		key := uniq("fw-" + side.name + "-")
		if _, err := evalstore.SaveFramework(ctx, e.db, actor, side.path, strings.Replace(base.YAML, "id: two-integration-region", "id: "+key, 1)); err != nil {
			t.Fatal(err)
		}
		f.obj["fw."+side.name] = key
		d := evalstore.Subset(counties, func(u string) bool { return slices.Contains(side.units, u) })
		info, err := evalstore.SaveDataset(ctx, e.db, actor, uniq("ds-"+side.name+"-"), "", side.path, false, d)
		if err != nil {
			t.Fatal(err)
		}
		f.obj["ds."+side.name] = fmt.Sprint(info.ID)
		// Objects the delete cases remove.
		del := uniq("fw-del-" + side.name + "-")
		if _, err := evalstore.SaveFramework(ctx, e.db, actor, side.path, strings.Replace(base.YAML, "id: two-integration-region", "id: "+del, 1)); err != nil {
			t.Fatal(err)
		}
		f.obj["fwdel."+side.name] = del
		delDS, err := evalstore.SaveDataset(ctx, e.db, actor, uniq("ds-del-"+side.name+"-"), "", side.path, false, d)
		if err != nil {
			t.Fatal(err)
		}
		f.obj["dsdel."+side.name] = fmt.Sprint(delDS.ID)
		_, units, _ := evalstore.Regions()
		for _, u := range units {
			if u.Code == side.county {
				a, err := evalstore.Submit(ctx, e.db, actor, u, evalstore.Submission{Name: "测试企业", CreditCode: creditCode(), Industry: "C36", Year: 2020, Answers: fullAnswers()})
				if err != nil {
					t.Fatal(err)
				}
				f.obj["ent."+side.name] = fmt.Sprint(a.ID)
			}
		}
	}
}

var demoCounties = sync.OnceValues(func() (*evaluate.Dataset, error) {
	return evalstore.DemoDataset("two-integration-region", true)
})

func creditCode() string { return fmt.Sprintf("914101%012d", seq.Add(1)) }

// fullAnswers answers every question with a mid-range value.
func fullAnswers() map[string]float64 {
	a := map[string]float64{}
	q := evaluate.EnterpriseQuestionnaire()
	for _, d := range q.Dimensions {
		for _, qu := range d.Questions {
			sc := q.Scales[qu.Scale]
			if sc.Type == "number" {
				a[qu.ID] = (sc.Min + sc.Max) / 2
			} else {
				a[qu.ID] = sc.Options[len(sc.Options)/2].Value
			}
		}
	}
	return a
}

func answersForm(org string) url.Values {
	v := url.Values{"name": {"测试企业"}, "credit_code": {creditCode()}, "industry": {"C39"}, "org": {org}, "year": {"2020"}}
	for id, x := range fullAnswers() {
		v.Set("q."+id, fmt.Sprint(x))
	}
	return v
}

// Who may do what is written out literally in each row, not read from
// the handlers' role lists, so that a change there shows up as a failure.

// rolesOK: the route admits roles; the object is not scoped.
func rolesOK(ok, anon int, rs ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, _ bool) int {
		switch {
		case r == "":
			return anon
		case !slices.Contains(rs, r):
			return http.StatusForbidden
		}
		return ok
	}
}

// rolesScoped: the route admits roles, and only for objects inside the
// caller's subtree.
func rolesScoped(ok, anon int, rs ...auth.Role) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case !slices.Contains(rs, r), !inside:
			return http.StatusForbidden
		}
		return ok
	}
}

// othersAssessment: an assessment someone else submitted. Office, leaders
// and admins read it inside their subtree; an enterprise, even at the same
// unit, gets 404; everyone else 403.
func othersAssessment(ok, anon int) func(auth.Role, bool) int {
	return func(r auth.Role, inside bool) int {
		switch {
		case r == "":
			return anon
		case r != auth.Office && r != auth.Admin && r != auth.Leader && r != auth.Enterprise, !inside:
			return http.StatusForbidden
		case r == auth.Enterprise:
			return http.StatusNotFound
		}
		return ok
	}
}

func objGet(format, obj string) func(*authzFixture, bool) (string, string, url.Values) {
	return func(f *authzFixture, inside bool) (string, string, url.Values) {
		return http.MethodGet, fmt.Sprintf(format, f.obj[obj+"."+module.Side(inside)]), nil
	}
}

func evaluateCases() []authzCase {
	org := func(inside bool, in, out string) string {
		if inside {
			return in
		}
		return out
	}
	return []authzCase{
		{"GET /evaluate", get("/evaluate"), rolesOK(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Enterprise, auth.Expert)},
		{"GET /evaluate/frameworks", get("/evaluate/frameworks"), rolesOK(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"POST /evaluate/frameworks", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			base, _ := evalstore.MarshalFramework(mustBuiltin("city-informatization"))
			text := strings.Replace(base, "id: city-informatization", "id: "+uniq("new-"), 1)
			return http.MethodPost, "/evaluate/frameworks", url.Values{"yaml": {text}, "org": {org(inside, "4101", "4102")}}
		}, rolesScoped(redirect, unauth, auth.Office, auth.Admin, auth.Evaluator)},
		// Frameworks are definitions every index role may read.
		{"GET /evaluate/frameworks/{key}", objGet("/evaluate/frameworks/%s", "fw"), rolesOK(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"GET /evaluate/frameworks/{key}/edit", objGet("/evaluate/frameworks/%s/edit", "fw"), rolesScoped(ok, redirect, auth.Office, auth.Admin, auth.Evaluator)},
		{"POST /evaluate/frameworks/{key}", func(f *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/evaluate/frameworks/" + f.obj["fw."+module.Side(inside)], url.Values{"w.environment": {"0.25"}, "w.application": {"0.5"}, "w.benefit": {"0.25"}}
		}, rolesScoped(redirect, unauth, auth.Office, auth.Admin, auth.Evaluator)},
		{"POST /evaluate/ahp", func(*authzFixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/evaluate/ahp", url.Values{"node": {"m"}, "n": {"3"}, "ahp.m.0.1": {"3"}, "ahp.m.0.2": {"5"}, "ahp.m.1.2": {"2"}}
		}, rolesOK(ok, unauth, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"GET /evaluate/run", objGet("/evaluate/run?fw=two-integration-region&ds=%s", "ds"), rolesScoped(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"GET /evaluate/compare", func(f *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/evaluate/compare?fw=two-integration-region&b=" + f.obj["fw.in"] + "&ds=" + f.obj["ds."+module.Side(inside)], nil
		}, rolesScoped(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"GET /evaluate/datasets", get("/evaluate/datasets"), rolesOK(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"POST /evaluate/datasets", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/evaluate/datasets", url.Values{"name": {uniq("up-")}, "org": {org(inside, "4101", "4102")}, "csv": {"unit,year,a\n410102,2020,1\n"}}
		}, rolesScoped(redirect, unauth, auth.Office, auth.Admin, auth.Evaluator)},
		{"GET /evaluate/datasets/{id}", objGet("/evaluate/datasets/%s", "ds"), rolesScoped(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"POST /evaluate/datasets/{id}/delete", func(f *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/evaluate/datasets/" + f.obj["dsdel."+module.Side(inside)] + "/delete", url.Values{"confirm": {"1"}}
		}, rolesScoped(redirect, unauth, auth.Office, auth.Admin)},
		{"POST /evaluate/frameworks/{key}/delete", func(f *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/evaluate/frameworks/" + f.obj["fwdel."+module.Side(inside)] + "/delete", url.Values{"confirm": {"1"}}
		}, rolesScoped(redirect, unauth, auth.Office, auth.Admin)},
		{"GET /evaluate/regional", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/evaluate/regional?unit=" + org(inside, "4101", "4102"), nil
		}, rolesScoped(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"GET /evaluate/informatization", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodGet, "/evaluate/informatization?unit=" + org(inside, "4101", "4102"), nil
		}, rolesScoped(ok, redirect, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
		{"GET /evaluate/enterprise", get("/evaluate/enterprise"), rolesOK(ok, redirect, auth.Enterprise, auth.Admin)},
		{"POST /evaluate/enterprise", func(_ *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/evaluate/enterprise", answersForm(org(inside, "410102", "410202"))
		}, rolesScoped(redirect, unauth, auth.Enterprise, auth.Admin)},
		{"GET /evaluate/enterprise/{id}", objGet("/evaluate/enterprise/%s", "ent"), othersAssessment(ok, redirect)},
		{"GET /evaluate/enterprise/{id}/report.pdf", objGet("/evaluate/enterprise/%s/report.pdf", "ent"), othersAssessment(ok, redirect)},
		{"GET /evaluate/enterprises", get("/evaluate/enterprises"), rolesOK(ok, redirect, auth.Office, auth.Admin, auth.Leader)},
		{"GET /evaluate/enterprises.xlsx", get("/evaluate/enterprises.xlsx"), rolesOK(ok, redirect, auth.Office, auth.Admin, auth.Leader)},
		{"POST /api/v1/index/run", func(f *authzFixture, inside bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/index/run", url.Values{"framework": {"two-integration-region"}, "dataset": {f.obj["ds."+module.Side(inside)]}}
		}, rolesScoped(ok, unauth, auth.Office, auth.Leader, auth.Admin, auth.Evaluator, auth.Expert)},
	}
}

func mustBuiltin(id string) *evaluate.Framework {
	fw, err := evaluate.Builtin(id)
	if err != nil {
		panic(err)
	}
	return fw
}
