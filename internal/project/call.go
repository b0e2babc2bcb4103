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
	"unicode"

	"zhihui/internal/audit"
	"zhihui/internal/calendar"
	"zhihui/internal/i18n"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/supervise"
)

// Calls for pilot and demonstration projects (试点示范, §8.2 of the plan)
// and for the selection of excellent projects (优秀工程评选): the office
// opens a call with its eligibility, deadline and weighted criteria; units
// under the office apply, with a project of the portfolio where there is
// one; the office checks each application's eligibility, closes the call
// and draws one panel from the expert pool (the seeded draw of project
// reviews, leaving out every expert with a conflict with any eligible
// applicant); each expert scores every eligible application against the
// criteria; the office publishes the ranking, which the public may read.
//
// The ranking rule: an expert's score of an application is the weighted
// sum of the criteria scores (0–100 each, weights summing to 100); an
// application's score is the mean of its experts' scores after dropping
// the single highest and the single lowest when five or more experts
// scored it (a trimmed mean), computed exactly; ties are broken by the
// mean of all its scores, then by the earlier application. An expert who
// declared a conflict with an application (a recusal) does not score it:
// its mean and the trimming count only the scores given, and an
// application nobody could score comes last without a rank.

// Call kinds.
const (
	CallPilot = "pilot" // 试点示范
	CallAward = "award" // 优秀工程评选
)

// CallKinds lists the kinds of call.
var CallKinds = []string{CallPilot, CallAward}

// Call statuses, in order.
const (
	CallOpen      = "open"      // taking applications until the deadline
	CallClosed    = "closed"    // no more applications; eligibility checked
	CallReview    = "review"    // the panel scores
	CallPublished = "published" // results public
	CallWithdrawn = "withdrawn" // withdrawn by the office, with its reason
)

// Application statuses.
const (
	AppSubmitted  = "submitted"
	AppEligible   = "eligible"
	AppIneligible = "ineligible"
)

// MaxAppDocument bounds the document attached to an application.
const MaxAppDocument = MaxDocument

// MinTrim is the number of scores from which the highest and lowest are
// dropped.
const MinTrim = 5

// Criterion is one scoring criterion of a call with its weight in percent.
type Criterion struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
}

// ParseCriteria reads one criterion a line, "名称 权重" (the weight a whole
// percentage last on the line, after a space, tab, colon or comma); two to
// ten criteria with distinct names whose weights sum to 100. Errors name
// the line.
func ParseCriteria(text string) ([]Criterion, error) {
	var out []Criterion
	seen := map[string]bool{}
	sum := 0
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		place := func(e *i18n.Error) *i18n.Error { return e.At(i+1, "").OnField("criteria") }
		cut := strings.LastIndexFunc(line, func(r rune) bool {
			return unicode.IsSpace(r) || r == ':' || r == '：' || r == ',' || r == '，' || r == '、'
		})
		if cut < 0 {
			return nil, place(i18n.Errorf("第 %d 行应写作“名称 权重”，例如“创新性 30”", "line %d should read \"name weight\", for example \"创新性 30\"", i+1))
		}
		name := strings.TrimRightFunc(line[:cut], func(r rune) bool {
			return unicode.IsSpace(r) || r == ':' || r == '：' || r == ',' || r == '，' || r == '、'
		})
		_, size := firstRune(line[cut:])
		w, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(line[cut+size:]), "%"))
		if err != nil || w < 1 || w > 100 {
			return nil, place(i18n.Errorf("第 %d 行的权重应为 1 至 100 的整数", "the weight on line %d must be a whole number from 1 to 100", i+1))
		}
		if name == "" {
			return nil, place(i18n.Errorf("第 %d 行缺少评分项名称", "line %d has no criterion name", i+1))
		}
		if len([]rune(name)) > 50 {
			return nil, place(i18n.Errorf("第 %d 行的评分项名称过长（最多 50 字）", "the criterion name on line %d is too long (50 characters at most)", i+1))
		}
		if seen[name] {
			return nil, place(i18n.Errorf("第 %d 行的评分项“%s”重复", "the criterion %[2]q on line %[1]d repeats an earlier one", i+1, name))
		}
		seen[name] = true
		sum += w
		out = append(out, Criterion{Name: name, Weight: w})
		if len(out) > 10 {
			return nil, place(i18n.Errorf("评分项最多 10 项", "ten criteria at most"))
		}
	}
	if len(out) < 2 {
		return nil, i18n.Errorf("请至少填写两项评分项", "give at least two criteria").OnField("criteria")
	}
	if sum != 100 {
		return nil, i18n.Errorf("评分项权重之和应为 100，现为 %d", "the weights must sum to 100, not %d", sum).OnField("criteria").WithCode("weights_sum")
	}
	return out, nil
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// CriteriaText is criteria as ParseCriteria reads them.
func CriteriaText(cs []Criterion) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s %d\n", c.Name, c.Weight)
	}
	return b.String()
}

// Call is a call for pilots or awards.
type Call struct {
	ID          int64       `json:"id"`
	Kind        string      `json:"kind"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Org         string      `json:"org"`
	OrgPath     string      `json:"-"`
	OrgName     string      `json:"org_name"`
	Levels      []string    `json:"levels"`     // empty: every level
	Categories  []string    `json:"categories"` // empty: every category
	Deadline    string      `json:"deadline"`   // the last day applications are taken
	Criteria    []Criterion `json:"criteria"`
	Field       string      `json:"field"`
	PanelSize   int         `json:"panel_size"`
	Status      string      `json:"status"`
	Seed        uint64      `json:"-"`
	Candidates  []int64     `json:"-"`
	DrawnAt     *time.Time  `json:"drawn_at,omitempty"`
	PublishedAt *time.Time  `json:"published_at,omitempty"`
	ResultNote  string      `json:"result_note"`
	ActorName   string      `json:"-"`
	Demo        bool        `json:"demo,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	// WithdrawReason and WithdrawnAt are set when the office withdrew the call.
	WithdrawReason string     `json:"withdraw_reason,omitempty"`
	WithdrawnAt    *time.Time `json:"withdrawn_at,omitempty"`
}

