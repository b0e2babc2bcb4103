package project

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// O&M budgets (运维经费预算管理, §7.1): each year the owner unit asks for
// the operation and maintenance money of each information system it runs.
// A request is checked against the system catalogue — the system must be
// in it and belong to the unit; its recorded annual O&M cost — and against
// last year's actual spending; outliers are flagged with their reason and
// never refused for it. The office approves a request or cuts it with a
// reason. Every request, review and threshold change is audited.

// PortfolioSchema owns the O&M requests and the publication choices of
// the portfolio. It migrates after Schema, whose systems it marks retired.
var PortfolioSchema = store.Schema{Component: "portfolio", Migrations: []store.Migration{{Version: 1, SQL: `
CREATE TABLE portfolio_om (
	id {{ID}},
	system_id BIGINT NOT NULL REFERENCES project_system (id),
	system_name TEXT NOT NULL,
	owner_code TEXT NOT NULL,
	owner_path TEXT {{C}} NOT NULL,
	owner_name TEXT NOT NULL,
	year INTEGER NOT NULL,
	{{EXACT amount}},
	last_actual BIGINT,
	last_source TEXT NOT NULL,
	catalogue_cost BIGINT NOT NULL,
	investment BIGINT NOT NULL,
	basis TEXT NOT NULL,
	flags TEXT NOT NULL,
	flagged INTEGER NOT NULL,
	status TEXT NOT NULL,
	approved BIGINT,
	review_reason TEXT NOT NULL,
	reviewed_by TEXT NOT NULL,
	reviewed_at {{TS}},
	actor_name TEXT NOT NULL,
	demo INTEGER NOT NULL,
	created_at {{TS}} NOT NULL
);
CREATE INDEX portfolio_om_owner ON portfolio_om (owner_path);
CREATE INDEX portfolio_om_system ON portfolio_om (system_id, year);
CREATE TABLE portfolio_publish (
	project_id BIGINT PRIMARY KEY REFERENCES project_project (id),
	actor_name TEXT NOT NULL,
	at {{TS}} NOT NULL
);
ALTER TABLE project_system ADD COLUMN retired_year INTEGER NOT NULL DEFAULT 0;
`}}}

// States of an O&M request.
const (
	OMSubmitted = "submitted"
	OMApproved  = "approved"
	OMCut       = "cut"
)

// OMStates are the states of an O&M request, in order.
var OMStates = []string{OMSubmitted, OMApproved, OMCut}

// Flag is one reason an O&M request stands out, in both languages.
type Flag struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// In is the flag's text in lang.
func (f Flag) In(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return f.En
	}
	return f.Zh
}

// Codes of the flags.
const (
	FlagOverLastYear   = "over_last_year"
	FlagOverCatalogue  = "over_catalogue"
	FlagOverInvestment = "over_investment"
	FlagRetired        = "retired"
	FlagDuplicate      = "duplicate"
	FlagNoLastYear     = "no_last_year"
)

// FlagCodes are the flag codes, for the list's filter.
var FlagCodes = []string{FlagOverLastYear, FlagOverCatalogue, FlagOverInvestment, FlagRetired, FlagDuplicate, FlagNoLastYear}

// OMThresholds are the office's settings for flagging: a request more than
// OverLastYear percent above last year's actual spending, more than
// OverCatalogue percent above the catalogue's annual O&M cost, or more
// than InvestmentShare percent of the system's construction investment.
type OMThresholds struct {
	OverLastYear    int `json:"over_last_year"`
	OverCatalogue   int `json:"over_catalogue"`
	InvestmentShare int `json:"investment_share"`
}

// DefaultOMThresholds are used until the office sets its own.
var DefaultOMThresholds = OMThresholds{OverLastYear: 10, OverCatalogue: OMTolerance, InvestmentShare: 15}

