package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"zhihui/internal/module"
	"zhihui/internal/notify"
	"zhihui/internal/store/storetest"
	"zhihui/internal/web/kit"
)

// TestRequestsCarryTheServersNotifications: two servers in one process,
// each given its application's notifications, put their own service into
// every request's context (where notify.Send finds it) and kit.Kit.Notify.
func TestRequestsCarryTheServersNotifications(t *testing.T) {
	t.Parallel()
	db := storetest.SQLite(t)
	seen := map[string]*notify.Service{}
	probe := func(name string) module.Module {
		return module.Module{Name: name, Routes: func(k *kit.Kit) ([]kit.Route, error) {
			return []kit.Route{{Pattern: "GET /probe-notify", Access: kit.Public, Handler: func(w http.ResponseWriter, r *http.Request) error {
				if notify.FromContext(r.Context()) != k.Notify {
					t.Errorf("%s: the request's service is not the kit's", name)
				}
				seen[name] = notify.FromContext(r.Context())
				w.WriteHeader(http.StatusNoContent)
				return nil
			}}}, nil
		}}
	}
	a, b := notify.NewService(), notify.NewService()
	for name, svc := range map[string]*notify.Service{"a": a, "b": b, "none": nil} {
		srv, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{Modules: []module.Module{probe(name)}, Notify: svc})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/probe-notify", nil))
		if rec.Code != http.StatusNoContent {
			t.Fatalf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
	if seen["a"] != a || seen["b"] != b || seen["none"] != nil {
		t.Fatalf("services seen: %v", seen)
	}
}
