package project

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"zhihui/internal/audit"
	"zhihui/internal/module"
	dom "zhihui/internal/project"
)

// portfolioAuthzSetup adds, per caller, a catalogue system and an O&M
// request for it inside the caller's city (4101) and outside it (4102).
func portfolioAuthzSetup(ctx context.Context, s *dom.Service, a audit.Actor, f *module.Fixture) error {
	all := []string{"/41/"}
	for _, side := range []struct{ name, unit string }{{"in", "4101"}, {"out", "4102"}} {
		sid, err := s.AddSystem(ctx, a, all, dom.NewSystem{Owner: side.unit, Name: "authz 系统", OMCost: 100000, MLPSLevel: 3})
		if err != nil {
			return err
		}
		f.IDs["system-"+side.name] = sid
		oid, err := s.SubmitOM(ctx, a, all, dom.NewOM{SystemID: sid, Year: 2025, Amount: 100000})
		if err != nil {
			return err
		}
		f.IDs["om-"+side.name] = oid
		// A second request for the API's decision.
		if oid, err = s.SubmitOM(ctx, a, all, dom.NewOM{SystemID: sid, Year: 2026, Amount: 100000}); err != nil {
			return err
		}
		f.IDs["omapi-"+side.name] = oid
	}
	return nil
}

func idReq(method, prefix, kind, suffix string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		return method, prefix + strconv.FormatInt(f.IDs[kind+"-"+module.Side(inside)], 10) + suffix, form
	}
}

// systemReq posts form with the side's system.
func systemReq(target string, form url.Values) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(f *module.Fixture, inside bool) (string, string, url.Values) {
		v := url.Values{}
		for k, x := range form {
			v[k] = x
		}
		v.Set("system", strconv.FormatInt(f.IDs["system-"+module.Side(inside)], 10))
		return http.MethodPost, target, v
	}
}

// unitGet asks target for the caller's city or another one.
func unitGet(target string) func(*module.Fixture, bool) (string, string, url.Values) {
	return func(_ *module.Fixture, inside bool) (string, string, url.Values) {
		if inside {
			return http.MethodGet, target + "unit=4101", nil
		}
		return http.MethodGet, target + "unit=4102", nil
	}
}

