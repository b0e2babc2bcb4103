package project

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// The portfolio dashboard (项目总览): counts and amounts of the projects
// of the caller's units by stage, unit, level, category and year, the
// supervision lights, the trend over the years and the O&M requests; and
// the public page of the projects the office chooses to publish.

// Bucket is the count and the amounts of a group of projects.
type Bucket struct {
	Key      string `json:"key"`
	Name     string `json:"name,omitempty"`
	Count    int    `json:"count"`
	Estimate Money  `json:"estimate"`
	Budget   Money  `json:"budget"`
	Final    Money  `json:"final_account"`
}

func (b *Bucket) add(o Bucket) {
	b.Count += o.Count
	b.Estimate += o.Estimate
	b.Budget += o.Budget
	b.Final += o.Final
}

// Lights counts the projects by supervision light.
type Lights struct {
	Red   int `json:"red"`
	Amber int `json:"amber"`
	Green int `json:"green"`
	None  int `json:"none"`
}

// WatchRow is a red or amber project on the dashboard.
type WatchRow struct {
	ID       int64    `json:"id"`
	Number   string   `json:"number"`
	Name     string   `json:"name"`
	Owner    string   `json:"owner_name"`
	Risk     int      `json:"risk"`
	Variance Variance `json:"variance"`
}

// OMYear is the O&M requests of one year.
type OMYear struct {
	Year     int   `json:"year"`
	Count    int   `json:"count"`
	Flagged  int   `json:"flagged"`
	Amount   Money `json:"amount"`
	Approved Money `json:"approved"`
}

// Dashboard is the portfolio of the caller's units as filtered.
type Dashboard struct {
	// Unit is the unit whose children ByUnit lists; nil when the caller
	// has several units (ByUnit then lists them).
	Unit       *orgunit.Unit `json:"-"`
	Total      Bucket        `json:"total"`
	ByStage    []Bucket      `json:"by_stage"`
	ByUnit     []Bucket      `json:"by_unit"`
	ByLevel    []Bucket      `json:"by_level"`
	ByCategory []Bucket      `json:"by_category"`
	ByYear     []Bucket      `json:"by_year"`
	Lights     Lights        `json:"lights"`
	// Risks counts the rated projects by rating 1–5 (index 0: not rated).
	Risks [6]int     `json:"risks"`
	Watch []WatchRow `json:"watch"`
	OM    []OMYear   `json:"om"`
}

// MaxWatch bounds the dashboard's list of red and amber projects.
const MaxWatch = 200

