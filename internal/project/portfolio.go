package project

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

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

// The dashboard's figures are kept between requests. Every transaction
// that changes what they are computed from — a project registered or
// imported, its stage, status, amounts or risk rating, a baseline, the
// reported progress, an O&M request or its review — ends by raising a
// generation number stored beside the data (project_setting
// 'portfolio_gen', see writeTx), in the same transaction. A request reads
// the generation first and then, unless figures of that generation are
// kept for the same selection and thresholds, computes them afresh and
// keeps them. Several server processes over one PostgreSQL database thus
// never show figures older than the last committed change: the number is
// in the database, not in a process.

// portfolioGen is the generation of the dashboard's figures.
func (s *Service) portfolioGen(ctx context.Context) (int64, error) {
	var v string
	err := s.DB.R.QueryRowContext(ctx, `SELECT value FROM project_setting WHERE name = 'portfolio_gen'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("project: portfolio generation: %w", err)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

// touchPortfolio raises the generation of the dashboard's figures in tx.
func touchPortfolio(ctx context.Context, tx *store.Tx) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO project_setting (name, value) VALUES ('portfolio_gen', '1')
		ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(project_setting.value AS BIGINT) + 1 AS TEXT)`); err != nil {
		return fmt.Errorf("project: portfolio generation: %w", err)
	}
	return nil
}

// writeTx runs fn in a transaction that changes the dashboard's figures
// and raises their generation as its last statement (so that the row it
// locks on PostgreSQL is held only until the commit).
func (s *Service) writeTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return touchPortfolio(ctx, tx)
	})
}

// maxKept bounds the selections whose figures a service keeps.
const maxKept = 64

// dashCache keeps computed figures by selection.
type dashCache struct {
	mu   sync.Mutex
	kept map[string]keptFigures
}

type keptFigures struct {
	gen int64
	fig *figures
}

// figures are a dashboard's numbers before the units are named.
type figures struct {
	Total                                Bucket
	ByStage, ByLevel, ByCategory, ByYear []Bucket
	ByUnit                               map[string]Bucket // by unitKey
	Lights                               Lights
	Risks                                [6]int
	Watch                                []WatchRow
	OM                                   []OMYear
}

// Portfolio assembles the dashboard of the projects f selects (Scopes,
// Unit, Level, Category, Year; the rest is ignored) under th. Its
// figures always equal those of a fresh computation (portfolioFigures):
// they are kept only until the next change of the data.
func (s *Service) Portfolio(ctx context.Context, f Filter, th Thresholds) (*Dashboard, error) {
	f.Stage, f.Status, f.Q = "", "", ""
	if len(f.Scopes) == 0 {
		return nil, ErrOutside
	}
	d := &Dashboard{}
	// The unit whose children the by-unit table lists.
	base, unitPath := "", ""
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			return nil, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", f.Unit).OnField("unit")
		}
		d.Unit, base, unitPath = &u, u.Path, u.Path
	} else if len(f.Scopes) == 1 {
		code := pathCode(f.Scopes[0])
		u, err := orgunit.Get(ctx, s.DB, code)
		if err != nil {
			return nil, err
		}
		d.Unit, base = &u, u.Path
	}
	gen, err := s.portfolioGen(ctx)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%q|%s|%s|%s|%s|%d|%d/%d", f.Scopes, base, unitPath, f.Level, f.Category, f.Year, th.Amber, th.Red)
	var fig *figures
	if c := s.dash; c != nil {
		c.mu.Lock()
		if k, ok := c.kept[key]; ok && k.gen == gen {
			fig = k.fig
		}
		c.mu.Unlock()
	}
	if fig == nil {
		if fig, err = s.portfolioFigures(ctx, f, base, th); err != nil {
			return nil, err
		}
		if c := s.dash; c != nil {
			c.mu.Lock()
			if c.kept == nil {
				c.kept = map[string]keptFigures{}
			}
			if _, ok := c.kept[key]; !ok && len(c.kept) >= maxKept {
				for k := range c.kept {
					delete(c.kept, k)
					break
				}
			}
			// Figures computed after a later change may be kept under
			// an earlier generation: they are then never shown, as the
			// generation has moved on.
			c.kept[key] = keptFigures{gen, fig}
			c.mu.Unlock()
		}
	}
	d.Total, d.Lights, d.Risks = fig.Total, fig.Lights, fig.Risks
	d.ByStage, d.ByLevel, d.ByCategory, d.ByYear = slices.Clone(fig.ByStage), slices.Clone(fig.ByLevel), slices.Clone(fig.ByCategory), slices.Clone(fig.ByYear)
	d.Watch, d.OM = slices.Clone(fig.Watch), slices.Clone(fig.OM)
	byUnit := map[string]*Bucket{}
	for k, b := range fig.ByUnit {
		byUnit[k] = &b
	}
	if d.ByUnit, err = s.unitBuckets(ctx, byUnit, base); err != nil {
		return nil, err
	}
	return d, nil
}

