package supervise

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/plan"
	"zhihui/internal/store"
)

// DemoFrom and DemoTo are the years of the demo's work items.
const (
	DemoFrom = 2014
	DemoTo   = 2020
)

var demoOffice = audit.Actor{Name: "省信息化办（演示）"}
var demoUnit = audit.Actor{Name: "责任单位（演示）"}

// LoadDemo issues work items for 2014–2020 from the plan's tasks — every
// year a few tasks to all 18 cities and one to the provincial
// departments — and plays each through a realistic course: most closed
// on time, some after an approved extension, some returned once, some
// late and some not done in their year (the last year's stay overdue); then it publishes each year's assessment of
// the cities and the departments and makes it final. It draws from a
// fixed seed, so every demo installation holds the same items, and does
// nothing when the demo years already have items.
func LoadDemo(ctx context.Context, db *store.DB) error {
	var n int
	if err := db.R.QueryRowContext(ctx, `SELECT count(*) FROM supervise_item WHERE year >= $1 AND year <= $2`, DemoFrom, DemoTo).Scan(&n); err != nil {
		return fmt.Errorf("supervise: demo: %w", err)
	}
	if n > 0 {
		return nil
	}
	root, err := orgunit.Get(ctx, db, orgunit.Root)
	if err != nil {
		return err
	}
	level2, err := orgunit.Descendants(ctx, db, root.Path, 2, 0)
	if err != nil {
		return err
	}
	var depts []string
	for _, u := range level2 {
		if u.Kind == orgunit.Department && len(depts) < 12 {
			depts = append(depts, u.Code)
		}
	}
	tasks := plan.Default().Tasks(plan.TaskFilter{})
	if len(tasks) == 0 {
		return nil
	}
	s := New(db)
	all := []string{root.Path}
	rnd := rand.New(rand.NewPCG(2013, 11))
	at := func(d time.Time) { s.Now = func() time.Time { return d.Add(10 * time.Hour) } }
	for year := DemoFrom; year <= DemoTo; year++ {
		start := time.Date(year, 2, 16, 0, 0, 0, 0, time.UTC)
		var ids []int64
		for k := 0; k < 4; k++ {
			t := tasks[rnd.IntN(len(tasks))]
			n := NewItem{Year: year, TaskID: t.ID, Fanout: "cities", Start: FormatDate(start),
				Due: FormatDate(start.AddDate(0, 4+rnd.IntN(5), 0)), Cadence: "quarterly"}
			if k == 3 && len(depts) > 0 {
				n.Fanout, n.Units = "", depts
			}
			at(start)
			got, err := s.Create(ctx, demoOffice, all, n)
			if err != nil {
				return fmt.Errorf("supervise: demo %d: %w", year, err)
			}
			ids = append(ids, got...)
		}
		for _, id := range ids {
			if err := s.playDemo(ctx, all, id, rnd, at); err != nil {
				return fmt.Errorf("supervise: demo item %d: %w", id, err)
			}
		}
		// Published in April of the next year, final in June.
		at(time.Date(year+1, 4, 8, 0, 0, 0, 0, time.UTC))
		for _, g := range []string{"city", "department"} {
			if _, err := s.Publish(ctx, demoOffice, DefaultSchemes(), year, g, DefaultAppealDays); err != nil {
				return fmt.Errorf("supervise: demo publish %d %s: %w", year, g, err)
			}
		}
		at(time.Date(year+1, 6, 1, 0, 0, 0, 0, time.UTC))
		for _, g := range []string{"city", "department"} {
			if err := s.Finalize(ctx, demoOffice, year, g); err != nil {
				return fmt.Errorf("supervise: demo finalize %d %s: %w", year, g, err)
			}
		}
	}
	return nil
}

// playDemo runs one item through a course drawn from rnd.
func (s *Service) playDemo(ctx context.Context, all []string, id int64, rnd *rand.Rand, at func(time.Time)) error {
	it, err := s.Item(ctx, all, id)
	if err != nil {
		return err
	}
	start, _ := ParseDate(it.Start)
	due, _ := ParseDate(it.Due)
	span := int(due.Sub(start).Hours() / 24)
	day := func(frac float64) time.Time { return start.AddDate(0, 0, int(float64(span)*frac)) }
	report := func(frac float64, pct int, text string) error {
		at(day(frac))
		return s.Report(ctx, demoUnit, all, id, Progress{Text: text, Percent: pct})
	}
	if err := report(0.3, 20+rnd.IntN(20), "已制定实施方案，完成前期调研"); err != nil {
		return err
	}
	switch p := rnd.Float64(); {
	case p < 0.55: // closed on time
		if err := report(0.7, 70+rnd.IntN(20), "主体工作基本完成，正在整理成果材料"); err != nil {
			return err
		}
		at(day(0.85 + 0.15*rnd.Float64()))
		return s.Close(ctx, demoOffice, all, id, "成果材料齐全，同意办结")
	case p < 0.70: // extended, then closed by the new deadline
		at(day(0.8))
		newDue := FormatDate(due.AddDate(0, 0, 30+rnd.IntN(30)))
		if err := s.RequestExtension(ctx, demoUnit, all, id, newDue, "配套资金到位较晚，需延长工期"); err != nil {
			return err
		}
		at(day(0.82))
		if err := s.DecideExtension(ctx, demoOffice, all, id, true, "理由充分，同意延期"); err != nil {
			return err
		}
		at(due.AddDate(0, 0, 20))
		return s.Close(ctx, demoOffice, all, id, "已在延长期限内完成")
	case p < 0.78: // returned once, then closed on time
		at(day(0.75))
		if err := s.Return(ctx, demoOffice, all, id, "佐证材料不全，请补充验收报告"); err != nil {
			return err
		}
		if err := report(0.85, 100, "已补充验收报告"); err != nil {
			return err
		}
		at(day(0.95))
		return s.Close(ctx, demoOffice, all, id, "材料已补齐，同意办结")
	case p < 0.92: // closed late
		if err := report(0.8, 60, "受项目招标进度影响，进度滞后"); err != nil {
			return err
		}
		at(due.AddDate(0, 0, 15+rnd.IntN(60)))
		return s.Close(ctx, demoOffice, all, id, "逾期完成")
	default: // not done in its year: finished the next spring, except
		// in the last demo year, whose items stay overdue.
		if err := report(0.8, 30+rnd.IntN(30), "项目尚未启动建设，正在协调资金"); err != nil {
			return err
		}
		if it.Year == DemoTo {
			return nil
		}
		at(time.Date(it.Year+1, 3, 10+rnd.IntN(10), 0, 0, 0, 0, time.UTC))
		return s.Close(ctx, demoOffice, all, id, "跨年度完成")
	}
}
