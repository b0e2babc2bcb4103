package calendar_test

import (
	"context"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/calendar"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func TestStoredYears(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, audit.Schema, calendar.Schema); err != nil {
			t.Fatal(err)
		}
		c, err := calendar.Load(ctx, db)
		if err != nil || len(c.Years()) != 14 {
			t.Fatalf("empty store: %d years, %v", len(c.Years()), err)
		}
		office := audit.Actor{UserID: 3, Name: "office"}
		y, err := calendar.ParseYearText(2027, "国务院办公厅关于2027年部分节假日安排的通知", "元旦 2027-01-01..2027-01-03\n春节 2027-02-05..2027-02-11 work 2027-02-20")
		if err != nil {
			t.Fatal(err)
		}
		if err := calendar.SaveYear(ctx, db, office, y); err != nil {
			t.Fatal(err)
		}
		// Correcting an embedded year replaces it.
		y24 := calendar.Year{Year: 2024, Source: "更正", Days: []calendar.Day{{Date: "2024-10-01", Kind: calendar.Off, Name: "国庆节"}}}
		if err := calendar.SaveYear(ctx, db, office, y24); err != nil {
			t.Fatal(err)
		}
		// Saving again replaces what was stored.
		y.Days = y.Days[:3]
		if err := calendar.SaveYear(ctx, db, office, y); err != nil {
			t.Fatal(err)
		}
		c, err = calendar.Load(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := c.Year(2027)
		if !ok || !got.Stored || len(got.Days) != 3 || got.Source != y.Source {
			t.Fatalf("2027: %+v", got)
		}
		d, _ := calendar.ParseDate("2027-02-08")
		if !c.IsWorkingDay(d) {
			t.Error("2027-02-08 was removed from the stored year but still reads as a holiday")
		}
		d, _ = calendar.ParseDate("2027-01-01")
		if c.IsWorkingDay(d) {
			t.Error("2027-01-01 should be a holiday")
		}
		d, _ = calendar.ParseDate("2024-10-07") // a holiday only in the embedded 2024
		if !c.IsWorkingDay(d) {
			t.Error("the stored 2024 does not replace the embedded one")
		}
		entries, _, err := audit.Search(ctx, db, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range entries {
			if e.Entity == "calendar_year" {
				actions[e.EntityID+" "+e.Action]++
			}
		}
		if actions["2027 create"] != 1 || actions["2027 update"] != 1 || actions["2024 update"] != 1 {
			t.Errorf("audit: %v", actions)
		}
	})
}
