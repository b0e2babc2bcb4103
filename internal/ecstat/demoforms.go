package ecstat

import (
	"context"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/calendar"
	"zhihui/internal/store"
)

// DemoQuarter is the period of the demo's open quarterly survey.
const DemoQuarter = "2021Q1"

// LoadFormsDemo adds to the demo an open quarterly survey after the annual
// ones: the standard form with a change edit against last quarter that
// only warns and a range edit on online retail sales, drawn, with its
// deadline five working days from now and reminders three working days
// before it. It does nothing when the register is empty or a quarterly
// survey exists.
func LoadFormsDemo(ctx context.Context, db *store.DB) error {
	var n, q int
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_enterprise`).Scan(&n); err != nil {
		return err
	}
	if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM ecstat_survey WHERE quarter > 0`).Scan(&q); err != nil {
		return err
	}
	if n == 0 || q > 0 {
		return nil
	}
	a := audit.Actor{Name: "demo"}
	id, err := CreateSurvey(ctx, db, a, NewSurvey{Name: "2021年第1季度电子商务季报（演示数据）", Period: DemoQuarter})
	if err != nil {
		return err
	}
	s, err := GetSurvey(ctx, db, id)
	if err != nil {
		return err
	}
	max := 500000.0
	edits := append(s.Edits, Edit{Kind: EditChange, Left: EcomPurchases, Factor: 3, Severity: SevWarning},
		Edit{Kind: EditRange, Left: OnlineRetail, Max: &max, Severity: SevWarning})
	for i := range edits {
		if edits[i].Kind == EditChange && edits[i].Left == EcomSales {
			edits[i].Factor, edits[i].Severity = 3, SevWarning
		}
	}
	if err := SaveForm(ctx, db, a, id, s.Items, edits); err != nil {
		return err
	}
	if _, err := Draw(ctx, db, a, s, DesignSpec{Method: Neyman, CV: 0.05, Seed: 20211}); err != nil {
		return err
	}
	cal := calendar.Default()
	deadline := cal.AddWorkingDays(time.Now(), 5)
	return SetSchedule(ctx, db, nil, a, id, calendar.Format(deadline), DefaultRemindDays)
}