// OMRequest is one annual O&M request for one system.
type OMRequest struct {
	ID            int64      `json:"id"`
	SystemID      int64      `json:"system_id"`
	SystemName    string     `json:"system_name"`
	Owner         string     `json:"owner"`
	OwnerPath     string     `json:"-"`
	OwnerName     string     `json:"owner_name"`
	Year          int        `json:"year"`
	Amount        Money      `json:"amount"`
	LastActual    *Money     `json:"last_actual"`
	LastSource    string     `json:"last_source"` // "entered", "approved" (last year's approved request) or ""
	CatalogueCost Money      `json:"catalogue_cost"`
	Investment    Money      `json:"investment"`
	Basis         string     `json:"basis"`
	Flags         []Flag     `json:"flags"`
	Status        string     `json:"status"`
	Approved      *Money     `json:"approved"`
	ReviewReason  string     `json:"review_reason"`
	ReviewedBy    string     `json:"reviewed_by"`
	ReviewedAt    *time.Time `json:"reviewed_at"`
	ActorName     string     `json:"actor"`
	Demo          bool       `json:"demo,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Flagged reports whether the request stands out.
func (r *OMRequest) Flagged() bool { return len(r.Flags) > 0 }

// NewOM is what an owner unit enters: the system (by id), the year, the
// amount asked, last year's actual spending when known (nil: taken from
// last year's approved request) and the basis of the estimate.
type NewOM struct {
	SystemID   int64
	Year       int
	Amount     Money
	LastActual *Money
	Basis      string
	Demo       bool
}

// OMThresholds returns the office's O&M thresholds, or the defaults.
func (s *Service) OMThresholds(ctx context.Context) (OMThresholds, error) {
	th := DefaultOMThresholds
	var body string
	err := s.DB.R.QueryRowContext(ctx, `SELECT value FROM project_setting WHERE name = 'om_thresholds'`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return th, nil
	}
	if err != nil {
		return th, fmt.Errorf("project: om thresholds: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &th); err != nil {
		return DefaultOMThresholds, nil
	}
	return th, nil
}

// SetOMThresholds stores the office's O&M thresholds, audited.
func (s *Service) SetOMThresholds(ctx context.Context, a audit.Actor, th OMThresholds) error {
	if th.OverLastYear < 0 || th.OverLastYear > 500 {
		return i18n.Errorf("较上年实际支出的增幅阈值应在 0–500（%%）之间", "the threshold above last year's spending must be 0–500 (%%)").OnField("over_last_year")
	}
	if th.OverCatalogue < 0 || th.OverCatalogue > 500 {
		return i18n.Errorf("较目录登记运维费的增幅阈值应在 0–500（%%）之间", "the threshold above the catalogue's O&M cost must be 0–500 (%%)").OnField("over_catalogue")
	}
	if th.InvestmentShare < 1 || th.InvestmentShare > 100 {
		return i18n.Errorf("占建设投资比例阈值应在 1–100（%%）之间", "the share of the construction investment must be 1–100 (%%)").OnField("investment_share")
	}
	before, err := s.OMThresholds(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(th)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_setting WHERE name = 'om_thresholds'`); err != nil {
			return fmt.Errorf("project: om thresholds: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_setting (name, value) VALUES ('om_thresholds', $1)`, string(body)); err != nil {
			return fmt.Errorf("project: om thresholds: %w", err)
		}
		return audit.Record(ctx, tx, a, "om_thresholds", "project_setting", "om_thresholds", "/41/", before, th)
	})
}

// omSystem is what a check needs of a catalogue system.
type omSystem struct {
	ID          int64
	Name        string
	Owner       string
	OwnerPath   string
	OwnerName   string
	OMCost      Money
	RetiredYear int
}

func (s *Service) omSystem(ctx context.Context, q querier, id int64) (*omSystem, error) {
	var y omSystem
	var cost int64
	err := q.QueryRowContext(ctx, `SELECT id, name, owner_code, owner_path, owner_name, om_cost, retired_year FROM project_system WHERE id = $1`, id).
		Scan(&y.ID, &y.Name, &y.Owner, &y.OwnerPath, &y.OwnerName, &cost, &y.RetiredYear)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, i18n.Errorf("信息系统目录中没有编号为 %d 的系统", "the system catalogue has no system %d", id).OnField("system")
	}
	if err != nil {
		return nil, fmt.Errorf("project: om system: %w", err)
	}
	y.OMCost = Money(cost)
	return &y, nil
}

