package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/reporting"
)

// queuePage is how many reports the approval queue shows per page.
const queuePage = 50

type queueRow struct {
	reporting.Approval
	Key      string // ds|ou|pe, the batch check box's value
	DataSet  string // the form's name
	Unit     orgunit.Unit
	Where    string // township and county of the unit
	State    i18n.Text
	Link     template.URL
	Decision bool // awaiting a decision by the caller
}

type queueView struct {
	Rows          []queueRow
	Total         int
	From, To      int
	Prev, Next    template.URL
	Export        template.URL
	DataSets      []reporting.DataSet
	Units         []orgunit.Unit
	States        []string
	StateNames    map[string]i18n.Text
	DS, OU, PE    string
	State         string
	Done          string
	CanDecideRows bool
}

// queueFilter reads the queue's filters from r.
func queueFilter(r *http.Request) (ds, ou, pe, state string, offset int) {
	q := r.URL.Query()
	state = q.Get("state")
	if _, ok := reporting.StateNames[state]; !ok && state != "all" {
		state = reporting.Submitted
	}
	offset, _ = strconv.Atoi(q.Get("offset"))
	return q.Get("ds"), q.Get("ou"), strings.TrimSpace(q.Get("pe")), state, max(offset, 0)
}

// errOutsideQueue: the unit filter names a unit outside the caller's scope.
var errOutsideQueue = errors.New("reporting queue: unit outside the caller's scope")

// queueRows lists the reports below the caller's approver grants that
// match the filters, newest first, with the total.
func (s *Server) queueRows(ctx context.Context, p *auth.Principal, lg, ds, ou, pe, state string) ([]queueRow, error) {
	sets, err := reporting.DataSets(ctx, s.db)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, d := range sets {
		names[d.Code] = d.DisplayName(lg)
	}
	roots := p.Scopes(reportDeciders...)
	if ou != "" {
		u, err := orgunit.Get(ctx, s.db, ou)
		if err != nil || !p.Covers(u.Path, reportDeciders...) {
			return nil, errOutsideQueue
		}
		roots = []string{u.Path}
	}
	f := reporting.ApprovalFilter{DataSet: ds, Limit: 5000}
	if state != "all" {
		f.States = []string{state}
	}
	if pe != "" {
		f.Periods = []string{pe}
	}
	var out []queueRow
	units := map[string]orgunit.Unit{}
	for _, root := range roots {
		f.Root = root
		as, err := reporting.Approvals(ctx, s.db, f)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			u, ok := units[a.OrgUnit]
			if !ok {
				if u, err = orgunit.Get(ctx, s.db, a.OrgUnit); err != nil {
					continue
				}
				units[a.OrgUnit] = u
			}
			if !above(p, u, reportDeciders...) {
				continue
			}
			out = append(out, queueRow{Approval: a, Key: a.DataSet + "|" + a.OrgUnit + "|" + a.Period, DataSet: names[a.DataSet],
				Unit: u, Where: s.unitWhere(ctx, u, lg), State: reporting.StateNames[a.State],
				Link:     template.URL("/reporting/form?" + formQuery(a.DataSet, a.OrgUnit, a.Period)),
				Decision: a.State == reporting.Submitted})
		}
	}
	return out, nil
}

// unitWhere names the township and county a village or township lies in,
// so that units with the same name (many villages are called 城关村委会)
// can be told apart.
func (s *Server) unitWhere(ctx context.Context, u orgunit.Unit, lg string) string {
	var parts []string
	for _, code := range strings.Split(strings.Trim(u.Path, "/"), "/") {
		if code == u.Code || len(code) < 6 {
			continue
		}
		if a, err := orgunit.Get(ctx, s.db, code); err == nil {
			parts = append(parts, a.DisplayName(lg))
		}
	}
	// County first, then township.
	return strings.Join(parts, " · ")
}

