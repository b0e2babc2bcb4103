package project

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// ErrOutside refuses a project, system or unit outside the caller's subtree.
var ErrOutside = errors.New("project: outside the caller's units")

// IsOutside reports whether err is a scope refusal.
func IsOutside(err error) bool { return errors.Is(err, ErrOutside) }

// Service runs the module's operations over a store with a route
// configuration and a clock.
type Service struct {
	DB     *store.DB
	Routes Routes
	Now    func() time.Time
	// CompareAll overrides the package's CompareAll; negative: always
	// look up the LSH buckets.
	CompareAll int
	// dash keeps the dashboard's figures between requests (nil: none
	// kept, each request computes them).
	dash *dashCache
}

// New returns a service over db with the embedded routes and the system clock.
func New(db *store.DB) *Service {
	return &Service{DB: db, Routes: DefaultRoutes, Now: time.Now, dash: &dashCache{}}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Project is one government-funded IT project.
type Project struct {
	ID        int64  `json:"id"`
	Number    string `json:"number"`
	Name      string `json:"name"`
	Owner     string `json:"owner"`
	OwnerPath string `json:"-"`
	OwnerName string `json:"owner_name"`
	Level     string `json:"level"`
	Category  string `json:"category"`
	Funding   string `json:"funding"`
	Year      int    `json:"year"`
	Estimate  Money  `json:"estimate"`
	// Budget is the budget estimate (概算) of the preliminary design,
	// Final the final account (决算), Approved the estimate of the
	// approved feasibility study; nil until known.
	Budget    *Money    `json:"budget,omitempty"`
	Final     *Money    `json:"final_account,omitempty"`
	Approved  *Money    `json:"approved_estimate,omitempty"`
	Summary   string    `json:"summary"`
	Content   string    `json:"content"`
	Functions string    `json:"functions"`
	Route     string    `json:"route"`
	Stage     string    `json:"stage"`
	Status    string    `json:"status"`
	Systems   []int64   `json:"systems"`
	Demo      bool      `json:"demo,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Risk is the office's latest risk rating, 1 (high risk) to 5 (low
	// risk) as on the US IT Dashboard; 0 before any rating.
	Risk int `json:"risk"`
}

// Text is what similarity compares: name, summary, content and functions.
func (p *Project) Text() string {
	return strings.Join([]string{p.Name, p.Summary, p.Content, p.Functions}, "\n")
}

// NewProject is what an owner unit registers.
type NewProject struct {
	Number    string  `json:"number"`
	Name      string  `json:"name"`
	Owner     string  `json:"owner"`
	Level     string  `json:"level"`
	Category  string  `json:"category"`
	Funding   string  `json:"funding"`
	Year      int     `json:"year"`
	Estimate  Money   `json:"estimate"`
	Summary   string  `json:"summary"`
	Content   string  `json:"content"`
	Functions string  `json:"functions"`
	Systems   []int64 `json:"systems"`
	Demo      bool    `json:"-"`
}

// LevelOf is the project level of an owner unit: the province and its
// departments, a city, or a county (and below).
func LevelOf(u orgunit.Unit) string {
	switch {
	case u.Level <= 1 || u.Kind == orgunit.Department:
		return "province"
	case u.Level == 2:
		return "city"
	}
	return "county"
}

func limitText(s string, n int, field, zh, en string) (string, error) {
	s = strings.TrimSpace(s)
	if len([]rune(s)) > n {
		return "", i18n.Errorf("%[1]s过长（最多 %[3]d 字）", "the %[2]s is too long (%[3]d characters at most)", zh, en, n).OnField(field)
	}
	return s, nil
}

// check validates n and resolves its owner unit; the error is bilingual
// and names the field.
func (s *Service) check(ctx context.Context, q querier, n *NewProject) (orgunit.Unit, error) {
	var err error
	if n.Name, err = limitText(n.Name, 200, "name", "项目名称", "project name"); err != nil {
		return orgunit.Unit{}, err
	}
	if n.Name == "" {
		return orgunit.Unit{}, i18n.Errorf("请填写项目名称", "the project name is required").OnField("name")
	}
	if n.Number, err = limitText(n.Number, 40, "number", "项目编号", "project number"); err != nil {
		return orgunit.Unit{}, err
	}
	n.Owner = strings.TrimSpace(n.Owner)
	if n.Owner == "" {
		return orgunit.Unit{}, i18n.Errorf("请填写建设单位代码", "the owner unit code is required").OnField("owner")
	}
	u, err := orgunit.Get(ctx, s.DB, n.Owner)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return u, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", n.Owner).OnField("owner")
		}
		return u, err
	}
	n.Level = strings.TrimSpace(n.Level)
	if n.Level == "" {
		n.Level = LevelOf(u)
	}
	if !slices.Contains(Levels, n.Level) {
		return u, i18n.Errorf("项目层级应为 province（省级）、city（市级）或 county（县级）：%q", "the level must be province, city or county: %q", n.Level).OnField("level")
	}
	n.Category = strings.TrimSpace(n.Category)
	if !slices.Contains(Categories, n.Category) {
		return u, i18n.Errorf("项目类别应为 new（新建）、upgrade（升级改造）或 om（运维）：%q", "the category must be new, upgrade or om (operation and maintenance): %q", n.Category).OnField("category")
	}
	if n.Funding, err = limitText(n.Funding, 100, "funding", "资金来源", "funding source"); err != nil {
		return u, err
	}
	if n.Funding == "" {
		return u, i18n.Errorf("请填写资金来源", "the funding source is required").OnField("funding")
	}
	if n.Year == 0 {
		n.Year = s.Now().In(shanghai).Year()
	}
	if n.Year < 2013 || n.Year > 2100 {
		return u, i18n.Errorf("年度应在 2013 至 2100 之间：%d", "the year must be between 2013 and 2100: %d", n.Year).OnField("year")
	}
	if n.Estimate <= 0 {
		return u, i18n.Errorf("估算金额应大于 0（万元）", "the estimate must be more than 0 (10,000 yuan)").OnField("estimate")
	}
	if n.Summary, err = limitText(n.Summary, 2000, "summary", "项目概要", "summary"); err != nil {
		return u, err
	}
	if n.Content, err = limitText(n.Content, 20000, "content", "建设内容", "proposal text"); err != nil {
		return u, err
	}
	if n.Functions, err = limitText(n.Functions, 5000, "functions", "主要功能", "functions"); err != nil {
		return u, err
	}
	return u, nil
}

// Register stores n for its owner unit, which must lie in scopes (the
// caller's subtrees), on the route its level, category and estimate
// choose, at the route's first stage, and returns its id.
func (s *Service) Register(ctx context.Context, a audit.Actor, scopes []string, n NewProject) (int64, error) {
	u, err := s.check(ctx, s.DB.R, &n)
	if err != nil {
		return 0, err
	}
	if !covered(u.Path, scopes) {
		return 0, ErrOutside
	}
	// The text is segmented (and the dictionary loaded on first use)
	// outside the transaction.
	sig := SignText(n.text())
	var id int64
	err = s.writeTx(ctx, func(tx *store.Tx) error {
		var e error
		id, e = s.insert(ctx, tx, a, u, n, sig)
		return e
	})
	return id, err
}

// RegisterMany registers every project of ns in one transaction, all or
// none (an error names the 1-based position of the project it is
// about), signing their texts on every core first.
func (s *Service) RegisterMany(ctx context.Context, a audit.Actor, scopes []string, ns []NewProject) ([]int64, error) {
	units := make([]orgunit.Unit, len(ns))
	for i := range ns {
		u, err := s.check(ctx, s.DB.R, &ns[i])
		if err != nil {
			return nil, atRow(err, i+1)
		}
		if !covered(u.Path, scopes) {
			return nil, ErrOutside
		}
		units[i] = u
	}
	sigs := signAll(ns)
	var ids []int64
	err := s.writeTx(ctx, func(tx *store.Tx) error {
		for i := range ns {
			id, err := s.insert(ctx, tx, a, units[i], ns[i], sigs[i])
			if err != nil {
				return atRow(err, i+1)
			}
			ids = append(ids, id)
		}
		return nil
	})
	return ids, err
}

func atRow(err error, row int) error {
	var ue *i18n.Error
	if errors.As(err, &ue) {
		return ue.At(row, ue.Field)
	}
	return err
}

// text is what similarity compares of a new project.
func (n *NewProject) text() string {
	return (&Project{Name: n.Name, Summary: n.Summary, Content: n.Content, Functions: n.Functions}).Text()
}

// signAll signs the texts of ns on every core.
func signAll(ns []NewProject) []Signature {
	WarmSegmenter()
	sigs := make([]Signature, len(ns))
	workers := min(runtime.GOMAXPROCS(0), 8, max(len(ns), 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(ns); i += workers {
				sigs[i] = SignText(ns[i].text())
			}
		}()
	}
	wg.Wait()
	return sigs
}

// insert writes one checked project with the signature of its text, and
// its first event.
func (s *Service) insert(ctx context.Context, tx *store.Tx, a audit.Actor, u orgunit.Unit, n NewProject, signature Signature) (int64, error) {
	if len(n.Systems) > 0 {
		var args store.Args
		var cnt int
		q := `SELECT COUNT(*) FROM project_system WHERE id IN (` + store.In(&args, n.Systems) + `)`
		if err := tx.QueryRowContext(ctx, q, args...).Scan(&cnt); err != nil {
			return 0, fmt.Errorf("project: systems: %w", err)
		}
		if cnt != len(n.Systems) {
			return 0, i18n.Errorf("关联的信息系统不存在", "a linked information system does not exist").OnField("systems")
		}
	}
	if n.Number == "" {
		var cnt int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project WHERE owner_code = $1 AND year = $2`, u.Code, n.Year).Scan(&cnt); err != nil {
			return 0, fmt.Errorf("project: number: %w", err)
		}
		n.Number = fmt.Sprintf("XM-%d-%s-%03d", n.Year, u.Code, cnt+1)
	}
	var dup int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project WHERE number = $1`, n.Number).Scan(&dup); err != nil {
		return 0, fmt.Errorf("project: number: %w", err)
	}
	if dup > 0 {
		return 0, i18n.Errorf("项目编号 %s 已被使用", "the project number %s is already taken", n.Number).OnField("number")
	}
	route := s.Routes.For(n.Level, n.Category, n.Estimate)
	now := s.now()
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO project_project (number, name, owner_code, owner_path, owner_name, level, category, funding, year,
		estimate, summary, content, functions, route, stage, status, systems, demo, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$19) RETURNING id`,
		n.Number, n.Name, u.Code, u.Path, u.Name, n.Level, n.Category, n.Funding, n.Year, int64(n.Estimate), n.Summary, n.Content, n.Functions,
		route.ID, route.Stages[0], Draft, joinIDs(n.Systems), b2i(n.Demo), now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("project: register: %w", err)
	}
	if err := s.event(ctx, tx, a, id, "register", route.Stages[0], n.Name); err != nil {
		return 0, err
	}
	sig, err := projectSig(ctx, tx, id, u.Code, u.Path, signature, n.Functions, n.Systems)
	if err != nil {
		return 0, err
	}
	if err := writeSig(ctx, tx, sig, now); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, a, "create", "project", strconv.FormatInt(id, 10), u.Path, nil, map[string]any{
		"number": n.Number, "name": n.Name, "owner": u.Code, "estimate": n.Estimate.Wan(), "route": route.ID})
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func splitIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// covered reports whether path lies in one of scopes.
func covered(path string, scopes []string) bool {
	for _, sc := range scopes {
		if orgunit.InSubtree(path, sc) {
			return true
		}
	}
	return false
}

