package monitor

import (
	"context"
	"strings"
	"testing"

	"zhihui/internal/store/storetest"
)

func TestValueCommentLength(t *testing.T) {
	db := storetest.SQLite(t)
	setup(t, db)
	if err := InstallCatalog(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	errs, err := CheckValues(context.Background(), db, []Value{{DataElement: "ADMIN_VILLAGES", OrgUnit: "410102", Period: "2024", Value: "5", Comment: strings.Repeat("x", MaxCommentLen+1)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "备注过长") {
		t.Fatalf("over-long comment: %v", errs)
	}
}
