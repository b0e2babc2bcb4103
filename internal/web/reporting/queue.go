package reporting

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	dom "zhihui/internal/reporting"
	"zhihui/internal/web/kit"
)

// queuePage is how many reports the approval queue shows per page.
const queuePage = 50

// queueStates are the queue's state filter's choices, in order.
var queueStates = []string{dom.Submitted, dom.Returned, dom.Approved, dom.Draft, dom.QueueAll}

// queueQuery is the queue's filters as the page's form sends them.
type queueQuery struct {
	DS, OU, PE, State string
	Offset            int
}

func readQueueQuery(q url.Values) queueQuery {
	v := queueQuery{DS: q.Get("ds"), OU: strings.TrimSpace(q.Get("ou")), PE: strings.TrimSpace(q.Get("pe")), State: q.Get("state")}
	if _, ok := dom.StateNames[v.State]; !ok && v.State != dom.QueueAll {
		v.State = dom.Submitted
	}
	v.Offset, _ = strconv.Atoi(q.Get("offset"))
	v.Offset = max(v.Offset, 0)
	return v
}

// link is path with the filters (and extra pairs) as its query.
func (v queueQuery) link(path string, extra ...string) template.URL {
	q := url.Values{}
	for k, val := range map[string]string{"ds": v.DS, "ou": v.OU, "pe": v.PE, "state": v.State} {
		if val != "" {
			q.Set(k, val)
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return template.URL(path + "?" + q.Encode())
}

// filter checks the unit filter (it must lie in the caller's units) and
// returns the domain filter.
func (h handlers) queueFilter(r *http.Request, v queueQuery) (dom.QueueFilter, *orgunit.Unit, error) {
	f := dom.QueueFilter{DataSet: v.DS, Period: v.PE, State: v.State, Offset: v.Offset, Limit: queuePage}
	if v.OU == "" {
		return f, nil, nil
	}
	u, err := orgunit.Get(r.Context(), h.k.DB, v.OU)
	if err != nil {
		return f, nil, err
	}
	if !kit.Principal(r).Covers(u.Path, deciders...) {
		return f, nil, kit.ErrOutside
	}
	f.Unit = &u
	return f, &u, nil
}

type queueView struct {
	Rows          []dom.QueueRow
	Total         int
	From, To      int
	Prev, Next    template.URL
	Export        template.URL
	DataSets      []dom.DataSet
	Unit          *orgunit.Unit
	UnitWhere     string
	Picker        unitPicker
	States        []string
	StateNames    map[string]i18n.Text
	Periods       []periodChoice
	Q             queueQuery
	Done          string
	Refused       []dom.Refusal
	CanDecideRows bool
}

// periodChoice is one period offered by a period picker.
type periodChoice struct {
	ID    string
	Label string
}

// queue: GET /reporting/queue — the reports awaiting the caller's
// decision (or in another state), filtered, paged with the true total.
func (h handlers) queue(w http.ResponseWriter, r *http.Request) error {
	return h.renderQueue(w, r, readQueueQuery(r.URL.Query()), nil)
}

// renderQueue shows the queue filtered by q, with the outcome of a batch
// approval when there was one.
func (h handlers) renderQueue(w http.ResponseWriter, r *http.Request, q queueQuery, batch *dom.BatchResult) error {
	ctx := r.Context()
	lg := kit.Lang(r)
	f, unit, err := h.queueFilter(r, q)
	if err != nil {
		return err
	}
	page, err := dom.Queue(ctx, h.k.DB, kit.Principal(r), f)
	if err != nil {
		return err
	}
	if q.Offset > 0 && q.Offset >= page.Total {
		q.Offset, f.Offset = 0, 0
		if page, err = dom.Queue(ctx, h.k.DB, kit.Principal(r), f); err != nil {
			return err
		}
	}
	v := queueView{Rows: page.Rows, Total: page.Total, Q: q, Unit: unit, States: queueStates, StateNames: dom.StateNames}
	if batch != nil {
		v.Done, v.Refused = strconv.Itoa(batch.Approved), batch.Refused
	}
	if v.DataSets, err = dom.DataSets(ctx, h.k.DB); err != nil {
		return err
	}
	v.Periods = queuePeriods(v.DataSets, q.DS, lg, time.Now())
	if unit != nil {
		v.UnitWhere = whereName(ctx, h.k.DB, *unit, lg)
	}
	if v.Picker, err = h.picker(r, "ou", unit, deciders); err != nil {
		return err
	}
	v.From, v.To = q.Offset+1, q.Offset+len(page.Rows)
	for _, row := range v.Rows {
		v.CanDecideRows = v.CanDecideRows || row.Decision
	}
	if q.Offset > 0 {
		v.Prev = q.link("/reporting/queue", "offset", strconv.Itoa(max(q.Offset-queuePage, 0)))
	}
	if v.To < page.Total {
		v.Next = q.link("/reporting/queue", "offset", strconv.Itoa(v.To))
	}
	v.Export = q.link("/reporting/queue.xlsx")
	return h.k.Render(w, r, h.pages, "queue", http.StatusOK, kit.View{Title: kit.T(r, "reporting.queue"), Nav: "reporting", Data: v})
}

// queuePeriods are the periods the queue's period filter offers: those
// of data set ds (or of every type when none is chosen), latest first.
func queuePeriods(sets []dom.DataSet, ds, lg string, now time.Time) []periodChoice {
	var out []periodChoice
	seen := map[string]bool{}
	for _, d := range sets {
		if ds != "" && d.Code != ds {
			continue
		}
		for _, p := range d.Periods(now, 12) {
			if !seen[p.ID()] {
				seen[p.ID()] = true
				out = append(out, periodChoice{p.ID(), p.Label(lg)})
			}
		}
	}
	return out
}

// queueXLSX: GET /reporting/queue.xlsx — the filtered queue, every page,
// as a spreadsheet.
func (h handlers) queueXLSX(w http.ResponseWriter, r *http.Request) error {
	lg := kit.Lang(r)
	q := readQueueQuery(r.URL.Query())
	q.Offset = 0
	f, _, err := h.queueFilter(r, q)
	if err != nil {
		return err
	}
	f.Limit = 5000
	page, err := dom.Queue(r.Context(), h.k.DB, kit.Principal(r), f)
	if err != nil {
		return err
	}
	head := []string{i18n.T(lg, "reporting.dataset"), i18n.T(lg, "reporting.unit"), i18n.T(lg, "reporting.unit_where"), i18n.T(lg, "reporting.period"),
		i18n.T(lg, "reporting.state"), i18n.T(lg, "reporting.submitted_at"), i18n.T(lg, "reporting.comment")}
	rows := make([][]any, 0, len(page.Rows))
	for _, row := range page.Rows {
		sub := ""
		if row.SubmittedAt != nil {
			sub = row.SubmittedAt.In(period.Shanghai).Format("2006-01-02 15:04")
		}
		rows = append(rows, []any{row.DataSetName.In(lg), row.Unit.DisplayName(lg), row.WhereName(lg), row.Period,
			dom.StateNames[row.State].In(lg), sub, row.Comment})
	}
	return kit.XLSX(w, "approval-queue.xlsx", head, rows)
}

// batchApprove: POST /reporting/queue/approve — approves every checked
// report it can with one comment and shows the queue again with the
// filters it was posted from, how many were approved and each refused
// report with its reason.
func (h handlers) batchApprove(w http.ResponseWriter, r *http.Request) error {
	q := readQueueQuery(r.PostForm)
	res, err := dom.ApproveBatch(r.Context(), h.k.DB, kit.Principal(r), kit.Actor(r), r.PostForm["item"], r.PostFormValue("comment"), time.Now())
	if err == dom.ErrOutside {
		return kit.ErrOutside
	}
	if err != nil {
		return err
	}
	return h.renderQueue(w, r, q, &res)
}
