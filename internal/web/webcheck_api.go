package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/i18n"
	"zhihui/internal/webcheck"
)

// decodeBody reads a JSON body into v; form-encoded bodies are read by
// fromForm instead, so that API clients may use either.
func decodeBody(r *http.Request, v any, fromForm func()) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
			return i18n.Errorf("请求体不是有效的JSON", "the request body is not valid JSON")
		}
		return nil
	}
	fromForm()
	return nil
}

// apiUserErrors answers 400 with every user error, or reports err.
func (s *Server) apiUserErrors(w http.ResponseWriter, r *http.Request, err error) {
	if errs, ok := wcErrors(err); ok {
		first := errs[0]
		writeJSON(w, http.StatusBadRequest, apiError{Status: 400, Code: "invalid", Message: first.Message(lang(r)), Zh: first.Zh, En: first.En, Errors: errs})
		return
	}
	s.fail(w, r, err)
}

func (s *Server) apiWebcheckSites(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sites, err := webcheck.ListSites(r.Context(), s.db, webcheck.SiteFilter{Scopes: wcScopes(principal(r)), Kind: q.Get("kind"), Query: q.Get("q")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if sites == nil {
		sites = []webcheck.Site{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"sites": sites})
}

func (s *Server) apiWebcheckSiteCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in webcheck.SiteInput
	if err := decodeBody(r, &in, func() { in = siteForm(r) }); err != nil {
		s.fail(w, r, err)
		return
	}
	in.AllowPrivate = s.opt.AllowPrivate
	if !s.managesUnit(w, r, strings.TrimSpace(in.OrgCode)) {
		return
	}
	site, err := webcheck.CreateSite(r.Context(), s.db, p.Actor(clientIP(r)), in, manages(p))
	if err != nil {
		s.apiUserErrors(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, site)
}

func (s *Server) apiWebcheckRoundCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in webcheck.RoundInput
	err := decodeBody(r, &in, func() {
		r.ParseForm()
		in.Name, in.Scheme = r.PostFormValue("name"), r.PostFormValue("scheme")
		in.SiteIDs = parseIDs(r.PostForm["site_ids"])
		in.DeadlineDays, _ = strconv.Atoi(r.PostFormValue("deadline_days"))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.canInspect(w, r, in.SiteIDs) {
		return
	}
	rd, err := webcheck.CreateRound(r.Context(), s.db, p.Actor(clientIP(r)), in, p.Scopes(wcManagers...))
	if err != nil {
		s.apiUserErrors(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, rd)
}

func (s *Server) apiWebcheckRanking(w http.ResponseWriter, r *http.Request) {
	rd, ok := s.wcRound(w, r)
	if !ok {
		return
	}
	rows, err := webcheck.Ranking(r.Context(), s.db, rd.ID, wcScopes(principal(r)))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rows == nil {
		rows = []webcheck.RankRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"round": rd, "ranking": rows})
}

func (s *Server) apiWebcheckInspection(w http.ResponseWriter, r *http.Request) {
	info, res, site, ok := s.wcInspection(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"inspection": info, "site": site, "result": res})
}

func (s *Server) apiWebcheckProblems(w http.ResponseWriter, r *http.Request) {
	ps, err := webcheck.ListProblems(r.Context(), s.db, problemFilter(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if ps == nil {
		ps = []webcheck.Problem{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"problems": ps})
}

func (s *Server) apiWebcheckProblemUpdate(w http.ResponseWriter, r *http.Request) {
	pr, ok := s.problemAction(w, r)
	if !ok {
		return
	}
	var in struct {
		Action string `json:"action"`
		Note   string `json:"note"`
	}
	if err := decodeBody(r, &in, func() { in.Action, in.Note = r.PostFormValue("action"), r.PostFormValue("note") }); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.allowedAction(w, r, pr, in.Action) {
		return
	}
	up, err := webcheck.UpdateProblem(r.Context(), s.db, principal(r).Actor(clientIP(r)), pr.ID, in.Action, in.Note)
	if err != nil {
		if errors.Is(err, webcheck.ErrNotFound) {
			s.notFound(w, r)
			return
		}
		s.apiUserErrors(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, up)
}
