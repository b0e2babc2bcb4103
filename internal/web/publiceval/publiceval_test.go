package publiceval_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"zhihui/internal/app"
	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/journey"
	dom "zhihui/internal/publiceval"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/web"
)

func all(string) bool { return true }

// site starts the application with one service target of 中原区 whose
// address is https://www.zhongyuan.gov.cn, and returns its key.
func site(t *testing.T, st journey.Store) (*journey.Site, string) {
	var key string
	s := journey.Start(t, st, journey.Options{Seed: func(ctx context.Context, s *journey.Site) error {
		tg, err := dom.AddTarget(ctx, s.DB, audit.System, dom.NewTarget{Kind: dom.KindService, Name: "社保卡办理", URL: "https://www.zhongyuan.gov.cn/bs", OrgCode: "410102"}, all)
		key = tg.Key
		return err
	}})
	return s, key
}

func do(h http.Handler, method, target, ctype, body string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPublicEndpoints(t *testing.T) {
	for _, st := range []journey.Store{journey.SQLite, journey.Postgres} {
		t.Run(string(st), func(t *testing.T) {
			s, key := site(t, st)
			h := s.Handler()
			ctx := context.Background()

			// the hosted form works without JavaScript
			form := url.Values{"level": {"1"}, "tags": {"broken"}, "comment": {"<script>alert(1)</script>"}}
			rec := do(h, "POST", "/rate/"+key, "application/x-www-form-urlencoded", form.Encode(), nil)
			if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "/thanks?no=") {
				t.Fatalf("form: %d %s", rec.Code, rec.Body)
			}
			// a refused form keeps what was typed and says why in both languages
			rec = do(h, "POST", "/rate/"+key, "application/x-www-form-urlencoded", url.Values{"level": {"5"}, "tags": {"broken"}, "comment": {"保留的意见"}}.Encode(), nil)
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "保留的意见") || !strings.Contains(rec.Body.String(), "不适用") {
				t.Fatalf("refused form: %d", rec.Code)
			}
			// the comment is shown escaped on the case page's source: check the stored text
			var comment string
			if err := s.DB.R.QueryRowContext(ctx, `SELECT comment FROM publiceval_rating ORDER BY id LIMIT 1`).Scan(&comment); err != nil || comment != "<script>alert(1)</script>" {
				t.Fatalf("stored comment %q %v", comment, err)
			}

			// JSON from the target's own site: 201 and CORS for that origin
			own := map[string]string{"Origin": "https://www.zhongyuan.gov.cn"}
			rec = do(h, "POST", "/api/v1/ratings", "application/json", `{"target":"`+key+`","level":4,"tags":["clear"]}`, own)
			if rec.Code != http.StatusCreated || rec.Header().Get("Access-Control-Allow-Origin") != "https://www.zhongyuan.gov.cn" {
				t.Fatalf("api from the own site: %d %q %s", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Body)
			}
			var got struct{ ID int64 }
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.ID == 0 {
				t.Fatalf("answer %s", rec.Body)
			}
			// preflight
			rec = do(h, "OPTIONS", "/api/v1/ratings", "", "", map[string]string{"Origin": "https://www.zhongyuan.gov.cn", "Access-Control-Request-Method": "POST"})
			if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Methods") != "POST" {
				t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
			}
			// a foreign page: refused with a bilingual message, no CORS, nothing stored
			evil := map[string]string{"Origin": "https://evil.example"}
			rec = do(h, "POST", "/api/v1/ratings", "application/json", `{"target":"`+key+`","level":1}`, evil)
			if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" || !strings.Contains(rec.Body.String(), "message_en") {
				t.Fatalf("foreign origin: %d %v %s", rec.Code, rec.Header(), rec.Body)
			}
			if rec := do(h, "OPTIONS", "/api/v1/ratings", "", "", evil); rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Fatal("preflight allowed a foreign origin")
			}
			// a foreign page posting the plain form: stored, flagged
			rec = do(h, "POST", "/rate/"+key, "application/x-www-form-urlencoded", url.Values{"level": {"3"}}.Encode(), map[string]string{"Referer": "https://evil.example/page"})
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("foreign form: %d", rec.Code)
			}
			var flags string
			if err := s.DB.R.QueryRowContext(ctx, `SELECT flags FROM publiceval_rating ORDER BY id DESC LIMIT 1`).Scan(&flags); err != nil || flags != dom.FlagOrigin {
				t.Fatalf("foreign form flags %q %v", flags, err)
			}
			// hostile bodies
			for name, c := range map[string]struct {
				body string
				want int
			}{
				"too big":      {`{"target":"` + key + `","level":1,"comment":"` + strings.Repeat("x", dom.MaxBody) + `"}`, http.StatusRequestEntityTooLarge},
				"invalid json": {`{"target":`, http.StatusBadRequest},
				"invalid utf8": {"{\"target\":\"" + key + "\",\"level\":1,\"comment\":\"\xff\xfe\"}", http.StatusBadRequest},
				"no target":    {`{"target":"site-999999","level":1}`, http.StatusNotFound},
			} {
				rec := do(h, "POST", "/api/v1/ratings", "application/json", c.body, nil)
				if rec.Code != c.want || !strings.Contains(rec.Body.String(), "message_zh") {
					t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String()[:min(200, rec.Body.Len())])
				}
			}
			// the widget script
			rec = do(h, "GET", "/widget.js", "", "", nil)
			if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") || !strings.Contains(rec.Body.String(), "attachShadow") ||
				!strings.Contains(rec.Body.String(), `credentials: "omit"`) {
				t.Fatalf("widget: %d %s", rec.Code, rec.Header().Get("Content-Type"))
			}
			// figures equal a recomputation after all of this
			a, err := dom.Stored(ctx, s.DB)
			if err != nil {
				t.Fatal(err)
			}
			b, err := dom.Recompute(ctx, s.DB)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(a) != fmt.Sprint(b) || len(a) == 0 {
				t.Fatalf("figures %v, recomputed %v", a, b)
			}
		})
	}
}