// Investment is the construction investment in system id: the sum over
// the new and upgrade projects linked to it of their final account, else
// budget estimate, else estimate.
func (s *Service) Investment(ctx context.Context, q querier, id int64) (Money, error) {
	m, err := s.investments(ctx, q, []int64{id})
	return m[id], err
}

// investments is Investment for several systems at once.
func (s *Service) investments(ctx context.Context, q querier, ids []int64) (map[int64]Money, error) {
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	out := map[int64]Money{}
	rows, err := q.QueryContext(ctx, `SELECT systems, estimate, budget, final_account FROM project_project WHERE category <> 'om' AND systems <> ''`)
	if err != nil {
		return nil, fmt.Errorf("project: investment: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var systems string
		var est int64
		var budget, final sql.NullInt64
		if err := rows.Scan(&systems, &est, &budget, &final); err != nil {
			return nil, fmt.Errorf("project: investment: %w", err)
		}
		amt := Money(est)
		if final.Valid {
			amt = Money(final.Int64)
		} else if budget.Valid {
			amt = Money(budget.Int64)
		}
		for _, sid := range splitIDs(systems) {
			if want[sid] {
				out[sid] += amt
			}
		}
	}
	return out, rows.Err()
}

// lastYear is last year's actual spending on system id: entered (the
// request's own figure) or, failing that, last year's approved request.
func lastYear(ctx context.Context, q querier, systemID int64, year int, entered *Money) (*Money, string, error) {
	if entered != nil {
		return entered, "entered", nil
	}
	var amt sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT approved FROM portfolio_om WHERE system_id = $1 AND year = $2 AND status <> $3 AND approved IS NOT NULL
		ORDER BY id DESC LIMIT 1`, systemID, year-1, OMSubmitted).Scan(&amt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("project: om last year: %w", err)
	}
	m := Money(amt.Int64)
	return &m, "approved", nil
}

// OMFlags are the reasons request n (for system y, with last year's
// spending last from source, the system's construction investment inv and
// dup earlier requests for the same system and year) stands out under th.
// It never refuses.
func OMFlags(n NewOM, y *omSystem, last *Money, source string, inv Money, dup int, th OMThresholds) []Flag {
	var out []Flag
	if y.RetiredYear != 0 && y.RetiredYear <= n.Year {
		out = append(out, Flag{FlagRetired,
			fmt.Sprintf("系统已于 %d 年停用（目录登记），仍申请运维经费", y.RetiredYear),
			fmt.Sprintf("the system was retired in %d (catalogue) and still asks for O&M money", y.RetiredYear)})
	}
	if dup > 0 {
		out = append(out, Flag{FlagDuplicate,
			fmt.Sprintf("该系统 %d 年度已有 %d 份运维申请，属重复申请", n.Year, dup),
			fmt.Sprintf("the system already has %d O&M request(s) for %d: a duplicate request", dup, n.Year)})
	}
	what := map[string][2]string{"entered": {"上年实际支出", "last year's actual spending"}, "approved": {"上年核定金额", "last year's approved amount"}}[source]
	switch {
	case last == nil:
		out = append(out, Flag{FlagNoLastYear, "无上年实际支出可供核对（未填写，且上年无批复的申请）",
			"no spending of last year to compare with (not entered, and no approved request last year)"})
	case *last == 0 && n.Amount > 0, *last > 0 && n.Amount.ExceedsBy(*last, int64(th.OverLastYear)):
		out = append(out, Flag{FlagOverLastYear,
			fmt.Sprintf("申请 %s 万元，比%s %s 万元高出 %s%%（超过 %d%% 即提示）", n.Amount.Wan(), what[0], last.Wan(), n.Amount.PercentOver(*last), th.OverLastYear),
			fmt.Sprintf("asks %s, %s%% above %s of %s (flagged above %d%%)", n.Amount.Wan(), n.Amount.PercentOver(*last), what[1], last.Wan(), th.OverLastYear)})
	}
	if (y.OMCost == 0 && n.Amount > 0) || (y.OMCost > 0 && n.Amount.ExceedsBy(y.OMCost, int64(th.OverCatalogue))) {
		out = append(out, Flag{FlagOverCatalogue,
			fmt.Sprintf("申请 %s 万元，比目录登记的年度运维费 %s 万元高出 %s%%（超过 %d%% 即提示）", n.Amount.Wan(), y.OMCost.Wan(), n.Amount.PercentOver(y.OMCost), th.OverCatalogue),
			fmt.Sprintf("asks %s, %s%% above the catalogue's annual O&M cost of %s (flagged above %d%%)", n.Amount.Wan(), n.Amount.PercentOver(y.OMCost), y.OMCost.Wan(), th.OverCatalogue)})
	}
	// amount·100 > investment·share
	if inv > 0 && int64(n.Amount)*100 > int64(inv)*int64(th.InvestmentShare) {
		out = append(out, Flag{FlagOverInvestment,
			fmt.Sprintf("申请 %s 万元，超过系统建设投资 %s 万元的 %d%%", n.Amount.Wan(), inv.Wan(), th.InvestmentShare),
			fmt.Sprintf("asks %s, more than %d%% of the system's construction investment of %s", n.Amount.Wan(), th.InvestmentShare, inv.Wan())})
	}
	return out
}

func (s *Service) checkOM(n *NewOM) error {
	var err error
	if n.Year == 0 {
		n.Year = s.Now().In(shanghai).Year() + 1
	}
	if n.Year < 2013 || n.Year > 2100 {
		return i18n.Errorf("年度应在 2013 至 2100 之间：%d", "the year must be between 2013 and 2100: %d", n.Year).OnField("year")
	}
	if n.Amount <= 0 {
		return i18n.Errorf("申请金额应大于 0（万元）", "the amount asked must be more than 0 (10,000 yuan)").OnField("amount")
	}
	if n.LastActual != nil && *n.LastActual < 0 {
		return i18n.Errorf("上年实际支出不能为负数", "last year's spending cannot be negative").OnField("last_actual")
	}
	if n.Basis, err = limitText(n.Basis, 2000, "basis", "测算依据", "basis"); err != nil {
		return err
	}
	return nil
}

// SubmitOM stores an O&M request of the owner unit of its system, which
// must lie in scopes, with its flags, and returns its id.
func (s *Service) SubmitOM(ctx context.Context, a audit.Actor, scopes []string, n NewOM) (int64, error) {
	ids, err := s.SubmitOMs(ctx, a, scopes, []NewOM{n})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// SubmitOMs stores every request of ns in one transaction, all or none;
// an error names the 1-based position of the request it is about when
// there are several.
func (s *Service) SubmitOMs(ctx context.Context, a audit.Actor, scopes []string, ns []NewOM) ([]int64, error) {
	var rows []int
	if len(ns) > 1 {
		for i := range ns {
			rows = append(rows, i+1)
		}
	}
	return s.submitOMs(ctx, a, scopes, ns, rows, nil)
}

// submitOMs is SubmitOMs whose errors name rows[i] for ns[i] (none when
// rows is nil). With preview non-nil nothing is written: the requests are
// checked and flagged exactly as storing them would (by omRequests, the
// same function storing them uses) and put in *preview without ids. A
// preview inserts nothing and rolls nothing back, so it consumes no ids
// of the requests, the audit log or anything else: the ids the real
// import then gets follow the last stored ones without a gap, on
// PostgreSQL too, whose sequences a rolled-back insert would advance.
func (s *Service) submitOMs(ctx context.Context, a audit.Actor, scopes []string, ns []NewOM, rows []int, preview *[]*OMRequest) ([]int64, error) {
	th, err := s.OMThresholds(ctx)
	if err != nil {
		return nil, err
	}
	at := func(err error, i int) error {
		if rows != nil {
			return atRow(err, rows[i])
		}
		return err
	}
	for i := range ns {
		if err := s.checkOM(&ns[i]); err != nil {
			return nil, at(err, i)
		}
	}
	if preview != nil {
		rs, err := s.omRequests(ctx, s.DB.R, a, scopes, ns, at, th)
		if err != nil {
			return nil, err
		}
		*preview = append(*preview, rs...)
		return nil, nil
	}
	var ids []int64
	err = s.writeTx(ctx, func(tx *store.Tx) error {
		rs, err := s.omRequests(ctx, tx, a, scopes, ns, at, th)
		if err != nil {
			return err
		}
		for _, r := range rs {
			fj, _ := json.Marshal(r.Flags)
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO portfolio_om (system_id, system_name, owner_code, owner_path, owner_name, year, amount, last_actual,
				last_source, catalogue_cost, investment, basis, flags, flagged, status, review_reason, reviewed_by, actor_name, demo, created_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,'','',$16,$17,$18) RETURNING id`,
				r.SystemID, r.SystemName, r.Owner, r.OwnerPath, r.OwnerName, r.Year, int64(r.Amount), nullMoney(r.LastActual), r.LastSource,
				int64(r.CatalogueCost), int64(r.Investment), r.Basis, string(fj), b2i(r.Flagged()), r.Status, r.ActorName, b2i(r.Demo), r.CreatedAt).Scan(&id); err != nil {
				return fmt.Errorf("project: om: %w", err)
			}
			codes := make([]string, len(r.Flags))
			for k, f := range r.Flags {
				codes[k] = f.Code
			}
			if err := audit.Record(ctx, tx, a, "create", "portfolio_om", strconv.FormatInt(id, 10), r.OwnerPath, nil, map[string]any{
				"system": r.SystemID, "year": r.Year, "amount": r.Amount.Wan(), "last_actual": r.LastActual, "flags": codes}); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

// omRequests checks requests ns (already checked by checkOM) against the
// catalogue and the stored requests read through q, and returns them as
// they would be stored, flagged, without ids. A request for the same
// system and year as an earlier one of ns is a duplicate of it, as it is
// of a stored one.
func (s *Service) omRequests(ctx context.Context, q querier, a audit.Actor, scopes []string, ns []NewOM, at func(error, int) error, th OMThresholds) ([]*OMRequest, error) {
	sysIDs := make([]int64, len(ns))
	for i, n := range ns {
		sysIDs[i] = n.SystemID
	}
	invs, err := s.investments(ctx, q, sysIDs)
	if err != nil {
		return nil, err
	}
	type key struct {
		system int64
		year   int
	}
	earlier := map[key]int{}
	now := s.now()
	out := make([]*OMRequest, 0, len(ns))
	for i, n := range ns {
		y, err := s.omSystem(ctx, q, n.SystemID)
		if err != nil {
			return nil, at(err, i)
		}
		if !covered(y.OwnerPath, scopes) {
			return nil, ErrOutside
		}
		last, source, err := lastYear(ctx, q, y.ID, n.Year, n.LastActual)
		if err != nil {
			return nil, err
		}
		var dup int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_om WHERE system_id = $1 AND year = $2`, y.ID, n.Year).Scan(&dup); err != nil {
			return nil, fmt.Errorf("project: om: %w", err)
		}
		k := key{y.ID, n.Year}
		dup += earlier[k]
		earlier[k]++
		flags := OMFlags(n, y, last, source, invs[y.ID], dup, th)
		if flags == nil {
			flags = []Flag{}
		}
		out = append(out, &OMRequest{SystemID: y.ID, SystemName: y.Name, Owner: y.Owner, OwnerPath: y.OwnerPath, OwnerName: y.OwnerName,
			Year: n.Year, Amount: n.Amount, LastActual: last, LastSource: source, CatalogueCost: y.OMCost, Investment: invs[y.ID],
			Basis: n.Basis, Flags: flags, Status: OMSubmitted, ActorName: a.Name, Demo: n.Demo, CreatedAt: now})
	}
	return out, nil
}

// Review decisions on an O&M request.
const (
	OMApprove = "approve"
	OMCutDown = "cut"
)

// ReviewOM records the office's decision on request id in scopes: approve
// it as asked, or cut it to amount (less than asked) with a reason.
func (s *Service) ReviewOM(ctx context.Context, a audit.Actor, scopes []string, id int64, decision string, amount *Money, reason string) error {
	reason, err := limitText(reason, 2000, "reason", "核减理由", "reason")
	if err != nil {
		return err
	}
	return s.writeTx(ctx, func(tx *store.Tx) error {
		r, err := s.getOM(ctx, tx, id)
		if err != nil {
			return err
		}
		if !covered(r.OwnerPath, scopes) {
			return ErrOutside
		}
		if r.Status != OMSubmitted {
			return i18n.Errorf("该申请已审核（%[1]s）", "the request has been reviewed already (%[2]s)", omStatusZh[r.Status], r.Status)
		}
		status, approved := OMApproved, r.Amount
		switch decision {
		case OMApprove:
		case OMCutDown:
			if amount == nil {
				return i18n.Errorf("请填写核定金额（万元）", "enter the amount granted (10,000 yuan)").OnField("approved")
			}
			if *amount < 0 || *amount >= r.Amount {
				return i18n.Errorf("核定金额应不少于 0 且少于申请的 %s 万元", "the amount granted must be at least 0 and less than the %s asked", r.Amount.Wan()).OnField("approved")
			}
			if reason == "" {
				return i18n.Errorf("核减须说明理由", "a cut needs a reason").OnField("reason")
			}
			status, approved = OMCut, *amount
		default:
			return i18n.Errorf("请选择核定或核减", "choose approve or cut").OnField("decision")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE portfolio_om SET status = $1, approved = $2, review_reason = $3, reviewed_by = $4, reviewed_at = $5 WHERE id = $6`,
			status, int64(approved), reason, a.Name, s.now(), id); err != nil {
			return fmt.Errorf("project: om review: %w", err)
		}
		return audit.Record(ctx, tx, a, "review", "portfolio_om", strconv.FormatInt(id, 10), r.OwnerPath,
			map[string]any{"status": r.Status, "amount": r.Amount.Wan()}, map[string]any{"status": status, "approved": approved.Wan(), "reason": reason})
	})
}

