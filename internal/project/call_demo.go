package project

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/calendar"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// LoadCallDemo adds, unless there are demo calls already and once the
// demo portfolio is there, a finished award round (applied, checked,
// drawn, scored and published two months ago, through the same steps as
// a real one) and an open pilot call with two applications.
func LoadCallDemo(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM project_call WHERE demo = 1`).Scan(&n); err != nil {
		return fmt.Errorf("project: call demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	var ids []int64
	var owners []string
	rows, err := db.R.QueryContext(ctx, `SELECT id, owner_code FROM project_project WHERE demo = 1 AND level <> 'province' AND stage IN ($1, $2, $3) ORDER BY id`,
		Operate, SelfEval, PostEval)
	if err != nil {
		return fmt.Errorf("project: call demo: %w", err)
	}
	type cand struct {
		id    int64
		owner string
	}
	var found []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.id, &c.owner); err != nil {
			rows.Close()
			return err
		}
		found = append(found, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(found) == 0 {
		return nil // no demo portfolio
	}
	// Applicants the demo expert has no tie with, so that the expert can
	// sit on the panel and show a finished round.
	var demoExpert int64
	if err := db.R.QueryRowContext(ctx, `SELECT id FROM project_expert WHERE account = $1`, DemoExpertAccount).Scan(&demoExpert); err != nil {
		return fmt.Errorf("project: call demo: %w", err)
	}
	s0 := New(db)
	e, err := s0.Expert(ctx, demoExpert)
	if err != nil {
		return err
	}
	rec, err := s0.ExpertRecord(ctx, demoExpert)
	if err != nil {
		return err
	}
	day := calendar.Format(time.Now().AddDate(0, -2, 0))
	seen := map[string]bool{}
	for _, c := range found {
		if seen[c.owner] || len(ids) == 6 {
			continue
		}
		u, err := orgunit.Get(ctx, db, c.owner)
		if err != nil {
			return err
		}
		if why, _ := Screen(e, rec, Applicant{Code: u.Code, Path: u.Path, Name: u.Name}, day, yearsBack(day, DefaultTieYears)); why != "" {
			continue
		}
		seen[c.owner] = true
		ids, owners = append(ids, c.id), append(owners, c.owner)
	}
	if len(ids) < 3 {
		return nil // no demo portfolio
	}
	a := audit.Actor{Name: "demo"}
	all := []string{"/" + orgunit.Root + "/"}
	// The award round ran two months ago, day by day.
	start := time.Now().AddDate(0, -2, 0)
	clock := start
	s := New(db)
	s.Now = func() time.Time { return clock }
	deadline := calendar.Format(start.AddDate(0, 0, 14))
	cid, err := s.OpenCall(ctx, a, all, NewCall{Kind: CallAward, Title: "【演示数据】全省优秀信息化工程评选", Demo: true,
		Description: "【演示数据】评选建成运行一年以上、应用成效显著、具有示范推广价值的政务信息化工程。", Org: orgunit.Root,
		Levels: []string{"city", "county"}, Deadline: deadline, Criteria: "应用成效 40\n创新性 30\n示范推广价值 30", Field: "egov", PanelSize: 5})
	if err != nil {
		return err
	}
	var apps []int64
	for i, pid := range ids {
		clock = start.AddDate(0, 0, 1+i)
		body := "【演示数据】项目建成运行以来，业务办理时限平均压缩 " + strconv.Itoa(30+i*7) + "%，数据共享调用量逐年增长。"
		app, err := s.Apply(ctx, a, all, cid, NewApplication{Unit: owners[i], ProjectID: pid, Body: body,
			DocName: "申报书.txt", Doc: []byte("【演示数据】优秀信息化工程申报书")})
		if err != nil {
			return err
		}
		apps = append(apps, app)
	}
	clock = start.AddDate(0, 0, 16)
	if err := s.CloseCall(ctx, a, all, cid); err != nil {
		return err
	}
	for i, app := range apps {
		eligible, note := i != len(apps)-1, "【演示数据】材料齐全"
		if !eligible {
			note = "【演示数据】建成运行不满一年"
		}
		if err := s.CheckApplication(ctx, a, all, app, eligible, note); err != nil {
			return err
		}
	}
	// The first seed whose panel seats the demo expert.
	c, err := s.GetCall(ctx, cid)
	if err != nil {
		return err
	}
	var applicants []Applicant
	for _, owner := range owners[:len(owners)-1] {
		u, err := orgunit.Get(ctx, db, owner)
		if err != nil {
			return err
		}
		applicants = append(applicants, Applicant{Code: u.Code, Path: u.Path, Name: u.Name})
	}
	cands, _, err := s.screenField(ctx, db.R, c.Field, applicants)
	if err != nil {
		return err
	}
	seed := uint64(1)
	for !containsID(Pick(cands, seed, c.PanelSize), demoExpert) && seed < 10000 {
		seed++
	}
	if err := s.DrawCallPanel(ctx, a, all, cid, &seed); err != nil {
		return err
	}
	seats, err := s.CallSeats(ctx, cid)
	if err != nil {
		return err
	}
	clock = start.AddDate(0, 0, 25)
	r := rand.New(rand.NewPCG(2026, 8))
	for _, st := range seats {
		for k, app := range apps[:len(apps)-1] {
			scores := []int{70 + r.IntN(25) - k, 65 + r.IntN(30), 70 + r.IntN(25)}
			if err := s.ScoreApplication(ctx, a, st.Account, st.ID, app, scores, "【演示数据】"+demoOpinions[(k+st.Position)%len(demoOpinions)]); err != nil {
				// Pool entries without an account are scored as the office records paper sheets.
				if st.Account != "" {
					return err
				}
				if err := s.recordScore(ctx, c, st.ID, app, scores, "【演示数据】"+demoOpinions[(k+st.Position)%len(demoOpinions)]); err != nil {
					return err
				}
			}
		}
	}
	clock = start.AddDate(0, 0, 30)
	if err := s.Publish(ctx, a, all, cid, "【演示数据】经资格审查和专家评审，现将评选结果予以公示。"); err != nil {
		return err
	}

	// An open pilot call with two applications.
	s = New(db)
	pid, err := s.OpenCall(ctx, a, all, NewCall{Kind: CallPilot, Title: "【演示数据】数字政府建设试点示范项目申报", Demo: true,
		Description: "【演示数据】征集一网通办、一网统管、一网协同方面可复制推广的县级试点示范项目。", Org: orgunit.Root,
		Levels: []string{"county"}, Categories: []string{"new", "upgrade"}, Deadline: calendar.Format(time.Now().AddDate(0, 1, 0)),
		Criteria: "建设基础 30\n创新性 30\n可复制推广性 40", Field: "egov", PanelSize: 5})
	if err != nil {
		return err
	}
	var county []string
	rows, err = db.R.QueryContext(ctx, `SELECT id, owner_code FROM project_project WHERE demo = 1 AND level = 'county' AND category IN ('new', 'upgrade') ORDER BY id DESC LIMIT 2`)
	if err != nil {
		return fmt.Errorf("project: call demo: %w", err)
	}
	var pids []int64
	for rows.Next() {
		var id int64
		var owner string
		if err := rows.Scan(&id, &owner); err != nil {
			rows.Close()
			return err
		}
		pids, county = append(pids, id), append(county, owner)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range pids {
		if _, err := s.Apply(ctx, a, all, pid, NewApplication{Unit: county[i], ProjectID: pids[i],
			Body: "【演示数据】" + strings.Repeat("依托全省统一平台，打通部门数据，实现事项一网通办。", 2)}); err != nil {
			return err
		}
	}
	return nil
}

var demoOpinions = []string{"应用成效明显，建议推广。", "创新点突出，数据共享程度高。", "建设规范，运维保障到位。", "示范意义较强，建议加强安全评估。"}

// recordScore stores a seat's scores of app as the office records a paper
// score sheet (demo data only: experts without an account).
func (s *Service) recordScore(ctx context.Context, c *Call, seat, app int64, scores []int, opinion string) error {
	var total int64
	parts := make([]string, len(scores))
	for i, v := range scores {
		total += int64(v * c.Criteria[i].Weight)
		parts[i] = strconv.Itoa(v)
	}
	_, err := s.DB.W.ExecContext(ctx, `INSERT INTO project_call_score (seat_id, application_id, scores, total, opinion, scored_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		seat, app, strings.Join(parts, ","), total, opinion, s.now())
	if err != nil {
		return fmt.Errorf("project: call demo: %w", err)
	}
	return nil
}
