package evalstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/evaluate"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Industry is a GB/T 4754-2017 division offered in the self-assessment.
type Industry struct {
	Code string
	Name i18n.Text
}

// Industries lists the divisions enterprises choose from.
var Industries = []Industry{
	{"C13", i18n.Text{Zh: "农副食品加工业", En: "Agricultural and sideline food processing"}},
	{"C17", i18n.Text{Zh: "纺织业", En: "Textiles"}},
	{"C26", i18n.Text{Zh: "化学原料和化学制品制造业", En: "Chemical raw materials and products"}},
	{"C27", i18n.Text{Zh: "医药制造业", En: "Pharmaceuticals"}},
	{"C30", i18n.Text{Zh: "非金属矿物制品业", En: "Non-metallic mineral products"}},
	{"C32", i18n.Text{Zh: "有色金属冶炼和压延加工业", En: "Non-ferrous metal smelting and rolling"}},
	{"C34", i18n.Text{Zh: "通用设备制造业", En: "General-purpose machinery"}},
	{"C36", i18n.Text{Zh: "汽车制造业", En: "Motor vehicles"}},
	{"C38", i18n.Text{Zh: "电气机械和器材制造业", En: "Electrical machinery and equipment"}},
	{"C39", i18n.Text{Zh: "计算机、通信和其他电子设备制造业", En: "Computers, communication and other electronic equipment"}},
}

// IndustryName returns the name of an industry code (the code when unknown).
func IndustryName(code string) i18n.Text {
	for _, i := range Industries {
		if i.Code == code {
			return i.Name
		}
	}
	return i18n.Text{Zh: code, En: code}
}

// Submission is what an enterprise user fills in.
type Submission struct {
	Name       string
	CreditCode string // unified social credit code, 18 characters
	Industry   string
	OrgCode    string // city or county code where the enterprise is registered
	Year       int
	Answers    map[string]float64
	Synthetic  bool
}

// Assessment is a stored self-assessment.
type Assessment struct {
	ID         int64                      `json:"id"`
	Name       string                     `json:"name"`
	CreditCode string                     `json:"credit_code"`
	Industry   string                     `json:"industry"`
	OrgCode    string                     `json:"org_code"`
	OrgPath    string                     `json:"org_path"`
	Year       int                        `json:"year"`
	Answers    map[string]float64         `json:"answers"`
	Result     *evaluate.EnterpriseResult `json:"result"`
	Synthetic  bool                       `json:"synthetic"`
	CreatedAt  time.Time                  `json:"created_at"`
	CreatedBy  string                     `json:"created_by"`
}

// City is the city code of the assessment's unit (its first four digits).
func (a *Assessment) City() string { return cityOf(a.OrgCode) }

func cityOf(code string) string {
	if len(code) >= 6 && strings.HasPrefix(code, "4190") {
		return code[:6] // 济源市 is county-level, directly under the province
	}
	if len(code) >= 4 {
		return code[:4]
	}
	return code
}

// creditRe is the shape of a unified social credit code (GB 32100-2015):
// 18 characters of digits and upper-case letters except I, O, Z, S, V.
var creditRe = regexp.MustCompile(`^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$`)

// Validate checks the form fields (not the answers: the engine does).
func (s *Submission) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	s.CreditCode = strings.ToUpper(strings.TrimSpace(s.CreditCode))
	if s.Name == "" || len([]rune(s.Name)) > 100 {
		return i18n.Errorf("企业名称不能为空，且不超过 100 个字符", "the enterprise name must be 1–100 characters").OnField("name")
	}
	if !creditRe.MatchString(s.CreditCode) {
		return i18n.Errorf("统一社会信用代码 %q 格式不正确（18 位数字或大写字母）", "unified social credit code %q is malformed (18 digits or capital letters)", s.CreditCode).OnField("credit_code")
	}
	known := false
	for _, i := range Industries {
		known = known || i.Code == s.Industry
	}
	if !known {
		return i18n.Errorf("请选择所属行业", "choose the industry").OnField("industry")
	}
	if s.Year < 2000 || s.Year > 2100 {
		return i18n.Errorf("评估年度 %d 无效", "assessment year %d is not valid", s.Year).OnField("year")
	}
	return nil
}

