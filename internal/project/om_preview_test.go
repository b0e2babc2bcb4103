package project

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestOMPreviewConsumesNoIDs: previewing an import writes nothing and
// rolls nothing back, so the requests and audit entries the import then
// stores number on from the last stored ones without a gap (on PostgreSQL
// a rolled-back insert would have advanced the sequences); the preview
// shows what the import stores, field for field, duplicates within the
// file included.
func TestOMPreviewConsumesNoIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setupPortfolio(t, db)
		all := []string{province}
		zz := []string{"/41/4101/"}
		sid, err := s.AddSystem(ctx, owner, all, NewSystem{Owner: "4101", Name: "郑州市数据共享交换平台", OMCost: wan(t, "60"), MLPSLevel: 3})
		if err != nil {
			t.Fatal(err)
		}
		last := wan(t, "50")
		first, err := s.SubmitOM(ctx, owner, zz, NewOM{SystemID: sid, Year: 2025, Amount: wan(t, "55"), LastActual: &last})
		if err != nil {
			t.Fatal(err)
		}
		lastAudit := func() int64 {
			var id int64
			if err := db.R.QueryRowContext(ctx, `SELECT MAX(id) FROM audit_log`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		audit0 := lastAudit()
		csv := "year,owner,system,amount,last actual,basis\n2026,4101,郑州市数据共享交换平台,67,60,合同\n2026,4101,郑州市数据共享交换平台,90,,\n2027,4101,郑州市数据共享交换平台,61,66,\n"
		rows, errs, err := s.ReadOMImport(ctx, zz, "om.csv", strings.NewReader(csv))
		if err != nil || len(errs) != 0 || len(rows) != 3 {
			t.Fatalf("read: %v %v %v", rows, errs, err)
		}
		var pre []*OMRequest
		for range 3 {
			if pre, err = s.PreviewOM(ctx, owner, zz, rows); err != nil || len(pre) != 3 {
				t.Fatalf("preview: %v %v", pre, err)
			}
		}
		if codes(pre[0].Flags) != "over_last_year" || codes(pre[1].Flags) != "duplicate,no_last_year,over_catalogue" || codes(pre[2].Flags) != "" {
			t.Fatalf("preview flags: %q %q %q", codes(pre[0].Flags), codes(pre[1].Flags), codes(pre[2].Flags))
		}
		if lastAudit() != audit0 {
			t.Fatal("the preview wrote to the audit log")
		}
		ids, err := s.ImportOM(ctx, owner, zz, rows)
		if err != nil || len(ids) != 3 {
			t.Fatalf("import: %v %v", ids, err)
		}
		for i, id := range ids {
			if id != first+int64(i)+1 {
				t.Fatalf("ids after three previews: %v, want %d, %d, %d", ids, first+1, first+2, first+3)
			}
			got, err := s.GetOM(ctx, all, id)
			if err != nil {
				t.Fatal(err)
			}
			want := *pre[i]
			want.ID, want.CreatedAt = got.ID, got.CreatedAt
			if !got.CreatedAt.Equal(pre[i].CreatedAt) || !reflect.DeepEqual(*got, want) {
				t.Fatalf("stored %+v, previewed %+v", *got, *pre[i])
			}
		}
		if a := lastAudit(); a != audit0+3 {
			t.Fatalf("audit ids after the import: last %d, want %d", a, audit0+3)
		}
	})
}
