package ecstat

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"zhihui/internal/ecstat/survey"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Estimators.
const (
	HT    = "ht"    // Horvitz–Thompson (expansion)
	Ratio = "ratio" // ratio to the register's revenue
)

// Breakdowns of a result table.
const (
	ByCity    = "city"
	ByCounty  = "county"
	BySection = "section"
	// ByCountySection is every county × industry section: a cell's Code
	// is the county, its Section the industry section.
	ByCountySection = "county_section"
)

// Precision marks (the NBS practice for sample estimates).
const (
	// MinRespondents: a cell with fewer respondents is suppressed.
	MinRespondents = 3
	// FlagCV: a cell with a larger CV is shown with a caution mark.
	FlagCV = 0.15
	// SuppressCV: a cell with a larger CV is suppressed.
	SuppressCV = 0.30
)

// Cell is the estimate for one domain.
type Cell struct {
	Code    string `json:"ou"`
	Section string `json:"section,omitempty"` // by county × section
	Name    string `json:"name"`
	NameEn  string `json:"name_en,omitempty"`
	survey.Estimate
	// Mark is "" (reliable), "caution" (CV above FlagCV), or
	// "suppressed" with Reason "few" or "cv".
	Mark   string `json:"mark,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// CVPercent is the cell's CV in percent.
func (c Cell) CVPercent() float64 { return 100 * c.CV }

// DisplayName is the domain's name in lang.
func (c Cell) DisplayName(lang string) string { return i18n.Text{Zh: c.Name, En: c.NameEn}.In(lang) }

func (c *Cell) mark() {
	switch {
	case c.Respondents < MinRespondents:
		c.Mark, c.Reason = "suppressed", "few"
	case c.CV > SuppressCV:
		c.Mark, c.Reason = "suppressed", "cv"
	case c.CV > FlagCV:
		c.Mark = "caution"
	}
}

// Results are the estimates of one target of a survey.
type Results struct {
	Survey    *Survey `json:"-"`
	Target    Item    `json:"item"`
	Estimator string  `json:"estimator"`
	By        string  `json:"by"`
	// Unit is the unit of the totals: 亿元 for money, 家 (enterprises) for
	// yes/no items.
	Unit        string `json:"unit"`
	Province    Cell   `json:"province"`
	Cells       []Cell `json:"cells"`
	Sampled     int    `json:"sampled"`
	Respondents int    `json:"respondents"`
	Strata      int    `json:"strata"`
	EmptyStrata int    `json:"empty_strata"`
}

type respondent struct {
	id                    int64
	h                     int
	section, city, county string
	revenue               float64 // 亿元
	y                     float64
}

// Breakdowns are the ways a result table is broken down.
var Breakdowns = []string{ByCity, ByCounty, BySection, ByCountySection}

// Estimate computes the estimates of target (an item or a derived target
// of s) for the province and for every city, county or industry section
// (by), with the Horvitz–Thompson or the ratio estimator. Respondents are
// the enterprises that returned their form; the others are non-response,
// handled by reweighting within strata (see package survey). Money is in
// 亿元.
func Estimate(ctx context.Context, db *store.DB, s *Survey, target, by, estimator string) (*Results, error) {
	if by != ByCity && by != ByCounty && by != BySection && by != ByCountySection {
		by = ByCity
	}
	all, err := Estimates(ctx, db, s, target, estimator, by)
	if err != nil {
		return nil, err
	}
	return all[by], nil
}

// Estimates computes [Estimate] for every breakdown in bys (all of
// [Breakdowns] when none is given) from one read of the respondents: the
// sample with the domains and revenue it was drawn with, the returns and
// the target's values, each read once in enterprise order and joined in
// memory, then one pass adding every respondent to its domain of each
// breakdown. Estimates do not depend on how they are asked for: each
// breakdown's cells are what [Estimate] alone gives.
func Estimates(ctx context.Context, db *store.DB, s *Survey, target, estimator string, bys ...string) (map[string]*Results, error) {
	var tgt Item
	found := false
	for _, it := range s.Targets() {
		if it.Code == target {
			tgt, found = it, true
		}
	}
	if !found {
		return nil, i18n.Errorf("调查中没有可推算的项目 %q", "the survey has no item %q to estimate", target).OnField("item")
	}
	if len(bys) == 0 {
		bys = Breakdowns
	}
	for _, by := range bys {
		if !slices.Contains(Breakdowns, by) {
			return nil, fmt.Errorf("ecstat: no breakdown %q", by)
		}
	}
	if estimator != HT {
		estimator = Ratio
	}
	unit := "亿元"
	if tgt.Kind == YesNo {
		unit = "家"
		estimator = HT
	}
	strata, err := loadStrata(ctx, db, s.ID)
	if err != nil {
		return nil, err
	}
	if len(strata) == 0 {
		return nil, i18n.Errorf("本次调查尚未抽样", "this survey has not been drawn yet")
	}
	comps := Components[tgt.Code]
	if comps == nil {
		comps = []string{tgt.Code}
	}
	resp, sampled, err := loadRespondents(ctx, db, s.ID, comps, tgt.Kind == YesNo)
	if err != nil {
		return nil, err
	}
	ests := make([]*survey.Estimator, len(bys))
	for i := range bys {
		ests[i] = survey.NewEstimator(strata)
	}
	for _, r := range resp {
		for i, by := range bys {
			e := ests[i]
			e.Respond(r.h)
			e.Add(orgunit.Root, r.h, r.y, r.revenue)
			e.Add(domainOf(r, by), r.h, r.y, r.revenue)
		}
	}
	out := make(map[string]*Results, len(bys))
	for i, by := range bys {
		est := ests[i]
		res := &Results{Survey: s, Target: tgt, Estimator: estimator, By: by, Unit: unit, Strata: len(strata), Sampled: sampled, Respondents: len(resp)}
		// Register totals of the auxiliary by domain, for the ratio estimator.
		X, err := auxTotals(ctx, db, s, by)
		if err != nil {
			return nil, err
		}
		cell := func(d string) Cell {
			var c Cell
			if estimator == Ratio {
				c.Estimate = est.Ratio(d, X[d])
			} else {
				c.Estimate = est.Total(d)
			}
			c.Code = d
			if by == ByCountySection {
				c.Code, c.Section, _ = strings.Cut(d, "|")
			}
			c.mark()
			return c
		}
		res.Province = cell(orgunit.Root)
		res.Province.Name, res.Province.NameEn = "河南省", "Henan"
		res.EmptyStrata = res.Province.EmptyStrata
		// Every domain of the register appears, with or without respondents.
		for d := range X {
			if d == orgunit.Root {
				continue
			}
			res.Cells = append(res.Cells, cell(d))
		}
		if err := nameCells(ctx, db, res.Cells, by); err != nil {
			return nil, err
		}
		sort.Slice(res.Cells, func(i, j int) bool {
			a, b := res.Cells[i], res.Cells[j]
			return a.Code < b.Code || a.Code == b.Code && a.Section < b.Section
		})
		out[by] = res
	}
	return out, nil
}

// loadStrata reads the strata of survey id's design, by h.
func loadStrata(ctx context.Context, db *store.DB, id int64) ([]survey.Stratum, error) {
	var strata []survey.Stratum
	rows, err := db.R.QueryContext(ctx, `SELECT h, pop, certainty FROM ecstat_stratum WHERE survey_id = $1 ORDER BY h`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: strata: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, pop, c int
		if err := rows.Scan(&h, &pop, &c); err != nil {
			return nil, err
		}
		strata = append(strata, survey.Stratum{N: pop, Certainty: c == 1})
	}
	return strata, rows.Err()
}

// loadRespondents reads survey id's respondents, by enterprise id, each
// with its stratum, the domains and revenue (亿元) it was drawn with, and
// its value of the target: the sum of items over the responses (亿元, or
// a count for yes/no items), 0 when it answered none of them. It returns
// the sample size too. The sample, the returns and the responses are each
// read once, in enterprise order, the responses while the sample is read.
func loadRespondents(ctx context.Context, db *store.DB, id int64, items []string, yesNo bool) ([]respondent, int, error) {
	type valued struct {
		vals map[int64]float64
		err  error
	}
	vc := make(chan valued, 1)
	go func() {
		var args store.Args
		args.Add(id)
		in := store.In(&args, items)
		vals := map[int64]float64{}
		// The responses of the items, item by item in enterprise order (the
		// order of ecstat_response_item): an enterprise's items are summed
		// in the items' order.
		rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id, amount FROM ecstat_response WHERE survey_id = $1 AND item IN (`+in+`)
			ORDER BY item, enterprise_id`, args...)
		if err != nil {
			vc <- valued{err: fmt.Errorf("ecstat: responses: %w", err)}
			return
		}
		defer rows.Close()
		for rows.Next() {
			var eid int64
			var amt sql.NullInt64
			if err := rows.Scan(&eid, &amt); err != nil {
				vc <- valued{err: err}
				return
			}
			if yesNo {
				vals[eid] += float64(amt.Int64)
			} else {
				vals[eid] += float64(amt.Int64) / 1e6 // hundredths of 万元 → 亿元
			}
		}
		vc <- valued{vals: vals, err: rows.Err()}
	}()
	returned, err := returnedIDs(ctx, db, id)
	if err != nil {
		<-vc
		return nil, 0, err
	}
	resp, sampled, err := sampledRespondents(ctx, db, id, returned)
	v := <-vc
	if err == nil {
		err = v.err
	}
	if err != nil {
		return nil, 0, err
	}
	for i := range resp {
		resp[i].y = v.vals[resp[i].id]
	}
	return resp, sampled, nil
}

