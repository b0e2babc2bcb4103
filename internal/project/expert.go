package project

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Fields of expertise of the expert committee (信息化专家咨询委员会, §7.5).
var Fields = []string{"egov", "security", "data", "cloud", "software", "network", "gis", "pm", "finance"}

// Expert is a member of the expert pool.
type Expert struct {
	ID           int64    `json:"id"`
	Name         string   `json:"name"`
	Fields       []string `json:"fields"`
	Employer     string   `json:"employer"`
	EmployerCode string   `json:"employer_code,omitempty"` // the employer's unit code when it is a government unit
	Region       string   `json:"region"`                  // unit code of where the expert works
	// Conflicts are unit codes the expert declared ties with; a project of
	// such a unit or of a unit under it is a conflict of interest.
	Conflicts []string  `json:"conflicts"`
	Account   string    `json:"account,omitempty"` // the expert's user name
	Available bool      `json:"available"`
	Demo      bool      `json:"demo,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// AddExpert adds e to the pool (its id is ignored).
func (s *Service) AddExpert(ctx context.Context, a audit.Actor, e Expert) (int64, error) {
	var err error
	if e.Name, err = limitText(e.Name, 50, "name", "姓名", "name"); err != nil {
		return 0, err
	}
	if e.Name == "" {
		return 0, i18n.Errorf("请填写专家姓名", "the expert's name is required").OnField("name")
	}
	if len(e.Fields) == 0 {
		return 0, i18n.Errorf("请至少选择一个专业领域", "choose at least one field").OnField("fields")
	}
	for _, f := range e.Fields {
		if !slices.Contains(Fields, f) {
			return 0, i18n.Errorf("未知的专业领域 %q", "unknown field %q", f).OnField("fields")
		}
	}
	if e.Employer, err = limitText(e.Employer, 100, "employer", "工作单位", "employer"); err != nil {
		return 0, err
	}
	if e.Employer == "" {
		return 0, i18n.Errorf("请填写工作单位", "the employer is required").OnField("employer")
	}
	for _, code := range append([]string{e.EmployerCode, e.Region}, e.Conflicts...) {
		if code == "" {
			continue
		}
		if _, err := orgunit.Get(ctx, s.DB, code); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return 0, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", code)
			}
			return 0, err
		}
	}
	if e.Region == "" {
		return 0, i18n.Errorf("请填写所在地区（单位代码）", "the region (unit code) is required").OnField("region")
	}
	e.Account = strings.TrimSpace(e.Account)
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_expert (name, fields, employer, employer_code, region, conflicts, account, available, demo, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`, e.Name, strings.Join(e.Fields, ","), e.Employer, e.EmployerCode, e.Region,
			strings.Join(e.Conflicts, ","), e.Account, b2i(e.Available), b2i(e.Demo), s.now()).Scan(&id); err != nil {
			return fmt.Errorf("project: expert: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "project_expert", strconv.FormatInt(id, 10), "/"+orgunit.Root+"/", nil,
			map[string]any{"name": e.Name, "fields": e.Fields, "employer": e.Employer, "region": e.Region, "conflicts": e.Conflicts, "account": e.Account})
	})
	return id, err
}

const expertCols = `id, name, fields, employer, employer_code, region, conflicts, account, available, demo, created_at`

func scanExpert(sc interface{ Scan(...any) error }) (Expert, error) {
	var e Expert
	var fields, conflicts string
	var avail, demo int
	if err := sc.Scan(&e.ID, &e.Name, &fields, &e.Employer, &e.EmployerCode, &e.Region, &conflicts, &e.Account, &avail, &demo, &e.CreatedAt); err != nil {
		return e, err
	}
	e.Fields = strings.Split(fields, ",")
	if conflicts != "" {
		e.Conflicts = strings.Split(conflicts, ",")
	}
	e.Available, e.Demo = avail == 1, demo == 1
	return e, nil
}

// ExpertFilter selects experts.
type ExpertFilter struct {
	Field   string
	Q       string
	Page    int
	PerPage int
}

