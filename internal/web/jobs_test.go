package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"zhihui/internal/auth"
	"zhihui/internal/i18n"
	"zhihui/internal/jobs"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
	"zhihui/internal/testwait"
)

type failingArgs struct{}

func (failingArgs) Kind() string { return "test_failing" }

// TestJobList: the office sees a failed job with its state, attempts and
// error, retries and cancels it, and exports the list; a reporter may not.
func TestJobList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		r := jobs.NewRegistry()
		jobs.Handle(r, func(ctx context.Context, j *jobs.Job[failingArgs]) error {
			return fmt.Errorf("probe: %w", i18n.E("search.count", 2, "站点"))
		})
		eng, err := jobs.Open(ctx, db, r, jobs.Config{PollInterval: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := eng.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer eng.Stop(ctx)
		res, err := eng.Insert(ctx, failingArgs{}, &jobs.InsertOpts{MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		testwait.Until(t, "the failing job to be discarded", func() bool {
			i, err := eng.Get(ctx, res.ID)
			if err != nil {
				t.Fatal(err)
			}
			return i.State == jobs.Discarded
		})
		eng.Stop(ctx) // nothing works the job from here on
		mgr, err := jobs.Open(ctx, db, nil, jobs.Config{})
		if err != nil {
			t.Fatal(err)
		}

		_, office := e.user(t, "jobs-office", auth.Office, "4101")
		rec := e.do(t, office, http.MethodGet, "/jobs?state=discarded", nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("job list: %d %s", rec.Code, body)
		}
		for _, want := range []string{"test_failing", "已放弃", "共找到 2 项与“站点”相关的结果", "1 / 1", `action="/jobs/` + itoa(res.ID) + `/retry"`, `href="/jobs.xlsx?state=discarded"`} {
			if !strings.Contains(body, want) {
				t.Errorf("job list lacks %q", want)
			}
		}
		if strings.Contains(body, `/cancel"`) {
			t.Error("a discarded job offers cancel")
		}
		if strings.Contains(body, "2 results for") {
			t.Error("the Chinese job list shows the English error")
		}
		e.do(t, office, http.MethodPost, "/lang", url.Values{"lang": {"en"}, "back": {"/jobs"}})
		if body := e.do(t, office, http.MethodGet, "/jobs?state=discarded", nil).Body.String(); !strings.Contains(body, "2 results for “站点”") || strings.Contains(body, "共找到") {
			t.Error("the English job list does not show the error in English")
		}
		e.do(t, office, http.MethodPost, "/lang", url.Values{"lang": {"zh-CN"}, "back": {"/jobs"}})

		// retry, then cancel: both stored
		if rec := e.do(t, office, http.MethodPost, "/jobs/"+itoa(res.ID)+"/retry", nil); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "flash=job_retried") {
			t.Fatalf("retry: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		check := func(want jobs.State) {
			t.Helper()
			i, err := mgr.Get(ctx, res.ID)
			if err != nil {
				t.Fatal(err)
			}
			if i.State != want {
				t.Fatalf("job is %s, want %s", i.State, want)
			}
		}
		check(jobs.Available)
		rec = e.do(t, office, http.MethodGet, "/jobs?flash=job_retried&lang=en", nil)
		if !strings.Contains(rec.Body.String(), `/cancel"`) {
			t.Error("an available job offers no cancel")
		}
		if rec := e.do(t, office, http.MethodPost, "/jobs/"+itoa(res.ID)+"/cancel", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("cancel: %d", rec.Code)
		}
		check(jobs.Cancelled)
		if rec := e.do(t, office, http.MethodPost, "/jobs/999999/cancel", nil); rec.Code != http.StatusNotFound {
			t.Errorf("cancel of a missing job: %d", rec.Code)
		}
		if rec := e.do(t, office, http.MethodGet, "/jobs?state=bogus", nil); rec.Code != http.StatusBadRequest {
			t.Errorf("unknown state: %d", rec.Code)
		}

		// export
		rec = e.do(t, office, http.MethodGet, "/jobs.xlsx", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("export: %d", rec.Code)
		}
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows(f.GetSheetName(0))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0][1] != "任务类型" || rows[1][0] != itoa(res.ID) || rows[1][2] != "已取消" || rows[1][9] != "共找到 2 项与“站点”相关的结果" {
			t.Errorf("export rows %q", rows)
		}

		_, reporter := e.user(t, "jobs-reporter", auth.Reporter, "4101")
		if rec := e.do(t, reporter, http.MethodGet, "/jobs", nil); rec.Code != http.StatusForbidden {
			t.Errorf("reporter sees the job list: %d", rec.Code)
		}
	})
}