// portfolioFigures computes the figures of the projects f selects, base
// being the unit whose children the by-unit table lists ("": the
// scopes): one pass over the selected projects, summed in Go (no sort in
// the database), then their current baselines and reported progress for
// the lights, the red and amber projects' names, and the O&M requests by
// year.
func (s *Service) portfolioFigures(ctx context.Context, f Filter, base string, th Thresholds) (*figures, error) {
	var args store.Args
	w, err := s.where(ctx, f, &args)
	if err != nil {
		return nil, err
	}
	type proj struct {
		id   int64
		risk int
	}
	var ps []proj
	byStage, byUnit, byLevel, byCat, byYear := map[string]*Bucket{}, map[string]*Bucket{}, map[string]*Bucket{}, map[string]*Bucket{}, map[string]*Bucket{}
	at := func(m map[string]*Bucket, k string) *Bucket {
		b := m[k]
		if b == nil {
			b = &Bucket{Key: k}
			m[k] = b
		}
		return b
	}
	fig := &figures{}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, owner_path, stage, level, category, year, estimate, budget, final_account, risk FROM project_project`+w, args...)
	if err != nil {
		return nil, fmt.Errorf("project: portfolio: %w", err)
	}
	for rows.Next() {
		var p proj
		var path, stage, level, cat string
		var year int
		var est int64
		var bud, fin sql.NullInt64
		if err := rows.Scan(&p.id, &path, &stage, &level, &cat, &year, &est, &bud, &fin, &p.risk); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: portfolio: %w", err)
		}
		b := Bucket{Count: 1, Estimate: Money(est), Budget: Money(bud.Int64), Final: Money(fin.Int64)}
		fig.Total.add(b)
		at(byStage, stage).add(b)
		at(byLevel, level).add(b)
		at(byCat, cat).add(b)
		at(byYear, strconv.Itoa(year)).add(b)
		at(byUnit, unitKey(path, base, f.Scopes)).add(b)
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fig.ByStage = orderedBuckets(byStage, AllStages)
	fig.ByLevel = orderedBuckets(byLevel, Levels)
	fig.ByCategory = orderedBuckets(byCat, Categories)
	var years []string
	for k := range byYear {
		years = append(years, k)
	}
	sort.Strings(years)
	fig.ByYear = orderedBuckets(byYear, years)
	fig.ByUnit = map[string]Bucket{}
	for k, b := range byUnit {
		fig.ByUnit[k] = *b
	}

	// Joined rather than "project_id IN (SELECT id …)", which SQLite
	// answers by building a temporary index of every selected id first;
	// the selection's columns are only project_project's.
	baselines := map[int64]*Baseline{}
	rows, err = s.DB.R.QueryContext(ctx, `SELECT b.project_id, b.version, b.start_date, b.end_date, b.cost FROM project_baseline b
		JOIN project_project ON project_project.id = b.project_id`+w, args...)
	if err != nil {
		return nil, fmt.Errorf("project: lights: %w", err)
	}
	for rows.Next() {
		var id, cost int64
		var b Baseline
		if err := rows.Scan(&id, &b.Version, &b.Start, &b.End, &cost); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: lights: %w", err)
		}
		b.Cost = Money(cost)
		if cur := baselines[id]; cur == nil || cur.Version < b.Version {
			baselines[id] = &b
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	progress := map[int64]*Progress{}
	if len(baselines) > 0 {
		rows, err = s.DB.R.QueryContext(ctx, `SELECT g.project_id, g.body FROM project_progress g
			JOIN project_project ON project_project.id = g.project_id`+w, args...)
		if err != nil {
			return nil, fmt.Errorf("project: lights: %w", err)
		}
		for rows.Next() {
			var id int64
			var body []byte
			if err := rows.Scan(&id, &body); err != nil {
				rows.Close()
				return nil, fmt.Errorf("project: lights: %w", err)
			}
			// Only what the variance reads; the milestones are skipped.
			var pr struct {
				ProjectedEnd  string `json:"projected_end"`
				ProjectedCost *Money `json:"projected_cost"`
				ActualEnd     string `json:"actual_end"`
				ActualCost    *Money `json:"actual_cost"`
			}
			if json.Unmarshal(body, &pr) == nil {
				progress[id] = &Progress{ProjectedEnd: pr.ProjectedEnd, ProjectedCost: pr.ProjectedCost, ActualEnd: pr.ActualEnd, ActualCost: pr.ActualCost}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	fig.Watch = []WatchRow{}
	for _, p := range ps {
		fig.Risks[min(max(p.risk, 0), 5)]++
		v := ComputeVariance(baselines[p.id], progress[p.id], p.risk, th)
		switch v.Light {
		case "red":
			fig.Lights.Red++
		case "amber":
			fig.Lights.Amber++
		case "green":
			fig.Lights.Green++
		default:
			fig.Lights.None++
		}
		if v.Light == "red" || v.Light == "amber" {
			fig.Watch = append(fig.Watch, WatchRow{ID: p.id, Risk: p.risk, Variance: v})
		}
	}
	slices.SortStableFunc(fig.Watch, func(x, y WatchRow) int {
		if c := lightRank[y.Variance.Light] - lightRank[x.Variance.Light]; c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if len(fig.Watch) > MaxWatch {
		fig.Watch = fig.Watch[:MaxWatch]
	}
	if err := s.nameWatch(ctx, fig.Watch); err != nil {
		return nil, err
	}
	if fig.OM, err = s.omYears(ctx, f); err != nil {
		return nil, err
	}
	return fig, nil
}

// nameWatch fills in the number, name and owner of the watch list's
// projects.
func (s *Service) nameWatch(ctx context.Context, ws []WatchRow) error {
	if len(ws) == 0 {
		return nil
	}
	ids := make([]int64, len(ws))
	at := map[int64]int{}
	for i, x := range ws {
		ids[i], at[x.ID] = x.ID, i
	}
	var args store.Args
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, number, name, owner_name FROM project_project WHERE id IN (`+store.In(&args, ids)+`)`, args...)
	if err != nil {
		return fmt.Errorf("project: watch: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var number, name, owner string
		if err := rows.Scan(&id, &number, &name, &owner); err != nil {
			return fmt.Errorf("project: watch: %w", err)
		}
		if i, ok := at[id]; ok {
			ws[i].Number, ws[i].Name, ws[i].Owner = number, name, owner
		}
	}
	return rows.Err()
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
