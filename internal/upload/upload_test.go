package upload

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"zhihui/internal/audit"
	"zhihui/internal/auth"
	"zhihui/internal/orgunit"
	"zhihui/internal/store"
	"zhihui/internal/store/storetest"
)

func setup(t *testing.T, db *store.DB) (alice, bob int64) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, orgunit.Schema, audit.Schema, auth.Schema, Schema); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"alice", "bob"} {
		u, err := auth.CreateUser(ctx, db, audit.System, auth.NewUser{Name: name, Password: "a-long-password-1"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			alice = u.ID
		} else {
			bob = u.ID
		}
	}
	return alice, bob
}

// TestUploadRoundTrip stores files of several sizes around the chunk size
// and reads them back byte for byte, on both stores; a second connection
// to the same store (another server process) finds them too.
func TestUploadRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		alice, bob := setup(t, db)
		ctx := context.Background()
		for _, size := range []int{0, 1, chunkSize - 1, chunkSize, 2*chunkSize + 7} {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(i*7 + i/251)
			}
			u, err := Save(ctx, db, alice, "test.import", "数据.xlsx", bytes.NewReader(data), 10*chunkSize)
			if err != nil {
				t.Fatal(err)
			}
			if u.Size != int64(size) {
				t.Fatalf("size %d, want %d", u.Size, size)
			}
			got, r, err := Open(ctx, db, alice, "test.import", u.Token)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, data) || got.Name != "数据.xlsx" || got.Size != int64(size) {
				t.Fatalf("size %d: read %d bytes, name %q", size, len(b), got.Name)
			}
			// someone else, another kind, a malformed token: not found
			for _, c := range []struct {
				user        int64
				kind, token string
			}{{bob, "test.import", u.Token}, {alice, "other.import", u.Token}, {alice, "test.import", "../" + u.Token}} {
				if _, _, err := Open(ctx, db, c.user, c.kind, c.token); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("open as %d/%s/%s: %v", c.user, c.kind, c.token, err)
				}
			}
			if err := Delete(ctx, db, u.Token); err != nil {
				t.Fatal(err)
			}
			if _, _, err := Open(ctx, db, alice, "test.import", u.Token); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted upload: %v", err)
			}
		}
		var n int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM upload_chunk`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d chunks left (%v)", n, err)
		}
	})
}

// TestUploadLimitAndExpiry refuses files over the limit (storing nothing)
// and sweeps uploads older than TTL.
func TestUploadLimitAndExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		alice, _ := setup(t, db)
		ctx := context.Background()
		if _, err := Save(ctx, db, alice, "k", "big.csv", bytes.NewReader(make([]byte, 2*chunkSize)), chunkSize); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("over the limit: %v", err)
		}
		old, err := Save(ctx, db, alice, "k", "old.csv", bytes.NewReader([]byte("a,b\n")), 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := Save(ctx, db, alice, "k", "new.csv", bytes.NewReader([]byte("c,d\n")), 1<<10)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.Exec(db.Rebind(`UPDATE upload SET created_at = $1 WHERE token = $2`), store.Now().Add(-TTL-time.Minute), old.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := Open(ctx, db, alice, "k", old.Token); !errors.Is(err, ErrNotFound) {
			t.Fatalf("expired upload opened: %v", err)
		}
		n, err := Sweep(ctx, db, store.Now())
		if err != nil || n != 1 {
			t.Fatalf("swept %d (%v), want 1", n, err)
		}
		if _, _, err := Open(ctx, db, alice, "k", fresh.Token); err != nil {
			t.Fatalf("fresh upload: %v", err)
		}
		var uploads, chunks int
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM upload`).Scan(&uploads); err != nil {
			t.Fatal(err)
		}
		if err := db.R.QueryRow(`SELECT COUNT(*) FROM upload_chunk`).Scan(&chunks); err != nil {
			t.Fatal(err)
		}
		if uploads != 1 || chunks != 1 {
			t.Fatalf("%d uploads, %d chunks left; want the fresh one", uploads, chunks)
		}
	})
}
