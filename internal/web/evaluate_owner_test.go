package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/evalstore"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// A stored dataset's rows that are not org units (here a company) belong
// to its owner: callers outside the owner's subtree see neither them on
// the dataset page nor their scores in an index run.
func TestDatasetRowsOfOtherOwners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := evalEnv(t, db)
		d, err := evalstore.ReadUpload("d.csv", strings.NewReader("unit,year,X1\n郑州某科技有限公司,2020,7\n410102,2020,2\n410202,2020,3\n"))
		if err != nil {
			t.Fatal(err)
		}
		info, err := evalstore.SaveDataset(context.Background(), db, audit.Actor{Name: "test"}, "owned by 郑州", "", "/41/4101/", false, d)
		if err != nil {
			t.Fatal(err)
		}
		page := fmt.Sprintf("/evaluate/datasets/%d", info.ID)
		_, outsider := e.user(t, "eval-kf", auth.Evaluator, "4102")
		_, owner := e.user(t, "eval-zz", auth.Evaluator, "4101")
		rec := e.do(t, outsider, http.MethodGet, page, nil)
		if strings.Contains(rec.Body.String(), "郑州某科技有限公司") {
			t.Fatalf("an evaluator at 开封 reads 郑州's company rows (%d)", rec.Code)
		}
		if rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), "410202") && !strings.Contains(rec.Body.String(), "开封") {
			t.Fatalf("the outsider's own unit is missing: %.300s", rec.Body.String())
		}
		rec = e.do(t, owner, http.MethodGet, page, nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "郑州某科技有限公司") {
			t.Fatalf("the owner's evaluator does not see the company row: %d", rec.Code)
		}
		// An index run over the dataset through the API.
		run := e.postJSON(t, outsider, "/api/v1/index/run", map[string]any{
			"framework_yaml": "id: t\nname: {zh: 测试}\nnormalisation: {method: minmax}\nnodes:\n  - {id: root, name: {zh: 总}, aggregation: arithmetic, weighting: equal}\nindicators:\n  - {id: X1, parent: root, name: {zh: X1}}\n",
			"dataset":        info.ID, "year": 2020,
		})
		if run.Code != http.StatusOK || strings.Contains(run.Body.String(), "郑州某科技有限公司") {
			t.Fatalf("index run shows the company to an outsider: %d %.300s", run.Code, run.Body.String())
		}
	})
}