// event records one step on a project's timeline.
func (s *Service) event(ctx context.Context, tx *store.Tx, a audit.Actor, id int64, kind, stage, body string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO project_event (project_id, at, kind, stage, actor_id, actor_name, body) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
		id, s.now(), kind, stage, a.UserID, a.Name, body)
	if err != nil {
		return fmt.Errorf("project: event: %w", err)
	}
	return nil
}

const projectCols = `id, number, name, owner_code, owner_path, owner_name, level, category, funding, year, estimate, budget, final_account,
	approved_estimate, summary, content, functions, route, stage, status, systems, demo, created_at, updated_at, risk`

func scanProject(sc interface{ Scan(...any) error }) (*Project, error) {
	var p Project
	var est int64
	var budget, final, appr sql.NullInt64
	var systems string
	var demo int
	if err := sc.Scan(&p.ID, &p.Number, &p.Name, &p.Owner, &p.OwnerPath, &p.OwnerName, &p.Level, &p.Category, &p.Funding, &p.Year, &est,
		&budget, &final, &appr, &p.Summary, &p.Content, &p.Functions, &p.Route, &p.Stage, &p.Status, &systems, &demo, &p.CreatedAt, &p.UpdatedAt, &p.Risk); err != nil {
		return nil, err
	}
	p.Estimate = Money(est)
	p.Budget, p.Final, p.Approved = moneyPtr(budget), moneyPtr(final), moneyPtr(appr)
	p.Systems = splitIDs(systems)
	p.Demo = demo == 1
	return &p, nil
}