// returnedIDs are the enterprises that returned survey id's form, by id.
func returnedIDs(ctx context.Context, db *store.DB, id int64) ([]int64, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id FROM ecstat_return WHERE survey_id = $1 ORDER BY enterprise_id`, id)
	if err != nil {
		return nil, fmt.Errorf("ecstat: returns: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var e int64
		if err := rows.Scan(&e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// sampledRespondents reads survey id's sample by enterprise id and keeps
// the enterprises in returned (sorted), merging the two lists; it returns
// the sample's size too.
func sampledRespondents(ctx context.Context, db *store.DB, id int64, returned []int64) ([]respondent, int, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT enterprise_id, h, section, city_code, org_code, revenue FROM ecstat_sample WHERE survey_id = $1 ORDER BY enterprise_id`, id)
	if err != nil {
		return nil, 0, fmt.Errorf("ecstat: respondents: %w", err)
	}
	defer rows.Close()
	out := make([]respondent, 0, len(returned))
	intern := map[string]string{}
	in := func(b []byte) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		intern[s] = s
		return s
	}
	var sec, city, county sql.RawBytes
	sampled, next := 0, 0
	for rows.Next() {
		var r respondent
		var rev int64
		if err := rows.Scan(&r.id, &r.h, &sec, &city, &county, &rev); err != nil {
			return nil, 0, err
		}
		sampled++
		for next < len(returned) && returned[next] < r.id {
			next++
		}
		if next == len(returned) || returned[next] != r.id {
			continue
		}
		r.section, r.city, r.county = in(sec), in(city), in(county)
		r.revenue = float64(rev) / 1e6
		out = append(out, r)
	}
	return out, sampled, rows.Err()
}

