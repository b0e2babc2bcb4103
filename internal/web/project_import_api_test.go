package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestProjectImportAPI: a list with a row of another city is refused
// whole with the row and column in both languages; a dry run reads the
// rows and stores nothing; a multipart upload stores them and answers
// the stored projects; a leader is refused.
func TestProjectImportAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		_, zy := e.user(t, "imp-zy", auth.Reporter, "410102")
		_, leader := e.user(t, "imp-leader", auth.Leader, "41")
		stored := func() int {
			t.Helper()
			_, n, err := svc.List(ctx, project.Filter{Scopes: []string{"/41/"}, Q: "电子证照"})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		head := "项目名称,建设单位代码,项目类别,资金来源,估算（万元）\n"
		good := head + "中原区电子证照库,410102,新建,区级财政,80.5\n中原区电子证照共享接口,410102,升级改造,区级财政,12\n"
		bad := good + "开封市电子证照库,4102,新建,市级财政,80\n"
		rec := e.raw(t, zy, "/api/v1/projects/import", "text/csv", bad)
		var failed struct {
			Errors []struct {
				Row    int    `json:"row"`
				Column string `json:"column"`
				Zh     string `json:"zh"`
				En     string `json:"en"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &failed); err != nil || rec.Code != http.StatusBadRequest || len(failed.Errors) != 1 ||
			failed.Errors[0].Row != 4 || failed.Errors[0].Column == "" || failed.Errors[0].Zh == "" || failed.Errors[0].En == "" {
			t.Fatalf("a list with an outside row: %d %s", rec.Code, rec.Body.String())
		}
		if n := stored(); n != 0 {
			t.Fatalf("%d projects stored after a refused list", n)
		}
		if rec := e.raw(t, leader, "/api/v1/projects/import", "text/csv", good); rec.Code != http.StatusForbidden {
			t.Fatalf("a leader imports: %d %s", rec.Code, rec.Body.String())
		}
		var dry struct {
			DryRun   bool                 `json:"dry_run"`
			Written  bool                 `json:"written"`
			Rows     int                  `json:"rows"`
			Projects []project.NewProject `json:"projects"`
		}
		rec = e.raw(t, zy, "/api/v1/projects/import?dryRun=true", "text/csv", good)
		if err := json.Unmarshal(rec.Body.Bytes(), &dry); err != nil || rec.Code != http.StatusOK || !dry.DryRun || dry.Written || dry.Rows != 2 ||
			len(dry.Projects) != 2 || dry.Projects[0].Estimate != 805000 {
			t.Fatalf("dry run: %d %s", rec.Code, rec.Body.String())
		}
		if n := stored(); n != 0 {
			t.Fatalf("%d projects stored by a dry run", n)
		}
		body, ct := multipartUpload(t, "p.csv", good)
		req := httptest.NewRequest(http.MethodPost, "/api/v1/projects/import", body)
		req.Header.Set("Content-Type", ct)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: zy.token})
		req.Header.Set("X-CSRF-Token", zy.csrf)
		rec = httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		var done struct {
			Written  bool               `json:"written"`
			Rows     int                `json:"rows"`
			Projects []*project.Project `json:"projects"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &done); err != nil || rec.Code != http.StatusOK || !done.Written || done.Rows != 2 || len(done.Projects) != 2 || done.Projects[0].ID == 0 {
			t.Fatalf("import: %d %s", rec.Code, rec.Body.String())
		}
		p, err := svc.Get(ctx, []string{"/41/"}, done.Projects[0].ID)
		if err != nil || p.Name != "中原区电子证照库" || p.Owner != "410102" || p.Estimate != 805000 {
			t.Fatalf("stored: %v %+v", err, p)
		}
		if n := stored(); n != 2 {
			t.Fatalf("%d projects stored, want 2", n)
		}
	})
}