// Portfolio assembles the dashboard of the projects f selects (Scopes,
// Unit, Level, Category, Year; the rest is ignored) under th.
func (s *Service) Portfolio(ctx context.Context, f Filter, th Thresholds) (*Dashboard, error) {
	f.Stage, f.Status, f.Q = "", "", ""
	var args store.Args
	w, err := s.where(ctx, f, &args)
	if err != nil {
		return nil, err
	}
	d := &Dashboard{}
	// The unit whose children the by-unit table lists.
	base := ""
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			return nil, err
		}
		d.Unit, base = &u, u.Path
	} else if len(f.Scopes) == 1 {
		code := pathCode(f.Scopes[0])
		u, err := orgunit.Get(ctx, s.DB, code)
		if err != nil {
			return nil, err
		}
		d.Unit, base = &u, u.Path
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT owner_path, stage, level, category, year, COUNT(*), SUM(estimate), COALESCE(SUM(budget), 0),
		COALESCE(SUM(final_account), 0) FROM project_project`+w+` GROUP BY owner_path, stage, level, category, year`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: portfolio: %w", err)
	}
	byStage, byUnit, byLevel, byCat, byYear := map[string]*Bucket{}, map[string]*Bucket{}, map[string]*Bucket{}, map[string]*Bucket{}, map[string]*Bucket{}
	at := func(m map[string]*Bucket, k string) *Bucket {
		b := m[k]
		if b == nil {
			b = &Bucket{Key: k}
			m[k] = b
		}
		return b
	}
	for rows.Next() {
		var path, stage, level, cat string
		var year int
		var b Bucket
		var est, bud, fin int64
		if err := rows.Scan(&path, &stage, &level, &cat, &year, &b.Count, &est, &bud, &fin); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: portfolio: %w", err)
		}
		b.Estimate, b.Budget, b.Final = Money(est), Money(bud), Money(fin)
		d.Total.add(b)
		at(byStage, stage).add(b)
		at(byLevel, level).add(b)
		at(byCat, cat).add(b)
		at(byYear, strconv.Itoa(year)).add(b)
		at(byUnit, unitKey(path, base, f.Scopes)).add(b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	d.ByStage = orderedBuckets(byStage, AllStages)
	d.ByLevel = orderedBuckets(byLevel, Levels)
	d.ByCategory = orderedBuckets(byCat, Categories)
	var years []string
	for k := range byYear {
		years = append(years, k)
	}
	sort.Strings(years)
	d.ByYear = orderedBuckets(byYear, years)
	if d.ByUnit, err = s.unitBuckets(ctx, byUnit, base); err != nil {
		return nil, err
	}
	if err := s.lights(ctx, d, w, args, th); err != nil {
		return nil, err
	}
	if d.OM, err = s.omYears(ctx, f); err != nil {
		return nil, err
	}
	return d, nil
}

// pathCode is the code of the unit at the end of a materialised path.
func pathCode(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[len(parts)-1]
}

// unitKey is the code of the child of base that path lies under ("" for
// base itself), or, without a base, the scope holding path.
func unitKey(path, base string, scopes []string) string {
	if base == "" {
		for _, sc := range scopes {
			if strings.HasPrefix(path, sc) {
				return pathCode(sc)
			}
		}
		return pathCode(path)
	}
	rest := strings.TrimPrefix(path, base)
	if rest == "" {
		return ""
	}
	code, _, _ := strings.Cut(rest, "/")
	return code
}

// orderedBuckets lists the buckets of m in the order of keys, then any others.
func orderedBuckets(m map[string]*Bucket, keys []string) []Bucket {
	out := []Bucket{}
	for _, k := range keys {
		if b := m[k]; b != nil {
			out = append(out, *b)
			delete(m, k)
		}
	}
	var rest []string
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, *m[k])
	}
	return out
}

// unitBuckets names the by-unit buckets and orders them by code, the
// base unit's own projects ("本级") first.
func (s *Service) unitBuckets(ctx context.Context, m map[string]*Bucket, base string) ([]Bucket, error) {
	var codes []string
	for k := range m {
		if k != "" {
			codes = append(codes, k)
		}
	}
	sort.Strings(codes)
	units, err := orgunit.GetMany(ctx, s.DB, codes)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range units {
		names[u.Code] = u.Name
	}
	out := []Bucket{}
	if b := m[""]; b != nil {
		b.Name = "本级"
		out = append(out, *b)
	}
	for _, c := range codes {
		b := *m[c]
		b.Name = names[c]
		if b.Name == "" {
			b.Name = c
		}
		out = append(out, b)
	}
	return out, nil
}

// lights computes every selected project's light from its risk rating,
// current baseline and reported progress, reading each table once.
func (s *Service) lights(ctx context.Context, d *Dashboard, w string, args store.Args, th Thresholds) error {
	type proj struct {
		id                  int64
		number, name, owner string
		risk                int
	}
	var ps []proj
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, number, name, owner_name, risk FROM project_project`+w, args...)
	if err != nil {
		return fmt.Errorf("project: lights: %w", err)
	}
	for rows.Next() {
		var p proj
		if err := rows.Scan(&p.id, &p.number, &p.name, &p.owner, &p.risk); err != nil {
			rows.Close()
			return fmt.Errorf("project: lights: %w", err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sub := `SELECT id FROM project_project` + w
	baselines := map[int64]*Baseline{}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT project_id, version, start_date, end_date, cost FROM project_baseline WHERE project_id IN (`+sub+`)`, args...)
	if err != nil {
		return fmt.Errorf("project: lights: %w", err)
	}
	for rows.Next() {
		var id, cost int64
		var b Baseline
		if err := rows.Scan(&id, &b.Version, &b.Start, &b.End, &cost); err != nil {
			rows.Close()
			return fmt.Errorf("project: lights: %w", err)
		}
		b.Cost = Money(cost)
		if cur := baselines[id]; cur == nil || cur.Version < b.Version {
			baselines[id] = &b
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	progress := map[int64]*Progress{}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT project_id, body FROM project_progress WHERE project_id IN (`+sub+`)`, args...)
	if err != nil {
		return fmt.Errorf("project: lights: %w", err)
	}
	for rows.Next() {
		var id int64
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return fmt.Errorf("project: lights: %w", err)
		}
		var pr Progress
		if json.Unmarshal([]byte(body), &pr) == nil {
			progress[id] = &pr
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	d.Watch = []WatchRow{}
	for _, p := range ps {
		d.Risks[min(max(p.risk, 0), 5)]++
		v := ComputeVariance(baselines[p.id], progress[p.id], p.risk, th)
		switch v.Light {
		case "red":
			d.Lights.Red++
		case "amber":
			d.Lights.Amber++
		case "green":
			d.Lights.Green++
		default:
			d.Lights.None++
		}
		if v.Light == "red" || v.Light == "amber" {
			d.Watch = append(d.Watch, WatchRow{ID: p.id, Number: p.number, Name: p.name, Owner: p.owner, Risk: p.risk, Variance: v})
		}
	}
	slices.SortStableFunc(d.Watch, func(x, y WatchRow) int {
		if c := lightRank[y.Variance.Light] - lightRank[x.Variance.Light]; c != 0 {
			return c
		}
		return int(x.ID - y.ID)
	})
	if len(d.Watch) > MaxWatch {
		d.Watch = d.Watch[:MaxWatch]
	}
	return nil
}

// omYears sums the O&M requests of the units f selects by year.
func (s *Service) omYears(ctx context.Context, f Filter) ([]OMYear, error) {
	var args store.Args
	var sc []string
	for _, p := range f.Scopes {
		sc = append(sc, "owner_path LIKE "+args.Add(p+"%"))
	}
	w := " WHERE (" + strings.Join(sc, " OR ") + ")"
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			return nil, err
		}
		w += " AND owner_path LIKE " + args.Add(u.Path+"%")
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT year, COUNT(*), COALESCE(SUM(flagged), 0), SUM(amount), COALESCE(SUM(approved), 0) FROM portfolio_om`+w+
		` GROUP BY year ORDER BY year`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: om years: %w", err)
	}
	defer rows.Close()
	out := []OMYear{}
	for rows.Next() {
		var y OMYear
		var amt, appr int64
		if err := rows.Scan(&y.Year, &y.Count, &y.Flagged, &amt, &appr); err != nil {
			return nil, fmt.Errorf("project: om years: %w", err)
		}
		y.Amount, y.Approved = Money(amt), Money(appr)
		out = append(out, y)
	}
	return out, rows.Err()
}

// Publication: the office publishes projects one by one and chooses the
// fields the public page shows of every published project; the name is
// always shown.

// PublicFields are the fields the office may publish, in display order.
var PublicFields = []string{"number", "owner", "level", "category", "year", "stage", "estimate", "budget", "final", "light", "summary"}

// DefaultPublicFields are published until the office chooses.
var DefaultPublicFields = []string{"owner", "year", "stage", "estimate"}

// PublishedFields returns the fields the office publishes.
func (s *Service) PublishedFields(ctx context.Context) ([]string, error) {
	var body string
	err := s.DB.R.QueryRowContext(ctx, `SELECT value FROM project_setting WHERE name = 'public_fields'`).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPublicFields, nil
	}
	if err != nil {
		return nil, fmt.Errorf("project: public fields: %w", err)
	}
	var out []string
	if json.Unmarshal([]byte(body), &out) != nil {
		return DefaultPublicFields, nil
	}
	return out, nil
}

// SetPublishedFields stores the fields the office publishes, audited.
func (s *Service) SetPublishedFields(ctx context.Context, a audit.Actor, fields []string) error {
	var out []string
	for _, f := range PublicFields {
		if slices.Contains(fields, f) {
			out = append(out, f)
		}
	}
	for _, f := range fields {
		if !slices.Contains(PublicFields, f) {
			return i18n.Errorf("未知的公开字段 %q", "unknown public field %q", f).OnField("fields")
		}
	}
	if out == nil {
		out = []string{}
	}
	before, err := s.PublishedFields(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(out)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_setting WHERE name = 'public_fields'`); err != nil {
			return fmt.Errorf("project: public fields: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_setting (name, value) VALUES ('public_fields', $1)`, string(body)); err != nil {
			return fmt.Errorf("project: public fields: %w", err)
		}
		return audit.Record(ctx, tx, a, "public_fields", "project_setting", "public_fields", "/41/", before, out)
	})
}

