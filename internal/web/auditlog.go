package web

import (
	"net/http"
	"strconv"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/period"
)

type auditView struct {
	Filter  audit.Filter
	From    string
	To      string
	Entries []audit.Entry
	More    bool
	Next    int
	Prev    int
}

// auditFilter reads a search from the query string, scoped to where the
// caller is an admin. Entries without an org unit (account changes) are
// visible only to province-level admins.
func auditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{
		Actor: q.Get("actor"), Action: q.Get("action"), Entity: q.Get("entity"),
		EntityID: q.Get("entity_id"), Text: q.Get("q"),
		Scopes: principal(r).Scopes(auth.Admin),
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Limit, _ = strconv.Atoi(q.Get("limit"))
	if f.Limit <= 0 {
		f.Limit = 50
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		add  int
	}{{"from", &f.From, 0}, {"to", &f.To, 1}} {
		if v := q.Get(d.name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, period.Shanghai)
			if err != nil {
				return f, i18n.Errorf("日期 %q 格式应为 2006-01-02", "date %q must look like 2006-01-02", v).OnField(d.name)
			}
			*d.dst = t.AddDate(0, 0, d.add)
		}
	}
	return f, nil
}

// searchAudit runs the search the request asks for; on failure it has
// answered the request and returns ok false.
func (s *Server) searchAudit(w http.ResponseWriter, r *http.Request) (f audit.Filter, es []audit.Entry, more, ok bool) {
	f, err := auditFilter(r)
	if err == nil {
		es, more, err = audit.Search(r.Context(), s.db, f)
	}
	if err != nil {
		s.fail(w, r, err)
		return f, nil, false, false
	}
	return f, es, more, true
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	f, es, more, ok := s.searchAudit(w, r)
	if !ok {
		return
	}
	v := auditView{Filter: f, From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"), Entries: es, More: more,
		Next: f.Offset + f.Limit, Prev: max(0, f.Offset-f.Limit)}
	pg := s.page(r, "admin", v)
	pg.Title = i18n.T(pg.Lang, "audit.title")
	s.render(w, r, "audit", http.StatusOK, pg)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) {
	_, es, more, ok := s.searchAudit(w, r)
	if !ok {
		return
	}
	if es == nil {
		es = []audit.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es, "more": more})
}