func domainOf(r respondent, by string) string {
	switch by {
	case ByCounty:
		return r.county
	case BySection:
		return r.section
	case ByCountySection:
		return r.county + "|" + r.section
	}
	return r.city
}

// auxTotals are the register totals of the auxiliary (revenue, 亿元) by
// domain and for the province: from the frame totals stored with the
// draw (the frame the sample was drawn from), or, for a survey drawn
// before they were stored, from the register of the survey's year.
func auxTotals(ctx context.Context, db *store.DB, s *Survey, by string) (map[string]float64, error) {
	key := "city_code"
	switch by {
	case ByCounty:
		key = "org_code"
	case BySection:
		key = "section"
	case ByCountySection:
		key = "org_code, section"
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+key+`, SUM(revenue) FROM ecstat_frame_total WHERE survey_id = $1 GROUP BY `+key, s.ID)
	if err != nil {
		return nil, fmt.Errorf("ecstat: frame totals: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var d, sec string
		var v int64
		dst := []any{&d, &v}
		if by == ByCountySection {
			dst = []any{&d, &sec, &v}
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		if by == ByCountySection {
			d += "|" + sec
		}
		out[d] = float64(v) / 1e6
		out[orgunit.Root] += float64(v) / 1e6
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) > 0 {
		return out, nil
	}
	return registerTotals(ctx, db, s.Year, by)
}

// registerTotals sums the register's revenue (亿元) of the enterprises
// active in year by domain, and for the province under orgunit.Root.
func registerTotals(ctx context.Context, db *store.DB, year int, by string) (map[string]float64, error) {
	col := "city_code"
	switch by {
	case ByCounty:
		col = "org_code"
	case BySection:
		col = "section"
	case ByCountySection:
		col = "org_code || '|' || section"
	}
	rows, err := db.R.QueryContext(ctx, `SELECT `+col+`, SUM(revenue) FROM ecstat_enterprise
		WHERE born_year <= $1 AND (closed_year = 0 OR closed_year > $1) GROUP BY `+col, year)
	if err != nil {
		return nil, fmt.Errorf("ecstat: register totals: %w", err)
	}
	defer rows.Close()
	out := map[string]float64{}
	for rows.Next() {
		var d string
		var s int64
		if err := rows.Scan(&d, &s); err != nil {
			return nil, err
		}
		out[d] = float64(s) / 1e6
		out[orgunit.Root] += float64(s) / 1e6
	}
	return out, rows.Err()
}

func nameCells(ctx context.Context, db *store.DB, cells []Cell, by string) error {
	if by == ByCountySection {
		if err := nameCells(ctx, db, cells, ByCounty); err != nil {
			return err
		}
		for i := range cells {
			if s, ok := SectionOf(cells[i].Section); ok {
				cells[i].Name += " · " + s.Code + " " + s.Name
				cells[i].NameEn += " · " + s.Code + " " + s.NameEn
			}
		}
		return nil
	}
	if by == BySection {
		for i := range cells {
			if s, ok := SectionOf(cells[i].Code); ok {
				cells[i].Name, cells[i].NameEn = s.Code+" "+s.Name, s.Code+" "+s.NameEn
			}
		}
		return nil
	}
	codes := make([]string, len(cells))
	for i, c := range cells {
		codes[i] = c.Code
	}
	units, err := orgunit.GetMany(ctx, db, uniq(codes))
	if err != nil {
		return err
	}
	names := map[string]orgunit.Unit{}
	var cities []string
	for _, u := range units {
		names[u.Code] = u
		if pc := orgunit.PathCodes(u.Path); by == ByCounty && len(pc) > 1 {
			cities = append(cities, pc[1])
		}
	}
	if len(cities) > 0 {
		cs, err := orgunit.GetMany(ctx, db, uniq(cities))
		if err != nil {
			return err
		}
		for _, c := range cs {
			names[c.Code] = c
		}
	}
	for i := range cells {
		u := names[cells[i].Code]
		cells[i].Name, cells[i].NameEn = u.Name, u.NameEn
		if by == ByCounty {
			if pc := orgunit.PathCodes(u.Path); len(pc) > 1 {
				if c, ok := names[pc[1]]; ok {
					cells[i].Name = c.Name + " " + u.Name
				}
			}
		}
	}
	return nil
}

func uniq(codes []string) []string {
	seen := make(map[string]bool, len(codes))
	out := codes[:0:0]
	for _, c := range codes {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// Cell returns the cell of domain code, if any.
func (r *Results) Cell(code string) (Cell, bool) {
	if code == orgunit.Root {
		return r.Province, true
	}
	for _, c := range r.Cells {
		if c.Code == code {
			return c, true
		}
	}
	return Cell{}, false
}

// Filter keeps the cells within scopes (org domains only).
func (r *Results) Filter(ctx context.Context, db *store.DB, scopes []string) error {
	if r.By == BySection {
		return nil
	}
	codes := make([]string, len(r.Cells))
	for i, c := range r.Cells {
		codes[i] = c.Code
	}
	units, err := orgunit.GetMany(ctx, db, uniq(codes))
	if err != nil {
		return err
	}
	paths := map[string]string{}
	for _, u := range units {
		paths[u.Code] = u.Path
	}
	kept := r.Cells[:0]
	for _, c := range r.Cells {
		if inScopes(paths[c.Code], scopes) {
			kept = append(kept, c)
		}
	}
	r.Cells = kept
	return nil
}
