package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/project"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

// TestProjectDocumentAPI: the owner county adds a document in JSON
// (base64) and one as multipart; an unknown kind, bad base64 and a file
// whose content lies about its type are refused naming the field; another
// city and a leader are refused; what was stored is checked.
func TestProjectDocumentAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		svc := project.New(db)
		pid, err := svc.Register(ctx, audit.Actor{Name: "test"}, []string{"/41/"}, project.NewProject{Name: "中原区政务数据共享平台", Owner: "410102", Category: "new", Funding: "财政", Estimate: 1000000})
		if err != nil {
			t.Fatal(err)
		}
		_, zy := e.user(t, "doc-zy", auth.Reporter, "410102")
		_, kf := e.user(t, "doc-kf", auth.Reporter, "4102")
		_, leader := e.user(t, "doc-leader", auth.Leader, "41")
		target := "/api/v1/projects/" + strconv.FormatInt(pid, 10) + "/documents"
		body := func(kind, name, content string) string {
			b, _ := json.Marshal(map[string]string{"kind": kind, "name": name, "content": base64.StdEncoding.EncodeToString([]byte(content))})
			return string(b)
		}
		rec := e.do(t, zy, http.MethodPost, target, js(body("material", "建议书.txt", "项目建议书正文")))
		var created struct {
			ID      int64           `json:"id"`
			Project project.Project `json:"project"`
		}
		if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &created) != nil || created.ID == 0 || created.Project.ID != pid {
			t.Fatalf("add: %d %s", rec.Code, rec.Body.String())
		}
		for b, field := range map[string]string{
			body("poster", "a.txt", "x"):                                 "kind",
			`{"kind":"material","name":"a.txt","content":"not base64!"}`: "content",
			body("material", "x.pdf", "MZ not a pdf"):                    "files",
		} {
			rec := e.do(t, zy, http.MethodPost, target, js(b))
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"field":"`+field+`"`) {
				t.Fatalf("%s: %d %s", b, rec.Code, rec.Body.String())
			}
		}
		// An unknown field is refused by name (the decoder's message).
		if rec := e.do(t, zy, http.MethodPost, target, js(`{"kind":"material","name":"a.txt","colour":"red"}`)); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `unknown field \"colour\"`) {
			t.Fatalf("unknown field: %d %s", rec.Code, rec.Body.String())
		}
		for _, c := range []client{kf, leader} {
			if rec := e.do(t, c, http.MethodPost, target, js(body("material", "b.txt", "x"))); rec.Code != http.StatusForbidden {
				t.Fatalf("refused caller: %d %s", rec.Code, rec.Body.String())
			}
		}
		mp, ct := multipartUpload(t, "等保测评报告.txt", "测评结论：符合", "kind", "mlps")
		req := httptest.NewRequest(http.MethodPost, target, mp)
		req.Header.Set("Content-Type", ct)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: zy.token})
		req.Header.Set("X-CSRF-Token", zy.csrf)
		rec = httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("multipart: %d %s", rec.Code, rec.Body.String())
		}
		docs, err := svc.Documents(ctx, pid)
		if err != nil || len(docs) != 2 {
			t.Fatalf("stored: %v %+v", err, docs)
		}
		d, data, err := svc.DocumentData(ctx, []string{"/41/"}, created.ID)
		if err != nil || d.Name != "建议书.txt" || d.Kind != project.Material || string(data) != "项目建议书正文" {
			t.Fatalf("stored document: %v %+v %q", err, d, data)
		}
	})
}