// TestAllowListChangesApplyAtOnce: the allow-list of embedding sites is
// kept in memory, and a change the office saves — or a target registered
// with its own site — applies to the very next rating and preflight:
// refused, allowed, refused again; a site asked about before its target
// existed is allowed once it does.
func TestAllowListChangesApplyAtOnce(t *testing.T) {
	for _, st := range []journey.Store{journey.SQLite, journey.Postgres} {
		t.Run(string(st), func(t *testing.T) {
			s, key := site(t, st)
			h := s.Handler()
			ctx := context.Background()
			office := s.User("office", "省信息办", auth.Office, "41")
			tok, err := auth.NewToken(ctx, s.DB, audit.System, office.ID, "test")
			if err != nil {
				t.Fatal(err)
			}
			asOffice := map[string]string{"Authorization": "Bearer " + tok}
			rate := func(target, origin string) *httptest.ResponseRecorder {
				return do(h, "POST", "/api/v1/ratings?via=widget", "application/json", `{"target":"`+target+`","level":5}`, map[string]string{"Origin": origin})
			}
			preflight := func(origin string) string {
				rec := do(h, "OPTIONS", "/api/v1/ratings", "", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
				return rec.Header().Get("Access-Control-Allow-Origin")
			}
			check := func(step, target, origin string, allowed bool) {
				t.Helper()
				rec := rate(target, origin)
				want, cors := http.StatusForbidden, ""
				if allowed {
					want, cors = http.StatusCreated, origin
				}
				if rec.Code != want || rec.Header().Get("Access-Control-Allow-Origin") != cors {
					t.Fatalf("%s: rating from %s: %d %q %s", step, origin, rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Body)
				}
				if got := preflight(origin); got != cors {
					t.Fatalf("%s: preflight from %s: %q", step, origin, got)
				}
			}
			settings := func(origins string) {
				t.Helper()
				form := url.Values{"contact_days": {"1"}, "rectify_days": {"5"}, "origins": {origins}}
				if rec := do(h, "POST", "/publiceval/settings", "application/x-www-form-urlencoded", form.Encode(), asOffice); rec.Code != http.StatusSeeOther {
					t.Fatalf("settings: %d %s", rec.Code, rec.Body)
				}
			}
			const portal = "https://www.henan.gov.cn"
			check("before", key, portal, false)
			check("before, again (cached)", key, portal, false)
			settings(portal + " https://www.hnzwfw.gov.cn")
			check("listed", key, portal, true)
			settings("https://www.hnzwfw.gov.cn")
			check("unlisted", key, portal, false)

			const newSite = "https://www.erqi.gov.cn"
			if got := preflight(newSite); got != "" {
				t.Fatalf("preflight from an unknown site: %q", got)
			}
			form := url.Values{"kind": {"page"}, "name": {"二七区政府信息公开"}, "url": {newSite + "/xxgk"}, "org": {"410103"}}
			if rec := do(h, "POST", "/publiceval/targets", "application/x-www-form-urlencoded", form.Encode(), asOffice); rec.Code != http.StatusSeeOther {
				t.Fatalf("register a target: %d %s", rec.Code, rec.Body)
			}
			var newKey string
			if err := s.DB.R.QueryRowContext(ctx, `SELECT tkey FROM publiceval_target WHERE url = $1`, newSite+"/xxgk").Scan(&newKey); err != nil {
				t.Fatal(err)
			}
			check("own site of a new target", newKey, newSite, true)
			// the site embeds the widget, but only for its own target
			if rec := rate(key, newSite); rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Fatalf("another target from that site: %d %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
			}
		})
	}
}

// TestAcknowledgedRatingsSurviveKill starts the server as a child
// process, sends ratings from several clients, kills the child with
// SIGKILL while requests are in flight and checks that every rating
// answered 201 is in the store when it is opened again.
func TestAcknowledgedRatingsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child server")
	}
	for _, st := range []journey.Store{journey.SQLite, journey.Postgres} {
		t.Run(string(st), func(t *testing.T) {
			ctx := context.Background()
			cfg := app.Config{LogLevel: "error"}
			if st == journey.SQLite {
				cfg.DataDir = t.TempDir()
			} else {
				base := storetest.PostgresDSN()
				if base == "off" {
					t.Skip("PostgreSQL disabled")
				}
				cfg.DSN = storetest.WithSearchPath(base, storetest.NewSchema(t, base))
			}
			a, err := app.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Bootstrap(ctx); err != nil {
				t.Fatal(err)
			}
			tg, err := dom.AddTarget(ctx, a.DB, audit.System, dom.NewTarget{Kind: dom.KindService, Name: "办事", OrgCode: "4101"}, all)
			if err != nil {
				t.Fatal(err)
			}
			a.Close()

			cmd := exec.Command(os.Args[0], "-test.run=^TestChildServer$", "-test.v")
			cmd.Env = append(os.Environ(), "PUBLICEVAL_CHILD_DATA="+cfg.DataDir, "PUBLICEVAL_CHILD_DSN="+cfg.DSN)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			sc := bufio.NewScanner(out)
			addr := ""
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), "CHILD ADDR "); ok {
					addr = a
					break
				}
			}
			if addr == "" {
				t.Fatal("the child server did not start")
			}
			go io.Copy(io.Discard, out)

			var mu sync.Mutex
			acked := map[int64]int{}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: time.Minute}
			for w := 0; w < 6; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						level := 1 + (w+i)%5
						res, err := client.Post("http://"+addr+"/api/v1/ratings", "application/json",
							strings.NewReader(fmt.Sprintf(`{"target":%q,"level":%d,"comment":"w%d-%d"}`, tg.Key, level, w, i)))
						if err != nil {
							return // the server is gone
						}
						var body struct{ ID int64 }
						err = json.NewDecoder(res.Body).Decode(&body)
						res.Body.Close()
						if res.StatusCode == http.StatusCreated && err == nil {
							mu.Lock()
							acked[body.ID] = level
							mu.Unlock()
						}
					}
				}(w)
			}
			// kill while the clients are sending
			for {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 150 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(os.Kill); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			close(stop)
			wg.Wait()

			db, err := store.Open(ctx, store.Options{DataDir: cfg.DataDir, DSN: cfg.DSN})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Dialect == store.SQLite {
				// WAL: a commit is in the WAL file (the kernel's) before the
				// answer, which a killed process cannot take back; ratings
				// commit with synchronous=FULL besides (store.InDurableTx,
				// tested in internal/store), so not even a power cut can.
				var mode string
				var sync int
				if err := db.W.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
					t.Fatalf("journal_mode %q %v", mode, err)
				}
				if err := db.W.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil || sync < 1 {
					t.Fatalf("synchronous %d %v", sync, err)
				}
			} else {
				var sc string
				if err := db.R.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&sc); err != nil || sc != "on" {
					t.Fatalf("synchronous_commit %q %v", sc, err)
				}
			}
			missing := 0
			for id, level := range acked {
				var got int
				if err := db.R.QueryRowContext(ctx, `SELECT level FROM publiceval_rating WHERE id = $1`, id).Scan(&got); err != nil || got != level {
					missing++
				}
			}
			var stored int
			if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			t.Logf("%d ratings acknowledged before the kill, %d stored", len(acked), stored)
			if missing > 0 || stored < len(acked) {
				t.Fatalf("%d of %d acknowledged ratings lost", missing, len(acked))
			}
		})
	}
}

