// Package storetest gives tests a fresh, migrated-nothing store on each
// engine: a new SQLite file and a new PostgreSQL schema per test.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zhihui/internal/store"
	"zhihui/internal/testwait"
)

// DefaultPostgres is used when ZHIHUI_TEST_POSTGRES is not set.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test"

// PostgresDSN returns the PostgreSQL server tests use.
func PostgresDSN() string {
	if v := os.Getenv("ZHIHUI_TEST_POSTGRES"); v != "" {
		return v
	}
	return DefaultPostgres
}

// Each runs fn as two subtests, "sqlite" and "postgres", each on a store of
// its own. Set ZHIHUI_TEST_POSTGRES=off to run SQLite only (the PostgreSQL
// subtest is then skipped, visibly).
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// SQLite opens a new SQLite store in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a store on a new schema of the test PostgreSQL server; the
// schema is dropped when the test ends.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	base := PostgresDSN()
	if base == "off" {
		t.Skip("PostgreSQL tests disabled by ZHIHUI_TEST_POSTGRES=off")
	}
	schema := NewSchema(t, base)
	db, err := store.Open(testwait.Context(t), store.Options{DSN: WithSearchPath(base, schema)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewSchema creates an empty schema on the server at dsn and drops it when
// the test ends.
func NewSchema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	name := "t_" + strings.ToLower(sanitize(t.Name())) + "_" + hex.EncodeToString(b)
	// At most 40 bytes: River names its notification channels after the
	// schema ("<schema>.river_leadership"), and PostgreSQL refuses
	// channel names over 63 bytes.
	if len(name) > 40 {
		name = "t_" + hex.EncodeToString(b) + "_" + strings.ToLower(sanitize(t.Name()))[:24]
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA "` + name + `"`); err != nil {
		t.Fatalf("storetest: PostgreSQL at %s: %v (start it, or set ZHIHUI_TEST_POSTGRES)", dsn, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec(`DROP SCHEMA "` + name + `" CASCADE`)
	})
	return name
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// TempPath is a file path in the test's temporary directory.
func TempPath(t testing.TB, name string) string { return filepath.Join(t.TempDir(), name) }