func portfolioAuthz() []module.AuthzCase {
	const ok, see, un = http.StatusOK, http.StatusSeeOther, http.StatusUnauthorized
	return []module.AuthzCase{
		{Pattern: "GET /projects/om", Request: unitGet("/projects/om?"), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "POST /projects/om", Request: systemReq("/projects/om", url.Values{"year": {"2026"}, "amount": {"12.5"}}), Want: module.ScopedRole(see, un, Owners...)},
		{Pattern: "GET /projects/om/export", Request: unitGet("/projects/om/export?"), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "GET /projects/om/{id}", Request: idReq(http.MethodGet, "/projects/om/", "om", "", nil), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "POST /projects/om/{id}/decide", Request: idReq(http.MethodPost, "/projects/om/", "om", "/decide", url.Values{"decision": {"approve"}}),
			Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "POST /projects/om/thresholds", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/projects/om/thresholds", url.Values{"over_last_year": {"10"}, "over_catalogue": {"20"}, "investment_share": {"15"}}
		}, Want: module.AnyRole(see, un, Offices...)},
		{Pattern: "GET /projects/om/import", Request: module.Get("/projects/om/import"), Want: module.AnyRole(ok, see, Owners...)},
		{Pattern: "GET /projects/om/import/template", Request: module.Get("/projects/om/import/template"), Want: module.AnyRole(ok, see, Owners...)},
		// An empty upload: the form comes back with its error, nothing stored.
		{Pattern: "POST /projects/om/import", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/projects/om/import", url.Values{}
		}, Want: module.AnyRole(http.StatusBadRequest, un, Owners...)},
		{Pattern: "POST /projects/systems/retire", Request: systemReq("/projects/systems/retire", url.Values{"retired_year": {"2030"}}), Want: module.ScopedRole(see, un, Owners...)},
		{Pattern: "GET /projects/dashboard", Request: unitGet("/projects/dashboard?"), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "GET /projects/dashboard/export", Request: unitGet("/projects/dashboard/export?list=stage&"), Want: module.ScopedRole(ok, see, Viewers...)},
		{Pattern: "GET /projects/publication", Request: module.Get("/projects/publication"), Want: module.AnyRole(ok, see, Offices...)},
		{Pattern: "POST /projects/publication", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/projects/publication", url.Values{"fields": {"owner", "stage"}}
		}, Want: module.AnyRole(see, un, Offices...)},
		{Pattern: "POST /projects/{id}/publish", Request: projectReq(http.MethodPost, "view", "/publish", url.Values{"publish": {"1"}}), Want: module.ScopedRole(see, un, Offices...)},
		{Pattern: "GET /portfolio", Request: module.Get("/portfolio"), Want: module.Always(ok)},
		{Pattern: "GET /api/v1/public/projects", Request: module.Get("/api/v1/public/projects?limit=5"), Want: module.Always(ok)},
		{Pattern: "GET /api/v1/projects/portfolio", Request: unitGet("/api/v1/projects/portfolio?"), Want: module.ScopedRole(ok, un, Viewers...)},
		{Pattern: "GET /api/v1/projects/om", Request: unitGet("/api/v1/projects/om?"), Want: module.ScopedRole(ok, un, Viewers...)},
		{Pattern: "POST /api/v1/projects/om", Request: systemReq("/api/v1/projects/om", url.Values{"year": {"2027"}, "amount": {"12.5"}}),
			Want: module.ScopedRole(http.StatusCreated, un, Owners...)},
		{Pattern: "GET /api/v1/projects/systems", Request: module.Get("/api/v1/projects/systems"), Want: module.AnyRole(ok, un, Viewers...)},
		{Pattern: "POST /api/v1/projects/systems", Request: unitReq(http.MethodPost, "/api/v1/projects/systems", "owner", url.Values{"name": {"authz API 系统"}, "om_cost": {"10"}, "mlps_level": {"3"}}),
			Want: module.ScopedRole(http.StatusCreated, un, Owners...)},
		{Pattern: "POST /api/v1/projects/systems/{id}/retire", Request: idReq(http.MethodPost, "/api/v1/projects/systems/", "system", "/retire", url.Values{"retired_year": {"2031"}}),
			Want: module.ScopedRole(ok, un, Owners...)},
		{Pattern: "GET /api/v1/projects/publication", Request: module.Get("/api/v1/projects/publication"), Want: module.AnyRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/projects/publication", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/projects/publication", url.Values{"fields": {"owner", "stage"}}
		}, Want: module.AnyRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/projects/{id}/publish", Request: apiProjectReq("view", "/publish", url.Values{"publish": {"1"}}), Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/projects/om/{id}/decide", Request: idReq(http.MethodPost, "/api/v1/projects/om/", "omapi", "/decide", url.Values{"decision": {"approve"}}),
			Want: module.ScopedRole(ok, un, Offices...)},
		{Pattern: "POST /api/v1/projects/om/thresholds", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/projects/om/thresholds", url.Values{"over_last_year": {"10"}, "over_catalogue": {"20"}, "investment_share": {"15"}}
		}, Want: module.AnyRole(ok, un, Offices...)},
		// A form without a file: 400 once the project is in the caller's units.
		{Pattern: "POST /api/v1/projects/{id}/documents", Request: apiProjectReq("doc", "/documents", url.Values{"kind": {"material"}}), Want: module.ScopedRole(http.StatusBadRequest, un, Owners...)},
		// A form without a file: 400 with the error, nothing stored.
		{Pattern: "POST /api/v1/projects/import", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/projects/import?dryRun=true", url.Values{}
		}, Want: module.AnyRole(http.StatusBadRequest, un, Owners...)},
		// A form without a file: 400 with the error, nothing stored.
		{Pattern: "POST /api/v1/projects/om/import", Request: func(*module.Fixture, bool) (string, string, url.Values) {
			return http.MethodPost, "/api/v1/projects/om/import?dryRun=true", url.Values{}
		}, Want: module.AnyRole(http.StatusBadRequest, un, Owners...)},
	}
}