var omStatusZh = map[string]string{OMSubmitted: "待审核", OMApproved: "已核定", OMCut: "已核减"}

const omCols = `id, system_id, system_name, owner_code, owner_path, owner_name, year, amount, last_actual, last_source, catalogue_cost, investment,
	basis, flags, status, approved, review_reason, reviewed_by, reviewed_at, actor_name, demo, created_at`

func scanOM(sc interface{ Scan(...any) error }) (*OMRequest, error) {
	var r OMRequest
	var amt, cat, inv int64
	var last, appr sql.NullInt64
	var flags string
	var at sql.NullTime
	var demo int
	if err := sc.Scan(&r.ID, &r.SystemID, &r.SystemName, &r.Owner, &r.OwnerPath, &r.OwnerName, &r.Year, &amt, &last, &r.LastSource, &cat, &inv,
		&r.Basis, &flags, &r.Status, &appr, &r.ReviewReason, &r.ReviewedBy, &at, &r.ActorName, &demo, &r.CreatedAt); err != nil {
		return nil, err
	}
	r.Amount, r.CatalogueCost, r.Investment = Money(amt), Money(cat), Money(inv)
	r.LastActual, r.Approved = moneyPtr(last), moneyPtr(appr)
	if at.Valid {
		t := at.Time
		r.ReviewedAt = &t
	}
	r.Demo = demo == 1
	r.Flags = []Flag{}
	if err := json.Unmarshal([]byte(flags), &r.Flags); err != nil {
		return nil, fmt.Errorf("project: om flags: %w", err)
	}
	return &r, nil
}

