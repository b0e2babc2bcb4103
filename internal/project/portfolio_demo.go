package project

import (
	"context"
	"fmt"
	"math/rand/v2"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

// Demo O&M years: the requests of DemoOMYear-1 are reviewed, those of
// DemoOMYear wait for the office, with planted outliers.
const DemoOMYear = 2026

// LoadPortfolioDemo adds, unless they are there, baselines and progress
// for the demo projects being implemented (a few red and amber), links
// the demo systems to construction projects, retires two systems, O&M
// requests for every demo system over two years (the first reviewed, the
// second with planted outliers: over last year, over the catalogue, over
// a share of the investment, retired, duplicate) and publishes some
// projects on the public page. It runs after LoadDemo.
func LoadPortfolioDemo(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM portfolio_om WHERE demo = 1`).Scan(&n); err != nil {
		return fmt.Errorf("project: portfolio demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	s := New(db)
	a := audit.Actor{Name: "demo"}
	all := []string{"/" + orgunit.Root + "/"}
	r := rand.New(rand.NewPCG(2016, 6))
	if err := demoBaselines(ctx, s, a, all, r); err != nil {
		return err
	}
	type sys struct {
		id          int64
		code        string
		cost        Money
		construct   int64
		constructAt Money
	}
	var systems []sys
	rows, err := db.R.QueryContext(ctx, `SELECT id, owner_code, om_cost FROM project_system WHERE demo = 1 ORDER BY id`)
	if err != nil {
		return fmt.Errorf("project: portfolio demo: %w", err)
	}
	for rows.Next() {
		var y sys
		var cost int64
		if err := rows.Scan(&y.id, &y.code, &cost); err != nil {
			rows.Close()
			return err
		}
		y.cost = Money(cost)
		systems = append(systems, y)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(systems) == 0 {
		return nil
	}
	// Each system's construction project: a new or upgrade demo project
	// of its unit not linked yet.
	used := map[int64]bool{}
	for i := range systems {
		y := &systems[i]
		err := db.R.QueryRowContext(ctx, `SELECT id, estimate FROM project_project WHERE demo = 1 AND owner_code = $1 AND category <> 'om' AND systems = ''
			ORDER BY id`, y.code).Scan(&y.construct, (*int64)(&y.constructAt))
		if err != nil || used[y.construct] {
			y.construct = 0
			continue
		}
		used[y.construct] = true
		if _, err := db.W.ExecContext(ctx, `UPDATE project_project SET systems = $1 WHERE id = $2`, joinIDs([]int64{y.id}), y.construct); err != nil {
			return fmt.Errorf("project: portfolio demo: %w", err)
		}
		if _, err := db.W.ExecContext(ctx, `UPDATE project_signature SET systems = $1 WHERE kind = $2 AND ref_id = $3`, joinIDs([]int64{y.id}), KindProject, y.construct); err != nil {
			return fmt.Errorf("project: portfolio demo: %w", err)
		}
	}
	// Last year: every system asks about its catalogue cost; the office
	// approves most and cuts some.
	var first []NewOM
	for _, y := range systems {
		last := y.cost * Money(90+r.IntN(15)) / 100 / 100 * 100
		first = append(first, NewOM{SystemID: y.id, Year: DemoOMYear - 1, Amount: y.cost * Money(95+r.IntN(10)) / 100 / 100 * 100, LastActual: &last,
			Basis: "【演示数据】按运维服务合同和上年支出测算", Demo: true})
	}
	ids, err := s.SubmitOMs(ctx, a, all, first)
	if err != nil {
		return err
	}
	for i, id := range ids {
		if i%5 == 3 {
			cut := first[i].Amount * 9 / 10 / 100 * 100
			err = s.ReviewOM(ctx, a, all, id, OMCutDown, &cut, "【演示数据】硬件维保费用按实际设备数量核减")
		} else {
			err = s.ReviewOM(ctx, a, all, id, OMApprove, nil, "")
		}
		if err != nil {
			return err
		}
	}
	// This year: mostly in line with last year; planted outliers.
	for i, y := range systems {
		if i%13 == 5 {
			if err := s.RetireSystem(ctx, a, all, y.id, DemoOMYear); err != nil {
				return err
			}
		}
	}
	var second []NewOM
	for i, y := range systems {
		amt := first[i].Amount * Money(98+r.IntN(10)) / 100 / 100 * 100
		basis := "【演示数据】延续上年运维服务内容"
		switch i % 7 {
		case 1:
			amt = first[i].Amount * 135 / 100 / 100 * 100
			basis = "【演示数据】新增数据治理和安全加固服务"
		case 4:
			if y.construct != 0 {
				amt = y.constructAt * 25 / 100 / 100 * 100
				basis = "【演示数据】系统扩容后运维范围扩大"
			}
		}
		second = append(second, NewOM{SystemID: y.id, Year: DemoOMYear, Amount: max(amt, 10000), Basis: basis, Demo: true})
		if i%11 == 2 {
			second = append(second, NewOM{SystemID: y.id, Year: DemoOMYear, Amount: max(amt/2, 10000), Basis: "【演示数据】补充申请（重复）", Demo: true})
		}
	}
	if _, err := s.SubmitOMs(ctx, a, all, second); err != nil {
		return err
	}
	// Publication: a few projects of each stage from the operate stage
	// back, with the default fields and the light.
	rows, err = db.R.QueryContext(ctx, `SELECT id FROM project_project WHERE demo = 1 AND stage IN ($1, $2, $3, $4) ORDER BY id`, Implement, InitialAccept, FinalAccept, Operate)
	if err != nil {
		return fmt.Errorf("project: portfolio demo: %w", err)
	}
	var pub []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		pub = append(pub, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, id := range pub {
		if i%3 != 0 || i/3 >= 30 {
			continue
		}
		if err := s.PublishProject(ctx, a, all, id, true); err != nil {
			return err
		}
	}
	return s.SetPublishedFields(ctx, a, []string{"owner", "level", "year", "stage", "estimate", "light"})
}

// demoBaselines sets baselines for the demo projects being implemented
// or accepted, and progress for most of them: a few over cost or late.
func demoBaselines(ctx context.Context, s *Service, a audit.Actor, all []string, r *rand.Rand) error {
	rows, err := s.DB.R.QueryContext(ctx, `SELECT id, year, estimate FROM project_project WHERE demo = 1 AND stage IN ($1, $2, $3) ORDER BY id LIMIT 80`,
		Implement, InitialAccept, FinalAccept)
	if err != nil {
		return fmt.Errorf("project: portfolio demo: %w", err)
	}
	type p struct {
		id   int64
		year int
		est  Money
	}
	var ps []p
	for rows.Next() {
		var x p
		if err := rows.Scan(&x.id, &x.year, (*int64)(&x.est)); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, x := range ps {
		start, end := fmt.Sprintf("%d-04-01", x.year), fmt.Sprintf("%d-06-30", x.year+1)
		if err := s.SetBaseline(ctx, a, all, x.id, NewBaseline{Start: start, End: end, Cost: x.est,
			Milestones: fmt.Sprintf("需求调研完成 %d-06-30\n系统上线试运行 %d-03-31", x.year, x.year+1)}); err != nil {
			return err
		}
		if i%5 == 4 {
			continue // no progress reported yet
		}
		pct := int64(92 + r.IntN(12)) // mostly within 5 %
		projEnd := end
		switch i % 9 {
		case 2:
			pct = 112 + int64(r.IntN(10)) // red
		case 6:
			pct = 106 // amber
		case 7:
			projEnd = fmt.Sprintf("%d-10-31", x.year+1) // late: red
		}
		cost := x.est * Money(pct) / 100
		if err := s.ReportProgress(ctx, a, all, x.id, NewProgress{ProjectedEnd: projEnd, ProjectedCost: &cost, ActualStart: start,
			Milestones: fmt.Sprintf("需求调研完成 %d-06-30 %d-07-15", x.year, x.year)}); err != nil {
			return err
		}
	}
	return nil
}