// NewCall is what the office gives to open a call.
type NewCall struct {
	Kind, Title, Description string
	Org                      string // the unit code whose subtree may apply
	Levels, Categories       []string
	Deadline                 string // YYYY-MM-DD; a holiday moves to the next working day
	Criteria                 string // see ParseCriteria
	Field                    string
	PanelSize                int
	Demo                     bool
}

// OpenCall opens a call for the units under nc.Org, which must lie in
// scopes. A deadline on a weekend or public holiday moves to the next
// working day (calendar.Default); it may not be in the past.
func (s *Service) OpenCall(ctx context.Context, a audit.Actor, scopes []string, nc NewCall) (int64, error) {
	crit, deadline, err := s.checkCall(&nc, "")
	if err != nil {
		return 0, err
	}
	org, err := orgunit.Get(ctx, s.DB, strings.TrimSpace(nc.Org))
	if errors.Is(err, store.ErrNotFound) {
		return 0, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", nc.Org).OnField("org")
	}
	if err != nil {
		return 0, err
	}
	if !covered(org.Path, scopes) {
		return 0, ErrOutside
	}
	body, _ := json.Marshal(crit)
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_call (kind, title, description, org_code, org_path, org_name, levels, categories, deadline, criteria, field, panel_size,
			status, seed, candidates, result_note, actor_name, demo, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,0,'','',$14,$15,$16) RETURNING id`,
			nc.Kind, nc.Title, nc.Description, org.Code, org.Path, org.Name, strings.Join(nc.Levels, ","), strings.Join(nc.Categories, ","), deadline, string(body),
			nc.Field, nc.PanelSize, CallOpen, a.Name, b2i(nc.Demo), s.now()).Scan(&id); err != nil {
			return fmt.Errorf("project: call: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "project_call", strconv.FormatInt(id, 10), org.Path, nil, map[string]any{
			"kind": nc.Kind, "title": nc.Title, "org": org.Code, "levels": nc.Levels, "categories": nc.Categories, "deadline": deadline,
			"criteria": crit, "field": nc.Field, "panel_size": nc.PanelSize})
	})
	return id, err
}

// checkCall checks and tidies what the office gives for a call, and
// returns its criteria and its deadline moved past weekends and public
// holidays. The deadline may not have passed unless it is keep (a call's
// deadline left as it was).
func (s *Service) checkCall(nc *NewCall, keep string) ([]Criterion, string, error) {
	var err error
	if !slices.Contains(CallKinds, nc.Kind) {
		return nil, "", i18n.Errorf("请选择通知类型", "choose the kind of call").OnField("kind")
	}
	if nc.Title, err = limitText(nc.Title, 100, "title", "标题", "title"); err != nil {
		return nil, "", err
	}
	if nc.Title == "" {
		return nil, "", i18n.Errorf("请填写标题", "the title is required").OnField("title")
	}
	if nc.Description, err = limitText(nc.Description, 5000, "description", "通知内容", "description"); err != nil {
		return nil, "", err
	}
	if nc.Description == "" {
		return nil, "", i18n.Errorf("请填写通知内容", "the description is required").OnField("description")
	}
	for _, l := range nc.Levels {
		if !slices.Contains(Levels, l) {
			return nil, "", i18n.Errorf("未知的项目层级 %q", "unknown level %q", l).OnField("levels")
		}
	}
	for _, c := range nc.Categories {
		if !slices.Contains(Categories, c) {
			return nil, "", i18n.Errorf("未知的项目类别 %q", "unknown category %q", c).OnField("categories")
		}
	}
	day, err := checkDate(nc.Deadline, "deadline", "申报截止日期", "deadline")
	if err != nil {
		return nil, "", err
	}
	dl, _ := calendar.ParseDate(day)
	deadline := calendar.Format(calendar.Default().Postpone(dl))
	if deadline < s.Today() && !nc.Demo && deadline != keep {
		return nil, "", i18n.Errorf("申报截止日期 %s 已过", "the deadline %s has passed", deadline).OnField("deadline")
	}
	crit, err := ParseCriteria(nc.Criteria)
	if err != nil {
		return nil, "", err
	}
	if !slices.Contains(Fields, nc.Field) {
		return nil, "", i18n.Errorf("请选择评审专家的专业领域", "choose the experts' field").OnField("field")
	}
	if nc.PanelSize < 3 || nc.PanelSize > 15 {
		return nil, "", i18n.Errorf("评审专家人数应为 3 至 15 人：%d", "a panel has 3 to 15 experts: %d", nc.PanelSize).OnField("panel_size")
	}
	return crit, deadline, nil
}

const callCols = `id, kind, title, description, org_code, org_path, org_name, levels, categories, deadline, criteria, field, panel_size, status, seed, candidates,
	drawn_at, published_at, result_note, actor_name, demo, created_at, withdraw_reason, withdrawn_at`

func scanCall(sc interface{ Scan(...any) error }) (*Call, error) {
	var c Call
	var levels, cats, crit, cands string
	var seed int64
	var demo int
	var drawn, pub, withdrawn sql.NullTime
	if err := sc.Scan(&c.ID, &c.Kind, &c.Title, &c.Description, &c.Org, &c.OrgPath, &c.OrgName, &levels, &cats, &c.Deadline, &crit, &c.Field, &c.PanelSize,
		&c.Status, &seed, &cands, &drawn, &pub, &c.ResultNote, &c.ActorName, &demo, &c.CreatedAt, &c.WithdrawReason, &withdrawn); err != nil {
		return nil, err
	}
	if levels != "" {
		c.Levels = strings.Split(levels, ",")
	}
	if cats != "" {
		c.Categories = strings.Split(cats, ",")
	}
	if err := json.Unmarshal([]byte(crit), &c.Criteria); err != nil {
		return nil, fmt.Errorf("project: call %d criteria: %w", c.ID, err)
	}
	c.Seed, c.Candidates, c.Demo = uint64(seed), splitIDs(cands), demo == 1
	if drawn.Valid {
		c.DrawnAt = &drawn.Time
	}
	if pub.Valid {
		c.PublishedAt = &pub.Time
	}
	if withdrawn.Valid {
		c.WithdrawnAt = &withdrawn.Time
	}
	return &c, nil
}

// Accepting reports whether the call takes applications on day.
func (c *Call) Accepting(day string) bool { return c.Status == CallOpen && day <= c.Deadline }

// Reproduces reports whether drawing again from the recorded candidates
// and seed gives the seats.
func (c *Call) Reproduces(seats []CallSeat) bool {
	again := Pick(c.Candidates, c.Seed, c.PanelSize)
	if len(again) != len(seats) {
		return false
	}
	for i, st := range seats {
		if again[i] != st.ExpertID {
			return false
		}
	}
	return true
}

// GetCall returns call id.
func (s *Service) GetCall(ctx context.Context, id int64) (*Call, error) {
	return s.getCall(ctx, s.DB.R, id)
}

func (s *Service) getCall(ctx context.Context, q querier, id int64) (*Call, error) {
	c, err := scanCall(q.QueryRowContext(ctx, `SELECT `+callCols+` FROM project_call WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("project: call %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("project: call: %w", err)
	}
	return c, nil
}