func moneyPtr(v sql.NullInt64) *Money {
	if !v.Valid {
		return nil
	}
	m := Money(v.Int64)
	return &m
}

func nullMoney(m *Money) any {
	if m == nil {
		return nil
	}
	return int64(*m)
}

// Get returns project id if it lies in scopes.
func (s *Service) Get(ctx context.Context, scopes []string, id int64) (*Project, error) {
	p, err := s.getIn(ctx, s.DB.R, id, scopes)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// getIn reads project id for a caller whose units are scopes: ErrOutside
// when the project's owner lies outside them.
func (s *Service) getIn(ctx context.Context, q querier, id int64, scopes []string) (*Project, error) {
	p, err := s.get(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if !covered(p.OwnerPath, scopes) {
		return nil, ErrOutside
	}
	return p, nil
}

func (s *Service) get(ctx context.Context, q querier, id int64) (*Project, error) {
	p, err := scanProject(q.QueryRowContext(ctx, `SELECT `+projectCols+` FROM project_project WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("project: %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("project: get: %w", err)
	}
	return p, nil
}

// Filter selects projects for a list.
type Filter struct {
	Scopes   []string
	Unit     string // owner unit code: its subtree
	Stage    string
	Status   string
	Level    string
	Category string
	Year     int
	Q        string // words of the name or number
	Page     int    // 1-based
	PerPage  int    // 0: 50; at most 500
}

// MaxPerPage bounds one page of a list; exports read at most MaxExport rows.
const (
	MaxPerPage = 500
	MaxExport  = 20000
)

// where builds the WHERE clause of f.
func (s *Service) where(ctx context.Context, f Filter, args *store.Args) (string, error) {
	if len(f.Scopes) == 0 {
		return "", ErrOutside
	}
	var conds []string
	var sc []string
	for _, p := range f.Scopes {
		sc = append(sc, "owner_path LIKE "+args.Add(p+"%"))
	}
	conds = append(conds, "("+strings.Join(sc, " OR ")+")")
	if f.Unit != "" {
		u, err := orgunit.Get(ctx, s.DB, f.Unit)
		if err != nil {
			return "", i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", f.Unit).OnField("unit")
		}
		conds = append(conds, "owner_path LIKE "+args.Add(u.Path+"%"))
	}
	if f.Stage != "" {
		conds = append(conds, "stage = "+args.Add(f.Stage))
	}
	if f.Status != "" {
		conds = append(conds, "status = "+args.Add(f.Status))
	}
	if f.Level != "" {
		conds = append(conds, "level = "+args.Add(f.Level))
	}
	if f.Category != "" {
		conds = append(conds, "category = "+args.Add(f.Category))
	}
	if f.Year != 0 {
		conds = append(conds, "year = "+args.Add(f.Year))
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(q) + "%"
		conds = append(conds, "(name LIKE "+args.Add(like)+" OR number LIKE "+args.Add(like)+")")
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}

// List returns one page of the projects f selects, newest first, and how
// many there are in all.
func (s *Service) List(ctx context.Context, f Filter) ([]*Project, int, error) {
	var args store.Args
	w, err := s.where(ctx, f, &args)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_project`+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("project: count: %w", err)
	}
	per := f.PerPage
	if per <= 0 {
		per = 50
	}
	per = min(per, MaxExport)
	page := max(f.Page, 1)
	q := `SELECT ` + projectCols + ` FROM project_project` + w + ` ORDER BY id DESC LIMIT ` + strconv.Itoa(per) + ` OFFSET ` + strconv.Itoa((page-1)*per)
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("project: list: %w", err)
	}
	defer rows.Close()
	var out []*Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("project: list: %w", err)
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// Amounts are the amounts an owner unit enters as its project advances;
// nil leaves an amount as it is.
type Amounts struct {
	Estimate *Money `json:"estimate"`
	Budget   *Money `json:"budget"`
	Final    *Money `json:"final_account"`
}

// SetAmounts changes the amounts of project id in scopes. The estimate
// can change only until the feasibility study is approved; nothing can
// change while a gate waits for its decision or after the project ended.
func (s *Service) SetAmounts(ctx context.Context, a audit.Actor, scopes []string, id int64, am Amounts) error {
	return s.writeTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if p.Status == Submitted || p.Status == Rejected || p.Status == Completed {
			return i18n.Errorf("项目%[1]s，不能修改金额", "the project is %[2]s; its amounts cannot change", statusZh[p.Status], p.Status)
		}
		before := map[string]any{"estimate": p.Estimate.Wan(), "budget": p.Budget, "final_account": p.Final}
		if am.Estimate != nil {
			if p.Approved != nil && *am.Estimate != p.Estimate {
				return i18n.Errorf("可行性研究报告已批复，估算不能再改；概算请在初步设计阶段填写", "the feasibility study is approved: the estimate is fixed; enter the budget estimate at the preliminary design").OnField("estimate")
			}
			if *am.Estimate <= 0 {
				return i18n.Errorf("估算金额应大于 0（万元）", "the estimate must be more than 0 (10,000 yuan)").OnField("estimate")
			}
			p.Estimate = *am.Estimate
		}
		if am.Budget != nil {
			p.Budget = am.Budget
		}
		if am.Final != nil {
			p.Final = am.Final
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_project SET estimate = $1, budget = $2, final_account = $3, updated_at = $4 WHERE id = $5`,
			int64(p.Estimate), nullMoney(p.Budget), nullMoney(p.Final), s.now(), id); err != nil {
			return fmt.Errorf("project: amounts: %w", err)
		}
		body := "估算 " + p.Estimate.Wan() + " 万元"
		if p.Budget != nil {
			body += "；概算 " + p.Budget.Wan() + " 万元"
		}
		if p.Final != nil {
			body += "；决算 " + p.Final.Wan() + " 万元"
		}
		if err := s.event(ctx, tx, a, id, "amounts", p.Stage, body); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "amounts", "project", strconv.FormatInt(id, 10), p.OwnerPath, before,
			map[string]any{"estimate": p.Estimate.Wan(), "budget": p.Budget, "final_account": p.Final})
	})
}

var statusZh = map[string]string{Draft: "编制中", Submitted: "待审批", Returned: "已退回", Rejected: "不予批准", Completed: "已完成"}

// querier is a database or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}