// PublishProject publishes project id in scopes on the public page, or withdraws
// it; audited and on the project's timeline.
func (s *Service) PublishProject(ctx context.Context, a audit.Actor, scopes []string, id int64, publish bool) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_publish WHERE project_id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("project: publish: %w", err)
		}
		if (n > 0) == publish {
			return nil
		}
		kind, body := "publish", "在公开页面发布"
		if publish {
			_, err = tx.ExecContext(ctx, `INSERT INTO portfolio_publish (project_id, actor_name, at) VALUES ($1, $2, $3)`, id, a.Name, s.now())
		} else {
			kind, body = "unpublish", "从公开页面撤下"
			_, err = tx.ExecContext(ctx, `DELETE FROM portfolio_publish WHERE project_id = $1`, id)
		}
		if err != nil {
			return fmt.Errorf("project: publish: %w", err)
		}
		if err := s.event(ctx, tx, a, id, kind, p.Stage, body); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, kind, "project", strconv.FormatInt(id, 10), p.OwnerPath, map[string]any{"published": n > 0}, map[string]any{"published": publish})
	})
}

// PublishedIDs reports which of ids are published.
func (s *Service) PublishedIDs(ctx context.Context, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var args store.Args
	rows, err := s.DB.R.QueryContext(ctx, `SELECT project_id FROM portfolio_publish WHERE project_id IN (`+store.In(&args, ids)+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: published: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// PublicProject is a published project with only the published fields
// set.
type PublicProject struct {
	Name     string  `json:"name"`
	Number   string  `json:"number,omitempty"`
	Owner    string  `json:"owner,omitempty"`
	Level    string  `json:"level,omitempty"`
	Category string  `json:"category,omitempty"`
	Year     int     `json:"year,omitempty"`
	Stage    string  `json:"stage,omitempty"`
	Estimate *Money  `json:"estimate,omitempty"`
	Budget   *Money  `json:"budget,omitempty"`
	Final    *Money  `json:"final_account,omitempty"`
	Light    string  `json:"light,omitempty"`
	Summary  string  `json:"summary,omitempty"`
	Fields   fieldOn `json:"-"`
}

type fieldOn map[string]bool

// Has reports whether field is published.
func (p PublicProject) Has(field string) bool { return p.Fields[field] }

// Public page bounds: a visitor reads at most PublicPerPage projects a
// page and PublicMaxPages pages; a search is at most PublicMaxQuery
// characters.
const (
	PublicPerPage  = 20
	PublicMaxPages = 50
	PublicMaxQuery = 40
)

// PublicQuery is what a visitor asks.
type PublicQuery struct {
	Q     string
	Page  int
	Limit int // at most PublicPerPage
}

// PublicPage is one page of published projects.
type PublicPage struct {
	Projects []PublicProject `json:"projects"`
	Fields   []string        `json:"fields"`
	Total    int             `json:"total"`
	Page     int             `json:"page"`
	Pages    int             `json:"pages"`
	// ByStage counts the published projects by stage, when the stage is
	// published.
	ByStage []Bucket `json:"by_stage,omitempty"`
}

// Public returns one page of the published projects, with only the
// published fields, under th (for the light). The result is bounded
// whatever the visitor asks.
func (s *Service) Public(ctx context.Context, q PublicQuery, th Thresholds) (*PublicPage, error) {
	fields, err := s.PublishedFields(ctx)
	if err != nil {
		return nil, err
	}
	on := fieldOn{}
	for _, f := range fields {
		on[f] = true
	}
	limit := q.Limit
	if limit <= 0 || limit > PublicPerPage {
		limit = PublicPerPage
	}
	page := min(max(q.Page, 1), PublicMaxPages)
	var args store.Args
	w := ` WHERE id IN (SELECT project_id FROM portfolio_publish)`
	if t := strings.TrimSpace(q.Q); t != "" {
		r := []rune(t)
		if len(r) > PublicMaxQuery {
			r = r[:PublicMaxQuery]
		}
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(string(r)) + "%"
		w += " AND name LIKE " + args.Add(like)
	}
	out := &PublicPage{Fields: fields, Page: page, Projects: []PublicProject{}}
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project`+w, args...).Scan(&out.Total); err != nil {
		return nil, fmt.Errorf("project: public: %w", err)
	}
	out.Pages = min((out.Total+limit-1)/limit, PublicMaxPages)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+projectCols+` FROM project_project`+w+` ORDER BY year DESC, id DESC LIMIT `+strconv.Itoa(limit)+
		` OFFSET `+strconv.Itoa((page-1)*limit), args...)
	if err != nil {
		return nil, fmt.Errorf("project: public: %w", err)
	}
	var ps []*Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: public: %w", err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range ps {
		x := PublicProject{Name: p.Name, Fields: on}
		if on["number"] {
			x.Number = p.Number
		}
		if on["owner"] {
			x.Owner = p.OwnerName
		}
		if on["level"] {
			x.Level = p.Level
		}
		if on["category"] {
			x.Category = p.Category
		}
		if on["year"] {
			x.Year = p.Year
		}
		if on["stage"] {
			x.Stage = p.Stage
		}
		if on["estimate"] {
			e := p.Estimate
			x.Estimate = &e
		}
		if on["budget"] {
			x.Budget = p.Budget
		}
		if on["final"] {
			x.Final = p.Final
		}
		if on["summary"] {
			x.Summary = p.Summary
		}
		if on["light"] {
			sv, err := s.Supervise(ctx, p, th)
			if err != nil {
				return nil, err
			}
			x.Light = sv.Variance.Light
		}
		out.Projects = append(out.Projects, x)
	}
	if on["stage"] {
		rows, err := s.DB.R.QueryContext(ctx, `SELECT stage, COUNT(*), SUM(estimate) FROM project_project WHERE id IN (SELECT project_id FROM portfolio_publish) GROUP BY stage`)
		if err != nil {
			return nil, fmt.Errorf("project: public: %w", err)
		}
		m := map[string]*Bucket{}
		for rows.Next() {
			var b Bucket
			var est int64
			if err := rows.Scan(&b.Key, &b.Count, &est); err != nil {
				rows.Close()
				return nil, fmt.Errorf("project: public: %w", err)
			}
			if on["estimate"] {
				b.Estimate = Money(est)
			}
			m[b.Key] = &b
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		out.ByStage = orderedBuckets(m, AllStages)
	}
	return out, nil
}