// Submit scores and stores a self-assessment. The caller has checked that
// the user covers unit.
func Submit(ctx context.Context, db *store.DB, actor audit.Actor, unit orgunit.Unit, s Submission) (*Assessment, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if unit.Level < 2 || unit.Level > 3 || unit.Kind == orgunit.Department {
		return nil, i18n.Errorf("所在地须为市或县（区）", "the location must be a city or county").OnField("org")
	}
	s.OrgCode = unit.Code
	res, err := evaluate.ScoreEnterprise(evaluate.EnterpriseAnswers{Enterprise: s.CreditCode, Name: s.Name, Industry: s.Industry, City: cityOf(unit.Code), Year: s.Year, Answers: s.Answers})
	if err != nil {
		return nil, err
	}
	a := &Assessment{Name: s.Name, CreditCode: s.CreditCode, Industry: s.Industry, OrgCode: unit.Code, OrgPath: unit.Path, Year: s.Year,
		Answers: s.Answers, Result: res, Synthetic: s.Synthetic, CreatedAt: store.Now(), CreatedBy: actor.Name}
	answers, _ := json.Marshal(s.Answers)
	result, _ := json.Marshal(res)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO evaluate_enterprise (name, credit_code, industry, org_code, org_path, year, answers_json, result_json, score, stage, synthetic, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			a.Name, a.CreditCode, a.Industry, a.OrgCode, a.OrgPath, a.Year, string(answers), string(result), res.Score, res.Stage.ID, a.Synthetic, a.CreatedAt, a.CreatedBy).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("evalstore: insert assessment: %w", err)
		}
		return audit.Record(ctx, tx, actor, "create", "evaluate_enterprise", fmt.Sprint(a.ID), a.OrgPath, nil, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

const assessCols = "id, name, credit_code, industry, org_code, org_path, year, answers_json, result_json, synthetic, created_at, created_by"

func scanAssessment(sc interface{ Scan(...any) error }) (*Assessment, error) {
	var a Assessment
	var answers, result string
	if err := sc.Scan(&a.ID, &a.Name, &a.CreditCode, &a.Industry, &a.OrgCode, &a.OrgPath, &a.Year, &answers, &result, &a.Synthetic, &a.CreatedAt, &a.CreatedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(answers), &a.Answers); err != nil {
		return nil, fmt.Errorf("evalstore: assessment %d answers: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(result), &a.Result); err != nil {
		return nil, fmt.Errorf("evalstore: assessment %d result: %w", a.ID, err)
	}
	return &a, nil
}

// GetAssessment loads one assessment.
func GetAssessment(ctx context.Context, db *store.DB, id int64) (*Assessment, error) {
	a, err := scanAssessment(db.R.QueryRowContext(ctx, `SELECT `+assessCols+` FROM evaluate_enterprise WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return a, err
}

// AssessmentFilter selects assessments: within any of Scopes (org paths;
// nil means everywhere), optionally of one industry or one creator.
type AssessmentFilter struct {
	Scopes    []string
	Industry  string
	CreatedBy string
	Limit     int
}

// Assessments lists assessments, newest first.
func Assessments(ctx context.Context, db *store.DB, f AssessmentFilter) ([]*Assessment, error) {
	q := `SELECT ` + assessCols + ` FROM evaluate_enterprise WHERE 1=1`
	var args store.Args
	if f.Scopes != nil {
		if len(f.Scopes) == 0 {
			return nil, nil
		}
		var or []string
		for _, p := range f.Scopes {
			lo, hi := orgunit.SubtreeRange(p)
			or = append(or, "(org_path >= "+args.Add(lo)+" AND org_path < "+args.Add(hi)+")")
		}
		q += " AND (" + strings.Join(or, " OR ") + ")"
	}
	if f.Industry != "" {
		q += " AND industry = " + args.Add(f.Industry)
	}
	if f.CreatedBy != "" {
		q += " AND created_by = " + args.Add(f.CreatedBy)
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("evalstore: assessments: %w", err)
	}
	defer rows.Close()
	var out []*Assessment
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Benchmark places an assessment among its peers of the same industry and
// of the same city (latest assessment of every other enterprise). A
// missing peer group gives a nil entry, not an error.
func Benchmark(ctx context.Context, db *store.DB, a *Assessment) (byIndustry, byCity *evaluate.PeerBenchmark, err error) {
	all, err := Assessments(ctx, db, AssessmentFilter{})
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var peers []*evaluate.EnterpriseResult
	for _, p := range all { // newest first: keep each enterprise's latest
		if seen[p.CreditCode] {
			continue
		}
		seen[p.CreditCode] = true
		r := *p.Result
		r.City = p.City()
		peers = append(peers, &r)
	}
	self := *a.Result
	self.City = a.City()
	self.Industry = a.Industry
	if b, err := evaluate.BenchmarkEnterprise(&self, peers, "industry"); err == nil {
		byIndustry = b
	}
	if b, err := evaluate.BenchmarkEnterprise(&self, peers, "city"); err == nil {
		byCity = b
	}
	return byIndustry, byCity, nil
}

// Cell is one group of the distribution of assessments.
type Cell struct {
	Key    string         `json:"key"` // city code or industry code
	Count  int            `json:"count"`
	Mean   float64        `json:"mean"`
	Stages map[string]int `json:"stages"` // stage id → count
}

// Distribution groups the latest assessment of every enterprise by city
// and by industry.
func Distribution(as []*Assessment) (byCity, byIndustry []Cell) {
	seen := map[string]bool{}
	cities, inds := map[string]*Cell{}, map[string]*Cell{}
	add := func(m map[string]*Cell, k string, a *Assessment) {
		c := m[k]
		if c == nil {
			c = &Cell{Key: k, Stages: map[string]int{}}
			m[k] = c
		}
		c.Mean = (c.Mean*float64(c.Count) + a.Result.Score) / float64(c.Count+1)
		c.Count++
		c.Stages[a.Result.Stage.ID]++
	}
	for _, a := range as {
		if seen[a.CreditCode] {
			continue
		}
		seen[a.CreditCode] = true
		add(cities, a.City(), a)
		add(inds, a.Industry, a)
	}
	flat := func(m map[string]*Cell) []Cell {
		out := make([]Cell, 0, len(m))
		for _, c := range m {
			out = append(out, *c)
		}
		sortCells(out)
		return out
	}
	return flat(cities), flat(inds)
}

func sortCells(c []Cell) {
	slices.SortFunc(c, func(a, b Cell) int { return strings.Compare(a.Key, b.Key) })
}