// reportQueue: GET /reporting/queue — the reports awaiting the caller's
// decision (or in another state), filtered, paged.
func (s *Server) reportQueue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principal(r)
	pg := s.page(r, "reporting", nil)
	ds, ou, pe, state, offset := queueFilter(r)
	rows, err := s.queueRows(ctx, p, pg.Lang, ds, ou, pe, state)
	if err != nil {
		if errors.Is(err, errOutsideQueue) {
			s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
			return
		}
		s.fail(w, r, err)
		return
	}
	v := queueView{Total: len(rows), DS: ds, OU: ou, PE: pe, State: state, Done: r.URL.Query().Get("done"),
		States: []string{reporting.Submitted, reporting.Returned, reporting.Approved, reporting.Draft, "all"}, StateNames: reporting.StateNames}
	if v.DataSets, err = reporting.DataSets(ctx, s.db); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, scope := range p.Scopes(reportDeciders...) {
		code := scope[strings.LastIndex(strings.TrimSuffix(scope, "/"), "/")+1 : len(scope)-1]
		if u, err := orgunit.Get(ctx, s.db, code); err == nil {
			v.Units = append(v.Units, u)
		}
		if kids, err := orgunit.Children(ctx, s.db, code); err == nil {
			v.Units = append(v.Units, kids...)
		}
	}
	if offset > len(rows) {
		offset = 0
	}
	end := min(offset+queuePage, len(rows))
	v.Rows, v.From, v.To = rows[offset:end], offset+1, end
	for _, row := range v.Rows {
		v.CanDecideRows = v.CanDecideRows || row.Decision
	}
	link := func(path string, extra ...string) template.URL {
		q := url.Values{}
		for k, val := range map[string]string{"ds": ds, "ou": ou, "pe": pe, "state": state} {
			if val != "" {
				q.Set(k, val)
			}
		}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return template.URL(path + "?" + q.Encode())
	}
	if offset > 0 {
		v.Prev = link("/reporting/queue", "offset", strconv.Itoa(max(offset-queuePage, 0)))
	}
	if end < len(rows) {
		v.Next = link("/reporting/queue", "offset", strconv.Itoa(end))
	}
	v.Export = link("/reporting/queue.xlsx")
	pg.Data = v
	pg.Title = i18n.T(pg.Lang, "reporting.queue")
	s.render(w, r, "reporting/queue", http.StatusOK, pg)
}

// reportQueueXLSX: GET /reporting/queue.xlsx — the filtered queue, every
// page, as a spreadsheet.
func (s *Server) reportQueueXLSX(w http.ResponseWriter, r *http.Request) {
	lg := lang(r)
	ds, ou, pe, state, _ := queueFilter(r)
	rows, err := s.queueRows(r.Context(), principal(r), lg, ds, ou, pe, state)
	if err != nil {
		if errors.Is(err, errOutsideQueue) {
			s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
			return
		}
		s.fail(w, r, err)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	head := []any{i18n.T(lg, "reporting.dataset"), i18n.T(lg, "reporting.unit"), i18n.T(lg, "reporting.unit_where"), i18n.T(lg, "reporting.period"), i18n.T(lg, "reporting.state"), i18n.T(lg, "reporting.submitted_at"), i18n.T(lg, "reporting.comment")}
	if err := f.SetSheetRow(sheet, "A1", &head); err != nil {
		s.fail(w, r, err)
		return
	}
	for i, row := range rows {
		sub := ""
		if row.SubmittedAt != nil {
			sub = row.SubmittedAt.In(period.Shanghai).Format("2006-01-02 15:04")
		}
		vals := []any{row.DataSet, row.Unit.DisplayName(lg), row.Where, row.Period, row.State.In(lg), sub, row.Comment}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+2), &vals); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="approval-queue.xlsx"`)
	if err := f.Write(w); err != nil {
		s.log.Error("queue export", "err", err)
	}
}

// reportBatchApprove: POST /reporting/queue/approve — approves every
// checked report with one comment. Each report is checked as a single
// decision would be; the first refusal stops the batch and says which.
func (s *Server) reportBatchApprove(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principal(r)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	items := r.PostForm["item"]
	if len(items) == 0 {
		s.fail(w, r, i18n.Errorf("请先勾选要审核通过的报表", "tick the reports to approve first"))
		return
	}
	if len(items) > 500 {
		s.fail(w, r, i18n.Errorf("一次最多审核 500 份报表", "at most 500 reports at once"))
		return
	}
	n := 0
	for _, it := range items {
		parts := strings.Split(it, "|")
		if len(parts) != 3 {
			s.fail(w, r, i18n.Errorf("无法识别的报表 %q", "unknown report %q", it))
			return
		}
		d, err := reporting.GetDataSet(ctx, s.db, parts[0])
		if err != nil {
			s.notFound(w, r)
			return
		}
		u, err := orgunit.Get(ctx, s.db, parts[1])
		if err != nil {
			s.notFound(w, r)
			return
		}
		if !above(p, u, reportDeciders...) {
			s.deny(w, r, http.StatusForbidden, "errors.outside_scope")
			return
		}
		pe, err := d.CheckPeriod(parts[2], time.Now())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if err := reporting.Decide(ctx, s.db, p.Actor(clientIP(r)), d, u, pe, true, r.PostFormValue("comment")); err != nil {
			s.fail(w, r, err)
			return
		}
		n++
	}
	http.Redirect(w, r, "/reporting/queue?done="+strconv.Itoa(n), http.StatusSeeOther)
}