// TestChildServer is the child process of TestAcknowledgedRatingsSurviveKill.
func TestChildServer(t *testing.T) {
	data, dsn := os.Getenv("PUBLICEVAL_CHILD_DATA"), os.Getenv("PUBLICEVAL_CHILD_DSN")
	if data == "" && dsn == "" {
		t.Skip("only as the child of TestAcknowledgedRatingsSurviveKill")
	}
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: data, DSN: dsn, LogLevel: "error"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(a.DB, a.Log, web.Options{Modules: a.Modules, Version: "child"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	fmt.Printf("CHILD ADDR %s\n", strings.TrimPrefix(ts.URL, "http://"))
	select {} // until killed
}

// TestExchangeAPI: the office imports through the API (a dry run writes
// nothing; a bad body answers 422 with located bilingual errors; the same
// body twice adds nothing), a county's handler exports its own ratings
// and not another county's.
func TestExchangeAPI(t *testing.T) {
	for _, st := range []journey.Store{journey.SQLite, journey.Postgres} {
		t.Run(string(st), func(t *testing.T) {
			s, key := site(t, st)
			h := s.Handler()
			ctx := context.Background()
			office := s.User("office", "省信息办", auth.Office, "41")
			county := s.User("zy", "中原区", auth.Reporter, "410102")
			other := s.User("ej", "二七区", auth.Reporter, "410103")
			bearer := func(u *auth.User) map[string]string {
				tok, err := auth.NewToken(ctx, s.DB, audit.System, u.ID, "test")
				if err != nil {
					t.Fatal(err)
				}
				return map[string]string{"Authorization": "Bearer " + tok}
			}
			body := `[{"rating_id":"HN-1","target":"` + key + `","level":2,"tags":["unclear"],"comment":"看不懂","rated_at":"2026-02-03 10:00:00"},
				{"rating_id":"HN-2","target":"` + key + `","level":4,"rated_at":"2026-02-04 10:00:00"}]`
			count := func() int {
				var n int
				if err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM publiceval_rating`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if rec := do(h, "POST", "/api/v1/ratings/import?dry_run=true", "application/json", body, bearer(office)); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"new":2`) || count() != 0 {
				t.Fatalf("dry run: %d %s", rec.Code, rec.Body)
			}
			for i, want := range []string{`"new":2`, `"existing":2`} {
				if rec := do(h, "POST", "/api/v1/ratings/import", "application/json", body, bearer(office)); rec.Code != 200 || !strings.Contains(rec.Body.String(), want) || count() != 2 {
					t.Fatalf("import %d: %d %s", i, rec.Code, rec.Body)
				}
			}
			rec := do(h, "POST", "/api/v1/ratings/import", "text/csv", "rating_id,target,level\nHN-3,"+key+",6\n", bearer(office))
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"row":2`) || !strings.Contains(rec.Body.String(), `"column":"level"`) ||
				!strings.Contains(rec.Body.String(), "message_en") || count() != 2 {
				t.Fatalf("bad csv: %d %s", rec.Code, rec.Body)
			}
			if rec := do(h, "POST", "/api/v1/ratings/import", "application/json", body, bearer(county)); rec.Code != http.StatusForbidden {
				t.Fatalf("a county imports: %d", rec.Code)
			}
			rec = do(h, "GET", "/api/v1/ratings/export?unit=410102&period=202602&format=json", "", "", bearer(county))
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"rating_id": "HN-1"`) {
				t.Fatalf("county export: %d %s", rec.Code, rec.Body)
			}
			rec = do(h, "GET", "/api/v1/ratings/stats?unit=410102&period=202602", "", "", bearer(county))
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `{"channel":"import","total":2,"suspicious":0,"valid":2,"good":1,"bad":1}`) {
				t.Fatalf("stats by channel: %d %s", rec.Code, rec.Body)
			}
			if rec := do(h, "GET", "/api/v1/ratings/export?unit=410102&period=202602", "", "", bearer(other)); rec.Code != http.StatusForbidden {
				t.Fatalf("another county exports: %d", rec.Code)
			}
		})
	}
}
