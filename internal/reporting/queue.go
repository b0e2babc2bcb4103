package reporting

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/period"
	"zhihui/internal/store"
)

// Deciders are the roles that approve or return reports.
var Deciders = []auth.Role{auth.Approver, auth.Admin}

// Above reports whether p holds one of roles strictly above u: approvers
// decide on the units below their own unit, not on it. An administrator
// is above every unit of their subtree, their own included.
func Above(p *auth.Principal, u orgunit.Unit, roles ...auth.Role) bool {
	if !p.Authenticated() {
		return false
	}
	for _, g := range p.User.Grants {
		if !orgunit.InSubtree(u.Path, g.OrgPath) {
			continue
		}
		for _, r := range roles {
			if g.Role == auth.Admin || (g.Role == r && g.OrgPath != u.Path) {
				return true
			}
		}
	}
	return false
}

// FormLink is the address of the entry form of data set ds for unit ou
// and period pe.
func FormLink(ds, ou, pe string) string {
	return "/reporting/form?" + url.Values{"ds": {ds}, "ou": {ou}, "pe": {pe}}.Encode()
}

// QueueAll is the state filter that lists reports in every state.
const QueueAll = "all"

// QueueFilter selects the reports of an approver's queue.
type QueueFilter struct {
	DataSet string        // a data set code; any when empty
	Unit    *orgunit.Unit // the subtree of this unit; the caller's whole queue when nil
	Period  string        // a period ID; any when empty
	State   string        // a state, or QueueAll; Submitted when empty
	Offset  int
	Limit   int // default 50, at most 5000
}

// QueueRow is one report of the queue.
type QueueRow struct {
	Approval
	DataSetName i18n.Text
	Unit        orgunit.Unit
	// Where names the county and township the unit lies in, so that
	// villages of the same name (many are called 城关村委会) can be told
	// apart.
	Where    []orgunit.Unit
	Decision bool // awaiting a decision by the caller
}

// Key names the report in a batch: data set, unit and period.
func (r QueueRow) Key() string { return r.DataSet + "|" + r.OrgUnit + "|" + r.Period }

// PeriodLabel is the report's period as a reader writes it (2024年10月).
func (r QueueRow) PeriodLabel(lang string) string {
	p, err := period.Parse(r.Period)
	if err != nil {
		return r.Period
	}
	return p.Label(lang)
}

// Link is the address of the report's form.
func (r QueueRow) Link() string { return FormLink(r.DataSet, r.OrgUnit, r.Period) }

// WhereName is Where as one text in lang: county · township.
func (r QueueRow) WhereName(lang string) string {
	parts := make([]string, 0, len(r.Where))
	for _, u := range r.Where {
		parts = append(parts, u.DisplayName(lang))
	}
	return strings.Join(parts, " · ")
}

// QueuePage is one page of the queue and how many reports match in all.
type QueuePage struct {
	Rows  []QueueRow
	Total int
}

