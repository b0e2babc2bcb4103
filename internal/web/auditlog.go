package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/period"
	"zhihui/internal/web/kit"
)

type auditView struct {
	Filter  audit.Filter
	From    string
	To      string
	Entries []auditRow
	More    bool
	Next    int
	Prev    int
	// Actions and Entities are the choices of the filter's lists: every
	// recorded name the catalogue has a word for.
	Actions  []auditOption
	Entities []auditOption
	// Export is the address of every entry the filter finds, as a
	// spreadsheet.
	Export template.URL
}

type auditOption struct{ Value, Text string }

// auditOptions lists the catalogue's words under prefix, in the order of
// the reader's language.
func auditOptions(lang, prefix string) []auditOption {
	c, _ := i18n.Catalog()
	var out []auditOption
	for k, t := range c {
		if strings.HasPrefix(k, prefix) {
			out = append(out, auditOption{Value: strings.TrimPrefix(k, prefix), Text: t.In(lang)})
		}
	}
	slices.SortFunc(out, func(a, b auditOption) int { return strings.Compare(a.Text+a.Value, b.Text+b.Value) })
	return out
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

// searchAudit runs the search the request asks for.
func (s *Server) searchAudit(r *http.Request) (f audit.Filter, es []audit.Entry, more bool, err error) {
	f, err = auditFilter(r)
	if err != nil {
		return f, nil, false, err
	}
	es, more, err = audit.Search(r.Context(), s.db, f)
	return f, es, more, err
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	f, es, more, err := s.searchAudit(r)
	if err != nil {
		return err
	}
	lang := lang(r)
	rows := make([]auditRow, len(es))
	for i, e := range es {
		rows[i] = auditRowOf(lang, e)
	}
	v := auditView{Filter: f, From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"), Entries: rows, More: more,
		Actions: auditOptions(lang, "audit.action."), Entities: auditOptions(lang, "audit.entity."),
		Next: f.Offset + f.Limit, Prev: max(0, f.Offset-f.Limit)}
	eq := url.Values{}
	for _, k := range []string{"actor", "action", "entity", "entity_id", "q", "from", "to"} {
		if val := r.URL.Query().Get(k); val != "" {
			eq.Set(k, val)
		}
	}
	v.Export = template.URL("/admin/audit.xlsx?" + eq.Encode())
	pg := s.page(r, "admin", v)
	pg.Title = i18n.T(pg.Lang, "audit.title")
	s.render(w, r, "audit", http.StatusOK, pg)
	return nil
}

// auditExportMax bounds an audit log export.
const auditExportMax = 10000

// auditXLSX: GET /admin/audit.xlsx — the entries the log page's filter
// finds (every page, the newest auditExportMax), with the changes in
// words, as a spreadsheet.
func (s *Server) auditXLSX(w http.ResponseWriter, r *http.Request) error {
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	lg := lang(r)
	head := []string{i18n.T(lg, "audit.when"), i18n.T(lg, "audit.actor"), "IP", i18n.T(lg, "audit.action"), i18n.T(lg, "audit.entity"), "ID", i18n.T(lg, "audit.changes")}
	var rows [][]any
	f.Offset, f.Limit = 0, 1000
	for len(rows) < auditExportMax {
		es, more, err := audit.Search(r.Context(), s.db, f)
		if err != nil {
			return err
		}
		for _, e := range es {
			row := auditRowOf(lg, e)
			var ch []string
			for _, c := range row.Changes {
				var t string
				switch {
				case c.HasBefore && c.HasAfter:
					t = c.Before + " → " + c.After
				case c.HasAfter:
					t = c.After
				default:
					t = c.Before + " ×"
				}
				if c.Field != "" {
					t = c.Field + ": " + t
				}
				ch = append(ch, t)
			}
			rows = append(rows, []any{e.At.In(period.Shanghai).Format("2006-01-02 15:04:05"), row.ActorText, e.Actor.IP, row.ActionText, row.EntityText, e.EntityID, strings.Join(ch, "\n")})
		}
		if !more {
			break
		}
		f.Offset += len(es)
	}
	if len(rows) > auditExportMax {
		rows = rows[:auditExportMax]
	}
	return kit.XLSX(w, "audit-log.xlsx", head, rows)
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	_, es, more, err := s.searchAudit(r)
	if err != nil {
		return err
	}
	if es == nil {
		es = []audit.Entry{}
	}
	return kit.JSON(w, http.StatusOK, map[string]any{"entries": es, "more": more})
}

// auditRow is one audit entry as the log page shows it: the action and
// the kind of record in words, and the record's changes field by field.
type auditRow struct {
	audit.Entry
	// ActorText is who made the change: a person's name as recorded, a
	// job's (an actor without an account) in words.
	ActorText  string
	ActionText string
	EntityText string
	Changes    []auditChange
}

// auditChange is one changed field: its name and its values before and
// after, in words where the catalogue knows them.
type auditChange struct {
	Field         string
	Before, After string
	HasBefore     bool
	HasAfter      bool
	// Code marks a formula (#{CODE} …), shown as code; Lang is "en" for
	// a field that holds English text (name_en, message_en).
	Code bool
	Lang string
}

func auditRowOf(lang string, e audit.Entry) auditRow {
	row := auditRow{Entry: e, ActorText: auditActor(lang, e.Actor), ActionText: auditWord(lang, "audit.action.", e.Action), EntityText: auditWord(lang, "audit.entity.", e.Entity)}
	for _, c := range e.Changes() {
		ch := auditChange{Field: auditWord(lang, "audit.field.", c.Field), HasBefore: c.Before != nil, HasAfter: c.After != nil}
		if c.Field == "" {
			ch.Field = ""
		}
		ch.Before = auditValue(lang, c.Before)
		ch.After = auditValue(lang, c.After)
		ch.Code = strings.Contains(ch.Before, "#{") || strings.Contains(ch.After, "#{")
		if strings.HasSuffix(c.Field, "_en") {
			ch.Lang = "en"
		}
		row.Changes = append(row.Changes, ch)
	}
	return row
}

// auditWord is the catalogue's word for a recorded name (prefix+name),
// or the name as recorded when the catalogue has none.
func auditWord(lang, prefix, name string) string {
	if name == "" {
		return ""
	}
	if s, ok := i18n.Lookup(lang, prefix+name); ok {
		return s
	}
	return name
}

// auditActor says who made a change: a job or the platform (no account)
// by the catalogue's word for its recorded code (audit.actor.CODE), or,
// for names earlier releases recorded as "中文 / English", in the reader's
// language; a person's name as recorded.
func auditActor(lang string, a audit.Actor) string {
	if a.UserID != 0 {
		return a.Name
	}
	if s, ok := i18n.Lookup(lang, "audit.actor."+a.Name); ok {
		return s
	}
	return i18n.Split(a.Name).In(lang)
}

// auditMaxText bounds one value on the page; the full record stays in
// the database, the API and the export.
const auditMaxText = 200

// auditValue says a recorded JSON value in words: yes/no, enumerations
// through the catalogue (audit.enum.*), times in Shanghai time, lists
// joined, long text cut.
func auditValue(lang string, raw json.RawMessage) string {
	if raw == nil {
		return ""
	}
	var v any
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return cut(string(raw))
	}
	return cut(auditAny(lang, v, 0))
}