func (s *Service) getOM(ctx context.Context, q querier, id int64) (*OMRequest, error) {
	r, err := scanOM(q.QueryRowContext(ctx, `SELECT `+omCols+` FROM portfolio_om WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("project: om %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("project: om: %w", err)
	}
	return r, nil
}

// GetOM returns request id if it lies in scopes.
func (s *Service) GetOM(ctx context.Context, scopes []string, id int64) (*OMRequest, error) {
	r, err := s.getOM(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !covered(r.OwnerPath, scopes) {
		return nil, ErrOutside
	}
	return r, nil
}

// OMFilter selects O&M requests for a list.
type OMFilter struct {
	Scopes  []string
	Unit    string // owner unit code: its subtree
	Year    int
	Status  string
	Flag    string // a flag code; "any": flagged ones
	Q       string // words of the system or unit name
	Page    int
	PerPage int
}

// OMTotals are the sums of a list.
type OMTotals struct {
	Count    int
	Flagged  int
	Amount   Money
	Approved Money
}

// ListOM returns one page of the requests f selects, newest year first,
// with the totals of all of them.
func (s *Service) ListOM(ctx context.Context, f OMFilter) ([]*OMRequest, OMTotals, error) {
	var tot OMTotals
	if len(f.Scopes) == 0 {
		return nil, tot, ErrOutside
	}
	var args store.Args
	var sc []string
	for _, p := range f.Scopes {
		sc = append(sc, "owner_path LIKE "+args.Add(p+"%"))
	}
	conds := []string{"(" + strings.Join(sc, " OR ") + ")"}
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			return nil, tot, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", f.Unit).OnField("unit")
		}
		conds = append(conds, "owner_path LIKE "+args.Add(u.Path+"%"))
	}
	if f.Year != 0 {
		conds = append(conds, "year = "+args.Add(f.Year))
	}
	if f.Status != "" {
		conds = append(conds, "status = "+args.Add(f.Status))
	}
	switch {
	case f.Flag == "any":
		conds = append(conds, "flagged = 1")
	case slices.Contains(FlagCodes, f.Flag):
		conds = append(conds, "flags LIKE "+args.Add(`%"code":"`+f.Flag+`"%`))
	case f.Flag != "":
		return nil, tot, i18n.Errorf("未知的提示类型 %q", "unknown kind of flag %q", f.Flag).OnField("flag")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(q) + "%"
		conds = append(conds, "(system_name LIKE "+args.Add(like)+" OR owner_name LIKE "+args.Add(like)+")")
	}
	w := " WHERE " + strings.Join(conds, " AND ")
	var amt, appr sql.NullInt64
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(flagged), 0), SUM(amount), SUM(approved) FROM portfolio_om`+w, args...).
		Scan(&tot.Count, &tot.Flagged, &amt, &appr); err != nil {
		return nil, tot, fmt.Errorf("project: om list: %w", err)
	}
	tot.Amount, tot.Approved = Money(amt.Int64), Money(appr.Int64)
	per := f.PerPage
	if per <= 0 {
		per = 50
	}
	per = min(per, MaxExport)
	page := max(f.Page, 1)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+omCols+` FROM portfolio_om`+w+` ORDER BY year DESC, flagged DESC, id DESC LIMIT `+strconv.Itoa(per)+
		` OFFSET `+strconv.Itoa((page-1)*per), args...)
	if err != nil {
		return nil, tot, fmt.Errorf("project: om list: %w", err)
	}
	defer rows.Close()
	var out []*OMRequest
	for rows.Next() {
		r, err := scanOM(rows)
		if err != nil {
			return nil, tot, fmt.Errorf("project: om list: %w", err)
		}
		out = append(out, r)
	}
	return out, tot, rows.Err()
}

// RetireSystem records that system id in scopes stops running in year
// (0: it runs again), audited.
func (s *Service) RetireSystem(ctx context.Context, a audit.Actor, scopes []string, id int64, year int) error {
	if year != 0 && (year < 2000 || year > 2100) {
		return i18n.Errorf("停用年度应在 2000 至 2100 之间：%d", "the year of retirement must be between 2000 and 2100: %d", year).OnField("retired_year")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		y, err := s.omSystem(ctx, tx, id)
		if err != nil {
			var ue *i18n.Error
			if errors.As(err, &ue) {
				return fmt.Errorf("project: system %d: %w", id, store.ErrNotFound)
			}
			return err
		}
		if !covered(y.OwnerPath, scopes) {
			return ErrOutside
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_system SET retired_year = $1 WHERE id = $2`, year, id); err != nil {
			return fmt.Errorf("project: retire: %w", err)
		}
		return audit.Record(ctx, tx, a, "retire", "project_system", strconv.FormatInt(id, 10), y.OwnerPath,
			map[string]any{"retired_year": y.RetiredYear}, map[string]any{"retired_year": year})
	})
}