// CallFor returns call id if the caller with scopes may see it: an office
// over its unit, or a unit under it.
func (s *Service) CallFor(ctx context.Context, scopes []string, id int64) (*Call, error) {
	c, err := s.GetCall(ctx, id)
	if err != nil {
		return nil, err
	}
	if !visible(c, scopes) {
		return nil, ErrOutside
	}
	return c, nil
}

func visible(c *Call, scopes []string) bool {
	for _, sc := range scopes {
		if orgunit.InSubtree(sc, c.OrgPath) || orgunit.InSubtree(c.OrgPath, sc) {
			return true
		}
	}
	return false
}

// Calls returns the calls the caller with scopes may see, newest first.
func (s *Service) Calls(ctx context.Context, scopes []string) ([]*Call, error) {
	return s.listCalls(ctx, func(c *Call) bool { return visible(c, scopes) }, "")
}

// PublishedCalls returns the calls whose results are published, newest first.
func (s *Service) PublishedCalls(ctx context.Context) ([]*Call, error) {
	return s.listCalls(ctx, func(*Call) bool { return true }, CallPublished)
}

func (s *Service) listCalls(ctx context.Context, keep func(*Call) bool, status string) ([]*Call, error) {
	q := `SELECT ` + callCols + ` FROM project_call`
	var args []any
	if status != "" {
		q += ` WHERE status = $1`
		args = append(args, status)
	}
	rows, err := s.DB.R.QueryContext(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("project: calls: %w", err)
	}
	defer rows.Close()
	out := []*Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("project: calls: %w", err)
		}
		if keep(c) {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// Application is a unit's application to a call.
type Application struct {
	ID            int64      `json:"id"`
	CallID        int64      `json:"call_id"`
	Unit          string     `json:"unit"`
	UnitPath      string     `json:"-"`
	UnitName      string     `json:"unit_name"`
	UnitLevel     string     `json:"unit_level"`
	ProjectID     int64      `json:"project_id,omitempty"`
	ProjectNumber string     `json:"project_number,omitempty"`
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	ApplicantID   int64      `json:"-"`
	ApplicantName string     `json:"applicant"`
	Status        string     `json:"status"`
	CheckNote     string     `json:"check_note"`
	CheckedBy     string     `json:"-"`
	CheckedAt     *time.Time `json:"checked_at,omitempty"`
	Rank          int        `json:"rank,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	// Level and Category are those the eligibility rule reads: the
	// project's when there is one, else the unit's level and no category.
	Level    string       `json:"level"`
	Category string       `json:"category,omitempty"`
	Document *AppDocument `json:"document,omitempty"`
}

// AppDocument is the file attached to an application.
type AppDocument struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// NewApplication is a unit's application.
type NewApplication struct {
	Unit      string // unit code
	ProjectID int64  // 0: no project of the portfolio
	Title     string // empty: the project's name
	Body      string
	DocName   string
	Doc       []byte
}

// Eligible says whether app meets the call's levels and categories, and
// if not why, in both languages.
func Eligible(c *Call, app *Application) (bool, i18n.Text) {
	if len(c.Levels) > 0 && !slices.Contains(c.Levels, app.Level) {
		return false, i18n.Text{Zh: "层级“" + levelZh[app.Level] + "”不在申报范围内", En: "the level " + app.Level + " is not eligible"}
	}
	if len(c.Categories) > 0 {
		if app.Category == "" {
			return false, i18n.Text{Zh: "未关联项目，无法确认项目类别", En: "no project is attached, so the category is unknown"}
		}
		if !slices.Contains(c.Categories, app.Category) {
			return false, i18n.Text{Zh: "类别“" + categoryZh[app.Category] + "”不在申报范围内", En: "the category " + app.Category + " is not eligible"}
		}
	}
	return true, i18n.Text{Zh: "符合申报层级和类别", En: "meets the levels and categories"}
}

var (
	levelZh    = map[string]string{"province": "省级", "city": "市级", "county": "县级"}
	categoryZh = map[string]string{"new": "新建", "upgrade": "升级改造", "om": "运维"}
)

// Apply stores unit's application to call id; the unit must lie in scopes
// and under the call's unit, the call take applications today, and the
// project (if any) belong to the unit.
func (s *Service) Apply(ctx context.Context, a audit.Actor, scopes []string, callID int64, na NewApplication) (int64, error) {
	var err error
	if na.Body, err = limitText(na.Body, 5000, "body", "申报材料正文", "application text"); err != nil {
		return 0, err
	}
	if na.Body == "" {
		return 0, i18n.Errorf("请填写申报材料正文", "the application text is required").OnField("body")
	}
	if na.Title, err = limitText(na.Title, 100, "title", "申报名称", "title"); err != nil {
		return 0, err
	}
	var ct string
	if len(na.Doc) > 0 || na.DocName != "" {
		if ct, err = supervise.CheckUpload(supervise.Upload{Name: na.DocName, Data: na.Doc}); err != nil {
			return 0, err
		}
	}
	u, err := orgunit.Get(ctx, s.DB, strings.TrimSpace(na.Unit))
	if errors.Is(err, store.ErrNotFound) {
		return 0, i18n.Errorf("没有代码为 %q 的单位", "no unit has the code %q", na.Unit).OnField("unit")
	}
	if err != nil {
		return 0, err
	}
	if !covered(u.Path, scopes) {
		return 0, ErrOutside
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.getCall(ctx, tx, callID)
		if err != nil {
			return err
		}
		if !orgunit.InSubtree(u.Path, c.OrgPath) {
			return i18n.Errorf("%s 不在本次通知的申报范围内", "%s is not among the units this call is for", u.Name).OnField("unit")
		}
		if !c.Accepting(s.Today()) {
			return i18n.Errorf("本次通知已截止申报（截止日期 %s）", "the call no longer takes applications (deadline %s)", c.Deadline)
		}
		var pid any
		if na.ProjectID != 0 {
			p, err := s.get(ctx, tx, na.ProjectID)
			if err != nil || p.Owner != u.Code {
				return i18n.Errorf("所选项目不是 %s 的项目", "the chosen project is not one of %s", u.Name).OnField("project")
			}
			pid = p.ID
			if na.Title == "" {
				na.Title = p.Name
			}
		}
		if na.Title == "" {
			return i18n.Errorf("请填写申报名称", "the title is required").OnField("title")
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_application WHERE call_id = $1 AND unit_code = $2 AND title = $3`, c.ID, u.Code, na.Title).Scan(&n); err != nil {
			return fmt.Errorf("project: apply: %w", err)
		}
		if n > 0 {
			return i18n.Errorf("%s 已申报“%s”", "%s has already applied with %q", u.Name, na.Title).OnField("title")
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO project_application (call_id, unit_code, unit_path, unit_name, unit_level, project_id, title, body, applicant_id, applicant_name,
			status, check_note, checked_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'','',$12) RETURNING id`,
			c.ID, u.Code, u.Path, u.Name, LevelOf(u), pid, na.Title, na.Body, a.UserID, a.Name, AppSubmitted, s.now()).Scan(&id); err != nil {
			return fmt.Errorf("project: apply: %w", err)
		}
		if ct != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_app_document (application_id, name, content_type, size, data, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
				id, na.DocName, ct, len(na.Doc), na.Doc, s.now()); err != nil {
				return fmt.Errorf("project: apply: %w", err)
			}
		}
		if err := notifyApplied(ctx, tx, a, c, u.Name, na.Title, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "apply", "project_application", strconv.FormatInt(id, 10), u.Path, nil, map[string]any{
			"call": c.ID, "unit": u.Code, "project": na.ProjectID, "title": na.Title, "document": na.DocName, "size": len(na.Doc)})
	})
	return id, err
}

const appCols = `a.id, a.call_id, a.unit_code, a.unit_path, a.unit_name, a.unit_level, a.project_id, COALESCE(p.number, ''), COALESCE(p.level, ''), COALESCE(p.category, ''),
	a.title, a.body, a.applicant_id, a.applicant_name, a.status, a.check_note, a.checked_by, a.checked_at, a.rank, a.created_at,
	d.id, d.name, d.content_type, d.size`

const appFrom = ` FROM project_application a LEFT JOIN project_project p ON p.id = a.project_id LEFT JOIN project_app_document d ON d.application_id = a.id`

func scanApp(sc interface{ Scan(...any) error }) (*Application, error) {
	var x Application
	var pid, rank, did, dsize sql.NullInt64
	var plevel, pcat string
	var checked sql.NullTime
	var dname, dtype sql.NullString
	if err := sc.Scan(&x.ID, &x.CallID, &x.Unit, &x.UnitPath, &x.UnitName, &x.UnitLevel, &pid, &x.ProjectNumber, &plevel, &pcat, &x.Title, &x.Body,
		&x.ApplicantID, &x.ApplicantName, &x.Status, &x.CheckNote, &x.CheckedBy, &checked, &rank, &x.CreatedAt, &did, &dname, &dtype, &dsize); err != nil {
		return nil, err
	}
	x.ProjectID, x.Rank = pid.Int64, int(rank.Int64)
	x.Level, x.Category = x.UnitLevel, pcat
	if pid.Valid {
		x.Level = plevel
	}
	if checked.Valid {
		x.CheckedAt = &checked.Time
	}
	if did.Valid {
		x.Document = &AppDocument{ID: did.Int64, Name: dname.String, ContentType: dtype.String, Size: dsize.Int64}
	}
	return &x, nil
}

// Applications returns the applications to call id within scopes (all of
// them for scopes covering the call's unit), in the order they came.
func (s *Service) Applications(ctx context.Context, scopes []string, callID int64) ([]*Application, error) {
	return s.applications(ctx, s.DB.R, scopes, callID)
}

func (s *Service) applications(ctx context.Context, q querier, scopes []string, callID int64) ([]*Application, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+appCols+appFrom+` WHERE a.call_id = $1 ORDER BY a.created_at, a.id`, callID)
	if err != nil {
		return nil, fmt.Errorf("project: applications: %w", err)
	}
	defer rows.Close()
	out := []*Application{}
	for rows.Next() {
		x, err := scanApp(rows)
		if err != nil {
			return nil, fmt.Errorf("project: applications: %w", err)
		}
		if scopes == nil || covered(x.UnitPath, scopes) {
			out = append(out, x)
		}
	}
	return out, rows.Err()
}

// GetApplication returns application id with its call if the caller with
// scopes covers the applicant unit or the call's unit.
func (s *Service) GetApplication(ctx context.Context, scopes []string, id int64) (*Application, *Call, error) {
	x, err := scanApp(s.DB.R.QueryRowContext(ctx, `SELECT `+appCols+appFrom+` WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("project: application %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("project: application: %w", err)
	}
	c, err := s.GetCall(ctx, x.CallID)
	if err != nil {
		return nil, nil, err
	}
	if !covered(x.UnitPath, scopes) && !covered(c.OrgPath, scopes) {
		return nil, nil, ErrOutside
	}
	return x, c, nil
}

// AppDocumentData returns the document of an application the caller with
// scopes may see, with its bytes.
func (s *Service) AppDocumentData(ctx context.Context, scopes []string, id int64) (*AppDocument, []byte, error) {
	var d AppDocument
	var app int64
	var data []byte
	err := s.DB.R.QueryRowContext(ctx, `SELECT id, application_id, name, content_type, size, data FROM project_app_document WHERE id = $1`, id).
		Scan(&d.ID, &app, &d.Name, &d.ContentType, &d.Size, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("project: application document %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("project: application document: %w", err)
	}
	if _, _, err := s.GetApplication(ctx, scopes, app); err != nil {
		return nil, nil, err
	}
	return &d, data, nil
}

// managed returns call id if scopes cover its unit (the office's own).
func (s *Service) managed(ctx context.Context, q querier, scopes []string, id int64) (*Call, error) {
	c, err := s.getCall(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if !covered(c.OrgPath, scopes) {
		return nil, ErrOutside
	}
	return c, nil
}

// CheckApplication records the office's eligibility decision on
// application id with a note (required when ineligible), before the
// panel is drawn.
func (s *Service) CheckApplication(ctx context.Context, a audit.Actor, scopes []string, id int64, eligible bool, note string) error {
	note, err := limitText(note, 500, "note", "审核意见", "note")
	if err != nil {
		return err
	}
	if !eligible && note == "" {
		return i18n.Errorf("不符合申报条件时请说明理由", "say why the application is not eligible").OnField("note")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		x, err := scanApp(tx.QueryRowContext(ctx, `SELECT `+appCols+appFrom+` WHERE a.id = $1`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("project: application %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("project: check: %w", err)
		}
		c, err := s.managed(ctx, tx, scopes, x.CallID)
		if err != nil {
			return err
		}
		if c.Status != CallOpen && c.Status != CallClosed {
			return i18n.Errorf("评审专家已抽取，资格审查不能再改", "the panel has been drawn; eligibility can no longer change")
		}
		status := AppIneligible
		if eligible {
			status = AppEligible
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_application SET status = $1, check_note = $2, checked_by = $3, checked_at = $4 WHERE id = $5`,
			status, note, a.Name, s.now(), id); err != nil {
			return fmt.Errorf("project: check: %w", err)
		}
		if err := notifyChecked(ctx, tx, a, c, x, eligible, note); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "check", "project_application", strconv.FormatInt(id, 10), x.UnitPath,
			map[string]any{"status": x.Status, "note": x.CheckNote}, map[string]any{"status": status, "note": note})
	})
}

// CloseCall stops call id taking applications (the office may close it
// before its deadline).
func (s *Service) CloseCall(ctx context.Context, a audit.Actor, scopes []string, id int64) error {
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.managed(ctx, tx, scopes, id)
		if err != nil {
			return err
		}
		if c.Status != CallOpen {
			return i18n.Errorf("本次通知已截止申报", "the call is already closed")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_call SET status = $1 WHERE id = $2`, CallClosed, id); err != nil {
			return fmt.Errorf("project: close call: %w", err)
		}
		return audit.Record(ctx, tx, a, "close", "project_call", strconv.FormatInt(id, 10), c.OrgPath, map[string]any{"status": c.Status}, map[string]any{"status": CallClosed})
	})
}

// CallSeat is one expert's place on a call's panel.
type CallSeat struct {
	ID         int64  `json:"id"`
	CallID     int64  `json:"call_id"`
	ExpertID   int64  `json:"-"`
	ExpertName string `json:"-"`
	Employer   string `json:"-"`
	Account    string `json:"-"`
	Position   int    `json:"position"`
	Scored     int    `json:"scored"`  // applications scored
	Recused    int    `json:"recused"` // applications the expert recused from
}

// Done reports whether the seat has scored or recused from each of n
// applications.
func (st CallSeat) Done(n int) bool { return st.Scored+st.Recused >= n }

// DrawCallPanel draws the panel of closed call id once every application
// is checked: the call's size of experts of its field among those free of
// conflicts with every eligible applicant today (see Screen), with seed
// (random when nil), recording the candidates, the seed and the reason
// each other expert of the field was left out.
func (s *Service) DrawCallPanel(ctx context.Context, a audit.Actor, scopes []string, id int64, seed *uint64) error {
	sd := NewSeed()
	if seed != nil {
		sd = *seed
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.managed(ctx, tx, scopes, id)
		if err != nil {
			return err
		}
		if c.Status != CallClosed {
			return i18n.Errorf("请先截止申报，再抽取评审专家", "close the call before drawing its panel")
		}
		apps, err := s.applications(ctx, tx, nil, id)
		if err != nil {
			return err
		}
		var applicants []Applicant
		for _, x := range apps {
			switch x.Status {
			case AppSubmitted:
				return i18n.Errorf("“%s”尚未进行资格审查", "%q has not been checked for eligibility", x.Title)
			case AppEligible:
				applicants = append(applicants, Applicant{Code: x.Unit, Path: x.UnitPath, Name: x.UnitName})
			}
		}
		if len(applicants) == 0 {
			return i18n.Errorf("没有符合条件的申报，无需抽取评审专家", "no application is eligible; there is nothing to review")
		}
		cands, excluded, err := s.screenField(ctx, tx, c.Field, applicants)
		if err != nil {
			return err
		}
		if len(cands) < c.PanelSize {
			return i18n.Errorf("该领域可抽取的专家只有 %d 名（不可用或回避 %d 名），不足 %d 名", "only %d experts of this field can be drawn (%d excluded as unavailable or for conflicts), fewer than %d",
				len(cands), len(excluded), c.PanelSize)
		}
		panel := Pick(cands, sd, c.PanelSize)
		var accounts []string
		for i, eid := range panel {
			if _, err := tx.ExecContext(ctx, `INSERT INTO project_call_seat (call_id, expert_id, position) VALUES ($1,$2,$3)`, id, eid, i+1); err != nil {
				return fmt.Errorf("project: call draw: %w", err)
			}
			var acct string
			if err := tx.QueryRowContext(ctx, `SELECT account FROM project_expert WHERE id = $1`, eid).Scan(&acct); err != nil {
				return fmt.Errorf("project: call draw: %w", err)
			}
			accounts = append(accounts, acct)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_call SET status = $1, seed = $2, candidates = $3, drawn_at = $4 WHERE id = $5`,
			CallReview, int64(sd), joinIDs(cands), s.now(), id); err != nil {
			return fmt.Errorf("project: call draw: %w", err)
		}
		if err := recordExclusions(ctx, tx, "call", id, excluded); err != nil {
			return err
		}
		if err := s.notifyCallAssigned(ctx, tx, a, c, accounts); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "draw", "project_call", strconv.FormatInt(id, 10), c.OrgPath, nil, map[string]any{
			"field": c.Field, "size": c.PanelSize, "seed": strconv.FormatUint(sd, 10), "candidates": cands, "excluded": exclusionMap(excluded), "panel": panel})
	})
}

// CallSeats returns the panel of call id (names are for the office).
func (s *Service) CallSeats(ctx context.Context, id int64) ([]CallSeat, error) {
	return s.callSeats(ctx, `s.call_id = $1`, id)
}

func (s *Service) callSeats(ctx context.Context, where string, arg any) ([]CallSeat, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT s.id, s.call_id, s.expert_id, e.name, e.employer, e.account, s.position,
		(SELECT COUNT(*) FROM project_call_score x WHERE x.seat_id = s.id), (SELECT COUNT(*) FROM project_call_recusal x WHERE x.seat_id = s.id)
		FROM project_call_seat s JOIN project_expert e ON e.id = s.expert_id WHERE `+where+` ORDER BY s.call_id DESC, s.position`, arg)
	if err != nil {
		return nil, fmt.Errorf("project: call seats: %w", err)
	}
	defer rows.Close()
	out := []CallSeat{}
	for rows.Next() {
		var st CallSeat
		if err := rows.Scan(&st.ID, &st.CallID, &st.ExpertID, &st.ExpertName, &st.Employer, &st.Account, &st.Position, &st.Scored, &st.Recused); err != nil {
			return nil, fmt.Errorf("project: call seats: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// CallScore is one expert's scores of one application.
type CallScore struct {
	SeatID        int64     `json:"-"`
	Position      int       `json:"position"`
	ApplicationID int64     `json:"application_id"`
	Scores        []int     `json:"scores"` // per criterion, 0–100
	Total         int64     `json:"total"`  // Σ weight × score: hundredths of a point
	Opinion       string    `json:"opinion"`
	ScoredAt      time.Time `json:"scored_at"`
}

// CallAssignment is a seat of the expert with its call and the eligible
// applications with the expert's own scores.
type CallAssignment struct {
	Seat         CallSeat
	Call         *Call
	Applications []*Application
	Mine         map[int64]CallScore // by application id
	Recused      map[int64]Recusal   // by application id
	Open         bool                // the panel still scores
}

// CallAssignments returns the call seats of the expert whose account is
// account, newest first.
func (s *Service) CallAssignments(ctx context.Context, account string) ([]CallAssignment, error) {
	out := []CallAssignment{}
	if account == "" {
		return out, nil
	}
	seats, err := s.callSeats(ctx, `e.account = $1`, account)
	if err != nil {
		return nil, err
	}
	for _, st := range seats {
		as, err := s.callAssignment(ctx, st)
		if err != nil {
			return nil, err
		}
		out = append(out, as)
	}
	return out, nil
}

// CallAssignment returns seat id if it belongs to the expert whose
// account is account; ErrOutside otherwise.
func (s *Service) CallAssignment(ctx context.Context, account string, id int64) (CallAssignment, error) {
	seats, err := s.callSeats(ctx, `s.id = $1`, id)
	if err != nil {
		return CallAssignment{}, err
	}
	if len(seats) == 0 {
		return CallAssignment{}, fmt.Errorf("project: call seat %d: %w", id, store.ErrNotFound)
	}
	if account == "" || seats[0].Account != account {
		return CallAssignment{}, ErrOutside
	}
	return s.callAssignment(ctx, seats[0])
}

func (s *Service) callAssignment(ctx context.Context, st CallSeat) (CallAssignment, error) {
	c, err := s.GetCall(ctx, st.CallID)
	if err != nil {
		return CallAssignment{}, err
	}
	apps, err := s.applications(ctx, s.DB.R, nil, c.ID)
	if err != nil {
		return CallAssignment{}, err
	}
	as := CallAssignment{Seat: st, Call: c, Open: c.Status == CallReview, Mine: map[int64]CallScore{}, Recused: map[int64]Recusal{}}
	for _, x := range apps {
		if x.Status == AppEligible {
			as.Applications = append(as.Applications, x)
		}
	}
	scores, err := s.callScores(ctx, `x.seat_id = $1`, st.ID)
	if err != nil {
		return as, err
	}
	for _, sc := range scores {
		as.Mine[sc.ApplicationID] = sc
	}
	rec, err := s.recusals(ctx, s.DB.R, `x.seat_id = $1`, st.ID)
	if err != nil {
		return as, err
	}
	for _, x := range rec {
		as.Recused[x.ApplicationID] = x
	}
	return as, nil
}

func (s *Service) callScores(ctx context.Context, where string, arg any) ([]CallScore, error) {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT x.seat_id, st.position, x.application_id, x.scores, x.total, x.opinion, x.scored_at
		FROM project_call_score x JOIN project_call_seat st ON st.id = x.seat_id WHERE `+where+` ORDER BY x.application_id, st.position`, arg)
	if err != nil {
		return nil, fmt.Errorf("project: call scores: %w", err)
	}
	defer rows.Close()
	var out []CallScore
	for rows.Next() {
		var sc CallScore
		var scores string
		if err := rows.Scan(&sc.SeatID, &sc.Position, &sc.ApplicationID, &scores, &sc.Total, &sc.Opinion, &sc.ScoredAt); err != nil {
			return nil, fmt.Errorf("project: call scores: %w", err)
		}
		for _, f := range strings.Split(scores, ",") {
			v, _ := strconv.Atoi(f)
			sc.Scores = append(sc.Scores, v)
		}
		out = append(out, sc)
	}
	return out, rows.Err()
}

// ScoreApplication records the criteria scores (0–100 each, in the call's
// order) and opinion of the expert whose account is account, on seat id,
// for eligible application app of the seat's call while the panel
// scores; a later score replaces an earlier one.
func (s *Service) ScoreApplication(ctx context.Context, a audit.Actor, account string, id, app int64, scores []int, opinion string) error {
	opinion, err := requiredText(opinion, 2000, "opinion", "评审意见", "opinion", i18n.Errorf("请填写评审意见", "the written opinion is required"))
	if err != nil {
		return err
	}
	as, target, err := s.reviewing(ctx, account, id, app, i18n.Errorf("评审已结束，评分不能再改", "the review is over; scores can no longer change"))
	if err != nil {
		return err
	}
	if _, ok := as.Recused[app]; ok {
		return i18n.Errorf("您已声明回避“%s”，不能评分", "you recused yourself from %q and cannot score it", target.Title)
	}
	if len(scores) != len(as.Call.Criteria) {
		return i18n.Errorf("请为每一项评分项打分", "score every criterion")
	}
	var total int64
	parts := make([]string, len(scores))
	for i, v := range scores {
		if v < 0 || v > 100 {
			return i18n.Errorf("“%s”的评分应为 0 至 100 的整数：%d", "the score of %q must be a whole number from 0 to 100: %d", as.Call.Criteria[i].Name, v).OnField("c" + strconv.Itoa(i))
		}
		total += int64(v * as.Call.Criteria[i].Weight)
		parts[i] = strconv.Itoa(v)
	}
	before := as.Mine[app]
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM project_call_score WHERE seat_id = $1 AND application_id = $2`, id, app); err != nil {
			return fmt.Errorf("project: call score: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO project_call_score (seat_id, application_id, scores, total, opinion, scored_at) VALUES ($1,$2,$3,$4,$5,$6)`,
			id, app, strings.Join(parts, ","), total, opinion, s.now()); err != nil {
			return fmt.Errorf("project: call score: %w", err)
		}
		return audit.Record(ctx, tx, a, "score", "project_application", strconv.FormatInt(app, 10), target.UnitPath,
			map[string]any{"seat": id, "scores": before.Scores, "total": before.Total}, map[string]any{"seat": id, "scores": scores, "total": total, "opinion": opinion})
	})
}

// Mean is an exact mean of expert totals: Sum hundredths of a point over N.
type Mean struct {
	Sum int64 `json:"sum"`
	N   int64 `json:"n"`
}

// Cmp compares m with o (-1, 0, 1); a mean without scores is the lowest.
func (m Mean) Cmp(o Mean) int {
	switch {
	case m.N == 0 && o.N == 0:
		return 0
	case m.N == 0:
		return -1
	case o.N == 0:
		return 1
	}
	l, r := m.Sum*o.N, o.Sum*m.N
	switch {
	case l < r:
		return -1
	case l > r:
		return 1
	}
	return 0
}

// String is the mean in points with two decimals, rounded half up ("87.35"),
// or "—" without scores.
func (m Mean) String() string {
	if m.N == 0 {
		return "—"
	}
	// Sum is in hundredths of a point per expert: the mean in points is
	// Sum / (100 N); in hundredths, Sum / N.
	h := (2*m.Sum + m.N) / (2 * m.N)
	return strconv.FormatInt(h/100, 10) + "." + fmt.Sprintf("%02d", h%100)
}

// Trimmed is the mean of totals (hundredths of a point) after dropping
// the single highest and lowest when there are MinTrim or more, and the
// mean of all of them.
func Trimmed(totals []int64) (trimmed, all Mean) {
	for _, t := range totals {
		all.Sum += t
		all.N++
	}
	if len(totals) < MinTrim {
		return all, all
	}
	sorted := slices.Clone(totals)
	slices.Sort(sorted)
	return Mean{Sum: all.Sum - sorted[0] - sorted[len(sorted)-1], N: all.N - 2}, all
}

// Ranked is one eligible application in the ranking.
type Ranked struct {
	Application *Application `json:"application"`
	Rank        int          `json:"rank"`
	Score       Mean         `json:"score"` // the trimmed mean
	All         Mean         `json:"all"`   // the mean of every score: the first tie-break
	Scores      []CallScore  `json:"scores"`
	// Tied says the trimmed mean equals the one above, so the rank rests
	// on a tie-break.
	Tied bool `json:"tied"`
}

// Ranking ranks the eligible applications of call id by their trimmed
// mean, ties broken by the mean of every score, then by the earlier
// application.
func (s *Service) Ranking(ctx context.Context, id int64) ([]Ranked, error) {
	apps, err := s.applications(ctx, s.DB.R, nil, id)
	if err != nil {
		return nil, err
	}
	scores, err := s.callScores(ctx, `st.call_id = $1`, id)
	if err != nil {
		return nil, err
	}
	by := map[int64][]CallScore{}
	for _, sc := range scores {
		by[sc.ApplicationID] = append(by[sc.ApplicationID], sc)
	}
	var out []Ranked
	for _, x := range apps {
		if x.Status != AppEligible {
			continue
		}
		var totals []int64
		for _, sc := range by[x.ID] {
			totals = append(totals, sc.Total)
		}
		tr, all := Trimmed(totals)
		out = append(out, Ranked{Application: x, Score: tr, All: all, Scores: by[x.ID]})
	}
	RankOrder(out)
	return out, nil
}

// RankOrder sorts rs by the ranking rule and numbers them 1, 2, …
func RankOrder(rs []Ranked) {
	slices.SortStableFunc(rs, func(a, b Ranked) int {
		if c := b.Score.Cmp(a.Score); c != 0 {
			return c
		}
		if c := b.All.Cmp(a.All); c != 0 {
			return c
		}
		if c := a.Application.CreatedAt.Compare(b.Application.CreatedAt); c != 0 {
			return c
		}
		return int(a.Application.ID - b.Application.ID)
	})
	for i := range rs {
		rs[i].Rank = i + 1
		rs[i].Tied = i > 0 && rs[i].Score.Cmp(rs[i-1].Score) == 0
		if rs[i].Score.N == 0 {
			// Nobody scored it (every expert recused): last, unranked.
			rs[i].Rank, rs[i].Tied = 0, false
		}
	}
}

// Publish approves the ranking of call id once every expert has scored
// every eligible application they did not recuse themselves from, stores each application's rank, makes the
// results public with note and tells the applicants.
func (s *Service) Publish(ctx context.Context, a audit.Actor, scopes []string, id int64, note string) error {
	note, err := limitText(note, 2000, "note", "结果说明", "note")
	if err != nil {
		return err
	}
	rs, err := s.Ranking(ctx, id)
	if err != nil {
		return err
	}
	seats, err := s.CallSeats(ctx, id)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.managed(ctx, tx, scopes, id)
		if err != nil {
			return err
		}
		if c.Status != CallReview {
			return i18n.Errorf("评审尚未开始或结果已发布", "the review has not started or the results are already published")
		}
		for _, st := range seats {
			if !st.Done(len(rs)) {
				return i18n.Errorf("专家 %d 尚有 %d 项申报未评分", "expert %d has %d applications still to score", st.Position, len(rs)-st.Scored-st.Recused)
			}
		}
		var ranking []map[string]any
		for _, r := range rs {
			var rank any
			if r.Rank > 0 {
				rank = r.Rank
			}
			if _, err := tx.ExecContext(ctx, `UPDATE project_application SET rank = $1 WHERE id = $2`, rank, r.Application.ID); err != nil {
				return fmt.Errorf("project: publish: %w", err)
			}
			ranking = append(ranking, map[string]any{"application": r.Application.ID, "rank": r.Rank, "score": r.Score.String(), "all": r.All.String()})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE project_call SET status = $1, published_at = $2, result_note = $3 WHERE id = $4`, CallPublished, s.now(), note, id); err != nil {
			return fmt.Errorf("project: publish: %w", err)
		}
		apps, err := s.applications(ctx, tx, nil, id)
		if err != nil {
			return err
		}
		if err := notifyPublished(ctx, tx, a, c, apps); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "publish", "project_call", strconv.FormatInt(id, 10), c.OrgPath, map[string]any{"status": c.Status},
			map[string]any{"status": CallPublished, "note": note, "ranking": ranking})
	})
}

// Points is the expert's weighted score in points with two decimals.
func (c CallScore) Points() string { return Mean{Sum: c.Total, N: 1}.String() }
