package webcheck

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"zhihui/internal/web/kit"
	dom "zhihui/internal/webcheck"
)

// decode reads a JSON body into v; form-encoded bodies are read by
// fromForm instead, so that API clients may use either.
func decode(r *http.Request, v any, fromForm func()) error {
	if kit.IsJSON(r) {
		return kit.DecodeJSON(r, v)
	}
	fromForm()
	return nil
}

// apiErrors answers 400 with every user error in err (a form or an
// import reports several at once), or returns err.
func apiErrors(w http.ResponseWriter, r *http.Request, err error) error {
	errs, ok := userErrors(err)
	if !ok || len(errs) == 0 {
		return err
	}
	first := errs[0]
	return kit.JSON(w, http.StatusBadRequest, map[string]any{"status": http.StatusBadRequest, "code": "invalid",
		"message": first.Message(kit.Lang(r)), "message_zh": first.Message("zh-CN"), "message_en": first.Message("en"), "errors": errs})
}

func (h handlers) apiSites(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sites, err := dom.ListSites(r.Context(), h.k.DB, dom.SiteFilter{Scopes: scopes(kit.Principal(r)), Kind: q.Get("kind"), Query: q.Get("q")})
	if err != nil {
		return err
	}
	if sites == nil {
		sites = []dom.Site{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"sites": sites})
}

func (h handlers) apiSiteCreate(w http.ResponseWriter, r *http.Request) error {
	var in dom.SiteInput
	if err := decode(r, &in, func() { in = siteForm(r) }); err != nil {
		return err
	}
	in.AllowPrivate = h.k.AllowPrivate
	if err := h.managesUnit(r, strings.TrimSpace(in.OrgCode)); err != nil {
		return err
	}
	site, err := dom.CreateSite(r.Context(), h.k.DB, kit.Actor(r), in, manages(kit.Principal(r)))
	if err != nil {
		return apiErrors(w, r, err)
	}
	return kit.JSON(w, http.StatusCreated, site)
}

func (h handlers) apiRoundCreate(w http.ResponseWriter, r *http.Request) error {
	p := kit.Principal(r)
	var in dom.RoundInput
	err := decode(r, &in, func() {
		in.Name, in.Scheme = r.PostFormValue("name"), r.PostFormValue("scheme")
		in.SiteIDs = parseIDs(r.PostForm["site_ids"])
		in.DeadlineDays, _ = strconv.Atoi(r.PostFormValue("deadline_days"))
	})
	if err != nil {
		return err
	}
	if err := h.canInspect(r, in.SiteIDs); err != nil {
		return err
	}
	rd, err := dom.CreateRound(r.Context(), h.k.DB, h.jobs(), kit.Actor(r), in, p.Scopes(managers...))
	if err != nil {
		return apiErrors(w, r, err)
	}
	return kit.JSON(w, http.StatusCreated, rd)
}

func (h handlers) apiRanking(w http.ResponseWriter, r *http.Request) error {
	rd, err := h.round(r)
	if err != nil {
		return err
	}
	rows, err := dom.Ranking(r.Context(), h.k.DB, rd.ID, scopes(kit.Principal(r)))
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []dom.RankRow{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"round": rd, "ranking": rows})
}

func (h handlers) apiInspection(w http.ResponseWriter, r *http.Request) error {
	info, res, site, err := h.inspection(r)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"inspection": info, "site": site, "result": res})
}

func (h handlers) apiProblems(w http.ResponseWriter, r *http.Request) error {
	ps, err := dom.ListProblems(r.Context(), h.k.DB, problemFilter(r))
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []dom.Problem{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"problems": ps})
}

func (h handlers) apiProblemUpdate(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Action string `json:"action"`
		Note   string `json:"note"`
	}
	if err := decode(r, &in, func() { in.Action, in.Note = r.PostFormValue("action"), r.PostFormValue("note") }); err != nil {
		return err
	}
	pr, err := h.problemFor(r, in.Action)
	if err != nil {
		return err
	}
	up, err := dom.UpdateProblem(r.Context(), h.k.DB, h.jobs(), kit.Actor(r), pr.ID, in.Action, in.Note)
	if err != nil {
		if errors.Is(err, dom.ErrNotFound) {
			return kit.ErrNotFound
		}
		return apiErrors(w, r, err)
	}
	return kit.JSON(w, http.StatusOK, up)
}