// Queue lists the reports p may decide on (units strictly below p's
// approver grants; an administrator's own unit too) that match f, newest
// first, one page with the true total. The caller checks beforehand that
// p covers f.Unit.
func Queue(ctx context.Context, db *store.DB, p *auth.Principal, f QueueFilter) (QueuePage, error) {
	var page QueuePage
	if !p.Authenticated() {
		return page, nil
	}
	args := store.Args(nil)
	var scopes []string
	for _, g := range p.User.Grants {
		if g.Role != auth.Approver && g.Role != auth.Admin {
			continue
		}
		lo, hi := orgunit.SubtreeRange(g.OrgPath)
		c := "(ou_path >= " + args.Add(lo) + " AND ou_path < " + args.Add(hi)
		if g.Role != auth.Admin {
			c += " AND ou_path <> " + args.Add(g.OrgPath)
		}
		scopes = append(scopes, c+")")
	}
	if len(scopes) == 0 {
		return page, nil
	}
	where := " WHERE (" + strings.Join(scopes, " OR ") + ")"
	if f.Unit != nil {
		lo, hi := orgunit.SubtreeRange(f.Unit.Path)
		where += " AND ou_path >= " + args.Add(lo) + " AND ou_path < " + args.Add(hi)
	}
	switch f.State {
	case QueueAll:
	case "":
		where += " AND state = " + args.Add(Submitted)
	default:
		where += " AND state = " + args.Add(f.State)
	}
	if f.DataSet != "" {
		where += " AND dataset = " + args.Add(f.DataSet)
	}
	if f.Period != "" {
		where += " AND pe = " + args.Add(f.Period)
	}
	if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM reporting_approval"+where, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("reporting: count queue: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 5000)
	offset := max(f.Offset, 0)
	rows, err := db.R.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM reporting_approval%s ORDER BY updated_at DESC, ou_path, dataset, pe LIMIT %d OFFSET %d",
		apCols, where, limit, offset), args...)
	if err != nil {
		return page, fmt.Errorf("reporting: list queue: %w", err)
	}
	var as []Approval
	for rows.Next() {
		a, err := scanApproval(rows)
		if err != nil {
			rows.Close()
			return page, err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(as) == 0 {
		return page, nil
	}
	// Names of the data sets, the units and their counties and townships.
	sets, err := DataSets(ctx, db)
	if err != nil {
		return page, err
	}
	names := map[string]i18n.Text{}
	for _, d := range sets {
		names[d.Code] = i18n.Text{Zh: d.Name, En: d.DisplayName("en")}
	}
	need := map[string]bool{}
	var codes []string
	want := func(c string) {
		if !need[c] {
			need[c] = true
			codes = append(codes, c)
		}
	}
	for _, a := range as {
		want(a.OrgUnit)
		for _, c := range orgunit.PathCodes(a.OrgPath) {
			if len(c) >= 6 && c != a.OrgUnit {
				want(c)
			}
		}
	}
	us, err := orgunit.GetMany(ctx, db, codes)
	if err != nil {
		return page, err
	}
	units := make(map[string]orgunit.Unit, len(us))
	for _, u := range us {
		units[u.Code] = u
	}
	for _, a := range as {
		u, ok := units[a.OrgUnit]
		if !ok {
			u = orgunit.Unit{Code: a.OrgUnit, Name: a.OrgUnit, Path: a.OrgPath}
		}
		row := QueueRow{Approval: a, DataSetName: names[a.DataSet], Unit: u, Decision: a.State == Submitted}
		if row.DataSetName.Zh == "" {
			row.DataSetName = i18n.Text{Zh: a.DataSet, En: a.DataSet}
		}
		for _, c := range orgunit.PathCodes(a.OrgPath) {
			if anc, ok := units[c]; ok && c != a.OrgUnit && len(c) >= 6 {
				row.Where = append(row.Where, anc)
			}
		}
		page.Rows = append(page.Rows, row)
	}
	return page, nil
}

// MaxBatch is how many reports one batch approval may hold.
const MaxBatch = 500

// Refusal is a report of a batch that was not approved, and why.
type Refusal struct {
	Key         string
	DataSetName i18n.Text
	Unit        orgunit.Unit
	Period      string
	Reason      *i18n.Error
}

// PeriodLabel is the refused report's period as a reader writes it.
func (r Refusal) PeriodLabel(lang string) string {
	p, err := period.Parse(r.Period)
	if err != nil {
		return r.Period
	}
	return p.Label(lang)
}

// BatchResult is what a batch approval did: how many reports it approved
// and the ones it refused, in the order they were named.
type BatchResult struct {
	Approved int
	Refused  []Refusal
}

// ApproveBatch approves the reports named by keys (QueueRow.Key) with one
// comment. Each is checked as a single decision would be: the data set
// and unit must exist, the period must be one of the data set's and the
// report must await a decision. A report that fails a check is refused
// with its reason and the batch goes on with the others, so that one
// report returned meanwhile by another approver does not hold back the
// rest. A unit outside the units p decides on refuses the whole batch
// (ErrOutside) before anything is approved.
func ApproveBatch(ctx context.Context, db *store.DB, p *auth.Principal, actor audit.Actor, keys []string, comment string, now time.Time) (BatchResult, error) {
	var res BatchResult
	if len(keys) == 0 {
		return res, i18n.Errorf("请先勾选要审核通过的报表", "tick the reports to approve first")
	}
	if len(keys) > MaxBatch {
		return res, i18n.Errorf("一次最多审核 %d 份报表", "at most %d reports at once", MaxBatch)
	}
	if err := checkCommentLen(strings.TrimSpace(comment)); err != nil {
		return res, err
	}
	type item struct {
		key    string
		d      DataSet
		u      orgunit.Unit
		pe     string
		reason *i18n.Error
	}
	items := make([]item, 0, len(keys))
	sets := map[string]DataSet{}
	for _, k := range keys {
		it := item{key: k}
		parts := strings.Split(k, "|")
		if len(parts) != 3 {
			it.reason = i18n.Errorf("无法识别的报表 %q", "unknown report %q", k)
			items = append(items, it)
			continue
		}
		it.pe = parts[2]
		it.u = orgunit.Unit{Code: parts[1], Name: parts[1], NameEn: parts[1]}
		d, ok := sets[parts[0]]
		if !ok {
			var err error
			d, err = GetDataSet(ctx, db, parts[0])
			switch {
			case errors.Is(err, store.ErrNotFound):
				it.reason = i18n.Errorf("没有报表“%s”", "there is no data set %s", parts[0])
			case err != nil:
				return res, err
			default:
				sets[parts[0]] = d
			}
		}
		it.d = d
		if it.reason == nil {
			u, err := orgunit.Get(ctx, db, parts[1])
			switch {
			case errors.Is(err, store.ErrNotFound):
				it.reason = i18n.Errorf("没有代码为 %s 的单位", "there is no unit %s", parts[1])
			case err != nil:
				return res, err
			case !Above(p, u, Deciders...):
				return res, ErrOutside
			default:
				it.u = u
			}
		}
		items = append(items, it)
	}
	for _, it := range items {
		if it.reason == nil {
			pe, err := it.d.CheckPeriod(it.pe, now)
			if err == nil {
				err = Decide(ctx, db, actor, it.d, it.u, pe, true, comment)
			}
			if err == nil {
				res.Approved++
				continue
			}
			if !errors.As(err, &it.reason) {
				return res, err
			}
		}
		name := i18n.Text{Zh: it.d.Name, En: it.d.DisplayName("en")}
		if it.d.Code == "" {
			name = i18n.Text{Zh: strings.SplitN(it.key, "|", 2)[0], En: strings.SplitN(it.key, "|", 2)[0]}
		}
		res.Refused = append(res.Refused, Refusal{Key: it.key, DataSetName: name, Unit: it.u, Period: it.pe, Reason: it.reason})
	}
	return res, nil
}

// ErrOutside is returned when the caller acts on a unit outside the
// units it may decide on.
var ErrOutside = fmt.Errorf("reporting: unit outside the caller's units")