// Experts returns one page of the pool and its size under f.
func (s *Service) Experts(ctx context.Context, f ExpertFilter) ([]Expert, int, error) {
	var args store.Args
	w := " WHERE 1=1"
	if f.Field != "" {
		w += " AND (',' || fields || ',') LIKE " + args.Add("%,"+f.Field+",%")
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(q) + "%"
		w += " AND (name LIKE " + args.Add(like) + " OR employer LIKE " + args.Add(like) + ")"
	}
	var total int
	if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_expert`+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("project: experts: %w", err)
	}
	per := f.PerPage
	if per <= 0 {
		per = 50
	}
	per = min(per, MaxExport)
	rows, err := s.DB.R.QueryContext(ctx, `SELECT `+expertCols+` FROM project_expert`+w+` ORDER BY id LIMIT `+strconv.Itoa(per)+
		` OFFSET `+strconv.Itoa((max(f.Page, 1)-1)*per), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("project: experts: %w", err)
	}
	defer rows.Close()
	var out []Expert
	for rows.Next() {
		e, err := scanExpert(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("project: experts: %w", err)
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Conflict is why expert e may not review project p, or "" when e may.
// Same employer as the applicant (by unit code or by name) and a declared
// tie with the owner unit or a unit above it are conflicts.
func Conflict(e Expert, p *Project) string {
	if e.EmployerCode != "" && e.EmployerCode == p.Owner {
		return "employer"
	}
	if strings.TrimSpace(e.Employer) == strings.TrimSpace(p.OwnerName) {
		return "employer"
	}
	for _, c := range e.Conflicts {
		if c != "" && strings.Contains(p.OwnerPath, "/"+c+"/") {
			return "declared"
		}
	}
	return ""
}

// Pick draws n of candidates (in the order given) with the generator
// seeded by seed: the same candidates and seed always give the same panel,
// so that anyone can reproduce a recorded draw.
func Pick(candidates []int64, seed uint64, n int) []int64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	perm := r.Perm(len(candidates))
	out := make([]int64, 0, n)
	for _, i := range perm[:min(n, len(perm))] {
		out = append(out, candidates[i])
	}
	return out
}

// NewSeed returns a random seed for a draw.
func NewSeed() uint64 {
	var b [8]byte
	crand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) >> 1 // fits a signed BIGINT
}

// Review is an expert panel drawn for one gate of a project.
type Review struct {
	ID         int64     `json:"id"`
	ProjectID  int64     `json:"project_id"`
	Stage      string    `json:"stage"`
	Field      string    `json:"field"`
	Size       int       `json:"size"`
	Seed       uint64    `json:"seed"`
	Candidates []int64   `json:"candidates"`
	ActorName  string    `json:"actor"`
	CreatedAt  time.Time `json:"created_at"`
	Seats      []Seat    `json:"seats"`
}

// Reproduces reports whether drawing again from the recorded candidates
// and seed gives the recorded panel.
func (r Review) Reproduces() bool {
	again := Pick(r.Candidates, r.Seed, r.Size)
	if len(again) != len(r.Seats) {
		return false
	}
	for i, s := range r.Seats {
		if again[i] != s.ExpertID {
			return false
		}
	}
	return true
}

// Mean is the panel's mean score in tenths ("85.5"), or "" before any score.
func (r Review) Mean() string {
	sum, n := 0, 0
	for _, s := range r.Seats {
		if s.Score != nil {
			sum += *s.Score
			n++
		}
	}
	if n == 0 {
		return ""
	}
	t := (sum*20 + n) / (2 * n) // tenths, rounded half up
	if t%10 == 0 {
		return strconv.Itoa(t / 10)
	}
	return strconv.Itoa(t/10) + "." + strconv.Itoa(t%10)
}

// Seat is one expert's place on a panel.
type Seat struct {
	ID         int64      `json:"id"`
	ReviewID   int64      `json:"review_id"`
	ExpertID   int64      `json:"expert_id"`
	ExpertName string     `json:"expert_name"`
	Employer   string     `json:"employer"`
	Position   int        `json:"position"` // 1-based: 专家 1, 专家 2 … for readers who may not see names
	Score      *int       `json:"score"`
	Opinion    string     `json:"opinion"`
	ScoredAt   *time.Time `json:"scored_at"`
}

// DrawPanel draws a panel of size experts of field for the submitted gate
// of project id in scopes, among the available experts without a conflict
// of interest, with seed (a new random seed when nil), records the
// candidates and the seed so that the draw can be reproduced, and returns
// the review's id.
func (s *Service) DrawPanel(ctx context.Context, a audit.Actor, scopes []string, id int64, field string, size int, seed *uint64) (int64, error) {
	if !slices.Contains(Fields, field) {
		return 0, i18n.Errorf("请选择专业领域", "choose a field").OnField("field")
	}
	if size < 3 || size > 15 {
		return 0, i18n.Errorf("评审专家人数应为 3 至 15 人：%d", "a panel has 3 to 15 experts: %d", size).OnField("size")
	}
	sd := NewSeed()
	if seed != nil {
		sd = *seed
	}
	var rid int64
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		p, err := s.getIn(ctx, tx, id, scopes)
		if err != nil {
			return err
		}
		if p.Status != Submitted {
			return i18n.Errorf("项目%[1]s；评审专家只为待审批的阶段抽取", "the project is %[2]s; panels are drawn for a gate waiting for its decision", statusZh[p.Status], p.Status)
		}
		cands, excluded, err := s.candidatesIn(ctx, tx, p, field)
		if err != nil {
			return err
		}
		if len(cands) < size {
			return i18n.Errorf("该领域可抽取的专家只有 %d 名（不可用或回避 %d 名），不足 %d 名", "only %d experts of this field can be drawn (%d excluded as unavailable or for conflicts), fewer than %d",
				len(cands), len(excluded), size).OnField("size")
		}
		panel := Pick(cands, sd, size)
		// excluded holds every expert of the field left out, with the reason.
		var accounts []string
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_review (project_id, stage, field, size, seed, candidates, actor_name, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`, id, p.Stage, field, size, int64(sd), joinIDs(cands), a.Name, s.now()).Scan(&rid); err != nil {
			return fmt.Errorf("project: draw: %w", err)
		}
		for i, eid := range panel {
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_seat (review_id, expert_id, position, opinion) VALUES ($1,$2,$3,'')`, rid, eid, i+1); err != nil {
				return fmt.Errorf("project: draw: %w", err)
			}
			var acct string
			if err := tx.QueryRowContext(ctx, `SELECT account FROM project_expert WHERE id = $1`, eid).Scan(&acct); err != nil {
				return fmt.Errorf("project: draw: %w", err)
			}
			accounts = append(accounts, acct)
		}
		body := fmt.Sprintf("抽取评审专家 %d 名：领域 %s，候选 %d 名，回避 %d 名，随机种子 %d", size, field, len(cands), len(excluded), sd)
		if err := s.event(ctx, tx, a, id, "draw", p.Stage, body); err != nil {
			return err
		}
		if err := s.notifyAssigned(ctx, tx, a, p, accounts); err != nil {
			return err
		}
		if err := recordExclusions(ctx, tx, "review", rid, excluded); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "draw", "project_review", strconv.FormatInt(rid, 10), p.OwnerPath, nil, map[string]any{
			"project": id, "stage": p.Stage, "field": field, "size": size, "seed": strconv.FormatUint(sd, 10), "candidates": cands, "excluded": exclusionMap(excluded), "panel": panel})
	})
	return rid, err
}

// Reviews returns the panels of project id with their seats (the caller
// has seen the project; hiding names from applicants is the page's job).
func (s *Service) Reviews(ctx context.Context, id int64) ([]Review, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, project_id, stage, field, size, seed, candidates, actor_name, created_at FROM project_review WHERE project_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("project: reviews: %w", err)
	}
	var out []Review
	for rows.Next() {
		var r Review
		var seed int64
		var cands string
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Stage, &r.Field, &r.Size, &seed, &cands, &r.ActorName, &r.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("project: reviews: %w", err)
		}
		r.Seed, r.Candidates = uint64(seed), splitIDs(cands)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Seats, err = s.seats(ctx, `s.review_id = $1`, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) seats(ctx context.Context, where string, arg any) ([]Seat, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT s.id, s.review_id, s.expert_id, e.name, e.employer, s.position, s.score, s.opinion, s.scored_at
		FROM project_seat s JOIN project_expert e ON e.id = s.expert_id WHERE `+where+` ORDER BY s.review_id, s.position`, arg)
	if err != nil {
		return nil, fmt.Errorf("project: seats: %w", err)
	}
	defer rows.Close()
	var out []Seat
	for rows.Next() {
		var st Seat
		var score sql.NullInt64
		var at sql.NullTime
		if err := rows.Scan(&st.ID, &st.ReviewID, &st.ExpertID, &st.ExpertName, &st.Employer, &st.Position, &score, &st.Opinion, &at); err != nil {
			return nil, fmt.Errorf("project: seats: %w", err)
		}
		if score.Valid {
			v := int(score.Int64)
			st.Score = &v
		}
		if at.Valid {
			st.ScoredAt = &at.Time
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// Assignment is a seat of the expert with its project, as the expert sees it.
type Assignment struct {
	Seat    Seat     `json:"seat"`
	Review  Review   `json:"review"`
	Project *Project `json:"project"`
	// Open says whether the gate still waits for its decision, so the
	// score can still be given or changed.
	Open bool `json:"open"`
}

// Assignments returns the seats of the expert whose account is account,
// newest first.
func (s *Service) Assignments(ctx context.Context, account string) ([]Assignment, error) {
	if account == "" {
		return []Assignment{}, nil
	}
	seats, err := s.seats(ctx, `e.account = $1`, account)
	if err != nil {
		return nil, err
	}
	out := make([]Assignment, 0, len(seats))
	for i := len(seats) - 1; i >= 0; i-- {
		as, err := s.assignment(ctx, seats[i])
		if err != nil {
			return nil, err
		}
		out = append(out, as)
	}
	return out, nil
}

func (s *Service) assignment(ctx context.Context, st Seat) (Assignment, error) {
	as := Assignment{Seat: st}
	var seed int64
	var cands string
	if err := s.DB.R.QueryRowContext(ctx, `SELECT id, project_id, stage, field, size, seed, candidates, actor_name, created_at FROM project_review WHERE id = $1`, st.ReviewID).
		Scan(&as.Review.ID, &as.Review.ProjectID, &as.Review.Stage, &as.Review.Field, &as.Review.Size, &seed, &cands, &as.Review.ActorName, &as.Review.CreatedAt); err != nil {
		return as, fmt.Errorf("project: assignment: %w", err)
	}
	p, err := s.get(ctx, s.DB.R, as.Review.ProjectID)
	if err != nil {
		return as, err
	}
	as.Project = p
	as.Open = p.Status == Submitted && p.Stage == as.Review.Stage
	return as, nil
}

// Assignment returns seat id if it belongs to the expert whose account is
// account; ErrOutside otherwise.
func (s *Service) Assignment(ctx context.Context, account string, id int64) (Assignment, error) {
	seats, err := s.seats(ctx, `s.id = $1`, id)
	if err != nil {
		return Assignment{}, err
	}
	if len(seats) == 0 {
		return Assignment{}, fmt.Errorf("project: seat %d: %w", id, store.ErrNotFound)
	}
	var acct string
	if err := s.DB.R.QueryRowContext(ctx, `SELECT account FROM project_expert WHERE id = $1`, seats[0].ExpertID).Scan(&acct); err != nil {
		return Assignment{}, fmt.Errorf("project: seat: %w", err)
	}
	if account == "" || acct != account {
		return Assignment{}, ErrOutside
	}
	return s.assignment(ctx, seats[0])
}

// Score records the score (0–100) and written opinion of the expert
// whose account is account on seat id while its gate waits for the
// decision; a later score replaces an earlier one.
func (s *Service) Score(ctx context.Context, a audit.Actor, account string, id int64, score int, opinion string) error {
	if score < 0 || score > 100 {
		return i18n.Errorf("评分应为 0 至 100 的整数：%d", "the score must be a whole number from 0 to 100: %d", score).OnField("score")
	}
	opinion, err := limitText(opinion, 5000, "opinion", "评审意见", "opinion")
	if err != nil {
		return err
	}
	if opinion == "" {
		return i18n.Errorf("请填写评审意见", "the written opinion is required").OnField("opinion")
	}
	as, err := s.Assignment(ctx, account, id)
	if err != nil {
		return err
	}
	if !as.Open {
		return i18n.Errorf("该阶段已作出决定，评分不能再改", "the gate has been decided; the score can no longer change")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE project_seat SET score = $1, opinion = $2, scored_at = $3 WHERE id = $4`, score, opinion, s.now(), id); err != nil {
			return fmt.Errorf("project: score: %w", err)
		}
		// The timeline names the seat, never the expert.
		seat := fmt.Sprintf("专家 %d", as.Seat.Position)
		body := fmt.Sprintf("%s 评分 %d", seat, score)
		if err := s.event(ctx, tx, audit.Actor{Name: seat}, as.Project.ID, "score", as.Review.Stage, body); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "score", "project_seat", strconv.FormatInt(id, 10), as.Project.OwnerPath,
			map[string]any{"score": as.Seat.Score, "opinion": as.Seat.Opinion}, map[string]any{"score": score, "opinion": opinion})
	})
}

// candidates are the ids of the experts of field who may review p
// today (see Screen), in id order.
func (s *Service) candidates(ctx context.Context, p *Project, field string) ([]int64, error) {
	c, _, err := s.candidatesIn(ctx, s.DB.R, p, field)
	return c, err
}

func (s *Service) candidatesIn(ctx context.Context, q querier, p *Project, field string) ([]int64, []Exclusion, error) {
	return s.screenField(ctx, q, field, []Applicant{ApplicantOf(p)})
}
