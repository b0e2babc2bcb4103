package reporting

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"zhihui/internal/auth"
	"zhihui/internal/period"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestApproveBatchGoesOn: a batch approves every report it can and lists
// the others with their reasons in both languages, in the order named —
// a report returned meanwhile, one never submitted, an unknown data set —
// while a unit outside the approver's units refuses the whole batch
// before anything is approved.
func TestApproveBatchGoesOn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		setup(t, db)
		d := dataset(t, db, "COUNTY_QUARTERLY")
		pe := period.Of(d.PType(), time.Now()).Add(-1)
		codes := []string{"410102", "410103", "410104", "410105"}
		for _, c := range codes[:3] {
			if err := Submit(ctx, db, actor, d, unit(t, db, c), pe); err != nil {
				t.Fatal(err)
			}
		}
		// Another approver returned 410103's report meanwhile.
		if err := Decide(ctx, db, actor, d, unit(t, db, "410103"), pe, false, "请核实"); err != nil {
			t.Fatal(err)
		}
		city := unit(t, db, "4101")
		p := &auth.Principal{User: &auth.User{ID: 2, Name: "approver", Grants: []auth.Grant{{Role: auth.Approver, OrgCode: city.Code, OrgPath: city.Path}}}}
		key := func(ds, ou string) string { return ds + "|" + ou + "|" + pe.ID() }

		// Outside: nothing happens.
		_, err := ApproveBatch(ctx, db, p, actor, []string{key(d.Code, "410102"), key(d.Code, "410202")}, "同意", time.Now())
		if !errors.Is(err, ErrOutside) {
			t.Fatalf("a unit outside: %v", err)
		}
		if a, _ := GetApproval(ctx, db, d.Code, unit(t, db, "410102"), pe.ID()); a.State != Submitted {
			t.Fatalf("a batch refused as a whole approved 410102: %s", a.State)
		}

		keys := []string{key(d.Code, "410102"), key(d.Code, "410103"), key(d.Code, "410104"), key(d.Code, "410105"), key("NO_SUCH_SET", "410102"), "garbage"}
		res, err := ApproveBatch(ctx, db, p, actor, keys, "同意", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Approved != 2 {
			t.Errorf("approved %d, want 2 (410102 and 410104)", res.Approved)
		}
		for _, c := range []string{"410102", "410104"} {
			if a, _ := GetApproval(ctx, db, d.Code, unit(t, db, c), pe.ID()); a.State != Approved || a.Comment != "同意" {
				t.Errorf("%s: %s %q", c, a.State, a.Comment)
			}
		}
		want := []struct{ key, zh, en string }{
			{keys[1], "已退回", "Returned"},
			{keys[3], "未填报", "Not started"},
			{keys[4], "NO_SUCH_SET", "NO_SUCH_SET"},
			{keys[5], "garbage", "garbage"},
		}
		if len(res.Refused) != len(want) {
			t.Fatalf("refused %+v, want %d", res.Refused, len(want))
		}
		for i, w := range want {
			r := res.Refused[i]
			zh, en := r.Reason.Message("zh-CN"), r.Reason.Message("en")
			if r.Key != w.key || !strings.Contains(zh, w.zh) || !strings.Contains(en, w.en) || zh == en {
				t.Errorf("refusal %d: %s %q / %q, want %s with %q / %q", i, r.Key, zh, en, w.key, w.zh, w.en)
			}
		}
		if r := res.Refused[0]; r.Unit.Name == "" || r.Unit.Name == r.Unit.Code || r.DataSetName.Zh != d.Name {
			t.Errorf("a refused report should be named: %+v", r)
		}
		if _, err := ApproveBatch(ctx, db, p, actor, nil, "", time.Now()); err == nil {
			t.Error("an empty batch was accepted")
		}
	})
}
