package webcheck

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
)

var testActor = audit.Actor{Name: "test"}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// setupStore migrates what webcheck needs and adds a few org units:
// 河南省 41, 郑州市 4101 with 中原区 410102, 开封市 4102 and one department.
func setupStore(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, Schema); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ code, name, kind, parent, path string }{
		{"41", "河南省", "province", "", "/41/"},
		{"4101", "郑州市", "city", "41", "/41/4101/"},
		{"410102", "中原区", "county", "4101", "/41/4101/410102/"},
		{"4102", "开封市", "city", "41", "/41/4102/"},
		{"41D-GXT", "省工业和信息化厅", "department", "41", "/41/41D-GXT/"},
	} {
		var parent any
		if u.parent != "" {
			parent = u.parent
		}
		if _, err := db.W.ExecContext(ctx, `INSERT INTO orgunit (code, name, kind, level, parent_code, path) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.code, u.name, u.kind, len(u.path)/5, parent, u.path); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSite(t testing.TB, db *store.DB, url, name, kind, org string) *Site {
	t.Helper()
	s, err := CreateSite(context.Background(), db, testActor, SiteInput{URL: url, Name: name, Kind: kind, OrgCode: org, AllowPrivate: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pdfText extracts the text of a PDF with pdftotext, or returns "" (the
// test then checks less) when the tool is missing.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed: PDF text not checked")
		return ""
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// claimNext claims the oldest row a worker could take (queued, or
// running with an expired lease), as the crawl job of that row would;
// nil when there is none.
func claimNext(ctx context.Context, db *store.DB, worker string, lease time.Duration) (*Job, error) {
	var id int64
	if err := db.R.QueryRowContext(ctx, `SELECT COALESCE(MIN(id), 0) FROM webcheck_job WHERE status = $1 OR (status = $2 AND lease_until < $3)`,
		JobQueued, JobRunning, store.Now()).Scan(&id); err != nil {
		return nil, err
	}
	if id == 0 {
		return nil, nil
	}
	return claimJob(ctx, db, id, worker, lease)
}
