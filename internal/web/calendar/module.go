// Package calendar is the web side of the working-day calendar: the
// holidays of every year, the office's form to add or correct a year, the
// XLSX export of a year, and the API that adds working days to a date.
package calendar

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/auth"
	dom "zhihui/internal/calendar"
	"zhihui/internal/i18n"
	"zhihui/internal/module"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/web/kit"
)

//go:embed templates
var templates embed.FS

//go:embed catalog/*.json
var catalog embed.FS

// MaxDays bounds the days of GET /api/v1/calendar/add either way (about
// ten years of working days).
const MaxDays = 2500

// rootPath is the province: the calendar is province-wide, so only the
// office at the province (or an administrator there) edits it.
const rootPath = "/" + orgunit.Root + "/"

// Module is the calendar module.
func Module() module.Module {
	cat, err := fs.Sub(catalog, "catalog")
	if err != nil {
		panic(err)
	}
	const year = "2024"
	return module.Module{
		Name:    "calendar",
		Schemas: []store.Schema{dom.Schema},
		// The office's years are read at every start into the calendar
		// that due dates use (calendar.Default).
		Bootstrap: func(ctx context.Context, db *store.DB) error {
			c, err := dom.Load(ctx, db)
			if err != nil {
				return err
			}
			dom.SetDefault(c)
			return nil
		},
		Routes:  routes,
		Catalog: cat,
		Nav:     []module.Nav{{Key: "calendar", Href: "/calendar", Label: "nav.calendar", Order: 95}},
		Pages:   []string{"/calendar", "/calendar/" + year, "/calendar/2031"},
		API: map[string]string{
			"GET /api/v1/calendar/add": `The date N working days after a date, in China's working-day calendar (official holidays and 调休): ?from=YYYY-MM-DD&days=N (N from -2500 to 2500) → {"date":"YYYY-MM-DD"}`,
		},
		Authz: []module.AuthzCase{
			{Pattern: "GET /calendar", Request: module.Get("/calendar"), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
			{Pattern: "GET /calendar/{year}", Request: module.Get("/calendar/" + year), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
			{Pattern: "GET /calendar/{year}/export", Request: module.Get("/calendar/" + year + "/export"), Want: module.LoggedIn(http.StatusOK, http.StatusSeeOther)},
			// Callers hold their role at 4101, below the province: nobody
			// there may change the province-wide calendar.
			{Pattern: "POST /calendar/{year}", Request: func(*module.Fixture, bool) (string, string, url.Values) {
				return http.MethodPost, "/calendar/2099", url.Values{"source": {"x"}, "text": {"元旦 2099-01-01"}}
			}, Want: module.AnyRole(http.StatusForbidden, http.StatusUnauthorized, auth.Admin, auth.Office)},
			{Pattern: "GET /api/v1/calendar/add", Request: module.Get("/api/v1/calendar/add?from=2024-09-30&days=5"), Want: module.LoggedIn(http.StatusOK, http.StatusUnauthorized)},
		},
	}
}

func routes(k *kit.Kit) ([]kit.Route, error) {
	pages, err := k.Pages(templates, "templates")
	if err != nil {
		return nil, err
	}
	h := handlers{k: k, pages: pages}
	return []kit.Route{
		{Pattern: "GET /calendar", Access: kit.User, Handler: h.years},
		{Pattern: "GET /calendar/{year}", Access: kit.User, Handler: h.year},
		{Pattern: "POST /calendar/{year}", Access: kit.Roles, Roles: []auth.Role{auth.Admin, auth.Office}, Handler: h.save, BodyLimit: 64 << 10},
		{Pattern: "GET /calendar/{year}/export", Access: kit.User, Handler: h.export},
		{Pattern: "GET /api/v1/calendar/add", Access: kit.User, Handler: h.add},
	}, nil
}

type handlers struct {
	k     *kit.Kit
	pages *kit.Pages
}

// yearRow is one line of the years page.
type yearRow struct {
	Year      int
	Source    string
	Off, Work int
	Stored    bool
}

type yearsView struct {
	Years   []yearRow
	CanEdit bool
	Next    int
}

func canEdit(r *http.Request) bool { return kit.Principal(r).Covers(rootPath, auth.Office) }

// years lists every year the calendar knows.
func (h handlers) years(w http.ResponseWriter, r *http.Request) error {
	c, err := dom.Load(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	v := yearsView{CanEdit: canEdit(r)}
	for _, y := range c.Years() {
		off, work := y.Count()
		v.Years = append(v.Years, yearRow{Year: y.Year, Source: y.Source, Off: off, Work: work, Stored: y.Stored})
		v.Next = y.Year + 1
	}
	return h.k.Render(w, r, h.pages, "years", http.StatusOK, kit.View{Title: kit.T(r, "calendar.title"), Nav: "calendar", Data: v})
}

func pathYear(r *http.Request) (int, error) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < dom.FirstYear || y > dom.LastYear {
		return 0, kit.ErrNotFound
	}
	return y, nil
}

type yearView struct {
	Year    int
	Known   bool
	Y       dom.Year
	Text    string
	Source  string
	CanEdit bool
}

// year shows a year's holidays and, to the province's office, the form
// that replaces them.
func (h handlers) year(w http.ResponseWriter, r *http.Request) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	c, err := dom.Load(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	yr, ok := c.Year(y)
	v := yearView{Year: y, Known: ok, Y: yr, Text: yr.Text(), Source: yr.Source, CanEdit: canEdit(r)}
	return h.render(w, r, http.StatusOK, v, nil)
}

func (h handlers) render(w http.ResponseWriter, r *http.Request, status int, v yearView, errs []*i18n.Error) error {
	return h.k.Render(w, r, h.pages, "year", status, kit.View{
		Title: kit.T(r, "calendar.year_title", v.Year), Nav: "calendar", Data: v, Errors: errs,
	})
}

// save replaces a year's holidays with the form's text.
func (h handlers) save(w http.ResponseWriter, r *http.Request) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	if !canEdit(r) {
		return kit.ErrForbidden
	}
	source, text := strings.TrimSpace(r.PostFormValue("source")), r.PostFormValue("text")
	yr, err := dom.ParseYearText(y, source, text)
	if err != nil {
		if ie, ok := kit.UserError(err); ok {
			return h.render(w, r, http.StatusBadRequest, yearView{Year: y, Text: text, Source: source, CanEdit: true}, []*i18n.Error{ie})
		}
		return err
	}
	if err := dom.SaveYear(r.Context(), h.k.DB, kit.Actor(r), yr); err != nil {
		return err
	}
	return kit.Redirect(w, r, "/calendar/"+strconv.Itoa(y)+"?flash=saved")
}

// export writes a year's days as a spreadsheet.
func (h handlers) export(w http.ResponseWriter, r *http.Request) error {
	y, err := pathYear(r)
	if err != nil {
		return err
	}
	c, err := dom.Load(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	yr, _ := c.Year(y)
	rows := make([][]any, 0, len(yr.Days))
	for _, d := range yr.Days {
		t, _ := dom.ParseDate(d.Date)
		rows = append(rows, []any{d.Date, kit.T(r, "calendar.weekday."+strconv.Itoa(int(t.Weekday()))), d.Name, kit.T(r, "calendar.kind."+string(d.Kind))})
	}
	head := []string{kit.T(r, "calendar.date"), kit.T(r, "calendar.weekday"), kit.T(r, "calendar.holiday"), kit.T(r, "calendar.kind")}
	return kit.XLSX(w, "calendar-"+strconv.Itoa(y)+".xlsx", head, rows)
}

// add: GET /api/v1/calendar/add?from=YYYY-MM-DD&days=N → {"date": "YYYY-MM-DD"}.
func (h handlers) add(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, days, err := parseAdd(q.Get("from"), q.Get("days"))
	if err != nil {
		return err
	}
	c, err := dom.Load(r.Context(), h.k.DB)
	if err != nil {
		return err
	}
	return kit.JSON(w, http.StatusOK, map[string]string{"date": dom.Format(c.AddWorkingDays(from, days))})
}

// parseAdd reads the from and days parameters of the add API, with
// bilingual errors naming the parameter; days is bounded by [MaxDays].
func parseAdd(from, days string) (time.Time, int, error) {
	if strings.TrimSpace(from) == "" {
		return time.Time{}, 0, i18n.Errorf("缺少参数 from（起始日期，YYYY-MM-DD）", "the parameter from (the start date, YYYY-MM-DD) is missing").OnField("from")
	}
	t, err := dom.ParseDate(from)
	if err != nil {
		if ie, ok := err.(*i18n.Error); ok {
			return time.Time{}, 0, ie.OnField("from")
		}
		return time.Time{}, 0, err
	}
	days = strings.TrimSpace(days)
	if days == "" {
		return time.Time{}, 0, i18n.Errorf("缺少参数 days（工作日数，整数）", "the parameter days (a number of working days, a whole number) is missing").OnField("days")
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < -MaxDays || n > MaxDays {
		return time.Time{}, 0, i18n.Errorf("参数 days 应为 %d 到 %d 之间的整数：%q", "the parameter days should be a whole number from %d to %d: %q", -MaxDays, MaxDays, days).OnField("days")
	}
	return t, n, nil
}