func auditAny(lang string, v any, depth int) string {
	switch x := v.(type) {
	case nil:
		return "—"
	case bool:
		if x {
			return i18n.T(lang, "common.yes")
		}
		return i18n.T(lang, "common.no")
	case json.Number:
		return x.String()
	case string:
		if s, ok := i18n.Lookup(lang, "audit.enum."+x); ok && x != "" {
			return s
		}
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return t.In(period.Shanghai).Format("2006-01-02 15:04:05")
		}
		return x
	case []any:
		const most = 12
		parts := make([]string, 0, min(len(x), most))
		for i, e := range x {
			if i == most {
				break
			}
			parts = append(parts, auditAny(lang, e, depth+1))
		}
		s := strings.Join(parts, "、")
		if len(x) > most {
			s += i18n.T(lang, "audit.more_items", len(x))
		}
		return s
	case map[string]any:
		// a bilingual name ({"zh": …, "en": …}) is said in the reader's language
		if zh, ok := x["zh"].(string); ok {
			if en, ok := x["en"].(string); ok && strings.HasPrefix(lang, "en") && en != "" {
				return en
			}
			return zh
		}
		if depth > 0 {
			b, _ := json.Marshal(x)
			return string(b)
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %s", auditWord(lang, "audit.field.", k), auditAny(lang, x[k], depth+1)))
		}
		return strings.Join(parts, "；")
	}
	return fmt.Sprint(v)
}

func cut(s string) string {
	if utf8.RuneCountInString(s) <= auditMaxText {
		return s
	}
	r := []rune(s)
	return string(r[:auditMaxText]) + "…"
}
